"""Narrative in Word (.docx) and the delivery tracker in Excel (.xlsx): read into the same forms as Markdown and CSV
so the same rules judge them, with messages that name the file, the heading or the sheet and cell.

Every .docx and .xlsx here is made by the test itself (python-docx, openpyxl) in a temporary folder.
"""

from __future__ import annotations

import base64
import gzip
import io
import re
import shutil
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from conftest import DATA, DEFAULT, PATHS, PUBLICATIONS
from strategy_update.core.errors import CRITICAL, WARNING, InputError
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs import word
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.narrative import read_narrative
from strategy_update.inputs.office import OLE_MAGIC
from strategy_update.inputs.paths import InputPaths, narrative_section, title_file_stem
from strategy_update.inputs.readers import load_delivery, read_raw_table

QUARTER = parse_quarter("2021-22-Q4")
HEADINGS = ["Insights", "Delivery achieved", "Delivery scheduled"]
PUBLICATION = load_publication(PATHS)
NARRATIVES = PATHS.narrative_folder(QUARTER)
TRACKER_CSV = PATHS.delivery(QUARTER)
# A 1x1 PNG, for a picture in a document.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9a"
                       "wAAAABJRU5ErkJggg==")


# --- making Word files ----------------------------------------------------------------------------------------------
def add_inline(paragraph, text: str) -> None:
    """Runs for text with **bold** parts."""
    for i, part in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
        if part:
            paragraph.add_run(part).bold = bool(i % 2)


def docx_from_markdown(markdown: str) -> docx.Document:
    """What a lead would type in Word for a narrative .md: headings in 'Heading 1', bullets in 'List Bullet'."""
    document = docx.Document()
    document.add_paragraph("Mental Health: update for Q4 2021/22", style=word.TITLE_STYLE)
    for line in markdown.split("---", 2)[2].strip().split("\n"):
        if line.startswith("## "):
            document.add_paragraph(line[3:], style=word.HEADING_STYLE)
        elif line.startswith("- "):
            add_inline(document.add_paragraph(style=word.BULLET_STYLE), line[2:])
        elif line.strip():
            add_inline(document.add_paragraph(), line)
    return document


def simple_document(body: dict[str, list[str]]) -> docx.Document:
    document = docx.Document()
    for heading, paragraphs in body.items():
        document.add_paragraph(heading, style=word.HEADING_STYLE)
        for text in paragraphs:
            document.add_paragraph(text)
    return document


GOOD = {heading: [f"What the lead says under {heading}."] for heading in HEADINGS}


def save(document, folder: Path, name: str = "Mental Health.docx") -> Path:
    path = folder / name
    document.save(str(path))
    return path


def read(path: Path, section_id: str = "mental-health"):
    return read_narrative(path, display_name=path.name, key="strand", section_id=section_id, quarter=QUARTER,
                          headings=HEADINGS)


def convert(path: Path) -> word.WordNarrative:
    return word.read_word(path, key="strand", section_id="mental-health", quarter_id=QUARTER.id, headings=HEADINGS)


def add_hyperlink(paragraph, url: str, text: str) -> None:
    r_id = paragraph.part.relate_to(url, RT.HYPERLINK, is_external=True)
    paragraph._p.append(parse_xml(f'<w:hyperlink {nsdecls("w", "r")} r:id="{r_id}"><w:r><w:t>{text}</w:t></w:r>'
                                  "</w:hyperlink>"))


# --- Word: good files -----------------------------------------------------------------------------------------------
def test_a_word_narrative_gives_the_same_narrative_as_its_markdown(tmp_path):
    markdown = NARRATIVES / "mental-health.md"
    path = save(docx_from_markdown(markdown.read_text(encoding="utf-8")), tmp_path)
    from_word, errors = read(path)
    from_markdown, _ = read(markdown)
    assert errors == []
    assert from_word.sections == from_markdown.sections
    assert "- **Investigate:** the first quarterly mental health report" in from_word.sections["Delivery achieved"]


