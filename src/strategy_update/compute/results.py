"""The compute stage's output: one tidy table of every figure, computed for all forces at once.

Inputs become *observations* (a value per force, measure and span of months) and *input rows* (the source
lines behind each observation). ``compute_results`` turns them into one row per figure, with the input lines
behind it, so pages, checks and the audit trail read one table instead of re-deriving figures.
"""

from __future__ import annotations

import math
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from strategy_update.compute import spc
from strategy_update.compute.comparisons import COMPARISONS, Span, parse_span, quarter_span, resolve_spans
from strategy_update.compute.delivery import TOTAL, delivery_rows, totals
from strategy_update.compute.measures import change, pct_change, rate_per_thousand
from strategy_update.compute.observations import FIGURE_KEY, KEY
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter, tracker_quarter
from strategy_update.model.publication import Publication

TEXT_COLUMNS = ["publication", "force", "section", "measure", "area", "statistic", "comparison", "period",
                "period_label", "base_period", "base_period_label"]  # area: '' for a force-wide figure
COLUMNS = TEXT_COLUMNS + ["value", "text", "source_file", "lines"]
SCHEMA = pa.schema([(c, pa.string()) for c in TEXT_COLUMNS] + [
    ("value", pa.float64()), ("text", pa.string()), ("source_file", pa.string()), ("lines", pa.list_(pa.int64()))])


# --- the results table -----------------------------------------------------------------------------
def compute_results(observations: pd.DataFrame, input_rows: pd.DataFrame, population: pd.DataFrame, *,
                    publication_id: str, quarter: Quarter, comparisons: list[str], baseline_end: Quarter | None,
                    history_quarters: int, forces: list[str] | None = None,
                    rate_comparison: str | None = None, not_summed: frozenset[str] = frozenset(),
                    spc_baseline: int | None = spc.BASELINE_QUARTERS,
                    spc_steps: dict[str | tuple[str, str], tuple[tuple[str, str], ...]] | None = None
                    ) -> pd.DataFrame:
    """Every figure for ``quarter``, one row each (see COLUMNS). The first comparison is the headline.

    The rate per 1,000 is for the current figure of the headline, or of ``rate_comparison`` when given (a count at
    31 March has no 12-month figure: its rate is for the comparison of two 31 Marches).

    Measures in ``not_summed`` (averages, percentages: a time or a share cannot be added up over quarters) take a
    period's figure only when it was supplied for exactly that period.

    Control charts take their limits from the first ``spc_baseline`` quarters of each chart, recalculated at the
    step changes in ``spc_steps`` (measure id, or (force, measure id) for one force's, -> (quarter id, reason)
    pairs): see ``compute/spc.py``. A chart whose baseline (or a step's) has no variation at all (every quarter the
    same figure, often 0) has no limits to judge by: it is not drawn, and a ``spc_no_chart`` row says why.

    Figures are computed per force, section, measure and area (``FIGURE_KEY``): area '' is the force-wide
    figure; any other area (a force extract's ``area`` column) gets the same statistics from its own rows, listed
    after the measure's force-wide figures. Population and the rate per 1,000 are force-wide only (there is no
    population per area).
    """
    unknown = [name for name in comparisons if name not in COMPARISONS]
    if unknown:
        raise ValueError(f"unknown comparison(s) {unknown}; known: {sorted(COMPARISONS)}")
    obs = observations if forces is None else observations[observations["force"].isin(forces)]
    # Each measure's force-wide observations first, then its areas' (in the order met); a stable sort, so the
    # force-wide rows keep their order and their figures are exactly what they were without areas.
    measure = obs.groupby(KEY, sort=False).ngroup().to_numpy()
    order = np.lexsort(((obs["area"] != "").to_numpy(), measure))
    obs = obs.iloc[order].reset_index(drop=True)
    keys = obs[FIGURE_KEY].drop_duplicates().reset_index(drop=True)
    keys["order"] = range(len(keys))
    if keys.empty:
        return tidy(pd.DataFrame(columns=COLUMNS))
    keys["source_file"] = obs.groupby(FIGURE_KEY, sort=False)["source_file"].first().to_numpy()
    targets = pd.concat([_history_targets(obs, keys, quarter, history_quarters),
                         _comparison_targets(obs, keys, quarter, comparisons, baseline_end)], ignore_index=True)
    figures = _with_lines(resolve_spans(obs, targets, FIGURE_KEY, exact_only=obs["measure"].isin(not_summed)),
                          input_rows)
    series = figures[figures["comparison"] == ""]
    blocks = [series.assign(statistic="series", block=0, sub=series["first_month"]),
              *_comparison_rows(figures[figures["comparison"] != ""]),
              *_population_rows(keys, figures, population, quarter,
                                [rate_comparison] if rate_comparison else comparisons[:1]),
              *_spc_rows(series, spc_baseline, spc_steps or {})]
    results = pd.concat(blocks, ignore_index=True).sort_values(["order", "block", "sub"], kind="stable")
    results["publication"] = publication_id
    return tidy(results)


