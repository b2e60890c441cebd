"""The quarter's workflow: `new-quarter` scaffolds the templates the readers accept (and never overwrites), and
`check` groups validation's findings by section with exit codes 0 / 1 / 2. Every test works on a copy of the force's
inputs (data/forces) beside a link to the open data, so the repository's data is never modified."""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import docx
import pandas as pd
import pytest

from conftest import DATA, DEFAULT, PUBLICATIONS, edition_folder, page_text, run_cli, shown
from strategy_update.cli import main
from strategy_update.core.errors import CRITICAL, WARNING, ErrorRecord
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.excel import read_workbook_table, sheet_name
from strategy_update.inputs.narrative import read_narrative
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.readiness import ERRORS, NOT_READY, READY, format_text, readiness
from strategy_update.inputs.report import ValidationReport
from strategy_update.inputs.scaffold import scaffold_quarter
from strategy_update.inputs.word import HEADING_STYLE, read_word
from strategy_update.render.readiness import render_markdown

Q1 = parse_quarter("2022-23-Q1")  # open data, no narrative or tracker: the quarter after the default edition


@pytest.fixture(autouse=True)
def _signal_handlers():
    """``main`` makes SIGINT and SIGTERM raise (for a command's process); the test process keeps its own."""
    saved = {each: signal.getsignal(each) for each in (signal.SIGINT, signal.SIGTERM)}
    yield
    for each, handler in saved.items():
        signal.signal(each, handler)


def _data_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    shutil.copytree(DATA / "forces", data / "forces")
    os.symlink(DATA / "raw", data / "raw")
    return data


@pytest.fixture
def edition(tmp_path):
    paths = InputPaths(_data_copy(tmp_path), PUBLICATIONS, DEFAULT, "essex")
    return paths, load_publication(paths)


def _headings(publication) -> list[str]:
    return [part.heading for part in publication.narrative]


# --- new-quarter ------------------------------------------------------------------------------------------------
def test_new_quarter_writes_one_word_template_per_section_and_a_tracker(edition):
    paths, publication = edition
    result = scaffold_quarter(paths, publication, "Essex", Q1)
    names = sorted(p.name for p in paths.narrative_folder(Q1).iterdir())
    assert names == sorted(paths.narrative_docx(Q1, s.name).name for s in publication.leaves)
    assert len(names) == len(publication.leaves) == 14
    assert "Child Abuse - Child Sexual Exploitation.docx" in names  # a '/' is not allowed in a file name
    assert paths.delivery_workbook(Q1).is_file()
    assert len(result.created) == 15 and not result.skipped


def test_word_template_reads_back_with_its_headings_and_is_unfilled(edition):
    paths, publication = edition
    scaffold_quarter(paths, publication, "Essex", Q1)
    section = publication.section("mental-health")
    path = paths.narrative_docx(Q1, section.name)
    styles = {p.text: p.style.name for p in docx.Document(str(path)).paragraphs}
    assert all(styles[h] == HEADING_STYLE for h in _headings(publication))
    converted = read_word(path, key="strand", section_id=section.id, quarter_id=Q1.id,
                          headings=_headings(publication))
    assert converted.found_headings == set(_headings(publication))
    assert "April-June 2022" in " ".join(styles)  # the quarter's labels are in the guidance
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id=section.id,
                                       quarter=Q1, headings=_headings(publication))
    # As written, every heading is empty: recognisably not yet written, which is no error (it counts as missing).
    assert errors == [] and narrative is not None and not narrative.written and narrative.sections == {}


def _word_headings(path: Path) -> list:
    return [p for p in docx.Document(str(path)).paragraphs if p.style.name == HEADING_STYLE]