def test_lists_emphasis_tables_and_sub_headings_become_markdown(tmp_path):
    document = simple_document(GOOD)
    document.add_paragraph("Next steps", style="Heading 2")
    document.add_paragraph("first", style="List Number")
    document.add_paragraph("nested point", style="List Bullet 2")
    paragraph = document.add_paragraph("plain ")
    paragraph.add_run("slanted").italic = True
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, ["Partner", "Actions", "EPUT", "3"]):
        cell.text = text
    text = read(save(document, tmp_path))[0].sections["Delivery scheduled"]
    assert "### Next steps" in text
    assert "1. first\n   - nested point" in text
    assert "plain *slanted*" in text
    assert "| Partner | Actions |\n| --- | --- |\n| EPUT | 3 |" in text


def test_runs_word_split_make_one_bold_span_and_a_line_break_stays_a_break(tmp_path):
    document = simple_document(GOOD)
    paragraph = document.add_paragraph()
    paragraph.add_run("Invest").bold = True
    paragraph.add_run("igate:").bold = True
    paragraph.add_run(" first line").add_break()
    paragraph.add_run("# second line")
    text = read(save(document, tmp_path))[0].sections["Delivery scheduled"]
    assert text.endswith("**Investigate:** first line\\\n\\# second line")


def test_headings_are_matched_ignoring_case_and_a_trailing_colon(tmp_path):
    document = simple_document({"INSIGHTS:": ["a"], "delivery achieved": ["b"], "Delivery scheduled": ["c"]})
    narrative, errors = read(save(document, tmp_path))
    assert errors == [] and list(narrative.sections) == HEADINGS


def test_text_that_looks_like_markup_is_kept_as_text_never_run(tmp_path):
    hostile = "<script>alert(1)</script> {raw}`<b>x</b>` [link](javascript:alert(1)) ## not a heading"
    document = simple_document({**GOOD, "Insights": [hostile, "# also text", "1. not a list", "---"]})
    narrative, errors = read(save(document, tmp_path))
    assert errors == []
    text = narrative.sections["Insights"]
    assert "\\<script>" in text and "\\`" in text and "\\[link\\]" in text and "\\# also text" in text
    assert "1\\. not a list" in text
    # parsed again as Markdown, nothing in it is HTML, a role, a link or a heading
    from strategy_update.inputs.narrative import _MD

    types = {t.type for block in _MD.parse(text) for t in [block, *(block.children or [])]}
    assert not types & {"html_inline", "html_block", "myst_role", "link_open", "heading_open", "hr", "fence"}


def test_the_section_comes_from_the_file_name_id_or_title(tmp_path):
    titles = {s.id: s.name for s in PUBLICATION.leaves}
    for name, expected in [("Mental Health.docx", "mental-health"), ("mental health.DOCX", "mental-health"),
                           ("mental-health.docx", "mental-health"), ("mental-health.md", "mental-health"),
                           ("Child Abuse - Child Sexual Exploitation.docx", "child-abuse-cse"),
                           ("~$ntal Health.docx", None), ("Mental Health.pdf", None), ("Unknown.docx", None)]:
        (tmp_path / name).write_bytes(b"x")
        assert narrative_section(tmp_path / name, titles) == expected, name
    assert title_file_stem("Child Abuse / Child Sexual Exploitation") == "Child Abuse - Child Sexual Exploitation"


# --- Word: refused or dropped with a message ------------------------------------------------------------------------
def test_a_missing_heading_is_named_in_the_words_of_the_issue(tmp_path):
    document = simple_document({"Insights": ["a"], "Delivery achieved": ["b"]})
    document.add_paragraph("Delivery scheduled")  # typed, but not given a heading style
    document.add_paragraph("c")
    narrative, errors = read(save(document, tmp_path))
    assert narrative is None and len(errors) == 1
    assert str(errors[0]).startswith("Mental Health.docx: the heading 'Delivery scheduled' is missing")
    assert "in the style 'Normal': give it the style 'Heading 1'" in errors[0].message
    assert errors[0].line is None  # no Markdown line numbers for a Word document


