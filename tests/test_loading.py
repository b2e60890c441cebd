"""Loading inputs: CSV tables, the crime table, delivery tracker, narratives and force extracts.

Every bad input must raise InputError, whose message names the file (and the row where there is one).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from strategy_update.core.errors import InputError
from strategy_update.inputs.narrative import read_narrative
from strategy_update.inputs.readers import (
    CRIME_COLUMNS,
    DELIVERY_COLUMNS,
    display_path,
    load_crime,
    load_delivery,
    read_table,
)
from strategy_update.core.periods import Quarter

Q4 = Quarter(2021, 4)
HEADER = ",".join(CRIME_COLUMNS)


def crime_row(year="2021/22", quarter="4", force="Essex", code="10D", count="12") -> str:
    return f"{year},{quarter},{force},Possession of article with blade or point,Possession,Weapons,{code},{count}"


def write(path: Path, text: str) -> Path:
    path.write_bytes(text.encode("utf-8"))
    return path


def raises_input_error(func, *args) -> str:
    with pytest.raises(InputError) as info:
        func(*args)
    return str(info.value)


# --- valid crime table ---------------------------------------------------------------------------------------
@pytest.fixture
def crime_file(tmp_path):
    return write(tmp_path / "crime.csv", "\n".join([
        HEADER,
        crime_row(quarter="3", count="5"),
        crime_row(count='"1,234"'),            # thousands separator inside quotes
        crime_row(force="Kent", count="99"),
        crime_row(year="2020/21", quarter="4", code="19C", count="0"),
    ]) + "\n")


def test_load_crime_reads_counts_as_whole_numbers(crime_file):
    frame = load_crime(crime_file)
    assert list(frame["count"]) == [5, 1234, 99, 0]


def test_load_crime_gives_quarter_ids(crime_file):
    frame = load_crime(crime_file)
    assert list(frame["quarter"]) == ["2021-22-Q3", "2021-22-Q4", "2021-22-Q4", "2020-21-Q4"]


def test_load_crime_keeps_line_numbers(crime_file):
    # header on line 1, data from line 2
    assert list(load_crime(crime_file)["line"]) == [2, 3, 4, 5]


def test_load_crime_filters_force_and_keeps_original_lines(crime_file):
    frame = load_crime(crime_file, force="Essex")
    assert list(frame["Force Name"].unique()) == ["Essex"]
    assert list(frame["line"]) == [2, 3, 5]


def test_load_crime_records_source_file(crime_file):
    assert set(load_crime(crime_file)["source_file"]) == {str(crime_file)}


def test_load_crime_has_columns_measures_need(crime_file):
    frame = load_crime(crime_file)
    for column in ("Offence Code", "quarter", "count", "line", "source_file"):
        assert column in frame.columns


def test_load_crime_from_gzip(tmp_path, crime_file):
    gz = tmp_path / "crime.csv.gz"
    gz.write_bytes(gzip.compress(crime_file.read_bytes()))
    assert list(load_crime(gz)["count"]) == [5, 1234, 99, 0]


def test_byte_order_mark_is_ignored(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\n{crime_row()}\n".encode())
    assert list(load_crime(path)["count"]) == [12]


def test_blank_lines_are_skipped_but_counted(tmp_path):
    path = write(tmp_path / "crime.csv", f"{HEADER}\n\n{crime_row()}\n")
    assert list(load_crime(path)["line"]) == [3]


def test_paths_inside_data_shown_from_data_folder(tmp_path):
    path = tmp_path / "data" / "raw" / "crime.csv"
    path.parent.mkdir(parents=True)
    write(path, f"{HEADER}\n{crime_row(count='many')}\n")
    message = raises_input_error(load_crime, path)
    assert message.startswith("file data/raw/crime.csv, row 2")


def test_paths_of_force_inputs_and_publications_shown_from_the_project(tmp_path):
    tracker = tmp_path / "data" / "forces" / "essex" / "crime-prevention-2021-25" / "delivery" / "2021-22-Q4.csv"
    tracker.parent.mkdir(parents=True)
    write(tracker, ",".join(DELIVERY_COLUMNS) + "\n2021-22 Q4,Rape,110,lots,32,0\n")
    message = raises_input_error(load_delivery, tracker)
    assert message.startswith("file data/forces/essex/crime-prevention-2021-25/delivery/2021-22-Q4.csv, row 2")
    definition = tmp_path / "publications" / "crime-prevention-2021-25" / "publication.yml"
    assert display_path(definition) == "publications/crime-prevention-2021-25/publication.yml"


# --- bad CSV files --------------------------------------------------------------------------------------------
def test_missing_column_names_file_row_and_column(tmp_path):
    header = ",".join(c for c in CRIME_COLUMNS if c != "Offence Code")
    path = write(tmp_path / "crime.csv", f"{header}\n2021/22,4,Essex,d,g,s,12\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "row 1" in message
    assert "missing column(s) ['Offence Code']" in message


def test_semicolon_delimited_file_rejected(tmp_path):
    path = write(tmp_path / "crime.csv", ";".join(CRIME_COLUMNS) + "\n2021/22;4;Essex;d;g;s;10D;12\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "row 1" in message
    assert "comma-separated" in message


def test_text_in_a_count_names_row_column_and_value(tmp_path):
    path = write(tmp_path / "crime.csv", "\n".join([HEADER, crime_row(), crime_row(count="twelve")]) + "\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "row 3" in message
    assert "column 'Number of Offences'" in message
    assert "'twelve'" in message
    assert "whole number" in message


@pytest.mark.parametrize("count", ["12.5", "", "1e3", "12 crimes"])
def test_count_that_is_not_a_whole_number_rejected(tmp_path, count):
    path = write(tmp_path / "crime.csv", f"{HEADER}\n{crime_row(count=count)}\n")
    assert "row 2" in raises_input_error(load_crime, path)


def test_truncated_row_names_row_and_field_counts(tmp_path):
    truncated = "2021/22,4,Essex,Possession"
    path = write(tmp_path / "crime.csv", "\n".join([HEADER, crime_row(), crime_row(), truncated]) + "\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "row 4" in message
    assert "expected 8 fields, found 4" in message


def test_row_with_extra_field_rejected(tmp_path):
    path = write(tmp_path / "crime.csv", f"{HEADER}\n{crime_row()},extra\n")
    assert "row 2" in raises_input_error(load_crime, path)


def test_non_utf8_bytes_rejected_naming_file(tmp_path):
    path = tmp_path / "crime.csv"
    # "Sécurité" saved as Latin-1: 0xe9 is not valid UTF-8
    path.write_bytes(f"{HEADER}\n".encode() + crime_row(force="S\xe9curit\xe9").encode("latin-1") + b"\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "not UTF-8" in message


def test_empty_file_rejected(tmp_path):
    path = write(tmp_path / "crime.csv", "")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message and "empty" in message


def test_missing_file_rejected(tmp_path):
    message = raises_input_error(load_crime, tmp_path / "nowhere.csv")
    assert "nowhere.csv" in message and "not found" in message


def test_corrupt_gzip_rejected(tmp_path):
    path = tmp_path / "crime.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{crime_row()}\n".encode())[:20])
    message = raises_input_error(load_crime, path)
    assert "crime.csv.gz" in message and "cannot read" in message


@pytest.mark.parametrize("year, quarter", [("2021/23", "4"), ("2021/22", "5"), ("2021-22", "4")])
def test_bad_financial_year_or_quarter_names_row(tmp_path, year, quarter):
    path = write(tmp_path / "crime.csv", "\n".join([HEADER, crime_row(), crime_row(year=year, quarter=quarter)]) + "\n")
    message = raises_input_error(load_crime, path)
    assert "row 3" in message
    assert f"{year} Q{quarter}" in message


def test_read_table_keeps_only_expected_columns_plus_line(tmp_path):
    path = write(tmp_path / "t.csv", "b,extra,a\n2,x,1\n")
    frame = read_table(path, ["a", "b"])
    assert list(frame.columns) == ["a", "b", "line"]
    assert frame.iloc[0].to_dict() == {"a": "1", "b": "2", "line": 2}


def test_read_table_strips_header_spaces(tmp_path):
    path = write(tmp_path / "t.csv", " a , b \n1,2\n")
    assert list(read_table(path, ["a", "b"])["a"]) == ["1"]


# --- delivery tracker -------------------------------------------------------------------------------------------
def test_load_delivery_converts_counts(tmp_path):
    path = write(tmp_path / "d.csv", ",".join(DELIVERY_COLUMNS) + "\n2021-22 Q4,Knife Crime,22,13,9,0\n")
    frame = load_delivery(path)
    assert frame.iloc[0][["total_actions", "complete", "ongoing", "at_risk"]].tolist() == [22, 13, 9, 0]


def test_load_delivery_text_count_names_row_and_column(tmp_path):
    path = write(tmp_path / "d.csv", ",".join(DELIVERY_COLUMNS)
                 + "\n2021-22 Q4,Knife Crime,22,13,9,0\n2021-22 Q4,Rape,110,lots,32,0\n")
    message = raises_input_error(load_delivery, path)
    assert "d.csv" in message and "row 3" in message and "column 'complete'" in message


# --- narrative --------------------------------------------------------------------------------------------------
FRONT = "---\nstrand: knife-crime\nquarter: 2021-22-Q4\n---\n"
BODY = ("## Insights\nPossession offences rose.\n\n"
        "## Delivery achieved\nWeapons sweeps in Chelmsford.\n\n"
        "## Delivery scheduled\nSchool talks in the summer term.\n")


HEADINGS = ["Insights", "Delivery achieved", "Delivery scheduled"]  # the default publication's narrative


def narrative(tmp_path: Path, text: str) -> Path:
    return write(tmp_path / "knife-crime.md", text)


def parse_narrative(path: Path, strand_id: str, quarter: Quarter):
    """A narrative as an edition reads it: the first problem becomes an InputError naming file and row."""
    result, errors = read_narrative(path, display_name=display_path(path), key="strand", section_id=strand_id,
                                    quarter=quarter, headings=HEADINGS)
    if errors:
        e = errors[0]
        raise InputError(e.message, file=e.file, row=e.line, column=e.column, rule=e.rule, value=e.value)
    return result


def narrative_error(path: Path) -> str:
    return raises_input_error(parse_narrative, path, "knife-crime", Q4)


def test_valid_narrative_has_three_sections(tmp_path):
    result = parse_narrative(narrative(tmp_path, FRONT + BODY), "knife-crime", Q4)
    assert result.sections == {
        "Insights": "Possession offences rose.",
        "Delivery achieved": "Weapons sweeps in Chelmsford.",
        "Delivery scheduled": "School talks in the summer term.",
    }
    assert (result.section_id, result.quarter) == ("knife-crime", "2021-22-Q4")


def test_narrative_front_matter_may_use_other_quarter_forms(tmp_path):
    text = FRONT.replace("2021-22-Q4", '"2021/22 Q4"') + BODY
    assert parse_narrative(narrative(tmp_path, text), "knife-crime", Q4).quarter == "2021-22-Q4"


def test_narrative_with_windows_line_endings(tmp_path):
    text = (FRONT + BODY).replace("\n", "\r\n")
    result = parse_narrative(narrative(tmp_path, text), "knife-crime", Q4)
    assert result.sections["Delivery scheduled"] == "School talks in the summer term."


def test_empty_narrative_rejected(tmp_path):
    message = narrative_error(narrative(tmp_path, "  \n\n"))
    assert "knife-crime.md" in message and "empty" in message


def test_narrative_without_front_matter_rejected(tmp_path):
    message = narrative_error(narrative(tmp_path, BODY))
    assert "row 1" in message and "front matter" in message


@pytest.mark.parametrize("section", ["Insights", "Delivery achieved", "Delivery scheduled"])
def test_missing_section_named_in_message(tmp_path, section):
    parts = BODY.split("## ")[1:]
    body = "".join("## " + p for p in parts if not p.startswith(section))
    message = narrative_error(narrative(tmp_path, FRONT + body))
    assert "knife-crime.md" in message
    assert f"'## {section}' is missing or empty" in message


def test_empty_section_rejected(tmp_path):
    body = BODY.replace("Possession offences rose.", "   ")
    assert "'## Insights' is missing or empty" in narrative_error(narrative(tmp_path, FRONT + body))


def test_front_matter_naming_another_strand_rejected(tmp_path):
    message = narrative_error(narrative(tmp_path, FRONT.replace("knife-crime", "rape") + BODY))
    assert "knife-crime.md" in message
    assert "names strand 'rape' but this file is for 'knife-crime'" in message
    assert "row 2" in message


def test_wrong_strand_row_is_the_line_naming_it(tmp_path):
    text = "---\nquarter: 2021-22-Q4\nstrand: rape\n---\n" + BODY  # strand on line 3
    assert "row 3" in narrative_error(narrative(tmp_path, text))


def test_front_matter_naming_wrong_quarter_rejected(tmp_path):
    message = narrative_error(narrative(tmp_path, FRONT.replace("2021-22-Q4", "2021-22-Q3") + BODY))
    assert "knife-crime.md" in message
    assert "names quarter 2021-22-Q3 but this edition is 2021-22-Q4" in message


def test_front_matter_with_malformed_quarter_lists_accepted_forms(tmp_path):
    message = narrative_error(narrative(tmp_path, FRONT.replace("2021-22-Q4", "Q4 2021") + BODY))
    assert "Accepted forms: 2021-22-Q4, 2021/22 Q4 or FY2021-22 Q4" in message


def test_script_tag_rejected_with_row(tmp_path):
    body = BODY.replace("Weapons sweeps", "<script>alert(1)</script> Weapons sweeps")
    message = narrative_error(narrative(tmp_path, FRONT + body))
    # front matter is lines 1-4; "## Delivery achieved" line 8; its text on line 9
    assert "knife-crime.md" in message
    assert "row 9" in message
    assert "raw HTML tags are not allowed" in message
    assert "<script>" in message


def test_raw_role_rejected(tmp_path):
    body = BODY.replace("rose.", "rose. {raw}`latex \\newpage`")
    message = narrative_error(narrative(tmp_path, FRONT + body))
    assert "row 6" in message  # "## Insights" on line 5, its text on line 6
    assert "MyST roles" in message


def test_code_fence_rejected(tmp_path):
    body = BODY + "```{raw} html\nx\n```\n"
    assert "code fences and directives are not allowed" in narrative_error(narrative(tmp_path, FRONT + body))


def test_javascript_link_rejected(tmp_path):
    body = BODY.replace("rose.", "rose. [see](JavaScript:alert(1))")
    assert "javascript: links are not allowed" in narrative_error(narrative(tmp_path, FRONT + body))


def test_narrative_not_utf8_rejected(tmp_path):
    path = tmp_path / "knife-crime.md"
    path.write_bytes((FRONT + BODY.replace("rose.", "rose in Southend-on-Sea \xe9t\xe9.")).encode("latin-1"))
    message = narrative_error(path)
    assert "knife-crime.md" in message and "UTF-8" in message


# --- force extracts ----------------------------------------------------------------------------------------------
def load_force_extract(path: Path, measure_id: str):
    """The edition's reader of a force extract (imported here so that the rest of the module runs without it)."""
    from strategy_update.inputs.readers import load_force_extract as load

    return load(path, measure_id)


