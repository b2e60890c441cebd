"""The back test: hand-worked recomputation rules, the real printed figures, the delivery totals row and the
open-data context."""

from __future__ import annotations

import math
import re
from decimal import Decimal
from fractions import Fraction

import pandas as pd
import pytest

from conftest import DATA, DEFAULT, PATHS, REFERENCE_ALL, run_cli
from strategy_update.compute.backtest import (
    ROW_COLUMNS,
    backtest_rows,
    breakdown_checks,
    comparison_checks,
    delivery_checks,
    open_data_context,
    twelve_month_quarter,
)
from strategy_update.compute.printed import (
    CANNOT,
    CONSISTENT,
    INCONSISTENT,
    check_change,
    check_pct_change,
    check_share,
    check_sum,
    check_values_only,
    consistent_at_printed_precision,
    parse_printed,
)
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.render.backtest_page import backtest_report, render_markdown

DELIVERY_DOCUMENT, DELIVERY_SECTION = "000_398afc54d932d0a8.txt", "Delivery plan progress"


@pytest.fixture(scope="module")
def rows():
    """Every check of the printed figures of the four hand-made reports (documents 000-003)."""
    checks = (comparison_checks(REFERENCE_ALL / "published-comparisons.csv")
              + breakdown_checks(REFERENCE_ALL / "published-breakdowns.csv")
              + delivery_checks(REFERENCE_ALL / "delivery-plan-2021-22-Q4.csv", load_publication(PATHS),
                                DELIVERY_DOCUMENT, DELIVERY_SECTION))
    return pd.DataFrame(checks, columns=[c for c in ROW_COLUMNS if c != "document_title"])


@pytest.fixture(scope="module")
def default_rows():
    """The checks of the default publication's reference: document 000 only."""
    return backtest_rows(PATHS)


def one(frame, **match):
    selected = frame
    for column, value in match.items():
        selected = selected[selected[column] == value]
    assert len(selected) == 1, f"{len(selected)} rows match {match}"
    return selected.iloc[0]


# --- reading printed figures ---------------------------------------------------------------------------
@pytest.mark.parametrize("text, value, places", [
    ("46.4", "46.4", 1), ("8", "8", 0), ("-28.0", "-28.0", 1), ("+898", "898", 0), ("-2,108", "-2108", 0),
    ("30,984", "30984", 0), ("1,234.50", "1234.50", 2), ("\u221228.0", "-28.0", 1), ("46.4%", "46.4", 1),
    (" 63 ", "63", 0), (".5", "0.5", 1),
])
def test_parse_printed_reads_sign_separators_and_places(text, value, places):
    assert parse_printed(text) == (Decimal(value), places)


@pytest.mark.parametrize("text", ["", "n/a", "1,23", "12,3456", "4.4.4", "+", "--3", "3-"])
def test_parse_printed_rejects_what_is_not_a_printed_number(text):
    with pytest.raises(ValueError):
        parse_printed(text)


# --- consistent at the printed precision ---------------------------------------------------------------
@pytest.mark.parametrize("printed, recomputed, expected", [
    # the precision is the number of places printed
    ("46.4", 898 / 1935 * 100, True),      # 46.408
    ("46.41", 898 / 1935 * 100, True),
    ("46.40", 898 / 1935 * 100, False),    # at two places it is 46.41
    ("46", 898 / 1935 * 100, True),
    ("8", 24 / 301 * 100, True),           # 7.973 rounds to 8
    ("8.0", 24 / 301 * 100, True),
    ("7.9", 24 / 301 * 100, False),
    ("28", 71 / 254 * 100, True),          # 27.95
    ("27.9", 71 / 254 * 100, False),       # 27.95... rounds to 28.0 at one place
    # half away from zero, not Python's half to even
    ("3", 2.5, True), ("2", 2.5, False), ("2.5", 2.5, True),
    ("-3", -2.5, True), ("-2", -2.5, False),
    ("1", 0.5, True), ("0", 0.5, False),
    ("2.68", 2.675, True),                 # as written, although the binary float is just below 2.675
    ("3", Fraction(5, 2), True), ("3", Decimal("2.5"), True), ("2", Decimal("2.4999"), True),
    # signs
    ("-28.0", -27.98, True), ("-28", -27.98, True), ("28.0", -27.98, False), ("-28.1", -28.05, True),
    ("-0.0", -0.04, True), ("0.0", -0.04, True),
    # thousands separators
    ("-2,108", -2108, True), ("2,108", 2108, True), ("2,108", 2107, False), ("1,234.5", 1234.45, True),
    ("+898", 898, True), ("-898", 898, False),
])
def test_consistent_at_printed_precision(printed, recomputed, expected):
    assert consistent_at_printed_precision(printed, recomputed) is expected


