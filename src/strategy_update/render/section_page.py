"""A section's page (a strand, a priority): what its figures are, each measure's figures, charts and derivations,
the lead's narrative and the delivery plan. Every number comes from the results table."""

from __future__ import annotations

from dataclasses import replace

from strategy_update.core.formatting import (
    and_list,
    format_count,
    format_difference,
    format_pct,
    format_rate,
    format_value,
    sentences_of,
)
from strategy_update.core.markup import lead_markdown, literal
from strategy_update.core.periods import parse_quarter
from strategy_update.model.forces import display_name
from strategy_update.model.publication import FORCE_EXTRACT, HOME_OFFICE, WORKFORCE, Section
from strategy_update.render import derivations
from strategy_update.render.about_statistics import DOWNLOAD_ALL
from strategy_update.render.chart_images import Bundle, figure_bundle
from strategy_update.render.figures import MeasureFigures, delivery_counts, delivery_line, is_missing
from strategy_update.render.forecast_chart import demand_section, forecasts_note
from strategy_update.render.input_names import input_label
from strategy_update.render.measure_charts import measure_charts
from strategy_update.render.notes import CalculationNote
from strategy_update.render.spreadsheet import spreadsheet_link
from strategy_update.render.tables import markdown_table
from strategy_update.render.text import comparison_sentence, during, snapshot_sentence, spc_summary
from strategy_update.render.view import EditionView
from strategy_update.render.web_only import web_only_markdown


def measures_intro(view: EditionView, section: Section, figures: list[MeasureFigures]) -> str:
    """What the figures below are, or a plain statement that open data has no measure for this section."""
    open_data = [f for f in figures if f.measure.source == HOME_OFFICE]
    extracts = [f for f in figures if f.measure.source == FORCE_EXTRACT]
    workforce = [f for f in figures if f.measure.source == WORKFORCE]
    parts = []
    if open_data:
        names = ", ".join(f.measure.name.lower() for f in open_data)
        parts.append(f"The figures below are police recorded crime ({names}) from the Home Office open data "
                     "for the force area.")
        parts += [_not_started(f.measure, view.quarter) for f in open_data if not f.available]
        parts += recording_changes(view)
    if workforce:
        names = ", ".join(f.measure.name for f in workforce)
        parts.append(f"The workforce figures ({names}) come from the Home Office police workforce open data, which "
                     "is annual: each is the force's count at 31 March, not a count over the quarter. They compare "
                     "the latest 31 March on or before the end of the edition's quarter with 31 March a year earlier; "
                     "a count on one day cannot be added up over 12 months, so they have no 12-month figure.")
    if section.no_open_data:
        parts.append(f"**No open-data measure.** {section.no_open_data}")
    # Measures from the same source (its published figures, their date) are named in one sentence.
    supplied: dict[tuple[str, str], list[str]] = {}
    for f in extracts:
        if f.available or f.by_area:
            areas = "" if f.available else ", given for each of its areas only"
            supplied.setdefault((f.force_label, areas), []).append(f"**{f.measure.name}**")
    for (label, areas), names in supplied.items():
        listed = and_list(names)
        if label:
            parts.append(f"The figures for {listed} are {label}{areas}; they are not open data.")
        else:
            parts.append(f"{listed} {'comes' if len(names) == 1 else 'come'} from the force's own figures{areas}, "
                         "not from open data.")
    # Measures whose figures the force did not supply: one sentence, or one list (most forces supply none).
    missing = [f"**{f.measure.name}**" for f in extracts if not (f.available or f.by_area)]
    if len(missing) == 1:
        parts.append(f"The force's own figures for {missing[0]} were not supplied for this edition, so no figures "
                     "are shown for them.")
    elif missing:
        parts.append("The force's own figures for these measures were not supplied for this edition, so no figures "
                     "are shown for them:\n\n" + "\n".join(f"- {name}" for name in missing))
    together: dict[tuple[str, ...], list[str]] = {}  # said once for the measures that share them
    for sentence, names in shared_notes(figures).items():
        together.setdefault(tuple(names), []).append(sentence)
    parts += [f"**{and_list(list(names))}:** {' '.join(sentences)}" for names, sentences in together.items()]
    parts += [note for note in [forecasts_note(view, figures)] if note]
    if not open_data and not extracts and not workforce:
        parts.append(f"This {section.level} is reported through its narrative"
                     f"{' and delivery plan' if view.publication.delivery else ''} only.")
    else:  # each chart's data is a CSV under it; every figure of the edition is in one spreadsheet (the PDF says
        # so once, at the foot of its front page)
        link = spreadsheet_link(view.publication.id, view.force, view.quarter.id, depth=1)
        parts.append(f"```{{only}} html\n[{DOWNLOAD_ALL}]({link})\n```")
    return "\n\n".join(parts)


