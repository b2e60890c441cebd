"""UK financial-year quarters: ids, parsing, calendar months and labels.

Convention: financial year 2021/22 runs April 2021 - March 2022; Q1 = April-June, Q2 = July-September,
Q3 = October-December, Q4 = January-March (of the following calendar year).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strategy_update.core.periods import (
    MONTH_NAMES,
    Quarter,
    QuarterError,
    parse_quarter,
    quarter_from_home_office,
    quarter_of_month,
    quarter_range,
)

Q4_2021_22 = Quarter(2021, 4)

# fy_start from 1000 to 9999 so that every accepted written form has its four-digit year.
quarters = st.builds(Quarter, st.integers(1000, 9999), st.integers(1, 4))


def written_forms(q: Quarter) -> list[str]:
    """The three accepted spellings of a quarter, built independently of Quarter.id."""
    end_two = f"{(q.fy_start + 1) % 100:02d}"
    return [
        f"{q.fy_start}-{end_two}-Q{q.number}",
        f"{q.fy_start}/{end_two} Q{q.number}",
        f"FY{q.fy_start}-{end_two} Q{q.number}",
    ]


# --- ids and labels (hand-worked) ---------------------------------------------------------------
def test_id_of_q4_2021_22():
    assert Q4_2021_22.id == "2021-22-Q4"
    assert str(Q4_2021_22) == "2021-22-Q4"


def test_id_at_century_boundary_uses_two_digit_end_year():
    # 1999 + 1 = 2000 -> "00"
    assert Quarter(1999, 2).id == "1999-00-Q2"


def test_financial_year_written_as_home_office():
    assert Q4_2021_22.financial_year == "2021/22"


def test_full_label_of_q4():
    assert Q4_2021_22.label == "Q4 2021/22 (January-March 2022)"


def test_short_label_of_q4():
    assert Q4_2021_22.short_label == "Q4 2021/22"


@pytest.mark.parametrize("number, months", [
    (1, "April-June 2021"),
    (2, "July-September 2021"),
    (3, "October-December 2021"),
    (4, "January-March 2022"),  # Q4 falls in the next calendar year
])
def test_months_label_of_each_quarter(number, months):
    assert Quarter(2021, number).months_label == months


@pytest.mark.parametrize("number, months", [
    (1, "Apr-Jun 2021"), (2, "Jul-Sep 2021"), (3, "Oct-Dec 2021"), (4, "Jan-Mar 2022"),
])
def test_short_months_label_of_each_quarter(number, months):
    assert Quarter(2021, number).short_months_label == months


@pytest.mark.parametrize("number, first, end", [
    (1, (2021, 4), (2021, 6)),
    (2, (2021, 7), (2021, 9)),
    (3, (2021, 10), (2021, 12)),
    (4, (2022, 1), (2022, 3)),
])
def test_first_and_end_month_of_each_quarter(number, first, end):
    q = Quarter(2021, number)
    assert q.first_month == first
    assert q.end_month == end


def test_twelve_months_label_of_q4_ends_in_march():
    assert Q4_2021_22.twelve_months_label() == "12 months ending March 2022"


def test_twelve_months_label_of_q3_ends_in_december():
    assert Quarter(2021, 3).twelve_months_label() == "12 months ending December 2021"


def test_next_quarter_after_q4_is_q1_of_next_year():
    nxt = Q4_2021_22.shift(1)
    assert nxt.id == "2022-23-Q1"
    assert nxt.months_label == "April-June 2022"


def test_previous_quarter_of_q1_is_q4_of_previous_year():
    assert Quarter(2022, 1).shift(-1) == Q4_2021_22


def test_same_quarter_a_year_earlier_is_shift_minus_four():
    assert Q4_2021_22.shift(-4).id == "2020-21-Q4"


def test_index_counts_quarters():
    # 2021 * 4 + 4 - 1 = 8087
    assert Q4_2021_22.index == 8087
    assert Quarter.from_index(8088) == Quarter(2022, 1)


def test_rolling_year_of_q4_is_the_financial_year():
    assert [q.id for q in Q4_2021_22.rolling_year()] == [
        "2021-22-Q1", "2021-22-Q2", "2021-22-Q3", "2021-22-Q4"]


def test_rolling_year_of_q2_straddles_two_financial_years():
    assert [q.id for q in Quarter(2021, 2).rolling_year()] == [
        "2020-21-Q3", "2020-21-Q4", "2021-22-Q1", "2021-22-Q2"]


def test_quarter_number_outside_one_to_four_rejected():
    with pytest.raises(QuarterError):
        Quarter(2021, 5)
    with pytest.raises(QuarterError):
        Quarter(2021, 0)


# --- parsing --------------------------------------------------------------------------------------
@pytest.mark.parametrize("text", ["2021-22-Q4", "2021/22 Q4", "FY2021-22 Q4", "  2021-22-Q4  "])
def test_accepted_forms_parse_to_q4_2021_22(text):
    assert parse_quarter(text) == Q4_2021_22


@pytest.mark.parametrize("text", [
    "2021-22-Q5",      # no fifth quarter
    "2021-22-Q0",
    "2021-23-Q1",      # 2021 must be followed by 22
    "2021-22 Q4",      # mixes two forms
    "Q4 2021/22",      # the display label is not an input form
    "2021-Q4",
    "2021/2022 Q4",
    "",
    "22-Q4",
])
def test_malformed_ids_rejected(text):
    with pytest.raises(QuarterError):
        parse_quarter(text)


@pytest.mark.parametrize("text", ["2021-22-Q5", "2021-23-Q1", "last quarter"])
def test_rejection_message_lists_every_accepted_form(text):
    with pytest.raises(QuarterError) as info:
        parse_quarter(text)
    message = str(info.value)
    for form in ("2021-22-Q4", "2021/22 Q4", "FY2021-22 Q4"):
        assert form in message
    assert text in message


def test_wrong_end_year_message_says_which_year_should_follow():
    with pytest.raises(QuarterError, match="2021 must be followed by 22"):
        parse_quarter("2021-23-Q1")


def test_quarter_from_home_office_columns():
    assert quarter_from_home_office("2021/22", 4) == Q4_2021_22
    assert quarter_from_home_office("2019/20", "1") == Quarter(2019, 1)


# --- quarter_of_month and quarter_range (hand-worked) ------------------------------------------------
@pytest.mark.parametrize("year, month, expected", [
    (2022, 1, "2021-22-Q4"), (2022, 3, "2021-22-Q4"),
    (2022, 4, "2022-23-Q1"), (2021, 6, "2021-22-Q1"),
    (2021, 7, "2021-22-Q2"), (2021, 9, "2021-22-Q2"),
    (2021, 10, "2021-22-Q3"), (2021, 12, "2021-22-Q3"),
])
def test_quarter_of_month(year, month, expected):
    assert quarter_of_month(year, month).id == expected


def test_quarter_range_is_inclusive():
    assert [q.id for q in quarter_range(Quarter(2021, 3), Quarter(2022, 2))] == [
        "2021-22-Q3", "2021-22-Q4", "2022-23-Q1", "2022-23-Q2"]


def test_quarter_range_of_one_quarter():
    assert quarter_range(Q4_2021_22, Q4_2021_22) == [Q4_2021_22]


def test_quarter_range_backwards_is_empty():
    assert quarter_range(Q4_2021_22, Quarter(2021, 1)) == []


# --- properties -------------------------------------------------------------------------------------
@given(quarters)
def test_every_written_form_round_trips(q):
    for form in written_forms(q):
        assert parse_quarter(form) == q


@given(quarters)
def test_id_round_trips(q):
    assert parse_quarter(q.id) == q


@given(quarters, st.integers(-10_000, 10_000))
def test_shift_then_unshift_is_identity(q, n):
    assert q.shift(n).shift(-n) == q


@given(quarters, st.integers(-10_000, 10_000))
def test_shift_moves_index_by_n(q, n):
    assert q.shift(n).index == q.index + n


@given(quarters, quarters)
def test_ordering_matches_index(a, b):
    assert (a < b) == (a.index < b.index)
    assert (a == b) == (a.index == b.index)


@given(quarters)
def test_from_index_inverts_index(q):
    assert Quarter.from_index(q.index) == q


@given(quarters)
def test_rolling_year_is_four_consecutive_quarters_ending_with_quarter(q):
    year = q.rolling_year()
    assert len(year) == 4
    assert year[-1] == q
    assert [b.index - a.index for a, b in zip(year, year[1:])] == [1, 1, 1]


@given(quarters)
def test_twelve_months_label_names_end_month(q):
    year, month = q.end_month
    assert q.twelve_months_label() == f"12 months ending {MONTH_NAMES[month - 1]} {year}"


@given(quarters)
def test_quarter_of_month_agrees_with_first_and_end_month(q):
    (y1, m1), (y2, m2) = q.first_month, q.end_month
    assert y1 == y2 and m2 == m1 + 2  # a quarter never crosses a calendar year
    for month in range(m1, m2 + 1):
        assert quarter_of_month(y1, month) == q


@given(st.integers(1001, 9998), st.integers(1, 12))
def test_every_month_lies_inside_its_quarter(year, month):
    q = quarter_of_month(year, month)
    assert q.first_month <= (year, month) <= q.end_month


def _months_of(label: str) -> tuple[int, int, int]:
    """'January-March 2022' -> (1, 3, 2022)."""
    months, year = label.split(" ")
    first, last = months.split("-")
    return MONTH_NAMES.index(first) + 1, MONTH_NAMES.index(last) + 1, int(year)


@given(quarters)
def test_months_labels_of_consecutive_quarters_chain_without_gaps(q):
    first, last, year = _months_of(q.months_label)
    n_first, n_last, n_year = _months_of(q.shift(1).months_label)
    assert last - first == 2 and n_last - n_first == 2
    if last == 12:
        assert (n_first, n_year) == (1, year + 1)
    else:
        assert (n_first, n_year) == (last + 1, year)


@given(quarters)
def test_label_combines_short_label_and_months(q):
    assert q.label == f"{q.short_label} ({q.months_label})"


@pytest.mark.parametrize("text,expected", [("2021-22 Q4", "2021-22-Q4"), (" 2021/22 Q4 ", "2021-22-Q4"),
                                           ("FY2019-20 Q1", "2019-20-Q1"), ("2021-22 Q5", None), ("Q4", None),
                                           ("2021-23 Q1", None)])
def test_tracker_quarter_reads_the_spreadsheet_spelling_and_refuses_others(text, expected):
    from strategy_update.core.periods import tracker_quarter

    found = tracker_quarter(text)
    assert (found.id if found else None) == expected
