"""The front page: per section a trend, the headline figure and a plain-English status; generated highlights;
the board paper's sections; and the delivery plan's progress."""

from __future__ import annotations

import re
from dataclasses import dataclass

from strategy_update.compute import spc
from strategy_update.compute.delivery import TOTAL, DeliveryRow, attention_sentence, progress_sentence, totals
from strategy_update.core.formatting import (
    and_list,
    count_phrase,
    format_count,
    format_difference,
    format_pct,
    format_rank,
    format_value,
    sentence_case,
)
from strategy_update.model.forces import display_name
from strategy_update.model.publication import FORCE_EXTRACT, NOT_SUMMED_UNITS, Measure, Section
from strategy_update.render import mdc_icons
from strategy_update.render.figures import ComparisonFigures, MeasureFigures, delivery_counts, delivery_line, is_missing
from strategy_update.render.peer_page import sparkline
from strategy_update.render.tables import list_table, markdown_table
from strategy_update.render.view import EditionView

# How a sentence names the base of each comparison.
BASE_PHRASE = {"rolling-12-vs-previous-12": "the previous 12 months", "quarter-vs-previous-quarter":
               "the previous quarter", "quarter-vs-same-quarter-last-year": "the same quarter a year earlier",
               "three-months-vs-year-earlier": "the same 3 months a year earlier",
               "rolling-12-vs-baseline": "the baseline"}


@dataclass(frozen=True)
class Headline:
    """A section's headline figure: the measure chosen (None: the section has no figures), and the measures the
    definition prefers to it that the force did not supply for the quarter, so that the page can say what it stands
    in for."""

    section: Section
    figures: MeasureFigures | None
    passed_over: tuple[Measure, ...] = ()


def _current(figures: MeasureFigures | None) -> bool:
    """Whether the measure has a figure for the edition's own periods (not only history)."""
    return figures is not None and figures.available and any(c.current is not None for c in figures.comparisons)


def headlines(view: EditionView) -> list[Headline]:
    """The headline figures of every section, in the definition's order: for each of the section's headline slots
    (``Section.headline_slots``), the first candidate with a figure for the quarter, else the first with history;
    one Headline with no figures for a section that has none."""
    out = []
    for section in view.publication.leaves:
        figures = {f.measure.id: f for f in view.figures(section)}
        chosen = []
        for slot in section.headline_slots:
            candidates = [figures.get(m.id) for m in slot]
            found = next((f for f in candidates if _current(f)), None) or next(
                (f for f in candidates if f is not None and f.available), None)
            if found is not None:
                preferred = slot[:slot.index(found.measure)] if section.headline_choices else ()
                chosen.append(Headline(section, found, tuple(preferred)))
        out.extend(chosen or [Headline(section, None)])
    return out


def delivery_rows(view: EditionView) -> list[DeliveryRow]:
    """The delivery plan per section, as the results table holds it."""
    keys = [TOTAL] + [p.column for p in view.publication.delivery.parts]
    rows = []
    for section in view.publication.leaves:
        found = delivery_counts(view.results, view.force, section.id)
        supplied = bool(found) and not is_missing(found.get(TOTAL))
        rows.append(DeliveryRow(section.id, section.name, section.parent_name,
                                {k: int(found[k]) for k in keys} if supplied else None,
                                line=delivery_line(view.results, view.force, section.id) if supplied else None))
    return rows


