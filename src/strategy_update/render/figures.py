"""The figures of one section's measures, read from the results table: what the page renderers work from.

Nothing is computed here beyond picking rows: every value was computed once by the compute stage
(``compute/results.py``). Comparisons are found by their name in the publication definition, never by position.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from strategy_update.compute.results import chart_from_results
from strategy_update.compute.spc import XmR
from strategy_update.core.markup import literal
from strategy_update.core.periods import QuarterError, parse_period, parse_quarter
from strategy_update.model.publication import Measure, Publication, Section


@dataclass(frozen=True)
class ComparisonFigures:
    name: str
    current_label: str
    base_label: str
    current_period: str  # span id, e.g. "2021-04/2022-03"
    base_period: str
    current: float | None
    base: float | None
    change: float | None
    pct_change: float | None


@dataclass(frozen=True)
class Population:
    mid_year: int
    people: int
    source_file: str
    line: int | None


@dataclass(frozen=True)
class AreaFigures:
    """One of the force's areas' figures for a measure (a force extract's ``area`` rows), from the results table."""

    area: str
    comparisons: tuple[ComparisonFigures, ...]  # in the definition's order, as the force-wide ones
    source_file: str
    lines: dict[str, tuple[int, ...]]  # comparison name -> the input lines behind its figures (current and base)

    def comparison(self, name: str) -> ComparisonFigures | None:
        return next((c for c in self.comparisons if c.name == name), None)


@dataclass(frozen=True)
class MeasureFigures:
    section_id: str
    measure: Measure
    comparisons: tuple[ComparisonFigures, ...]
    series: pd.DataFrame  # period, period_label, value: the chart history
    chart: XmR | None
    chart_labels: tuple[str, ...]
    population: Population | None
    rate: float | None
    input_rows: pd.DataFrame  # period, code, value, line, source_file (+ first_month, last_month)
    source_file: str
    observations: pd.DataFrame = field(default_factory=pd.DataFrame)  # as supplied: period, label, value
    areas: tuple[AreaFigures, ...] = ()  # per-area figures, when the force's extract has area rows
    rate_comparison: str = ""  # the comparison whose current figure the rate per 1,000 is for ('' : the headline)
    chart_note: str = ""  # why a long enough series has no control chart (its baseline has no variation), if so

    @property
    def rate_figures(self) -> ComparisonFigures:
        """The comparison the rate per 1,000 is computed from: the headline, or for a count at 31 March the
        comparison of two 31 Marches."""
        return self.comparison(self.rate_comparison) or self.headline

    @property
    def available(self) -> bool:
        """Whether there are force-wide figures (per-area ones alone: ``by_area``)."""
        return any(c.current is not None for c in self.comparisons) or self.series["value"].notna().any()

    @property
    def force_label(self) -> str:
        """Whose figures a force extract's are, from its rows' ``source`` and ``extracted`` columns: "the force's
        published figures (<source>), extracted 20 April 2022" (Markdown: the source as literal text); '' for open
        data. The latest date of the rows used
        is the one named, and a missing date is said to be missing rather than left out."""
        rows = self.input_rows
        if "published_in" not in rows or rows.empty or not (rows["published_in"].astype(bool).any()
                                                             or rows["extracted"].astype(bool).any()):
            return ""
        # "(published figure)" in a source says what the label already says.
        sources = [literal(re.sub(r"\s*\(published figures?\)$", "", s))
                   for s in dict.fromkeys(rows["published_in"]) if s]
        dates = sorted(d for d in rows["extracted"] if d)
        where = f" ({'; '.join(sources)})" if sources else ""
        if dates:
            day = date.fromisoformat(dates[-1])
            return f"the force's published figures{where}, extracted {day.day} {day:%B %Y}"
        return f"the force's published figures{where}, with no extraction date published"

    @property
    def by_area(self) -> bool:
        """Whether any of the force's areas has a figure for this measure."""
        return any(c.current is not None for a in self.areas for c in a.comparisons)

    @property
    def area_comparison(self) -> str | None:
        """The comparison the per-area figures are shown for: the headline, or when no area has a current figure
        for it (e.g. a single quarter supplied), the first of the definition's comparisons that has one."""
        names = dict.fromkeys(c.name for a in self.areas for c in a.comparisons)  # the definition's order
        return next((n for n in names if any((c := a.comparison(n)) is not None and c.current is not None
                                             for a in self.areas)), None)

    @property
    def headline(self) -> ComparisonFigures:
        return self.comparisons[0]

    def comparison(self, name: str) -> ComparisonFigures | None:
        return next((c for c in self.comparisons if c.name == name), None)

    def rows_within(self, *periods: str) -> pd.DataFrame:
        """The input rows whose period lies inside any of the spans ``periods``, in their order."""
        rows = self.input_rows
        first, last = rows["first_month"].to_numpy(), rows["last_month"].to_numpy()
        inside = np.zeros(len(rows), dtype=bool)
        for period in periods:
            _, start, end = parse_period(period)
            inside |= (first >= start) & (last <= end)
        return rows[inside]

    @property
    def negative_rows(self) -> pd.DataFrame:
        """Negative counts (Home Office adjustments) behind any figure shown: the chart or a comparison."""
        compared = self.rows_within(*(p for c in self.comparisons for p in (c.current_period, c.base_period)))
        shown = set(self.series["period"]) | set(compared["period"])
        rows = self.input_rows
        return rows[(rows["value"] < 0) & rows["period"].isin(shown)]


def _chart(rows: pd.DataFrame) -> tuple[XmR | None, tuple[str, ...]]:
    return chart_from_results(rows)


def _records(rows: pd.DataFrame) -> list[dict]:
    """A measure's result rows as plain records: it has a few dozen, and filtering them as a frame, statistic by
    statistic, cost more than the rest of its page."""
    return rows[["comparison", "statistic", "value", "period", "period_label", "base_period",
                 "base_period_label"]].to_dict("records")


def _first_value(records: list[dict], statistic: str) -> float | None:
    """The value of the first record of ``statistic``; None when there is none or it is missing."""
    found = next((r["value"] for r in records if r["statistic"] == statistic), None)
    return None if found is None or pd.isna(found) else float(found)


def _comparisons(records: list[dict], names: tuple[str, ...]) -> tuple[ComparisonFigures, ...]:
    out = []
    for name in names:
        mine = [r for r in records if r["comparison"] == name]
        if not mine:
            continue
        first = mine[0]
        out.append(ComparisonFigures(name, first["period_label"], first["base_period_label"], first["period"],
                                     first["base_period"], *(_first_value(mine, s) for s in
                                                             ("current", "base", "change", "pct_change"))))
    return tuple(out)


def _rate_comparison(records: list[dict]) -> str:
    return next((str(r["comparison"]) for r in records if r["statistic"] == "rate_per_1000"), "")


def _population(rows: pd.DataFrame) -> Population | None:
    mine = rows[rows["statistic"] == "population"]
    if mine.empty or pd.isna(mine["value"].iloc[0]):
        return None
    row = mine.iloc[0]
    lines = list(row["lines"])
    return Population(int(row["period"].removeprefix("mid-")), int(row["value"]), row["source_file"],
                      lines[0] if lines else None)


def _with_months(rows: pd.DataFrame) -> pd.DataFrame:
    spans = {p: parse_period(p) for p in rows["period"].unique()}
    return rows.assign(first_month=[spans[p][1] for p in rows["period"]],
                       last_month=[spans[p][2] for p in rows["period"]])


def _areas(figures: pd.DataFrame, names: tuple[str, ...], known: tuple[str, ...]) -> tuple[AreaFigures, ...]:
    """Per-area figures of one measure, the definition's areas first (in its order), then any other named."""
    met = list(dict.fromkeys(figures["area"]))
    out = []
    for area in [a for a in known if a in met] + [a for a in met if a not in known]:
        rows = figures[figures["area"] == area]
        lines = {}
        for name in names:
            mine = rows[(rows["comparison"] == name) & rows["statistic"].isin(["current", "base"])]
            lines[name] = tuple(sorted({int(x) for ls in mine["lines"] for x in ls}))
        out.append(AreaFigures(area, _comparisons(_records(rows), names), str(rows["source_file"].iloc[0]), lines))
    return tuple(out)


def section_figures(results: pd.DataFrame, input_rows: pd.DataFrame, publication: Publication, force: str,
                    section: Section) -> list[MeasureFigures]:
    """Every measure of ``section`` in the definition's order (a measure with no figures is not available).

    The measure's figures are its force-wide ones (area ''); its areas' figures, if any, are in ``areas``."""
    mine = results[(results["force"] == force) & (results["section"] == section.id)]
    rows = _with_months(input_rows[(input_rows["force"] == force) & (input_rows["section"] == section.id)])
    area_results = mine[mine["area"] != ""]
    mine, rows = mine[mine["area"] == ""], rows[rows["area"] == ""]
    # Each table split by measure once: filtering the section's tables again for each of its measures cost more
    # than the rest of the figures.
    results_of, areas_of, rows_of = _by_measure(mine), _by_measure(area_results), _by_measure(rows)
    records_of = _by_measure_records(mine)
    observed_of = {measure: frame.drop(columns="measure")
                   for measure, frame in _by_measure(_observed(rows, ["measure"])).items()}
    none_observed = _observed(rows.iloc[:0], [])
    out = []
    for measure in section.measures:
        figures = results_of.get(measure.id, mine.iloc[:0])
        in_areas = areas_of.get(measure.id, area_results.iloc[:0])
        chart, labels = _chart(figures)
        series = figures[figures["statistic"] == "series"][["period", "period_label", "value"]]
        measure_rows = rows_of.get(measure.id, rows.iloc[:0])
        observed = observed_of.get(measure.id, none_observed).sort_values("first_month")
        records = records_of.get(measure.id, [])
        out.append(MeasureFigures(
            section.id, measure, _comparisons(records, publication.comparisons), series.reset_index(drop=True), chart,
            labels, _population(figures), _first_value(records, "rate_per_1000"), measure_rows.reset_index(drop=True),
            str(figures["source_file"].iloc[0]) if len(figures) else
            str(in_areas["source_file"].iloc[0]) if len(in_areas) else "", observed.reset_index(drop=True),
            _areas(in_areas, publication.comparisons, publication.areas), _rate_comparison(records),
            next((str(r["text"]) for r in figures[figures["statistic"] == "spc_no_chart"].to_dict("records")), "")))
    return out


def _by_measure(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The frame's rows of each measure, in their order."""
    return dict(tuple(frame.groupby("measure", sort=False))) if len(frame) else {}


def _by_measure_records(frame: pd.DataFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for measure, record in zip(frame["measure"], _records(frame)):
        out.setdefault(measure, []).append(record)
    return out


def _observed(rows: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """The supplied values summed per period (``by`` first), as the chart of observations shows them."""
    return rows.groupby(by + ["period", "first_month", "last_month"], as_index=False)["value"].sum()


def delivery_counts(results: pd.DataFrame, force: str, section_id: str) -> dict[str, float]:
    """The delivery statistics of a section ('' for the publication's totals): name -> value (NaN if not reported)."""
    rows = results[(results["force"] == force) & (results["section"] == section_id)
                   & results["statistic"].str.startswith("delivery_")]
    return {s.removeprefix("delivery_"): v for s, v in zip(rows["statistic"], rows["value"])}


def delivery_line(results: pd.DataFrame, force: str, section_id: str) -> int | None:
    rows = results[(results["force"] == force) & (results["section"] == section_id)
                   & (results["statistic"] == "delivery_total")]
    lines = list(rows["lines"].iloc[0]) if len(rows) else []
    return lines[0] if lines else None


def period_label(period: str) -> str:
    """``2021/22 Q4`` for a quarter, ``Jul 2019`` for a month, ``May-Jul 2019`` or ``Nov 2018-Jan 2019`` for a range."""
    from strategy_update.core.periods import MONTH_NAMES

    try:
        quarter = parse_quarter(period)
        return f"{quarter.financial_year} Q{quarter.number}"
    except QuarterError:
        pass
    _, first, last = parse_period(period)
    (y1, m1), (y2, m2) = divmod(first, 12), divmod(last, 12)
    start, end = MONTH_NAMES[m1][:3], MONTH_NAMES[m2][:3]
    if first == last:
        return f"{start} {y1}"
    return f"{start}-{end} {y2}" if y1 == y2 else f"{start} {y1}-{end} {y2}"


def is_missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
