"""Narratives read with real parsers: front matter by PyYAML, body by markdown-it-py, refusals by token type."""

from __future__ import annotations

from pathlib import Path

import pytest

from strategy_update.core.errors import ErrorRecord
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.narrative import Narrative, narrative_frames, read_narrative

ROOT = Path(__file__).resolve().parents[1]
# The real narratives, wherever the data layout keeps them (data/narrative/... or data/forces/.../narrative/...).
REAL = sorted((ROOT / "data" / "forces" / "essex" / "crime-prevention-2021-25").glob("narrative/2021-22-Q4/*.md"))
Q4 = parse_quarter("2021-22-Q4")
HEADINGS = ["Insights", "Delivery achieved", "Delivery scheduled"]
NAME = "data/narrative/2021-22-Q4/knife-crime.md"
# Lines: 1 ---, 2 strand, 3 quarter, 4 ---, 5 ## Insights, 6 text, 7 blank, 8 ## Delivery achieved, 9 text,
# 10 blank, 11 ## Delivery scheduled, 12 text.
FRONT = "---\nstrand: knife-crime\nquarter: 2021-22-Q4\n---\n"
BODY = ("## Insights\nPossession offences rose.\n\n"
        "## Delivery achieved\nWeapons sweeps in Chelmsford.\n\n"
        "## Delivery scheduled\nSchool talks in the summer term.\n")


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "knife-crime.md"
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def read(path: Path, section_id: str = "knife-crime", quarter=Q4) -> tuple[Narrative | None, list[ErrorRecord]]:
    return read_narrative(path, display_name=NAME, key="strand", section_id=section_id, quarter=quarter,
                          headings=HEADINGS)


def only_error(tmp_path: Path, text: str | bytes) -> ErrorRecord:
    narrative, errors = read(write(tmp_path, text))
    assert narrative is None
    assert len(errors) == 1, errors
    assert errors[0].file == NAME and errors[0].severity == "critical"
    return errors[0]


# --- good files ---------------------------------------------------------------------------------------------
def test_valid_narrative_gives_three_sections_with_exact_text(tmp_path):
    body = BODY.replace("Weapons sweeps in Chelmsford.\n", "- Weapons sweeps in *Chelmsford*.\n- Knife arches.\n")
    narrative, errors = read(write(tmp_path, FRONT + body))
    assert errors == []
    assert narrative == Narrative("knife-crime", "2021-22-Q4", {
        "Insights": "Possession offences rose.",
        "Delivery achieved": "- Weapons sweeps in *Chelmsford*.\n- Knife arches.",
        "Delivery scheduled": "School talks in the summer term.",
    }, NAME)


def test_other_quarter_forms_accepted(tmp_path):
    narrative, errors = read(write(tmp_path, FRONT.replace("2021-22-Q4", '"2021/22 Q4"') + BODY))
    assert errors == [] and narrative.quarter == "2021-22-Q4"


def test_windows_line_endings_and_byte_order_mark_accepted(tmp_path):
    narrative, errors = read(write(tmp_path, b"\xef\xbb\xbf" + (FRONT + BODY).replace("\n", "\r\n").encode()))
    assert errors == []
    assert narrative.sections["Delivery scheduled"] == "School talks in the summer term."
    assert narrative.sections["Insights"] == "Possession offences rose."


def test_line_numbers_survive_windows_line_endings_and_byte_order_mark(tmp_path):
    text = (FRONT + BODY.replace("Weapons", "<b>Weapons</b>")).replace("\n", "\r\n")
    error = read(write(tmp_path, b"\xef\xbb\xbf" + text.encode()))[1][0]
    assert error.line == 9


def test_https_and_mailto_links_accepted(tmp_path):
    body = BODY.replace("rose.", "rose ([figures](https://www.gov.uk/x), <mailto:lead@essex.police.uk>).")
    narrative, errors = read(write(tmp_path, FRONT + body))
    assert errors == []
    assert "[figures](https://www.gov.uk/x)" in narrative.sections["Insights"]


@pytest.mark.parametrize("path", REAL, ids=lambda p: p.stem)
def test_every_real_narrative_reads_without_error(path):
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id=path.stem,
                                       quarter=Q4, headings=HEADINGS)
    assert errors == []
    assert set(HEADINGS) <= set(narrative.sections) and all(narrative.sections[h] for h in HEADINGS)


def test_real_narratives_exist():
    assert len(REAL) >= 10


