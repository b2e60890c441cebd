"""The national index's pages: every force's edition with its headline figures and Most Similar Group positions,
and a national summary (totals and rates of the forces together, forces ranked per measure, a tile grid of all
forces). Every figure comes from the national results table (every force's rows of the edition results schema,
``compute/results.py``); the totals, rates of the forces together and ranks are worked out here from its rows.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from datetime import datetime
from html import escape

import pandas as pd

from strategy_update.compute.measures import pct_change, rate_per_thousand
from strategy_update.core.formatting import (
    count_phrase,
    format_count,
    format_ordinal,
    format_pct,
    format_rank,
    format_rate,
    format_value,
)
from strategy_update.core.markup import literal
from strategy_update.model.forces import display_name
from strategy_update.model.publication import FORCE_EXTRACT, Measure, Publication, Section
from strategy_update.render.tables import markdown_table

PUBLISHED, UP_TO_DATE, FAILED, NOT_BUILT = "published", "up to date", "failed", "not built"
BUILT = (PUBLISHED, UP_TO_DATE)
COMPARISON_STATISTICS = ("current", "base", "change", "pct_change")
SUMMARY_PAGE = "summary"
CHART_MIN_WIDTH = 640  # px: the tile grid's narrowest readable width
# The national index is published at <out>/<publication>/national/<quarter>/html/: four folders below <out>.
TO_OUTPUT_FOLDER = "../../../../"


@dataclass(frozen=True)
class EditionEntry:
    force: str  # "Kent"
    slug: str  # "kent"
    status: str  # "published" | "up to date" | "failed" | "not built"
    link: str | None  # the edition's front page relative to the output folder
    message: str = ""  # why it failed, in words
    revisions: tuple = ()  # its corrections (build/revisions.Version), oldest first

    @property
    def built(self) -> bool:
        return self.status in BUILT


# --- figures from the results table --------------------------------------------------------------------
def force_figures(publication: Publication, results: pd.DataFrame) -> pd.DataFrame:
    """One row per force and measure (force-wide figures): the comparison its rate per 1,000 goes with (the
    headline, or for a count at 31 March the comparison of two 31 Marches), its labels, current, base, change,
    pct_change, population, rate_per_1000, and the Most Similar Group rank and group size where there is one."""
    wide = results[results["area"] == ""]
    headline = publication.comparisons[0]
    rate_rows = wide[wide["statistic"] == "rate_per_1000"]
    compared = dict(zip(rate_rows["measure"], rate_rows["comparison"]))
    rows = wide[wide["statistic"].isin(COMPARISON_STATISTICS)]
    rows = rows[rows["comparison"] == rows["measure"].map(compared).fillna(headline)]
    key = ["force", "measure"]
    table = rows.pivot_table(index=key, columns="statistic", values="value", aggfunc="first", dropna=False)
    table = table.reindex(columns=list(COMPARISON_STATISTICS)).reset_index()
    labels = rows.groupby(key, as_index=False)[["section", "comparison", "period_label", "base_period_label"]].first()
    table = labels.merge(table, on=key, how="left")
    for statistic in ("population", "rate_per_1000", "peer_rank", "peer_of"):
        values = wide[wide["statistic"] == statistic].groupby(key)["value"].first().rename(statistic)
        table = table.merge(values, left_on=key, right_index=True, how="left")
    return table


def headline_measures(publication: Publication, figures: pd.DataFrame) -> list[tuple[Section, Measure]]:
    """Per headline slot of each section (``Section.headline_slots``), the measure to compare forces by: of the
    slot's candidates, the one with a current figure for the most forces (open data, which every force has, rather
    than a force's own extract), the definition's order breaking ties."""
    counted = figures[figures["current"].notna()].groupby("measure")["force"].nunique()
    out = []
    for section in publication.leaves:
        for slot in section.headline_slots:
            found = [m for m in slot if counted.get(m.id, 0) > 0]
            if found:
                best = max(counted[m.id] for m in found)
                out.append((section, next(m for m in found if counted[m.id] == best)))
    return out


def peer_measures(publication: Publication, figures: pd.DataFrame) -> list[Measure]:
    """The measures with a Most Similar Group position, in the definition's order."""
    ranked = set(figures.loc[figures["peer_rank"].notna(), "measure"])
    return [m for _, m in publication.measures if m.id in ranked] if publication.peer_group_label else []


