"""The front page: the headline of every section, generated sentences, and the delivery plan's progress."""

from __future__ import annotations

from strategy_update.compute.delivery import TOTAL, DeliveryRow, attention_sentence, progress_sentence, totals
from strategy_update.compute.spc import latest_signal_short
from strategy_update.core.formatting import (count_phrase, format_change, format_count, format_difference,
                                             format_ordinal, format_pct, format_value)
from strategy_update.render.figures import MeasureFigures, delivery_counts, delivery_line, is_missing
from strategy_update.render.tables import markdown_table
from strategy_update.render.view import EditionView

# How the front page names each comparison: the column heading, and the base in a sentence.
COLUMN = {"rolling-12-vs-previous-12": "Change on previous 12 months",
          "quarter-vs-previous-quarter": "Change on previous quarter",
          "quarter-vs-same-quarter-last-year": "Change on same quarter a year earlier",
          "three-months-vs-year-earlier": "Change on same 3 months a year earlier"}
BASE_PHRASE = {"rolling-12-vs-previous-12": "the previous 12 months", "quarter-vs-previous-quarter":
               "the previous quarter", "quarter-vs-same-quarter-last-year": "the same quarter a year earlier",
               "three-months-vs-year-earlier": "the same 3 months a year earlier"}
BASELINE = "rolling-12-vs-baseline"


def headlines(view: EditionView) -> list[tuple]:
    """(section, headline figures or None) for every section, in the definition's order."""
    out = []
    for section in view.publication.leaves:
        available = [f for f in view.figures(section) if f.available]
        out.append((section, available[0] if available else None))
    return out


def _column(view: EditionView, name: str, figures: list[MeasureFigures]) -> str:
    if name == BASELINE:
        label = next((c.base_label for f in figures for c in f.comparisons if c.name == name), "")
        return f"Change on {view.publication.baseline_name} ({label})"
    return COLUMN.get(name, name)


def _change(figures: MeasureFigures, name: str) -> str:
    c = figures.comparison(name)
    if c is None:
        return "n/a"
    if figures.measure.whole_numbers:
        return f"{format_change(c.change)} ({format_pct(c.pct_change)})"
    return format_difference(c.change, figures.measure.unit)


def section_table(view: EditionView, rows_of: list[tuple] | None = None) -> str:
    """One table per top-level section: each section's headline measure, its changes and its control chart."""
    rows_of = rows_of or headlines(view)
    shown = [f for _, f in rows_of if f is not None]
    names = list(view.publication.comparisons[:2])
    labels = {f.headline.current_label for f in shown}
    # One period for every row goes in the heading; measures of different periods say theirs in the cell.
    current = labels.pop() if len(labels) == 1 else "Latest figure"
    header = [view.publication.leaf_level.name, "Headline measure", current] + [
        _column(view, n, shown) for n in names] + ["Control chart (latest quarter)"]
    by_id = {s.id: f for s, f in rows_of}
    folder, blocks = view.publication.section_folder, []
    for group, leaves in view.publication.groups:
        rows = []
        for section in leaves:
            figures, link = by_id[section.id], f"[{section.name}]({folder}/{section.id}.ipynb)"
            if figures is None:
                rows.append([link, "No open-data measure"] + ["n/a"] * (len(names) + 2))
                continue
            name = figures.measure.name + (" (proxy)" if figures.measure.proxy else "")
            value = format_value(figures.headline.current, figures.measure.unit)
            if current == "Latest figure":
                value += f" ({figures.headline.current_label})"
            rows.append([link, name, value]
                        + [_change(figures, n) for n in names]
                        + [latest_signal_short(figures.chart) if figures.chart else "n/a"])
        table = markdown_table(header, rows)
        blocks.append(f"### {group.name}\n\n{table}" if group else table)
    return "\n\n".join(blocks)


def headline_sentences(view: EditionView, rows_of: list[tuple] | None = None) -> str:
    """Counting sentences generated from the data, stated over the actual number of sections."""
    rows_of = rows_of or headlines(view)
    leaf = view.publication.leaf_level
    words = (leaf.name.lower(), leaf.plural.lower())
    measured = [f for _, f in rows_of if f is not None]
    n, m = len(rows_of), len(measured)
    first = view.publication.comparisons[0]
    changes = [f.comparison(first).change if f.comparison(first) else None for f in measured]
    up = sum(1 for c in changes if (c or 0) > 0)
    down = sum(1 for c in changes if (c or 0) < 0)
    others = (" (the others have no open-data measure and no force extract was supplied)" if m < n else "")
    every = f"All {count_phrase(n, *words)} have" if m == n else (
        f"Of the {count_phrase(n, *words)}, {count_phrase(m, *words)} {'has' if m == 1 else 'have'}")
    text = (f"{every} a headline measure with figures for this edition{others}. Compared with {BASE_PHRASE.get(first, first)}, {up} of these {m} headline measures "
            f"rose and {down} fell")
    if BASELINE in view.publication.comparisons:
        below = sum(1 for f in measured if f.comparison(BASELINE) and (f.comparison(BASELINE).change or 0) < 0)
        text += f"; {below} of {m} are below the {view.publication.baseline_name}"
    special = sum(1 for f in measured if f.chart and f.chart.signals[-1])
    return (text + f". In the latest quarter, {count_phrase(special, 'headline measure')} "
            + ("shows special cause variation on its control chart." if special == 1
               else "show special cause variation on their control charts."))


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
        return (f"*No delivery plan data was supplied for {view.quarter.short_label} (`{tracker}`). "
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
        f"**Input rows:** `{tracker}` lines {', '.join(str(r.line) for r in supplied)}: "
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
    shows = [f"what the data says about the {period}", f"the lead's narrative ({narrative})"] + (
        ["how far its delivery plan has progressed"] if p.delivery else [])
    return (f"This update reports progress on the {view.title} for {q.label}. It has {shape}. For each "
            f"{levels[-1].name.lower()} it shows {', '.join(shows[:-1])} and {shows[-1]}.")



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
        return "; ".join(f"{names[r.measure]} ({format_ordinal(r.value)} of {format_count(r.value_of)})"
                         for r in rows.itertuples())
    best, worst = ranks["value"].min(), ranks["value"].max()
    lines = [f"- {s}" for s in position_statements(view.publication, view.results, view.force)]
    lines.append(f"- Best placed: {placed(best)}." + ("" if best == worst else f" Furthest behind: {placed(worst)}."))
    return ("\n".join(lines) + f"\n\nThe [position table](computed/{PEER_PAGE}.md) gives each measure's rate per 1,000 "
            "population, its rank and the change needed to reach the group average and the top quartile.")
