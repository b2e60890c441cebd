"""The formulas every comparison and rate uses, one value at a time. The compute stage (``results.py``) applies
them to every force, measure and comparison; these are the single definition of each and are hand-tested."""

from __future__ import annotations


def change(current: float | None, base: float | None) -> float | None:
    """current - base; None when either is missing."""
    if current is None or base is None:
        return None
    return current - base


def pct_change(current: float | None, base: float | None) -> float | None:
    """(current - base) / base x 100; None (shown as n/a) when the base is missing, 0 or below 0. A base below 0 (a
    quarter whose Home Office adjustments outweigh the crimes recorded) would give a percentage whose sign says the
    opposite of the change (from -1 to 2 is "-300%"), so it has none; the change in the measure's units stands."""
    if current is None or base is None or base <= 0:
        return None
    return (current - base) / base * 100


def rate_per_thousand(count: float | None, population: int | None) -> float | None:
    """count / population x 1,000; None (n/a) when either is missing, the population is 0, or the count is below 0
    (adjustments larger than the crimes recorded: a total that is not a rate of anything)."""
    if count is None or not population or count < 0:
        return None
    return count / population * 1000