@pytest.mark.parametrize("recomputed", [None, float("nan"), float("inf"), float("-inf")])
def test_nothing_recomputed_is_an_error_not_a_verdict(recomputed):
    with pytest.raises(ValueError):
        consistent_at_printed_precision("8", recomputed)


# --- the checks, hand-worked -----------------------------------------------------------------------------
def d(text):
    return Decimal(text)


def test_change_consistent_and_inconsistent():
    ok = check_change(d("2833"), d("1935"), "898")
    assert ok.verdict == CONSISTENT and ok.recomputed == "+898" and ok.difference == 0
    wrong = check_change(d("2833"), d("1935"), "889")
    assert wrong.verdict == INCONSISTENT
    assert wrong.difference == -9
    assert wrong.finding == ("Printed change +889; recomputed +898 (2,833 - 1,935); the printed change differs "
                             "by 9 at the printed precision (whole numbers).")


def test_negative_change_with_thousands_separator():
    check = check_change(d("3271"), d("5379"), "-2,108")
    assert check.verdict == CONSISTENT and check.recomputed == "-2,108"


def test_change_with_no_base_cannot_be_checked_and_says_why():
    check = check_change(d("82621"), None, "-5599", pct_printed=True)
    assert check.verdict == CANNOT
    assert "no base printed" in check.reason
    assert "derive the base" in check.finding
    assert check.difference is None


def test_pct_change_hand_worked():
    check = check_pct_change(d("2833"), d("1935"), d("898"), "46.4")
    assert check.verdict == CONSISTENT
    assert check.recomputed == "+46.41%"
    assert check.finding == ("Printed % change +46.4%; recomputed +46.41% (898 / 1,935 x 100), which rounds to "
                             "+46.4% at the printed precision (one decimal place).")


def test_pct_change_shows_enough_decimals_to_see_the_rounding():
    # 770 / 30,214 x 100 = 2.5485...: shown to 2 places it would read 2.55 and seem to round to 2.6.
    check = check_pct_change(d("30984"), d("30214"), d("770"), "2.6")
    assert check.verdict == INCONSISTENT
    assert check.recomputed == "+2.548%"
    assert "recomputed +2.548% (770 / 30,214 x 100), which rounds to +2.5% at the printed precision" in check.finding
    # a share is judged the same way
    share = check_share("770", "30214", "2.5")
    assert share.verdict == CONSISTENT and share.recomputed == "2.548%"


def test_pct_change_inconsistent_is_worded_exactly():
    # 24 more than a base of 254 is +9.45%, not the +8 printed.
    check = check_pct_change(d("278"), d("254"), d("24"), "8")
    assert check.verdict == INCONSISTENT
    assert check.finding == ("Printed % change +8%; recomputed +9.45% (24 / 254 x 100), which rounds to +9% at the "
                             "printed precision (whole numbers); the printed figure differs by 1.45 percentage "
                             "points.")
    assert float(check.difference) == pytest.approx(8 - 24 / 254 * 100)


@pytest.mark.parametrize("value, printed, verdict", [
    ("1035", "3.5", CONSISTENT), ("1035", "4", CONSISTENT), ("1035", "3", INCONSISTENT),
    ("965", "-3.5", CONSISTENT), ("965", "-4", CONSISTENT), ("965", "-3", INCONSISTENT),
    ("965", "3.5", INCONSISTENT),
])
def test_pct_change_exact_halves_round_away_from_zero(value, printed, verdict):
    assert check_pct_change(d(value), d("1000"), None, printed).verdict == verdict


