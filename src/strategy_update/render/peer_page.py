"""The comparison-group position table page: the force's rate, rank, the change required to reach the group
average and the top quartile, a sparkline of the last 12 quarters, the aspiration and whether it is met, the
movement since the last quarter and the sentences that sum it up. Every figure comes from the results table
(statistics ``peer_*`` written by ``compute/peer_table.py``); each row's derivation is one click away."""

from __future__ import annotations

import math

import pandas as pd

from strategy_update.compute import peers
from strategy_update.compute.peer_table import OFFICIAL_LABEL
from strategy_update.core.formatting import (
    and_list,
    format_change,
    format_count,
    format_ordinal,
    format_rank,
    format_rate,
)
from strategy_update.core.markup import literal
from strategy_update.model.forces import display_name
from strategy_update.model.publication import Measure, Publication
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


def _to_reach(to_average: float, to_quartile: float, measure: Measure) -> str:
    """``-26,374 to the average; -42,398 to the top quartile (offences)``, or why there is nothing to reach."""
    if not measure.has_better_direction:
        return "Nothing to reach: neither direction is better"
    def one(value: float, already: str, target: str) -> str:
        return already if value is None or math.isnan(value) else f"{format_change(value)} to {target}"
    parts = [one(to_average, "already better than the average", "the average"),
             one(to_quartile, "already in the top quartile", "the top quartile")]
    moving = any(not (v is None or math.isnan(v)) for v in (to_average, to_quartile))
    return "; <br>".join(parts) + (" (offences)" if moving else "")


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
    return (m.name, m.aspiration, None if math.isnan(met) else bool(met),
            str(_value(mine, m.id, "peer_movement")["text"]))


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


def printed_table(printed: pd.DataFrame, publication: Publication, results: pd.DataFrame, force: str,
                  document: str) -> str:
    """The position table as the hand-made update of this quarter printed it, beside the same figures here: each
    printed row (its measure, rate, rank, change to the average and aspiration, word for word), and for a measure
    with an open-data counterpart (``reference.peer_table_matches``) its rate and rank computed here. Differences
    are reported, not corrected: the printed table came from the Home Office's tool, group and date."""
    matches = publication.reference.get("peer_table_matches") or {}
    mine = results[results["force"] == force]
    names = {m.id: m.name for _, m in publication.measures}

    def ours(measure_id: str, statistic: str) -> float:
        rows = mine[(mine["measure"] == measure_id) & (mine["statistic"] == statistic)]
        return float(rows["value"].iloc[0]) if len(rows) and not pd.isna(rows["value"].iloc[0]) else math.nan

    rows, agree, differ = [], [], []
    for _, r in printed.iterrows():
        measure = str(r["measure"]).strip()
        measure_id = matches.get(measure)
        rank, of = (ours(measure_id, "peer_rank"), ours(measure_id, "peer_of")) if measure_id else (math.nan, math.nan)
        printed_rank = str(r["rank"]).strip()
        here = ("not in the open data" if measure_id is None else "n/a" if math.isnan(rank) else
                f"{_rate(ours(measure_id, 'peer_rate'))}; {format_rank(rank, of)}")
        if measure_id is not None and not math.isnan(rank):
            number = printed_rank.split(" ")[0]
            (agree if number.isdigit() and int(number) == int(rank) else differ).append(
                f"{literal(names.get(measure_id, measure))} (printed {literal(printed_rank)}, here {int(rank)})")
        met = {"yes": "met", "no": "not met"}.get(str(r["aspiration_met"]).strip(), "none set")
        rows.append([literal(measure), literal(f"{r['value']} {r['unit']}"), literal(printed_rank),
                     literal(str(r["change_to_average"])), literal(f"{r['aspiration']} ({met})"), literal(here)])
    summary = (f"Of the {len(agree) + len(differ)} printed measures with an open-data counterpart, the rank here is "
               f"the printed one for {len(agree)}" + (f" ({and_list(agree)})" if agree else "")
               + (f" and differs for {len(differ)}: {and_list(differ)}" if differ else "") + ".")
    return "\n\n".join([
        f"## The table as printed in the {literal(document)}",
        "The hand-made update for this quarter printed its own position table, from the Home Office's tool "
        "(iQuanta) and the official Most Similar Group, on the dates it names. It is shown here as printed, word "
        "for word, beside the same figures computed from the open data for this edition; the differences are "
        "reported, not corrected (another system, group and date). The aspirations are the ones it set. " + summary,
        markdown_table(["Printed measure", "Printed value", "Printed rank", "Printed change to reach the average",
                        "Printed aspiration (met?)", "Here: rate per 1,000; rank"], rows)])


