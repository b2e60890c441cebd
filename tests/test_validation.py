"""Input validation (Great Expectations, expectations/*.json).

A corpus of bad inputs (tests/bad_inputs/<case>/: case.yml plus any replacement files, laid over a copy of data/)
goes through both `strategy-update validate` and `strategy-update build`: each must exit with the expected code and
a message naming the problem, never a traceback, and the build must stop before anything is executed or published.
The real default edition must pass with its known warnings (the Cybercrime and Fraud delivery gap, the negative
Home Office adjustments for Essex).
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CLI, DATA, ROOT
from strategy_update.inputs.validate import (Finding, SuiteResult, ValidationReport, render_markdown,
                                        validate_inputs)

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(d.name for d in CORPUS.iterdir() if (d / "case.yml").is_file())
MARKER = b"<html><body>the last good edition (marker)</body></html>\n"
DELIVERY = "data/delivery/2021-22-Q4.csv"
CRIME = "data/raw/home-office/prc-pfa-open-data-tables.csv.gz"


# --- applying a case ---------------------------------------------------------------------------------------------
def _csv_line(fields: list[str], delimiter: str = ",") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="").writerow(fields)
    return out.getvalue()


def _edit_rows(lines: list[str], op: str, arg: dict) -> list[str]:
    """delete_rows / set_value / duplicate_rows / cut_last_field on the rows matching arg['where']."""
    header = next(csv.reader([lines[0]]))
    where = {header.index(k): str(v) for k, v in arg["where"].items()}
    limit = arg.get("limit")
    out, done = [lines[0]], 0
    for line in lines[1:]:
        matches = (limit is None or done < limit) and line and all(v in line for v in where.values())
        fields = next(csv.reader([line])) if matches else None
        if not fields or any(fields[i] != v for i, v in where.items()):
            out.append(line)
            continue
        done += 1
        if op == "delete_rows":
            continue
        if op == "set_value":
            fields[header.index(arg["column"])] = str(arg["value"])
            out.append(_csv_line(fields))
        elif op == "duplicate_rows":
            out += [line, line]
        elif op == "cut_last_field":
            out.append(_csv_line(fields[:-1]))
    assert done, f"no row matches {arg['where']}"
    return out


def _edit_columns(lines: list[str], op: str, arg) -> list[str]:
    rows = list(csv.reader(lines))
    if op == "drop_column":
        index = rows[0].index(arg)
        return [_csv_line(r[:index] + r[index + 1:]) if r else "" for r in rows]
    if op == "rename_column":
        rows[0][rows[0].index(arg["from"])] = arg["to"]
        return [_csv_line(rows[0])] + lines[1:]
    if op == "delimiter":
        return [_csv_line(r, arg) if r else "" for r in rows]
    raise ValueError(op)


def apply_edits(path: Path, edits: list[dict]) -> None:
    """Change a copied input the way case.yml says (gzip files are decompressed, edited and compressed again)."""
    raw = path.read_bytes()
    compressed = path.suffix == ".gz"
    text = (gzip.decompress(raw) if compressed else raw).decode("utf-8")
    lines = text.split("\n")
    encoding, cut = "utf-8", None
    for edit in edits:
        (op, arg), = edit.items()
        if op == "replace":
            text = "\n".join(lines)
            assert arg["old"] in text, f"{arg['old']!r} not in {path}"
            lines = text.replace(arg["old"], arg["new"], 1).split("\n")
        elif op in ("delete_rows", "set_value", "duplicate_rows", "cut_last_field"):
            lines = _edit_rows(lines, op, arg)
        elif op in ("drop_column", "rename_column", "delimiter"):
            lines = _edit_columns(lines, op, arg)
        elif op == "encode":
            encoding = arg
        elif op == "truncate_bytes":
            cut = int(arg)
        else:
            raise ValueError(f"unknown edit {op}")
    data = "\n".join(lines).encode(encoding)
    if compressed:
        data = gzip.compress(data, compresslevel=1)
    path.write_bytes(data[:cut] if cut else data)


def prepare(case_name: str, tmp_path: Path) -> tuple[dict, Path]:
    """A copy of data/ with the case applied; returns (case, data folder)."""
    folder = CORPUS / case_name
    case = yaml.safe_load((folder / "case.yml").read_text(encoding="utf-8"))
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    for source in sorted(folder.rglob("*")):  # replacement files, at their path under data/
        if source.is_file() and source.name != "case.yml":
            destination = data / source.relative_to(folder)
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)
    for relative in case.get("delete", []):
        (data / relative).unlink(missing_ok=True)
    if case.get("edits"):
        apply_edits(data / case["target"], case["edits"])
    return case, data


def run_both(case: dict, data: Path, out: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """`validate` and `build` on the same inputs, at the same time (they only read the inputs)."""
    extra = (["--quarter", str(case["quarter"])] if case.get("quarter") else []) + (
        ["--strict"] if case.get("strict") else [])
    commands = [[CLI, "validate", "--data", str(data), *extra],
                [CLI, "build", "--no-pdf", "--data", str(data), "--out", str(out), *extra]]
    running = [subprocess.Popen(c, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for c in commands]
    results = []
    for command, process in zip(commands, running):
        stdout, stderr = process.communicate(timeout=300)
        results.append(subprocess.CompletedProcess(command, process.returncode, stdout, stderr))
    return results[0], results[1]


# --- the corpus ----------------------------------------------------------------------------------------------------
def test_the_corpus_has_at_least_twenty_distinct_cases():
    assert len(CASES) >= 20
    specs = [yaml.safe_load((CORPUS / c / "case.yml").read_text(encoding="utf-8")) for c in CASES]
    for spec in specs:
        assert {"description", "target", "expect_exit", "expect_message"} <= set(spec), spec
    assert len({s["expect_message"] for s in specs}) == len(specs)


@pytest.mark.parametrize("case_name", CASES)
def test_bad_input_stops_validate_and_build_with_a_message(case_name, tmp_path):
    case, data = prepare(case_name, tmp_path)
    out = tmp_path / "_build"
    marker = out / "2021-22-Q4" / "html" / "index.html"
    marker.parent.mkdir(parents=True)
    marker.write_bytes(MARKER)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    validate, build = run_both(case, data, out)

    for result in (validate, build):
        output = result.stdout + result.stderr
        assert result.returncode == case["expect_exit"], f"{result.args[1]}: exit {result.returncode}\n{output}"
        assert case["expect_message"] in output, f"{result.args[1]}: message not found\n{output}"
        assert "Traceback" not in output, output
    assert "Nothing was published" in build.stderr
    assert marker.read_bytes() == MARKER
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == before  # no new edition, nothing executed


# --- the real data ------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_report() -> ValidationReport:
    return validate_inputs(DATA, None)


def test_default_edition_passes_with_no_critical_finding(real_report):
    assert real_report.quarter == "2021-22-Q4"
    assert real_report.critical == [], "\n".join(f.message for f in real_report.critical)
    assert [s.name for s in real_report.suites] == ["home_office_crime", "population", "strategy_definition",
                                                    "delivery_tracker", "narrative", "force_extracts"]
    assert all(s.evaluated > 0 for s in real_report.suites)
    assert real_report.seconds < 30


def test_cybercrime_delivery_gap_of_seven_is_a_warning(real_report):
    gaps = [f for f in real_report.warnings if f.file == DELIVERY and "Cybercrime and Fraud" in f.message]
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.row == 7 and gap.value == 7
    assert "a gap of 7" in gap.message and "42" in gap.message
    assert gap.suite == "delivery_tracker"


def test_essex_negative_counts_are_listed_as_warnings(real_report):
    negative = [f for f in real_report.warnings if f.file == CRIME and f.rule.startswith("negative counts")]
    assert len(negative) == 21
    assert all("Essex" in f.message and f.row and f.row > 1 and f.value < 0 for f in negative)
    assert all(f.column == "Number of Offences" for f in negative)
    # the first one, checked by hand: line 8671 of the table is 2012/13 Q2, Essex, code 31, -1
    assert (negative[0].row, negative[0].value) == (8671, -1) and "offence code 31" in negative[0].message


def test_validate_command_on_the_real_data_exits_zero():
    result = subprocess.run([CLI, "validate"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Validation: 0 critical" in result.stdout
    assert "Cybercrime and Fraud" in result.stdout and "a gap of 7" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_report_round_trips_through_json(real_report):
    text = real_report.to_json()
    again = ValidationReport.from_json(text)
    assert again == real_report
    assert again.to_json() == text
    assert json.loads(text)["findings"][0]["severity"] in ("critical", "warning")


def test_markdown_page_mentions_every_warning(real_report):
    page = render_markdown(real_report)
    plain = page.replace("\\", "")  # MyST escapes removed
    for warning in real_report.warnings:
        assert warning.message in plain
        assert str(warning.row) in plain
    assert "There are no critical problems" in page
    for suite in real_report.suites:
        assert suite.title in plain
    assert not page.lstrip().startswith("# ")  # the notebook has the page title


def test_markdown_says_plainly_when_there_are_no_warnings():
    report = ValidationReport(findings=[], suites=[SuiteResult("delivery_tracker", DELIVERY, 12, 12, 0.1,
                                                               title="Delivery tracker")], quarter="2021-22-Q4")
    page = render_markdown(report)
    assert "There are no warnings" in page
    assert "There are no critical problems" in page
    assert report.summary_line() == "Validation: 0 critical, 0 warnings across 1 suite"


def test_markdown_escapes_hostile_values():
    finding = Finding("warning", "narrative", "data/narrative/x.md", 3, "text", "rule", "<script>alert(1)</script> | x",
                      "found <b>bold</b> {raw}`html`")
    page = render_markdown(ValidationReport(findings=[finding], suites=[]))
    assert "<script>" not in page and "<b>" not in page and "{raw}`" not in page
    assert page.count("\n| data/narrative/x.md |") == 1


def test_text_report_names_file_line_column_rule_and_value():
    finding = Finding("critical", "delivery_tracker", DELIVERY, 3, "complete", "counts are whole non-negative numbers",
                      "lots", "complete 'lots' for Rape is not a whole non-negative number")
    text = ValidationReport(findings=[finding], suites=[]).format_text()
    for fragment in [DELIVERY, "line 3", "column 'complete'", "counts are whole non-negative numbers", "lots"]:
        assert fragment in text


# --- never raises ---------------------------------------------------------------------------------------------------
SMALL_INPUTS = ["delivery/2021-22-Q4.csv", "strategy/crime-prevention-2021-25.yml",
                "raw/ons/pfa-population-mid2024.csv", "narrative/2021-22-Q4/rape.md", "force-extracts/da-crimes.csv"]


@pytest.fixture
def small_data(tmp_path) -> Path:
    """A copy of data/ whose crime table is a small slice (Essex only), so in-process checks are quick."""
    data = tmp_path / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.csv.gz"))
    lines = gzip.decompress((DATA / "raw/home-office/prc-pfa-open-data-tables.csv.gz").read_bytes()).decode()
    rows = lines.split("\n")
    keep = [rows[0]] + [r for r in rows[1:] if ",Essex," in r or ",Kent," in r]
    (data / "raw/home-office/prc-pfa-open-data-tables.csv.gz").write_bytes(gzip.compress("\n".join(keep).encode()))
    return data


def test_slice_of_the_table_still_validates(small_data):
    report = validate_inputs(small_data, "2021-22-Q4")
    assert report.critical == [], [f.message for f in report.critical]


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe garbage \x81", b"a;b;c\n1;2;3\n", b"---\n- [\n",
                                     b"period,count\n\"unclosed,1\n", "caf\u00e9,\u2603\n".encode("utf-16")])
def test_garbage_in_any_small_input_becomes_findings_never_an_exception(small_data, content):
    for relative in SMALL_INPUTS:
        path = small_data / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    report = validate_inputs(small_data, "2021/22 Q4")
    assert report.critical
    assert all(isinstance(f.message, str) and f.message for f in report.findings)
    assert not any("unexpected problem" in f.message for f in report.findings), \
        [f.message for f in report.findings if "unexpected problem" in f.message]


def test_missing_data_folder_is_a_finding(tmp_path):
    report = validate_inputs(tmp_path / "nowhere", None)
    assert report.critical and report.quarter is None
    assert "Traceback" not in report.format_text()


def test_warning_only_problems_do_not_stop_validation(small_data):
    (small_data / "narrative/2021-22-Q4/places.md").unlink(missing_ok=True)
    report = validate_inputs(small_data, "2021-22-Q4")
    assert report.critical == []
    assert any("narrative for strand 'places' not supplied" in f.message for f in report.warnings)
    strict = validate_inputs(small_data, "2021-22-Q4", strict=True)
    assert any("narrative for strand 'places' not supplied" in f.message for f in strict.critical)


def test_every_expectation_in_the_suites_is_evaluated(small_data, monkeypatch):
    """No rule is silently skipped: on valid inputs of every kind, each expectation of expectations/ runs."""
    from strategy_update.inputs import validate as validation

    ran = set()
    original = validation._GreatExpectations.validate

    def recording(self, name, frame, expectations, parameters, index_columns):
        suite, batch = name.split(".")
        ran.update((suite, batch, e["meta"]["check"]) for e in expectations)
        return original(self, name, frame, expectations, parameters, index_columns)

    monkeypatch.setattr(validation._GreatExpectations, "validate", recording)
    extracts = small_data / "force-extracts"
    extracts.mkdir(exist_ok=True)
    (extracts / "mh-incidents.csv").write_text("period,count\n2021-01,10\n2021-02,11\n2021-03,12\n", encoding="utf-8")
    (extracts / "prevent-referrals.csv").write_text("period,count\n2021-22-Q1,4\n2021-22-Q2,5\n", encoding="utf-8")
    narrative = small_data / "narrative" / "2021-22-Q4"
    narrative.mkdir(parents=True, exist_ok=True)
    (narrative / "places.md").write_text(
        "---\nstrand: places\nquarter: 2021/22 Q4\n---\n\n## Insights\n\nText.\n\n## Delivery achieved\n\n- Done.\n\n"
        "## Delivery scheduled\n\n- Planned.\n", encoding="utf-8")
    report = validate_inputs(small_data, "2021-22-Q4")
    assert report.critical == [], [f.message for f in report.critical]
    assert not any(f.suite == "force_extracts" or f.file.endswith("places.md") for f in report.findings)
    expected = set()
    for path in sorted((ROOT / "expectations").glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        for batch, content in spec["batches"].items():
            expected.update((spec["suite"], batch, e["meta"]["check"]) for e in content["expectations"])
    assert expected - ran == set()
    assert {s.name for s in report.suites} == {suite for suite, _, _ in expected}


def test_suites_keep_severity_and_rule_in_meta():
    for path in sorted((ROOT / "expectations").glob("*.json")):
        spec = json.loads(path.read_text(encoding="utf-8"))
        checks = []
        for content in spec["batches"].values():
            for expectation in content["expectations"]:
                assert expectation["type"].startswith("expect_"), path
                meta = expectation["meta"]
                assert meta["severity"] in ("critical", "warning"), (path, meta)
                assert meta["rule"] and meta["message"] and meta["check"], (path, meta)
                checks.append(meta["check"])
        assert len(checks) == len(set(checks)), path
