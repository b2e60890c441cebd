"""Loading inputs: CSV tables, the crime table, delivery tracker, narratives and force extracts.

Every bad input must raise InputError, whose message names the file (and the row where there is one); a force
extract that is a readable table is read into facts, and its rules are findings of validate_inputs (file, row,
column, message).
"""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA, DEFAULT, PATHS, PUBLICATIONS
from strategy_update.core.errors import InputError
from strategy_update.core.periods import Quarter, month_number, quarter_of_month
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.narrative import read_narrative
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.readers import (
    CRIME_COLUMNS,
    display_path,
    load_crime,
    load_delivery,
    read_force_extract,
    read_table,
)
from strategy_update.inputs.validate import validate_inputs

DEFAULT_PUBLICATION = load_publication(PATHS)
DELIVERY_COLUMNS = DEFAULT_PUBLICATION.tracker_columns

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
    assert message.startswith("data/raw/crime.csv, line 2")


def test_paths_of_force_inputs_and_publications_shown_from_the_project(tmp_path):
    tracker = tmp_path / "data" / "forces" / "essex" / "crime-prevention-2021-25" / "delivery" / "2021-22-Q4.csv"
    tracker.parent.mkdir(parents=True)
    write(tracker, ",".join(DELIVERY_COLUMNS) + "\n2021-22 Q4,Rape,110,lots,32,0\n")
    message = raises_input_error(load_delivery, tracker, DEFAULT_PUBLICATION)
    assert message.startswith("data/forces/essex/crime-prevention-2021-25/delivery/2021-22-Q4.csv, line 2")
    definition = tmp_path / "publications" / "crime-prevention-2021-25" / "publication.yml"
    assert display_path(definition) == "publications/crime-prevention-2021-25/publication.yml"