def _not_started(measure, quarter) -> str:
    """Why an open-data measure has no figures in this edition: its series starts after the edition's quarter."""
    start = measure.series_start
    if start is not None and start > quarter:
        return (f"**{literal(measure.name)}** has no figures in this edition: its series starts in "
                f"{start.short_label}, after this edition's quarter (the measures appendix says why).")
    return (f"**{literal(measure.name)}** has no figures in this edition: "
            "the open data has none for the periods it shows.")


def recording_changes(view: EditionView) -> list[str]:
    """The force's declared changes in how it recorded crime that lie in the quarters the page shows (from the
    first charted quarter to the edition's): one sentence each, with what it means for the figures."""
    rows = view.results[(view.results["force"] == view.force) & (view.results["statistic"] == "recording_change")]
    first = view.quarter.shift(1 - view.publication.history_quarters)
    out = []
    for row in rows.itertuples(index=False):
        quarter = parse_quarter(row.period)
        if first <= quarter <= view.quarter:
            out.append(f"**A change in recording.** {literal(display_name(view.force))} recorded crime differently "
                       f"from {quarter.label}: {literal(row.text.rstrip('.'))} "
                       f"(source: {literal(row.base_period_label)}"
                       "). The figures on both sides are published as recorded, so a comparison across that quarter "
                       "is not like for like; each control chart works its limits out afresh from it, and the trend "
                       "and forecast use the quarters from it on.")
    return out


def comparisons_table(figures: MeasureFigures) -> str:
    unit = figures.measure.unit
    rows = [[c.current_label, format_value(c.current, unit), c.base_label, format_value(c.base, unit),
             format_difference(c.change, unit), format_pct(c.pct_change)] for c in figures.comparisons]
    return markdown_table(["Period", "Figure" if unit == "percent" else "Count", "Compared with",
                           "Figure" if unit == "percent" else "Count", "Change", "% change"], rows)


def _lines(lines: tuple[int, ...]) -> str:
    if not lines:
        return "none"
    return f"line{'s' if len(lines) > 1 else ''} {', '.join(str(n) for n in lines)}"


NO_EARLIER = "No earlier period was supplied, so there is no comparison and no chart."
AREAS_ONLY = ("The force published no force-wide figure for this measure, only a figure for each of its areas, so "
              "there is no force-wide total, chart or control chart.")


def _comparison_sentences(figures: MeasureFigures) -> list[str]:
    m = figures.measure
    if m.snapshot:  # a count at 31 March: the comparison of two 31 Marches first, then why there is no 12-month one
        return [snapshot_sentence(c, m.unit) for c in sorted(figures.comparisons[:2], key=lambda c: c.current is None)]
    return [comparison_sentence(c, m.unit, m.series_start) for c in figures.comparisons[:2]]


def _note_sentences(figures: MeasureFigures) -> list[str]:
    """The sentences a measure prints that say the same for any measure in the same position: its notes from the
    definition, and what its data lacks."""
    if not figures.available and not figures.by_area:
        return []
    m = figures.measure
    said = sentences_of(m.definition_note) + sentences_of(m.direction_reason)
    if _single_figure(figures):
        return said + [NO_EARLIER]
    if not figures.available:
        return said + [AREAS_ONLY, _area_note(figures)]
    return (said + _comparison_sentences(figures) + _not_covered(figures) + [_chart_sentence(figures)]
            + ([_area_note(figures)] if figures.by_area else []))