def _recording_notes(results: pd.DataFrame, force: str) -> str:
    """The group's members (and the force) whose way of recording crime changed within the table's periods."""
    rows = results[(results["statistic"].isin(["peer_recording_change", "recording_change"]))]
    notes = [f"{literal(display_name(r['force']))} recorded crime differently from {r['period_label']} "
             f"({literal(str(r['text']).rstrip('.'))}; source: {literal(r['base_period_label'])})"
             for _, r in rows.iterrows()]
    return ("**Changes in recording.** " + "; ".join(notes) + ". Their rates and ranks are as recorded; a change of "
            "rank across that quarter may reflect the change in recording rather than in crime.") if notes else ""


def render_markdown(publication: Publication, results: pd.DataFrame, force: str,
                    printed: tuple[pd.DataFrame, str] | None = None) -> str:
    """The position table page; ``printed``: the table the hand-made update of this quarter printed, and the
    update's name, shown beside it (``printed_table``)."""
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
            "peer_rate", "peer_rank", "peer_of", "peer_average", "peer_mean_of_rates", "peer_quartile_boundary",
            "peer_change_to_average", "peer_change_to_mean_of_rates", "peer_change_to_top_quartile",
            "peer_aspiration_met", "peer_rank_previous")}
        moved = str(_value(mine, m.id, "peer_movement")["text"])
        spark = mine[(mine["measure"] == m.id) & (mine["statistic"] == "peer_spark")]
        period = str(_value(mine, m.id, "peer_rate")["period_label"])
        # Four columns, each cell short, so that the table fits a phone (390 px) as well as a desktop page
        rows.append([f"{literal(m.name)} <br>{sparkline(list(spark['value']))}",
                     f"{_rate(value['peer_rate'])} <br>{_rank(value['peer_rank'], value['peer_of'], m)}"
                     + _moved(moved, value["peer_rank_previous"], m),
                     _to_reach(value["peer_change_to_average"], value["peer_change_to_top_quartile"], m),
                     literal(_aspiration(value["peer_aspiration_met"], m.aspiration))])
        member_rates = results[(results["measure"] == m.id) & (results["statistic"] == "peer_member_rate")]
        ranked = "; ".join(f"{literal(f)} {_rate(r)}" for f, r in zip(member_rates["force"], member_rates["value"]))
        last_rank = value["peer_rank_previous"]
        previous = ("" if math.isnan(last_rank)
                    else f" Last quarter's edition ranked {named} {format_rank(last_rank, value['peer_of'])}.")
        notes += [f":::{{dropdown}} How this was calculated: {literal(m.name)}",
                  f"**Rates per 1,000 population, {period}, "
                  f"{'best' if m.has_better_direction else 'highest'} first:** {ranked}.", "",
                  f"**Group average (pooled):** the group's offences divided by its population, x 1,000 = "
                  f"{_rate(value['peer_average'])}, so a large force weighs more than a small one. The mean of the "
                  f"{int(value['peer_of'])} forces' rates, each weighing the same, is "
                  f"{_rate(value['peer_mean_of_rates'])}"
                  + (f"; to reach it {named} would need "
                     f"{_change(value['peer_change_to_mean_of_rates'], 'offences', 'better than it')}."
                     if m.has_better_direction else ".")
                  + " **Top-quartile boundary** (the rule is above the table): "
                  f"{_rate(value['peer_quartile_boundary'])}.{previous}", "",
                  f"**Sparkline:** offences per quarter, {spark['text'].iloc[0]} to {spark['text'].iloc[-1]}: "
                  + ", ".join(format_count(v) for v in spark["value"]) + ".", ":::", ""]
    header = ["Measure and last 12 quarters", "Rate per 1,000 and rank (last quarter)",
              "Change needed to reach the average (pooled) and top quartile", "Aspiration"]
    official = label == OFFICIAL_LABEL
    caveat = ("" if official else " The Home Office's Most Similar Group lists are not in the open data, so this "
              "group is computed and is not the official one; a force can supply its official group (see Methods).")
    missing = sorted(set(results.loc[results["statistic"] == "peer_member_missing", "force"]))
    gaps = (f" Left out where they have no usable figure (none, no population, or a negative total, where the Home "
            f"Office's adjustments outweigh the crimes recorded): {', '.join(missing)}." if missing else "")
    unranked = mine[mine["statistic"] == "peer_not_ranked"]
    not_ranked = "; ".join(f"{literal(next(m.name for _, m in publication.measures if m.id == r['measure']))}: "
                           f"{literal(r['text'])}" for _, r in unranked.iterrows())
    not_ranked = f"Not ranked for want of a usable figure of {named}'s own: {not_ranked}." if not_ranked else ""
    intro = (f"{named} is compared with its {label}: {', '.join(members)}. They are {method}.{caveat} Rates are "
             f"per 1,000 residents (ONS mid-year population). Rank 1 is the best rate (for crime, the lowest); forces "
             f"with the same rate share a rank. The group average is pooled: the group's offences divided by its "
             f"population, so a large force weighs more than a small one (each measure's calculation gives the mean "
             f"of the forces' rates beside it). {peers.QUARTILE_RULE} The change needed to reach a rate is (the "
             f"rate - {named}'s rate) x {named}'s population / 1,000, in offences.{gaps}")
    statements = position_statements(publication, results, force)
    missing_measures = ("The open data cannot give these, which the last hand-made table also compared: "
                        + "; ".join(literal(m) for m in publication.peer_group_not_available) + "."
                        if publication.peer_group_not_available else "")
    beside = printed_table(printed[0], publication, results, force, printed[1]) if printed is not None else ""
    return "\n\n".join(filter(None, [intro, "\n".join(f"- {s}" for s in statements), markdown_table(header, rows),
                                     not_ranked, _recording_notes(results, force), missing_measures,
                                     stability(mine, members, named), "\n".join(notes), beside]))