def test_a_template_partly_written_or_with_a_heading_renamed_is_still_an_error(edition):
    """Only a template exactly as new-quarter wrote it (every heading there, every one empty) is "not yet
    written": one heading written and the others left empty, or a heading renamed, is an error as before."""
    paths, publication = edition
    scaffold_quarter(paths, publication, "Essex", Q1)
    section = publication.section("mental-health")
    path = paths.narrative_docx(Q1, section.name)
    document = docx.Document(str(path))
    first, second = [p for p in document.paragraphs if p.style.name == HEADING_STYLE][:2]
    second.insert_paragraph_before("Partners met monthly.")  # text under the first heading only
    document.save(str(path))
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id=section.id,
                                       quarter=Q1, headings=_headings(publication))
    assert narrative is None
    assert sorted(e.message for e in errors) == sorted(f"the heading '{h}' has no text under it"
                                                       for h in _headings(publication)[1:])
    scaffold_quarter(paths, publication, "Essex", Q1, fmt="md")  # Markdown for the sections without a file yet
    other = paths.narrative_docx(Q1, "Rape")
    document = docx.Document(str(other))
    [p for p in document.paragraphs if p.style.name == HEADING_STYLE][0].text = "Insight"  # renamed, all empty
    document.save(str(other))
    narrative, errors = read_narrative(other, display_name=other.name, key="strand", section_id="rape",
                                       quarter=Q1, headings=_headings(publication))
    assert narrative is None and errors
    assert any("Insights" in e.message for e in errors)


def _fill_word(path: Path, words: str) -> None:
    """A lead's writing: a paragraph under every heading (inserted before the next heading, or at the end)."""
    document = docx.Document(str(path))
    heads = [p for p in document.paragraphs if p.style.name == HEADING_STYLE]
    for head, following in zip(heads, heads[1:] + [None]):
        text = f"{words} under {head.text}."
        following.insert_paragraph_before(text) if following else document.add_paragraph(text)
    document.save(str(path))


def test_filled_word_template_gives_each_section_and_leaves_the_guidance_out(edition):
    paths, publication = edition
    scaffold_quarter(paths, publication, "Essex", Q1)
    path = paths.narrative_docx(Q1, "Mental Health")
    _fill_word(path, "Partners met monthly")
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id="mental-health",
                                       quarter=Q1, headings=_headings(publication))
    assert errors == []
    assert narrative.sections == {h: f"Partners met monthly under {h}." for h in _headings(publication)}


def test_markdown_templates_are_read_by_the_markdown_reader(edition):
    paths, publication = edition
    scaffold_quarter(paths, publication, "Essex", Q1, fmt="md")
    files = sorted(paths.narrative_folder(Q1).glob("*.md"))
    assert [f.stem for f in files] == sorted(s.id for s in publication.leaves)
    path = paths.narrative(Q1, "prevent")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\nstrand: prevent\nquarter: 2022-23-Q1\n---\n")
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id="prevent",
                                       quarter=Q1, headings=_headings(publication))
    assert errors == [] and not narrative.written  # unfilled: not yet written
    emptied = text.replace(f"## {_headings(publication)[0]}\n", f"## {_headings(publication)[0]}\n\nWritten.\n")
    path.write_text(emptied, encoding="utf-8")  # one heading written, two left empty: an error, as before
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id="prevent",
                                       quarter=Q1, headings=_headings(publication))
    assert narrative is None and len(errors) == 2
    for heading in _headings(publication):
        text = text.replace(f"## {heading}\n", f"## {heading}\n\nReferrals were reviewed.\n")
    path.write_text(text, encoding="utf-8")
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id="prevent",
                                       quarter=Q1, headings=_headings(publication))
    assert errors == [] and set(narrative.sections.values()) == {"Referrals were reviewed."}


def test_new_quarter_never_overwrites(edition):
    paths, publication = edition
    scaffold_quarter(paths, publication, "Essex", Q1)
    edited = paths.narrative_docx(Q1, "Rape")
    _fill_word(edited, "Edited by the lead")
    before = {p: p.read_bytes() for p in paths.narrative_folder(Q1).iterdir()}
    tracker = paths.delivery_workbook(Q1).read_bytes()
    (paths.narrative_folder(Q1) / "Places.docx").unlink()
    paths.narrative(Q1, "places").write_text("---\nstrand: places\n---\n", encoding="utf-8")  # a Markdown one
    again = scaffold_quarter(paths, publication, "Essex", Q1)
    assert again.created == []  # places has a Markdown narrative: no second file for it
    assert len(again.skipped) == 15
    assert {p: p.read_bytes() for p in before if p.exists()} == {p: b for p, b in before.items() if p.exists()}
    assert edited.read_bytes() == before[edited]
    assert paths.delivery_workbook(Q1).read_bytes() == tracker
    assert not (paths.narrative_folder(Q1) / "Places.docx").exists()