@dataclass(frozen=True)
class Total:
    """A measure's figure for the forces together, or why there is none."""

    measure: Measure
    forces: int  # forces with a figure
    period_label: str = ""
    base_period_label: str = ""
    current: float | None = None
    base: float | None = None
    population: float | None = None
    reason: str = ""  # why no total: '' when there is one

    @property
    def pct_change(self) -> float | None:
        return pct_change(self.current, self.base)  # one rule for every % change (compute/measures.py)

    @property
    def rate(self) -> float | None:
        return rate_per_thousand(self.current, self.population)


NOT_SUMMABLE = "averages and shares, which cannot be added across forces"
NOT_EVERY_FORCE = "figures not every force has (a force's own figures, not open data)"


def national_totals(publication: Publication, figures: pd.DataFrame, forces: list[str]) -> list[Total]:
    """Each measure summed over ``forces`` (the forces built), its rate from their summed population. A share or an
    average cannot be added across forces, and a force's own extract is missing for forces that did not supply
    one: those get a reason instead of a total."""
    out = []
    for _, m in publication.measures:
        mine = figures[(figures["measure"] == m.id) & figures["force"].isin(forces) & figures["current"].notna()]
        if not m.summable:
            out.append(Total(m, len(mine), reason=NOT_SUMMABLE))
        elif m.source == FORCE_EXTRACT or mine.empty or len(mine) < len(forces):
            out.append(Total(m, len(mine), reason=NOT_EVERY_FORCE))
        else:
            base = mine["base"]
            out.append(Total(m, len(mine), str(mine["period_label"].iloc[0]), str(mine["base_period_label"].iloc[0]),
                             float(mine["current"].sum()), float(base.sum()) if base.notna().all() else None,
                             float(mine["population"].sum()) if mine["population"].notna().all() else None))
    return out


def ranked(figures: pd.DataFrame, measure: Measure) -> pd.DataFrame:
    """The forces with a rate per 1,000 for ``measure``, best first (lowest, for crime; highest first for a measure
    with no better direction); equal rates share a rank."""
    mine = figures[(figures["measure"] == measure.id) & figures["rate_per_1000"].notna()].copy()
    mine["rank"] = mine["rate_per_1000"].rank(method="min", ascending=bool(measure.lower_is_better))
    return mine.sort_values(["rank", "force"]).reset_index(drop=True)


# --- the pages ----------------------------------------------------------------------------------------
def build_state(editions: list[EditionEntry], built_at: datetime) -> str:
    """The line every page opens with: how many of how many editions were built, and when."""
    built = sum(e.built for e in editions)
    failed = sum(e.status == FAILED for e in editions)
    when = f"{built_at.day} {built_at:%B %Y} at {built_at:%H:%M} UTC"
    tail = f"; {count_phrase(failed, 'edition')} failed" if failed else ""
    return (f"**Build:** {built} of {count_phrase(len(editions), 'edition')} built, on {when}{tail}.")


def _link(text: str, link: str) -> str:
    """A link to a published file outside this site (another edition): plain HTML, relative to this page."""
    return f'<a href="{escape(TO_OUTPUT_FOLDER + link)}">{escape(text)}</a>'


def _status(entry: EditionEntry) -> str:
    if entry.status == FAILED:
        return ("Failed" + (f": {literal(entry.message)}" if entry.message else "")
                + ("; the link is to its last good edition" if entry.link else ""))
    # Built in this run or in an earlier one, with the same inputs: the same edition, for a reader.
    shown = {PUBLISHED: "Built", UP_TO_DATE: "Built", NOT_BUILT: "Not built"}.get(entry.status, literal(entry.status))
    if entry.revisions:
        latest = entry.revisions[-1]
        shown += f"; corrected on {latest.published_label} (version {latest.number})"
    return shown


def _headline_cell(row: pd.Series | None, measure: Measure, icon: str = "") -> str:
    if row is None or pd.isna(row["current"]):
        return "no figure"
    change = "" if pd.isna(row["pct_change"]) else f" ({format_pct(row['pct_change'])})"
    return f"{format_value(row['current'], measure.unit)}{change}" + (f" <br>{icon}" if icon else "")


