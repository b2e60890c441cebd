"""Display formatting: values stay exact, rounding (half away from zero) happens only here."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategy_update.core.formatting import (
    and_list,
    format_change,
    format_count,
    format_pct,
    format_rate,
    round_half_away,
)


# --- round_half_away ------------------------------------------------------------------------------
def test_round_0_125_to_two_places_is_0_13():
    # binary 0.125 is exact, but Python's round(0.125, 2) gives 0.12 (half to even); we want 0.13
    assert round_half_away(0.125, 2) == Decimal("0.13")


def test_round_2_5_is_3():
    assert round_half_away(2.5) == Decimal("3")


def test_round_minus_2_5_is_minus_3():
    assert round_half_away(-2.5) == Decimal("-3")


def test_round_46_35_to_one_place_is_46_4():
    # 46.35 -> 46.4: the digit after the kept place is 5, so round up (away from zero)
    assert round_half_away(46.35, 1) == Decimal("46.4")


def test_round_uses_value_as_written_not_binary_approximation():
    # 2.675 is stored as 2.67499999...; as written its third decimal is 5, so it rounds up to 2.68
    assert round_half_away(2.675, 2) == Decimal("2.68")
    # likewise 1.005 (stored 1.00499...) -> 1.01 and 0.15 (stored 0.1499...) -> 0.2
    assert round_half_away(1.005, 2) == Decimal("1.01")
    assert format_pct(0.15) == "+0.2%"


def test_round_0_5_is_1_not_0():
    assert round_half_away(0.5) == Decimal("1")


def test_round_below_half_goes_down():
    assert round_half_away(2.49) == Decimal("2")
    assert round_half_away(-2.49) == Decimal("-2")


def test_round_keeps_requested_places():
    assert str(round_half_away(3, 2)) == "3.00"


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(0, 4))
def test_rounding_is_symmetric_about_zero(value, places):
    assert round_half_away(-value, places) == -round_half_away(value, places)


@given(st.integers(-10**6, 10**6))
def test_every_half_rounds_away_from_zero(k):
    # k + 0.5 (exact in binary) rounds to k + 1 when k >= 0 and to k when k < 0 (away from zero)
    expected = k + 1 if k >= 0 else k
    assert round_half_away(k + 0.5) == expected


# --- format_count -------------------------------------------------------------------------------------
def test_count_has_thousands_separator():
    assert format_count(2833) == "2,833"


def test_count_of_a_million():
    assert format_count(1234567) == "1,234,567"


def test_count_float_is_rounded_half_away():
    assert format_count(1934.5) == "1,935"


def test_count_none_is_na():
    assert format_count(None) == "n/a"


def test_count_zero():
    assert format_count(0) == "0"


def test_count_nan_is_na():
    assert format_count(float("nan")) == "n/a"


# --- format_change ------------------------------------------------------------------------------------
def test_change_real_example_increase():
    # 2,833 - 1,935 = +898
    assert format_change(2833 - 1935) == "+898"


def test_change_real_example_decrease():
    # 2,714 - 3,331 = -617
    assert format_change(2714 - 3331) == "-617"


def test_change_large_negative_has_separator():
    assert format_change(-2108) == "-2,108"


def test_change_zero_has_no_sign():
    assert format_change(0) == "0"


def test_change_none_is_na():
    assert format_change(None) == "n/a"


# --- format_pct -----------------------------------------------------------------------------------------
def test_pct_real_example_increase():
    # 898 / 1,935 x 100 = 46.408... -> +46.4%
    assert format_pct(898 / 1935 * 100) == "+46.4%"


def test_pct_real_example_decrease():
    # -617 / 3,331 x 100 = -18.523... -> -18.5%
    assert format_pct(-617 / 3331 * 100) == "-18.5%"


def test_pct_half_rounds_away_from_zero():
    # 46.35 -> 46.4 and -46.35 -> -46.4; 46.25 -> 46.3 (Python's round() gives 46.2, half to even)
    assert format_pct(46.35) == "+46.4%"
    assert format_pct(-46.35) == "-46.4%"
    assert format_pct(46.25) == "+46.3%"


def test_pct_zero_is_unsigned():
    assert format_pct(0) == "0.0%"


@pytest.mark.parametrize("tiny", [-0.04, -0.0, -0.049])
def test_pct_never_shows_minus_zero(tiny):
    # -0.04 rounds to -0.0 at one place; it must be shown as 0.0%
    assert format_pct(tiny) == "0.0%"


def test_pct_minus_0_05_rounds_away_to_minus_0_1():
    assert format_pct(-0.05) == "-0.1%"


def test_pct_none_is_na():
    assert format_pct(None) == "n/a"


def test_pct_other_places():
    assert format_pct(12.345, places=2) == "+12.35%"
    assert format_pct(12.5, places=0) == "+13%"


def test_pct_large_value_has_separator():
    assert format_pct(1234.56) == "+1,234.6%"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_pct_never_shows_minus_zero_for_any_value(value):
    assert format_pct(value) != "-0.0%"


@given(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False))
def test_pct_sign_matches_rounded_value(value):
    text = format_pct(value)
    rounded = round_half_away(value, 1)
    assert text.endswith("%")
    if rounded > 0:
        assert text.startswith("+")
    elif rounded < 0:
        assert text.startswith("-")
    else:
        assert text == "0.0%"


# --- format_rate --------------------------------------------------------------------------------------------
def test_rate_two_places_half_away():
    assert format_rate(0.125) == "0.13"


def test_rate_per_thousand_example():
    # 2,833 / 1,864,200 x 1,000 = 1.51968... -> 1.52
    assert format_rate(2833 / 1864200 * 1000) == "1.52"


def test_rate_pads_places_and_separates_thousands():
    assert format_rate(1234.5) == "1,234.50"


def test_rate_none_is_na():
    assert format_rate(None) == "n/a"


@pytest.mark.parametrize("seconds,value,change", [(163, "2 min 43 s", "+2 min 43 s"), (48, "48 s", "+48 s"),
                                                  (-67, "-1 min 7 s", "-1 min 7 s"), (0, "0 s", "0 s"),
                                                  (3600, "60 min 0 s", "+60 min 0 s"), (None, "n/a", "n/a")])
def test_times_in_seconds_read_as_minutes_and_seconds(seconds, value, change):
    from strategy_update.core.formatting import format_difference, format_value

    assert format_value(seconds, "seconds") == value
    assert format_difference(seconds, "seconds") == change


def test_a_time_comparison_reads_as_shorter_or_longer():
    from types import SimpleNamespace

    from strategy_update.render.text import comparison_sentence

    # the 101 answer time printed in the Q4 2021/22 plan update: 2 min 43 s against 3 min 50 s; -67 / 230 = -29.1%
    c = SimpleNamespace(current=163.0, base=230.0, change=-67.0, pct_change=-67 / 230 * 100,
                        current_label="Q4 2021/22", base_label="Q3 2021/22")
    assert comparison_sentence(c, "seconds") == ("In the Q4 2021/22 the time was 2 min 43 s, 1 min 7 s (29.1%) "
                                                 "shorter than in the Q3 2021/22 (3 min 50 s).")


def test_a_percentage_comparison_is_in_points_without_a_per_cent_change():
    from types import SimpleNamespace

    from strategy_update.render.text import comparison_sentence

    c = SimpleNamespace(current=46.28, base=46.43, change=-0.15, pct_change=-0.15 / 46.43 * 100,
                        current_label="Q4 2021/22", base_label="Q3 2021/22")
    assert comparison_sentence(c, "percent") == ("In the Q4 2021/22 the figure was 46.28%, 0.15 percentage points "
                                                 "lower than in the Q3 2021/22 (46.43%).")


@pytest.mark.parametrize("period,expected", [
    ("2021-04/2022-03", "There is no 12-month figure"),  # positions on different days are never added up
    ("2021-22-Q4", "There is no figure at 31 March 2022 in the Home Office workforce data")])
def test_a_count_at_31_march_has_no_12_month_figure(period, expected):
    from types import SimpleNamespace

    from strategy_update.render.text import snapshot_sentence

    c = SimpleNamespace(current=None, base=3100.0, change=None, pct_change=None, current_period=period,
                        current_label="at 31 March 2022", base_label="at 31 March 2021")
    assert snapshot_sentence(c, "officers").startswith(expected)


def test_items_are_named_in_a_sentence_with_and_before_the_last():
    assert and_list(["a"]) == "a"
    assert and_list(["a", "b"]) == "a and b"
    assert and_list(["a", "b", "c"]) == "a, b and c"