def test_a_heading_with_nothing_under_it_is_named(tmp_path):
    narrative, errors = read(save(simple_document({**GOOD, "Delivery achieved": []}), tmp_path))
    assert [e.message for e in errors] == ["the heading 'Delivery achieved' has no text under it"]


def test_a_picture_is_refused_and_located(tmp_path):
    document = simple_document(GOOD)
    paragraph = document.add_paragraph("Chart of incidents ")
    paragraph.add_run().add_picture(io.BytesIO(PNG))
    narrative, errors = read(save(document, tmp_path))
    assert narrative is None
    assert "a picture or drawing is in the document" in errors[0].message
    assert "in the paragraph starting \"Chart of incidents\" under the heading 'Delivery scheduled'" in \
        errors[0].message


def test_comments_are_dropped_with_a_warning(tmp_path):
    document = simple_document(GOOD)
    paragraph = document.add_paragraph("Text with a reviewer's note.")
    document.add_comment(paragraph.runs, text="Please check this figure", author="Analyst")
    path = save(document, tmp_path)
    narrative, errors = read(path)
    assert errors == []
    assert "Please check" not in str(narrative.sections)
    warnings = [p for p in convert(path).problems]
    assert [(p.severity, p.rule) for p in warnings] == [(WARNING, "comments are not published")]
    assert "1 comment(s)" in warnings[0].message


def test_what_word_hides_is_never_read_and_each_paragraph_with_hidden_text_is_named(tmp_path):
    """Text formatted as hidden directly, by a character style, by a paragraph style (or the style it is based on),
    web-hidden text and a field's code are not read; the visible text beside them is, and a warning names each
    paragraph that lost hidden text."""
    from docx.enum.style import WD_STYLE_TYPE

    document = simple_document(GOOD)
    paragraph = document.add_paragraph("Visible start. ")
    paragraph.add_run("SECRET-DIRECT").font.hidden = True
    paragraph.add_run("Visible end.")
    document.styles.add_style("Secret", WD_STYLE_TYPE.CHARACTER).font.hidden = True
    document.add_paragraph("Styled run. ").add_run("SECRET-CHARACTER-STYLE", style="Secret")
    base = document.styles.add_style("Hidden base", WD_STYLE_TYPE.PARAGRAPH)
    base.font.hidden = True
    document.styles.add_style("Hidden note", WD_STYLE_TYPE.PARAGRAPH).base_style = base
    document.add_paragraph("SECRET-PARAGRAPH-STYLE", style="Hidden note")
    document.add_paragraph("Web page. ").add_run("SECRET-WEB-HIDDEN").font.web_hidden = True
    shown = document.add_paragraph(style="Hidden note")  # a run may show itself in a hidden style
    shown.add_run("Unhidden in a hidden style.").font.hidden = False
    field = document.add_paragraph("A field: ")
    for xml in ['<w:fldChar w:fldCharType="begin"/>', '<w:instrText> HYPERLINK "SECRET-FIELD-CODE" </w:instrText>',
                '<w:fldChar w:fldCharType="separate"/>', "<w:t>its result</w:t>", '<w:fldChar w:fldCharType="end"/>']:
        field._p.append(parse_xml(f'<w:r {nsdecls("w")}>{xml}</w:r>'))
    path = save(document, tmp_path)
    narrative, errors = read(path)
    assert errors == []
    text = narrative.sections["Delivery scheduled"]
    assert "SECRET" not in str(narrative.sections)
    for visible in ["Visible start. Visible end.", "Styled run.", "Web page.", "Unhidden in a hidden style.",
                    "A field: its result"]:
        assert visible in text
    hidden = [p for p in convert(path).problems if p.rule == word.HIDDEN_RULE]
    assert [(p.severity, p.where) for p in hidden] == [
        (WARNING, "in the paragraph starting \"Visible start. Visible end.\" under the heading 'Delivery scheduled'"),
        (WARNING, "in the paragraph starting \"Styled run.\" under the heading 'Delivery scheduled'"),
        (WARNING, "in a paragraph under the heading 'Delivery scheduled'"),
        (WARNING, "in the paragraph starting \"Web page.\" under the heading 'Delivery scheduled'")]
    assert "text formatted as hidden in Word was left out" in hidden[0].message
    assert not any("SECRET" in str(p) for p in convert(path).problems)  # the warning never repeats hidden text


