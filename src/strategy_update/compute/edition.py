"""One edition (publication x force x quarter) of the update: its inputs loaded once, and every figure a page shows.

Notebooks call ``load_edition`` and then ``analyse_strand`` for each section with a page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from strategy_update.compute import spc
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.publication import FORCE_EXTRACT, HOME_OFFICE, Measure, Publication, Section
from strategy_update.core.errors import InputError
from strategy_update.inputs.narrative import Narrative, read_narrative
from strategy_update.inputs.definition import display_path, load_publication
from strategy_update.inputs.readers import ForceExtract, load_crime, load_delivery, load_force_extract, load_population
from strategy_update.compute.measures import (Comparison, measure_rows, population_for, quarterly_series, rate_per_thousand,
                       standard_comparisons)
from strategy_update.core.periods import MONTH_NAMES, Quarter, QuarterError, parse_quarter


@dataclass
class Edition:
    publication: Publication
    force: str
    quarter: Quarter
    paths: InputPaths
    crime: pd.DataFrame  # the force's rows of the Home Office table
    population: pd.DataFrame
    delivery: pd.DataFrame | None
    first_data_quarter: Quarter
    last_data_quarter: Quarter

    @property
    def next_quarter(self) -> Quarter:
        return self.quarter.shift(1)

    def narrative(self, strand: Section) -> Narrative | None:
        path = self.paths.narrative(self.quarter, strand.id)
        if not path.exists():
            return None
        headings = [part.heading for part in self.publication.narrative]
        narrative, errors = read_narrative(path, display_name=display_path(path), key=self.publication.leaf_level.id,
                                           section_id=strand.id, quarter=self.quarter, headings=headings)
        if errors:  # validation reports these first; a build never gets here with a bad narrative
            e = errors[0]
            raise InputError(e.message, file=e.file, row=e.line, column=e.column, rule=e.rule, value=e.value)
        return narrative

    def delivery_row(self, strand: Section) -> pd.Series | None:
        if self.delivery is None:
            return None
        rows = self.delivery[self.delivery["strand"].str.strip() == strand.tracker_name]
        return rows.iloc[0] if len(rows) else None


def required_quarters(publication: Publication, quarter: Quarter) -> tuple[Quarter, Quarter]:
    """The first and last quarter an edition needs: the baseline year (if any), the previous year, the current year."""
    first = quarter.shift(-7)
    if publication.baseline_end is not None:
        first = min(publication.baseline_end.shift(-3), first)
    return first, quarter


def load_edition(paths: InputPaths, force: str, quarter_text: str | None = None) -> Edition:
    """The inputs of one edition; ``force`` is a force name as the Home Office writes it (e.g. ``Essex``)."""
    publication = load_publication(paths)
    try:
        quarter = parse_quarter(quarter_text) if quarter_text else publication.default_quarter
    except QuarterError as exc:
        raise InputError(str(exc), rule="quarter id") from None
    if not publication.accepts(quarter):
        span = " to ".join(q.id for q in (publication.first_quarter, publication.last_quarter) if q) or "none"
        raise InputError(f"the {publication.title} has no edition for {quarter.id}: its editions are {span}",
                         file=publication.source_file, column="--quarter", value=quarter.id,
                         rule="the quarter is one of the publication's editions")
    crime = load_crime(paths.crime, force=force)
    if crime.empty:
        raise InputError(f"no rows for force '{force}'", file=str(paths.crime), column="Force Name",
                         rule="the edition's force is in the data")
    quarters = sorted(parse_quarter(q) for q in crime["quarter"].unique())
    first_data, last_data = quarters[0], quarters[-1]
    first_needed, last_needed = required_quarters(publication, quarter)
    if first_needed < first_data or last_needed > last_data:
        raise InputError(
            f"quarter {quarter.id} cannot be published from this data: it needs {first_needed.id} to "
            f"{last_needed.id}, and the Home Office table covers {first_data.id} to {last_data.id}",
            file="data/raw/home-office/prc-pfa-open-data-tables.csv.gz", rule="the edition's quarters are in the data")
    population = load_population(paths.population)
    delivery = load_delivery(paths.delivery(quarter))
    return Edition(publication, force, quarter, paths, crime, population, delivery, first_data, last_data)


# --- one measure ----------------------------------------------------------------------------------
@dataclass
class MeasureResult:
    measure: Measure
    available: bool
    quarterly: pd.Series = field(default_factory=pd.Series)  # chart history, by quarter id
    native_labels: list[str] = field(default_factory=list)  # bar chart x (quarters or months)
    native_values: list[float] = field(default_factory=list)
    native_current: set[str] = field(default_factory=set)  # labels in the current 12 months
    granularity: str = "quarter"  # of the bar chart: "quarter" or "month"
    comparisons: list[Comparison] = field(default_factory=list)
    population: tuple[int, int] | None = None
    rate: float | None = None
    chart: spc.XmR | None = None
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # input rows for every quarter used
    source_file: str = ""
    negative_rows: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def headline(self) -> Comparison:
        return self.comparisons[0]


def quarter_axis_label(quarter_id: str) -> str:
    """``2021/22 Q4`` for chart axes."""
    q = parse_quarter(quarter_id)
    return f"{q.financial_year} Q{q.number}"


def _history_start(edition: Edition, measure: Measure) -> Quarter:
    start = max(edition.quarter.shift(1 - edition.publication.history_quarters), edition.first_data_quarter)
    if measure.series_start is not None:
        start = max(start, measure.series_start)
    return start


def _finish(edition: Edition, result: MeasureResult) -> MeasureResult:
    """Comparisons, rate and SPC: the same for every source once there is a quarterly series."""
    q = edition.quarter
    result.comparisons = standard_comparisons(result.quarterly, q, edition.publication.baseline_end)
    result.population = population_for(edition.population, edition.force, q)
    if result.population:
        result.rate = rate_per_thousand(result.headline.current, result.population[1])
    history = result.quarterly.dropna()
    if len(history) >= 2:
        result.chart = spc.xmr(list(history.values))
    return result


def analyse_home_office_measure(edition: Edition, measure: Measure) -> MeasureResult:
    rows = measure_rows(edition.crime, measure)
    q = edition.quarter
    first, _ = required_quarters(edition.publication, q)
    start = _history_start(edition, measure)
    # Comparisons may reach back before the chart history (the baseline year), so the series covers both.
    series = quarterly_series(rows, min(first, start), q)
    history = series[[quarter_id >= start.id for quarter_id in series.index]]
    result = MeasureResult(measure, True, quarterly=series, source_file=str(rows["source_file"].iloc[0])
                           if len(rows) else "")
    result.native_labels = [quarter_axis_label(i) for i in history.index]
    result.native_values = list(history.values)
    result.native_current = {quarter_axis_label(x.id) for x in q.rolling_year()}
    result = _finish(edition, result)
    if result.chart is not None:
        result.chart = spc.xmr(list(history.dropna().values))
    used = {quarter_id for c in result.comparisons for quarter_id in c.current_quarters + c.base_quarters}
    result.rows = rows[rows["quarter"].isin(used)]
    result.negative_rows = rows[(rows["count"] < 0) & rows["quarter"].isin(set(history.index) | used)]
    return result


def analyse_force_extract(edition: Edition, measure: Measure, extract: ForceExtract | None) -> MeasureResult:
    """A measure with no open data, from the force's own extract when one was supplied."""
    if extract is None:
        return MeasureResult(measure, False)
    native = extract.native
    q = edition.quarter
    # Only complete quarters count: a monthly extract must hold all three months of a quarter.
    per_quarter = native.groupby("quarter")["count"].agg(["sum", "size"])
    needed = 3 if extract.granularity == "month" else 1
    complete = per_quarter[per_quarter["size"] == needed]["sum"].astype(float)
    quarters = sorted(complete.index)
    if not quarters:
        return MeasureResult(measure, False)
    series = complete.reindex([x.id for x in _range(parse_quarter(quarters[0]), q)])
    result = MeasureResult(measure, True, quarterly=series, source_file=extract.source_file)
    current = {x.id for x in q.rolling_year()}
    shown = native[native["quarter"] <= q.id].tail(edition.publication.history_quarters * needed)
    if extract.granularity == "month":
        labels = [_month_label(p) for p in shown["period"]]
    else:
        labels = [quarter_axis_label(p) for p in shown["quarter"]]
    result.native_labels = labels
    result.granularity = extract.granularity
    result.native_values = [float(v) for v in shown["count"]]
    result.native_current = {lab for lab, quarter_id in zip(labels, shown["quarter"]) if quarter_id in current}
    result.rows = native
    return _finish(edition, result)