def test_tracker_workbook_reads_back_with_last_quarters_counts(edition):
    paths, publication = edition
    scaffold_quarter(paths, publication, "Essex", Q1)
    frame = read_workbook_table(paths.delivery_workbook(Q1), "2022-23-Q1.xlsx", Q1)
    assert list(frame.columns) == publication.tracker_columns + ["line"]
    assert list(frame["strand"]) == [s.tracker_name for s in publication.leaves]
    assert set(frame["quarter"]) == {"2022-23 Q1"}
    last = pd.read_csv(paths.delivery(Q1.shift(-1)), dtype=str).set_index("strand")
    mine = frame.set_index("strand")
    for column in publication.delivery.columns:
        assert (mine[column] == last.loc[mine.index, column]).all(), column


def test_tracker_without_last_quarter_has_blank_counts_and_a_quarter_sheet(edition):
    paths, publication = edition
    quarter = parse_quarter("2023-24-Q2")
    scaffold_quarter(paths, publication, "Essex", quarter)
    frame = read_workbook_table(paths.delivery_workbook(quarter), "x.xlsx", quarter)
    assert (frame[publication.delivery.columns] == "").all().all()
    from openpyxl import load_workbook
    assert load_workbook(paths.delivery_workbook(quarter)).sheetnames[0] == sheet_name(quarter) == "Q2"


# --- check: grouping (fast, from made-up findings) --------------------------------------------------------------
def _report(*findings: ErrorRecord) -> ValidationReport:
    return ValidationReport(findings=list(findings))


def _md_narratives(paths, publication, quarter, skip=()):
    folder = paths.narrative_folder(quarter)
    folder.mkdir(parents=True, exist_ok=True)
    for s in publication.leaves:
        if s.id not in skip:
            (folder / f"{s.id}.md").write_text("x", encoding="utf-8")


def test_check_groups_findings_by_section(edition):
    paths, publication = edition
    quarter = Q1.shift(-1)  # the default edition: every narrative and a CSV tracker are there
    ready = readiness(_report(), paths, publication, "Essex", quarter)
    assert ready.exit_code == READY
    assert ready.summary_line() == "14 of 14 strands ready"
    open_data = ErrorRecord("data/raw/x.csv", 3, None, "rule", -1, "negative count", WARNING, "home_office_crime")
    assert readiness(_report(open_data), paths, publication, "Essex", quarter).exit_code == READY
    for sid in ("places", "prevent"):
        paths.narrative(quarter, sid).unlink()
    missing = [ErrorRecord("data/...", None, None, "one narrative per strand", sid, f"narrative for strand '{sid}' "
                           "not supplied", WARNING, "narrative") for sid in ("places", "prevent")]
    gap = ErrorRecord("data/.../2021-22-Q4.csv", 7, "total_actions", "add up", "7", "a gap of 7", WARNING,
                      "delivery_tracker")
    result = readiness(_report(*missing, gap), paths, publication, "Essex", quarter)
    assert result.exit_code == NOT_READY
    assert result.summary_line() == ("11 of 14 strands ready; 2 missing: Places, Prevent; "
                                     "1 with warnings: Cybercrime and Fraud")  # line 7 of the CSV
    empty = ErrorRecord("data/.../mental-health.md", 9, None, "required sections", "## Delivery scheduled",
                        "the section '## Delivery scheduled' is missing or empty", CRITICAL, "narrative")
    result = readiness(_report(*missing, empty), paths, publication, "Essex", quarter)
    assert result.exit_code == ERRORS
    assert "Mental Health: must be fixed" in format_text(result)
    assert "narrative, line 9: the section 'Delivery scheduled' is missing or empty" in format_text(result)
    page = shown(render_markdown(result))  # the reviewer's page says the same
    assert "| Mental Health | Errors | mental-health.md | 11 |" in page
    assert "| Places | Missing | missing | 12 |" in page
    assert "narrative, line 9: the section 'Delivery scheduled' is missing or empty" in page