def test_missing_base_and_change_cannot_be_checked():
    check = check_pct_change(d("390"), None, None, "12")
    assert check.verdict == CANNOT
    assert check.reason == "no base printed and no change printed"
    assert check.recomputed_value is None


def test_missing_base_is_derived_from_value_and_change():
    check = check_pct_change(d("82621"), None, d("-5599"), "-6")
    assert check.verdict == CONSISTENT
    assert "base derived from the printed value and change: 82,621 - (-5,599) = 88,220" in check.finding
    assert float(check.recomputed_value) == pytest.approx(-5599 / 88220 * 100)


def test_zero_base_gives_na_never_infinity():
    direct = check_pct_change(d("10"), d("0"), d("10"), "100")
    derived = check_pct_change(d("10"), None, d("10"), "100")  # base = 10 - 10 = 0
    for check in (direct, derived):
        assert check.verdict == CANNOT and "n/a" in check.reason
        assert check.recomputed_value is None and check.difference is None
    assert "% change n/a" in check_values_only(d("5"), d("0")).finding
    assert check_share("3", "0", "50").verdict == CANNOT


def test_values_only_is_shown_for_information():
    check = check_values_only(d("707"), d("804"))
    assert check.verdict == CANNOT
    assert check.recomputed == "-97 (-12.1%)"
    assert check_values_only(d("46.28"), d("46.43"), "percent").recomputed == "-0.15 percentage points"


def test_sum_and_share_hand_worked():
    short = check_sum("700", [("breath", "350"), ("drugs wipe", "252"), ("failing to provide", "94")])
    assert short.verdict == INCONSISTENT and short.recomputed == "696" and short.difference == 4
    assert short.finding == ("The printed parts (350 + 252 + 94) add up to 696; the printed total is 700, 4 more "
                             "than the parts.")
    assert check_sum("661", [("a", "215"), ("b", "369"), ("c", "77")]).verdict == CONSISTENT
    assert check_sum("1,000", [("a", "600"), ("b", "400")]).verdict == CONSISTENT
    share = check_share("121", "191", "63")
    assert share.verdict == CONSISTENT and share.recomputed == "63.35%"
    assert check_share("121", "191", "63.4").verdict == CONSISTENT
    assert check_share("121", "191", "64").verdict == INCONSISTENT


# --- the real printed figures --------------------------------------------------------------------------------
def test_every_row_has_a_known_verdict_and_nothing_infinite(rows):
    assert len(rows) > 90
    assert set(rows["verdict"]) <= {CONSISTENT, INCONSISTENT, CANNOT}
    values = [v for v in rows["recomputed_value"].tolist() + rows["difference"].tolist() if v is not None]
    assert not any(isinstance(v, float) and math.isinf(v) for v in values)
    cannot = rows[rows["verdict"] == CANNOT]
    assert (cannot["reason"].str.len() > 0).all()
    assert "inf" not in " ".join(rows["recomputed"]).lower()


@pytest.mark.parametrize("subject, period, base_period, check, printed, recomputed", [
    ("Rape", "12 months to Mar 2022", "12 months to Mar 2021", "change", "+898", 898),
    ("Rape", "12 months to Mar 2022", "12 months to Mar 2021", "% change", "+46.4%", 898 / 1935 * 100),
    ("Dwelling Burglary", "12 months to Mar 2022", "12 months to Mar 2020", "change", "-2,108", -2108),
    ("Dwelling Burglary", "12 months to Mar 2022", "12 months to Mar 2020", "% change", "-39.2%",
     -2108 / 5379 * 100),
    ("Street Robbery", "Jan-Mar 2022", "Oct-Dec 2021", "% change", "+8%", 24 / 301 * 100),
    ("Street Robbery", "Jan-Mar 2022", "Jan-Mar 2021", "% change", "+28%", 71 / 254 * 100),
    ("Fraud", "12 months to Mar 2022", "12 months to Mar 2020", "% change", "-28.0%", -558 / 1994 * 100),
])
def test_real_printed_figures_that_are_consistent(rows, subject, period, base_period, check, printed, recomputed):
    row = one(rows, subject=subject, period=period, base_period=base_period, check=check)
    assert row["verdict"] == CONSISTENT
    assert row["printed"] == printed
    assert row["recomputed_value"] == pytest.approx(recomputed)


