"""Measures and comparisons: quarterly series, rolling 12 months, changes and rates.

Every function is pure: tables in, numbers out. A comparison records the periods it used, so the
page can show exactly which quarters were summed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategy_update.model.publication import Measure
from strategy_update.core.periods import Quarter, quarter_range


@dataclass(frozen=True)
class Comparison:
    """``current`` compared with ``base``: the values, the periods behind each, change and % change."""

    name: str
    current_label: str
    base_label: str
    current_quarters: tuple[str, ...]
    base_quarters: tuple[str, ...]
    current: float | None
    base: float | None

    @property
    def change(self) -> float | None:
        return change(self.current, self.base)

    @property
    def pct_change(self) -> float | None:
        return pct_change(self.current, self.base)


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


def measure_rows(crime: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """The input rows behind a Home Office measure (its offence codes, from its first quarter on)."""
    rows = crime[crime["Offence Code"].isin(measure.offence_codes)]
    if measure.series_start is not None:
        rows = rows[rows["quarter"].map(lambda q: q >= measure.series_start.id)]
    return rows


def quarterly_series(rows: pd.DataFrame, first: Quarter, last: Quarter) -> pd.Series:
    """Counts per quarter from ``first`` to ``last``; a quarter with no rows at all is missing (NaN), not 0.

    Offence codes that do not exist in a quarter simply add nothing, which is how a measure copes with
    codes that were introduced or retired.
    """
    totals = rows.groupby("quarter")["count"].sum()
    index = [q.id for q in quarter_range(first, last)]
    return totals.reindex(index).astype("float")


def available_quarters(crime: pd.DataFrame) -> list[str]:
    """Quarters that have any row for the force (the data's coverage)."""
    return sorted(crime["quarter"].unique())


def sum_quarters(series: pd.Series, quarters: list[Quarter]) -> float | None:
    """Sum of the named quarters; None if any is outside the series or missing."""
    values = [series.get(q.id) for q in quarters]
    if any(v is None or pd.isna(v) for v in values):
        return None
    return float(sum(values))


def standard_comparisons(series: pd.Series, quarter: Quarter, baseline_end: Quarter) -> list[Comparison]:
    """The four comparisons every measure gets, in the order the page shows them."""
    year = quarter.rolling_year()
    previous_year = quarter.shift(-4).rolling_year()
    baseline_year = baseline_end.rolling_year()
    pairs = [
        ("12 months vs previous 12 months", year, previous_year,
         quarter.twelve_months_label(), quarter.shift(-4).twelve_months_label()),
        ("12 months vs pre-Covid baseline", year, baseline_year,
         quarter.twelve_months_label(), baseline_end.twelve_months_label()),
        ("quarter vs previous quarter", [quarter], [quarter.shift(-1)],
         quarter.short_label, quarter.shift(-1).short_label),
        ("quarter vs same quarter a year earlier", [quarter], [quarter.shift(-4)],
         quarter.short_label, quarter.shift(-4).short_label),
    ]
    return [
        Comparison(name, current_label, base_label, tuple(q.id for q in cur), tuple(q.id for q in base),
                   sum_quarters(series, cur), sum_quarters(series, base))
        for name, cur, base, current_label, base_label in pairs
    ]


def population_for(population: pd.DataFrame, force: str, quarter: Quarter) -> tuple[int, int] | None:
    """(mid-year, population) for the force: the estimate for the calendar year in which the quarter ends,
    or the latest earlier estimate if that year is not yet published."""
    end_year = quarter.end_month[0]
    rows = population[(population["force_name"] == force) & (population["mid_year"] <= end_year)]
    if rows.empty:
        return None
    row = rows.sort_values("mid_year").iloc[-1]
    return int(row["mid_year"]), int(row["population"])


def rate_per_thousand(count: float | None, population: int | None) -> float | None:
    if count is None or not population:
        return None
    return count / population * 1000
