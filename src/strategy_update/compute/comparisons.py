"""Comparisons named and looked up by name, over spans of whole months.

A span is a run of whole months, (first_month, last_month) as month indexes (year * 12 + month - 1), so that
figures from quarterly, monthly and 3-month-range data can be compared with one another. A span whose months
are exactly one financial quarter is identified by the quarter id (``2021-22-Q4``), one month as ``2019-07``,
anything else as an ISO 8601 interval of months (``2021-04/2022-03``).

A comparison rule is a pure function of (edition quarter, baseline end quarter or None, last month the
measure's data covers) giving the current and base spans with their labels, or None when not available.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from strategy_update.core.periods import MONTH_NAMES, Quarter, parse_quarter, quarter_of_month


# --- spans -----------------------------------------------------------------------------------------
def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_of(index: int) -> tuple[int, int]:
    """(calendar year, month number) of a month index."""
    return index // 12, index % 12 + 1


@dataclass(frozen=True, order=True)
class Span:
    first_month: int
    last_month: int

    @property
    def months(self) -> int:
        return self.last_month - self.first_month + 1

    @property
    def quarter(self) -> Quarter | None:
        """The financial quarter this span is exactly, if it is one (quarters start in Jan, Apr, Jul, Oct)."""
        if self.months != 3 or self.first_month % 3 != 0:
            return None
        return quarter_of_month(*month_of(self.first_month))

    @property
    def id(self) -> str:
        if self.quarter is not None:
            return self.quarter.id
        first = "{:04d}-{:02d}".format(*month_of(self.first_month))
        return first if self.months == 1 else first + "/{:04d}-{:02d}".format(*month_of(self.last_month))

    @property
    def label(self) -> str:
        """For chart axes: ``2021/22 Q4`` (as edition.quarter_axis_label), ``Jul 2019``, ``Apr 2021 to Mar 2022``."""
        if self.quarter is not None:
            return f"{self.quarter.financial_year} Q{self.quarter.number}"
        first, last = (_short_month(m) for m in (self.first_month, self.last_month))
        return first if self.months == 1 else f"{first} to {last}"

    def shift(self, months: int) -> Span:
        return Span(self.first_month + months, self.last_month + months)

    def quarters(self) -> list[Quarter] | None:
        """The financial quarters that tile the span exactly, or None when it does not start and end on quarters."""
        if self.first_month % 3 != 0 or self.months % 3 != 0:
            return None
        return [Span(m, m + 2).quarter for m in range(self.first_month, self.last_month + 1, 3)]


def _short_month(index: int) -> str:
    year, month = month_of(index)
    return f"{MONTH_NAMES[month - 1][:3]} {year}"


def quarter_span(quarter: Quarter) -> Span:
    first = month_index(*quarter.first_month)
    return Span(first, first + 2)


_MONTH = r"(\d{4})-(\d{2})"


def parse_span(text: str) -> Span:
    """The inverse of ``Span.id``: a quarter id, ``YYYY-MM`` or ``YYYY-MM/YYYY-MM``."""
    interval = re.fullmatch(f"{_MONTH}(?:/{_MONTH})?", text)
    if interval is None:
        return quarter_span(parse_quarter(text))
    first = month_index(int(interval[1]), int(interval[2]))
    last = month_index(int(interval[3]), int(interval[4])) if interval[3] else first
    return Span(first, last)


# --- rules -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SpanPair:
    current: Span
    base: Span
    current_label: str
    base_label: str


@dataclass(frozen=True)
class ComparisonRule:
    name: str
    description: str  # for people: what is compared with what
    spans: Callable[[Quarter, Quarter | None, int | None], SpanPair | None]

    def __call__(self, quarter: Quarter, baseline_end: Quarter | None = None,
                 last_data_month: int | None = None) -> SpanPair | None:
        return self.spans(quarter, baseline_end, last_data_month)


def rolling_year(quarter: Quarter) -> Span:
    return Span(quarter_span(quarter).first_month - 9, quarter_span(quarter).last_month)


def _rolling_vs_previous(q: Quarter, baseline_end: Quarter | None, last: int | None) -> SpanPair:
    return SpanPair(rolling_year(q), rolling_year(q.shift(-4)), q.twelve_months_label(),
                    q.shift(-4).twelve_months_label())


def _rolling_vs_baseline(q: Quarter, baseline_end: Quarter | None, last: int | None) -> SpanPair | None:
    if baseline_end is None:
        return None
    return SpanPair(rolling_year(q), rolling_year(baseline_end), q.twelve_months_label(),
                    baseline_end.twelve_months_label())


def _quarter_vs_previous(q: Quarter, baseline_end: Quarter | None, last: int | None) -> SpanPair:
    return SpanPair(quarter_span(q), quarter_span(q.shift(-1)), q.short_label, q.shift(-1).short_label)


def _quarter_vs_year_earlier(q: Quarter, baseline_end: Quarter | None, last: int | None) -> SpanPair:
    return SpanPair(quarter_span(q), quarter_span(q.shift(-4)), q.short_label, q.shift(-4).short_label)


def _three_months_label(span: Span) -> str:
    year, month = month_of(span.last_month)
    return f"3 months to {MONTH_NAMES[month - 1]} {year}"


def _three_months_vs_year_earlier(q: Quarter, baseline_end: Quarter | None, last: int | None) -> SpanPair:
    # The latest 3 months the data covers, never past the edition; quarterly data ends on a quarter, so
    # this is then the edition quarter (or the last quarter supplied).
    end = quarter_span(q).last_month if last is None else min(last, quarter_span(q).last_month)
    current, base = Span(end - 2, end), Span(end - 14, end - 12)
    return SpanPair(current, base, _three_months_label(current), _three_months_label(base))


COMPARISONS: dict[str, ComparisonRule] = {rule.name: rule for rule in [
    ComparisonRule("rolling-12-vs-previous-12", "12 months vs previous 12 months", _rolling_vs_previous),
    ComparisonRule("rolling-12-vs-baseline", "12 months vs pre-Covid baseline", _rolling_vs_baseline),
    ComparisonRule("quarter-vs-previous-quarter", "quarter vs previous quarter", _quarter_vs_previous),
    ComparisonRule("quarter-vs-same-quarter-last-year", "quarter vs same quarter a year earlier",
                   _quarter_vs_year_earlier),
    ComparisonRule("three-months-vs-year-earlier", "3 months vs the same 3 months a year earlier",
                   _three_months_vs_year_earlier),
]}

# The four comparisons of the Crime Prevention Strategy 2021-25 update, in the order its pages show them.
STANDARD = ["rolling-12-vs-previous-12", "rolling-12-vs-baseline", "quarter-vs-previous-quarter",
            "quarter-vs-same-quarter-last-year"]


# --- tiling: the value of a span from observations over other spans -------------------------------
def resolve_spans(observations: pd.DataFrame, targets: pd.DataFrame, keys: list[str],
                  exact_only: pd.Series | None = None) -> pd.DataFrame:
    """``targets`` (keys, first_month, last_month, any other columns) with ``value`` and ``used`` (the
    periods summed) added: the observation whose span matches exactly, else the sum of finer observations
    that tile the span completely, else NaN with nothing used. Observations flagged in ``exact_only`` (aligned
    with ``observations``; e.g. average times, which cannot be added up) are never summed. Vectorised; only
    targets whose finer observations overlap one another (e.g. rolling 3-month ranges) are searched one by one."""
    t = targets.reset_index(drop=True)
    wanted = t[keys + ["first_month", "last_month"]].rename(columns={"first_month": "t_first", "last_month": "t_last"})
    wanted["target"] = range(len(t))
    flagged = pd.Series(False, index=observations.index) if exact_only is None else exact_only
    flagged = flagged.rename("exact_only")
    m = wanted.merge(observations[keys + ["period", "first_month", "last_month", "value"]].join(flagged), on=keys)
    m = m[(m["first_month"] >= m["t_first"]) & (m["last_month"] <= m["t_last"])]
    m = m.sort_values(["target", "first_month", "last_month"], kind="stable")
    exact = m[(m["first_month"] == m["t_first"]) & (m["last_month"] == m["t_last"])].drop_duplicates("target")
    finer = m[~m["target"].isin(exact["target"]) & ~m["exact_only"]]
    by = finer.groupby("target", sort=True)
    months = (finer["last_month"] - finer["first_month"] + 1).groupby(finer["target"]).sum()
    overlaps = (finer["first_month"] <= by["last_month"].shift()).groupby(finer["target"]).any()
    length = (wanted["t_last"] - wanted["t_first"] + 1).reindex(months.index)
    tiled = months.index[(months == length) & ~overlaps]
    parts = [exact, finer[finer["target"].isin(tiled)]]
    for target in overlaps.index[overlaps]:
        group = finer[finer["target"] == target]
        ends = wanted.loc[target, ["t_first", "t_last"]]
        chosen = _chain(list(zip(group["first_month"], group["last_month"])), *ends)
        if chosen is not None:
            parts.append(group.iloc[chosen])
    used = pd.concat(parts).sort_values(["target", "first_month"], kind="stable")
    grouped = used.groupby("target")
    value = grouped["value"].sum().where(~used["value"].isna().groupby(used["target"]).any())
    values = value.reindex(range(len(t))).astype(float).to_numpy()
    periods: list[tuple] = [()] * len(t)
    for target, period in zip(used["target"].tolist(), used["period"].tolist()):  # faster than agg(tuple)
        periods[target] += (period,)
    out = t.copy()
    out["value"] = values
    out["used"] = [p if v == v else () for p, v in zip(periods, values)]  # v != v: NaN uses nothing
    return out


def _chain(spans: list[tuple[int, int]], first: int, last: int) -> list[int] | None:
    """Positions of the fewest contiguous spans running from ``first`` to ``last`` (breadth-first), or None."""
    frontier, seen = [(first, [])], {first}
    while frontier:
        following = []
        for start, path in frontier:
            for i, (a, b) in enumerate(spans):
                if a == start and b + 1 not in seen:
                    if b == last:
                        return path + [i]
                    seen.add(b + 1)
                    following.append((b + 1, path + [i]))
        frontier = following
    return None