# --- hostile content, refused by token type with the file's line ----------------------------------------------
def test_script_block_refused_on_its_file_line(tmp_path):
    error = only_error(tmp_path, FRONT + BODY.replace("Weapons sweeps", "<script>alert(1)</script> Weapons sweeps"))
    assert error.line == 9
    assert "raw HTML tags are not allowed" in error.message and "plain text and Markdown only" in error.message
    assert "<script>" in error.value


def test_inline_html_inside_a_paragraph_refused_on_its_line(tmp_path):
    body = BODY.replace("Weapons sweeps in Chelmsford.", "Weapons sweeps\nin <i>Chelmsford</i> and Harlow.")
    _, errors = read(write(tmp_path, FRONT + body))
    assert [(e.line, e.value) for e in errors] == [(10, "<i>"), (10, "</i>")]
    assert all("raw HTML tags are not allowed" in e.message for e in errors)


@pytest.mark.parametrize("link, scheme", [("[see](javascript:alert(1))", "javascript"),
                                          ("[see](JavaScript:alert(1))", "javascript"),
                                          ("<javascript:alert(1)>", "javascript"),
                                          ("[see](data:text/html,hello)", "data"),
                                          ("[see](file:///etc/passwd)", "file")])
def test_unsafe_link_schemes_refused(tmp_path, link, scheme):
    error = only_error(tmp_path, FRONT + BODY.replace("rose.", f"rose.\nMore {link} here."))
    assert error.line == 7
    assert f"{scheme}: links are not allowed" in error.message
    assert error.value.lower().startswith(scheme)


def test_relative_link_refused(tmp_path):
    error = only_error(tmp_path, FRONT + BODY.replace("sweeps", "[sweeps](sweeps.html)"))
    assert (error.line, error.value) == (9, "sweeps.html")
    assert "not a full address" in error.message and "https://" in error.message


def test_image_refused(tmp_path):
    error = only_error(tmp_path, FRONT + BODY.replace("rose.", "rose. ![chart](https://example.org/c.png)"))
    assert (error.line, error.value) == (6, "https://example.org/c.png")
    assert "images are not allowed" in error.message


def test_myst_role_refused(tmp_path):
    error = only_error(tmp_path, FRONT + BODY.replace("rose.", "rose. {raw}`<b>x</b>`"))
    assert (error.line, error.value) == (6, "{raw}`<b>x</b>`")
    assert "MyST roles" in error.message


@pytest.mark.parametrize("block, value", [("```{raw} html\n<b>x</b>\n```\n", "```{raw} html"),
                                          ("~~~\ncode\n~~~\n", "~~~"),
                                          ("    indented code\n", "indented code"),
                                          (":::{note}\nA directive.\n:::\n", ":::{note}")])
def test_code_and_directives_refused(tmp_path, block, value):
    error = only_error(tmp_path, FRONT + BODY.replace("Chelmsford.\n", f"Chelmsford.\n\n{block}"))
    assert (error.line, error.value) == (11, value)
    assert "code fences and directives are not allowed" in error.message


# --- front matter -------------------------------------------------------------------------------------------------
def test_missing_front_matter_refused_on_line_1(tmp_path):
    error = only_error(tmp_path, BODY)
    assert error.line == 1 and "must start with front matter" in error.message


def test_invalid_yaml_refused_with_its_line(tmp_path):
    error = only_error(tmp_path, FRONT.replace("2021-22-Q4\n", "2021-22-Q4\n  bad: x\n") + BODY)
    assert error.line == 4
    assert "not valid YAML" in error.message and "'name: value'" in error.message


def test_front_matter_that_is_a_list_refused(tmp_path):
    error = only_error(tmp_path, "---\n- knife-crime\n- 2021-22-Q4\n---\n" + BODY)
    assert error.line == 2 and "not a list of 'name: value' lines" in error.message


def test_front_matter_naming_another_section_refused(tmp_path):
    error = only_error(tmp_path, FRONT.replace("knife-crime", "rape") + BODY)
    assert error.message == "the front matter names strand 'rape' but this file is for 'knife-crime'"
    assert (error.line, error.column, error.value) == (2, "strand", "rape")


def test_wrong_section_line_is_the_line_naming_it(tmp_path):
    error = only_error(tmp_path, "---\nquarter: 2021-22-Q4\nstrand: rape\n---\n" + BODY)
    assert error.line == 3


def test_front_matter_without_the_key_refused(tmp_path):
    error = only_error(tmp_path, "---\nquarter: 2021-22-Q4\n---\n" + BODY)
    assert "does not name the strand" in error.message and error.column == "strand"