def delivery_section(view: EditionView) -> str:
    spec, level = view.publication.delivery, view.publication.leaf_level
    tracker = view.input_name(view.paths.delivery(view.quarter))
    rows = delivery_rows(view)
    if not any(r.supplied for r in rows):
        return (f"*No delivery plan data was supplied for {view.quarter.short_label} ({tracker}). "
                f"{level.name} pages say so too.*")
    t = totals(spec, rows)
    keys = [TOTAL] + [p.column for p in spec.parts]
    levels = [lv.name for lv in view.publication.levels]
    table_rows = []
    for group, leaves in view.publication.groups:
        ids = {leaf.id for leaf in leaves}
        for r in (r for r in rows if r.section_id in ids):
            lead = [group.name] if group else []
            if not r.supplied:
                table_rows.append(lead + [r.section_name, "not supplied"] + [""] * len(keys))
                continue
            note = f"Parts add up to {format_count(r.total - r.uncategorised)}, not {format_count(r.total)}" \
                if r.uncategorised else ""
            table_rows.append(lead + [r.section_name] + [format_count(r.count(k)) for k in keys] + [note])
    reported = count_phrase(t["sections_reported"], level.name.lower(), level.plural.lower())
    lead = ["**Total**"] if len(levels) > 1 else []
    table_rows.append(lead + [f"**{reported}**" if lead else f"**Total: {reported}**"]
                      + [f"**{format_count(t[k])}**" for k in keys] + [""])
    header = (levels[:1] if len(levels) > 1 else []) + [levels[-1], spec.total.label] + [
        p.label for p in spec.parts] + ["Data quality note"]
    supplied = [r for r in rows if r.supplied]
    labels = [spec.total.label.lower()] + [p.label.lower() for p in spec.parts]

    def summed(key: str) -> str:
        return " + ".join(format_count(r.count(key)) for r in supplied) + f" = {format_count(t[key])}"
    audit = "\n".join([
        ":::{dropdown} How this was calculated: delivery plan totals",
        f"**Formula:** each total is the sum of the {level.name.lower()} rows above; the data quality note compares "
        f"each {level.name.lower()}'s {labels[0]} with {' + '.join(labels[1:])}.", "",
        f"**Period:** {spec.unit} at the end of {view.quarter.months_label}.", "",
        f"**Input rows:** {tracker} lines {', '.join(str(r.line) for r in supplied)}: "
        + "; ".join(f"{label} {summed(k)}" for label, k in zip(labels, keys)) + ".",
        ":::"])
    return "\n\n".join(filter(None, [attention_sentence(spec, rows, level), progress_sentence(spec, rows, level),
                                       markdown_table(header, table_rows), audit]))


def purpose(view: EditionView) -> str:
    """What the update covers, in words generated from the definition and the quarter."""
    p, q = view.publication, view.quarter
    levels = p.levels
    shape = (f"{count_phrase(len(p.leaves), levels[-1].name.lower(), levels[-1].plural.lower())} in "
             f"{count_phrase(len(p.sections), levels[0].name.lower(), levels[0].plural.lower())}" if len(levels) > 1
             else count_phrase(len(p.leaves), levels[-1].name.lower(), levels[-1].plural.lower()))
    first = p.leaves[0]
    figures = next((f for f in view.figures(first) if f.available), None)
    period = figures.headline.current_label if figures else q.twelve_months_label()
    narrative = ", ".join(f"\"{part.title_for(q, view.force)}\"" for part in p.narrative_parts(view.force))
    # A force that supplied no narrative (another force's edition from the open data, say) is not promised one,
    # nor the owner's headings (its local policing areas), which its pages do not show.
    shows = [f"what the data says about the {period}"] + (
        [f"the lead's narrative ({narrative})"] if view.has_narrative else []) + (
        ["how far its delivery plan has progressed"] if p.delivery else [])
    listed = and_list(shows)
    none = "" if view.has_narrative else f" {display_name(view.force)} has supplied no narrative for this edition."
    return (f"This update reports progress on the {view.title} for {q.label}. It has {shape}. For each "
            f"{levels[-1].name.lower()} it shows {listed}.{none}")