def variation_icons(results: pd.DataFrame, measures: list[Measure]) -> dict[tuple[str, str], str]:
    """(force, measure id) -> Making Data Count's icon and words for the latest quarter of the force-wide control
    chart, and its assurance where the measure has a target (render/mdc_icons.py)."""
    from strategy_update.compute.results import chart_from_results
    from strategy_update.render import mdc_icons

    wanted = {m.id: m for m in measures}
    spc_rows = results[results["statistic"].str.startswith("spc_") & (results["area"] == "")
                       & results["measure"].isin(list(wanted))]
    out = {}
    for (force, measure_id), rows in spc_rows.groupby(["force", "measure"], sort=False):
        chart, _ = chart_from_results(rows)
        m = wanted[measure_id]
        icons = [mdc_icons.variation(chart, m.lower_is_better),
                 mdc_icons.assurance(chart, m.target, m.lower_is_better)]
        out[force, measure_id] = " <br>".join(mdc_icons.labelled(i) for i in icons if i is not None)
    return out


def _table(caption: str, header: list[str], rows: list[list[str]]) -> str:
    """A pipe table with a caption (MyST's table directive)."""
    return f":::{{table}} {caption}\n:name: {_slug(caption)}\n\n{markdown_table(header, rows)}\n:::"


def _slug(text: str) -> str:
    return "-".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


SWEEP_REPORT = "sweep/index.html"  # the sweep's report, under the output folder (build/sweep.py)


def index_markdown(publication: Publication, results: pd.DataFrame, editions: list[EditionEntry],
                   quarter_label: str, built_at: datetime, sweep_report: bool = False) -> str:
    """The national index's front page: one row per edition (failed ones with their reason and no link), the
    headline figures with their change, and each force's position in its Most Similar Group. ``sweep_report``:
    link the sweep's report (what built and what failed across publications, quarters and forces)."""
    figures = force_figures(publication, results)
    by_key = {(r.force, r.measure): r for r in figures.itertuples(index=False)}
    headlines = headline_measures(publication, figures)
    entries = sorted(editions, key=lambda e: e.force)

    def row_of(force: str, measure: Measure) -> pd.Series | None:
        found = by_key.get((force, measure.id))
        return None if found is None else pd.Series(found._asdict())

    def force_cell(entry: EditionEntry) -> str:
        return _link(entry.force, entry.link) if entry.link else literal(entry.force)

    text = [f"# {literal(publication.short_title)}: every force, {quarter_label}", build_state(editions, built_at),
            f"This is the {literal(publication.title)} applied to each police force listed below: one edition "
            "per force, each built from the same definition and the same open data (and a force's own figures where "
            "it supplied them). Follow a force's name to its edition. An edition that could not be built this time "
            "is listed with the reason; its name links to its last good edition, if there is one, and its figures "
            "are left out below and from the national summary.",
            f"The [national summary]({SUMMARY_PAGE}.md) adds the forces together and ranks them per measure. "
            f"Every edition of every publication is listed on the {_link('list of all editions', 'index.html')}."
            + (f" The {_link('sweep report', SWEEP_REPORT)} says which editions of a stated set of publications, "
               "quarters and forces built, which failed, and why." if sweep_report else "")]
    # Every edition has a row, whether or not there are figures to show beside it.
    if headlines:
        first = next((r for r in figures.itertuples() if r.measure == headlines[0][1].id
                      and not pd.isna(r.current)), None)
        period = (f"the {first.period_label}, with the change {_on(first.base_period_label)} in brackets"
                  if first is not None else "the latest period")
        text.append(f"## Headline figures\n\nEach {publication.leaf_level.name.lower()}'s headline measure for "
                    f"{period}, and Making Data Count's icon for the variation of its latest quarter on the force's "
                    "control chart. Counts are the force's own totals, not rates: compare forces on the "
                    f"[national summary]({SUMMARY_PAGE}.md)'s rates per 1,000 residents.")
    else:
        text.append("## Editions\n\nNo figures were computed for this quarter.")
    header = ["Force", "Edition"] + [literal(m.name) for _, m in headlines]
    icons = variation_icons(results, [m for _, m in headlines]) if headlines else {}
    rows = [[force_cell(e), _status(e)] + [_headline_cell(row_of(e.force, m), m, icons.get((e.force, m.id), ""))
                                           for _, m in headlines] for e in entries]
    text.append(_table(f"{'Headline figures' if headlines else 'Editions'} per force, {quarter_label}", header, rows))
    corrected = [e for e in entries if e.revisions]
    if corrected:
        text.append("## Revisions\n\nThese editions were corrected after they were first published. Each edition's "
                    "front page says which figures moved, and keeps the version it replaced.\n\n" + "\n".join(
                        f"- {force_cell(e)}: " + "; ".join(f"version {v.number}, {v.published_label}: "
                                                          f"{literal(v.reason)}" for v in e.revisions)
                        for e in corrected))
    peers = peer_measures(publication, figures)
    if peers:
        label = literal(publication.peer_group_label)
        text.append(f"## Position in its {label}\n\nEach force's rank among the forces of its {label} (rank 1 is "
                    "the best rate per 1,000 residents; for crime, the lowest). Each edition's position table "
                    "names the group's members and the change needed to reach the group's average."
                    + _computed_groups(results, [e.force for e in entries]))
        rows = []
        for e in entries:
            cells = []
            for m in peers:
                row = row_of(e.force, m)
                cells.append("no position" if row is None or pd.isna(row["peer_rank"])
                             else format_rank(row["peer_rank"], row["peer_of"]))
            rows.append([force_cell(e)] + cells)
        text.append(_table(f"Position in the {label} per force, {quarter_label}",
                           ["Force"] + [literal(m.name) for m in peers], rows))
    return "\n\n".join(text) + "\n"


