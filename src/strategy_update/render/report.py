"""Turning computed results into page content: Markdown text, tables, derivations and charts.

Every number on a page passes through here from a computed value; nothing is typed.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

import pandas as pd

from strategy_update.compute import spc
from strategy_update.render import charts
from strategy_update.render import chart_images as charts_server
from strategy_update.model.publication import HOME_OFFICE, NarrativeSection, Section
from strategy_update.compute.edition import Edition, MeasureResult, quarter_axis_label, seasonal_table
from strategy_update.core.formatting import format_change, format_count, format_pct, format_rate
from strategy_update.compute.measures import Comparison
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.readers import display_path

DOWNLOADS = Path("downloads")
PNG_SIZE = {"width": 900, "height": 420}


# --- plain text ------------------------------------------------------------------------------------
def count_phrase(n: int, singular: str, plural: str | None = None) -> str:
    """``1 strand``, ``3 strands``, ``no strands``."""
    plural = plural or singular + "s"
    if n == 0:
        return f"no {plural}"
    return f"{n:,} {singular if n == 1 else plural}"


def direction_word(value: float | None) -> str:
    if value is None:
        return "could not be compared with"
    return "higher than" if value > 0 else "lower than" if value < 0 else "the same as"


def comparison_sentence(c: Comparison, unit: str) -> str:
    """One plain-English sentence per comparison, built from the values."""
    if c.current is None or c.base is None:
        return f"The {c.current_label} could not be compared with the {c.base_label}: the data does not cover it."
    if c.change == 0:
        return f"In the {c.current_label} there were {format_count(c.current)} {unit}, the same as in the {c.base_label}."
    return (f"In the {c.current_label} there were {format_count(c.current)} {unit}, "
            f"{format_change(abs(c.change)).lstrip('+')} ({format_pct(abs(c.pct_change)).lstrip('+')}) "
            f"{'more' if c.change > 0 else 'fewer'} than in the {c.base_label} ({format_count(c.base)}).")


# --- tables ----------------------------------------------------------------------------------------
def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    def clean(cell: object) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(clean(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def comparisons_table(result: MeasureResult) -> str:
    rows = [[c.current_label, format_count(c.current), c.base_label, format_count(c.base),
             format_change(c.change), format_pct(c.pct_change)] for c in result.comparisons]
    return markdown_table(["Period", "Count", "Compared with", "Count", "Change", "% change"], rows)


def derivation(result: MeasureResult, c: Comparison) -> str:
    """An expandable note: formula, periods and the input rows summed, with the source file."""
    lines = [f":::{{dropdown}} How this was calculated: {c.current_label} vs {c.base_label}",
             f"**Formula:** change = current - base = {format_count(c.current)} - {format_count(c.base)} = "
             f"{format_change(c.change)}; % change = change / base x 100 = {format_pct(c.pct_change)} "
             f"(rounded half away from zero to one decimal place; a base of 0 gives n/a).", ""]
    for label, quarters in (("Current", c.current_quarters), ("Base", c.base_quarters)):
        lines.append(f"**{label} period:** " + ", ".join(parse_quarter(q).label for q in quarters) + ".")
        lines.append("")
    if result.measure.source == HOME_OFFICE and not result.rows.empty:
        used = result.rows[result.rows["quarter"].isin(c.current_quarters + c.base_quarters)]
        table = used.pivot_table(index="quarter", columns="Offence Code", values="count", aggfunc="sum",
                                 fill_value=0)
        table = table.loc[:, (table != 0).any(axis=0)] if not table.empty else table
        header = ["Quarter"] + [str(code) for code in table.columns] + ["Total"]
        rows = [[quarter_axis_label(q)] + [format_count(v) for v in table.loc[q]] + [format_count(table.loc[q].sum())]
                for q in table.index]
        lines += [f"Input rows: Home Office offence codes by quarter for {result.measure.name.lower()}, "
                  f"from `{result.source_file}` (the force's rows with these codes).", "",
                  markdown_table(header, rows)]
    elif result.source_file:
        lines.append(f"Input rows: `{result.source_file}` (the force's own extract).")
    lines.append(":::")
    return "\n".join(lines)


def spc_summary(result: MeasureResult) -> str:
    chart = result.chart
    if chart is None:
        return "Too few quarters for a control chart."
    return (f"Mean {format_count(chart.mean)}; process limits {format_count(max(chart.lower, 0))} to "
            f"{format_count(chart.upper)} (mean ± 2.66 × mean moving range of {format_count(chart.mean_moving_range)}; "
            f"lower limit shown as 0 when negative). Latest quarter: {spc.latest_signal(chart).lower()}.")


def rate_derivation(result: MeasureResult, edition: Edition) -> str:
    """Where the population comes from: the ONS row used, by file and line."""
    year, people = result.population
    rows = edition.population[(edition.population["force_name"] == edition.force)
                              & (edition.population["mid_year"] == year)]
    source = f"`{rows['source_file'].iloc[0]}` line {int(rows['line'].iloc[0])}" if len(rows) else "the ONS table"
    return "\n".join([
        f":::{{dropdown}} How this was calculated: rate per 1,000 population",
        f"**Formula:** rate = count / population x 1,000 = {format_count(result.headline.current)} / "
        f"{format_count(people)} x 1,000 = {format_rate(result.rate)} (rounded to two decimal places).", "",
        f"**Periods:** the count is the {edition.quarter.twelve_months_label()}; the population is the ONS mid-{year} "
        f"estimate for {edition.force} (the estimate for the calendar year in which the period ends, or the "
        "latest published before it).", "",
        f"**Input rows:** population from {source}; the count's rows are listed under the 12-month comparison.",
        ":::"])


def spc_derivation(result: MeasureResult) -> str:
    """The control chart's arithmetic: every point, its moving range, the mean and the limits."""
    chart = result.chart
    history = result.quarterly.dropna()
    labels = [quarter_axis_label(q) for q in history.index][-len(chart.values):]
    ranges = [""] + [format_count(r) for r in spc.moving_ranges(list(chart.values))]
    rows = [[label, format_count(value), mr, "; ".join(f"{spc.RULES[r]} ({d})" for r, d in sig.items()) or "none"]
            for label, value, mr, sig in zip(labels, chart.values, ranges, chart.signals)]
    n = len(chart.values)
    return "\n".join([
        ":::{dropdown} How this was calculated: control chart (XmR)",
        f"**Formula:** mean = sum of the {n} quarterly values / {n} = {format_count(chart.mean)}; moving range = "
        f"difference between neighbouring quarters; mean moving range = sum of the {n - 1} moving ranges / {n - 1} = "
        f"{format_count(chart.mean_moving_range)}; process limits = mean ± 2.66 x mean moving range = "
        f"{format_count(chart.lower)} to {format_count(chart.upper)}.", "",
        f"**Periods:** {labels[0]} to {labels[-1]}.", "",
        f"**Input rows:** each quarter's total is the sum of the measure's offence codes in `{result.source_file}`.", "",
        markdown_table(["Quarter", "Value", "Moving range", "Special cause"], rows),
        ":::"])