def test_a_hidden_heading_is_a_missing_heading_and_hidden_text_in_tables_is_not_read(tmp_path):
    document = simple_document(GOOD)
    document.paragraphs[0].runs[0].font.hidden = True  # the heading "Insights"
    table = document.add_table(rows=2, cols=2)
    for cell, text in zip(table._cells, ["Partner", "Actions", "EPUT", "3"]):
        cell.text = text
    table.cell(1, 1).paragraphs[0].add_run(" SECRET-CELL").font.hidden = True
    path = save(document, tmp_path)
    narrative, errors = read(path)
    assert [e.message for e in errors] == ["the heading 'Insights' is missing"]
    assert "SECRET" not in convert(path).markdown
    assert [p.where for p in convert(path).problems] == [
        "in a paragraph", "in the table under the heading 'Delivery scheduled' starting \"Partner | Actions\""]


def test_a_document_whose_text_is_hidden_by_default_has_nothing_to_publish(tmp_path):
    document = simple_document(GOOD)
    defaults = document.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    defaults.append(parse_xml(f'<w:vanish {nsdecls("w")}/>'))
    narrative, errors = read(save(document, tmp_path))
    assert narrative is None
    assert [e.message for e in errors] == [f"the heading '{h}' is missing" for h in HEADINGS]


def test_tracked_changes_are_refused(tmp_path):
    document = simple_document(GOOD)
    paragraph = document.add_paragraph("Agreed text ")
    paragraph._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="Lead" w:date="2022-04-01T00:00:00Z">'
                                  "<w:r><w:t>and an insertion</w:t></w:r></w:ins>"))
    narrative, errors = read(save(document, tmp_path))
    assert narrative is None
    assert "tracked change(s) not yet accepted or rejected" in errors[0].message
    assert errors[0].rule == "no tracked changes"


def test_a_javascript_link_is_dropped_and_an_https_link_kept(tmp_path):
    document = simple_document(GOOD)
    paragraph = document.add_paragraph("See ")
    add_hyperlink(paragraph, "javascript:alert(1)", "this")
    paragraph.add_run(" and ")
    add_hyperlink(paragraph, "https://www.essex.police.uk/", "the force")
    path = save(document, tmp_path)
    narrative, errors = read(path)
    assert errors == []
    text = narrative.sections["Delivery scheduled"]
    assert "See this and [the force](<https://www.essex.police.uk/>)" in text
    assert "javascript" not in text
    (problem,) = convert(path).problems
    assert problem.severity == WARNING and "the link to 'javascript:alert(1)' was left out" in problem.message


def test_a_password_protected_file_says_so(tmp_path):
    path = tmp_path / "Mental Health.docx"
    path.write_bytes(OLE_MAGIC + bytes(range(256)) * 8)  # what Office writes for an encrypted document
    narrative, errors = read(path)
    assert narrative is None
    assert str(errors[0]).startswith("Mental Health.docx: the document is password-protected (encrypted)")


def test_a_text_file_named_docx_is_not_a_word_document(tmp_path):
    path = tmp_path / "Mental Health.docx"
    path.write_text("## Insights\nplain text saved with the wrong name\n", encoding="utf-8")
    narrative, errors = read(path)
    assert narrative is None
    assert "the file is not a Word document (.docx), though its name ends in .docx" in errors[0].message


def test_a_zip_without_a_document_is_not_a_word_document(tmp_path):
    path = tmp_path / "Mental Health.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    narrative, errors = read(path)
    assert narrative is None and "a zip file with no document in it" in errors[0].message


