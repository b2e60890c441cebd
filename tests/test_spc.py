"""XmR charts (NHS England "Making Data Count"): baseline limits, screening, step changes, the four special-cause
rules and the improvement/concern reading. Every expected figure is worked out by hand in the comment above it."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from strategy_update.compute.spc import (
    RULES,
    XmR,
    baseline_limits,
    latest_signal,
    main_rule,
    moving_ranges,
    point_reading,
    reading,
    xmr,
)


def flagged(chart: XmR, rule: str) -> dict[int, str]:
    """{point index: direction} of the points a rule flags."""
    return {i: s[rule] for i, s in enumerate(chart.signals) if rule in s}


def exact_boundaries(values: list[int]) -> list[Fraction]:
    """Limits and two-thirds bands in exact arithmetic (to skip exact ties, where float rounding decides)."""
    n = len(values)
    mean = Fraction(sum(values), n)
    ranges = [abs(b - a) for a, b in zip(values, values[1:])]
    first = Fraction(sum(ranges), n - 1)
    kept = [r for r in ranges if r <= Fraction(3267, 1000) * first]
    mr_bar = Fraction(sum(kept), len(kept))
    width = Fraction(266, 100) * mr_bar
    return [mean + width, mean - width, mean + width * 2 / 3, mean - width * 2 / 3]


def no_exact_ties(values: list[int]) -> bool:
    bounds = exact_boundaries(values)
    ranges = [abs(b - a) for a, b in zip(values, values[1:])]
    if any(Fraction(3267, 1000) * Fraction(sum(ranges), len(ranges)) == r for r in ranges):
        return False  # a moving range exactly at the screening line: float rounding decides
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
    # mean 33/10 = 3.3; moving ranges eight 1s and 19 -> 27/9 = 3.0; 19 > 3.267 x 3.0 = 9.801 is screened out,
    # so mR-bar = 8/8 = 1; UCL 3.3 + 2.66 = 5.96; 20 > 5.96
    chart = xmr(SPIKE)
    assert chart.mean_moving_range == pytest.approx(1.0)
    assert chart.upper == pytest.approx(5.96)
    assert flagged(chart, "outside") == {9: "high"}


def test_point_below_lower_limit_is_outside_low():
    # the mirror image: [-1, -2, ..., -20]: LCL -11.28; -20 < -11.28
    chart = xmr([-v for v in SPIKE])
    assert flagged(chart, "outside") == {9: "low"}


# --- baseline limits and screening (hand-worked) --------------------------------------------------------------
def test_outlying_moving_range_is_screened_out_of_the_limits():
    # SPIKE: the 19 (from point 8 to point 9) is above 9.801 and is left out; the eight 1s are kept
    assert baseline_limits([float(v) for v in SPIKE]) == (pytest.approx(3.3), pytest.approx(1.0), (9,))
    assert xmr(SPIKE).segments[0].screened == (9,)


def test_screening_is_once_and_keeps_ranges_at_the_line():
    # [0, 1, 0, 1, 0, 1, 0, 10]: ranges six 1s and 10 -> 16/7 = 2.286; 3.267 x 2.286 = 7.47: 10 is screened,
    # leaving 6/6 = 1 (the 1s are not screened again against the new mean of 1)
    assert baseline_limits([0, 1, 0, 1, 0, 1, 0, 10])[1:] == (pytest.approx(1.0), (7,))
    # a constant series: every range 0 = 3.267 x 0 is kept (nothing is above the line), mR-bar 0
    assert baseline_limits([5, 5, 5]) == (5, 0, ())


LATE_RISE = [10, 12, 11, 13, 12, 16, 11]


def test_limits_come_from_the_baseline_not_the_points_judged():
    # baseline 5: [10, 12, 11, 13, 12]: mean 11.6, mR-bar 1.5, UCL 11.6 + 3.99 = 15.59. The 16 after the
    # baseline is judged against them: 16 > 15.59 is outside.
    chart = xmr(LATE_RISE, baseline=5)
    assert (chart.mean, chart.mean_moving_range, chart.upper) == pytest.approx((11.6, 1.5, 15.59))
    assert chart.segments[0].baseline_end == 5
    assert flagged(chart, "outside") == {5: "high"}


def test_limits_over_every_point_hide_the_same_rise():
    # control for the test above: with all 7 points, mean 85/7 = 12.14; ranges 2, 1, 2, 1, 4, 5 -> 15/6 = 2.5
    # (none above 8.17); UCL 12.14 + 6.65 = 18.79, so 16 is inside
    chart = xmr(LATE_RISE)
    assert chart.upper == pytest.approx(85 / 7 + 6.65)
    assert flagged(chart, "outside") == {}


def test_baseline_longer_than_the_chart_uses_every_point():
    assert xmr(LATE_RISE, baseline=12).upper == pytest.approx(xmr(LATE_RISE).upper)


def test_baseline_needs_two_points():
    with pytest.raises(ValueError):
        xmr(LATE_RISE, baseline=1)


# --- step changes (hand-worked) ---------------------------------------------------------------------------------
BEFORE, AFTER = [10, 12, 11, 13, 12, 11], [20, 22, 21, 23, 22, 21]


def test_limits_are_recalculated_at_a_step():
    # before the step: mean 69/6 = 11.5; ranges 2, 1, 2, 1, 1 -> 7/5 = 1.4; limits 11.5 +/- 3.724.
    # after it: the same shape 10 higher: mean 21.5, mR-bar 1.4, limits 17.776 to 25.224. Nothing is special.
    chart = xmr(BEFORE + AFTER, steps={6: "new recording rules"})
    first, second = chart.parts
    assert (first.start, first.end, first.mean, first.upper) == (0, 6, 11.5, pytest.approx(15.224))
    assert (second.start, second.end, second.mean, second.lower) == (6, 12, 21.5, pytest.approx(17.776))
    assert second.reason == "new recording rules" and chart.steps == (second,)
    assert (chart.mean, chart.upper) == (21.5, pytest.approx(25.224))  # the latest segment's
    assert all(s == {} for s in chart.signals)


def test_without_the_step_the_same_series_is_all_outside():
    # control: mean 198/12 = 16.5; ranges 2,1,2,1,1,9,2,1,2,1,1 -> 23/11 = 2.09; 9 > 6.83 is screened ->
    # 14/10 = 1.4; limits 16.5 +/- 3.724 = 12.776 to 20.224: every point before the step but the 13 is below,
    # every point after it but the 20 above
    chart = xmr(BEFORE + AFTER)
    assert flagged(chart, "outside") == {0: "low", 1: "low", 2: "low", 4: "low", 5: "low", 7: "high", 8: "high",
                                         9: "high", 10: "high", 11: "high"}


def test_no_rule_looks_across_a_step():
    # 1..8 rising is a trend of 8 points; split at point 4 it is two rises of 4: no trend
    assert flagged(xmr(list(range(1, 9))), "trend") == {i: "rising" for i in range(8)}
    assert flagged(xmr(list(range(1, 9)), steps={4: "boundary change"}), "trend") == {}


def test_each_segment_takes_its_own_baseline():
    # baseline 3 on each side of the step at 6: [10, 12, 11] -> mean 11, mR-bar 1.5; [20, 22, 21] -> 21, 1.5
    chart = xmr(BEFORE + AFTER, baseline=3, steps={6: "x"})
    assert [(s.baseline_end, s.mean, s.mean_moving_range) for s in chart.parts] == [(3, 11, 1.5), (9, 21, 1.5)]


@pytest.mark.parametrize("steps", [{0: "x"}, {12: "x"}, {11: "x"}, {1: "x"}, {4: "x", 5: "y"}])
def test_a_step_must_leave_two_points_each_side(steps):
    with pytest.raises(ValueError):
        xmr(BEFORE + AFTER, steps=steps)


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


# --- rule: two of three close to a limit ------------------------------------------------------------------------
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


def test_two_close_with_the_third_across_the_mean_is_not_a_signal():
    # BASE + [15, 9, 15]: mean 239/23 = 10.391; ranges 19 x 2 + 4 + 6 + 6 = 54 over 22 -> 2.4545 (none above
    # 8.02); UCL 10.391 + 6.529 = 16.92, band 10.391 + 4.353 = 14.744: both 15s are close to the limit, but the
    # 9 between them is below the mean, so no window of three lies wholly on one side (as NHSRplotthedots)
    chart = xmr(BASE + [15, 9, 15])
    assert chart.upper_two_thirds == pytest.approx(14.744, abs=1e-3)
    assert flagged(chart, "two_of_three") == {}


def test_a_point_outside_the_limits_is_not_close_to_them():
    # BASE + [15, 25, 11]: mean 251/23 = 10.913; ranges 19 x 2 + 4 + 10 + 14 = 66 over 22 -> 3.0; 10 and 14 are
    # above 9.8 and are screened -> 42/20 = 2.1; UCL 10.913 + 5.586 = 16.50, band 14.637. The 15 is close, the
    # 25 outside (its own rule), the 11 above the mean but not close: only one close point in any window.
    chart = xmr(BASE + [15, 25, 11])
    assert chart.segments[0].screened == (21, 22)
    assert chart.upper == pytest.approx(251 / 23 + 2.66 * 2.1)
    assert flagged(chart, "outside") == {21: "high"}
    assert flagged(chart, "two_of_three") == {}


def test_two_of_three_below_lower_band():
    # the mirror image of BASE + [15, 11, 15] about 10
    chart = xmr([20 - v for v in BASE + [15, 11, 15]])
    assert flagged(chart, "two_of_three") == {20: "low", 22: "low"}


# --- the reading: improvement, concern, common cause -----------------------------------------------------------
def test_main_rule_follows_the_order_of_importance():
    assert main_rule({"two_of_three": "low", "outside": "low", "trend": "falling"}) == "outside"
    assert main_rule({"trend": "rising", "shift": "low"}) == "shift"
    assert main_rule({}) is None


def test_a_rise_outside_the_limits_is_concern_when_lower_is_better():
    # SPIKE: the last point (20) is above the upper limit (5.96)
    kind, words = reading(xmr(SPIKE), lower_is_better=True)
    assert kind == "concern"
    assert words.startswith("Special cause variation of concern: the latest quarter is above the upper process")
    assert "lower is better" in words


def test_the_same_rise_is_improvement_when_higher_is_better():
    assert reading(xmr(SPIKE), lower_is_better=False)[0] == "improvement"


def test_a_measure_with_no_better_direction_reads_neither():
    kind, words = reading(xmr(SPIKE), lower_is_better=None)
    assert kind == "neither" and "neither direction is better" in words


def test_a_run_below_the_mean_is_improvement_when_lower_is_better():
    # STEP reversed: the last seven points (1s and 2s) are below the mean 2.43
    kind, words = reading(xmr(list(reversed(STEP))), lower_is_better=True)
    assert kind == "improvement"
    assert "one of 7 or more quarters in a row below the mean" in words


def test_common_cause_reading():
    assert reading(xmr([10, 12, 11, 13, 12]), lower_is_better=True)[0] == "common cause"


def test_reading_follows_the_most_important_rule():
    # a falling trend that is still above the mean: the shift (above) outranks the trend (falling)
    assert point_reading({"shift": "high", "trend": "falling"}, lower_is_better=True) == "concern"
    assert point_reading({"trend": "falling"}, lower_is_better=True) == "improvement"


# --- latest_signal ------------------------------------------------------------------------------------------------
def test_latest_signal_lower_lists_rules_in_order():
    chart = XmR((1.0, 2.0), 1.5, 1.0, 4.16, -1.16, ({}, {"two_of_three": "low", "outside": "low"}))
    assert latest_signal(chart) == ("Special cause (lower): a point outside the process limits; "
                                    "2 of 3 points close to a process limit")


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


@given(st.lists(st.integers(-1000, 1000), min_size=2, max_size=30), st.integers(2, 30))
def test_limits_depend_only_on_the_baseline(values, baseline):
    # changing the points after the baseline never moves the limits
    chart = xmr(values, baseline=baseline)
    changed = xmr(values[:baseline] + [v * 3 + 7 for v in values[baseline:]], baseline=baseline)
    assert (changed.mean, changed.upper, changed.lower) == (chart.mean, chart.upper, chart.lower)


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


# --- from the definition to the results table and back -------------------------------------------------------------
def test_a_declared_step_reaches_the_chart_through_the_results_table(tmp_path):
    from pathlib import Path

    import pandas as pd

    from strategy_update.compute.observations import observations_from_extracts
    from strategy_update.compute.results import chart_from_results, compute_results
    from strategy_update.compute.stage import spc_settings
    from strategy_update.core.periods import Quarter
    from strategy_update.inputs.readers import read_force_extract
    from strategy_update.model.publication import publication_from_mapping

    quarters = [Quarter(2019, 1).shift(k) for k in range(12)]  # 2019/20 Q1 to 2021/22 Q4; the step at 2020/21 Q3
    raw = {"id": "spc-test", "title": "SPC test", "organisation": "Test", "owner_force": "Essex",
           "default_quarter": "2021-22-Q4", "history_quarters": 12, "comparisons": ["quarter-vs-previous-quarter"],
           "spc_baseline_quarters": 4, "levels": [{"id": "priority", "name": "Priority", "plural": "Priorities"}],
           "sections": [{"id": "safety", "name": "Safety", "measures": [
               {"id": "helped", "name": "People helped", "source": "force_extract", "unit": "people",
                "direction": "lower", "spc_steps": [{"quarter": quarters[6].id, "reason": "New recording rules"}]}]}]}
    publication = publication_from_mapping(raw, Path("."), "publication.yml")
    path = tmp_path / "helped.csv"
    path.write_text("period,value,source\n" + "".join(f"{q.id},{v},test\n" for q, v in zip(quarters, BEFORE + AFTER)),
                    encoding="utf-8")
    observations, rows = observations_from_extracts(
        [("safety", publication.leaves[0].measures[0], read_force_extract(path))], "Essex")
    population = pd.DataFrame({"force_name": ["Essex"], "mid_year": [2021], "population": [1_000_000], "line": [2],
                               "source_file": ["pop.csv"]})
    results = compute_results(observations, rows, population, publication_id="spc-test", quarter=quarters[-1],
                              comparisons=["quarter-vs-previous-quarter"], baseline_end=None, history_quarters=12,
                              **spc_settings(publication))
    chart, labels = chart_from_results(results)
    # baseline 4 from each side of the step: [10, 12, 11, 13] -> mean 11.5, mR-bar 5/3; [20, 22, 21, 23] -> 21.5
    assert chart == xmr(BEFORE + AFTER, baseline=4, steps={6: "New recording rules"})
    assert [(s.mean, s.baseline_end) for s in chart.parts] == [(11.5, 4), (21.5, 10)]
    assert labels[6] == "2020/21 Q3"
    means = results[results["statistic"] == "spc_mean"]
    assert list(means["period_label"]) == ["2019/20 Q1 to 2020/21 Q2", "2020/21 Q3 to 2021/22 Q4"]
    assert list(means["base_period_label"]) == ["2019/20 Q1 to 2019/20 Q4", "2020/21 Q3 to 2021/22 Q2"]
    assert list(means["text"]) == ["", "New recording rules"]


def test_steps_are_placed_by_their_quarter_and_wait_for_two_points():
    from strategy_update.compute.comparisons import quarter_span
    from strategy_update.compute.results import step_indices
    from strategy_update.core.periods import Quarter

    spans = [quarter_span(Quarter(2019, 1).shift(k)) for k in range(10)]  # 10 consecutive quarters
    firsts, ids = [s.first_month for s in spans], [s.id for s in spans]
    assert step_indices(firsts, ((ids[4], "a"),)) == {4: "a"}
    assert step_indices(firsts, ((ids[0], "at the start"), (ids[9], "in the last quarter"))) == {}
    assert step_indices(firsts, (("1990-91-Q1", "before the chart"),)) == {}


@pytest.mark.parametrize("step, message", [({"quarter": "2020-21-Q3"}, "gives no reason"),
                                           ({"quarter": "2020-21-Q5", "reason": "x"}, "Q5")])
def test_a_malformed_step_is_a_clear_input_error(step, message):
    from pathlib import Path

    from strategy_update.core.errors import InputError
    from strategy_update.model.publication import publication_from_mapping

    raw = {"id": "spc-test", "title": "SPC test", "organisation": "Test", "owner_force": "Essex",
           "default_quarter": "2021-22-Q4", "comparisons": ["quarter-vs-previous-quarter"],
           "levels": [{"id": "priority", "name": "Priority", "plural": "Priorities"}],
           "sections": [{"id": "safety", "name": "Safety", "measures": [
               {"id": "helped", "name": "People helped", "direction": "lower", "spc_steps": [step]}]}]}
    with pytest.raises(InputError, match=message):
        publication_from_mapping(raw, Path("."), "publication.yml")


def test_the_default_baseline_is_12_quarters_and_a_definition_may_change_it():
    from pathlib import Path

    from strategy_update.model.publication import publication_from_mapping

    raw = {"id": "spc-test", "title": "SPC test", "organisation": "Test", "owner_force": "Essex",
           "default_quarter": "2021-22-Q4", "comparisons": ["quarter-vs-previous-quarter"],
           "levels": [{"id": "priority", "name": "Priority", "plural": "Priorities"}],
           "sections": [{"id": "safety", "name": "Safety", "measures": [
               {"id": "helped", "name": "People helped", "direction": "lower"}]}]}
    assert publication_from_mapping(raw, Path("."), "p.yml").spc_baseline_quarters == 12
    assert publication_from_mapping({**raw, "spc_baseline_quarters": 8}, Path("."), "p.yml").spc_baseline_quarters == 8


# --- the chart: one marker a point, each kind in the legend once, steps and baselines shown -----------------------
def test_the_chart_draws_one_marker_per_point_and_names_each_kind_once():
    from strategy_update.render.charts import spc_chart

    # BEFORE + AFTER with no step: 10 points outside (5 low: improvement, 5 high: concern), the 13 and the 20
    # inside (common cause); see test_without_the_step_the_same_series_is_all_outside
    labels = [f"Q{i}" for i in range(12)]
    fig = spc_chart(labels, xmr(BEFORE + AFTER), "Test: control chart", "crimes", lower_is_better=True)
    markers = [t for t in fig.data if t.mode == "markers" and not t.name.startswith("Baseline")]
    assert sorted(x for t in markers for x in t.x) == sorted(labels)  # every point once
    assert {t.name: len(t.x) for t in markers} == {"Crimes: common cause": 2,
                                                   "Improvement: outside the process limits": 5,
                                                   "Concern: outside the process limits": 5}
    symbols = {t.name: t.marker.symbol for t in markers}
    assert symbols["Improvement: outside the process limits"] == "diamond-open"  # not colour alone
    assert symbols["Concern: outside the process limits"] == "diamond"
    shown = [t.name for t in fig.data if t.showlegend is not False]
    assert len(shown) == len(set(shown))


def test_the_chart_shows_each_baseline_and_the_step_with_its_reason():
    from strategy_update.render.charts import spc_chart

    labels = [f"Q{i}" for i in range(12)]
    fig = spc_chart(labels, xmr(BEFORE + AFTER, baseline=4, steps={6: "New recording rules"}), "T", "crimes")
    bands = [(s.x0, s.x1) for s in fig.layout.shapes if s.type == "rect"]
    assert bands == [(-0.5, 3.5), (5.5, 9.5)]  # Q0-Q3 and Q6-Q9
    assert [s.x0 for s in fig.layout.shapes if s.type == "line"] == [5.5]
    assert any(t.name == "Step change from Q6: New recording rules" for t in fig.data)
    means = [t for t in fig.data if t.name == "Mean"]
    assert [(list(t.x), t.y[0]) for t in means] == [(labels[:6], 11.5), (labels[6:], 21.5)]


def test_the_derivation_shows_each_segments_arithmetic_and_what_was_left_out():
    from types import SimpleNamespace

    from strategy_update.model.publication import Measure
    from strategy_update.render.derivations import control_chart

    # SPIKE (its moving range of 19 is left out), then a step at point 10 to BEFORE
    chart = xmr(SPIKE + BEFORE, steps={10: "New recording rules"})
    figures = SimpleNamespace(chart=chart, chart_labels=tuple(f"Q{i}" for i in range(16)),
                              measure=Measure("m", "M", "force_extract"), source_file="data/forces/x/m.csv")
    text = control_chart(figures).body
    assert "baseline Q0 to Q9: mean = sum of its 10 quarterly values / 10 = 3" in text  # 3.3, as a count
    assert "1 of its 9 moving ranges left out as more than 3.267 times their mean" in text
    assert "from the step change at Q10 (New recording rules): baseline Q10 to Q15" in text
    assert "| Q9 | 20 | 19 | yes (its moving range left out: unusually large) |" in text