# --- bad CSV files --------------------------------------------------------------------------------------------
def test_missing_column_names_file_row_and_column(tmp_path):
    header = ",".join(c for c in CRIME_COLUMNS if c != "Offence Code")
    path = write(tmp_path / "crime.csv", f"{header}\n2021/22,4,Essex,d,g,s,12\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "line 1" in message
    assert "missing column(s) ['Offence Code']" in message


def test_semicolon_delimited_file_rejected(tmp_path):
    path = write(tmp_path / "crime.csv", ";".join(CRIME_COLUMNS) + "\n2021/22;4;Essex;d;g;s;10D;12\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "line 1" in message
    assert "comma-separated" in message


def test_text_in_a_count_names_row_column_and_value(tmp_path):
    path = write(tmp_path / "crime.csv", "\n".join([HEADER, crime_row(), crime_row(count="twelve")]) + "\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "line 3" in message
    assert "column 'Number of Offences'" in message
    assert "'twelve'" in message
    assert "whole number" in message


@pytest.mark.parametrize("count", ["12.5", "", "1e3", "12 crimes"])
def test_count_that_is_not_a_whole_number_rejected(tmp_path, count):
    path = write(tmp_path / "crime.csv", f"{HEADER}\n{crime_row(count=count)}\n")
    assert "line 2" in raises_input_error(load_crime, path)


def test_truncated_row_names_row_and_field_counts(tmp_path):
    truncated = "2021/22,4,Essex,Possession"
    path = write(tmp_path / "crime.csv", "\n".join([HEADER, crime_row(), crime_row(), truncated]) + "\n")
    message = raises_input_error(load_crime, path)
    assert "crime.csv" in message
    assert "line 4" in message
    assert "expected 8 fields, found 4" in message


def test_row_with_extra_field_rejected(tmp_path):
    path = write(tmp_path / "crime.csv", f"{HEADER}\n{crime_row()},extra\n")
    assert "line 2" in raises_input_error(load_crime, path)


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
    assert "nowhere.csv" in message and "the file is missing" in message


def test_corrupt_gzip_rejected(tmp_path):
    path = tmp_path / "crime.csv.gz"
    path.write_bytes(gzip.compress(f"{HEADER}\n{crime_row()}\n".encode())[:20])
    message = raises_input_error(load_crime, path)
    assert "crime.csv.gz" in message and "cannot be read or decompressed" in message


@pytest.mark.parametrize("year, quarter", [("2021/23", "4"), ("2021/22", "5"), ("2021-22", "4")])
def test_bad_financial_year_or_quarter_names_row(tmp_path, year, quarter):
    path = write(tmp_path / "crime.csv", "\n".join([HEADER, crime_row(), crime_row(year=year, quarter=quarter)]) + "\n")
    message = raises_input_error(load_crime, path)
    assert "line 3" in message
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
    frame = load_delivery(path, DEFAULT_PUBLICATION)
    assert frame.iloc[0][["total_actions", "complete", "ongoing", "at_risk"]].tolist() == [22, 13, 9, 0]


def test_load_delivery_text_count_names_row_and_column(tmp_path):
    path = write(tmp_path / "d.csv", ",".join(DELIVERY_COLUMNS)
                 + "\n2021-22 Q4,Knife Crime,22,13,9,0\n2021-22 Q4,Rape,110,lots,32,0\n")
    message = raises_input_error(load_delivery, path, DEFAULT_PUBLICATION)
    assert "d.csv" in message and "line 3" in message and "column 'complete'" in message


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
        raise InputError(e.message, file=e.file, line=e.line, column=e.column, rule=e.rule, value=e.value)
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
    assert "line 1" in message and "front matter" in message


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
    assert "line 2" in message


def test_wrong_strand_row_is_the_line_naming_it(tmp_path):
    text = "---\nquarter: 2021-22-Q4\nstrand: rape\n---\n" + BODY  # strand on line 3
    assert "line 3" in narrative_error(narrative(tmp_path, text))


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
    assert "line 9" in message
    assert "raw HTML tags are not allowed" in message
    assert "<script>" in message


def test_raw_role_rejected(tmp_path):
    body = BODY.replace("rose.", "rose. {raw}`latex \\newpage`")
    message = narrative_error(narrative(tmp_path, FRONT + body))
    assert "line 6" in message  # "## Insights" on line 5, its text on line 6
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
# The reader (read_force_extract) reads a file into one row per line with the facts validation judges; it raises
# only when the file is not a readable table. The rules (period format, numbers, duplicates, gaps, one kind of
# period per file) are Great Expectations checks (expectations/force_extracts.json), run by validate_inputs.
def extract(tmp_path: Path, rows: list[tuple[str, str]], header: str = "period,value",
            name: str = "nte-crimes.csv") -> Path:
    return write(tmp_path / name, header + "\n" + "".join(f"{p},{c}\n" for p, c in rows))


def extract_text(rows: list[tuple[str, str]]) -> str:
    return "period,value\n" + "".join(f"{p},{c}\n" for p, c in rows)


def months(*pairs: tuple[int, int]) -> list[int]:
    return [month_number(year, month) for year, month in pairs]


def test_monthly_extract_facts(tmp_path):
    path = extract(tmp_path, [("2021-12", "5"), ("2022-01", "6"), ("2022-02", "7"), ("2022-03", "8"),
                              ("2022-04", "9")])
    frame = read_force_extract(path)
    assert list(frame["kind"]) == ["month"] * 5
    expected = months((2021, 12), (2022, 1), (2022, 2), (2022, 3), (2022, 4))
    assert list(frame["first_month"]) == expected and list(frame["last_month"]) == expected
    # December is Q3, January-March Q4, April Q1 of the next year
    quarters = [quarter_of_month(m // 12, m % 12 + 1).id for m in frame["first_month"]]
    assert quarters == ["2021-22-Q3", "2021-22-Q4", "2021-22-Q4", "2021-22-Q4", "2022-23-Q1"]
    assert list(frame["number"]) == [5, 6, 7, 8, 9] and set(frame["whole"]) == {"yes"}
    assert list(frame["line"]) == [2, 3, 4, 5, 6]
    assert set(frame["period_error"]) == {""} and set(frame["area"]) == {""} and set(frame["source"]) == {""}
    assert set(frame["file"]) == {display_path(path)} and frame["file"].iloc[0].endswith("nte-crimes.csv")
    assert list(frame["gap_after"]) == [0] * 5
    assert list(frame["next_period"]) == ["2022-01", "2022-02", "2022-03", "2022-04", ""]


def test_extract_rows_keep_their_order_and_lines_and_gaps_follow_the_periods(tmp_path):
    path = extract(tmp_path, [("2021-05", "2"), ("2021-04", "1")])
    frame = read_force_extract(path)
    assert list(frame["period"]) == ["2021-05", "2021-04"]  # as written
    assert list(frame["line"]) == [2, 3]
    # contiguity is judged in period order: April is followed by May, no gap
    assert list(frame["gap_after"]) == [0, 0]
    assert list(frame["next_period"]) == ["", "2021-05"]


def test_quarterly_extract(tmp_path):
    path = extract(tmp_path, [("2021-22-Q3", "30"), ("2021-22-Q4", "40"), ("2022-23-Q1", "50")])
    frame = read_force_extract(path)
    assert list(frame["kind"]) == ["quarter"] * 3
    # each quarter is its three months: Oct-Dec 2021, Jan-Mar 2022, Apr-Jun 2022
    assert list(frame["first_month"]) == months((2021, 10), (2022, 1), (2022, 4))
    assert list(frame["last_month"]) == months((2021, 12), (2022, 3), (2022, 6))
    assert list(frame["number"]) == [30, 40, 50]
    assert list(frame["gap_after"]) == [0, 0, 0]


def test_range_of_months_reads_as_a_range_with_its_months(tmp_path):
    path = extract(tmp_path, [("2018-05/2018-07", "1948,paper"), ("2019-05/2019-07", "1761,paper")],
                   header="period,value,source", name="burglary.csv")
    frame = read_force_extract(path)
    assert list(frame["kind"]) == ["range", "range"]
    assert list(frame["first_month"]) == months((2018, 5), (2019, 5))
    assert list(frame["last_month"]) == months((2018, 7), (2019, 7))
    assert frame.iloc[1][["period", "line"]].tolist() == ["2019-05/2019-07", 3]
    assert list(frame["number"]) == [1948, 1761] and list(frame["source"]) == ["paper", "paper"]
    # ranges are not months or quarters: no gap is reported between them (a year apart, as printed)
    assert list(frame["gap_after"]) == [0, 0]


def test_range_with_optional_area_and_source_columns(tmp_path):
    path = write(tmp_path / "x.csv", 'period,value,area,source\n2019-05/2019-07,46.43,North,"Paper, p. 4"\n'
                 '2019-05/2019-07,40.5,South,"Paper, p. 4"\n')
    frame = read_force_extract(path)
    assert list(frame["area"]) == ["North", "South"] and list(frame["source"]) == ["Paper, p. 4"] * 2
    assert list(frame["number"]) == [46.43, 40.5] and list(frame["whole"]) == ["no", "no"]
    # the same period in two areas is not the same span
    assert frame["span_key"].nunique() == 2


def test_unreadable_values_and_periods_are_facts_not_errors(tmp_path):
    path = extract(tmp_path, [("2021-04", "n/a"), ("2021-13", "2"), ("2021-06", "-3")])
    frame = read_force_extract(path)
    assert pd.isna(frame["number"].iloc[0]) and frame["whole"].iloc[0] == "no"
    assert pd.isna(frame["kind"].iloc[1]) and "month 13 does not exist" in frame["period_error"].iloc[1]
    assert frame["number"].iloc[2] == -3 and frame["whole"].iloc[2] == "yes"


def test_missing_extract_raises_naming_the_file(tmp_path):
    message = raises_input_error(read_force_extract, tmp_path / "none.csv")
    assert "none.csv" in message and "the file is missing" in message


def test_extract_in_the_old_format_is_not_a_readable_extract(tmp_path):
    message = raises_input_error(read_force_extract, extract(tmp_path, [("2021-04", "1")], header="period,count"))
    assert "nte-crimes.csv" in message and "missing column(s) ['value']" in message


def test_extract_that_is_not_comma_separated_raises(tmp_path):
    message = raises_input_error(read_force_extract, write(tmp_path / "nte-crimes.csv", "period;value\n2021-04;1\n"))
    assert "nte-crimes.csv" in message and "comma-separated" in message


# --- force extracts: the rules, judged by validate_inputs on a copy of the data ---------------------------------
@pytest.fixture(scope="module")
def extract_project(tmp_path_factory) -> InputPaths:
    """A copy of data/ (the crime table cut to Essex, so validation is quick) and publications/."""
    project = tmp_path_factory.mktemp("extracts") / "project"
    data = project / "data"
    shutil.copytree(DATA, data, ignore=shutil.ignore_patterns("*.csv.gz"))
    shutil.copytree(PUBLICATIONS, project / "publications")
    crime = "raw/home-office/prc-pfa-open-data-tables.csv.gz"
    rows = gzip.decompress((DATA / crime).read_bytes()).decode().split("\n")
    keep = [rows[0]] + [r for r in rows[1:] if ",Essex," in r]
    (data / crime).write_bytes(gzip.compress("\n".join(keep).encode()))
    paths = InputPaths(data, project / "publications", DEFAULT, "essex")
    for shipped in paths.force_extracts.glob("*.csv"):  # the force's own files: each test supplies its own
        shipped.unlink()
    return paths


def extract_findings(paths: InputPaths, files: dict[str, str]) -> list:
    """The force-extract findings of validate_inputs with ``files`` (measure id -> text) supplied; every other
    suite must pass, so that the findings are about the extracts alone."""
    paths.force_extracts.mkdir(parents=True, exist_ok=True)
    written = [paths.force_extract(measure) for measure in files]
    try:
        for path, text in zip(written, files.values()):
            path.write_text(text, encoding="utf-8")
        report = validate_inputs(paths, "Essex", "2021-22-Q4")
    finally:
        for path in written:
            path.unlink()
    assert [f.message for f in report.critical if f.suite != "force_extracts"] == []
    return [f for f in report.findings if f.suite == "force_extracts"]


def only(findings: list, rule_words: str):
    matching = [f for f in findings if rule_words in f.message]
    assert matching, [f.message for f in findings]
    return matching


def test_valid_extracts_of_each_kind_pass(extract_project):
    findings = extract_findings(extract_project, {
        "nte-crimes": extract_text([("2021-04", "1"), ("2021-05", "2"), ("2021-06", "3")]),
        "prevent-referrals": extract_text([("2021-22-Q1", "4"), ("2021-22-Q2", "5")]),
        "soc-arrests": "period,value,area,source\n2021-04/2021-06,3,,paper\n2021-07/2021-09,4,,paper\n",
    })
    assert findings == []


def test_gap_in_months_rejected_at_row_before_gap(extract_project):
    findings = extract_findings(extract_project, {
        "nte-crimes": extract_text([("2021-04", "1"), ("2021-05", "2"), ("2021-07", "3")])})
    [finding] = findings
    assert finding.severity == "critical" and finding.file.endswith("nte-crimes.csv")
    assert (finding.line, finding.column) == (3, "period")
    assert finding.message == "periods are not contiguous: months are missing between 2021-05 and 2021-07"


def test_gap_in_quarters_rejected(extract_project):
    findings = extract_findings(extract_project, {
        "prevent-referrals": extract_text([("2021-22-Q1", "1"), ("2021-22-Q3", "3")])})
    [finding] = only(findings, "not contiguous")
    assert finding.line == 2 and "between 2021-22-Q1 and 2021-22-Q3" in finding.message


def test_duplicate_period_rejected(extract_project):
    findings = extract_findings(extract_project, {
        "nte-crimes": extract_text([("2021-04", "1"), ("2021-05", "2"), ("2021-05", "3")])})
    duplicates = only(findings, "period 2021-05 appears more than once")
    assert 4 in {f.line for f in duplicates} and {f.column for f in duplicates} == {"period"}
    assert all(f.file.endswith("nte-crimes.csv") for f in duplicates)


def test_same_quarter_in_two_forms_is_a_duplicate(extract_project):
    findings = extract_findings(extract_project, {
        "prevent-referrals": extract_text([("2021-22-Q4", "1"), ("2021/22 Q4", "2")])})
    assert {f.line for f in only(findings, "appears more than once")} >= {3}


def test_mixed_months_and_quarters_rejected(extract_project):
    findings = extract_findings(extract_project, {
        "nte-crimes": extract_text([("2021-22-Q1", "1"), ("2021-07", "2")])})
    [finding] = only(findings, "the file mixes kinds of period (month, quarter)")
    assert finding.file.endswith("nte-crimes.csv") and finding.severity == "critical"


def test_negative_value_rejected(extract_project):
    findings = extract_findings(extract_project, {
        "nte-crimes": extract_text([("2021-04", "1"), ("2021-05", "-2"), ("2021-06", "3")])})
    [finding] = findings
    assert (finding.line, finding.column, str(finding.value)) == (3, "value", "-2")
    assert finding.message == "the value '-2' for 2021-05 is negative"


@pytest.mark.parametrize("period", ["2021-13", "April 2021", "2021-22-Q5"])
def test_unreadable_period_rejected(extract_project, period):
    findings = extract_findings(extract_project, {"nte-crimes": extract_text([("2021-04", "1"), (period, "2")])})
    [finding] = findings
    assert (finding.line, finding.column, finding.value) == (3, "period", period)
    assert f"'{period}'" in finding.message


def test_text_value_in_extract_rejected(extract_project):
    findings = extract_findings(extract_project, {"nte-crimes": extract_text([("2021-04", "n/a")])})
    [finding] = only(findings, "is not a number")
    assert (finding.line, finding.column) == (2, "value")
    assert finding.message == "the value 'n/a' for 2021-04 is not a number"


@pytest.mark.parametrize("value", ["180,26", "18,5", "1,23,456", "1,,234"])
def test_a_comma_that_is_not_a_thousands_separator_is_refused_naming_line_column_and_what_is_accepted(
        extract_project, value):
    """"180,26" was read as 18,026 without a word, and a decimal comma "18,5" as 185."""
    findings = extract_findings(extract_project, {"nte-crimes": extract_text([("2021-04", "1"),
                                                                              ("2021-05", f'"{value}"')])})
    [finding] = only(findings, "is not a number")
    assert (finding.file.endswith("force-extracts/nte-crimes.csv"), finding.line, finding.column, finding.value) == \
        (True, 3, "value", value)
    assert finding.message == (f"the value '{value}' for 2021-05 is not a number; a comma is accepted only between "
                               "groups of three digits, as in 18,026 or 1,234,567 (a decimal is written with a "
                               "point: 18.5)")


def test_well_formed_thousands_separators_are_read(tmp_path):
    path = extract(tmp_path, [("2021-04", '"18,026"'), ("2021-05", '"1,234,567"'), ("2021-06", '"1,234.5"'),
                              ("2021-07", "18026"), ("2021-08", "18.5")])
    assert read_force_extract(path)["number"].tolist() == [18026, 1234567, 1234.5, 18026, 18.5]
    assert read_force_extract(extract(tmp_path, [("2021-04", '"180,26"')]))["number"].isna().all()


@pytest.mark.parametrize("count, read", [('"18,026"', 18026), ('"180,26"', None), ('"18,5"', None)])
def test_the_loaders_read_commas_as_the_extracts_do(tmp_path, count, read):
    path = write(tmp_path / "crime.csv", f"{HEADER}\n{crime_row(count=count)}\n")
    if read is not None:
        assert load_crime(path)["count"].tolist() == [read]
        return
    message = raises_input_error(load_crime, path)
    assert "line 2, column 'Number of Offences': expected a whole number; a comma is accepted only between groups " \
           "of three digits" in message


def test_percent_value_is_accepted_for_a_percent_measure_and_rejected_for_a_count(extract_project):
    text = extract_text([("2021-04", "46.43"), ("2021-05", "47")])
    # mh-incidents counts incidents: a value with decimals is not a count
    findings = extract_findings(extract_project, {"mh-incidents": text})
    [finding] = findings
    assert (finding.line, finding.column) == (2, "value")
    assert finding.message == ("the value '46.43' for 2021-04 is not a whole number, and incidents are counted in "
                               "whole numbers")
    # the same file for a measure whose unit is percent passes
    definition = extract_project.definition
    original = definition.read_text(encoding="utf-8")
    assert original.count("unit: incidents") == 1
    definition.write_text(original.replace("unit: incidents", "unit: percent"), encoding="utf-8")
    try:
        assert extract_findings(extract_project, {"mh-incidents": text}) == []
    finally:
        definition.write_text(original, encoding="utf-8")
