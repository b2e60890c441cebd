"""The tidy results table: the old code's figures reproduced, comparison rules by hand, tiling, forces, Parquet."""

from __future__ import annotations

import ast
import csv
import math
from pathlib import Path

import pandas as pd
import pytest
import yaml

from strategy_update.compute.comparisons import COMPARISONS, STANDARD, Span, month_index, parse_span, resolve_spans
from strategy_update.compute.observations import observations_from_crime
from strategy_update.compute.results import COLUMNS, compute_results, delivery_results, read_results, write_results
from strategy_update.core.periods import Quarter, parse_quarter
from strategy_update.inputs.readers import load_crime, load_delivery, load_population
from strategy_update.model.publication import Measure, publication_from_mapping

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
DEFINITION = ROOT / "publications" / "crime-prevention-2021-25" / "publication.yml"
DELIVERY = DATA / "forces" / "essex" / "crime-prevention-2021-25" / "delivery" / "2021-22-Q4.csv"
GOLDEN = ROOT / "tests" / "golden" / "pre-redesign-figures.csv"
# The control charts' limits and signals as Making Data Count draws them (limits from the first 12 quarters,
# outlying moving ranges screened out; issue 11). The pre-redesign figures took the limits from all 20 quarters,
# so their SPC limits and signals no longer apply; their series points still do.
SPC_GOLDEN = ROOT / "tests" / "golden" / "spc-making-data-count.csv"
SPC_SUMMARY = ("spc_mean", "spc_mean_moving_range", "spc_upper", "spc_lower")
BASELINE_END = Quarter(2019, 4)


# --- real data, loaded once ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def publication():
    raw = yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))
    return publication_from_mapping(raw, DEFINITION.parent, str(DEFINITION))


@pytest.fixture(scope="module")
def measures(publication):
    return [(section.id, measure) for section, measure in publication.measures]


@pytest.fixture(scope="module")
def crime():
    return load_crime(DATA / "raw" / "home-office" / "prc-pfa-open-data-tables.csv.gz")


@pytest.fixture(scope="module")
def population():
    return load_population(sorted((DATA / "raw" / "ons").glob("pfa-population-*.csv")))


@pytest.fixture(scope="module")
def all_forces_inputs(crime, measures):
    return observations_from_crime(crime, measures, None)


def results_for(inputs, population, quarter: str, forces: list[str]) -> pd.DataFrame:
    observations, input_rows = inputs
    return compute_results(observations, input_rows, population, publication_id="crime-prevention-2021-25",
                           quarter=parse_quarter(quarter), comparisons=STANDARD, baseline_end=BASELINE_END,
                           history_quarters=20, forces=forces)


# --- golden: every figure the old code recorded ----------------------------------------------------------
GOLDEN_TOTALS = {"delivery_totals_total": "delivery_total_total",
                 "delivery_totals_complete": "delivery_total_complete",
                 "delivery_totals_ongoing": "delivery_total_ongoing",
                 "delivery_totals_at_risk": "delivery_total_at_risk",
                 "delivery_totals_strands_reported": "delivery_sections_reported",
                 "delivery_totals_strands": "delivery_sections",
                 "delivery_totals_strands_at_risk": "delivery_sections_at_risk"}


def golden_rows() -> list[dict]:
    with GOLDEN.open(encoding="utf-8", newline="") as f:
        return [{**row, "value": ast.literal_eval(row["value"])} for row in csv.DictReader(f)]


def same_number(got: float, expected) -> bool:
    if expected is None:
        return math.isnan(got)
    return math.isclose(got, float(expected), rel_tol=1e-9, abs_tol=0.0)


def one(frame: pd.DataFrame, **where) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    found = frame[mask]
    assert len(found) == 1, f"{len(found)} rows for {where}"
    return found.iloc[0]


