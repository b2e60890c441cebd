"""Workforce measures (Home Office police workforce open data): counts at 31 March, hand-worked on a tiny frame,
then the real file for Essex and every force."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from strategy_update.compute.observations import observations_from_workforce
from strategy_update.compute.stage import snapshot_quarter, workforce_results
from strategy_update.core.errors import InputError
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.readers import WORKFORCE_COLUMNS, load_population, load_workforce
from strategy_update.model.publication import Measure, publication_from_mapping

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
WORKFORCE_FILE = DATA / "raw" / "home-office" / "police-workforce-2007-2023.csv"
COMPARISONS = ["rolling-12-vs-previous-12", "quarter-vs-same-quarter-last-year"]

OFFICERS = {"id": "officers", "name": "Police officers", "source": "workforce", "worker_type": "Police Officer",
            "count": "fte", "unit": "officers (FTE)", "direction": "higher"}
SPECIALS = {"id": "specials", "name": "Special constables", "source": "workforce",
            "worker_type": "Special Constable", "count": "headcount", "unit": "special constables (headcount)",
            "direction": "higher"}


def publication(measures: list[dict], comparisons: list[str] = COMPARISONS):
    raw = {"id": "p", "title": "P", "organisation": "O", "owner_force": "A", "default_quarter": "2021-22-Q4",
           "levels": [{"id": "priority", "name": "Priority", "plural": "Priorities"}], "comparisons": comparisons,
           "sections": [{"id": "s", "name": "S", "measures": measures}]}
    return publication_from_mapping(raw, Path("."), "p.yml")


# Two forces, two years (31 March 2021 and 2022); a PCSO row that no measure counts.
TINY = [  # year, force, worker type, headcount, fte
    (2021, "A", "Police Officer", 1010, 1000.5), (2021, "A", "Special Constable", 100, 0),
    (2022, "A", "Police Officer", 1120, 1100.5), (2022, "A", "Special Constable", 80, 0),
    (2021, "B", "Police Officer", 505, 500.0), (2021, "B", "Special Constable", 50, 0),
    (2022, "B", "Police Officer", 455, 450.0), (2022, "B", "Special Constable", 60, 0),
    (2022, "A", "Police Community Support Officer", 30, 29.5),
]


def write_tiny(path: Path, rows=TINY) -> Path:
    lines = [",".join(WORKFORCE_COLUMNS)] + [
        f"{y},E0,{f},{f},{w},{h},{fte}" for y, f, w, h, fte in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path) -> pd.DataFrame:
    return load_workforce(write_tiny(tmp_path / "workforce.csv"))


@pytest.fixture
def tiny_population() -> pd.DataFrame:
    return pd.DataFrame({"pfa_code": ["a", "b"], "pfa_name": ["A", "B"], "force_name": ["A", "B"],
                         "mid_year": [2022, 2022], "population": [2_000_000, 500_000], "line": [2, 3],
                         "source_file": "pop.csv"})


def figure(results: pd.DataFrame, force: str, measure: str, statistic: str, comparison: str = "") -> pd.Series:
    rows = results[(results["force"] == force) & (results["measure"] == measure)
                   & (results["statistic"] == statistic) & (results["comparison"] == comparison)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


# --- the reader --------------------------------------------------------------------------------------------
def test_reader_keeps_lines_and_converts_numbers(tiny):
    assert list(tiny["line"]) == list(range(2, len(TINY) + 2))
    assert tiny["year"].tolist()[:2] == [2021, 2021]
    assert tiny.loc[0, "fte"] == 1000.5 and tiny.loc[0, "headcount"] == 1010.0


@pytest.mark.parametrize("column, value, rule", [("fte", "n/a", "headcount and FTE are numbers"),
                                                 ("headcount", "", "headcount and FTE are numbers"),
                                                 ("as_at_31_march", "2021/22", "counts are whole numbers")])
def test_reader_names_file_line_column_and_value_of_a_bad_number(tmp_path, column, value, rule):
    path = write_tiny(tmp_path / "workforce.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    fields = lines[3].split(",")  # line 4 of the file
    fields[WORKFORCE_COLUMNS.index(column)] = value
    lines[3] = ",".join(fields)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_workforce(path)
    record = caught.value.record
    assert (record.line, record.column, record.value, record.rule) == (4, column, value, rule)
    assert record.file.endswith("workforce.csv")


def test_reader_reports_a_missing_column(tmp_path):
    path = tmp_path / "workforce.csv"
    path.write_text("as_at_31_march,force_name,worker_type,fte\n2022,A,Police Officer,1\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        load_workforce(path)


# --- observations ---------------------------------------------------------------------------------------------
def test_each_31_march_is_the_observation_of_the_quarter_ending_that_day(tiny):
    pub = publication([OFFICERS, SPECIALS])
    measures = [(s.id, m) for s, m in pub.measures]
    obs, rows = observations_from_workforce(tiny, measures)  # every force at once
    assert sorted(set(obs["force"])) == ["A", "B"]
    a = obs[(obs["force"] == "A") & (obs["measure"] == "officers")]
    assert a["period"].tolist() == ["2020-21-Q4", "2021-22-Q4"]  # Jan-Mar 2021, Jan-Mar 2022
    assert a["value"].tolist() == [1000.5, 1100.5]  # FTE
    specials = obs[(obs["force"] == "A") & (obs["measure"] == "specials")]
    assert specials["value"].tolist() == [100.0, 80.0]  # headcount, not the FTE of 0
    assert (a["last_month"] - a["first_month"]).tolist() == [2, 2]
    assert a["last_month"].tolist() == [2021 * 12 + 2, 2022 * 12 + 2]  # March
    # every observation keeps the line of its row; the PCSO row counts for no measure
    assert sorted(rows["line"]) == list(range(2, 10))


def test_results_compare_31_march_with_a_year_earlier_and_rate_per_1000(tiny, tiny_population):
    pub = publication([OFFICERS, SPECIALS])
    results, _ = workforce_results(pub, "A", parse_quarter("2021-22-Q4"), tiny, tiny_population, forces=["A", "B"])
    same = "quarter-vs-same-quarter-last-year"
    # force A officers: 1,100.5 at 31 March 2022 vs 1,000.5 at 31 March 2021
    current = figure(results, "A", "officers", "current", same)
    assert current["value"] == 1100.5 and current["lines"] == [4]
    assert current["period_label"] == "at 31 March 2022" and current["base_period_label"] == "at 31 March 2021"
    assert figure(results, "A", "officers", "base", same)["value"] == 1000.5
    assert figure(results, "A", "officers", "change", same)["value"] == pytest.approx(100.0)
    assert figure(results, "A", "officers", "pct_change", same)["value"] == pytest.approx(100 / 1000.5 * 100)
    # force B specials (headcount): 60 vs 50, +20%
    assert figure(results, "B", "specials", "change", same)["value"] == 10
    assert figure(results, "B", "specials", "pct_change", same)["value"] == pytest.approx(20.0)
    # rate per 1,000 for the comparison that has a figure: 1,100.5 / 2,000,000 x 1,000 = 0.55025
    rate = figure(results, "A", "officers", "rate_per_1000", same)
    assert rate["value"] == pytest.approx(0.55025) and rate["period_label"] == "at 31 March 2022"
    assert figure(results, "B", "officers", "rate_per_1000", same)["value"] == pytest.approx(450 / 500_000 * 1000)
    assert figure(results, "A", "officers", "population")["value"] == 2_000_000
    # no rate for the 12-month comparison
    assert results[(results["statistic"] == "rate_per_1000")
                   & (results["comparison"] == "rolling-12-vs-previous-12")].empty


def test_a_rolling_12_months_of_a_count_at_31_march_is_na(tiny, tiny_population):
    pub = publication([OFFICERS])
    results, _ = workforce_results(pub, "A", parse_quarter("2021-22-Q4"), tiny, tiny_population)
    for statistic in ["current", "base", "change", "pct_change"]:
        row = figure(results, "A", "officers", statistic, "rolling-12-vs-previous-12")
        assert math.isnan(row["value"]) and row["lines"] == []
        assert "12 months ending" not in row["period_label"]
        assert "not applicable to a count at 31 March" in row["period_label"]
    assert not results["period_label"].str.contains("Q4 2021/22|2021/22 Q4").any()


def test_a_later_quarter_uses_the_latest_31_march_and_after_the_data_is_na(tiny, tiny_population):
    pub = publication([OFFICERS])
    assert snapshot_quarter(parse_quarter("2022-23-Q2")) == parse_quarter("2021-22-Q4")
    assert snapshot_quarter(parse_quarter("2021-22-Q4")) == parse_quarter("2021-22-Q4")
    later, _ = workforce_results(pub, "A", parse_quarter("2022-23-Q3"), tiny, tiny_population)
    same = "quarter-vs-same-quarter-last-year"
    assert figure(later, "A", "officers", "current", same)["value"] == 1100.5
    after, _ = workforce_results(pub, "A", parse_quarter("2022-23-Q4"), tiny, tiny_population)
    current = figure(after, "A", "officers", "current", same)
    assert math.isnan(current["value"]) and current["period_label"] == "at 31 March 2023"
    assert figure(after, "A", "officers", "base", same)["value"] == 1100.5
    assert math.isnan(figure(after, "A", "officers", "rate_per_1000", same)["value"])


def test_definition_rejects_a_workforce_measure_without_a_count():
    with pytest.raises(InputError, match="fte or headcount"):
        publication([{**OFFICERS, "count": "people"}])
    assert publication([OFFICERS]).measures[0][1] == Measure(
        "officers", "Police officers", "workforce", unit="officers (FTE)", direction="higher",
        worker_type="Police Officer", count="fte")


# --- the real file -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real():
    definition = ROOT / "publications" / "police-and-crime-plan" / "publication.yml"
    import yaml

    pub = publication_from_mapping(yaml.safe_load(definition.read_text(encoding="utf-8")), definition.parent,
                                   str(definition))
    population = load_population(sorted((DATA / "raw" / "ons").glob("pfa-population-*.csv")))
    return pub, load_workforce(WORKFORCE_FILE), population


def test_essex_police_officers_fte_31_march_2022_vs_2021(real):
    pub, workforce, population = real
    raw = pd.read_csv(WORKFORCE_FILE)
    essex = raw[(raw["force_name"] == "Essex") & (raw["worker_type"] == "Police Officer")].set_index("as_at_31_march")
    expected_2022, expected_2021 = float(essex.loc[2022, "fte"]), float(essex.loc[2021, "fte"])
    results, _ = workforce_results(pub, "Essex", parse_quarter("2021-22-Q4"), workforce, population)
    same = "quarter-vs-same-quarter-last-year"
    assert figure(results, "Essex", "police-officers", "current", same)["value"] == pytest.approx(expected_2022)
    assert figure(results, "Essex", "police-officers", "base", same)["value"] == pytest.approx(expected_2021)
    assert figure(results, "Essex", "police-officers", "change", same)["value"] == pytest.approx(
        expected_2022 - expected_2021)
    people = population[(population["force_name"] == "Essex") & (population["mid_year"] == 2022)]["population"]
    assert figure(results, "Essex", "police-officers", "rate_per_1000", same)["value"] == pytest.approx(
        expected_2022 / int(people.iloc[0]) * 1000)


def test_every_force_has_all_three_measures_at_31_march_2022(real):
    pub, workforce, population = real
    forces = sorted(set(population["force_name"]))
    assert len(forces) == 43
    results, _ = workforce_results(pub, forces[0], parse_quarter("2021-22-Q4"), workforce, population,
                                   forces=forces)
    current = results[(results["statistic"] == "current")
                      & (results["comparison"] == "quarter-vs-same-quarter-last-year")]
    for measure in ["police-officers", "pcsos", "special-constables"]:
        mine = current[current["measure"] == measure]
        assert sorted(mine["force"]) == forces, measure
        assert mine["value"].notna().all(), measure
