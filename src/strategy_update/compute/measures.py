"""The formulas every comparison and rate uses, one value at a time. The compute stage (``results.py``) applies
them to every force, measure and comparison; these are the single definition of each and are hand-tested."""

from __future__ import annotations


def change(current: float | None, base: float | None) -> float | None:
    """current - base; None when either is missing."""
    if current is None or base is None:
        return None
    return current - base


def pct_change(current: float | None, base: float | None) -> float | None:
    """(current - base) / base x 100; None (shown as n/a) when the base is 0 or missing."""
    if current is None or base is None or base == 0:
        return None
    return (current - base) / base * 100


def rate_per_thousand(count: float | None, population: int | None) -> float | None:
    if count is None or not population:
        return None
    return count / population * 1000