def check_golden_row(results: pd.DataFrame, g: dict) -> None:
    statistic, name, expected = g["statistic"], g["name"], g["value"]
    rows = results[results["measure"] == g["measure"]]
    if statistic in ("current", "base", "change", "pct_change"):
        assert same_number(one(rows, statistic=statistic, comparison=name)["value"], expected), g
    elif statistic in ("current_quarters", "base_quarters"):
        row = one(rows, statistic="current", comparison=name)
        period = row["period"] if statistic == "current_quarters" else row["base_period"]
        assert " ".join(q.id for q in parse_span(period).quarters()) == expected, g
    elif statistic == "quarterly":
        assert same_number(one(rows, statistic="series", period=name)["value"], expected), g
    elif statistic == "population":
        assert same_number(one(rows, statistic="population", period=f"mid-{name}")["value"], expected), g
    elif statistic == "spc_point":
        assert same_number(one(rows, statistic="spc_signal", period_label=name)["value"], expected), g
    elif statistic == "spc_signals":
        assert one(rows, statistic="spc_signal", period_label=name)["text"] == expected, g
    else:  # rate_per_1000 and the spc_ summary statistics
        assert same_number(one(rows, statistic=statistic)["value"], expected), g


def spc_golden_rows(quarter: str) -> list[dict]:
    with SPC_GOLDEN.open(encoding="utf-8", newline="") as f:
        return [row for row in csv.DictReader(f) if row["quarter"] == quarter]


def spc_golden_frame(results: pd.DataFrame, quarter: str) -> list[dict]:
    """The SPC rows of ``results`` as SPC_GOLDEN holds them (values to 6 decimal places, as text)."""
    rows = results[results["statistic"].isin(SPC_SUMMARY + ("spc_signal",))]
    return [{"quarter": quarter, "section": r.section, "measure": r.measure, "statistic": r.statistic,
             "period": r.period_label, "baseline": r.base_period_label, "value": f"{r.value:.6f}", "text": r.text}
            for r in rows.itertuples()]


@pytest.mark.parametrize("quarter", ["2021-22-Q4", "2023-24-Q2"])
def test_golden_home_office_figures(all_forces_inputs, population, quarter):
    golden = [g for g in golden_rows() if g["quarter"] == quarter and g["measure"]]
    assert golden
    results = results_for(all_forces_inputs, population, quarter, ["Essex"])
    for g in golden:
        if g["statistic"] not in SPC_SUMMARY + ("spc_signals",):  # see SPC_GOLDEN
            check_golden_row(results, g)
    assert spc_golden_frame(results, quarter) == spc_golden_rows(quarter)
    # Nothing more than the old figures either: as many chart points and comparison figures per measure.
    kinds = {"quarterly": "series", "spc_point": "spc_signal"}
    expected = pd.Series([kinds.get(g["statistic"], g["statistic"]) for g in golden
                          if not g["statistic"].endswith("_quarters") and g["statistic"] != "spc_signals"])
    assert sorted(results["statistic"]) == sorted(expected)
    assert set(results["section"] + "/" + results["measure"]) == {f"{g['section']}/{g['measure']}" for g in golden}


def test_rape_control_chart_limits_by_hand(all_forces_inputs, population):
    # Essex rape offences, 2017/18 Q1 to 2019/20 Q4 (the baseline: the first 12 of the 20 quarters to 2021/22 Q4):
    # 346 340 366 328 416 381 448 454 536 563 519 560, sum 5,257 -> mean 438.083; moving ranges 6 26 38 88 35 67
    # 6 82 27 44 41, sum 460 -> 41.818 (none above 3.267 x 41.818 = 136.6); limits 438.083 +/- 111.236.
    results = results_for(all_forces_inputs, population, "2021-22-Q4", ["Essex"])
    rape = results[results["measure"] == "rape-offences"]
    assert one(rape, statistic="spc_mean")["value"] == pytest.approx(5257 / 12)
    assert one(rape, statistic="spc_mean_moving_range")["value"] == pytest.approx(460 / 11)
    assert one(rape, statistic="spc_upper")["value"] == pytest.approx(5257 / 12 + 2.66 * 460 / 11)
    assert one(rape, statistic="spc_mean")["base_period_label"] == "2017/18 Q1 to 2019/20 Q4"
    # 2021/22 Q4 (684) is above the upper limit (549.3) and the 8th quarter in a row above the mean
    assert one(rape, statistic="spc_signal", period_label="2021/22 Q4")["text"] == "outside:high;shift:high"