def test_real_shares_that_are_consistent(rows):
    resolution = one(rows, subject="Resolution Centre", period="Jan-Mar 2022", check="share of the total")
    assert resolution["verdict"] == CONSISTENT and resolution["recomputed_value"] == pytest.approx(2060 / 2343 * 100)
    raptor = one(rows, subject="County Lines", check="share of the total")
    assert raptor["verdict"] == CONSISTENT and raptor["recomputed"] == "63.35%"


def test_the_inconsistencies_in_the_printed_reports(rows):
    wrong = rows[rows["verdict"] == INCONSISTENT]
    found = {(r["subject"], r["period"], r["base_period"], r["check"]) for _, r in wrong.iterrows()}
    assert found == {
        ("Rape", "12 months to Mar 2022", "12 months to Mar 2020", "% change"),           # 685/2148 = 31.9, not 27.5
        ("Child Sexual Exploitation", "12 months to Mar 2022", "12 months to Mar 2020", "% change"),  # 11.2
        ("Domestic Abuse", "12 months to Mar 2022", "12 months to Mar 2020", "% change"),  # 2.55 -> 2.5
        ("Force Control Room", "Jan-Mar 2022", "Oct-Dec 2021", "% change"),                # -29.1, not -30.7
        ("Resolution Centre", "Jan-Mar 2022", "Jan-Mar 2021", "% change"),                 # 19.3, not 19.5
        ("Roads", "Jan-Mar 2022", "", "parts add up to the total"),                        # 696, not 700
        ("Cybercrime and Fraud", "Q4 2021/22", "", "complete + ongoing + at risk add up to the total actions"),
        ("Total (printed totals row)", "Q4 2021/22", "",
         "totals row: complete + ongoing + at risk add up to the total actions"),          # 587, not 594
    }
    rape = one(wrong, subject="Rape")
    assert rape["finding"] == ("Printed % change +27.5%; recomputed +31.89% (685 / 2,148 x 100), which rounds to "
                               "+31.9% at the printed precision (one decimal place); the printed figure differs by "
                               "4.39 percentage points.")


def test_base_derived_from_a_printed_change(rows):
    calls = rows[(rows["subject"] == "Force Control Room") & (rows["measure"] == "emergency (999) calls")
                 & (rows["period"] == "Jan-Mar 2022")]
    change, pct = one(calls, check="change"), one(calls, check="% change")
    assert change["verdict"] == CANNOT and "no base printed" in change["reason"]
    assert pct["verdict"] == CONSISTENT and "82,621 - (-5,599) = 88,220" in pct["finding"]


def test_values_without_a_printed_change_are_listed_not_judged(rows):
    kept = rows[rows["check"] == "change and % change"]
    assert len(kept) == 16 and set(kept["verdict"]) == {CANNOT}


def test_delivery_table_rows_and_printed_totals_row(rows):
    cyber = one(rows, subject="Cybercrime and Fraud", check="complete + ongoing + at risk add up to the total actions")
    assert (cyber["printed"], cyber["recomputed"], cyber["difference"]) == ("42", "35", 7)
    totals = rows[rows["subject"] == "Total (printed totals row)"]
    columns = totals[totals["check"].str.startswith("column total")]
    assert columns["printed"].tolist() == ["594", "302", "285", "0"]
    assert columns["recomputed"].tolist() == ["594", "302", "285", "0"]
    assert set(columns["verdict"]) == {CONSISTENT}
    parts = one(totals, check="totals row: complete + ongoing + at risk add up to the total actions")
    assert (parts["verdict"], parts["printed"], parts["recomputed"], parts["difference"]) == (
        INCONSISTENT, "594", "587", 7)