def extract(tmp_path: Path, rows: list[tuple[str, str]]) -> Path:
    return write(tmp_path / "nte-crimes.csv", "period,count\n" + "".join(f"{p},{c}\n" for p, c in rows))


def extract_error(path: Path) -> str:
    return raises_input_error(load_force_extract, path, "nte-crimes")


def test_monthly_extract_assigns_financial_quarters(tmp_path):
    path = extract(tmp_path, [("2021-12", "5"), ("2022-01", "6"), ("2022-02", "7"), ("2022-03", "8"),
                              ("2022-04", "9")])
    result = load_force_extract(path, "nte-crimes")
    assert result.granularity == "month"
    # December is Q3, January-March Q4, April Q1 of the next year
    assert list(result.native["quarter"]) == ["2021-22-Q3", "2021-22-Q4", "2021-22-Q4", "2021-22-Q4", "2022-23-Q1"]
    assert list(result.native["count"]) == [5, 6, 7, 8, 9]


def test_monthly_extract_is_sorted_by_period_keeping_lines(tmp_path):
    path = extract(tmp_path, [("2021-05", "2"), ("2021-04", "1")])
    native = load_force_extract(path, "nte-crimes").native
    assert list(native["period"]) == ["2021-04", "2021-05"]
    assert list(native["line"]) == [3, 2]