def quarterly_history(observations: pd.DataFrame, input_rows: pd.DataFrame, *, publication_id: str, quarter: Quarter,
                      forces: list[str], not_summed: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Each force-wide measure's quarterly figures (``series`` rows, as ``compute_results`` writes them) from its
    first observation up to ``quarter``: the history its demand profile is forecast from, longer than the
    ``history_quarters`` its charts show."""
    obs = observations[observations["force"].isin(forces) & (observations["area"] == "")].reset_index(drop=True)
    keys = obs[FIGURE_KEY].drop_duplicates().reset_index(drop=True)
    if keys.empty:
        return tidy(pd.DataFrame(columns=COLUMNS))
    keys["source_file"] = obs.groupby(FIGURE_KEY, sort=False)["source_file"].first().to_numpy()
    first = int(obs["first_month"].min()) // 3  # quarters since the first observation's, as quarter indices count
    history = quarter_span(quarter).last_month // 3 - first + 1
    targets = _history_targets(obs, keys, quarter, max(history, 1))
    figures = _with_lines(resolve_spans(obs, targets, FIGURE_KEY, exact_only=obs["measure"].isin(not_summed)),
                          input_rows)
    return tidy(figures.assign(statistic="series", publication=publication_id))


def _with_lines(figures: pd.DataFrame, input_rows: pd.DataFrame) -> pd.DataFrame:
    """``resolve_spans``' figures with ``lines``: the input lines behind the periods each one used."""
    lines_of: dict[tuple, list[int]] = {}
    rows = input_rows if "area" in input_rows else input_rows.assign(area="")
    for key in zip(*(rows[c].tolist() for c in FIGURE_KEY + ["period", "line"])):
        lines_of.setdefault(key[:-1], []).append(int(key[-1]))
    figures["lines"] = [sorted(chain.from_iterable(lines_of.get((*key, p), ()) for p in used))
                        for *key, used in zip(*(figures[c].tolist() for c in FIGURE_KEY + ["used"]))]
    return figures


def march_label(span: Span, short: bool = False) -> str:
    """``at 31 March 2022`` (``31 Mar 2022`` for a chart axis): the date of a count at 31 March, held as the span
    of the quarter ending that day."""
    year = span.last_month // 12
    return f"31 Mar {year}" if short else f"at 31 March {year}"


def label_snapshots(results: pd.DataFrame) -> pd.DataFrame:
    """Period labels of counts at 31 March (``compute_results`` rows of workforce measures): a quarter ending in
    March reads ``at 31 March 2022`` (``31 Mar 2022`` on the chart's series), never ``Q4 2021/22``; a span of more
    than one quarter (a rolling 12 months) has no figure, since positions on one day cannot be added up, and says
    so instead of "12 months ending"; any other quarter has no count."""
    out = results.copy()
    for column, label_column in (("period", "period_label"), ("base_period", "base_period_label")):
        labels = {}
        for period in out[column].unique():
            if not period or period.startswith("mid-"):
                continue
            try:
                span = parse_span(period)
            except (ValueError, QuarterError):
                continue
            if span.months > 3:
                labels[period] = ("12-month total (not applicable to a count at 31 March)" if column == "period"
                                  else "n/a")
            elif span.months == 3 and span.last_month % 12 == 2:
                labels[period] = None  # a 31 March: set below (series rows get the short form)
            else:
                labels[period] = f"{span.label} (no count: counts are at 31 March)"
        for period, label in labels.items():
            rows = out[column] == period
            if label is not None:
                out.loc[rows, label_column] = label
                continue
            series = rows & (out["statistic"] == "series")
            out.loc[rows & ~series, label_column] = march_label(parse_span(period))
            out.loc[series, label_column] = march_label(parse_span(period), short=True)
    return out


def tidy(frame: pd.DataFrame) -> pd.DataFrame:
    """The results columns in order with their types: text '' when absent, value float, lines a list of ints."""
    out = pd.DataFrame(index=range(len(frame)))
    for column in TEXT_COLUMNS + ["text", "source_file"]:
        values = frame[column] if column in frame else pd.Series([""] * len(frame))
        out[column] = pd.Series(values.to_numpy(), dtype=object).fillna("").astype("str")
    out["value"] = pd.to_numeric(pd.Series(frame["value"].to_numpy()), errors="coerce").astype("float64")
    out["lines"] = pd.Series([lines.tolist() if isinstance(lines, np.ndarray) else [int(x) for x in lines]
                              for lines in frame["lines"]], dtype=object)  # tolist: Parquet's int arrays, at once
    return out[COLUMNS]


def _history_targets(obs: pd.DataFrame, keys: pd.DataFrame, quarter: Quarter, history: int) -> pd.DataFrame:
    """The chart's quarters per key: the last ``history`` up to the edition, from the first quarter with data.

    Mirrors edition._history_start, which starts at max(window, the force's first quarter, series_start):
    observations_from_crime drops quarters before series_start, so a measure's first observation is where
    both of those start for it (a measure with leading empty quarters would start at its data, not before).
    """
    window = [quarter_span(quarter.shift(k)) for k in range(1 - history, 1)]
    first = obs.groupby(FIGURE_KEY, sort=False)["first_month"].min()
    starts = -(-first.to_numpy() // 3) * 3  # a monthly series counts from its first whole quarter
    spans = pd.DataFrame({"first_month": [s.first_month for s in window], "last_month": [s.last_month for s in window],
                          "period": [s.id for s in window], "period_label": [s.label for s in window]})
    frame = keys.assign(start=starts).merge(spans, how="cross")
    return frame[frame["first_month"] >= frame["start"]].drop(columns="start").assign(comparison="")


def _comparison_targets(obs: pd.DataFrame, keys: pd.DataFrame, quarter: Quarter, comparisons: list[str],
                        baseline_end: Quarter | None) -> pd.DataFrame:
    """Current and base span of each comparison per key; a rule's spans depend at most on the data's last month."""
    edition_end = quarter_span(quarter).last_month
    covered = obs[obs["last_month"] <= edition_end].groupby(FIGURE_KEY, sort=False)["last_month"].max()
    keyed = keys.merge(covered.rename("data_end").reset_index(), on=FIGURE_KEY, how="left")
    keyed["data_end"] = keyed["data_end"].fillna(-1).astype("int64")
    rows = []
    for index, name in enumerate(comparisons):
        for end in sorted(keyed["data_end"].unique()):
            pair = COMPARISONS[name](quarter, baseline_end, None if end < 0 else int(end))
            if pair is None:  # e.g. no baseline: the comparison has no figures at all
                continue
            for role, span, label in (("current", pair.current, pair.current_label),
                                      ("base", pair.base, pair.base_label)):
                rows.append((end, name, index, role, span.first_month, span.last_month, span.id, label))
    table = pd.DataFrame(rows, columns=["data_end", "comparison", "cindex", "role", "first_month", "last_month",
                                        "period", "period_label"])
    return keyed.merge(table, on="data_end").drop(columns="data_end")


def _each(formula, *columns: pd.Series) -> list[float]:
    """A formula of ``compute/measures.py`` applied row by row (missing values in as None, n/a out as NaN)."""
    def arg(value):
        return None if pd.isna(value) else float(value)
    return [math.nan if (v := formula(*map(arg, values))) is None else v for values in zip(*columns)]


def _comparison_rows(figures: pd.DataFrame) -> list[pd.DataFrame]:
    """current, base, change and pct_change per comparison, whole columns at a time."""
    on = FIGURE_KEY + ["comparison"]
    current = figures[figures["role"] == "current"]
    base = figures[figures["role"] == "base"][on + ["period", "period_label", "value", "lines"]]
    wide = current.merge(base, on=on, suffixes=("", "_base")).rename(
        columns={"period_base": "base_period", "period_label_base": "base_period_label"})
    c, b = wide["value"], wide["value_base"]
    both = [sorted(x + y) for x, y in zip(wide["lines"], wide["lines_base"])]
    sub = wide["cindex"] * 4
    return [wide.assign(statistic="current", block=1, sub=sub),
            wide.assign(statistic="base", value=b, lines=wide["lines_base"], block=1, sub=sub + 1),
            wide.assign(statistic="change", value=_each(change, c, b), lines=both, block=1, sub=sub + 2),
            wide.assign(statistic="pct_change", value=_each(pct_change, c, b), lines=both, block=1,
                        sub=sub + 3)]


def _population_rows(keys: pd.DataFrame, figures: pd.DataFrame, population: pd.DataFrame, quarter: Quarter,
                     headline: list[str]) -> list[pd.DataFrame]:
    """The ONS mid-year estimate used (as measures.population_for) and the headline's rate per 1,000: force-wide
    figures only, since there is no population per area."""
    keys = keys[keys["area"] == ""]
    figures = figures[figures["area"] == ""]
    end_year = quarter.end_month[0]
    used = (population[population["mid_year"] <= end_year].sort_values(["force_name", "mid_year"], kind="stable")
            .groupby("force_name").tail(1).rename(columns={"force_name": "force"}))
    used = keys.drop(columns="source_file").merge(used[["force", "mid_year", "population", "line", "source_file"]],
                                                  on="force", how="left")
    known = used["mid_year"].notna()
    pop = used.assign(statistic="population", value=used["population"].astype(float), block=2, sub=0,
                      period=[f"mid-{y}" if k else "" for y, k in zip(used["mid_year"], known)],
                      lines=[[int(line)] if k else [] for line, k in zip(used["line"], known)])
    pop["period_label"] = pop["period"]
    current = figures[(figures["role"] == "current") & figures["comparison"].isin(headline)]
    rate = current.merge(used[FIGURE_KEY + ["population"]], on=FIGURE_KEY, how="left")
    people = rate["population"].astype(float)
    rate = rate.assign(statistic="rate_per_1000", value=_each(rate_per_thousand, rate["value"], people),
                       block=3, sub=0)
    return [pop, rate]


SPC_STATISTICS = {"spc_mean": "mean", "spc_mean_moving_range": "mean_moving_range", "spc_upper": "upper",
                  "spc_lower": "lower"}


SPC_MIN_POINTS = 8  # fewer consecutive points give limits too unstable to judge a signal by


def _chartable(first_months: np.ndarray, last_months: np.ndarray) -> bool:
    """A control chart needs enough points, each following the last with no gap: two quarters a year apart are not
    a process to chart."""
    return len(first_months) >= SPC_MIN_POINTS and bool(np.all(first_months[1:] == last_months[:-1] + 1))


def step_indices(first_months: list[int], steps: tuple[tuple[str, str], ...]) -> dict[int, str]:
    """{chart point: reason} of the step changes inside a chart whose points start in ``first_months``. A step
    at the chart's first point changes nothing; a step that would leave fewer than two points on either side (so
    no moving range to set limits by) takes effect in a later edition, once there are two."""
    at = {m: i for i, m in enumerate(first_months)}
    out: dict[int, str] = {}
    for quarter_id, reason in sorted(steps, key=lambda s: parse_span(s[0]).first_month):
        i = at.get(parse_span(quarter_id).first_month)
        if i is not None and i - max(out, default=0) >= 2 and len(first_months) - i >= 2:
            out[i] = reason
    return out


def _spc_rows(series: pd.DataFrame, baseline: int | None,
              steps: dict[str | tuple[str, str], tuple[tuple[str, str], ...]]) -> list[pd.DataFrame]:
    """The XmR chart over each key's chart history: per segment (one, or one per step change) its mean, mean
    moving range and limits, for the quarters of ``period``, set from the baseline quarters of ``base_period``;
    ``spc_mean``'s text is the step's reason, ``spc_mean_moving_range``'s the quarters whose moving range was
    screened out. Then every point's signals (``spc_signal``)."""
    points = series[series["value"].notna()].sort_values(["order", "first_month"], kind="stable")
    orders, values, lines = points["order"].to_numpy(), points["value"].to_numpy(), points["lines"].tolist()
    firsts, lasts = points["first_month"].to_numpy(), points["last_month"].to_numpy()
    labels = points["period_label"].tolist()
    ids = list(zip(*(points[c].tolist() for c in FIGURE_KEY + ["source_file"])))
    measure_at, force_at = FIGURE_KEY.index("measure"), FIGURE_KEY.index("force")
    cuts = np.flatnonzero(np.diff(orders)) + 1
    charted, texts, summary = np.zeros(len(points), dtype=bool), [""] * len(points), []
    for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(points)]):
        if not _chartable(firsts[a:b], lasts[a:b]):
            continue
        measure, force = ids[a][measure_at], ids[a][force_at]
        marks = step_indices([int(m) for m in firsts[a:b]], steps.get(measure, ()) + steps.get((force, measure), ()))
        chart = spc.xmr(values[a:b].tolist(), baseline, marks)
        flat = next((s for s in chart.parts if s.mean_moving_range == 0), None)
        if flat is not None:  # limits equal to the mean: any later change would read as a signal
            summary.append({**dict(zip(FIGURE_KEY + ["source_file"], ids[a])), "order": orders[a],
                            "statistic": "spc_no_chart", "block": 4, "sub": 0, "value": flat.mean, "lines": [],
                            "period": Span(int(firsts[a + flat.start]), int(lasts[a + flat.baseline_end - 1])).id,
                            "period_label": f"{labels[a + flat.start]} to {labels[a + flat.baseline_end - 1]}",
                            "text": f"the figure was the same ({flat.mean:,.10g}) in every one of the "
                                    f"{flat.baseline_points} quarters the limits would be set from "
                                    f"({labels[a + flat.start]} to {labels[a + flat.baseline_end - 1]}), so there "
                                    "is no variation to set control limits by"})
            continue
        charted[a:b] = True
        texts[a:b] = [";".join(f"{rule}:{side}" for rule, side in sorted(s.items())) for s in chart.signals]
        both = sorted(chain.from_iterable(lines[a:b]))

        def span(first: int, last: int, a: int = a) -> tuple[str, str]:  # chart positions -> (span id, label)
            return (Span(int(firsts[a + first]), int(lasts[a + last])).id,
                    f"{labels[a + first]} to {labels[a + last]}")
        for k, segment in enumerate(chart.parts):
            period, period_label = span(segment.start, segment.end - 1)
            base, base_label = span(segment.start, segment.baseline_end - 1)
            notes = {"spc_mean": segment.reason,
                     "spc_mean_moving_range": ", ".join(labels[a + i] for i in segment.screened)}
            for sub, (statistic, attribute) in enumerate(SPC_STATISTICS.items()):
                summary.append({**dict(zip(FIGURE_KEY + ["source_file"], ids[a])), "order": orders[a],
                                "statistic": statistic, "block": 4, "sub": k * len(SPC_STATISTICS) + sub,
                                "value": getattr(segment, attribute), "text": notes.get(statistic, ""),
                                "lines": both, "period": period, "period_label": period_label,
                                "base_period": base, "base_period_label": base_label})
    signals = points.assign(statistic="spc_signal", block=5, sub=points["first_month"], text=texts)[charted]
    return [pd.DataFrame(summary), signals]