def stability(mine: pd.DataFrame, members: list[str], named: str) -> str:
    """How the computed group would change if it were chosen on any one year around its baseline: which members
    it keeps every year, which come and go, and which other forces would join; '' for a group the force supplied."""
    rows = mine[mine["statistic"] == "peer_single_year_member"]
    if rows.empty:
        return ""
    years = list(dict.fromkeys(rows["period_label"]))
    in_years = {name: list(rows.loc[rows["text"] == name, "period_label"]) for name in dict.fromkeys(rows["text"])}
    kept = [m for m in members if len(in_years.get(m, [])) == len(years)]
    varied = [f"{m} ({len(in_years.get(m, []))} of {len(years)})" for m in members if m not in kept]
    joiners = [f"{name} ({', '.join(found)})" for name, found in in_years.items() if name not in members]
    table = markdown_table(["Year chosen on", "Group"], [[y, ", ".join(rows.loc[rows["period_label"] == y, "text"])]
                                                         for y in years])
    return "\n".join([
        ":::{dropdown} How stable the group is",
        f"Chosen on any one of the years {years[0]} to {years[-1]} alone, the same method would give {named} these "
        f"groups. {len(kept)} of the {len(members)} members are in every one"
        + (f" ({and_list(kept)})" if kept else "")
        + (f"; {and_list(varied)} are in some years only (years of {len(years)})" if varied else "")
        + (f"; these forces would join in some years: {and_list(joiners)}" if joiners else "") + ". "
        "Choosing the group once, on the stated baseline, keeps it the same for every edition, so that a change of "
        "rank is a change in the figures, not in the group.", "", table, ":::"])