def _computed_groups(results: pd.DataFrame, forces: list[str]) -> str:
    """A sentence naming the forces whose group was computed from open data rather than supplied as the Home
    Office's list ('' when every group is the official one)."""
    from strategy_update.compute.peer_table import OFFICIAL_LABEL

    groups = results[(results["statistic"] == "peer_group") & results["force"].isin(forces)]
    computed = sorted(set(groups.loc[groups["text"] != OFFICIAL_LABEL, "force"]))
    if not computed:
        return ""
    whose = "every force" if len(computed) == len(set(groups["force"])) else ", ".join(computed)
    return (f" The groups of {whose} are computed from open data (the Home Office's lists are not published as "
            "open data), so they may differ from the official ones.")


def _area_name(forces: list[str], all_forces: int | None) -> str:
    """'England and Wales' when every force is in; otherwise says which forces the totals cover."""
    if all_forces is not None and len(forces) == all_forces:
        return "England and Wales"
    return f"the {count_phrase(len(forces), 'force')} built"


def totals_markdown(totals: list[Total], area: str) -> str:
    """One table per period compared (e.g. 12 months of crime, then counts at 31 March), so that each row holds
    only its figures."""
    periods: dict[tuple[str, str], list[Total]] = {}
    for t in totals:
        if not t.reason:
            periods.setdefault((t.period_label, t.base_period_label), []).append(t)
    text = []
    for (period, base), group in periods.items():
        rows = [[literal(t.measure.name), f"{format_value(t.current, t.measure.unit)} {literal(t.measure.unit)}",
                 format_pct(t.pct_change) if t.pct_change is not None else "no comparison",
                 _rate(t.rate) if t.rate is not None else "no population"] for t in group]
        text.append(_table(f"Totals for {area}, {literal(period)} (change {_on(literal(base))})",
                           ["Measure", "Total", "Change", "Rate per 1,000 residents"], rows))
    return "\n\n".join(text)


def not_added_markdown(totals: list[Total]) -> str:
    """The measures with no total, grouped by why."""
    text = []
    for reason in (NOT_EVERY_FORCE, NOT_SUMMABLE):
        names = [literal(t.measure.name) for t in totals if t.reason == reason]
        if names:
            text.append(f"{reason[0].upper()}{reason[1:]}: " + "; ".join(names) + ".")
    return "\n\n".join(text)


def _on(label: str) -> str:
    """``on the 12 months ending March 2021``; ``on 31 March 2021`` for a count at a date."""
    return f"on {label.removeprefix('at ')}" if label.startswith("at ") else f"on the {label}"


def _rate(value: float) -> str:
    """Two decimals; three significant figures below 1 (homicide is about 0.01 per 1,000), as the position table."""
    if value == 0 or abs(value) >= 1:
        return format_rate(value, 2)
    return format_rate(value, 2 - math.floor(math.log10(abs(value))))