def chart_from_results(rows: pd.DataFrame) -> tuple[spc.XmR | None, tuple[str, ...]]:
    """The control chart of one measure's result rows (as ``_spc_rows`` wrote them), and its quarters' labels."""
    points = rows[rows["statistic"] == "spc_signal"]
    if points.empty:
        return None, ()
    labels = tuple(points["period_label"])
    spans = [parse_span(p) for p in points["period"]]
    starts = {s.first_month: i for i, s in enumerate(spans)}
    ends = {s.last_month: i + 1 for i, s in enumerate(spans)}
    segments = []
    for _, mean in rows[rows["statistic"] == "spc_mean"].iterrows():
        stats = rows[(rows["period"] == mean["period"]) & rows["statistic"].isin(list(SPC_STATISTICS))]
        value = dict(zip(stats["statistic"], stats["value"].astype(float)))
        start = starts[parse_span(mean["period"]).first_month]
        end, base_end = ends[parse_span(mean["period"]).last_month], ends[parse_span(mean["base_period"]).last_month]
        screened_text = stats.loc[stats["statistic"] == "spc_mean_moving_range", "text"].iloc[0] or ""
        screened = tuple(labels.index(x) for x in screened_text.split(", ") if x)
        segments.append(spc.Segment(start, end, base_end, *(value[s] for s in SPC_STATISTICS), screened,
                                    mean["text"] or ""))
    signals = tuple(dict(part.split(":", 1) for part in (t or "").split(";") if part) for t in points["text"])
    last = segments[-1]
    return spc.XmR(tuple(points["value"].astype(float)), last.mean, last.mean_moving_range, last.upper, last.lower,
                   signals, tuple(segments)), labels


