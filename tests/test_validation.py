"""Input validation (Great Expectations, expectations/*.json).

A corpus of bad inputs (tests/bad_inputs/<case>/: case.yml plus any replacement files, laid over a copy of the
project's data/ and publications/) goes through both `strategy-update validate` and `strategy-update build`: each must
exit with the expected code and a message naming the problem, never a traceback, and the build must stop before
anything is executed or published.
The real default edition must pass with its known warnings (the Cybercrime and Fraud delivery gap, the negative
Home Office adjustments for Essex).
"""

from __future__ import annotations

import contextlib
import csv
import gzip
import io
import json
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import CLI, DATA, DEFAULT, PATHS, PUBLICATIONS, ROOT, edition_folder, shown
from strategy_update.core.errors import ErrorRecord
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.report import SuiteResult, ValidationReport
from strategy_update.inputs.validate import validate_inputs
from strategy_update.render.data_quality import render_markdown

CORPUS = Path(__file__).parent / "bad_inputs"
CASES = sorted(d.name for d in CORPUS.iterdir() if (d / "case.yml").is_file())
MARKER = b"<html><body>the last good edition (marker)</body></html>\n"
FORCE_INPUTS = f"data/forces/essex/{DEFAULT}"
DELIVERY = f"{FORCE_INPUTS}/delivery/2021-22-Q4.csv"
CRIME = "data/raw/home-office/prc-pfa-open-data-tables.csv.gz"
DEFINITION = f"publications/{DEFAULT}/publication.yml"
# The project folders a case may change (paths in case.yml are relative to the project).
COPIED = {"data": DATA, "publications": PUBLICATIONS}


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


def _append_lines(lines: list[str], arg: dict) -> list[str]:
    """``count`` copies of ``line`` at the end of the file (before its final line break)."""
    end = [""] if lines and lines[-1] == "" else []
    return (lines[:-1] if end else lines) + [str(arg["line"])] * int(arg["count"]) + end


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
        elif op == "append_lines":
            lines = _append_lines(lines, arg)
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


def replacement_files(folder: Path) -> list[Path]:
    """A case's replacement files, relative to the case folder (= their path in the project)."""
    return sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and p.name != "case.yml")


def prepare(case_name: str, tmp_path: Path) -> tuple[dict, Path]:
    """A copy of the project's data/ and publications/ with the case applied; returns (case, project folder)."""
    folder = CORPUS / case_name
    case = yaml.safe_load((folder / "case.yml").read_text(encoding="utf-8"))
    project = tmp_path / "project"
    for name, source in COPIED.items():
        shutil.copytree(source, project / name)
    for relative in replacement_files(folder):  # at their path in the project
        assert relative.parts[0] in COPIED, f"{case_name}: {relative} is not under data/ or publications/"
        destination = project / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(folder / relative, destination)
    for relative in case.get("delete", []):
        assert (project / relative).exists(), f"{case_name}: {relative} does not exist, nothing to delete"
        (project / relative).unlink()
    if case.get("edits"):
        apply_edits(project / case["target"], case["edits"])
    return case, project


def edition_options(case: dict) -> list[str]:
    """The command-line options a case sets: --publication, --force, --quarter and --strict."""
    extra = []
    for key in ["publication", "force", "quarter"]:
        if case.get(key):
            extra += [f"--{key}", str(case[key])]
    return extra + (["--strict"] if case.get("strict") else [])


def run_in_process(args: list[str]) -> subprocess.CompletedProcess:
    """The command line's ``main`` run in this process (a new interpreter would spend more time importing than
    checking), with its output captured and the signal handlers it installs put back afterwards. An exception
    escaping ``main`` fails the test, as a traceback on the console would."""
    from strategy_update.cli import main

    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(args)
    finally:
        for number, handler in handlers.items():
            signal.signal(number, handler)
    return subprocess.CompletedProcess(["strategy-update", *args], code, out.getvalue(), err.getvalue())


