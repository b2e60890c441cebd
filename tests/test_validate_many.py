"""Validation of many forces' editions at once (the national edition): the shared inputs are judged once, each
force's own inputs for that force, and every force's report is the one it gets when checked alone."""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
from pathlib import Path

import pytest

from conftest import DATA, PUBLICATIONS
from strategy_update.inputs.expectations import SUITE_ORDER as SUITES
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.report import ValidationReport
from strategy_update.inputs.validate import validate_editions, validate_inputs
from strategy_update.model.forces import force_slug

PLAN = "police-and-crime-plan"
QUARTER = "2021-22-Q4"
FORCES = ["Essex", "Kent", "Surrey"]
CRIME = "raw/home-office/prc-pfa-open-data-tables.csv.gz"
EXTRACT = f"forces/essex/{PLAN}/force-extracts/road-fatalities.csv"


def paths_in(data: Path, publications: Path = PUBLICATIONS):
    return lambda force: InputPaths(data, publications, PLAN, force_slug(force))


def comparable(report: ValidationReport) -> dict:
    """Everything a report says but its timings: findings, suites and their counts, the summary line."""
    return {**json.loads(report.to_json(timings=False)), "summary": report.summary_line()}


def critical_files(report: ValidationReport) -> set[str]:
    return {f.file for f in report.critical}


# --- the real data --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def together() -> dict[str, ValidationReport]:
    return validate_editions(paths_in(DATA), FORCES, QUARTER)


@pytest.mark.parametrize("force", FORCES)
def test_each_force_gets_the_report_it_gets_alone(together, force):
    alone = validate_inputs(paths_in(DATA)(force), force, QUARTER)
    assert comparable(together[force]) == comparable(alone)
    assert together[force].critical == []


def test_the_reports_are_each_force_s_own(together):
    """Essex supplies force extracts and narratives for the plan; Kent and Surrey do not: nothing of one force's
    checks leaks into another's report, and the shared time is divided among them."""
    assert list(together) == FORCES
    counts = {force: {s.name: s.evaluated for s in report.suites} for force, report in together.items()}
    assert counts["Essex"]["force_extracts"] > 100 > counts["Kent"]["force_extracts"]
    assert counts["Kent"]["home_office_crime"] == counts["Essex"]["home_office_crime"]
    for force, report in together.items():
        own = [s.file for s in report.suites if s.name in ("narrative", "force_extracts", "peer_group")]
        assert all(f"forces/{force_slug(force)}/" in name for name in own), own
        crime = [f.message for f in report.findings if f.suite == "home_office_crime"]
        assert crime and all(f" for {force}," in message for message in crime), crime  # negative adjustments
    assert all(report.seconds > 0 for report in together.values())


# --- bad inputs, on a copy whose crime table holds the three forces only and where Essex keeps one force extract
# of its eighteen (quick to check) ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_crime_table() -> bytes:
    rows = gzip.decompress((DATA / CRIME).read_bytes()).decode("utf-8").split("\n")
    keep = [rows[0]] + [r for r in rows[1:] if any(f",{force}," in r for force in FORCES)]
    return gzip.compress("\n".join(keep).encode("utf-8"), compresslevel=1)


@pytest.fixture
def copy_data(tmp_path, small_crime_table):
    def make(name: str) -> Path:
        data = tmp_path / name
        shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.csv.gz"))
        (data / CRIME).write_bytes(small_crime_table)
        for extract in (data / EXTRACT).parent.glob("*.csv"):
            if extract != data / EXTRACT:
                extract.unlink()
        return data
    return make


def test_a_force_s_own_bad_input_is_in_that_force_s_report_only(copy_data):
    data = copy_data("data")
    extract = data / EXTRACT
    lines = extract.read_text(encoding="utf-8").splitlines()
    extract.write_text("\n".join([*lines, lines[1]]) + "\n", encoding="utf-8")  # a period twice
    (data / "forces" / "kent" / "no-such-publication").mkdir(parents=True)  # Kent's inputs for no publication

    reports = validate_editions(paths_in(data), FORCES, QUARTER)

    assert reports["Essex"].suites[SUITES.index("force_extracts")].evaluated > 1  # the extract was read and judged
    assert critical_files(reports["Essex"]) == {f"data/{EXTRACT}"}
    assert any("appears more than once" in f.message for f in reports["Essex"].critical)
    assert [f.suite for f in reports["Kent"].critical] == ["edition"]
    assert "no-such-publication" in reports["Kent"].critical[0].message
    assert reports["Surrey"].critical == []


def test_a_broken_shared_input_is_in_every_force_s_report(copy_data):
    broken, good = copy_data("broken"), copy_data("good")
    crime = broken / CRIME
    rows = list(csv.reader(io.StringIO(gzip.decompress(crime.read_bytes()).decode("utf-8"))))
    drop = rows[0].index("Offence Subgroup")
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(r[:drop] + r[drop + 1:] for r in rows)
    crime.write_bytes(gzip.compress(out.getvalue().encode("utf-8")))
    paths = {"Essex": paths_in(broken)("Essex"), "Kent": paths_in(broken)("Kent"), "Surrey": paths_in(good)("Surrey")}

    reports = validate_editions(paths, FORCES, QUARTER)  # a mapping of paths; two data folders, each judged once

    missing = [[f for f in reports[force].critical if "missing column(s) 'Offence Subgroup'" in f.message]
               for force in FORCES]
    assert missing[0] and missing[0] == missing[1]
    assert missing[0][0].file == f"{broken.name}/{CRIME}" and missing[0][0].suite == "home_office_crime"
    assert reports["Surrey"].critical == []


def test_a_bad_quarter_is_a_finding_for_every_force_never_an_exception(copy_data):
    reports = validate_editions(paths_in(copy_data("data")), FORCES, "2021-22-Q9")
    for report in reports.values():
        assert [f.column for f in report.critical if f.suite == "edition"] == ["--quarter"]