def test_check_places_workbook_and_word_findings_and_spots_unwritten_templates(edition):
    paths, publication = edition
    scaffold_quarter(paths, publication, "Essex", Q1)
    _fill_word(paths.narrative_docx(Q1, "Rape"), "Written")
    folder = "data/forces/essex/crime-prevention-2021-25/"
    cell = ErrorRecord(folder + "delivery/2022-23-Q1.xlsx", None, None, "whole", "twelve",
                       "sheet Q1, cell D7: complete 'twelve' is not a whole number", CRITICAL, "delivery_tracker")

    def unwritten(severity):  # validation's finding for a template nobody has written in
        return [ErrorRecord(folder + "narrative/2022-23-Q1/" + paths.narrative_docx(Q1, s.name).name, None, "(file)",
                            "a narrative template is written in before it is published (required with --strict)",
                            s.id, f"narrative for strand '{s.id}' not yet written: ...", severity, "narrative")
                for s in publication.leaves if s.id != "rape"]
    result = readiness(_report(cell, *unwritten(WARNING)), paths, publication, "Essex", Q1)
    by_id = {s.id: s for s in result.sections}
    assert by_id["cybercrime-and-fraud"].problems[0].message.startswith("tracker, sheet Q1, cell D7: complete")
    assert by_id["rape"].state == "ready" and by_id["rape"].tracker_row == 3
    assert by_id["mental-health"].state == "not yet written"
    assert result.exit_code == ERRORS  # the tracker's error
    assert result.summary_line().startswith("1 of 14 strands ready; 13 not yet written: Knife Crime, Night-time")
    text = format_text(result)
    assert ("Mental Health: narrative not yet written (Mental Health.docx: the template, with nothing under its "
            "headings; it counts as not supplied)") in text
    assert "not yet written: ..." not in text  # said once per section, in its state
    assert "  - error: tracker, sheet Q1, cell D7: complete 'twelve' is not a whole number" in text
    # Without the tracker's error, unwritten templates leave the quarter buildable (1); with --strict they are errors.
    assert readiness(_report(*unwritten(WARNING)), paths, publication, "Essex", Q1).exit_code == NOT_READY
    strict = readiness(_report(*unwritten(CRITICAL)), paths, publication, "Essex", Q1)
    assert strict.exit_code == ERRORS and {s.id: s.state for s in strict.sections}["places"] == "not yet written"


# --- check: the command on a copied data folder -----------------------------------------------------------------
def test_check_command_exit_codes_and_summary(tmp_path, capsys):
    data = _data_copy(tmp_path)
    inputs = data / "forces" / "essex" / DEFAULT
    csv = inputs / "delivery" / "2021-22-Q4.csv"
    rows = pd.read_csv(csv, dtype=str)
    rows["total_actions"] = rows[["complete", "ongoing", "at_risk"]].astype(int).sum(axis=1).astype(str)
    rows.to_csv(csv, index=False)  # no gaps: no warning from the tracker
    for sid in ("places", "prevent"):
        (inputs / "narrative" / "2021-22-Q4" / f"{sid}.md").unlink()
    assert main(["check", "--data", str(data)]) == 1  # in this process: validation's imports are paid once
    out = capsys.readouterr().out
    assert "12 of 14 strands ready; 2 missing: Places, Prevent" in out
    rows.loc[rows["strand"] == "Rape", "complete"] = "twelve"
    rows.to_csv(csv, index=False)
    assert main(["check", "--data", str(data)]) == 2
    out = capsys.readouterr().out
    assert "1 with errors: Rape" in out
    assert "complete 'twelve' for Rape is not a whole non-negative number" in out