def run_both(case: dict, project: Path, out: Path) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    """`validate` and `build` on the same inputs (the real command line is run as a program by other tests)."""
    extra = ["--data", str(project / "data"), "--publications", str(project / "publications"),
             *edition_options(case)]
    return run_in_process(["validate", *extra]), run_in_process(["build", "--no-pdf", "--out", str(out), *extra])


# --- the corpus ----------------------------------------------------------------------------------------------------
KNOWN_KEYS = {"description", "target", "publication", "force", "quarter", "strict", "delete", "edits", "expect_exit",
              "expect_message"}


def test_the_corpus_has_at_least_twenty_distinct_cases():
    assert len(CASES) >= 20
    specs = {c: yaml.safe_load((CORPUS / c / "case.yml").read_text(encoding="utf-8")) for c in CASES}
    for name, spec in specs.items():
        assert {"description", "target", "expect_exit", "expect_message"} <= set(spec), spec
        assert set(spec) <= KNOWN_KEYS, (name, set(spec) - KNOWN_KEYS)
    assert len({s["expect_message"] for s in specs.values()}) == len(specs)
    # the new inputs of the publication layout each have a case
    for name in ["publication-unknown", "force-unknown", "publication-definition-missing",
                 "publication-definition-malformed", "extract-without-publication", "quarter-outside-publication"]:
        assert name in specs, name


@pytest.mark.parametrize("case_name", CASES)
def test_case_paths_are_relative_to_the_project_and_exist(case_name):
    """target, delete and replacement files name project paths (data/..., publications/...) that the case uses."""
    folder = CORPUS / case_name
    case = yaml.safe_load((folder / "case.yml").read_text(encoding="utf-8"))
    replaced = {r.as_posix() for r in replacement_files(folder)}
    project = {"data": DATA, "publications": PUBLICATIONS}
    for relative in [case["target"], *case.get("delete", []), *replaced]:
        if relative is None:
            continue
        top, _, rest = relative.partition("/")
        assert top in project and rest, f"{relative}: not a path under data/ or publications/"
    if case["target"] is not None:
        top, _, rest = case["target"].partition("/")
        assert (project[top] / rest).exists() or case["target"] in replaced, case["target"]
    for relative in case.get("delete", []):
        top, _, rest = relative.partition("/")
        assert (project[top] / rest).exists(), relative
    if case.get("edits"):
        assert case["target"], "edits need a target"


@pytest.mark.parametrize("case_name", ["definition-duplicate-strand-id", "definition-invalid-yaml",
                                       "definition-no-measure-or-statement", "definition-unknown-offence-code",
                                       "publication-definition-malformed"])
def test_definition_edits_apply_to_the_real_definition(case_name, tmp_path):
    """Each replace of a definition case hits the current publication.yml (and changes it)."""
    case, project = prepare(case_name, tmp_path)
    assert case["target"] == DEFINITION
    assert (project / DEFINITION).read_bytes() != PATHS.definition.read_bytes()


@pytest.mark.parametrize("case_name", CASES)
def test_bad_input_stops_validate_and_build_with_a_message(case_name, tmp_path):
    case, project = prepare(case_name, tmp_path)
    out = tmp_path / "_build"
    marker = edition_folder(out, "2021-22-Q4") / "html" / "index.html"
    assert marker == out / DEFAULT / "essex" / "2021-22-Q4" / "html" / "index.html"
    marker.parent.mkdir(parents=True)
    marker.write_bytes(MARKER)
    before = sorted(p.relative_to(out) for p in out.rglob("*"))

    validate, build = run_both(case, project, out)

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
    return validate_inputs(PATHS, "Essex", None)


def test_default_edition_passes_with_no_critical_finding(real_report):
    assert real_report.quarter == "2021-22-Q4"
    assert real_report.critical == [], "\n".join(f.message for f in real_report.critical)
    assert [s.name for s in real_report.suites] == ["home_office_crime", "population", "workforce",
                                                    "strategy_definition", "delivery_tracker", "narrative",
                                                    "force_extracts", "peer_group"]
    # the strategy update has no comparison-group table, so there is no Most Similar Group to check, and no
    # workforce measure, so the workforce table is not checked
    assert [s.name for s in real_report.suites if s.evaluated == 0] == ["workforce", "peer_group"]
    assert real_report.seconds < 30
    files = {s.name: s.file for s in real_report.suites}
    assert files["strategy_definition"] == DEFINITION  # project-relative names
    assert files["delivery_tracker"] == DELIVERY


