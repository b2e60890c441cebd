"""The comparison-group position table page: the force's rate, rank, the change required to reach the group
average and the top quartile, a sparkline of the last 12 quarters, the aspiration and whether it is met, the
movement since the last quarter and the sentences that sum it up. Every figure comes from the results table
(statistics ``peer_*`` written by ``compute/peer_table.py``); each row's derivation is one click away."""

from __future__ import annotations

import math

import pandas as pd

from strategy_update.compute import peers
from strategy_update.compute.peer_table import OFFICIAL_LABEL
from strategy_update.core.formatting import format_count, format_ordinal, format_rank, format_rate
from strategy_update.model.forces import display_name
from strategy_update.model.publication import Measure, Publication
from strategy_update.core.markup import literal
from strategy_update.render.tables import markdown_table

BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[float]) -> str:
    """Eight block heights from the lowest to the highest value; a gap for a missing quarter."""
    known = [v for v in values if not math.isnan(v)]
    if not known:
        return ""
    low, high = min(known), max(known)
    scale = (len(BLOCKS) - 1) / (high - low) if high > low else 0
    return "".join(" " if math.isnan(v) else BLOCKS[round((v - low) * scale)] for v in values)


def _change(value: float, unit_word: str, already: str, judged: bool = True) -> str:
    if not judged:
        return "N/A: neither direction is better"
    if value is None or math.isnan(value):
        return f"N/A: already {already}"
    return f"{'+' if value > 0 else ''}{format_count(round(value))} {unit_word}"


def _moved(movement: str, previous: float, measure: Measure) -> str:
    """', 6th last quarter: deteriorated' under the rank; nothing when there is no previous position."""
    if math.isnan(previous):
        return ""
    return f" ({format_ordinal(previous)}{'' if measure.has_better_direction else ' highest'}: {movement})"


def _rank(rank: float, of: float, measure: Measure) -> str:
    """``3rd of 8`` (1 = best); ``3rd highest of 8`` for a measure with no better direction."""
    return format_rank(rank, of) if measure.has_better_direction else f"{format_ordinal(rank)} highest of {int(of)}"


def _aspiration(value: float, aspiration: str) -> str:
    if not aspiration:
        return "none set"
    if math.isnan(value):
        return f"{aspiration}: not judged (neither direction is better)"
    return f"{aspiration}: {'met' if value == 1 else 'not met'}"


def _rate(value: float) -> str:
    """Two decimals; three significant figures below 1 (homicide is about 0.012 per 1,000), so that close rates
    that rank differently also read differently."""
    if value == 0 or abs(value) >= 1:
        return format_rate(value, 2)
    return format_rate(value, 2 - math.floor(math.log10(abs(value))))


def _value(mine: pd.DataFrame, measure_id: str, statistic: str) -> pd.Series:
    return mine[(mine["measure"] == measure_id) & (mine["statistic"] == statistic)].iloc[0]


def _compared(publication: Publication, mine: pd.DataFrame) -> list[Measure]:
    """The publication's measures that have a position in the table, in the definition's order."""
    ranked = set(mine.loc[mine["statistic"] == "peer_rate", "measure"])
    return [m for _, m in publication.measures if m.id in ranked]


def _statement_row(mine: pd.DataFrame, m: Measure) -> tuple[str, str, bool | None, str]:
    met = _value(mine, m.id, "peer_aspiration_met")["value"]
    return m.name, m.aspiration, None if math.isnan(met) else bool(met), str(_value(mine, m.id, "peer_movement")["text"])


def position_statements(publication: Publication, results: pd.DataFrame, force: str) -> list[str]:
    """The sentences that sum up the table (aspirations met, positions moved), for its page and the front page."""
    mine = results[results["force"] == force]
    group = mine[mine["statistic"] == "peer_group"]
    if group.empty:
        return []
    label, measures = str(group["text"].iloc[0]), _compared(publication, mine)
    statements = peers.statements(display_name(force), label, [_statement_row(mine, m) for m in measures],
                                  whose="its" if force == publication.owner_force else "the plan's")
    if label != OFFICIAL_LABEL and any(m.aspiration for m in measures):
        statements.append("The aspirations were set against the Home Office's Most Similar Group. Judged here against "
                          "a computed group, whether each is met is indicative only.")
    return statements


