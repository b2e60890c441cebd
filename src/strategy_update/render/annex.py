"""The annex "How the figures were calculated": each figure's arithmetic and periods in one short table per section.

On the website every figure has a "How this was calculated" note with the input rows behind it. Printed in full
they ran the PDF to over a hundred pages, so the PDF leaves them out and this annex gives the formula, the periods
and the sums instead, pointing to the website and its data downloads for the rows."""

from __future__ import annotations

from strategy_update.compute.comparisons import parse_span
from strategy_update.core.formatting import format_count, format_rate
from strategy_update.model.publication import HOME_OFFICE, WORKFORCE
from strategy_update.render.figures import MeasureFigures
from strategy_update.render.tables import markdown_table
from strategy_update.render.view import EditionView

TITLE = "Annex: how the figures were calculated"

FORMULAE = """\
Every figure in this update is calculated from the data when the update is built; none is typed in. On the website,
each figure has a "How this was calculated" note that lists the input rows behind it, and every chart has its data
as a CSV download. This annex gives, for each measure, where its figures come from and the periods compared;
the figures themselves are in each section's table.

- **Change** = current figure - base figure; **% change** = change / base figure x 100, rounded half away from
  zero to one decimal place (a base of 0 gives n/a).
- **Rate per 1,000 population** = count / population x 1,000, rounded to two decimal places; the population is the
  ONS mid-year estimate for the force area.
- **Control chart**: the quarterly values with their mean and process limits (the limits the latest quarter
  is judged by), as explained in the methods on the website.
"""


def _period(span_id: str, label: str) -> str:
    """A span of months as its months (``Apr 2021 to Mar 2022``), a quarter as its label (``Q4 2021/22``)."""
    try:
        months = parse_span(span_id).label
    except ValueError:  # a period the parser does not know (e.g. a force's own label) is shown as labelled
        return label
    return months if " to " in months else label


def _comparison(c) -> str:
    """One comparison as ``current vs base``, the periods written out (the figures are in the section's table)."""
    return f"{_period(c.current_period, c.current_label)} vs {_period(c.base_period, c.base_label)}"


def _comparisons(figures: MeasureFigures) -> list[str]:
    return [_comparison(c) for c in figures.comparisons if not (c.current is None and c.base is None)]


def comparison_key(shown: list[MeasureFigures]) -> dict[str, str]:
    """Each distinct comparison, in order of first use, with a letter: most measures compare the same periods, so
    the table names them by letter instead of writing the same four comparisons out on every row."""
    distinct = dict.fromkeys(c for figures in shown for c in _comparisons(figures))
    return {comparison: chr(ord("A") + n) for n, comparison in enumerate(distinct)}


def _source(figures: MeasureFigures) -> str:
    m = figures.measure
    if m.source == HOME_OFFICE:
        return f"Home Office open data, offence code{'s' if len(m.offence_codes) > 1 else ''} " \
               f"{', '.join(m.offence_codes)}, summed"
    if m.source == WORKFORCE:
        return "Home Office workforce open data, at 31 March"
    return "The force's own figures"


def _rate_and_chart(figures: MeasureFigures) -> str:
    parts = []
    if figures.rate is not None and figures.population:
        pop, rated = figures.population, figures.rate_figures
        parts.append(f"rate = {format_count(rated.current)} / {format_count(pop.people)} (ONS mid-{pop.mid_year}) "
                     f"x 1,000 = {format_rate(figures.rate)}")
    if figures.chart is not None and figures.chart_labels:
        # The limits the latest quarter is judged by, and the baseline they come from (not the whole chart)
        labels, chart = figures.chart_labels, figures.chart
        judged = chart.segment_of(len(chart.values) - 1)
        parts.append(f"control chart baseline {labels[judged.start]} to {labels[judged.baseline_end - 1]}: mean "
                     f"{format_count(chart.mean)}, limits {format_count(max(chart.lower, 0))} to "
                     f"{format_count(chart.upper)}")
    return "; ".join(parts) or "none"


def measure_row(section_name: str, figures: MeasureFigures, key: dict[str, str]) -> list[str]:
    """One row: the measure, its source, the periods compared (by their letters in ``key``), its rate and control
    chart."""
    return [f"{section_name}: {figures.measure.name}", _source(figures),
            ", ".join(key[c] for c in _comparisons(figures)) or "none", _rate_and_chart(figures)]


def render_markdown(view: EditionView, web_only: list[str] = ()) -> str:
    """The annex page: the formulae once, then each section's measures under its name. ``web_only``: what the
    website has that the PDF leaves out, named so a reader of the paper knows where to find it."""
    text = [f"# {TITLE}", "", FORMULAE]
    if web_only:
        listed = web_only[0] if len(web_only) == 1 else f"{'; '.join(web_only[:-1])}; and {web_only[-1]}"
        # Said on paper only: the website has these pages in its contents.
        text += ["```{only} not html", f"The website edition also has appendices that the PDF leaves out: {listed}.",
                 "```", ""]
    shown = {section: [f for f in view.figures(section) if f.available] for section in view.publication.leaves}
    key = comparison_key([f for figures in shown.values() for f in figures])
    rows = [measure_row(section.name, f, key) for section, figures in shown.items() for f in figures]
    empty = [section.name for section, figures in shown.items() if not figures]
    if key:
        text += ["The periods each measure compares (the current period first):", ""]
        text += [f"- **{letter}**: {comparison}" for comparison, letter in key.items()] + [""]
    if empty:
        level = view.publication.leaf_level.plural.lower()
        text += [f"These {level} show no figures in this edition, so they are not listed below: "
                 f"{', '.join(empty)}.", ""]
    if rows:
        text += [markdown_table(["Measure", "Source", "Periods compared", "Rate and control chart"], rows), ""]
    return "\n".join(text)