def test_macros_are_refused(tmp_path):
    macro_enabled = save(simple_document(GOOD), tmp_path, "Mental Health.docm")
    with_vba = save(simple_document(GOOD), tmp_path, "mental-health.docx")
    with zipfile.ZipFile(with_vba, "a") as archive:
        archive.writestr("word/vbaProject.bin", b"\x00" * 16)
    for path in (macro_enabled, with_vba):
        narrative, errors = read(path)
        assert narrative is None and "the document contains macros" in errors[0].message, path.name


# --- Excel ----------------------------------------------------------------------------------------------------------
def workbook_from_csv(csv_path: Path, target: Path, sheet: str = "Q4", edit=None) -> Path:
    """The CSV typed into a workbook (counts as numbers), optionally changed by ``edit(sheet)``."""
    import csv

    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = sheet
    for i, row in enumerate(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8")))):
        ws.append([int(v) if i and v.isdigit() else v for v in row])
    if edit:
        edit(ws)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


def tracker_error(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_delivery(path, PUBLICATION)
    return caught.value


def test_a_tracker_workbook_gives_the_same_frame_as_its_csv(tmp_path):
    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx")
    from_excel, from_csv = load_delivery(path, PUBLICATION), load_delivery(TRACKER_CSV, PUBLICATION)
    columns = [c for c in from_csv.columns if c != "source_file"]
    assert from_excel[columns].reset_index(drop=True).equals(from_csv[columns].reset_index(drop=True))
    assert list(from_excel["line"]) == list(range(2, 16))  # Excel's row numbers, as the CSV's line numbers


def test_text_in_a_count_names_the_sheet_and_cell(tmp_path):
    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=lambda ws: ws.__setitem__("C7", "twelve"))
    error = tracker_error(path)
    assert "2021-22-Q4.xlsx: sheet Q4, cell C7: expected a whole number (value: 'twelve')" in str(error)


def test_merged_cells_are_named_by_their_range(tmp_path):
    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=lambda ws: ws.merge_cells("F3:F4"))
    assert "sheet Q4, cells F3:F4 are merged; unmerge them" in str(tracker_error(path))


def test_a_missing_sheet_or_column_is_named(tmp_path):
    def second_sheet(ws):
        ws.title = "Summary"
        ws.parent.create_sheet("Notes")

    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=second_sheet)
    assert "the workbook has 2 sheets (Summary, Notes) and none is named 'Q4'" in str(tracker_error(path))
    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=lambda ws: ws.delete_cols(6))
    assert "missing column(s) ['at_risk']" in str(tracker_error(path))
    # a single sheet is the tracker whatever its name; several are fine when one is named after the quarter
    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", sheet="2021-22 Q4",
                             edit=lambda ws: ws.parent.create_sheet("Notes"))
    assert len(load_delivery(path, PUBLICATION)) == 14


def test_the_tracker_is_the_sheet_excel_shows_never_a_hidden_one(tmp_path):
    """A hidden sheet is never read: a visible 'Tracker' beside a hidden 'Old figures' is the tracker; a hidden (or
    very hidden) sheet named after the quarter, which would be taken for the tracker, is refused, named."""
    def hidden_sheet(name: str, state: str):
        def edit(ws):
            ws.title = "Tracker"
            other = ws.parent.copy_worksheet(ws)
            other.title, other.sheet_state = name, state
            other["D3"] = 100  # figures no one sees
        return edit

    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=hidden_sheet("Old figures", "hidden"))
    frame = load_delivery(path, PUBLICATION)
    assert frame.loc[frame["strand"] == "Rape", "complete"].tolist() == [78]
    for state, said in [("hidden", "is hidden"), ("veryHidden", "is very hidden (Excel's Unhide does not list it)")]:
        path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=hidden_sheet("Q4", state))
        error = tracker_error(path)
        assert f"2021-22-Q4.xlsx: sheet Q4 {said}; a tracker is read from the sheets Excel shows" in str(error)
        assert error.record.rule == "hidden sheets are never read"