def _range(first: Quarter, last: Quarter) -> list[Quarter]:
    return [Quarter.from_index(i) for i in range(first.index, last.index + 1)]


def _month_label(period: str) -> str:
    year, month = (int(x) for x in period.split("-"))
    return f"{MONTH_NAMES[month - 1][:3]} {year}"


def analyse_strand(edition: Edition, strand: Section) -> list[MeasureResult]:
    """Every measure of a section, in the definition's order (force extracts only where supplied)."""
    results = []
    for measure in strand.measures:
        if measure.source == HOME_OFFICE:
            results.append(analyse_home_office_measure(edition, measure))
        else:
            extract = load_force_extract(edition.paths.force_extract(measure.id), measure.id)
            results.append(analyse_force_extract(edition, measure, extract))
    return results


def seasonal_table(result: MeasureResult, edition: Edition, years: int = 4) -> tuple[dict, list[str]]:
    """Values by financial year (one line each) across its quarters, for the seasonal chart."""
    table: dict[str, list[float | None]] = {}
    last = edition.quarter
    for k in range(years - 1, -1, -1):
        fy = last.fy_start - k
        values = []
        for number in range(1, 5):
            quarter_id = Quarter(fy, number).id
            value = result.quarterly.get(quarter_id)
            in_range = quarter_id <= last.id and value is not None and not pd.isna(value)
            values.append(float(value) if in_range else None)
        if any(v is not None for v in values):
            table[Quarter(fy, 1).financial_year] = values
    names = [f"Q{n} ({Quarter(2000, n).short_months_label.split(' ')[0]})" for n in range(1, 5)]
    return table, names