def ranking_markdown(figures: pd.DataFrame, measures: list[Measure], forces: list[str]) -> str:
    """One note per measure, opened on demand: the forces ranked by their rate per 1,000 residents."""
    text = []
    built = figures[figures["force"].isin(forces)]
    for m in measures:
        table = ranked(built, m)
        if table.empty:
            continue
        period = str(table["period_label"].iloc[0])
        rows = [[format_ordinal(r["rank"]), literal(r["force"]), _rate(r["rate_per_1000"]),
                 format_value(r["current"], m.unit)] for _, r in table.iterrows()]
        order = ("the lowest rate" if m.lower_is_better else "the highest rate" if m.has_better_direction else
                 "the highest rate (neither a higher nor a lower rate is better for this measure)")
        text += [f":::{{dropdown}} {literal(m.name)}: forces ranked",
                 f"Rate per 1,000 residents, {literal(period)}; rank 1 is {order}, and equal rates share a "
                 "rank.", "", _table(f"{literal(m.name)}: forces ranked by rate per 1,000 residents",
                                     ["Rank", "Force", "Rate per 1,000", literal(m.unit.capitalize())], rows), ":::",
                 ""]
    return "\n".join(text)


# A force with fewer residents than this share of the median force's (the City of London: a few thousand residents,
# hundreds of thousands of workers and visitors): its rates per resident are far above every other force's.
SMALL_POPULATION_SHARE = 0.1


def small_populations(figures: pd.DataFrame, forces: list[str]) -> list[tuple[str, float, float]]:
    """(force, residents, the median force's residents) for each force under SMALL_POPULATION_SHARE of the median
    (three forces at least, so that a median means something)."""
    people = figures[figures["force"].isin(forces)].groupby("force")["population"].max().dropna()
    if len(people) < 3:
        return []
    median = float(people.median())
    return [(force, float(n), median) for force, n in people.items() if n < SMALL_POPULATION_SHARE * median]


def small_population_note(figures: pd.DataFrame, forces: list[str]) -> str:
    """Why such a force's rates and ranks are not like the others' ('' when there is none)."""
    small = small_populations(figures, forces)
    if not small:
        return ""
    named = "; ".join(f"{literal(display_name(force))} has {format_count(n)} residents" for force, n, _ in small)
    it, its = ("it", "its") if len(small) == 1 else ("them", "their")
    return (f"**Read with care:** a rate per 1,000 residents sets crime against the people who live in an area. "
            f"{named}, under a tenth of the median force's {format_count(small[0][2])}, while far more people "
            f"work in or visit {it}; so {its} rates are far above every other force's, and say little about the "
            "risk to a person there.")


# --- the tile grid --------------------------------------------------------------------------------------
def tile_data(figures: pd.DataFrame, totals: list[Total], measures: list[Measure], forces: list[str]) -> pd.DataFrame:
    """Per force and measure: its rate per 1,000, the forces' rate together and how far above or below it is."""
    overall = {t.measure.id: t.rate for t in totals if t.rate is not None}
    rows = []
    for m in measures:
        if m.id not in overall:
            continue
        for _, r in ranked(figures[figures["force"].isin(forces)], m).iterrows():
            rows.append({"force": r["force"], "measure": m.name, "period": r["period_label"],
                         "rate_per_1000": r["rate_per_1000"], "all_forces_rate_per_1000": overall[m.id],
                         "difference_pct": (r["rate_per_1000"] / overall[m.id] - 1) * 100 if overall[m.id] else None,
                         "lower_is_better": m.lower_is_better})
    return pd.DataFrame(rows, columns=["force", "measure", "period", "rate_per_1000", "all_forces_rate_per_1000",
                                       "difference_pct", "lower_is_better"])