def shared_notes(all_figures: list[MeasureFigures]) -> dict[str, list[str]]:
    """Sentences that two or more measures of a section would each print, with the measures that share them: the
    section's introduction says each once, and the measures leave them out."""
    sharing: dict[str, list[str]] = {}
    for f in all_figures:
        for sentence in dict.fromkeys(filter(None, _note_sentences(f))):
            sharing.setdefault(sentence, []).append(f.measure.name)
    return {sentence: names for sentence, names in sharing.items() if len(names) > 1}


def _area_note(figures: MeasureFigures) -> str:
    """Why the area table compares another pair of periods than the headline, when it does; '' otherwise."""
    name = figures.area_comparison
    if name is None:
        return ""
    headline = next((a.comparisons[0] for a in figures.areas if a.comparisons), None)
    shown = next(c for a in figures.areas if (c := a.comparison(name)) is not None)
    if headline is None or headline.name == name:
        return ""
    return (f"No area has a figure for the {headline.current_label}, so the table compares the "
            f"{shown.current_label} with the {shown.base_label}.")


def area_table(figures: MeasureFigures, shared: dict | None = None) -> str:
    """The measure's figures for each of the force's areas, for one comparison: the headline, or the first the
    areas have figures for. Each row names the input lines behind it; empty when no area has a figure."""
    name = figures.area_comparison
    if name is None:
        return ""
    unit = figures.measure.unit
    value = "Count" if unit not in ("percent", "rate", "seconds") else "Figure"
    rows, files = [], []
    for area in figures.areas:
        c = area.comparison(name)
        files.append(area.source_file)
        if c is None:
            rows.append([area.area] + ["n/a"] * 6 + [_lines(())])
            continue
        rows.append([area.area, c.current_label, format_value(c.current, unit), c.base_label,
                     format_value(c.base, unit), format_difference(c.change, unit), format_pct(c.pct_change),
                     _lines(area.lines.get(name, ()))])
    table = markdown_table(["Area", "Period", value, "Compared with", value, "Change", "% change", "Input lines"],
                           rows)
    note = _area_note(figures)
    note = f" {note}" if note and note not in (shared or {}) else ""
    sources = ", ".join(dict.fromkeys(input_label(f, figures.measure.name.lower()) for f in files))
    return f"**By area** (from {sources}; input lines as numbered in the file).{note}\n\n{table}"


def negative_totals(figures: MeasureFigures) -> list[tuple[str, float]]:
    """(label, value) of every figure shown that is below zero: a charted quarter, or a compared period."""
    shown = [(label, value) for label, value in zip(figures.series["period_label"], figures.series["value"])]
    shown += [(label, value) for c in figures.comparisons
              for label, value in ((c.current_label, c.current), (c.base_label, c.base))]
    return list(dict.fromkeys((label, value) for label, value in shown if value is not None and value < 0))


def _negative_note(figures: MeasureFigures) -> list[str]:
    """The data quality note beside a measure whose figures hold Home Office negative adjustments: the rows, and,
    where they outweigh the crimes recorded, the figures that are negative and what that means for the rate and
    the percentage change (compute/measures.py)."""
    rows = figures.negative_rows
    if rows.empty:
        return []
    from strategy_update.compute.comparisons import parse_span

    listed = "; ".join(f"{parse_span(r['period']).label} code {r['code']}: {int(r['value'])} (line {int(r['line'])})"
                       for _, r in rows.sort_values(["first_month", "line"]).iterrows())
    below = negative_totals(figures)
    totals = ("" if not below else
              " The adjustments outweigh the crimes recorded, so " + and_list(
                  [f"the figure for {label} is {format_count(value)}" for label, value in below])
              + ": published as recorded. A negative figure has no rate per 1,000, and a percentage change from it "
                "is not given (n/a); the change in crimes stands.")
    return ["", f":::{{note}}\nData quality: the Home Office data holds negative adjustments for this "
                f"measure, kept as published: {listed}.{totals}\n:::"]


def _uncovered(figures: MeasureFigures) -> list:
    """Comparisons with no figure on either side (e.g. quarters, when the force published 12-month totals only).
    A workforce count's page explains its missing 12-month figures itself, so none is left out there."""
    if figures.measure.snapshot:
        return []
    return [c for c in figures.comparisons if c.current is None and c.base is None]


def _with_figures(figures: MeasureFigures) -> MeasureFigures:
    """The measure with the comparisons that have no figure at all left out of its table (said in words instead),
    unless none has a figure."""
    kept = tuple(c for c in figures.comparisons if c not in _uncovered(figures))
    return replace(figures, comparisons=kept) if kept else figures


