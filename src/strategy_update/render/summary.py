"""The front page: per section a trend, the headline figure and a plain-English status; generated highlights;
the board paper's sections; and the delivery plan's progress."""

from __future__ import annotations

import math
import re

from strategy_update.compute import spc
from strategy_update.compute.delivery import TOTAL, DeliveryRow, attention_sentence, progress_sentence, totals
from strategy_update.core.formatting import (and_list, count_phrase, format_count, format_difference, format_pct,
                                             format_rank, format_value, sentence_case)
from strategy_update.model.forces import display_name
from strategy_update.model.publication import FORCE_EXTRACT, NOT_SUMMED_UNITS, Measure
from strategy_update.render.figures import ComparisonFigures, MeasureFigures, delivery_counts, delivery_line, is_missing
from strategy_update.render.peer_page import sparkline
from strategy_update.render.tables import list_table, markdown_table
from strategy_update.render.view import EditionView

# How a sentence names the base of each comparison.
BASE_PHRASE = {"rolling-12-vs-previous-12": "the previous 12 months", "quarter-vs-previous-quarter":
               "the previous quarter", "quarter-vs-same-quarter-last-year": "the same quarter a year earlier",
               "three-months-vs-year-earlier": "the same 3 months a year earlier",
               "rolling-12-vs-baseline": "the baseline"}


def headlines(view: EditionView) -> list[tuple]:
    """(section, headline figures or None) for every section, in the definition's order: one pair per measure
    the definition marks ``headline``, or the section's first measure with a figure when none is marked."""
    out = []
    for section in view.publication.leaves:
        available = [f for f in view.figures(section) if f.available]
        marked = [f for f in available if f.measure.headline]
        # The first measure with a current headline figure; a measure with history only comes after.
        available.sort(key=lambda f: f.headline.current is None)
        out.extend((section, f) for f in (marked or available[:1] or [None]))
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
    narrative = ", ".join(f"\"{part.title_for(q, view.force)}\"" for part in p.narrative)
    # A force that supplied no narrative (another force's edition from the open data, say) is not promised one,
    # nor the owner's headings (its local policing areas), which its pages do not show.
    shows = [f"what the data says about the {period}"] + (
        [f"the lead's narrative ({narrative})"] if view.narratives else []) + (
        ["how far its delivery plan has progressed"] if p.delivery else [])
    listed = and_list(shows)
    none = "" if view.narratives else f" {display_name(view.force)} has supplied no narrative for this edition."
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

    def placed(rank: float) -> str:
        rows = ranks[ranks["value"] == rank]
        return "; ".join(f"{names[r.measure]} ({format_rank(r.value, r.value_of)})"
                         for r in rows.itertuples())
    best, worst = ranks["value"].min(), ranks["value"].max()
    lines = [f"- {s}" for s in position_statements(view.publication, view.results, view.force)]
    lines.append(f"- Best placed: {placed(best)}." + ("" if best == worst else f" Furthest behind: {placed(worst)}."))
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