def test_golden_delivery(publication):
    golden = [g for g in golden_rows() if not g["measure"]]
    results = delivery_results(load_delivery(DELIVERY, publication), publication, "Essex")
    assert len(results) == len(golden)
    for g in golden:
        statistic = GOLDEN_TOTALS.get(g["statistic"], g["statistic"])
        row = one(results, section=g["section"], statistic=statistic)
        assert row["value"] == g["value"], g
    knife = one(results, section="knife-crime", statistic="delivery_total")
    assert knife["lines"] == [2] and knife["period"] == "2021-22-Q4"
    assert one(results, section="", statistic="delivery_total_total")["lines"] == list(range(2, 16))


# --- comparison rules, worked by hand ----------------------------------------------------------------
def spans_of(name: str, quarter: str, baseline: Quarter | None = BASELINE_END, last: int | None = None):
    pair = COMPARISONS[name](parse_quarter(quarter), baseline, last)
    return pair.current.id, pair.current_label, pair.base.id, pair.base_label


def test_rolling_year_vs_previous():
    assert spans_of("rolling-12-vs-previous-12", "2021-22-Q4") == (
        "2021-04/2022-03", "12 months ending March 2022", "2020-04/2021-03", "12 months ending March 2021")


def test_rolling_year_vs_baseline():
    assert spans_of("rolling-12-vs-baseline", "2021-22-Q4") == (
        "2021-04/2022-03", "12 months ending March 2022", "2019-04/2020-03", "12 months ending March 2020")
    assert COMPARISONS["rolling-12-vs-baseline"](Quarter(2021, 4), None, None) is None


def test_quarter_comparisons():
    assert spans_of("quarter-vs-previous-quarter", "2021-22-Q4") == (
        "2021-22-Q4", "Q4 2021/22", "2021-22-Q3", "Q3 2021/22")
    assert spans_of("quarter-vs-same-quarter-last-year", "2021-22-Q4") == (
        "2021-22-Q4", "Q4 2021/22", "2020-21-Q4", "Q4 2020/21")
    # Q1 follows Q4 of the previous financial year.
    assert spans_of("quarter-vs-previous-quarter", "2022-23-Q1")[2:] == ("2021-22-Q4", "Q4 2021/22")


def test_three_months_monthly_data_ending_july_2019():
    july = month_index(2019, 7)
    assert spans_of("three-months-vs-year-earlier", "2019-20-Q2", None, july) == (
        "2019-05/2019-07", "3 months to July 2019", "2018-05/2018-07", "3 months to July 2018")


def test_three_months_quarterly_data():
    expected = ("2019-20-Q2", "3 months to September 2019", "2018-19-Q2", "3 months to September 2018")
    assert spans_of("three-months-vs-year-earlier", "2019-20-Q2", None, month_index(2019, 9)) == expected
    assert spans_of("three-months-vs-year-earlier", "2019-20-Q2", None, None) == expected
    # Data past the edition does not move the comparison beyond the edition's last month.
    assert spans_of("three-months-vs-year-earlier", "2019-20-Q2", None, month_index(2019, 12)) == expected