def position_section(view: EditionView) -> str:
    """The position among similar forces in brief: the best and worst ranks, the table page's sentences, a link."""
    from strategy_update.build.book import PEER_PAGE
    from strategy_update.render.peer_page import position_statements

    mine = view.results[view.results["force"] == view.force]
    ranks = mine[mine["statistic"] == "peer_rank"].merge(
        mine.loc[mine["statistic"] == "peer_of", ["measure", "value"]], on="measure", suffixes=("", "_of"))
    if ranks.empty:
        return "No measure of this publication is compared with other forces."
    names = {m.id: m.name for _, m in view.publication.measures}
    judged = {m.id for _, m in view.publication.measures if m.has_better_direction}
    ranks = ranks[ranks["measure"].isin(judged)]  # a place in the order of rates is not better or worse

    def placed(rank: float) -> str:
        rows = ranks[ranks["value"] == rank]
        return "; ".join(f"{names[r.measure]} ({format_rank(r.value, r.value_of)})"
                         for r in rows.itertuples())
    lines = [f"- {s}" for s in position_statements(view.publication, view.results, view.force)]
    if not ranks.empty:
        best, worst = ranks["value"].min(), ranks["value"].max()
        lines.append(f"- Best placed: {placed(best)}."
                     + ("" if best == worst else f" Furthest behind: {placed(worst)}."))
    return ("\n".join(lines) + f"\n\nThe [position table](computed/{PEER_PAGE}.md) gives each measure's rate per 1,000 "
            "population, its rank and the change needed to reach the group average and the top quartile.")


# --- the front page for a board: status, trend, highlights ------------------------------------------------
GLOSSARY_PAGE = "glossary"


# The glossary's entry for each term the generated text links (book/glossary.md is a Sphinx glossary).
GLOSSARY_TERMS = {"special cause": "Special cause variation", "common cause": "Common cause variation",
                  "control chart": "Control chart"}


def glossary_link(view: EditionView, text: str) -> str:
    """``text`` linked to its entry in the glossary when the publication has one; plain otherwise."""
    if GLOSSARY_PAGE not in view.publication.shared_pages:
        return text
    return f"{{term}}`{text} <{GLOSSARY_TERMS[text]}>`"


def signal_side(chart: spc.XmR | None) -> str:
    """The latest quarter on its control chart: ``high`` or ``low`` (special cause, read from the point's most
    important rule, as its marker and the chart's reading are), ``common`` (within normal variation) or ``none``
    (no chart)."""
    if chart is None:
        return "none"
    last = chart.signals[-1]
    if not last:
        return "common"
    return "high" if last[spc.main_rule(last)] in spc.UP else "low"


def signal_rule(chart: spc.XmR | None) -> str:
    """The most important control chart rule the latest quarter is part of ('' for none)."""
    return (spc.main_rule(chart.signals[-1]) or "") if chart is not None else ""


def _moved(change: float | None, pct: float | None, unit: str, base: str) -> str:
    """``Up 8.6% on the previous 12 months``: the change's direction in words, then its size."""
    if change is None:
        return f"No comparison with {base}"
    if change == 0:
        return f"Unchanged on {base}"
    # counts move by a percentage; shares, rates and times by a difference in their own unit
    size = (format_pct(abs(pct)) if pct is not None else format_count(abs(change))) if unit not in NOT_SUMMED_UNITS \
        else format_difference(abs(change), unit)
    return f"{'Up' if change > 0 else 'Down'} {size.lstrip('+')} on {base}"


def where(side: str, rule: str) -> str:
    """Where the latest quarter sits, in the words of the rule that flagged it: a run is not an unusual point."""
    up = side == "high"
    if rule == "shift":
        return f"part of a run of quarters {'above' if up else 'below'} the chart's average"
    if rule == "trend":
        return f"part of a run of {'rising' if up else 'falling'} quarters"
    return f"unusually {side}"  # outside a process limit, or 2 of 3 close to one


def status(change: float | None, pct: float | None, unit: str, base: str, side: str, lower_is_better: bool | None,
           rule: str = "outside", special: str = "special cause", common: str = "common cause") -> str:
    """The change on the year and the latest quarter's control-chart signal in one sentence that cannot
    contradict itself: each part says what it is about, and "but" joins them when they point different ways.
    ``rule``: the control chart rule that flagged the quarter; ``special`` and ``common``: the terms as shown
    (e.g. linked to the glossary)."""
    moved = _moved(change, pct, unit, base)
    if side == "none":
        return f"{moved}; no control chart for this figure."
    if side == "common":
        return f"{moved}; the latest quarter is within normal variation ({common})."
    if lower_is_better is None:  # a count driven by police activity: unusual, never better or worse
        reading = f"{special}; neither direction is better for this measure"
    else:
        kind = spc.side_reading(side == "high", lower_is_better)
        reading = f"{special}: {'an improvement' if kind == spc.IMPROVEMENT else 'a concern'}, as " \
                  f"{'lower' if lower_is_better else 'higher'} is better"
    against = change is not None and change != 0 and (change > 0) != (side == "high")
    return f"{moved}{', but' if against else ';'} the latest quarter is {where(side, rule)} ({reading})."


