"""The front page: executive summary across all strands and the delivery plan progress table."""

from __future__ import annotations

from strategy_update.compute.delivery import at_risk_sentence, delivery_rows, progress_sentence, totals
from strategy_update.compute.edition import Edition, analyse_strand
from strategy_update.core.formatting import format_change, format_count, format_pct
from strategy_update.render.report import count_phrase, markdown_table
from strategy_update.compute.spc import latest_signal_short
from strategy_update.inputs.readers import display_path


def _headlines(edition: Edition) -> list[tuple]:
    """(strand, headline result or None) for every strand, in the definition's order."""
    out = []
    for strand in edition.publication.leaves:
        available = [r for r in analyse_strand(edition, strand) if r.available]
        out.append((strand, available[0] if available else None))
    return out


def strand_table(edition: Edition) -> str:
    """One table per theme: each strand's headline measure, its changes and its control chart signal."""
    q = edition.quarter
    baseline = edition.publication.baseline_end
    header = [edition.publication.leaf_level.name, "Headline measure", q.twelve_months_label(),
              "Change on previous 12 months",
              f"Change on {edition.publication.baseline_name} ({baseline.twelve_months_label()})",
              "Control chart (latest quarter)"]
    headlines = dict((s.id, r) for s, r in _headlines(edition))
    blocks = []
    for theme, leaves in edition.publication.groups:
        rows = []
        for strand in leaves:
            result = headlines[strand.id]
            link = f"[{strand.name}](strands/{strand.id}.ipynb)"
            if result is None:
                rows.append([link, "No open-data measure", "n/a", "n/a", "n/a", "n/a"])
                continue
            year, baseline = result.comparisons[0], result.comparisons[1]
            name = result.measure.name + (" (proxy)" if result.measure.proxy else "")
            rows.append([link, name, format_count(year.current),
                         f"{format_change(year.change)} ({format_pct(year.pct_change)})",
                         f"{format_change(baseline.change)} ({format_pct(baseline.pct_change)})",
                         latest_signal_short(result.chart) if result.chart else "n/a"])
        table = markdown_table(header, rows)
        blocks.append(f"### {theme.name}\n\n{table}" if theme else table)
    return "\n\n".join(blocks)


def headline_sentences(edition: Edition) -> str:
    """Counting sentences generated from the data, stated over the actual number of strands."""
    headlines = _headlines(edition)
    measured = [r for _, r in headlines if r is not None]
    n = len(headlines)
    up = sum(1 for r in measured if (r.comparisons[0].change or 0) > 0)
    down = sum(1 for r in measured if (r.comparisons[0].change or 0) < 0)
    below_baseline = sum(1 for r in measured if (r.comparisons[1].change or 0) < 0)
    special = sum(1 for r in measured if r.chart and r.chart.signals[-1])
    return (f"Of the {count_phrase(n, 'strand')}, {count_phrase(len(measured), 'strand')} "
            f"{'has' if len(measured) == 1 else 'have'} a headline measure with figures for this edition "
            f"(the others have no open-data measure and no force extract was supplied). "
            f"Compared with the previous 12 months, {up} of these {len(measured)} headline measures rose and {down} fell; "
            f"{below_baseline} of {len(measured)} are below the pre-Covid baseline. "
            f"In the latest quarter, {count_phrase(special, 'headline measure')} "
            f"{'shows special cause variation on its control chart' if special == 1 else 'show special cause variation on their control charts'}.")


def delivery_section(edition: Edition) -> str:
    tracker = display_path(edition.paths.delivery(edition.quarter))
    rows = delivery_rows(edition.publication, edition.delivery)
    if not any(r.supplied for r in rows):
        return (f"*No delivery plan data was supplied for {edition.quarter.short_label} "
                f"(`{tracker}`). Strand pages say so too.*")
    t = totals(rows)
    table_rows = []
    for theme, leaves in edition.publication.groups:
        group = theme.name if theme else ""
        for r in (r for r in rows if r.strand_id in {leaf.id for leaf in leaves}):
            if not r.supplied:
                table_rows.append([group, r.strand_name, "not supplied", "", "", "", ""])
                continue
            note = ""
            if r.uncategorised:
                note = (f"Parts add up to {format_count(r.total - r.uncategorised)}, not {format_count(r.total)}")
            table_rows.append([group, r.strand_name, format_count(r.total), format_count(r.complete),
                               format_count(r.ongoing), format_count(r.at_risk), note])
    table_rows.append(["**Total**", f"**{count_phrase(t['strands_reported'], 'strand')}**",
                       f"**{format_count(t['total'])}**", f"**{format_count(t['complete'])}**",
                       f"**{format_count(t['ongoing'])}**", f"**{format_count(t['at_risk'])}**", ""])
    levels = [level.name for level in edition.publication.levels]
    header = [levels[0], levels[-1], "Total actions", "Complete", "Ongoing", "At risk", "Data quality note"]
    if len(levels) == 1:  # no grouping level: no group column
        header, table_rows = header[1:], [row[1:] for row in table_rows]
    table = markdown_table(header, table_rows)
    supplied = [r for r in rows if r.supplied]
    audit = "\n".join([
        ":::{dropdown} How this was calculated: delivery plan totals",
        "**Formula:** each total is the sum of the strand rows above; the data quality note compares each strand's "
        "total actions with complete + ongoing + at risk.", "",
        f"**Period:** actions at the end of {edition.quarter.months_label}.", "",
        f"**Input rows:** `{tracker}` lines "
        f"{', '.join(str(r.line) for r in supplied)}: total actions "
        f"{' + '.join(format_count(r.total) for r in supplied)} = {format_count(t['total'])}; complete "
        f"{' + '.join(format_count(r.complete) for r in supplied)} = {format_count(t['complete'])}; ongoing "
        f"{' + '.join(format_count(r.ongoing) for r in supplied)} = {format_count(t['ongoing'])}; at risk "
        f"{' + '.join(format_count(r.at_risk) for r in supplied)} = {format_count(t['at_risk'])}.",
        ":::"])
    return "\n\n".join([at_risk_sentence(rows), progress_sentence(rows), table, audit])