@pytest.mark.parametrize("edit, message", [
    (lambda ws: setattr(ws.row_dimensions[7], "hidden", True), "sheet Q4, row 7 is hidden, and a hidden row is "
     "never read; unhide it (select the rows around it, right-click > Unhide) or delete it"),
    (lambda ws: setattr(ws.row_dimensions[16], "hidden", True) or ws.append(["2021-22 Q4", "Knife Crime", 1, 1, 0,
                                                                             0]),
     "sheet Q4, row 16 is hidden"),  # a hidden row below the table: read as one more section
    (lambda ws: setattr(ws.column_dimensions["F"], "hidden", True), "sheet Q4, column F ('at_risk') is hidden, and "
     "a hidden column is never read"),
    (lambda ws: ws.column_dimensions.group("C", "D", hidden=True), "sheet Q4, column C ('total_actions') is hidden"),
    (lambda ws: setattr(ws["D3"], "number_format", ";;;"), "sheet Q4, cell D3: its number format (;;;) hides its "
     "value, and a hidden value is never read; give it a format that shows it (Home > Number > General)")])
def test_hidden_rows_columns_and_values_in_the_table_are_refused_naming_them(tmp_path, edit, message):
    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=edit)
    assert message in str(tracker_error(path))


def test_hidden_rows_and_columns_outside_the_table_are_let_be(tmp_path):
    def edit(ws):
        ws.column_dimensions["H"].hidden = True
        ws.row_dimensions[30].hidden = True

    assert len(load_delivery(workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx", edit=edit),
                             PUBLICATION)) == 14


def test_a_formula_without_a_saved_result_is_named(tmp_path):
    path = workbook_from_csv(TRACKER_CSV, tmp_path / "2021-22-Q4.xlsx",
                             edit=lambda ws: ws.__setitem__("C2", "=D2+E2+F2"))
    assert "sheet Q4, cell C2: the formula =D2+E2+F2 has no saved result" in str(tracker_error(path))


@pytest.mark.parametrize("content, message", [
    (OLE_MAGIC + b"\x00" * 2048, "the workbook is password-protected (encrypted)"),
    (b"quarter,strand\n", "the file is not an Excel workbook (.xlsx), though its name ends in .xlsx")])
def test_an_unreadable_workbook_says_why(tmp_path, content, message):
    path = tmp_path / "2021-22-Q4.xlsx"
    path.write_bytes(content)
    with pytest.raises(InputError, match=re.escape(message)):
        read_raw_table(path)


# --- both kinds through validation (Great Expectations), in one run -------------------------------------------------
@pytest.fixture(scope="module")
def office_report(tmp_path_factory):
    """A copy of the data (crime table cut to Essex) with Word and Excel inputs, some bad, validated once."""
    from strategy_update.inputs.validate import validate_inputs

    project = tmp_path_factory.mktemp("office")
    data = project / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.csv.gz"))
    rows = gzip.decompress((DATA / "raw/home-office/prc-pfa-open-data-tables.csv.gz").read_bytes()).decode()
    keep = [line for i, line in enumerate(rows.split("\n")) if i == 0 or ",Essex," in line]
    (data / "raw/home-office/prc-pfa-open-data-tables.csv.gz").write_bytes(gzip.compress("\n".join(keep).encode()))
    paths = InputPaths(data, PUBLICATIONS, DEFAULT, "essex")
    folder = paths.narrative_folder(QUARTER)
    # a good Word narrative instead of the Markdown
    knife = folder / "knife-crime.md"
    save(docx_from_markdown(knife.read_text(encoding="utf-8")), folder, "Knife Crime.docx")
    knife.unlink()
    # a Word narrative without one of its headings
    hate = folder / "hate-crime.md"
    save(simple_document({"Insights": ["a"], "Delivery achieved": ["b"]}), folder, "Hate Crime.docx")
    hate.unlink()
    # two narrative files for one section
    save(docx_from_markdown((folder / "mental-health.md").read_text(encoding="utf-8")), folder)
    # the tracker as a workbook with text in a count
    workbook_from_csv(paths.delivery(QUARTER), paths.delivery_workbook(QUARTER),
                      edit=lambda ws: ws.__setitem__("C7", "twelve"))
    paths.delivery(QUARTER).with_suffix(".csv").unlink()
    return validate_inputs(paths, "Essex", "2021-22-Q4"), paths