def shown_comparison(figures: MeasureFigures) -> ComparisonFigures:
    """The headline comparison, or when it has no current figure or nothing to compare it with (e.g. a force's
    quarterly count, which has no 12-month total) the first of the definition's comparisons that has both, else the
    first with a current figure."""
    return next((c for c in figures.comparisons if c.current is not None and c.base is not None),
                next((c for c in figures.comparisons if c.current is not None), figures.headline))


def figures_status(view: EditionView, figures: MeasureFigures) -> str:
    """The status of a headline measure, with its glossary terms linked."""
    c = shown_comparison(figures)
    return status(c.change, c.pct_change, figures.measure.unit,
                  BASE_PHRASE.get(c.name, c.name), signal_side(figures.chart), figures.measure.lower_is_better,
                  rule=signal_rule(figures.chart),
                  special=glossary_link(view, "special cause"), common=glossary_link(view, "common cause"))


TREND_QUARTERS = 12  # the sparkline's span: three years, as on the position table
GLANCE_WIDTHS = [27, 19, 22, 32]  # the trend column wide enough for its sparkline in print


def trend(figures: MeasureFigures) -> str:
    """A sparkline of the chart's last quarters, oldest first (n/a when there is no quarterly series)."""
    values = [float(v) for v in figures.series["value"].dropna()][-TREND_QUARTERS:]
    return sparkline(values) if len(values) >= 2 else "n/a"


def first_sentence(text: str) -> str:
    """The note's first sentence, or its first two when the first is a bare label such as "A proxy."."""
    sentences = [x.strip() for x in re.findall(r".+?[.!?](?=\s|$)", text)] or [text]
    return " ".join(sentences[:2]) if len(sentences[0].split()) < 4 else sentences[0]


def figure_note(headline: Headline) -> str:
    """A short note beside a headline figure that is not what the force itself counts: a proxy standing in for the
    force's own figure, a wider definition, or the force's own published figure. The full note is on the section's
    page."""
    measure = headline.figures.measure
    if headline.passed_over:
        missing = and_list([m.name[0].lower() + m.name[1:] for m in headline.passed_over])
        kind = "a proxy" if measure.proxy else "the nearest measure"
        return f"Shown as {kind}: the force's own figure ({missing}) was not supplied for this quarter."
    if measure.short_note:
        return measure.short_note
    if measure.source == FORCE_EXTRACT:
        return "The force's own published figure."
    if measure.proxy:
        return first_sentence(measure.definition_note) if measure.definition_note else "A proxy measure."
    return ""


def strand_table(view: EditionView, rows_of: list[Headline] | None = None) -> str:
    """Per group (theme), one row per section: its trend, headline figure and status; notes next to figures."""
    rows_of = rows_of or headlines(view)
    folder, level = view.publication.section_folder, view.publication.leaf_level
    by_id: dict[str, list[Headline]] = {}
    for h in rows_of:
        by_id.setdefault(h.section.id, []).append(h)
    labels = [shown_comparison(h.figures).current_label for h in rows_of if h.figures is not None]
    # The most common period goes in the heading; a figure for another period says its own in the cell.
    period = max(labels, key=labels.count) if labels else ""
    others = " unless stated" if len(set(labels)) > 1 else ""
    header = [f"{level.name} and headline measure", f"Last {TREND_QUARTERS} quarters and variation",
              f"{sentence_case(period)}{others}" if period else "Latest figure", "Status"]
    blocks = []
    for group, leaves in view.publication.groups:
        rows = []
        for section in leaves:
            link = f"[{section.name}]({folder}/{section.id}.ipynb)"
            for h in by_id[section.id]:
                rows.append(_glance_row(view, link, h, period))
        table = list_table(header, rows, GLANCE_WIDTHS)
        blocks.append(f"### {group.name}\n\n{table}" if group else table)
    return "\n\n".join(blocks)