def tile_chart(data: pd.DataFrame, area: str):
    """A tile per force (rows) and measure (columns): its rate's difference from the forces' rate together,
    written in the tile and coloured blue when better, pink when worse (the words carry it, not the colour)."""

    from strategy_update.render import charts

    forces = sorted(data["force"].unique(), reverse=True)  # plotly draws the first row at the bottom
    measures = list(dict.fromkeys(data["measure"]))
    value = {(r.force, r.measure): r for r in data.itertuples()}
    worse, text, hover = [], [], []
    for force in forces:
        worse.append([]), text.append([]), hover.append([])
        for measure in measures:
            r = value.get((force, measure))
            if r is None or pd.isna(r.difference_pct):
                worse[-1].append(None), text[-1].append(""), hover[-1].append(f"{force}, {measure}: no figure")
                continue
            # a measure with no better direction is left white: its number is a difference, not a verdict
            worse[-1].append(0.0 if r.lower_is_better is None or pd.isna(r.lower_is_better)
                             else r.difference_pct if r.lower_is_better else -r.difference_pct)
            text[-1].append(format_pct(r.difference_pct, 0))
            hover[-1].append(f"{force}, {measure}: {_rate(r.rate_per_1000)} per 1,000 "
                             f"({format_pct(r.difference_pct, 0)} on {area}'s {_rate(r.all_forces_rate_per_1000)})")
    known = [abs(v) for row in worse for v in row if v is not None]
    limit = max(known) if known else 1
    neither = "; white: neither direction is better" if data["lower_is_better"].isna().any() else ""
    fig = charts.figure(f"Rate per 1,000 residents: each force against {area} (blue: better; pink: worse{neither})",
                        "")
    fig.add_heatmap(
        z=worse, x=["<br>".join(textwrap.wrap(m, 12)) for m in measures], y=forces, text=text,
        texttemplate="%{text}", customdata=hover, hovertemplate="%{customdata}<extra></extra>", xgap=2, ygap=2,
        zmin=-limit, zmax=limit, colorscale=[[0, charts.DARK_BLUE], [0.5, "#FFFFFF"], [1, charts.DARK_PINK]],
        showscale=False)
    # The key is in the title: the tiles' own numbers carry the reading, so a colour bar would only take room.
    # The measures' names sit above the tiles (a long grid is read from the top): the title goes at the very top,
    # with room below it for names of up to five lines.
    fig.update_layout(height=max(360, 220 + 26 * len(forces)), margin={"l": 10, "r": 10, "t": 165, "b": 10},
                      title={"y": 1, "yanchor": "top", "pad": {"t": 12}},
                      xaxis={"side": "top", "showgrid": False, "ticks": "", "showline": False, "tickangle": 0,
                             "tickfont": {"size": 11}},
                      yaxis={"showgrid": False, "ticks": "", "showline": False, "rangemode": "normal"})
    return fig


def tile_alt(data: pd.DataFrame, area: str) -> str:
    forces, measures = data["force"].nunique(), list(dict.fromkeys(data["measure"]))
    text = (f"Tile grid of {count_phrase(forces, 'force')} by {count_phrase(len(measures), 'measure')} "
            f"({', '.join(measures)}): each tile gives how far the force's rate per 1,000 residents is above (+) or "
            f"below (-) the rate of {area} together, blue where better and pink where worse"
            + (", white for a measure that has no better direction." if data["lower_is_better"].isna().any() else "."))
    known = data.dropna(subset=["difference_pct"])
    if not known.empty:
        high = known.loc[known["difference_pct"].idxmax()]
        low = known.loc[known["difference_pct"].idxmin()]
        def tile(row: pd.Series) -> str:
            return f"{row['force']}, {row['measure'].lower()} ({format_pct(row['difference_pct'], 0)})"
        text += f" Furthest above: {tile(high)}. Furthest below: {tile(low)}."
    return text


def chart_html(fig, alt: str) -> str:
    """The chart for a Markdown page (plotly.js is loaded once by the site, as in the editions)."""
    from strategy_update.render.chart_images import CHART_CONFIG

    html = fig.to_html(include_plotlyjs=False, full_html=False, config=CHART_CONFIG)
    # A tile grid cannot reflow to a phone's width (each measure needs its column): below CHART_MIN_WIDTH it
    # scrolls sideways inside its own box, focusable for the keyboard, as the wide tables do.
    return (f'```{{raw}} html\n<div class="chart-scroll" tabindex="0" style="overflow-x: auto">'
            f'<div role="figure" aria-label="{escape(alt)}" style="min-width: {CHART_MIN_WIDTH}px">{html}</div>'
            '</div>\n```')