# --- charts ----------------------------------------------------------------------------------------
def figure_bundle(fig, alt: str) -> dict:
    """HTML (plotly.js is loaded once by the site, not embedded) plus a PNG for the PDF."""
    html = fig.to_html(include_plotlyjs=False, full_html=False, config={"displaylogo": False, "responsive": True})
    # role="figure", not "img": the chart holds buttons (download, zoom), and an image may not (axe:
    # nested-interactive). The label is the alt text; the "Chart description" paragraph below repeats it.
    bundle = {"text/html": f'<div role="figure" aria-label="{escape(alt)}">{html}</div>', "text/plain": alt}
    bundle["image/png"] = charts_server.png(fig, **PNG_SIZE)
    return bundle


def write_download(frame: pd.DataFrame, name: str) -> str:
    """Write chart data as CSV beside the page and return its relative path for a download link."""
    DOWNLOADS.mkdir(exist_ok=True)
    path = DOWNLOADS / f"{name}.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return path.as_posix()


def measure_charts(result: MeasureResult, edition: Edition, strand: Section) -> list[tuple[object, str, str]]:
    """(figure, alt text, download path) for the bar, SPC and seasonal charts of one measure."""
    m = result.measure
    unit = m.unit
    granularity = result.granularity
    out = []
    first, last = result.native_labels[0], result.native_labels[-1]
    title = f"{m.name}: {unit} per {granularity}, {first} to {last}"
    fig = charts.bar_chart(result.native_labels, result.native_values, result.native_current, title, unit,
                           edition.quarter.twelve_months_label(), "Earlier")
    alt = (f"Bar chart of {m.name.lower()} per {granularity} in {edition.force}, {first} to {last}; "
           f"the {edition.quarter.twelve_months_label()} are highlighted and total {format_count(result.headline.current)}.")
    data = pd.DataFrame({granularity: result.native_labels, unit: result.native_values,
                         "in_current_12_months": [lab in result.native_current for lab in result.native_labels]})
    out.append((fig, alt, write_download(data, f"{strand.id}-{m.id}-{granularity}ly")))

    if result.chart is not None:
        history = result.quarterly.dropna()
        labels = [quarter_axis_label(q) for q in history.index][-len(result.chart.values):]
        fig = charts.spc_chart(labels, result.chart, f"{m.name}: control chart of {unit} per quarter", unit)
        alt = (f"Control (XmR) chart of {m.name.lower()} per quarter, {labels[0]} to {labels[-1]}: "
               f"{spc_summary(result)}")
        data = pd.DataFrame({"quarter": labels, unit: list(result.chart.values), "mean": result.chart.mean,
                             "upper_limit": result.chart.upper, "lower_limit": result.chart.lower,
                             "special_cause": ["; ".join(f"{spc.RULES[r]} ({d})" for r, d in s.items())
                                               for s in result.chart.signals]})
        out.append((fig, alt, write_download(data, f"{strand.id}-{m.id}-spc")))

    table, names = seasonal_table(result, edition)
    if table:
        fig = charts.seasonal_chart(table, names, f"{m.name}: {unit} per quarter in each financial year", unit)
        alt = (f"Line chart of {m.name.lower()} per quarter, one line per financial year "
               f"({', '.join(table)}), to compare seasons.")
        data = pd.DataFrame({"financial_year": [y for y in table for _ in names],
                             "quarter": names * len(table), unit: [v for y in table for v in table[y]]})
        out.append((fig, alt, write_download(data, f"{strand.id}-{m.id}-seasonal")))
    return out


