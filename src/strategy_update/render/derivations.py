"""The "How this was calculated" notes: formula, periods and the input rows behind each figure, one click away."""

from __future__ import annotations

from strategy_update.compute import spc
from strategy_update.compute.comparisons import parse_span
from strategy_update.compute.results import march_label
from strategy_update.core.formatting import format_count, format_difference, format_pct, format_rate, format_value
from strategy_update.model.forces import display_name
from strategy_update.model.publication import HOME_OFFICE
from strategy_update.render.figures import ComparisonFigures, MeasureFigures, period_label
from strategy_update.render.input_names import input_label
from strategy_update.render.notes import NOTE_TITLE, CalculationNote
from strategy_update.render.tables import markdown_table
from strategy_update.render.text import signal_text


def _source(figures: MeasureFigures) -> str:
    """The input the figures come from, named for readers (not its path in the repository)."""
    return input_label(figures.source_file, figures.measure.name.lower())


def _periods(period: str) -> str:
    """The quarters a span is made of (``Q1 2021/22 (April-June 2021), ...``), or the span itself."""
    span = parse_span(period)
    quarters = span.quarters()
    return ", ".join(q.label for q in quarters) if quarters else span.label


def comparison(figures: MeasureFigures, c: ComparisonFigures) -> CalculationNote:
    """Formula, the two periods and the input rows summed, with the source file."""
    unit = figures.measure.unit
    lines = [f"**Formula:** change = current - base = {format_value(c.current, unit)} - {format_value(c.base, unit)} = "
             f"{format_difference(c.change, unit)}; "
             f"% change = change / base x 100 = {format_pct(c.pct_change)} "
             f"(rounded half away from zero to one decimal place; a base of 0 gives n/a).", ""]
    for label, period, shown in (("Current", c.current_period, c.current_label), ("Base", c.base_period, c.base_label)):
        if figures.measure.snapshot:  # a count on one day: its date, not the quarter it is filed under
            lines += [f"**{label}:** the count {shown} (Home Office police workforce open data, annual).", ""]
        else:
            lines += [f"**{label} period:** {_periods(period)}.", ""]
    used = figures.rows_within(c.current_period, c.base_period)
    if figures.measure.source == HOME_OFFICE and not used.empty:
        # A quarter per row, a code per column (pivot_table's result, from a groupby: a few times faster).
        table = used.groupby(["period", "code"])["value"].sum().unstack("code", fill_value=0)
        table = table.loc[:, (table != 0).any(axis=0)]
        header = ["Quarter"] + [str(code) for code in table.columns] + ["Total"]
        rows = [[parse_span(q).label] + [format_count(v) for v in table.loc[q]] + [format_count(table.loc[q].sum())]
                for q in table.index]
        lines += [f"Input rows: Home Office offence codes by quarter for {figures.measure.name.lower()}, "
                  f"from {_source(figures)} (the force's rows with these codes).", "",
                  markdown_table(header, rows)]
    elif not used.empty and figures.measure.snapshot:
        rows = [[march_label(parse_span(r["period"]))[3:], str(r["code"]), f"{r['value']:,.2f}".rstrip("0").rstrip("."),
                 str(int(r["line"]))] for _, r in used.sort_values("first_month").iterrows()]
        lines += [f"Input rows: {_source(figures)} (the force's row for each 31 March; the value is shown "
                  "unrounded).", "", markdown_table(["31 March", "Worker type (count)", "Value", "Line"], rows)]
    elif not used.empty:
        rows = [[period_label(r["period"]), format_value(r["value"], unit), str(int(r["line"]))]
                for _, r in used.sort_values("first_month").iterrows()]
        lines += [f"Input rows: {_source(figures)}.", "",
                  markdown_table(["Period", "Value", "Line"], rows)]
    return CalculationNote(f"{NOTE_TITLE}: {c.current_label} vs {c.base_label}", "\n".join(lines))


def rate(figures: MeasureFigures, force: str) -> CalculationNote:
    """The rate per 1,000: the count, the ONS row used (file and line) and the arithmetic."""
    pop, rated = figures.population, figures.rate_figures
    count = f"the count {rated.current_label}" if rated.current_label.startswith("at ") else \
        f"the count is the {rated.current_label}"
    source = f"{input_label(pop.source_file)}, row {pop.line}" if pop.line else "the ONS table"
    return CalculationNote(f"{NOTE_TITLE}: rate per 1,000 population", "\n".join([
        f"**Formula:** rate = count / population x 1,000 = {format_count(rated.current)} / "
        f"{format_count(pop.people)} x 1,000 = {format_rate(figures.rate)} (rounded to two decimal places).", "",
        f"**Periods:** {count}; the population is the ONS "
        f"mid-{pop.mid_year} estimate for {display_name(force)}"
        " (the estimate for the calendar year in which the period ends, "
        "or the latest published before it).", "",
        (f"**Input rows:** population from {source}; the count's row is listed under the comparison of the count "
         f"{rated.current_label}." if figures.measure.snapshot else
         f"**Input rows:** population from {source}; the count's rows are listed under the "
         f"{rated.current_label} comparison.")]))


def control_chart(figures: MeasureFigures) -> CalculationNote:
    """The control chart's arithmetic: every point, its moving range, each baseline's mean and limits."""
    chart, labels = figures.chart, figures.chart_labels
    ranges = [""] + [format_count(r) for r in spc.moving_ranges(list(chart.values))]
    rows = []
    for i, (label, value, mr, sig) in enumerate(zip(labels, chart.values, ranges, chart.signals)):
        seg = chart.segment_of(i)
        use = ("yes (its moving range left out: unusually large)" if i in seg.screened
               else "yes" if i < seg.baseline_end else "no")
        rows.append([label, format_count(value), mr, use, signal_text(sig) or "none",
                     spc.point_reading(sig, figures.measure.lower_is_better)])
    formulas = []
    for seg in chart.parts:
        n, kept = seg.baseline_points, seg.baseline_points - 1 - len(seg.screened)
        step = f"from the step change at {labels[seg.start]} ({seg.reason.rstrip('.')}): " if seg.reason else ""
        formulas.append(
            f"{step}baseline {labels[seg.start]} to {labels[seg.baseline_end - 1]}: mean = sum of its {n} quarterly "
            f"values / {n} = {format_count(seg.mean)}; mean moving range = sum of its {kept} moving ranges kept / "
            f"{kept} = {format_count(seg.mean_moving_range)} ("
            + (f"{len(seg.screened)} of its {n - 1} moving ranges left out as more than 3.267 times their mean"
               if seg.screened else f"none of its {n - 1} moving ranges is more than 3.267 times their mean, so "
               "none is left out")
            + f"); process limits = mean ± 2.66 x mean moving range = "
            f"{format_count(seg.lower)} to {format_count(seg.upper)}")
    return CalculationNote(f"{NOTE_TITLE}: control chart (XmR)", "\n".join([
        "**Formula:** moving range = difference between neighbouring quarters; " + "; ".join(formulas) + ". Every "
        "quarter is judged against the limits of its segment; see the methods for the rules.", "",
        f"**Periods:** {labels[0]} to {labels[-1]}.", "",
        f"**Input rows:** each quarter's total is the sum of the measure's offence codes in {_source(figures)}."
        if figures.measure.source == HOME_OFFICE else
        f"**Input rows:** each quarter's value is from {_source(figures)}.", "",
        markdown_table(["Quarter", "Value", "Moving range", "In the baseline", "Special cause", "Reading"], rows)]))