def test_the_default_publication_checks_document_000_only(default_rows, rows):
    assert set(default_rows["document"]) == {DELIVERY_DOCUMENT}
    assert set(default_rows["document_title"]) == {"Crime Prevention Strategy update, Q4 2021/22"}
    assert len(default_rows) == (rows["document"] == DELIVERY_DOCUMENT).sum()
    delivery = default_rows[default_rows["check"].str.contains("total actions")]
    assert set(delivery["section"]) == {DELIVERY_SECTION}


def test_the_inconsistencies_in_the_default_publications_report(default_rows):
    wrong = default_rows[default_rows["verdict"] == INCONSISTENT]
    found = {(r["subject"], r["period"], r["base_period"], r["check"]) for _, r in wrong.iterrows()}
    assert found == {
        ("Rape", "12 months to Mar 2022", "12 months to Mar 2020", "% change"),           # 685/2148 = 31.9, not 27.5
        ("Child Sexual Exploitation", "12 months to Mar 2022", "12 months to Mar 2020", "% change"),  # 11.2, not 10.6
        ("Domestic Abuse", "12 months to Mar 2022", "12 months to Mar 2020", "% change"),  # 2.548 -> 2.5, not 2.6
        ("Cybercrime and Fraud", "Q4 2021/22", "", "complete + ongoing + at risk add up to the total actions"),
        ("Total (printed totals row)", "Q4 2021/22", "",
         "totals row: complete + ongoing + at risk add up to the total actions"),          # 587, not 594
    }
    assert one(wrong, subject="Rape")["finding"] == (
        "Printed % change +27.5%; recomputed +31.89% (685 / 2,148 x 100), which rounds to +31.9% at the printed "
        "precision (one decimal place); the printed figure differs by 4.39 percentage points.")
    cse = one(wrong, subject="Child Sexual Exploitation")
    assert (cse["printed"], cse["recomputed"]) == ("+10.6%", "+11.23%")
    abuse = one(wrong, subject="Domestic Abuse")
    assert (abuse["printed"], abuse["recomputed"]) == ("+2.6%", "+2.548%")
    cyber = one(wrong, subject="Cybercrime and Fraud")
    assert (cyber["printed"], cyber["recomputed"], cyber["difference"]) == ("42", "35", 7)
    totals = one(wrong, subject="Total (printed totals row)")
    assert (totals["printed"], totals["recomputed"], totals["difference"]) == ("594", "587", 7)


def _reference(tmp_path, comparisons: str, breakdowns: str = "", delivery: str | None = None) -> InputPaths:
    """A copy of the default publication whose reference/ holds only the given printed figures."""
    publications = tmp_path / "publications"
    (publications / DEFAULT).mkdir(parents=True)
    (publications / DEFAULT / "publication.yml").write_bytes(PATHS.definition.read_bytes())
    paths = InputPaths(DATA, publications, DEFAULT, "essex")
    reference = paths.reference
    reference.mkdir(parents=True)
    (reference / "published-comparisons.csv").write_text(
        "document,section,subject,measure,unit,period,value,base_period,base_value,published_change,"
        "published_pct_change\n" + comparisons)
    (reference / "published-breakdowns.csv").write_text(
        "document,section,subject,measure,period,total,part,part_value,published_share_pct\n" + breakdowns)
    if delivery is not None:
        (reference / "delivery-plan-2022-23-Q1.csv").write_text(
            "quarter,strand,total_actions,complete,ongoing,at_risk\n" + delivery)
    return paths


