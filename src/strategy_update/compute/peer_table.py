"""The comparison-group position table of an edition (the "MSG table"): for each measure the definition marks
``peer_table``, the force's rate per 1,000 population over the headline 12 months, its rank in its group, the group
average and top-quartile boundary, the change required to reach each, the aspiration and whether it is met, the
movement since the previous quarter's edition, and the last 12 quarters for the sparkline.

The group is the force's official Most Similar Group when it supplied one (``most-similar-group.csv``), labelled
"Most Similar Group (Home Office)". Otherwise it is computed from open data (``peers.similar_forces``) and labelled
"similar forces (computed)", never "Most Similar Group": the Home Office's MSG lists are not in the open data.
The rules are in ``compute/peers.py``.
All forces' figures come from one vectorised ``compute_results`` call per quarter.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategy_update.compute import peers
from strategy_update.compute.observations import observations_from_crime
from strategy_update.compute.results import COLUMNS, compute_results, tidy
from strategy_update.core.periods import Quarter
from strategy_update.model.publication import HOME_OFFICE, Measure, Publication

COMPUTED_LABEL = "similar forces (computed)"
OFFICIAL_LABEL = "Most Similar Group (Home Office)"
SPARK_QUARTERS = 12
HEADLINE = "rolling-12-vs-previous-12"


@dataclass(frozen=True)
class PeerGroup:
    force: str
    members: tuple[str, ...]
    label: str
    method: str  # how the members were chosen, in words, for the page
    # a computed group: the group the same method would choose on each single year around its baseline (stability)
    by_year: tuple[tuple[int, tuple[str, ...]], ...] = ()


def stability_years(baseline: tuple[int, ...]) -> tuple[int, ...]:
    """The single years a computed group is also chosen on, to show how much it depends on the years: each year of
    the baseline and the year either side."""
    return tuple(range(baseline[0] - 1, baseline[-1] + 2))


def year_features(crime: pd.DataFrame, population: pd.DataFrame, years: tuple[int, ...]) -> dict[int, pd.DataFrame]:
    """``peers.peer_features`` of each single year the data covers (a year it does not cover is left out)."""
    out = {}
    for year in years:
        try:
            out[year] = peers.peer_features(crime, population, year)
        except ValueError:
            continue
    return out


def computed_group(crime: pd.DataFrame, population: pd.DataFrame, force: str, baseline: tuple[int, ...],
                   features: pd.DataFrame | None = None, single_years: dict[int, pd.DataFrame] | None = None
                   ) -> PeerGroup:
    """The 7 forces most like ``force`` over the ``baseline`` years (``peers.peer_features``), and the group each
    single year around it would give. ``features`` and ``single_years``: worked out once for many forces."""
    features = peers.peer_features(crime, population, baseline) if features is None else features
    single_years = year_features(crime, population, stability_years(baseline)) if single_years is None else single_years
    members = peers.similar_forces(features, force, k=7)
    first, last = Quarter(baseline[0], 1).financial_year, Quarter(baseline[-1], 1).financial_year
    years = first if first == last else f"{first} to {last}"
    method = (f"the 7 forces nearest to {force} in population size and crime mix over {years} (recorded crime per "
              f"1,000 population in each of {len(features.columns) - 1} Home Office offence groups, averaged over "
              "those years, each put on a common scale across the 43 forces), a baseline the publication states and "
              "keeps for all its editions")
    by_year = tuple((year, tuple(group)) for year, group in peers.group_by_year(single_years, force).items())
    return PeerGroup(force, tuple(members), COMPUTED_LABEL, method, by_year)


def official_group(frame: pd.DataFrame, force: str) -> PeerGroup:
    sources = "; ".join(sorted({f"{s} (as of {d})" for s, d in zip(frame["source"], frame["as_of"])}))
    method = f"the group the force supplied in {frame['source_file'].iloc[0]}, from {sources}"
    return PeerGroup(force, tuple(frame["member"]), OFFICIAL_LABEL, method)


def _rates(publication: Publication, measures: list[tuple[str, Measure]], crime: pd.DataFrame,
           population: pd.DataFrame, quarter: Quarter, forces: list[str]) -> pd.DataFrame:
    """force x measure: 12-month count (numerator) and population (denominator), every force at once."""
    observations, rows = observations_from_crime(crime, measures, forces)
    results = compute_results(observations, rows, population, publication_id=publication.id, quarter=quarter,
                              comparisons=[HEADLINE], baseline_end=None, history_quarters=SPARK_QUARTERS,
                              forces=forces)
    current = results[(results["statistic"] == "current") & (results["comparison"] == HEADLINE)]
    people = results[results["statistic"] == "population"]
    frame = current[["force", "measure", "value", "period_label"]].rename(columns={"value": "numerator"}).merge(
        people[["force", "measure", "value"]].rename(columns={"value": "denominator"}), on=["force", "measure"],
        how="left")
    series = results[results["statistic"] == "series"][["force", "measure", "period", "period_label", "value"]]
    return frame, series


def _table_measures(publication: Publication) -> list[tuple[str, Measure]]:
    return [(section.id, m) for section, m in publication.measures if m.peer_table and m.source == HOME_OFFICE]


@dataclass(frozen=True)
class SharedRates:
    """``_rates`` of the edition's quarter (``now``, ``series``) and the one before, for every force of ``forces``."""

    now: pd.DataFrame
    before: pd.DataFrame
    series: pd.DataFrame
    forces: frozenset[str]