def _glance_row(view: EditionView, link: str, headline: Headline, period: str) -> list[str]:
    """One row of the at-a-glance table: the section and measure, trend, headline figure (with its period when
    not the table's, and its note) and status."""
    figures = headline.figures
    if figures is None:
        return [link, "n/a", "No figures", "Reported through the lead's narrative"
                + (" and the delivery plan" if view.publication.delivery else "") + "."]
    note = figure_note(headline)
    shown = shown_comparison(figures)
    value = (f"**{format_value(shown.current, figures.measure.unit)}**"
             + ("" if shown.current_label == period else f" <br>{shown.current_label}")
             + (f" <br>*{note}*" if note else ""))
    return [f"{link}: <br>{figures.measure.name}", trend_and_icons(figures), value, figures_status(view, figures)]


def trend_and_icons(figures: MeasureFigures) -> str:
    """The sparkline, then Making Data Count's icons with their words: the latest quarter's variation and, where
    the measure has a target, assurance (render/mdc_icons.py)."""
    measure = figures.measure
    icons = [mdc_icons.variation(figures.chart, measure.lower_is_better),
             mdc_icons.assurance(figures.chart, measure.target, measure.lower_is_better)]
    return " <br>".join([trend(figures), *(mdc_icons.labelled(i) for i in icons if i is not None)])


# --- the changes that stand out ---------------------------------------------------------------------------------
MATERIAL_SIGMAS = 3.0  # a change this many standard deviations of the usual variation or more is material
MIN_COUNT = 20  # a count below this in either period is never called a large change (a handful moves a lot)
MOST_CHANGES = 4  # the front page lists at most this many


@dataclass(frozen=True)
class Change:
    """A headline figure whose change on the first comparison stands out, and why it was chosen."""

    headline: Headline
    comparison: ComparisonFigures
    sigmas: float  # the change in standard deviations of the usual variation (0 when it cannot be judged)
    special: bool  # the latest quarter is a special cause on the control chart
    beyond: bool  # the change is beyond the usual variation


def _quarters(comparison: ComparisonFigures) -> int:
    from strategy_update.compute.comparisons import parse_span

    return max(1, round(parse_span(comparison.current_period).months / 3)) if comparison.current_period else 1


def material_changes(view: EditionView, rows_of: list[Headline] | None = None) -> list[Change]:
    """The headline figures whose change on the first comparison is material: the latest quarter is a special
    cause on its control chart, or the change is beyond the measure's usual variation (``MATERIAL_SIGMAS``,
    ``spc.change_in_sigmas``); never a count below ``MIN_COUNT``. Largest first, at most ``MOST_CHANGES``."""
    rows_of = rows_of or headlines(view)
    first = view.publication.comparisons[0]
    found = []
    for h in rows_of:
        c = h.figures.comparison(first) if h.figures is not None else None
        if c is None or c.current is None or c.base is None or not c.change or h.figures.chart is None:
            continue
        if h.figures.measure.summable and min(c.current, c.base) < MIN_COUNT:
            continue
        sigmas = spc.change_in_sigmas(c.change, h.figures.chart, _quarters(c), h.figures.measure.summable) or 0.0
        special = signal_side(h.figures.chart) in ("high", "low")
        beyond = abs(sigmas) >= MATERIAL_SIGMAS
        if special or beyond:
            found.append(Change(h, c, sigmas, special, beyond))
    found.sort(key=lambda change: -abs(change.sigmas))
    return found[:MOST_CHANGES]


def _the(label: str) -> str:
    """``the 12 months ending March 2022``; a quarter's name (``Q4 2021/22``) takes no article."""
    return f"the {label}" if label[:1].isdigit() else label