def test_validation_names_the_docx_heading_and_passes_a_good_docx(office_report):
    report, paths = office_report
    folder = f"data/forces/essex/{DEFAULT}/narrative/2021-22-Q4"
    hate = [f for f in report.critical if f.file == f"{folder}/Hate Crime.docx"]
    assert [f.message for f in hate] == ["the heading 'Delivery scheduled' is missing"]
    assert not [f for f in report.findings if f.file == f"{folder}/Knife Crime.docx"]
    assert not [f for f in report.findings if "narrative for strand 'knife-crime' not supplied" in f.message]


def test_validation_names_both_narrative_files_of_one_section(office_report):
    report, _ = office_report
    folder = f"data/forces/essex/{DEFAULT}/narrative/2021-22-Q4"
    (twice,) = [f for f in report.critical if f.rule == "one narrative file per strand"]
    assert f"{folder}/Mental Health.docx" in twice.message and f"{folder}/mental-health.md" in twice.message


def test_validation_of_a_workbook_names_sheet_and_cell(office_report):
    report, _ = office_report
    tracker = f"data/forces/essex/{DEFAULT}/delivery/2021-22-Q4.xlsx"
    (count,) = [f for f in report.critical if f.file == tracker]
    assert count.message == "sheet Q4, cell C7: total_actions 'twelve' for Cybercrime and Fraud is not a whole " \
                            "non-negative number"
    assert count.line is None and count.severity == CRITICAL


def test_a_tracker_supplied_twice_is_an_error_naming_both(office_report, tmp_path):
    from strategy_update.inputs.expectations import _Validation
    from strategy_update.inputs.validate_force_inputs import check_delivery

    _, paths = office_report
    copy = InputPaths(tmp_path / "data", PUBLICATIONS, DEFAULT, "essex")
    shutil.copytree(paths.delivery_folder, copy.delivery_folder)
    shutil.copy(TRACKER_CSV, copy.delivery_folder / TRACKER_CSV.name)
    v = _Validation(copy, "Essex", False)
    check_delivery(v, PUBLICATION, QUARTER)
    (finding,) = v.findings
    assert "is supplied twice" in finding.message and "2021-22-Q4.csv" in finding.message \
        and "2021-22-Q4.xlsx" in finding.message


def test_the_lookup_finds_every_narrative_file_of_a_section(tmp_path):
    """Both files of a section are found (the build names both and stops); Word's lock file is not one of them."""
    paths = InputPaths(tmp_path, PUBLICATIONS, DEFAULT, "essex")
    folder = paths.narrative_folder(QUARTER)
    folder.mkdir(parents=True)
    for name in ["mental-health.md", "Mental Health.docx", "~$ntal Health.docx", "rape.md"]:
        (folder / name).write_bytes(b"x")
    assert [p.name for p in paths.narrative_files(QUARTER, "mental-health", "Mental Health")] == \
        ["Mental Health.docx", "mental-health.md"]
    assert paths.narrative_docx(QUARTER, "Mental Health") == folder / "Mental Health.docx"
    assert paths.delivery(QUARTER).suffix == ".csv"  # no tracker yet: the CSV is where it goes
    paths.delivery_folder.mkdir(parents=True)
    paths.delivery_workbook(QUARTER).write_bytes(b"x")
    assert paths.delivery(QUARTER) == paths.delivery_workbook(QUARTER)  # only the workbook: it is the tracker