# --- page sections ---------------------------------------------------------------------------------
def strand_measures_intro(edition: Edition, strand: Section, results: list[MeasureResult]) -> str:
    """What the figures below are, or a plain statement that open data has no measure for this strand."""
    open_data = [r for r in results if r.measure.source == HOME_OFFICE]
    extracts = [r for r in results if r.measure.source != HOME_OFFICE]
    parts = []
    if open_data:
        names = ", ".join(r.measure.name.lower() for r in open_data)
        parts.append(f"The figures below are police recorded crime ({names}) from the Home Office open data "
                     "for the force area.")
    if strand.no_open_data:
        parts.append(f"**No open-data measure.** {strand.no_open_data}")
    for r in extracts:
        if r.available:
            parts.append(f"**{r.measure.name}** comes from the force's own extract (`{r.source_file}`), "
                         "not from open data.")
        else:
            parts.append(f"The force's own extract for **{r.measure.name.lower()}** "
                         f"(`{display_path(edition.paths.force_extract(r.measure.id))}`) was not supplied for this edition, "
                         "so no figures are shown for it.")
    if not open_data and not extracts:
        parts.append("This strand is reported through its narrative and delivery plan only.")
    return "\n\n".join(parts)


def measure_section(result: MeasureResult, edition: Edition, strand: Section) -> list:
    """Everything shown for one measure, as display objects in page order."""
    from IPython.display import Markdown

    if not result.available:
        return []
    m = result.measure
    q = edition.quarter
    out = []
    kind = "Proxy measure" if m.proxy else "Measure"
    text = [f"### {m.name}", "", f"*{kind}.* {m.definition_note}" if m.definition_note else f"*{kind}.*", ""]
    text += [comparison_sentence(c, m.unit) for c in result.comparisons[:2]]
    text += ["", comparisons_table(result), ""]
    if result.rate is not None and result.population:
        year, people = result.population
        text.append(f"**Rate:** {format_rate(result.rate)} {m.unit} per 1,000 population in the "
                    f"{q.twelve_months_label()} ({format_count(result.headline.current)} {m.unit} / "
                    f"{format_count(people)} people, ONS mid-{year} estimate, x 1,000).")
        text.append("")
        text.append(rate_derivation(result, edition))
        text.append("")
    text.append(f"**Control chart:** {spc_summary(result)}")
    text.append("")
    if result.chart is not None:
        text += [spc_derivation(result), ""]
    text += [derivation(result, c) for c in result.comparisons]
    if not result.negative_rows.empty:
        rows = result.negative_rows
        listed = "; ".join(f"{quarter_axis_label(r['quarter'])} code {r['Offence Code']}: {r['count']} "
                           f"(line {r['line']})" for _, r in rows.iterrows())
        text += ["", f":::{{note}}\nData quality: the Home Office data holds negative adjustments for this "
                     f"measure, kept as published: {listed}.\n:::"]
    out.append(Markdown("\n".join(text)))
    for fig, alt, path in measure_charts(result, edition, strand):
        out.append(_Bundle(figure_bundle(fig, alt)))
        out.append(Markdown(f"*Chart description:* {alt} [Download the chart data (CSV)]({path})"))
    return out