def _why_chosen(view: EditionView, change: Change) -> str:
    """Why a change was chosen, in a few words (the intro says what each reason means)."""
    chart = change.headline.figures.chart
    reasons = ["beyond its usual variation"] if change.beyond else []
    if change.special:
        reasons.append(f"latest quarter {where(signal_side(chart), signal_rule(chart))}, "
                       f"{glossary_link(view, 'special cause')}")
    return "; ".join(reasons)


def highlights(view: EditionView, rows_of: list[Headline] | None = None) -> str:
    """The headline figures whose change stands out (``material_changes``), each with its figures and the reason
    it was chosen; or one sentence saying that none does."""
    first = view.publication.comparisons[0]
    base = BASE_PHRASE.get(first, first)
    changes = material_changes(view, rows_of)
    if not changes:
        return (f"**What stands out:** no headline figure changed on {base} by more than its usual variation, "
                "and no latest quarter is unusual on its control chart.")
    lines = []
    for change in changes:
        h, c = change.headline, change.comparison
        m = h.figures.measure
        note = (" (a proxy measure)" if m.proxy else " (the force's own figure)" if m.source == FORCE_EXTRACT else "")
        lines.append(f"- **{h.section.name}**: {m.name[0].lower()}{m.name[1:]}{note} "
                     f"{'rose' if c.change > 0 else 'fell'} {_size(c, m.unit)} to "
                     f"{format_value(c.current, m.unit)} in {_the(c.current_label)}, from "
                     f"{format_value(c.base, m.unit)} in {_the(c.base_label)} ({_why_chosen(view, change)}).")
    intro = (f"**What stands out** on {base}, largest first: the headline figures whose change is beyond their usual "
             f"variation (larger than their quarter-to-quarter ups and downs would give by chance) or whose latest "
             f"quarter is unusual on its {glossary_link(view, 'control chart')}; a count below {MIN_COUNT} is never "
             "listed.")
    return intro + "\n\n" + "\n".join(lines)


def _size(c: ComparisonFigures, unit: str) -> str:
    """A change's size: a percentage for counts, a difference in the unit for shares, rates and times."""
    if unit in NOT_SUMMED_UNITS or c.pct_change is None:
        return format_difference(abs(c.change), unit).lstrip("+")
    return format_pct(abs(c.pct_change)).lstrip("+")


def overview(view: EditionView, rows_of: list[Headline] | None = None) -> str:
    """One line on coverage: how many sections have figures this edition, and how the rest are reported."""
    rows_of = rows_of or headlines(view)
    leaf = view.publication.leaf_level
    words = (leaf.name.lower(), leaf.plural.lower())
    with_figures = {h.section.id: h.figures is not None for h in rows_of}  # a section may have two headline figures
    n, m = len(with_figures), sum(with_figures.values())
    if m == n:
        return f"All {count_phrase(n, *words)} have figures this edition."
    rest = ("the other is reported through its lead's narrative" if n - m == 1 else
            f"the other {n - m} are reported through their leads' narratives")
    return f"Of the {count_phrase(n, *words)}, {m} {'has' if m == 1 else 'have'} figures this edition; {rest}."


def glance_intro(view: EditionView) -> str:
    leaf = view.publication.leaf_level.name.lower()
    first = view.publication.comparisons[0]
    return (f"Each row gives a {leaf}'s headline measure: its trend over the last {TREND_QUARTERS} quarters (each "
            f"row's bars run from its own lowest to its highest quarter) with Making Data Count's icon for its "
            f"latest quarter's variation, its latest figure and its status. The "
            f"status says first how the figure compares with "
            f"{BASE_PHRASE.get(first, first)}, then whether the latest quarter is within the normal variation of its "
            f"{glossary_link(view, 'control chart')}. A note in italics says where a figure is not the force's own "
            f"measure; the {leaf}'s page has the full note."
            + (" A measure with a target also shows whether its process will meet it (assurance)."
               if any(m.target is not None for _, m in view.publication.measures) else ""))
