"""The formulas of comparisons and rates (compute/measures.py), hand-worked."""

from __future__ import annotations

import pytest

from strategy_update.compute.measures import change, pct_change, rate_per_thousand
from strategy_update.core.formatting import format_change, format_pct


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


# --- rates ------------------------------------------------------------------------------------------------
def test_rate_per_thousand_hand_worked():
    # 2,833 / 1,864,200 x 1,000 = 1.51968...
    assert rate_per_thousand(2833, 1_864_200) == pytest.approx(1.5196867289)


def test_rate_of_zero_count_is_zero():
    assert rate_per_thousand(0, 1_000_000) == 0


@pytest.mark.parametrize("count, population", [(None, 1_000_000), (100, None), (100, 0)])
def test_rate_missing_or_zero_population_is_none(count, population):
    assert rate_per_thousand(count, population) is None


def test_an_average_time_is_never_added_up_over_quarters():
    import pandas as pd

    from strategy_update.compute.comparisons import resolve_spans

    # two monthly averages and a quarter wanted: a count would be 100 + 50 = 150; an average cannot be summed
    obs = pd.DataFrame({"measure": ["calls", "calls", "time", "time"], "period": ["2021-01", "2021-02"] * 2,
                        "first_month": [1, 2, 1, 2], "last_month": [1, 2, 1, 2], "value": [100.0, 50.0, 160.0, 170.0]})
    targets = pd.DataFrame({"measure": ["calls", "time"], "first_month": [1, 1], "last_month": [2, 2]})
    out = resolve_spans(obs, targets, ["measure"], exact_only=obs["measure"] == "time")
    assert out["value"].iloc[0] == 150.0 and out["used"].iloc[0] == ("2021-01", "2021-02")
    assert pd.isna(out["value"].iloc[1]) and out["used"].iloc[1] == ()