def test_a_totals_row_in_the_delivery_file_is_checked(tmp_path):
    data = _reference(tmp_path, "", delivery="2022-23 Q1,A,6,4,2,0\n2022-23 Q1,B,4,2,1,0\n2022-23 Q1,Total,10,6,3,0\n")
    result = backtest_rows(data)
    assert set(result["document"]) == {DELIVERY_DOCUMENT}  # the publication's delivery document
    b = one(result, subject="B")
    assert b["verdict"] == INCONSISTENT and b["recomputed"] == "3"
    assert b["period"] == "Q1 2022/23"
    totals = result[result["subject"] == "Total (printed totals row)"]
    assert set(totals[totals["check"].str.startswith("column total")]["verdict"]) == {CONSISTENT}
    assert one(totals, check="totals row: complete + ongoing + at risk add up to the total actions")[
        "verdict"] == INCONSISTENT
    assert all("line 4" in s for s in totals["source"])


def test_synthetic_comparisons_never_crash(tmp_path):
    data = _reference(tmp_path, (
        "doc.txt,1,A,m,count,Q2,10,Q1,,,12\n"          # no base, no change
        "doc.txt,1,B,m,count,Q2,10,Q1,0,10,\n"         # zero base, change only
        "doc.txt,1,C,m,count,Q2,10,Q1,0,,100\n"        # zero base, % printed
        "doc.txt,1,D,m,count,Q2,\"1,050\",Q1,,50,5\n"  # base derived: 1,000
        "doc.txt,1,E,m,count,Q2,10,Q1,4,n/a,\n"        # unreadable change
    ), breakdowns="doc.txt,2,F,m,Q2,10,only part,4,\n")
    result = backtest_rows(data)
    assert one(result, subject="A")["reason"] == "no base printed and no change printed"
    assert one(result, subject="B")["verdict"] == CONSISTENT
    assert "n/a" in one(result, subject="C")["reason"]
    assert one(result, subject="D", check="% change")["verdict"] == CONSISTENT
    assert one(result, subject="E")["verdict"] == CANNOT
    assert one(result, subject="F")["verdict"] == CANNOT
    page = render_markdown(data)
    assert "No printed 12-month figure has a comparable open-data measure." in page
    assert "7 printed figures checked" in page


# --- open-data context ------------------------------------------------------------------------------------
def test_twelve_month_periods():
    assert twelve_month_quarter("12 months to Mar 2022").id == "2021-22-Q4"
    assert twelve_month_quarter("12 months to Dec 2021").id == "2021-22-Q3"
    assert twelve_month_quarter("12 months to Apr 2021") is None
    assert twelve_month_quarter("Jan-Mar 2022") is None


def test_open_data_context_beside_the_printed_figures():
    context = open_data_context(PATHS)
    assert "verdict" not in context.columns
    assert len(context) == 9
    notes = {m.id: m.definition_note for _, m in load_publication(PATHS).measures}
    expected = {  # (force printed, Home Office open data; the open-data sums are in data/raw/SOURCES.md)
        ("rape-offences", "12 months ending March 2022"): (2833, 2892),
        ("rape-offences", "12 months ending March 2021"): (1935, 1985),
        ("rape-offences", "12 months ending March 2020"): (2148, 2178),
        ("personal-robbery", "12 months ending March 2022"): (1271, 1279),
        ("personal-robbery", "12 months ending March 2020"): (1427, 1435),
        ("residential-burglary", "12 months ending March 2022"): (3271, 4887),
        ("residential-burglary", "12 months ending March 2021"): (3097, 4842),
        ("residential-burglary", "12 months ending March 2020"): (5379, 7493),
    }
    for (measure_id, period), (force, open_data) in expected.items():
        row = one(context, measure_id=measure_id, period=period)
        assert (row["force_figure"], row["open_data"]) == (force, open_data)
        assert row["difference"] == force - open_data
        assert row["pct_difference"] == pytest.approx((force - open_data) / open_data * 100)
        assert row["definition_note"] == notes[measure_id]
    assert set(one(context, measure_id="personal-robbery", period="12 months ending March 2021")[
        ["subject", "section"]]) == {"Street Robbery", "Dwelling Burglary and Street Robbery"}