def test_cybercrime_delivery_gap_of_seven_is_a_warning(real_report):
    gaps = [f for f in real_report.warnings if f.file == DELIVERY and "Cybercrime and Fraud" in f.message]
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.line == 7 and gap.value == 7
    assert "a gap of 7" in gap.message and "42" in gap.message
    assert gap.suite == "delivery_tracker"


def test_essex_negative_counts_are_listed_as_warnings(real_report):
    negative = [f for f in real_report.warnings if f.file == CRIME and f.rule.startswith("negative counts")]
    assert len(negative) == 21
    assert all("Essex" in f.message and f.line and f.line > 1 and f.value < 0 for f in negative)
    assert all(f.column == "Number of Offences" for f in negative)
    # the first one, checked by hand: line 8671 of the table is 2012/13 Q2, Essex, code 31, -1
    assert (negative[0].line, negative[0].value) == (8671, -1) and "offence code 31" in negative[0].message


def test_validate_command_on_the_real_data_exits_zero():
    result = subprocess.run([CLI, "validate"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    named = subprocess.run([CLI, "validate", "--publication", DEFAULT, "--force", "essex", "--quarter", "2021/22 Q4"],
                           cwd=ROOT, capture_output=True, text=True)
    untimed = lambda text: re.sub(r"\(\d+(\.\d+)? s\)", "(s)", text)  # noqa: E731 (suite timings differ)
    assert named.returncode == 0 and untimed(named.stdout) == untimed(result.stdout), named.stdout + named.stderr
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
        assert str(warning.line) in plain
    assert "There are no critical problems" in page
    for suite in real_report.suites:
        assert suite.title in plain
    assert not page.lstrip().startswith("# ")  # the notebook has the page title


def test_markdown_says_plainly_when_there_are_no_warnings():
    report = ValidationReport(findings=[], suites=[SuiteResult("delivery_tracker", DELIVERY, 12, 12, 0.1,
                                                               title="Delivery tracker")], quarter="2021-22-Q4")
    page = render_markdown(report)
    assert "0 critical problems and 0 warnings" in page
    assert "There are no critical problems" in page
    assert report.summary_line() == "Validation: 0 critical, 0 warnings across 1 suite"


def test_markdown_escapes_hostile_values():
    name = f"{FORCE_INPUTS}/narrative/2021-22-Q4/x.md"
    finding = ErrorRecord(name, 3, "text", "rule", "<script>alert(1)</script> | x", "found <b>bold</b> {raw}`html`",
                          "warning", "narrative")
    page = render_markdown(ValidationReport(findings=[finding], suites=[]))
    assert "<script>" not in page and "<b>" not in page and "{raw}`" not in page
    assert shown(page).count("\n| the lead's narrative for Q4 2021/22 | 3 |") == 1  # the file named in words
    assert "The inputs of this edition" in page


def test_text_report_names_file_line_column_rule_and_value():
    finding = ErrorRecord(DELIVERY, 3, "complete", "counts are whole non-negative numbers", "lots",
                          "complete 'lots' for Rape is not a whole non-negative number", "critical", "delivery_tracker")
    text = ValidationReport(findings=[finding], suites=[]).format_text()
    for fragment in [DELIVERY, "line 3", "column 'complete'", "counts are whole non-negative numbers", "lots"]:
        assert fragment in text


# --- never raises ---------------------------------------------------------------------------------------------------
SMALL_INPUTS = [f"{FORCE_INPUTS}/delivery/2021-22-Q4.csv", DEFINITION, "data/raw/ons/pfa-population-mid2024.csv",
                f"{FORCE_INPUTS}/narrative/2021-22-Q4/rape.md", f"{FORCE_INPUTS}/force-extracts/da-crimes.csv"]


@pytest.fixture
def small_project(tmp_path) -> Path:
    """A copy of data/ and publications/ whose crime table is a small slice (Essex and Kent only), so in-process
    checks are quick."""
    project = tmp_path / "project"
    data = project / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.csv.gz"))
    shutil.copytree(PUBLICATIONS, project / "publications")
    lines = gzip.decompress((DATA / "raw/home-office/prc-pfa-open-data-tables.csv.gz").read_bytes()).decode()
    rows = lines.split("\n")
    keep = [rows[0]] + [r for r in rows[1:] if ",Essex," in r or ",Kent," in r]
    (data / "raw/home-office/prc-pfa-open-data-tables.csv.gz").write_bytes(gzip.compress("\n".join(keep).encode()))
    return project


def small_paths(project: Path) -> InputPaths:
    return InputPaths(project / "data", project / "publications", DEFAULT, "essex")


@pytest.fixture
def small_data(small_project) -> InputPaths:
    return small_paths(small_project)


def test_slice_of_the_table_still_validates(small_data):
    report = validate_inputs(small_data, "Essex", "2021-22-Q4")
    assert report.critical == [], [f.message for f in report.critical]


@pytest.mark.parametrize("content", [b"", b"\x00\xff\xfe garbage \x81", b"a;b;c\n1;2;3\n", b"---\n- [\n",
                                     b"period,count\n\"unclosed,1\n", "caf\u00e9,\u2603\n".encode("utf-16")])
def test_garbage_in_any_small_input_becomes_findings_never_an_exception(small_project, content):
    for relative in SMALL_INPUTS:
        path = small_project / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    report = validate_inputs(small_paths(small_project), "Essex", "2021/22 Q4")
    assert report.critical
    assert all(isinstance(f.message, str) and f.message for f in report.findings)
    assert not any("unexpected problem" in f.message for f in report.findings), \
        [f.message for f in report.findings if "unexpected problem" in f.message]


def test_missing_data_folder_is_a_finding(tmp_path):
    report = validate_inputs(InputPaths(tmp_path / "nowhere", PUBLICATIONS, DEFAULT, "essex"), "Essex", None)
    assert report.critical
    assert any("does not exist" in f.message for f in report.critical)
    assert "Traceback" not in report.format_text()


def test_missing_publications_folder_is_a_finding(tmp_path):
    report = validate_inputs(InputPaths(DATA, tmp_path / "nowhere", DEFAULT, "essex"), "Essex", None)
    assert report.critical and report.quarter is None
    assert any("has no definition (publication.yml)" in f.message for f in report.critical)
    assert "Traceback" not in report.format_text()


def test_warning_only_problems_do_not_stop_validation(small_data):
    small_data.narrative(small_data_quarter(), "places").unlink()
    report = validate_inputs(small_data, "Essex", "2021-22-Q4")
    assert report.critical == []
    assert any("narrative for strand 'places' not supplied" in f.message for f in report.warnings)
    strict = validate_inputs(small_data, "Essex", "2021-22-Q4", strict=True)
    assert any("narrative for strand 'places' not supplied" in f.message for f in strict.critical)


def small_data_quarter():
    from strategy_update.core.periods import parse_quarter

    return parse_quarter("2021-22-Q4")


def test_every_expectation_in_the_suites_is_evaluated(small_data, monkeypatch):
    """No rule is silently skipped: on valid inputs of every kind, each expectation of expectations/ runs."""
    from strategy_update.inputs import expectations as validation

    ran = set()
    original = validation._GreatExpectations.validate

    def recording(self, name, frame, expectations, parameters, index_columns):
        suite, batch = name.split(".")
        ran.update((suite, batch, e["meta"]["check"]) for e in expectations)
        return original(self, name, frame, expectations, parameters, index_columns)

    monkeypatch.setattr(validation._GreatExpectations, "validate", recording)
    extracts = small_data.force_extracts
    extracts.mkdir(parents=True, exist_ok=True)
    (extracts / "mh-incidents.csv").write_text("period,value\n2021-01,10\n2021-02,11\n2021-03,12\n", encoding="utf-8")
    (extracts / "prevent-referrals.csv").write_text("period,value\n2021-22-Q1,4\n2021-22-Q2,5\n", encoding="utf-8")
    narrative = small_data.narrative_folder(small_data_quarter())
    narrative.mkdir(parents=True, exist_ok=True)
    (narrative / "places.md").write_text(
        "---\nstrand: places\nquarter: 2021/22 Q4\n---\n\n## Insights\n\nText.\n\n## Delivery achieved\n\n- Done.\n\n"
        "## Delivery scheduled\n\n- Planned.\n", encoding="utf-8")
    report = validate_inputs(small_data, "Essex", "2021-22-Q4")
    assert report.critical == [], [f.message for f in report.critical]
    assert not any(f.suite == "force_extracts" or f.file.endswith("places.md") for f in report.findings)
    # The Police and Crime Plan brings the suites the strategy does not use: workforce and an official MSG file.
    plan = InputPaths(small_data.data, small_data.publications, "police-and-crime-plan", "essex")
    members = ["Kent", "Hampshire", "Sussex", "Thames Valley", "Avon and Somerset", "Hertfordshire", "Staffordshire"]
    plan.peer_group.write_text("member,source,as_of\n" + "".join(f"{m},Home Office,2021-03-31\n" for m in members),
                               encoding="utf-8")
    plan_report = validate_inputs(plan, "Essex", "2021-22-Q4")
    assert not [f for f in plan_report.critical if f.suite in ("peer_group", "workforce")]
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


# --- checks remembered by the preview -----------------------------------------------------------------------------
def comparable(report: ValidationReport) -> tuple:
    """A report without its timings."""
    return (report.findings, [(s.name, s.file, s.evaluated, s.passed) for s in report.suites], report.quarter)


def test_remembered_checks_rerun_only_what_an_edit_touched_and_report_as_a_fresh_check(small_data, monkeypatch):
    """The preview keeps checks whose files did not change: after a narrative edit only the narrative is checked
    again, and the report is exactly the one a fresh check of the edited inputs gives."""
    from strategy_update.inputs import validate

    ran: list[str] = []
    for name in ("check_narrative", "check_force_extracts", "_check_shared"):
        real = getattr(validate, name)
        monkeypatch.setattr(validate, name, lambda *a, _real=real, _name=name, **k: (ran.append(_name),
                                                                                      _real(*a, **k))[1])
    narrative = small_data.narrative_folder(parse_q("2021-22-Q4")) / "rape.md"
    with validate.remembering_checks():
        first = validate_inputs(small_data, "Essex", "2021-22-Q4")
        assert sorted(ran) == ["_check_shared", "check_force_extracts", "check_narrative"]
        ran.clear()
        again = validate_inputs(small_data, "Essex", "2021-22-Q4")
        assert ran == [] and comparable(again) == comparable(first)  # nothing changed: nothing ran
        narrative.write_text(narrative.read_text(encoding="utf-8") + "\n<script>alert(1)</script>\n",
                             encoding="utf-8")
        edited = validate_inputs(small_data, "Essex", "2021-22-Q4")
        assert ran == ["check_narrative"]
        ran.clear()
        small_data.definition.touch()  # the shared inputs changed: every check starts again from them
        assert comparable(validate_inputs(small_data, "Essex", "2021-22-Q4")) == comparable(edited)
        assert sorted(ran) == ["_check_shared", "check_force_extracts", "check_narrative"]
    fresh = validate_inputs(small_data, "Essex", "2021-22-Q4")  # outside the block: every check runs
    assert comparable(edited) == comparable(fresh)
    assert comparable(edited) != comparable(first)  # the edit was found
    assert validate._REMEMBERED is None  # nothing is kept once the block ends


def parse_q(text: str):
    from strategy_update.core.periods import parse_quarter

    return parse_quarter(text)
