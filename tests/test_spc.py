"""XmR charts (NHS England "Making Data Count"): limits and the four special-cause rules."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from strategy_update.compute.spc import RULES, XmR, latest_signal, moving_ranges, xmr


def flagged(chart: XmR, rule: str) -> dict[int, str]:
    """{point index: direction} of the points a rule flags."""
    return {i: s[rule] for i, s in enumerate(chart.signals) if rule in s}


def exact_boundaries(values: list[int]) -> list[Fraction]:
    """Limits and two-thirds bands in exact arithmetic (to skip exact ties, where float rounding decides)."""
    n = len(values)
    mean = Fraction(sum(values), n)
    mr_bar = Fraction(sum(abs(b - a) for a, b in zip(values, values[1:])), n - 1)
    width = Fraction(266, 100) * mr_bar
    return [mean + width, mean - width, mean + width * 2 / 3, mean - width * 2 / 3]


def no_exact_ties(values: list[int]) -> bool:
    bounds = exact_boundaries(values)
    if bounds[0] == bounds[1]:  # constant series: limits are the mean, handled exactly
        return True
    return not any(v == b for v in values for b in bounds)


# --- limits (hand-worked) -----------------------------------------------------------------------------
def test_moving_ranges_are_absolute_differences():
    assert moving_ranges([10, 12, 11, 13, 12]) == [2, 1, 2, 1]


def test_limits_of_small_series():
    # [10, 12, 11, 13, 12]: mean 58/5 = 11.6; moving ranges 2, 1, 2, 1 -> mR-bar 6/4 = 1.5;
    # 2.66 x 1.5 = 3.99 -> UCL 11.6 + 3.99 = 15.59, LCL 11.6 - 3.99 = 7.61
    chart = xmr([10, 12, 11, 13, 12])
    assert chart.mean == pytest.approx(11.6)
    assert chart.mean_moving_range == pytest.approx(1.5)
    assert chart.upper == pytest.approx(15.59)
    assert chart.lower == pytest.approx(7.61)


def test_two_thirds_bands_of_small_series():
    # two-thirds of 3.99 = 2.66 -> bands at 11.6 + 2.66 = 14.26 and 11.6 - 2.66 = 8.94
    chart = xmr([10, 12, 11, 13, 12])
    assert chart.upper_two_thirds == pytest.approx(14.26)
    assert chart.lower_two_thirds == pytest.approx(8.94)


def test_small_series_is_common_cause():
    # every point lies between 8.94 and 14.26; no 7-point runs in 5 points
    chart = xmr([10, 12, 11, 13, 12])
    assert all(s == {} for s in chart.signals)
    assert latest_signal(chart) == "Common cause variation"


def test_two_points_are_enough():
    # [1, 3]: mean 2, mR-bar 2, limits 2 +/- 5.32
    chart = xmr([1, 3])
    assert chart.upper == pytest.approx(7.32)
    assert chart.lower == pytest.approx(-3.32)


@pytest.mark.parametrize("values", [[], [5]])
def test_fewer_than_two_points_rejected(values):
    with pytest.raises(ValueError):
        xmr(values)


def test_values_kept_as_floats():
    assert xmr([1, 2]).values == (1.0, 2.0)


# --- rule: outside the limits ------------------------------------------------------------------------------
SPIKE = [1, 2, 1, 2, 1, 2, 1, 2, 1, 20]


def test_point_above_upper_limit_is_outside_high():
    # mean 33/10 = 3.3; moving ranges eight 1s and 19 -> 27/9 = 3.0; UCL 3.3 + 7.98 = 11.28; 20 > 11.28
    chart = xmr(SPIKE)
    assert chart.upper == pytest.approx(11.28)
    assert flagged(chart, "outside") == {9: "high"}


def test_point_below_lower_limit_is_outside_low():
    # the mirror image: [-1, -2, ..., -20]: LCL -11.28; -20 < -11.28
    chart = xmr([-v for v in SPIKE])
    assert flagged(chart, "outside") == {9: "low"}


def test_latest_signal_names_outside_high():
    assert latest_signal(xmr(SPIKE)) == "Special cause (higher): a point outside the process limits"


# --- rule: shift -------------------------------------------------------------------------------------------
STEP = [1, 2, 1, 2, 1, 2, 1, 3, 4, 3, 4, 3, 4, 3]


def test_seven_below_then_seven_above_mean_is_two_shifts():
    # mean 34/14 = 2.43: the first seven (1s and 2s) are below, the last seven (3s and 4s) above
    chart = xmr(STEP)
    assert flagged(chart, "shift") == {**{i: "low" for i in range(7)}, **{i: "high" for i in range(7, 14)}}


def test_step_series_has_no_other_signal():
    # mR-bar 14/13 = 1.077; limits 2.43 +/- 2.86 = -0.44 to 5.29; bands 0.52 and 4.34: nothing beyond
    chart = xmr(STEP)
    assert all(set(s) == {"shift"} for s in chart.signals)


def test_latest_signal_names_shift_high():
    assert latest_signal(xmr(STEP)) == "Special cause (higher): 7 points in a row on one side of the mean"


def test_six_in_a_row_is_not_a_shift():
    # [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]: mean 30/12 = 2.5; runs of 6 below and 6 above only
    chart = xmr([1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4])
    assert flagged(chart, "shift") == {}


def test_point_on_mean_breaks_a_run():
    # 6 x 4, then 5, then 6 x 4, then 6 x 7: sum 24 + 5 + 24 + 42 = 95 over 19 points -> mean exactly 5.
    # The middle 5 sits on the mean, so the 12 points below it form two runs of 6: no shift.
    values = [4] * 6 + [5] + [4] * 6 + [7] * 6
    assert xmr(values).mean == 5
    assert flagged(xmr(values), "shift") == {}


def test_same_series_without_point_on_mean_is_a_shift():
    # control for the test above: with 4 instead of 5 the mean is 94/19 = 4.95 and 13 points sit below it
    values = [4] * 13 + [7] * 6
    assert flagged(xmr(values), "shift") == {i: "low" for i in range(13)}


# --- rule: trend ---------------------------------------------------------------------------------------------
def test_seven_rising_points_are_a_trend():
    chart = xmr([1, 2, 3, 4, 5, 6, 7])
    assert flagged(chart, "trend") == {i: "rising" for i in range(7)}


def test_seven_falling_points_are_a_trend():
    chart = xmr([7, 6, 5, 4, 3, 2, 1])
    assert flagged(chart, "trend") == {i: "falling" for i in range(7)}


def test_six_rising_points_are_not_a_trend():
    assert flagged(xmr([1, 2, 3, 4, 5, 6]), "trend") == {}


def test_equal_neighbours_break_a_trend():
    # [1, 2, 3, 3, 4, 5, 6, 7]: steps up, up, level, up, up, up, up -> runs of 3 and 5 points
    assert flagged(xmr([1, 2, 3, 3, 4, 5, 6, 7]), "trend") == {}


def test_trend_only_flags_the_run():
    # [5, 1, 2, 3, 4, 5, 6, 7]: the first step is down, then 7 points rise (indices 1-7)
    assert flagged(xmr([5, 1, 2, 3, 4, 5, 6, 7]), "trend") == {i: "rising" for i in range(1, 8)}


# --- rule: two of three beyond two-thirds ----------------------------------------------------------------------
BASE = [9, 11] * 10


def test_two_of_three_beyond_upper_band():
    # BASE + [15, 11, 15]: sum 200 + 41 = 241 over 23 -> mean 10.478; moving ranges 19 x 2 + 4 + 4 + 4 = 50
    # over 22 -> mR-bar 2.273; 2.66 x 2.273 = 6.045 -> UCL 16.52; band 10.478 + 2/3 x 6.045 = 14.51.
    # Both 15s (points 20 and 22) lie between the band and the limit, within three points.
    chart = xmr(BASE + [15, 11, 15])
    assert chart.upper_two_thirds == pytest.approx(14.5086, abs=1e-4)
    assert flagged(chart, "two_of_three") == {20: "high", 22: "high"}
    assert flagged(chart, "outside") == {}


def test_two_beyond_band_but_four_apart_is_not_a_signal():
    # BASE + [15, 11, 9, 15]: mean 250/24 = 10.417, mR-bar 54/23 = 2.348, band 14.58: the 15s are not in one window
    assert flagged(xmr(BASE + [15, 11, 9, 15]), "two_of_three") == {}


def test_one_beyond_each_band_is_not_a_signal():
    # BASE + [15, 11, 5]: mean 231/23 = 10.043, mR-bar 52/22 = 2.364, bands 14.23 and 5.85:
    # 15 is beyond the upper band and 5 beyond the lower, but not on the same side
    assert flagged(xmr(BASE + [15, 11, 5]), "two_of_three") == {}


def test_two_of_three_below_lower_band():
    # the mirror image of BASE + [15, 11, 15] about 10
    chart = xmr([20 - v for v in BASE + [15, 11, 15]])
    assert flagged(chart, "two_of_three") == {20: "low", 22: "low"}


# --- latest_signal ------------------------------------------------------------------------------------------------
def test_latest_signal_lower_lists_rules_in_order():
    chart = XmR((1.0, 2.0), 1.5, 1.0, 4.16, -1.16, ({}, {"two_of_three": "low", "outside": "low"}))
    assert latest_signal(chart) == ("Special cause (lower): a point outside the process limits; "
                                    "2 of 3 points beyond two-thirds of the way to a limit")


def test_latest_signal_mixed_directions():
    chart = XmR((1.0, 2.0), 1.5, 1.0, 4.16, -1.16, ({}, {"shift": "low", "trend": "rising"}))
    assert latest_signal(chart) == ("Special cause (mixed): 7 points in a row on one side of the mean; "
                                    "7 points in a row rising or falling")


def test_latest_signal_uses_only_last_point():
    chart = XmR((1.0, 2.0), 1.5, 1.0, 4.16, -1.16, ({"outside": "high"}, {}))
    assert latest_signal(chart) == "Common cause variation"


def test_latest_signal_of_step_down_is_shift_lower():
    # STEP reversed: the last seven points (1s and 2s) are below the mean 2.43
    chart = xmr(list(reversed(STEP)))
    assert latest_signal(chart) == "Special cause (lower): " + RULES["shift"]


# --- properties ------------------------------------------------------------------------------------------------------
@given(st.integers(-10**6, 10**6), st.integers(2, 40))
def test_constant_series_has_no_signals_and_zero_width_limits(value, n):
    chart = xmr([value] * n)
    assert chart.mean == value
    assert chart.upper == chart.lower == value
    assert all(s == {} for s in chart.signals)


@pytest.mark.parametrize("value", [0.1, 0.7, 2.2])
def test_constant_non_whole_series_has_no_signals(value):
    chart = xmr([value] * 7)
    assert all(s == {} for s in chart.signals)


@given(st.lists(st.integers(-10**6, 10**6), min_size=7, max_size=40, unique=True))
def test_strictly_increasing_series_is_all_trend_rising(values):
    chart = xmr(sorted(values))
    assert all(s.get("trend") == "rising" for s in chart.signals)


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=7, max_size=40, unique=True))
def test_strictly_decreasing_float_series_is_all_trend_falling(values):
    chart = xmr(sorted(values, reverse=True))
    assert all(s.get("trend") == "falling" for s in chart.signals)


@given(
    st.lists(st.integers(0, 100), max_size=10),
    st.lists(st.integers(1000, 1100), min_size=7, max_size=15),
    st.lists(st.integers(0, 100), max_size=10),
)
def test_seven_or_more_above_mean_in_a_row_is_a_shift(before, high, after):
    # lows between 0 and 100 at least as many as the highs keep the mean below 600 < 1000
    padding = [0] * max(0, len(high) - len(before) - len(after))
    values = before + high + after + padding
    chart = xmr(values)
    assert all(h > chart.mean for h in high)  # the premise
    for i in range(len(before), len(before) + len(high)):
        assert chart.signals[i].get("shift") == "high"


@given(st.lists(st.integers(-50, 50), min_size=2, max_size=40))
def test_shift_flags_exactly_the_long_runs_on_one_side(values):
    # oracle in exact arithmetic: sides of the mean, runs of 7 or more equal non-zero sides
    mean = Fraction(sum(values), len(values))
    sides = [(v > mean) - (v < mean) for v in values]
    expected = {}
    start = 0
    for i in range(1, len(sides) + 1):
        if i == len(sides) or sides[i] != sides[start]:
            if sides[start] != 0 and i - start >= 7:
                expected.update({k: "high" if sides[start] > 0 else "low" for k in range(start, i)})
            start = i
    assert flagged(xmr(values), "shift") == expected


@settings(max_examples=300)
@given(st.lists(st.integers(-1000, 1000), min_size=2, max_size=30), st.integers(-10**5, 10**5))
def test_adding_a_constant_moves_mean_and_limits_and_keeps_signals(values, constant):
    assume(no_exact_ties(values))
    chart, moved = xmr(values), xmr([v + constant for v in values])
    assert moved.mean == pytest.approx(chart.mean + constant)
    assert moved.upper == pytest.approx(chart.upper + constant)
    assert moved.lower == pytest.approx(chart.lower + constant)
    assert moved.mean_moving_range == pytest.approx(chart.mean_moving_range)
    assert moved.signals == chart.signals


@settings(max_examples=300)
@given(st.lists(st.integers(-1000, 1000), min_size=2, max_size=30), st.integers(1, 1000))
def test_scaling_by_a_positive_factor_keeps_signals(values, factor):
    assume(no_exact_ties(values))
    chart, scaled = xmr(values), xmr([v * factor for v in values])
    assert scaled.mean == pytest.approx(chart.mean * factor)
    assert scaled.upper == pytest.approx(chart.upper * factor)
    assert scaled.signals == chart.signals


@given(st.lists(st.integers(-1000, 1000), min_size=2, max_size=30))
def test_limits_are_symmetric_about_mean(values):
    chart = xmr(values)
    assert chart.upper - chart.mean == pytest.approx(chart.mean - chart.lower)
    assert chart.upper - chart.mean == pytest.approx(2.66 * chart.mean_moving_range)


def test_a_control_chart_needs_eight_consecutive_points():
    import numpy as np

    from strategy_update.compute.results import SPC_MIN_POINTS, _chartable

    quarters = np.arange(0, 36, 3)  # first months of 12 consecutive quarters
    assert SPC_MIN_POINTS == 8
    assert _chartable(quarters[:8], quarters[:8] + 2)
    assert not _chartable(quarters[:7], quarters[:7] + 2)  # too few
    year_apart = np.array([0, 12])  # Q4 2020/21 and Q4 2021/22: not a process to chart
    assert not _chartable(year_apart, year_apart + 2)
    gap = np.delete(quarters, 4)  # 11 quarters with one missing
    assert not _chartable(gap, gap + 2)