def _not_covered(figures: MeasureFigures) -> list[str]:
    gone = _uncovered(figures)
    if not gone or len(gone) == len(figures.comparisons):
        return []
    pairs = "; ".join(f"{c.current_label} with {c.base_label}" for c in gone)
    start = figures.measure.series_start
    if start is not None and figures.measure.source == HOME_OFFICE:
        return [f"Not compared, because the series starts in {start.short_label}, after these periods begin: {pairs}."]
    return [f"Not compared, because the data supplied covers neither period: {pairs}."]


SNAPSHOT_CHART = ("**Control chart:** none: the workforce data gives one count a year (at 31 March), too few points a "
                  "year apart for a control chart.")


def _chart_sentence(figures: MeasureFigures) -> str:
    """The measure's control chart in words ('' when it has no quarterly series at all)."""
    if figures.measure.snapshot:
        return SNAPSHOT_CHART
    if len(figures.series) and figures.series["value"].notna().any():
        m = figures.measure
        if figures.chart is None and figures.chart_note:
            return f"**Control chart:** none: {figures.chart_note}."
        return ("**Control chart:** "
                f"{spc_summary(figures.chart, figures.chart_labels, m.lower_is_better, m.name.lower())}")
    return ""


def _single_figure(figures: MeasureFigures) -> bool:
    """Whether a measure has figures for its current periods only: no comparison has a base, and it is not a
    workforce count (whose page explains its own comparisons)."""
    return (figures.available and not figures.measure.snapshot and not figures.by_area
            and all(c.base is None for c in figures.comparisons)
            and any(c.current is not None for c in figures.comparisons))


def measure_section(view: EditionView, figures: MeasureFigures, said: dict | None = None) -> list:
    """Everything shown for one measure, as display objects in page order; ``said``: the sentences the section's
    introduction says once for several measures (``shared_notes``), which this measure leaves out."""
    from IPython.display import Markdown

    if not figures.available and not figures.by_area:
        return []
    m = figures.measure
    shared = said or {}

    def own(sentences: list[str]) -> list[str]:  # what the section's introduction has not already said
        return [x for x in sentences if x and x not in shared]
    kind = "Proxy measure" if m.proxy else "Measure"
    notes = sentences_of(m.definition_note) + sentences_of(m.direction_reason)
    text = [f"### {m.name}", "", " ".join([f"*{kind}.*", *own(notes)]), ""]
    if _single_figure(figures):  # e.g. a force's count for the quarter alone: nothing to compare or chart
        shown = dict.fromkeys((c.current_label, c.current) for c in figures.comparisons if c.current is not None)
        text += [" ".join([f"**{label}:** {format_value(value, m.unit)} {m.unit}." for label, value in shown]
                          + own([NO_EARLIER])), ""]
        return [Markdown("\n".join(text))]
    if not figures.available:  # the force gave its areas' figures only
        text += own([AREAS_ONLY]) + ["", area_table(figures, shared)]
        return [Markdown("\n".join(text))]
    text += own(_comparison_sentences(figures))
    text += ["", comparisons_table(_with_figures(figures)), ""] + own(_not_covered(figures)) + [""]
    if figures.by_area:
        text += [area_table(figures, shared), ""]
    if figures.rate is not None and figures.population:
        pop, rated = figures.population, figures.rate_figures
        text += [f"**Rate:** {format_rate(figures.rate)} {m.unit} per 1,000 population {during(rated.current_label)} "
                 f"({format_count(rated.current)} {m.unit} / "
                 f"{format_count(pop.people)} people, ONS mid-{pop.mid_year} estimate, x 1,000).", "",
                 derivations.rate(figures, view.force), ""]
    text += own([_chart_sentence(figures)]) + [""]
    if figures.chart is not None:
        text += [derivations.control_chart(figures), ""]
    text += [derivations.comparison(figures, c) for c in _with_figures(figures).comparisons
             if not (m.snapshot and c.current is None and c.base is None)]
    text += _negative_note(figures)
    out = _displays(text)
    for chart in measure_charts(figures, view.force, view.quarter, view.publication.history_quarters,
                                f"{figures.section_id}-{m.id}"):
        out.append(Bundle(figure_bundle(chart.figure, chart.alt, view.print_charts, chart.web_only)))
        description = f"*Chart description:* {chart.alt} [Download the chart data (CSV)]({chart.path})"
        out.append(Markdown(web_only_markdown(description) if chart.web_only else description))
    out += demand_section(view, figures)  # trend, forecast fan and track record (render/forecast_chart.py)
    return out