def status(change: float | None, pct: float | None, unit: str, base: str, side: str, lower_is_better: bool,
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
    kind = spc.side_reading(side == "high", lower_is_better)
    reading = f"{special}: {'an improvement' if kind == spc.IMPROVEMENT else 'a concern'}, as " \
              f"{'lower' if lower_is_better else 'higher'} is better"
    against = change is not None and change != 0 and (change > 0) != (side == "high")
    return f"{moved}{', but' if against else ';'} the latest quarter is {where(side, rule)} ({reading})."


def shown_comparison(figures: MeasureFigures) -> ComparisonFigures:
    """The headline comparison, or when it has no current figure (e.g. a force's quarterly count, which has no
    12-month total) the first of the definition's comparisons that has one."""
    return next((c for c in figures.comparisons if c.current is not None), figures.headline)


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


def figure_note(measure: Measure) -> str:
    """A short note beside a headline figure that is not what the force itself counts: a proxy, a wider
    definition, or the force's own published figure. The full note is on the section's page."""
    if measure.short_note:
        return measure.short_note
    if measure.source == FORCE_EXTRACT:
        return "The force's own published figure."
    if measure.proxy:
        return first_sentence(measure.definition_note) if measure.definition_note else "A proxy measure."
    return ""


def strand_table(view: EditionView, rows_of: list[tuple] | None = None) -> str:
    """Per group (theme), one row per section: its trend, headline figure and status; notes next to figures."""
    rows_of = rows_of or headlines(view)
    folder, level = view.publication.section_folder, view.publication.leaf_level
    by_id: dict[str, list] = {}
    for s, f in rows_of:
        by_id.setdefault(s.id, []).append(f)
    labels = [shown_comparison(f).current_label for _, f in rows_of if f is not None]
    # The most common period goes in the heading; a figure for another period says its own in the cell.
    period = max(labels, key=labels.count) if labels else ""
    others = " unless stated" if len(set(labels)) > 1 else ""
    header = [f"{level.name} and headline measure", f"Last {TREND_QUARTERS} quarters",
              f"{sentence_case(period)}{others}" if period else "Latest figure", "Status"]
    blocks = []
    for group, leaves in view.publication.groups:
        rows = []
        for section in leaves:
            link = f"[{section.name}]({folder}/{section.id}.ipynb)"
            for figures in by_id[section.id]:
                rows.append(_glance_row(view, link, figures, period))
        table = list_table(header, rows, GLANCE_WIDTHS)
        blocks.append(f"### {group.name}\n\n{table}" if group else table)
    return "\n\n".join(blocks)


def _glance_row(view: EditionView, link: str, figures: MeasureFigures | None, period: str) -> list[str]:
    """One row of the at-a-glance table: the section and measure, trend, headline figure (with its period when
    not the table's, and its note) and status."""
    if figures is None:
        return [link, "n/a", "No figures", "Reported through the lead's narrative"
                + (" and the delivery plan" if view.publication.delivery else "") + "."]
    note = figure_note(figures.measure)
    shown = shown_comparison(figures)
    value = (f"**{format_value(shown.current, figures.measure.unit)}**"
             + ("" if shown.current_label == period else f" <br>{shown.current_label}")
             + (f" <br>*{note}*" if note else ""))
    return [f"{link}: <br>{figures.measure.name}", trend(figures), value, figures_status(view, figures)]


def _rising(view: EditionView, rows_of: list[tuple]) -> list[tuple]:
    """(pct change, section, figures) on the first comparison, for every section with one, largest first."""
    first = view.publication.comparisons[0]
    moved = []
    for section, figures in rows_of:
        c = figures.comparison(first) if figures else None
        if c is not None and c.pct_change is not None and not math.isnan(c.pct_change):
            moved.append((c.pct_change, section, figures))
    return sorted(moved, key=lambda t: -t[0])


def _the(label: str) -> str:
    """``the 12 months ending March 2022``; a quarter's name (``Q4 2021/22``) takes no article."""
    return f"the {label}" if label[:1].isdigit() else label


def highlights(view: EditionView, rows_of: list[tuple] | None = None, per_side: int = 2) -> str:
    """The sections whose headline moved most each way on the first comparison, with their figures and why
    each matters (the section's aim)."""
    rows_of = rows_of or headlines(view)
    first = view.publication.comparisons[0]
    moved = _rising(view, rows_of)
    rises = [t for t in moved if t[0] > 0][:per_side]
    falls = [t for t in reversed(moved) if t[0] < 0][:per_side]
    if not rises and not falls:
        return ""
    lines = []
    whose = view.publication.whose_aims(view.force)  # another force's edition: the aims are the owner's
    for pct, section, figures in rises + falls:
        c = figures.comparison(first)
        note = (" (a proxy measure)" if figures.measure.proxy else
                " (the force's own figure)" if figures.measure.source == FORCE_EXTRACT else "")
        aim = f"{section.aim[0].lower()}{section.aim[1:]}" if section.aim else ""
        why = f" Why it matters: {f'{whose} aims' if whose else 'the aim is'} to {aim}" if aim else ""
        lines.append(f"- **{section.name}**: {figures.measure.name.lower()}{note} "
                     f"{'rose' if pct > 0 else 'fell'} {format_pct(abs(pct)).lstrip('+')} to "
                     f"{format_value(c.current, figures.measure.unit)} in {_the(c.current_label)}, from "
                     f"{format_value(c.base, figures.measure.unit)} in {_the(c.base_label)}.{why}")
    intro = (f"The largest changes on {BASE_PHRASE.get(first, first)}, "
             f"{len(rises)} up and {len(falls)} down:")
    return intro + "\n\n" + "\n".join(lines)


def overview(view: EditionView, rows_of: list[tuple] | None = None) -> str:
    """One line on coverage: how many sections have figures this edition, and how the rest are reported."""
    rows_of = rows_of or headlines(view)
    leaf = view.publication.leaf_level
    words = (leaf.name.lower(), leaf.plural.lower())
    with_figures = {s.id: f is not None for s, f in rows_of}  # a section may have two headline measures
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
            f"row's bars run from its own lowest to its highest quarter), its latest figure and its status. The "
            f"status says first how the figure compares with "
            f"{BASE_PHRASE.get(first, first)}, then whether the latest quarter is within the normal variation of its "
            f"{glossary_link(view, 'control chart')}. A note in italics says where a figure is not the force's own "
            f"measure; the {leaf}'s page has the full note.")