def test_quarterly_extract(tmp_path):
    path = extract(tmp_path, [("2021-22-Q3", "30"), ("2021-22-Q4", "40"), ("2022-23-Q1", "50")])
    result = load_force_extract(path, "nte-crimes")
    assert result.granularity == "quarter"
    assert list(result.native["quarter"]) == ["2021-22-Q3", "2021-22-Q4", "2022-23-Q1"]
    assert list(result.native["count"]) == [30, 40, 50]
    assert result.measure_id == "nte-crimes"


def test_missing_extract_is_none(tmp_path):
    assert load_force_extract(tmp_path / "none.csv", "nte-crimes") is None


def test_gap_in_months_rejected_at_row_before_gap(tmp_path):
    path = extract(tmp_path, [("2021-04", "1"), ("2021-05", "2"), ("2021-07", "3")])
    message = extract_error(path)
    assert "nte-crimes.csv" in message and "row 3" in message and "not contiguous" in message


def test_gap_in_quarters_rejected(tmp_path):
    path = extract(tmp_path, [("2021-22-Q1", "1"), ("2021-22-Q3", "3")])
    assert "not contiguous" in extract_error(path)


def test_duplicate_period_rejected(tmp_path):
    path = extract(tmp_path, [("2021-04", "1"), ("2021-05", "2"), ("2021-05", "3")])
    message = extract_error(path)
    assert "row 4" in message and "duplicate period" in message and "'2021-05'" in message


def test_same_quarter_in_two_forms_is_a_duplicate(tmp_path):
    path = extract(tmp_path, [("2021-22-Q4", "1"), ("2021/22 Q4", "2")])
    assert "duplicate period" in extract_error(path)


def test_mixed_months_and_quarters_rejected(tmp_path):
    path = extract(tmp_path, [("2021-22-Q1", "1"), ("2021-07", "2")])
    message = extract_error(path)
    assert "nte-crimes.csv" in message and "mixes months and quarters" in message


def test_negative_count_rejected(tmp_path):
    path = extract(tmp_path, [("2021-04", "1"), ("2021-05", "-2"), ("2021-06", "3")])
    message = extract_error(path)
    assert "row 3" in message and "negative count" in message and "(value: -2)" in message


@pytest.mark.parametrize("period", ["2021-13", "April 2021", "2021-22-Q5"])
def test_unreadable_period_rejected(tmp_path, period):
    message = extract_error(extract(tmp_path, [("2021-04", "1"), (period, "2")]))
    assert "row 3" in message and "column 'period'" in message


def test_text_count_in_extract_rejected(tmp_path):
    message = extract_error(extract(tmp_path, [("2021-04", "n/a")]))
    assert "row 2" in message and "column 'count'" in message