# --- the delivery plan -----------------------------------------------------------------------------
def delivery_results(tracker: pd.DataFrame | None, publication: Publication, force: str) -> pd.DataFrame:
    """Delivery counts per section (``delivery_total``, ``delivery_<part>``) and their totals
    (``delivery_total_<count>``, ``delivery_sections``, ...), from compute/delivery.py's rules."""
    spec = publication.delivery
    rows = delivery_rows(spec, publication.leaves, tracker, publication.leaf_level.id)
    by_line = {} if tracker is None else {int(r["line"]): r for _, r in tracker.iterrows()}
    source = "" if tracker is None or "source_file" not in tracker else str(tracker["source_file"].iloc[0])
    keys = [TOTAL] + [p.column for p in spec.parts]
    records = []
    for row in rows:
        period = tracker_quarter(by_line[row.line]["quarter"]) if row.line in by_line else None
        for key in keys:
            records.append({"section": row.section_id, "statistic": f"delivery_{key}", "value": row.count(key),
                            "period": period.id if period else "", "period_label": period.short_label if period else "",
                            "lines": [row.line] if row.supplied else []})
    periods = {r["period"] for r in records if r["period"]}
    common = parse_quarter(periods.pop()) if len(periods) == 1 else None
    reported = sorted(r.line for r in rows if r.supplied)
    for key, value in totals(spec, rows).items():
        name = f"total_{key}" if key in keys else key
        records.append({"section": "", "statistic": f"delivery_{name}", "value": value, "lines": reported,
                        "period": common.id if common else "", "period_label": common.short_label if common else ""})
    frame = pd.DataFrame(records).assign(publication=publication.id, force=force, source_file=source)
    frame["value"] = frame["value"].astype(float)  # None (section not reported) becomes NaN
    return tidy(frame)


# --- Parquet -----------------------------------------------------------------------------------------
def write_results(results: pd.DataFrame, path: Path) -> None:
    """Parquet with a fixed schema and no pandas metadata, so the same figures give the same bytes."""
    table = pa.Table.from_pandas(tidy(results), schema=SCHEMA, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(table, path, compression="zstd", write_statistics=False)


def read_results(path: Path) -> pd.DataFrame:
    return tidy(pq.read_table(path, schema=SCHEMA).to_pandas())