@pytest.mark.parametrize("quarter, labels", [
    ("2021-22-Q4", [("12 months ending March 2022", "12 months ending March 2021"),
                    ("12 months ending March 2022", "12 months ending March 2020"),
                    ("Q4 2021/22", "Q3 2021/22"), ("Q4 2021/22", "Q4 2020/21")]),
    ("2023-24-Q2", [("12 months ending September 2023", "12 months ending September 2022"),
                    ("12 months ending September 2023", "12 months ending March 2020"),
                    ("Q2 2023/24", "Q1 2023/24"), ("Q2 2023/24", "Q2 2022/23")]),
])
def test_labels_of_the_four_standard_comparisons(quarter, labels):
    q = parse_quarter(quarter)
    assert [(p.current_label, p.base_label) for p in (COMPARISONS[n](q, BASELINE_END, None) for n in STANDARD)] \
        == labels
    year = COMPARISONS["rolling-12-vs-previous-12"](q, BASELINE_END, None)
    assert [x.id for x in year.current.quarters()] == [q.shift(k).id for k in range(-3, 1)]
    assert [x.id for x in year.base.quarters()] == [q.shift(k).id for k in range(-7, -3)]


# --- observations from the Home Office rows (hand-worked) ---------------------------------------------------
def crime_rows(rows: list[tuple[str, str, int]], force: str = "F") -> pd.DataFrame:
    """Rows shaped like load_crime's: (Offence Code, quarter, count), with line and source file."""
    return pd.DataFrame({"Force Name": force, "Offence Code": [r[0] for r in rows], "quarter": [r[1] for r in rows],
                         "count": [r[2] for r in rows], "line": list(range(2, len(rows) + 2)),
                         "source_file": "test.csv"})


RAPE = Measure(id="rape", name="Rape", source="home_office", offence_codes=("19C", "19D"))


def test_observations_sum_a_measures_codes_per_quarter_and_keep_their_lines():
    crime = crime_rows([("19C", "2021-22-Q1", 2), ("19C", "2021-22-Q4", 3), ("19D", "2021-22-Q4", 4),
                        ("10D", "2021-22-Q4", 100), ("10D", "2021-22-Q2", 50)])
    obs, rows = observations_from_crime(crime, [("s", RAPE)])
    assert dict(zip(obs["period"], obs["value"])) == {"2021-22-Q1": 2.0, "2021-22-Q4": 7.0}
    # No row of the measure's codes in Q2 (only another code's): missing, never 0.
    assert "2021-22-Q2" not in set(obs["period"])
    assert sorted(rows[rows["period"] == "2021-22-Q4"]["line"]) == [3, 4]


def test_a_recorded_zero_stays_zero_and_series_start_drops_earlier_quarters():
    crime = crime_rows([("19C", "2020-21-Q4", 5), ("19C", "2021-22-Q4", 0)])
    later = Measure(id="rape", name="Rape", source="home_office", offence_codes=("19C",),
                    series_start=parse_quarter("2021-22-Q1"))
    obs, _ = observations_from_crime(crime, [("s", later)])
    assert dict(zip(obs["period"], obs["value"])) == {"2021-22-Q4": 0.0}


def test_span_ids_round_trip():
    for text in ["2021-22-Q4", "2019-07", "2021-04/2022-03", "2019-05/2019-07"]:
        assert parse_span(text).id == text
    assert parse_span("2021-22-Q4") == Span(month_index(2022, 1), month_index(2022, 3))
    assert Span(month_index(2022, 1), month_index(2022, 3)).label == "2021/22 Q4"
    assert Span(month_index(2019, 7), month_index(2019, 7)).label == "Jul 2019"


# --- tiling: a span's value from observations over other spans ---------------------------------------------
def observations(*periods: tuple[str, float]) -> pd.DataFrame:
    spans = [parse_span(p) for p, _ in periods]
    return pd.DataFrame({"force": "F", "section": "s", "measure": "m", "period": [p for p, _ in periods],
                         "first_month": [s.first_month for s in spans], "last_month": [s.last_month for s in spans],
                         "value": [float(v) for _, v in periods], "source_file": "extract.csv", "area": ""})