def _displays(parts: list) -> list:
    """Each run of Markdown lines as one Markdown display, each calculation note as itself, in page order."""
    from IPython.display import Markdown

    out, lines = [], []
    for part in parts:
        if isinstance(part, CalculationNote):
            if "".join(lines).strip():
                out.append(Markdown("\n".join(lines)))
            out.append(part)
            lines = []
        else:
            lines.append(part)
    if "".join(lines).strip():
        out.append(Markdown("\n".join(lines)))
    return out


def narrative_text(view: EditionView, narrative: dict | None, number: int, section: Section | None = None) -> str:
    """The lead's text under the publication's narrative heading ``number``. With no narrative, the first
    heading says so once, naming every heading (the build drops the others); later headings stay empty. A
    template nobody has written in yet (``section`` given) is said to be not yet written."""
    if narrative is not None:
        return lead_markdown(narrative[view.publication.narrative_parts(view.force)[number].heading])
    if number:
        return ""
    titles = [f"\"{part.title_for(view.quarter, view.force)}\""
              for part in view.publication.narrative_parts(view.force)]
    named = and_list(titles)
    if section is not None and view.not_yet_written(section):
        return (f"*Not yet written: the lead's narrative for this quarter ({named}) has been started from its "
                "template but nothing has been written under its headings yet, so this page has no lead's text. "
                "The figures are unaffected.*")
    return (f"*No narrative was supplied for this quarter, so this page has no lead's text ({named}). "
            "The figures are unaffected.*")


def delivery(view: EditionView, section: Section) -> str:
    counts = delivery_counts(view.results, view.force, section.id)
    spec, tracker = view.publication.delivery, view.input_name(view.paths.delivery(view.quarter))
    if not counts or is_missing(counts.get("total")):
        return f"*No delivery plan data was supplied for {view.quarter.short_label} ({tracker}).*"
    total = counts["total"]
    parts = sum(counts[p.column] for p in spec.parts)
    table = markdown_table([spec.total.label] + [p.label for p in spec.parts],
                           [[format_count(total)] + [format_count(counts[p.column]) for p in spec.parts]])
    note = ""
    if parts != total:
        gap = total - parts
        note = (f"\n\n:::{{warning}}\nData quality: the parts add up to {format_count(parts)}, not the total of "
                f"{format_count(total)}: {format_count(abs(gap))} actions are "
                f"{'not categorised' if gap > 0 else 'counted twice'}.\n:::")
    return (f"Actions in this {section.level}'s delivery plan at the end of {view.quarter.months_label}, from "
            f"{tracker}, row {delivery_line(view.results, view.force, section.id)}:\n\n{table}{note}")


def header(view: EditionView, section: Section) -> str:
    """The lines under a section's title: its group (theme, priority), lead, edition and aim (in another force's
    edition, its lead, aim and commitments are labelled as the owner's: ``Publication.whose_aims``)."""
    whose = view.publication.whose_aims(view.force)
    label = f" ({whose})" if whose else ""
    parts = []
    if section.parent_name:
        parts.append(f"**{view.publication.levels[0].name}:** {section.parent_name}.")
    # "name, role", or either alone; a name is the owner's officer, so another force's edition gives the role only
    lead = section.lead(named=not whose)
    if lead:
        parts.append(f"**{view.publication.leaf_level.lead}{label}:** {lead}.")
    parts.append(f"**Edition:** {view.quarter.label}.")
    aim, commitments = section.aim_for(view.quarter, view.force), section.commitments_for(view.quarter, view.force)
    text = " ".join(parts) + (f"\n\n**Aim{label}:** {aim}" if aim else "")
    if commitments:
        text += f"\n\n**Commitments{label}:**\n\n" + "\n".join(f"- {literal(c)}" for c in commitments)
    return text
