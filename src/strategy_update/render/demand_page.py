"""The "Demand profile" page, written by the build: for every measure with a quarterly series, its current trend,
its forecast trend and a line of context, then the forecasts' track record in the back test. Every figure is read
from the results table (compute/forecast.py's rows); nothing is typed."""

from __future__ import annotations

import pandas as pd

from strategy_update.compute.forecast_backtest import TIE
from strategy_update.compute.forecast_models import CANDIDATES
from strategy_update.core.formatting import count_phrase, format_pct, format_value
from strategy_update.core.markup import literal
from strategy_update.model.forces import display_name
from strategy_update.model.publication import Publication, disturbed_quarters
from strategy_update.render.forecast_chart import MODEL_NAMES, demand_figures, format_mase, format_share
from strategy_update.render.tables import markdown_table


def _context(demand, unit: str, recent: float) -> str:
    """A line of context from the figures: the trend's slope and interval, next year's forecast against the last."""
    trend = (f"{format_pct(demand.slope_pct)} a year (95% interval {format_pct(demand.slope_lower)} to "
             f"{format_pct(demand.slope_upper)}). " if demand.trend else "")
    if not demand.point_forecast:
        return (f"{trend}Next four quarters: a range only, too few {unit} a quarter for a single figure; "
                f"{format_value(recent, unit)} in the latest four.")
    return (f"{trend}Next four quarters: about {format_value(demand.forecast['forecast'].sum(), unit)} {unit}, "
            f"against {format_value(recent, unit)} in the latest four.")


def _recent_year(results: pd.DataFrame, force: str, section_id: str, measure_id: str, disturbed: set[str]) -> float:
    """The sum of the latest four quarters with a figure that are not disturbed: what the forecast trend compares
    the next four quarters with (compute/forecast.py ``forecast_trend``)."""
    series = results[(results["force"] == force) & (results["section"] == section_id)
                     & (results["measure"] == measure_id) & (results["area"] == "")
                     & (results["statistic"] == "series") & ~results["period"].isin(disturbed)]
    return float(series["value"].dropna().tail(4).sum(min_count=4))


def _pooled(results: pd.DataFrame, force: str) -> str:
    """The edition's track record over every measure, and which models the back test chose, in words."""
    from strategy_update.compute.track_record import track_record

    pooled = track_record(results[results["force"] == force])
    if pooled.empty or not pooled["points"].iloc[0]:
        return "No measure has enough history before its latest quarters for a back test yet."
    row = pooled.iloc[0]
    chose = [f"{MODEL_NAMES[name]} for {count_phrase(int(row[f'chose_{name}']), 'measure')}"
             for name in CANDIDATES if row[f"chose_{name}"]]
    return ("The back test chose " + _series(chose) + f". Together, their intervals held {int(row['inside_80']):,} of "
            f"{int(row['points']):,} past forecasts at 80% ({format_share(row['coverage_80'])}) and "
            f"{int(row['inside_95']):,} at 95% ({format_share(row['coverage_95'])}).")


def _series(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def _name(section, measure) -> str:
    """The measure, and the section it belongs to (one column: the table must fit a phone)."""
    return f"**{literal(measure.name)}** ({literal(section.name)})"


def render_markdown(publication: Publication, results: pd.DataFrame, force: str) -> str:
    level = publication.leaf_level
    # Each measure's rows taken out once: picking them from the whole table, measure by measure, was most of the page.
    measures = dict(list(results[(results["force"] == force) & (results["area"] == "")].groupby(
        ["section", "measure"], sort=False)))
    rows_of = {(s.id, m.id): measures.get((s.id, m.id), results.iloc[:0]) for s, m in publication.measures}
    profiles = [(s, m, d) for s, m in publication.measures if not m.snapshot
                if (d := demand_figures(rows_of[s.id, m.id], force, s.id, m.id)) is not None]
    periods = [f"{first.short_label} to {last.short_label} ({reason})"
               for first, last, reason in publication.disturbed_periods]
    out = [f"How demand is changing for each measure with a quarterly series in {display_name(force)}"
           ", computed from the figures "
           "when this update was built: the **current trend** is the seasonally adjusted slope of the latest 12 "
           "quarters with a figure (leaving out disturbed ones), rated increasing or decreasing only when its 95% "
           "confidence interval excludes no change; the "
           "**forecast trend** compares the next four quarters' forecast with the latest four quarters, rated "
           "increasing or decreasing only when the whole 80% prediction interval lies on one side. The Methods page "
           "gives the rules and the model.", ""]
    if periods:
        out += ["Quarters left out of trends and forecasts as disturbed: " + "; ".join(periods) + ".", ""]
    if not profiles:
        return "\n".join(out + ["No measure of this edition has a quarterly series long enough to forecast."]) + "\n"
    off = set(disturbed_quarters(publication))
    windows = sorted({(d.trend_from, d.trend_to) for _, _, d in profiles if d.trend})
    if len(windows) == 1:
        out += [f"The current trends are over {windows[0][0]} to {windows[0][1]}.", ""]
    out += ["## Trend and forecast by measure", "",
            markdown_table([f"Measure ({level.name.lower()})", "Current trend", "Forecast trend (next year)",
                            "Context"],
                           [[_name(s, m), d.trend or "not rated", d.forecast_trend or "not rated",
                             _context(d, m.unit, _recent_year(rows_of[s.id, m.id], force, s.id, m.id, off))]
                            for s, m, d in profiles]),
            "", "## Track record", "",
            "Each measure's forecast comes from one of three models, chosen by a back test: from each of the "
            "latest quarters with at least three years of figures before it, every model forecast the next four "
            "quarters from the figures up to then, and the forecasts were compared with what happened (disturbed "
            "quarters are not scored). MASE compares a model's errors with those of the seasonal naive within "
            f"the history (lower is better). The simplest model within {round(TIE * 100)}% of the lowest MASE is "
            "published. Its intervals are set from its own past errors, so that they would have held about 80% "
            "and 95% of past values; each past forecast is scored against intervals set only from the errors known "
            "when it was made. The Methods page gives the rules.", "",
            _pooled(results, force), "",
            markdown_table([f"Measure ({level.name.lower()})", "Model", "Past forecasts", "Inside 80% interval",
                            "Inside 95% interval", "MASE", "Seasonal naive's MASE"],
                           [[_name(s, m), MODEL_NAMES.get(d.chosen, d.chosen), str(d.points),
                             f"{d.inside_80} ({format_share(d.coverage_80)})",
                             f"{d.inside_95} ({format_share(d.coverage_95)})", format_mase(d.mase),
                             format_mase(d.naive_mase)]
                            for s, m, d in profiles])]
    return "\n".join(out) + "\n"