class _Bundle:
    """A ready-made MIME bundle for IPython's display()."""

    def __init__(self, bundle: dict):
        self.bundle = bundle

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.bundle


def narrative_text(narrative, part: NarrativeSection) -> str:
    """The lead's text under one of the publication's narrative headings, or a plain note that none came in."""
    if narrative is None:
        return (f"*No narrative was supplied for this quarter, so there is no \"{part.heading}\" text. "
                "The figures are unaffected.*")
    return narrative.sections[part.heading]


def strand_delivery(edition: Edition, strand: Section) -> str:
    from strategy_update.compute.delivery import delivery_rows

    row = next(r for r in delivery_rows(edition.publication, edition.delivery) if r.strand_id == strand.id)
    if not row.supplied:
        return (f"*No delivery plan data was supplied for {edition.quarter.short_label} "
                f"(`{display_path(edition.paths.delivery(edition.quarter))}`).*")
    table = markdown_table(["Total actions", "Complete", "Ongoing", "At risk"],
                           [[format_count(row.total), format_count(row.complete), format_count(row.ongoing),
                             format_count(row.at_risk)]])
    note = ""
    if row.uncategorised:
        note = (f"\n\n:::{{warning}}\nData quality: the parts add up to {format_count(row.total - row.uncategorised)},"
                f" not the total of {format_count(row.total)}: {format_count(abs(row.uncategorised))} actions are "
                f"{'not categorised' if row.uncategorised > 0 else 'counted twice'}.\n:::")
    return (f"Actions in this strand's delivery plan at the end of {edition.quarter.months_label}, from "
            f"`{display_path(edition.paths.delivery(edition.quarter))}` (line {row.line}):\n\n{table}{note}")