def value_of(obs: pd.DataFrame, span: str) -> tuple[float, tuple]:
    s = parse_span(span)
    target = pd.DataFrame({"force": ["F"], "section": ["s"], "measure": ["m"], "first_month": [s.first_month],
                           "last_month": [s.last_month]})
    row = resolve_spans(obs, target, ["force", "section", "measure"]).iloc[0]
    return row["value"], row["used"]


def test_months_sum_to_their_quarter():
    obs = observations(("2021-12", 1), ("2022-01", 10), ("2022-02", 20), ("2022-03", 30), ("2022-04", 5))
    assert value_of(obs, "2021-22-Q4") == (60.0, ("2022-01", "2022-02", "2022-03"))


def test_a_missing_month_gives_nan():
    value, used = value_of(observations(("2022-01", 10), ("2022-03", 30)), "2021-22-Q4")
    assert math.isnan(value) and used == ()


def test_an_exact_range_is_used_as_it_is():
    obs = observations(("2021-12/2022-02", 99), ("2021-12", 1), ("2022-01", 2), ("2022-02", 3))
    assert value_of(obs, "2021-12/2022-02") == (99.0, ("2021-12/2022-02",))
    # An exact quarter beats its months too, even when they disagree.
    obs = observations(("2021-22-Q4", 50), ("2022-01", 10), ("2022-02", 20), ("2022-03", 30))
    assert value_of(obs, "2021-22-Q4") == (50.0, ("2021-22-Q4",))


def test_rolling_three_month_ranges_tile_a_year_without_double_counting():
    # "3 months to" every month: overlapping ranges; only the four that meet end to end are summed.
    ends = range(month_index(2021, 6), month_index(2022, 3) + 1)
    obs = observations(*[(Span(e - 2, e).id, e - month_index(2021, 6) + 1) for e in ends])
    value, used = value_of(obs, "2021-04/2022-03")
    assert used == ("2021-22-Q1", "2021-22-Q2", "2021-22-Q3", "2021-22-Q4")
    assert value == 1 + 4 + 7 + 10


def test_monthly_observations_through_compute_results(population):
    months = [(f"{y}-{m:02d}", 100 * y + m) for y in (2018, 2019) for m in range(1, 13) if (y, m) <= (2019, 7)]
    obs = observations(*months).assign(force="Essex")
    rows = pd.DataFrame({"force": "Essex", "section": "s", "measure": "m", "period": [p for p, _ in months],
                         "source_file": "extract.csv", "line": range(2, len(months) + 2), "code": "",
                         "value": [v for _, v in months]})
    results = compute_results(obs, rows, population, publication_id="p", quarter=parse_quarter("2019-20-Q2"),
                              comparisons=["three-months-vs-year-earlier"], baseline_end=None,
                              history_quarters=20, forces=None)
    current = one(results, statistic="current")
    assert (current["period"], current["period_label"]) == ("2019-05/2019-07", "3 months to July 2019")
    assert (current["base_period"], current["base_period_label"]) == ("2018-05/2018-07", "3 months to July 2018")
    assert current["value"] == 201905 + 201906 + 201907
    assert one(results, statistic="base")["value"] == 201805 + 201806 + 201807
    assert current["lines"] == [18, 19, 20]
    # The chart: whole quarters from January 2018; 2019-20 Q2 lacks August and September, so it is missing.
    series = results[results["statistic"] == "series"]
    assert list(series["period"]) == ["2017-18-Q4", "2018-19-Q1", "2018-19-Q2", "2018-19-Q3", "2018-19-Q4",
                                      "2019-20-Q1", "2019-20-Q2"]
    assert math.isnan(series["value"].iloc[-1])