def shared_peer_inputs(publication: Publication, forces: list[str], quarter: Quarter, *, crime: pd.DataFrame,
                       population: pd.DataFrame, officials: dict[str, pd.DataFrame | None]
                       ) -> tuple[dict[str, PeerGroup], SharedRates | None]:
    """Many forces' tables at once (the national edition): each force's group, and the figures of every force in
    any group from two vectorised ``compute_results`` calls instead of two per force. ``officials``: the groups
    forces supplied (a force without one gets a computed group)."""
    measures = _table_measures(publication)
    if not measures:
        return {}, None
    baseline, features, single_years, groups = publication.peer_baseline, None, None, {}
    for force in forces:
        if officials.get(force) is not None:
            groups[force] = official_group(officials[force], force)
            continue
        if features is None:
            features = peers.peer_features(crime, population, baseline)
            single_years = year_features(crime, population, stability_years(baseline))
        groups[force] = computed_group(crime, population, force, baseline, features, single_years)
    everyone = sorted({name for force, group in groups.items() for name in (force, *group.members)})
    now, series = _rates(publication, measures, crime, population, quarter, everyone)
    before, _ = _rates(publication, measures, crime, population, quarter.shift(-1), everyone)
    return groups, SharedRates(now, before, series, frozenset(everyone))


def peer_results(publication: Publication, force: str, quarter: Quarter, *, crime: pd.DataFrame,
                 population: pd.DataFrame, official: pd.DataFrame | None = None, group: PeerGroup | None = None,
                 shared: SharedRates | None = None) -> pd.DataFrame:
    """The table's figures as rows of the results table (statistics ``peer_*``); empty when no measure is marked.
    ``group`` and ``shared``: worked out once for many forces (``shared_peer_inputs``)."""
    measures = _table_measures(publication)
    if not measures:
        return tidy(pd.DataFrame(columns=COLUMNS))
    group = group or (official_group(official, force) if official is not None
                      else computed_group(crime, population, force, publication.peer_baseline))
    forces = [force, *group.members]
    if shared is not None and set(forces) <= shared.forces:  # each force's figures are its own: same numbers
        now, before, series = shared.now, shared.before, shared.series
    else:
        now, series = _rates(publication, measures, crime, population, quarter, forces)
        before, _ = _rates(publication, measures, crime, population, quarter.shift(-1), forces)
    records = [{"section": "", "measure": "", "statistic": "peer_group_member", "force": force, "value": float(i),
                "text": name} for i, name in enumerate(group.members, start=1)]
    records += [{"section": "", "measure": "", "statistic": "peer_group", "force": force,
                 "value": float(len(group.members)), "text": group.label},
                {"section": "", "measure": "", "statistic": "peer_group_method", "force": force, "value": None,
                 "text": group.method}]
    records += [{"section": "", "measure": "", "statistic": "peer_single_year_member", "force": force,
                 "value": float(i), "text": name, "period_label": Quarter(year, 1).financial_year}
                for year, members in group.by_year for i, name in enumerate(members, start=1)]
    for section_id, m in measures:
        try:
            current = peers.group_position(now[now["measure"] == m.id], force, list(group.members),
                                           lower_is_better=m.lower_is_better, per=1000.0)
        except ValueError as exc:  # no usable figure of the force's own (none, no population, a negative total)
            period = now.loc[(now["measure"] == m.id) & (now["force"] == force), "period_label"]
            records.append({"section": section_id, "measure": m.id, "force": force, "statistic": "peer_not_ranked",
                            "value": None, "text": str(exc).replace(f"'{force}' has", "it has"),
                            "period_label": str(period.iloc[0]) if len(period) else ""})
            continue
        try:
            previous = peers.group_position(before[before["measure"] == m.id], force, list(group.members),
                                            lower_is_better=m.lower_is_better, per=1000.0)
        except ValueError:
            previous = None
        met = peers.aspiration_met(current, m.aspiration)
        period = str(now.loc[(now["measure"] == m.id) & (now["force"] == force), "period_label"].iloc[0])
        base = {"section": section_id, "measure": m.id, "force": force, "period_label": period}
        figures = {"peer_rate": current.rate, "peer_rank": current.rank, "peer_of": current.of,
                   "peer_average": current.group_average, "peer_mean_of_rates": current.mean_of_rates,
                   "peer_change_to_mean_of_rates": current.change_to_mean_of_rates,
                   "peer_quartile_boundary": current.quartile_boundary,
                   "peer_change_to_average": current.change_to_average,
                   "peer_change_to_top_quartile": current.change_to_top_quartile,
                   "peer_rank_previous": previous.rank if previous else None,
                   "peer_aspiration_met": None if met is None else float(met)}
        records += [{**base, "statistic": name, "value": value} for name, value in figures.items()]
        records.append({**base, "statistic": "peer_movement", "value": None,
                        "text": peers.movement(current, previous)})
        records += [{**base, "force": name, "statistic": "peer_member_rate", "value": rate, "text": str(order)}
                    for order, (name, rate) in enumerate(current.rates, start=1)]
        records += [{**base, "force": name, "statistic": "peer_member_missing", "value": None}
                    for name in current.missing]
        mine = series[(series["force"] == force) & (series["measure"] == m.id)].tail(SPARK_QUARTERS)
        records += [{**base, "statistic": "peer_spark", "value": v, "period": p, "text": label}
                    for p, label, v in zip(mine["period"], mine["period_label"], mine["value"])]
    frame = pd.DataFrame(records).assign(publication=publication.id)
    frame["value"] = frame["value"].astype(float)
    frame["lines"] = [[] for _ in range(len(frame))]
    return tidy(frame)