def forecast_record_markdown(publication: Publication, per_measure: pd.DataFrame, overall: pd.DataFrame,
                             area: str) -> str:
    """The forecasts' track record pooled over every force, per measure (``compute/track_record.py``'s tables: the
    figures are computed in the national run; this only writes them)."""
    from strategy_update.compute.forecast_backtest import TIE
    from strategy_update.compute.forecast_models import CANDIDATES
    from strategy_update.render.forecast_chart import MODEL_NAMES, format_mase, format_share

    names = {m.id: m.name for _, m in publication.measures}

    def cells(r) -> list[str]:
        chose = "; ".join(f"{MODEL_NAMES[name]} {int(r[f'chose_{name}'])}" for name in CANDIDATES
                          if r[f"chose_{name}"])
        return [f"{int(r['forecasts']):,}", f"{int(r['points']):,}",
                f"{int(r['inside_80']):,} ({format_share(r['coverage_80'])})",
                f"{int(r['inside_95']):,} ({format_share(r['coverage_95'])})", format_mase(r["mase"]),
                format_mase(r["naive_mase"]), f"{int(r['beats_naive']):,} of {int(r['forecasts']):,}", chose]
    rows = [[literal(names.get(r["measure"], r["measure"]))] + cells(r) for _, r in per_measure.iterrows()]
    rows += [["**All measures**"] + cells(r) for _, r in overall.iterrows()]
    text = ["## Forecast track record",
            f"Each edition forecasts every measure with a quarterly series, with the model its back test supports (the "
            f"simplest of the seasonal naive, the seasonal average and exponential smoothing within {round(TIE * 100)}%"
            " of the lowest MASE) and intervals set from that model's own past errors. Here the back tests of "
            f"{area} are pooled per measure: how many past forecasts fell inside their 80% and 95% intervals "
            "(each scored against intervals set only from errors known when it was made), the MASE of the "
            "published models and of the seasonal naive over the same forecasts (each force weighted by its "
            "past forecasts), how many forces' published model beat the seasonal naive, and which models were "
            "chosen.",
            _table(f"Forecast track record per measure, {area}",
                   ["Measure", "Forecasts", "Past forecasts", "Inside 80% interval", "Inside 95% interval", "MASE",
                    "Seasonal naive's MASE", "Beat the seasonal naive", "Models chosen"], rows)]
    return "\n\n".join(text)


def summary_markdown(publication: Publication, results: pd.DataFrame, editions: list[EditionEntry],
                     quarter_label: str, built_at: datetime, all_forces: int | None = None,
                     chart_csv: str = "downloads/national-tile-grid.csv",
                     forecast_record: tuple[pd.DataFrame, pd.DataFrame] | None = None) -> tuple[str, pd.DataFrame]:
    """The national summary page and its chart's data (written by the caller to ``chart_csv``, beside the page).
    ``all_forces``: how many forces England and Wales has (the population table's), so that totals over fewer
    forces are not called national. ``forecast_record``: the forecasts' track record per measure and over every
    measure (``compute/track_record.py``), when any force has a forecast."""
    figures = force_figures(publication, results)
    forces = sorted({e.force for e in editions if e.built} & set(figures["force"]))
    if not forces:
        return (f"# National summary, {quarter_label}\n\n{build_state(editions, built_at)}\n\nNo force's edition "
                "was built, so there is nothing to add up.\n", tile_data(figures, [], [], []))
    area = _area_name(forces, all_forces)
    totals = national_totals(publication, figures, forces)
    headlines = [m for _, m in headline_measures(publication, figures)]
    data = tile_data(figures, totals, headlines, forces)
    text = [f"# National summary, {quarter_label}", build_state(editions, built_at),
            f"Figures for {area}: each measure's count added up over the forces, and its rate per 1,000 residents "
            "worked out from their counts and their populations added up (ONS mid-year estimates), not by averaging "
            "the forces' rates. Only forces whose edition was built are included"
            + ("." if area == "England and Wales" else
               f", so these are not totals for England and Wales ({len(forces)}"
               + (f" of {all_forces}" if all_forces else "") + " forces)."),
            "## Totals", totals_markdown(totals, area)]
    if not data.empty:
        alt = tile_alt(data, area)
        text += ["## Each force against the total",
                 "Each tile compares a force's rate per 1,000 residents with the rate of the forces together for a "
                 f"{publication.leaf_level.name.lower()}'s headline measure. The number in the tile is the difference "
                 "in per cent, so the chart does not depend on its colours.",
                 chart_html(tile_chart(data, area), alt),
                 f"*Chart description:* {literal(alt)} [Download the chart data (CSV)]({chart_csv})"]
        text += [note] if (note := small_population_note(figures, forces)) else []
    rankable = [t.measure for t in totals if not t.reason]
    if rankable:
        text += ["## Forces ranked per measure",
                 "Open a measure to see the forces ranked by their rate per 1,000 residents.",
                 ranking_markdown(figures, rankable, forces)]
    if any(t.reason for t in totals):
        text += ["## Measures not added up", not_added_markdown(totals)]
    if forecast_record is not None and not forecast_record[0].empty:
        text.append(forecast_record_markdown(publication, *forecast_record, area))
    return "\n\n".join(text) + "\n", data