def test_check_and_validate_count_an_untouched_template_as_not_supplied(tmp_path, capsys):
    """After new-quarter, a template nobody wrote in is a warning naming the lead's file (not 13 x 3 errors): the
    quarter can be built, and check lists it as not yet written; with --strict it is an error, as a missing
    narrative is."""
    from strategy_update.inputs.validate import validate_inputs

    data = _data_copy(tmp_path)
    assert main(["new-quarter", "--quarter", Q1.id, "--data", str(data)]) == 0
    paths = InputPaths(data, PUBLICATIONS, DEFAULT, "essex")
    for path in paths.narrative_folder(Q1).glob("*.docx"):
        if path.stem != "Places":
            _fill_word(path, "Written")
    capsys.readouterr()
    report = validate_inputs(paths, "Essex", Q1.id)
    assert report.critical == [], [str(f) for f in report.critical]
    places = [f for f in report.warnings if "not yet written" in f.message]
    assert len(places) == 1 and places[0].file.endswith("narrative/2022-23-Q1/Places.docx")
    assert places[0].message.startswith("narrative for strand 'places' not yet written: data/forces/essex/")
    assert main(["check", "--quarter", Q1.id, "--data", str(data)]) == 1
    out = capsys.readouterr().out
    assert "strands ready; 1 not yet written: Places;" in out  # (and the tracker's gap warning, from last quarter)
    assert "Places: narrative not yet written (Places.docx: the template" in out
    assert main(["check", "--strict", "--quarter", Q1.id, "--data", str(data)]) == 2
    assert "1 not yet written: Places" in capsys.readouterr().out


# --- the whole workflow -----------------------------------------------------------------------------------------
@pytest.mark.build
def test_scaffold_fill_check_and_build_a_quarter(tmp_path, capsys):
    data = _data_copy(tmp_path)
    assert main(["new-quarter", "--quarter", Q1.id, "--data", str(data)]) == 0
    assert "created 15 file(s)" in capsys.readouterr().out
    paths = InputPaths(data, PUBLICATIONS, DEFAULT, "essex")
    for path in paths.narrative_folder(Q1).glob("*.docx"):
        if path.stem != "Places":  # the Places lead has not written yet: the page says so, the build goes on
            _fill_word(path, f"The {path.stem} partnership reviewed its plan")
    from openpyxl import load_workbook
    workbook = load_workbook(paths.delivery_workbook(Q1))
    sheet = workbook[sheet_name(Q1)]
    for row in sheet.iter_rows(min_row=2):
        row[2].value, row[3].value, row[4].value, row[5].value = 10, 6, 4, 0
    workbook.save(paths.delivery_workbook(Q1))
    assert main(["check", "--quarter", Q1.id, "--data", str(data)]) == 1
    assert "13 of 14 strands ready; 1 not yet written: Places" in capsys.readouterr().out
    out = tmp_path / "out"
    strict = run_cli("build", "--strict", "--quarter", Q1.id, "--data", str(data), "--no-pdf", "--out", str(out))
    assert strict.returncode == 2 and "Places.docx" in strict.stderr and "not yet written" in strict.stderr
    result = run_cli("build", "--quarter", Q1.id, "--data", str(data), "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert ("Not yet written (counted as not supplied; its page says so): data/forces/essex/crime-prevention-2021-25/"
            "narrative/2022-23-Q1/Places.docx") in result.stdout  # the warning names the lead's file
    page = page_text(edition_folder(out, Q1.id), "strands/mental-health")
    assert "The Mental Health partnership reviewed its plan under Insights." in page
    assert "Delivery achieved April-June 2022" in page
    assert "nothing above the first heading is published" not in page  # the template's guidance
    places = page_text(edition_folder(out, Q1.id), "strands/places")
    assert "Not yet written: the lead's narrative for this quarter" in places
    assert "No narrative was supplied" not in places