# --- forces are not mixed ------------------------------------------------------------------------------
def test_all_forces_give_each_force_its_own_figures(crime, measures, population, all_forces_inputs):
    forces = sorted(population["force_name"].unique())
    assert len(forces) == 43
    everyone = results_for(all_forces_inputs, population, "2021-22-Q4", forces)
    assert sorted(everyone["force"].unique()) == forces
    for force in ["Essex", "Kent", "Metropolitan Police"]:
        alone = results_for(observations_from_crime(crime, measures, [force]), population, "2021-22-Q4", [force])
        mine = everyone[everyone["force"] == force].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone)


def test_kent_rape_rolling_year_is_the_plain_sum_of_its_rows(crime, population, all_forces_inputs):
    codes = {"19C", "19D", "19E", "19F", "19G", "19H", "19J", "19K"}
    year = {"2021/22"}
    expected = sum(int(str(n).replace(",", "")) for force, code, fy, n in zip(
        crime["Force Name"], crime["Offence Code"], crime["Financial Year"], crime["Number of Offences"])
        if force == "Kent" and code in codes and fy in year)
    results = results_for(all_forces_inputs, population, "2021-22-Q4", ["Kent"])
    row = one(results, measure="rape-offences", statistic="current", comparison="rolling-12-vs-previous-12")
    assert row["value"] == expected > 0
    assert row["period"] == "2021-04/2022-03"


# --- Parquet -------------------------------------------------------------------------------------------------
def test_parquet_round_trip_and_identical_bytes(all_forces_inputs, population, publication, tmp_path):
    results = pd.concat([
        results_for(all_forces_inputs, population, "2021-22-Q4", ["Essex", "Kent"]),
        delivery_results(load_delivery(DELIVERY, publication), publication, "Essex"),
        delivery_results(None, publication, "Essex"),  # NaN and empty lines
    ], ignore_index=True)
    first, second = tmp_path / "a.parquet", tmp_path / "b.parquet"
    write_results(results, first)
    write_results(results, second)
    assert first.read_bytes() == second.read_bytes()
    back = read_results(first)
    assert list(back.columns) == COLUMNS
    pd.testing.assert_frame_equal(back, results)


# --- which population estimate (hand-worked) -----------------------------------------------------------------
POPULATION_ROWS = pd.DataFrame({"force_name": ["Essex", "Essex", "Essex", "Kent"], "mid_year": [2020, 2021, 2022, 2022],
                                "population": [1_840_000, 1_850_000, 1_864_200, 1_900_000], "line": [2, 3, 4, 5],
                                "source_file": "pop.csv"})


def estimate_used(force: str, quarter: str) -> tuple[str, float]:
    """The ONS estimate the results use for a force's edition: (period, population)."""
    crime = crime_rows([("19C", parse_quarter(quarter).shift(-k).id, 1) for k in range(8)], force=force)
    obs, rows = observations_from_crime(crime, [("s", RAPE)])
    results = compute_results(obs, rows, POPULATION_ROWS, publication_id="p", quarter=parse_quarter(quarter),
                              comparisons=["rolling-12-vs-previous-12"], baseline_end=None, history_quarters=4)
    row = results[results["statistic"] == "population"].iloc[0]
    return row["period"], row["value"]


def test_the_estimate_for_the_year_in_which_the_quarter_ends():
    assert estimate_used("Essex", "2021-22-Q4") == ("mid-2022", 1_864_200)  # ends March 2022
    assert estimate_used("Essex", "2021-22-Q3") == ("mid-2021", 1_850_000)  # ends December 2021


def test_the_latest_earlier_estimate_when_the_year_is_not_published():
    assert estimate_used("Essex", "2022-23-Q4") == ("mid-2022", 1_864_200)  # mid-2023 not published


def test_other_forces_estimates_are_never_used():
    assert estimate_used("Kent", "2021-22-Q4") == ("mid-2022", 1_900_000)
    period, value = estimate_used("Surrey", "2021-22-Q4")
    assert period == "" and math.isnan(value)
