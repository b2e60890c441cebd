"""Delivery plan: one row per strand, totals and the generated sentences."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import PATHS
from strategy_update.compute import delivery
from strategy_update.compute.delivery import DeliveryRow
from strategy_update.core.errors import InputError
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.readers import load_delivery
from strategy_update.model.publication import Delivery, DeliveryColumn, Level

TRACKER_FILE = PATHS.delivery(parse_quarter("2021-22-Q4"))


@pytest.fixture(scope="module")
def strategy():
    """The default publication (the strategy whose strands the tracker reports on)."""
    return load_publication(PATHS)


STRATEGY = load_publication(PATHS)
SPEC, LEVEL = STRATEGY.delivery, STRATEGY.leaf_level


def delivery_rows(strategy, tracker):
    return delivery.delivery_rows(strategy.delivery, strategy.leaves, tracker, strategy.leaf_level.id)


def load(path):
    return load_delivery(path, STRATEGY)


def totals(rows):
    return delivery.totals(SPEC, rows)


def at_risk_sentence(rows):
    return delivery.attention_sentence(SPEC, rows, LEVEL)


def progress_sentence(rows):
    return delivery.progress_sentence(SPEC, rows, LEVEL)


def counts(r):
    return (r.total, r.count("complete"), r.count("ongoing"), r.count("at_risk"))


@pytest.fixture(scope="module")
def real_rows(strategy):
    return delivery_rows(strategy, load(TRACKER_FILE))


def tracker_with(tmp_path: Path, *, drop: str, knife_crime: str) -> Path:
    """The real tracker with one strand's row removed and Knife Crime's row replaced."""
    lines = TRACKER_FILE.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if f",{drop}," not in line]
    kept = [f"2021-22 Q4,Knife Crime,{knife_crime}" if ",Knife Crime," in line else line for line in kept]
    assert len(kept) == len(lines) - 1
    path = tmp_path / "2021-22-Q4.csv"
    path.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return path


# --- the real 2021-22 Q4 tracker ------------------------------------------------------------------------
def test_real_tracker_has_one_row_per_strand_in_definition_order(strategy, real_rows):
    assert len(real_rows) == 14
    assert [r.section_id for r in real_rows] == [s.id for s in strategy.leaves]


def test_real_tracker_supplies_every_strand(real_rows):
    assert all(r.supplied for r in real_rows)


def test_real_tracker_totals(real_rows):
    # total 22+110+27+35+24+42+12+44+42+57+4+83+14+78 = 594
    t = totals(real_rows)
    assert (t["total"], t["complete"], t["ongoing"], t["at_risk"]) == (594, 302, 285, 0)
    assert (t["sections_reported"], t["sections"], t["sections_at_risk"]) == (14, 14, 0)


def test_real_tracker_at_risk_sentence(real_rows):
    assert at_risk_sentence(real_rows) == "No strand has actions at risk, across all 14 strands."


def test_real_tracker_progress_sentence(real_rows):
    # 302 / 594 x 100 = 50.84% -> 51%
    assert progress_sentence(real_rows) == (
        "Of 594 actions in the delivery plans, 302 (51%) are complete, 285 ongoing and 0 at risk.")


def test_tracker_name_matches_county_lines_row(real_rows):
    # the strand "county-lines" is named "County Lines and Exploitation" in the tracker
    row = next(r for r in real_rows if r.section_id == "county-lines")
    assert counts(row) == (35, 20, 15, 0)


def test_row_keeps_line_number_of_tracker(real_rows):
    # Knife Crime is the first data row, line 2 after the header
    assert real_rows[0].section_name == "Knife Crime"
    assert real_rows[0].line == 2


def test_uncategorised_actions_in_cybercrime(real_rows):
    # Cybercrime and Fraud: 42 - 8 - 27 - 0 = 7 actions in none of the parts
    row = next(r for r in real_rows if r.section_id == "cybercrime-and-fraud")
    assert row.uncategorised == 7


def test_other_strands_have_no_uncategorised_actions(real_rows):
    # 594 - 302 - 285 - 0 = 7, all of them in Cybercrime and Fraud
    assert [r.section_id for r in real_rows if r.uncategorised] == ["cybercrime-and-fraud"]


# --- one strand at risk, one missing --------------------------------------------------------------------------
@pytest.fixture
def changed_rows(strategy, tmp_path):
    # Knife Crime 22 = 13 complete + 7 ongoing + 2 at risk; Places (4 = 1 + 3 + 0) did not report
    path = tracker_with(tmp_path, drop="Places", knife_crime="22,13,7,2")
    return delivery_rows(strategy, load(path))


def test_missing_strand_has_no_counts(changed_rows):
    places = next(r for r in changed_rows if r.section_id == "places")
    assert not places.supplied
    assert counts(places) + (places.line,) == (None,) * 5
    assert places.uncategorised is None


def test_changed_tracker_totals(changed_rows):
    # total 594 - 4 = 590; complete 302 - 1 = 301; ongoing 285 - 2 (knife) - 3 (places) = 280; at risk 2
    t = totals(changed_rows)
    assert (t["total"], t["complete"], t["ongoing"], t["at_risk"]) == (590, 301, 280, 2)
    assert (t["sections_reported"], t["sections"], t["sections_at_risk"]) == (13, 14, 1)


def test_changed_tracker_at_risk_sentence(changed_rows):
    assert at_risk_sentence(changed_rows) == (
        "1 of the 13 strands that reported has actions at risk (Knife Crime), 2 actions in all.")


def test_changed_tracker_progress_sentence(changed_rows):
    # 301 / 590 x 100 = 51.02% -> 51%
    assert progress_sentence(changed_rows) == (
        "Of 590 actions in the delivery plans, 301 (51%) are complete, 280 ongoing and 2 at risk. "
        "1 strand did not report.")


def test_missing_strand_without_risk_says_across_strands_that_reported(strategy, tmp_path):
    path = tracker_with(tmp_path, drop="Places", knife_crime="22,13,9,0")
    rows = delivery_rows(strategy, load(path))
    assert at_risk_sentence(rows) == "No strand has actions at risk, across the 13 strands that reported."


# --- synthetic rows ---------------------------------------------------------------------------------------------
def row(name: str, total: int | None, complete=0, ongoing=0, at_risk=0) -> DeliveryRow:
    if total is None:
        return DeliveryRow(name.lower(), name, "Theme", None)
    return DeliveryRow(name.lower(), name, "Theme",
                       {"total": total, "complete": complete, "ongoing": ongoing, "at_risk": at_risk})


def test_two_strands_at_risk_plural_sentence():
    rows = [row("A", 10, 5, 2, 3), row("B", 4, 1, 1, 2), row("C", 6, 6, 0, 0)]
    # 2 strands at risk, 3 + 2 = 5 actions
    assert at_risk_sentence(rows) == "2 of 3 strands have actions at risk (A, B), 5 actions in all."


def test_one_strand_of_all_at_risk_singular_sentence():
    rows = [row("A", 10, 5, 2, 3), row("B", 4, 4, 0, 0)]
    assert at_risk_sentence(rows) == "1 of 2 strands has actions at risk (A), 3 actions in all."


def test_single_strand_reported_uses_singular():
    rows = [row("A", 3, 1, 2, 0), row("B", None)]
    assert at_risk_sentence(rows) == "No strand has actions at risk, across the 1 strand that reported."


def test_no_tracker_means_no_data_sentence(strategy):
    rows = delivery_rows(strategy, None)
    assert len(rows) == 14 and not any(r.supplied for r in rows)
    assert at_risk_sentence(rows) == "No delivery plan data was supplied for this quarter."
    assert progress_sentence(rows) == ""


def test_no_tracker_totals_are_zero(strategy):
    t = totals(delivery_rows(strategy, None))
    assert (t["total"], t["sections_reported"], t["sections"]) == (0, 0, 14)


def test_progress_with_zero_total_omits_percentage():
    rows = [row("A", 0)]
    assert progress_sentence(rows) == "Of 0 actions in the delivery plans, 0 are complete, 0 ongoing and 0 at risk."


def test_progress_large_counts_have_separators_and_round_half_away():
    # 1,000 complete of 8,000 = 12.5% -> 13% (half away from zero, not 12)
    rows = [row("A", 8000, 1000, 7000, 0)]
    assert progress_sentence(rows) == (
        "Of 8,000 actions in the delivery plans, 1,000 (13%) are complete, 7,000 ongoing and 0 at risk.")


def test_two_missing_strands_plural_tail():
    rows = [row("A", 2, 1, 1, 0), row("B", None), row("C", None)]
    assert progress_sentence(rows).endswith(" 2 strands did not report.")


def test_uncategorised_negative_when_parts_exceed_total():
    # 5 - 3 - 3 - 0 = -1
    assert row("A", 5, 3, 3, 0).uncategorised == -1


def test_load_delivery_missing_file_is_none(tmp_path):
    assert load(tmp_path / "2021-22-Q4.csv") is None


# --- another publication's tracker: its own columns, unit and words ------------------------------------------
COMMITMENTS = Delivery(DeliveryColumn("commitments", "Commitments"),
                       (DeliveryColumn("met", "Met"), DeliveryColumn("behind", "Behind schedule")),
                       attention="behind", unit="commitments")
PRIORITY = Level("priority", "Priority", "Priorities", "Portfolio holder")


def test_sentences_use_the_definitions_columns_unit_and_level():
    rows = [DeliveryRow("a", "A", "", {"total": 4, "met": 3, "behind": 1}),
            DeliveryRow("b", "B", "", {"total": 2, "met": 2, "behind": 0}),
            DeliveryRow("c", "C", "", None)]
    assert delivery.totals(COMMITMENTS, rows) == {"total": 6, "met": 5, "behind": 1, "sections_reported": 2,
                                                  "sections": 3, "sections_behind": 1}
    assert delivery.attention_sentence(COMMITMENTS, rows, PRIORITY) == (
        "1 of the 2 priorities that reported has commitments behind schedule (A), 1 commitment in all.")
    # 5 / 6 x 100 = 83.3% -> 83%
    assert delivery.progress_sentence(COMMITMENTS, rows, PRIORITY) == (
        "Of 6 commitments in the delivery plans, 5 (83%) are met and 1 behind schedule. 1 priority did not report.")


def test_a_tracker_is_read_with_the_definitions_header(tmp_path):
    path = tmp_path / "2021-22-Q4.csv"
    path.write_text("quarter,strand,total_actions,complete,ongoing\n2021-22 Q4,Knife Crime,3,1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing column"):
        load(path)