def test_front_matter_naming_wrong_quarter_refused(tmp_path):
    error = only_error(tmp_path, FRONT.replace("2021-22-Q4", "2021-22-Q3") + BODY)
    assert error.message == "the front matter names quarter 2021-22-Q3 but this edition is 2021-22-Q4"
    assert (error.line, error.column) == (3, "quarter")


def test_unreadable_quarter_lists_accepted_forms(tmp_path):
    error = only_error(tmp_path, FRONT.replace("2021-22-Q4", "Q4 2021") + BODY)
    assert "Accepted forms: 2021-22-Q4, 2021/22 Q4 or FY2021-22 Q4" in error.message
    assert (error.line, error.column, error.value) == (3, "quarter", "Q4 2021")


# --- sections -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("section", HEADINGS)
def test_missing_section_named(tmp_path, section):
    body = "".join("## " + part for part in BODY.split("## ")[1:] if not part.startswith(section))
    error = only_error(tmp_path, FRONT + body)
    assert error.message == f"the section '## {section}' is missing or empty"
    assert error.value == section


def test_empty_section_refused_on_its_heading_line(tmp_path):
    error = only_error(tmp_path, FRONT + BODY.replace("Weapons sweeps in Chelmsford.", "   "))
    assert error.message == "the section '## Delivery achieved' is missing or empty" and error.line == 8


def test_heading_inside_a_list_does_not_start_a_section(tmp_path):
    narrative, errors = read(write(tmp_path, FRONT + BODY.replace("Weapons", "- item\n  ## Not a section\nWeapons")))
    assert errors == [] and "Not a section" not in narrative.sections


def test_section_given_twice_refused(tmp_path):
    error = only_error(tmp_path, FRONT + BODY + "\n## Insights\nAgain.\n")
    assert error.line == 14 and "appears twice (lines 5 and 14)" in error.message


# --- files ----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["", "  \n\r\n"])
def test_empty_file_refused(tmp_path, text):
    assert only_error(tmp_path, text).message == "the narrative file is empty"


def test_file_not_in_utf8_refused(tmp_path):
    error = only_error(tmp_path, (FRONT + BODY.replace("rose.", "rose in \xe9t\xe9.")).encode("latin-1"))
    assert error.message == "the narrative is not saved as UTF-8 text; save it again as UTF-8"
    assert error.line == 6


def test_missing_file_reported_not_raised(tmp_path):
    narrative, errors = read(tmp_path / "absent.md")
    assert narrative is None and "cannot be opened" in errors[0].message


# --- frames for Great Expectations ------------------------------------------------------------------------------------
def test_narrative_frames_have_the_documented_columns_and_facts(tmp_path):
    body = BODY.replace("rose.", "rose.\nSee [it](https://x.org) <b>now</b>.")
    frames = narrative_frames(write(tmp_path, FRONT + body), display_name=NAME, key="strand")
    assert list(frames["front_matter"].columns) == ["file", "has_front_matter", "named_section", "section_line",
                                                    "named_quarter", "quarter_line", "yaml_error", "yaml_error_line"]
    assert list(frames["tokens"].columns) == ["file", "line", "type", "value", "scheme"]
    assert list(frames["sections"].columns) == ["file", "heading", "line", "empty"]
    assert list(frames["file"].columns) == ["file", "utf8", "bad_line", "empty", "too_large"]
    assert frames["file"].iloc[0]["too_large"] == ""
    front = frames["front_matter"].iloc[0]
    assert (front["has_front_matter"], front["named_section"], front["section_line"]) == ("yes", "knife-crime", 2)
    assert (front["named_quarter"], front["quarter_line"], front["yaml_error"]) == ("2021-22-Q4", 3, "")
    tokens = frames["tokens"]
    link = tokens[tokens["type"] == "link_open"].iloc[0]
    assert (link["line"], link["value"], link["scheme"], link["file"]) == (7, "https://x.org", "https", NAME)
    assert list(tokens.loc[tokens["type"] == "html_inline", "line"]) == [7, 7]
    assert frames["sections"][["heading", "line", "empty"]].values.tolist() == [
        ["Insights", 5, "no"], ["Delivery achieved", 9, "no"], ["Delivery scheduled", 12, "no"]]


def test_narrative_frames_of_a_file_not_in_utf8(tmp_path):
    frames = narrative_frames(write(tmp_path, b"---\n\xff\n"), display_name=NAME, key="strand")
    assert frames["file"].iloc[0][["utf8", "bad_line"]].tolist() == ["no", 2]
    assert frames["front_matter"].empty and frames["tokens"].empty and frames["sections"].empty