# --- the page and the command line ------------------------------------------------------------------------
def test_page_summary_inconsistencies_first_and_every_figure(default_rows):
    rows = default_rows
    page = render_markdown(PATHS)
    counts = {verdict: int((rows["verdict"] == verdict).sum()) for verdict in [CONSISTENT, INCONSISTENT, CANNOT]}
    assert counts[INCONSISTENT] == 5
    assert (f"{len(rows)} printed figures checked: {counts[CONSISTENT]} consistent, {counts[INCONSISTENT]} "
            f"inconsistent, {counts[CANNOT]} cannot be checked.") in page
    listed = page.index("## Printed figures that do not agree")
    table = page.index("## Every printed figure checked")
    context = page.index("## Context")
    assert listed < table < context
    assert page[listed:table].count("**Inconsistent:**") == counts[INCONSISTENT]
    table_rows = [line for line in page[table:context].splitlines() if line.startswith("| ") and "---" not in line]
    assert len(table_rows) == len(rows) + 1  # plus the header
    assert sum("**inconsistent**" in line for line in table_rows) == counts[INCONSISTENT]
    assert "wider than the force's \"dwelling burglary\"" in page
    # reports are named by their titles, never by the stored copies' hashed file names
    assert "Reports covered: Crime Prevention Strategy update, Q4 2021/22." in page
    assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", page)
    for other in ["001_7b200f8121e47d47.txt", "002_ff93cfd244fdc6e0.txt", "003_8fd3643c46332011.txt"]:
        assert other not in page  # the default publication's reference is document 000 only
    for text in ["printed % change +27.5%; recomputed +31.89%", "printed % change +10.6%; recomputed +11.23%",
                 "printed % change +2.6%; recomputed +2.548%"]:
        assert page[listed:table].count(text) == 1, text
    assert "inf" not in re.sub(r"[a-z]inf|inf[a-z]", "", page.lower())


def test_cli_backtest_prints_the_report_and_exits_zero():
    result = run_cli("backtest")
    assert result.returncode == 0, result.stderr
    assert "5 inconsistent" in result.stdout
    for text in ["Printed % change +27.5%; recomputed +31.89%", "Printed % change +10.6%; recomputed +11.23%",
                 "Printed % change +2.6%; recomputed +2.548%", "add up to 35; the printed total is 42",
                 "add up to 587; the printed total is 594"]:
        assert text in result.stdout, text
    assert result.stdout.strip() == backtest_report(PATHS).strip()
    same = run_cli("backtest", "--publication", DEFAULT, "--force", "Essex", "--quarter", "2021-22-Q4")
    assert same.returncode == 0 and same.stdout == result.stdout


def test_every_force_edition_shows_the_owner_force_back_test_made_once_until_an_input_changes(tmp_path, monkeypatch):
    import dataclasses
    import os

    from strategy_update.render import backtest_page

    data = _reference(tmp_path, "doc.txt,1,A,m,count,Q2,10,Q1,8,2,25\n")
    made = []
    real_rows = backtest_page.backtest_rows
    monkeypatch.setattr(backtest_page, "backtest_rows", lambda paths: made.append(paths.force_slug) or real_rows(paths))
    backtest_page._page.cache_clear()
    essex = render_markdown(data)
    kent = render_markdown(dataclasses.replace(data, force_slug="kent"))
    assert kent == essex and made == ["essex"]  # Kent's edition: Essex's reports, not computed again
    with monkeypatch.context() as no_definition:  # the build names the owner: the definition is not read again
        no_definition.setattr(backtest_page, "load_publication", lambda paths: pytest.fail("definition read"))
        assert render_markdown(dataclasses.replace(data, force_slug="kent"), "Essex") == essex
    comparisons = data.reference / "published-comparisons.csv"
    comparisons.write_text(comparisons.read_text() + "doc.txt,1,B,m,count,Q2,10,Q1,5,5,100\n")
    os.utime(comparisons, ns=(comparisons.stat().st_atime_ns, comparisons.stat().st_mtime_ns + 10**9))
    changed = render_markdown(dataclasses.replace(data, force_slug="kent"))
    assert made == ["essex", "essex"]
    assert "2 printed figures checked" in essex and "4 printed figures checked" in changed
