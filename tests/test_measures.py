"""Measures: quarterly series from offence-code rows, comparisons, changes and rates."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from strategy_update.model.publication import Measure
from strategy_update.core.formatting import format_change, format_pct
from strategy_update.compute.measures import (
    Comparison,
    available_quarters,
    change,
    measure_rows,
    pct_change,
    population_for,
    quarterly_series,
    rate_per_thousand,
    standard_comparisons,
    sum_quarters,
)
from strategy_update.core.periods import Quarter, quarter_range

Q4 = Quarter(2021, 4)
BASELINE_END = Quarter(2019, 4)


def crime_frame(rows: list[tuple[str, str, int]]) -> pd.DataFrame:
    """A frame shaped like load_crime output: (Offence Code, quarter, count) plus line and source_file."""
    return pd.DataFrame({
        "Offence Code": [r[0] for r in rows],
        "quarter": [r[1] for r in rows],
        "count": [r[2] for r in rows],
        "line": list(range(2, len(rows) + 2)),
        "source_file": "data/raw/home-office/test.csv",
    })


RAPE = Measure(id="rape-offences", name="Rape offences", source="home_office", offence_codes=("19C", "19D"))

# 19C and 19D are the measure's codes; 10D is another measure's and must be ignored.
CRIME = crime_frame([
    ("19C", "2021-22-Q1", 2),
    ("19C", "2021-22-Q3", 10),
    ("19C", "2021-22-Q4", 3),
    ("19D", "2021-22-Q4", 4),
    ("10D", "2021-22-Q4", 100),
    ("10D", "2021-22-Q2", 50),   # the only row in Q2, and not the measure's code
])


# --- change and pct_change (hand-worked) ------------------------------------------------------------
def test_change_real_example_increase():
    # 2,833 - 1,935 = 898
    assert change(2833, 1935) == 898


def test_pct_change_real_example_increase():
    # 898 / 1,935 x 100 = 46.408..., shown as +46.4%
    assert pct_change(2833, 1935) == pytest.approx(46.408268733850)
    assert format_pct(pct_change(2833, 1935)) == "+46.4%"


def test_change_real_example_decrease():
    # 2,714 - 3,331 = -617
    assert change(2714, 3331) == -617
    assert format_change(change(2714, 3331)) == "-617"


def test_pct_change_real_example_decrease():
    # -617 / 3,331 x 100 = -18.522..., shown as -18.5%
    assert pct_change(2714, 3331) == pytest.approx(-18.522966076253)
    assert format_pct(pct_change(2714, 3331)) == "-18.5%"


def test_pct_change_is_not_rounded_before_display():
    # 1 / 3 x 100 = 33.333...: the value itself keeps all its digits
    assert pct_change(4, 3) == pytest.approx(100 / 3)
    assert pct_change(4, 3) != 33.3


def test_pct_change_base_zero_is_none_not_infinity():
    assert pct_change(5, 0) is None
    assert format_pct(pct_change(5, 0)) == "n/a"


def test_pct_change_zero_over_zero_is_none():
    assert pct_change(0, 0) is None


def test_change_from_zero_base_is_still_a_number():
    # 5 - 0 = 5, even though the % change is n/a
    assert change(5, 0) == 5


@pytest.mark.parametrize("current, base", [(None, 10), (10, None), (None, None)])
def test_change_with_a_missing_side_is_none(current, base):
    assert change(current, base) is None
    assert pct_change(current, base) is None


def test_no_change_is_zero_percent():
    assert change(120, 120) == 0
    assert pct_change(120, 120) == 0
    assert format_pct(pct_change(120, 120)) == "0.0%"


def test_comparison_properties_use_current_minus_base():
    c = Comparison("q", "now", "then", ("2021-22-Q4",), ("2020-21-Q4",), 2833.0, 1935.0)
    assert c.change == 898
    assert c.pct_change == pytest.approx(46.408268733850)


# --- measure_rows -------------------------------------------------------------------------------------
def test_measure_rows_keeps_only_the_measures_codes():
    rows = measure_rows(CRIME, RAPE)
    assert sorted(rows["Offence Code"].unique()) == ["19C", "19D"]
    assert len(rows) == 4


def test_measure_rows_drops_quarters_before_series_start():
    measure = Measure(id="m", name="m", source="home_office", offence_codes=("19C", "19D"),
                      series_start=Quarter(2021, 3))
    rows = measure_rows(CRIME, measure)
    assert sorted(rows["quarter"].unique()) == ["2021-22-Q3", "2021-22-Q4"]


# --- quarterly_series ---------------------------------------------------------------------------------
def test_quarterly_series_sums_codes_per_quarter():
    series = quarterly_series(measure_rows(CRIME, RAPE), Quarter(2021, 1), Q4)
    # Q4: 19C 3 + 19D 4 = 7; Q3: 10; Q1: 2
    assert series["2021-22-Q4"] == 7
    assert series["2021-22-Q3"] == 10
    assert series["2021-22-Q1"] == 2


def test_quarterly_series_quarter_with_no_rows_is_missing_not_zero():
    series = quarterly_series(measure_rows(CRIME, RAPE), Quarter(2021, 1), Q4)
    assert math.isnan(series["2021-22-Q2"])


def test_quarterly_series_covers_first_to_last_in_order():
    series = quarterly_series(measure_rows(CRIME, RAPE), Quarter(2020, 4), Q4)
    assert list(series.index) == ["2020-21-Q4", "2021-22-Q1", "2021-22-Q2", "2021-22-Q3", "2021-22-Q4"]
    assert math.isnan(series["2020-21-Q4"])


def test_quarterly_series_excludes_quarters_outside_range():
    series = quarterly_series(measure_rows(CRIME, RAPE), Quarter(2021, 3), Q4)
    assert list(series.index) == ["2021-22-Q3", "2021-22-Q4"]
    assert series.sum() == 17  # 10 + 7


def test_quarterly_series_recorded_zero_stays_zero():
    rows = crime_frame([("19C", "2021-22-Q4", 0)])
    series = quarterly_series(rows, Q4, Q4)
    assert series["2021-22-Q4"] == 0


def test_quarterly_series_of_no_rows_is_all_missing():
    series = quarterly_series(crime_frame([]), Quarter(2021, 1), Q4)
    assert len(series) == 4
    assert series.isna().all()


def test_available_quarters_sorted_and_unique():
    assert available_quarters(CRIME) == ["2021-22-Q1", "2021-22-Q2", "2021-22-Q3", "2021-22-Q4"]


# --- sum_quarters -------------------------------------------------------------------------------------------
def test_sum_quarters_adds_named_quarters():
    series = pd.Series({"2021-22-Q1": 2.0, "2021-22-Q2": 5.0, "2021-22-Q3": 10.0})
    # 2 + 10 = 12
    assert sum_quarters(series, [Quarter(2021, 1), Quarter(2021, 3)]) == 12


def test_sum_quarters_with_a_missing_quarter_is_none():
    series = pd.Series({"2021-22-Q1": 2.0, "2021-22-Q2": float("nan")})
    assert sum_quarters(series, [Quarter(2021, 1), Quarter(2021, 2)]) is None


def test_sum_quarters_outside_series_is_none():
    series = pd.Series({"2021-22-Q1": 2.0})
    assert sum_quarters(series, [Quarter(2021, 1), Quarter(2021, 2)]) is None


def test_sum_quarters_of_zeros_is_zero_not_none():
    series = pd.Series({"2021-22-Q1": 0.0, "2021-22-Q2": 0.0})
    assert sum_quarters(series, [Quarter(2021, 1), Quarter(2021, 2)]) == 0


# --- standard_comparisons ------------------------------------------------------------------------------------
def twelve_quarter_series() -> pd.Series:
    """2019-20: 10, 20, 30, 40 (sum 100); 2020-21: 5 each (sum 20); 2021-22: 1, 2, 3, 4 (sum 10)."""
    values = [10, 20, 30, 40, 5, 5, 5, 5, 1, 2, 3, 4]
    ids = [q.id for q in quarter_range(Quarter(2019, 1), Q4)]
    return pd.Series(values, index=ids, dtype=float)


def test_standard_comparisons_names_in_page_order():
    comparisons = standard_comparisons(twelve_quarter_series(), Q4, BASELINE_END)
    assert [c.name for c in comparisons] == [
        "12 months vs previous 12 months",
        "12 months vs pre-Covid baseline",
        "quarter vs previous quarter",
        "quarter vs same quarter a year earlier",
    ]


def test_twelve_months_vs_previous_twelve_months():
    c = standard_comparisons(twelve_quarter_series(), Q4, BASELINE_END)[0]
    assert c.current_quarters == ("2021-22-Q1", "2021-22-Q2", "2021-22-Q3", "2021-22-Q4")
    assert c.base_quarters == ("2020-21-Q1", "2020-21-Q2", "2020-21-Q3", "2020-21-Q4")
    assert (c.current_label, c.base_label) == ("12 months ending March 2022", "12 months ending March 2021")
    # 1+2+3+4 = 10 vs 5+5+5+5 = 20: change -10, -10/20 x 100 = -50%
    assert (c.current, c.base, c.change) == (10, 20, -10)
    assert c.pct_change == -50


def test_twelve_months_vs_pre_covid_baseline():
    c = standard_comparisons(twelve_quarter_series(), Q4, BASELINE_END)[1]
    assert c.base_quarters == ("2019-20-Q1", "2019-20-Q2", "2019-20-Q3", "2019-20-Q4")
    assert c.base_label == "12 months ending March 2020"
    # 10 vs 10+20+30+40 = 100: change -90, -90%
    assert (c.current, c.base, c.change, c.pct_change) == (10, 100, -90, -90)


def test_quarter_vs_previous_quarter():
    c = standard_comparisons(twelve_quarter_series(), Q4, BASELINE_END)[2]
    assert c.current_quarters == ("2021-22-Q4",)
    assert c.base_quarters == ("2021-22-Q3",)
    assert (c.current_label, c.base_label) == ("Q4 2021/22", "Q3 2021/22")
    # 4 vs 3: +1, 1/3 x 100 = 33.33...%
    assert (c.current, c.base, c.change) == (4, 3, 1)
    assert c.pct_change == pytest.approx(33.333333)


def test_quarter_vs_same_quarter_a_year_earlier():
    c = standard_comparisons(twelve_quarter_series(), Q4, BASELINE_END)[3]
    assert c.base_quarters == ("2020-21-Q4",)
    assert c.base_label == "Q4 2020/21"
    # 4 vs 5: -1, -1/5 x 100 = -20%
    assert (c.current, c.base, c.change, c.pct_change) == (4, 5, -1, -20)


def test_missing_quarter_makes_only_affected_comparisons_none():
    series = twelve_quarter_series()
    series["2020-21-Q2"] = float("nan")  # inside the previous 12 months only
    previous, baseline, quarter, same_quarter = standard_comparisons(series, Q4, BASELINE_END)
    assert previous.base is None
    assert previous.change is None and previous.pct_change is None
    assert previous.current == 10
    assert baseline.base == 100 and quarter.base == 3 and same_quarter.base == 5


def test_missing_current_quarter_makes_every_comparison_none():
    series = twelve_quarter_series()
    series["2021-22-Q4"] = float("nan")
    for c in standard_comparisons(series, Q4, BASELINE_END):
        assert c.current is None
        assert c.change is None


def test_baseline_before_series_start_is_none():
    series = twelve_quarter_series().drop(["2019-20-Q1"])
    baseline = standard_comparisons(series, Q4, BASELINE_END)[1]
    assert baseline.base is None
    assert baseline.pct_change is None


def test_comparisons_with_zero_base_give_na_percent():
    series = twelve_quarter_series()
    series["2021-22-Q3"] = 0.0
    quarter = standard_comparisons(series, Q4, BASELINE_END)[2]
    # 4 vs 0: change +4, % change n/a
    assert quarter.change == 4
    assert quarter.pct_change is None


# --- population and rates ---------------------------------------------------------------------------------------
POPULATION = pd.DataFrame({
    "force_name": ["Essex", "Essex", "Essex", "Kent"],
    "mid_year": [2020, 2021, 2022, 2022],
    "population": [1_840_000, 1_850_000, 1_864_200, 1_900_000],
})


def test_population_for_year_in_which_quarter_ends():
    # Q4 2021/22 ends March 2022 -> mid-2022 estimate
    assert population_for(POPULATION, "Essex", Q4) == (2022, 1_864_200)


def test_population_for_q3_uses_calendar_year_2021():
    # Q3 2021/22 ends December 2021 -> mid-2021 estimate
    assert population_for(POPULATION, "Essex", Quarter(2021, 3)) == (2021, 1_850_000)


def test_population_falls_back_to_latest_earlier_estimate():
    # Q4 2022/23 ends March 2023; mid-2023 is not published, so mid-2022
    assert population_for(POPULATION, "Essex", Quarter(2022, 4)) == (2022, 1_864_200)


def test_population_ignores_other_forces():
    assert population_for(POPULATION, "Kent", Q4) == (2022, 1_900_000)


def test_population_none_when_no_estimate_early_enough():
    assert population_for(POPULATION, "Essex", Quarter(2018, 1)) is None
    assert population_for(POPULATION, "Surrey", Q4) is None


def test_rate_per_thousand_hand_worked():
    # 2,833 / 1,864,200 x 1,000 = 1.51968...
    assert rate_per_thousand(2833, 1_864_200) == pytest.approx(1.5196867289)


def test_rate_of_zero_count_is_zero():
    assert rate_per_thousand(0, 1_000_000) == 0


@pytest.mark.parametrize("count, population", [(None, 1_000_000), (100, None), (100, 0)])
def test_rate_missing_or_zero_population_is_none(count, population):
    assert rate_per_thousand(count, population) is None