def render_markdown(publication: Publication, results: pd.DataFrame, force: str) -> str:
    mine, named = results[results["force"] == force], display_name(force)
    group = mine[mine["statistic"] == "peer_group"]
    if group.empty:
        return "No measure of this publication is compared with other forces."
    label = str(group["text"].iloc[0])
    method = str(mine.loc[mine["statistic"] == "peer_group_method", "text"].iloc[0])
    members = list(mine[mine["statistic"] == "peer_group_member"].sort_values("value")["text"])

    rows, notes = [], []
    for m in _compared(publication, mine):
        value = {s: _value(mine, m.id, s)["value"] for s in (
            "peer_rate", "peer_rank", "peer_of", "peer_average", "peer_quartile_boundary", "peer_change_to_average",
            "peer_change_to_top_quartile", "peer_aspiration_met", "peer_rank_previous")}
        moved = str(_value(mine, m.id, "peer_movement")["text"])
        spark = mine[(mine["measure"] == m.id) & (mine["statistic"] == "peer_spark")]
        period = str(_value(mine, m.id, "peer_rate")["period_label"])
        rows.append([literal(m.name), _rate(value["peer_rate"]),
                     _rank(value["peer_rank"], value["peer_of"], m) + _moved(moved, value["peer_rank_previous"], m),
                     _change(value["peer_change_to_average"], "offences", "better than average",
                             m.has_better_direction),
                     _change(value["peer_change_to_top_quartile"], "offences", "within top quartile",
                             m.has_better_direction),
                     f"{sparkline(list(spark['value']))} ({format_count(spark['value'].min())} to "
                     f"{format_count(spark['value'].max())})",
                     literal(_aspiration(value["peer_aspiration_met"], m.aspiration))])
        member_rates = results[(results["measure"] == m.id) & (results["statistic"] == "peer_member_rate")]
        ranked = "; ".join(f"{literal(f)} {_rate(r)}" for f, r in zip(member_rates["force"], member_rates["value"]))
        last_rank = value["peer_rank_previous"]
        previous = ("" if math.isnan(last_rank)
                    else f" Last quarter's edition ranked {named} {format_rank(last_rank, value['peer_of'])}.")
        notes += [f":::{{dropdown}} How this was calculated: {literal(m.name)}",
                  f"**Rates per 1,000 population, {period}, "
                  f"{'best' if m.has_better_direction else 'highest'} first:** {ranked}.", "",
                  f"**Group average:** the group's offences divided by its population, x 1,000 = "
                  f"{_rate(value['peer_average'])}. **Top-quartile boundary:** "
                  f"{_rate(value['peer_quartile_boundary'])}. {peers.QUARTILE_RULE}", "",
                  f"**Change required:** (target rate - {named}'s rate) x {named}'s population / 1,000, in offences."
                  f"{previous}", "",
                  f"**Sparkline:** offences per quarter, {spark['text'].iloc[0]} to {spark['text'].iloc[-1]}: "
                  + ", ".join(format_count(v) for v in spark["value"]) + ".", ":::", ""]
    header = ["Measure", "Rate per 1,000", "Rank (last quarter)", "To reach average", "To reach top quartile",
              "Last 12 quarters", "Aspiration"]
    official = label == OFFICIAL_LABEL
    caveat = ("" if official else " The Home Office's Most Similar Group lists are not in the open data, so this "
              "group is computed and is not the official one; a force can supply its official group (see Methods).")
    missing = sorted(set(results.loc[results["statistic"] == "peer_member_missing", "force"]))
    gaps = (f" Left out where they have no figures: {', '.join(missing)}." if missing else "")
    intro = (f"{named} is compared with its {label}: {', '.join(members)}. They are {method}.{caveat} Rates are "
             f"per 1,000 residents (ONS mid-year population). Rank 1 is the best rate (for crime, the lowest); forces "
             f"with the same rate share a rank. {peers.QUARTILE_RULE}{gaps}")
    statements = position_statements(publication, results, force)
    missing_measures = ("The open data cannot give these, which the last hand-made table also compared: "
                        + "; ".join(literal(m) for m in publication.peer_group_not_available) + "."
                        if publication.peer_group_not_available else "")
    return "\n\n".join(filter(None, [intro, "\n".join(f"- {s}" for s in statements), markdown_table(header, rows),
                                     missing_measures, "\n".join(notes)]))
