"""A force's position in its Most Similar Group (MSG), worked out as the Home Office iQuanta tool prints it.

Rules, in words:

- **The group** is the force and its comparison forces. When a force has not supplied its official MSG, a group
  is computed: the forces most like it in population size and crime mix (see ``similar_forces``).
- **A force's rate** is its count divided by its base, times ``per``: offences per 1,000 population, or a
  percentage (solved outcomes out of offences). A comparison force with no figures, a base of zero or a negative
  count (Home Office adjustments larger than the crimes recorded) is left out of the group and named as missing;
  it is never silently dropped. The force itself in that case has no position for the measure (``ValueError``,
  which the position table turns into a row saying why it is not ranked).
- **Rank** 1 is the best rate (the lowest when lower is better). Forces with exactly the same rate share a rank
  and the next rank is skipped (1, 2, 2, 4).
- **The group average** is the group's total count divided by its total base (the force included), as the
  inspectorate's dashboards do: a large force weighs more than a small one (pooled). It is not the mean of the
  rates, which is worked out beside it (every force weighing the same) so that a reader can see the difference.
- **The top quartile** is stated in ``QUARTILE_RULE``.
- **Change required** is how far the force is from the average or the top quartile boundary, in the measure's
  own units: for a rate per population, the number of offences (negative means fewer offences are needed);
  for a percentage, percentage points. A force already at or better than the target needs no change
  ("N/A - already better than average", "N/A - already within top quartile").
- **Movement** compares the rank with the previous quarterly edition; it cannot be compared when either edition
  has no position or the groups are of different sizes.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from strategy_update.core.periods import Quarter

QUARTILE_RULE = ("The top quartile is the best quarter of the group, rounded up: the best ceil(n/4) forces of n "
                 "(2 of 8, 2 of 7). Its boundary is the rate of the force ranked ceil(n/4)-th; a force is within "
                 "the top quartile when its rank is ceil(n/4) or better.")
PERCENT = 100.0  # per == 100: the measure is a percentage and its change is in percentage points
ASPIRATION_FORMS = "'upper quartile', 'better than average' or 'rank N' (for example 'rank 4' = 4th or better)"
# moved: a measure with no better direction
MOVEMENTS = ("improved", "deteriorated", "moved", "unchanged", "not comparable")
POPULATION_FEATURE = "log10 population"


# --- a computed comparison group -----------------------------------------------------------------------
def similar_forces(features: pd.DataFrame, force: str, k: int = 7) -> list[str]:
    """The ``k`` forces most like ``force``: every feature column is put on a common scale (z-score across all
    forces: minus the mean, divided by the population standard deviation), and the forces nearest to ``force``
    by straight-line (Euclidean) distance are taken, ties broken by force name. A column that does not vary
    (zero spread) or has any missing value is left out: it cannot tell forces apart, or cannot be scored for
    every force."""
    if force not in features.index:
        raise ValueError(f"'{force}' is not among the forces in the feature table")
    repeated = sorted(set(features.index[features.index.duplicated()]))
    if repeated:
        raise ValueError(f"forces listed twice in the feature table: {repeated}")
    if k < 1 or len(features) - 1 < k:
        raise ValueError(f"cannot choose {k} similar forces for '{force}': {len(features) - 1} other forces exist")
    values = features.astype(float)
    spread = values.std(ddof=0)
    usable = [c for c in values.columns if values[c].notna().all() and spread[c] > 0]
    if not usable:
        raise ValueError("no feature column varies across forces without missing values")
    scores = (values[usable] - values[usable].mean()) / spread[usable]
    distance = np.sqrt(((scores - scores.loc[force]) ** 2).sum(axis=1))
    # Distances equal in exact arithmetic can differ in the last bits: round so that such ties go to the name.
    others = [(round(float(d), 12), str(name)) for name, d in distance.items() if name != force]
    return [name for _, name in sorted(others)[:k]]


def peer_features(crime: pd.DataFrame, population: pd.DataFrame, years: int | tuple[int, ...]) -> pd.DataFrame:
    """What a computed group is matched on, over the financial years starting in April of ``years`` (one year, or
    several averaged): the size of the force area (log10 of its mean mid-year population over those years, so that
    the Metropolitan Police does not swamp the scale) and its crime mix (recorded crime per 1,000 population in each
    Home Office offence group, each year's four quarters summed, the years' rates averaged). The Home Office builds
    MSGs from demographic and socio-economic factors that are not in our open data; population and crime mix are
    the nearest open substitute.

    Only the 43 territorial forces are included: those with a population (British Transport Police and the
    national fraud bodies have no police force area). The offence groups are those the territorial forces
    record (fraud is recorded nationally, so it is not one of them). A force with no row for an offence group in
    a year has a missing value there, never 0."""
    years = (years,) if isinstance(years, int) else tuple(years)
    people, rates = [], []
    for fy_start in years:
        size, per_thousand = _year_features(crime, population, fy_start)
        people.append(size)
        rates.append(per_thousand)
    size = pd.concat(people, axis=1).mean(axis=1)
    columns = sorted(set().union(*(r.columns for r in rates)))
    # the years' mean: a group missing from a year is missing from the mean (NaN adds up to NaN), never 0
    per_thousand = sum(r.reindex(index=size.index, columns=columns) for r in rates) / len(rates)
    features = pd.concat([np.log10(size).rename(POPULATION_FEATURE), per_thousand], axis=1)
    return features.rename_axis("force").sort_index()


def _year_features(crime: pd.DataFrame, population: pd.DataFrame, fy_start: int) -> tuple[pd.Series, pd.DataFrame]:
    """(population, crime per 1,000 per offence group) of the territorial forces for one financial year."""
    year = population[population["mid_year"] == fy_start]
    if year.empty:
        raise ValueError(f"no mid-{fy_start} population figures")
    if year["force_name"].duplicated().any():
        raise ValueError(f"forces with more than one mid-{fy_start} population: "
                         f"{sorted(set(year.loc[year['force_name'].duplicated(), 'force_name']))}")
    people = year.set_index("force_name")["population"].astype(float).rename_axis("force")
    quarters = [Quarter(fy_start, n).id for n in (1, 2, 3, 4)]
    rows = crime[crime["quarter"].isin(quarters) & crime["Force Name"].isin(people.index)]
    present = sorted(rows["quarter"].unique())
    if present != quarters:
        raise ValueError(f"financial year {Quarter(fy_start, 1).financial_year} is not complete in the crime "
                         f"table: quarters present {present}")
    counts = rows.pivot_table(index="Force Name", columns="Offence Group", values="count", aggfunc="sum")
    counts = counts.reindex(people.index)
    per_thousand = counts.div(people, axis=0) * 1000
    per_thousand.columns = [f"{group} per 1,000 population" for group in per_thousand.columns]
    return people.rename(fy_start), per_thousand.rename_axis("force")


def group_by_year(features_of_year: dict[int, pd.DataFrame], force: str, k: int = 7) -> dict[int, list[str]]:
    """The group ``similar_forces`` would choose on each single year's features: how the membership depends on
    the year it is chosen on (the group's stability)."""
    return {year: similar_forces(features, force, k) for year, features in features_of_year.items()}


# --- a force's position in its group -------------------------------------------------------------------
@dataclass(frozen=True)
class Position:
    """One measure for one force in its group, with everything needed to show how it was worked out."""

    force: str
    rate: float
    rank: int  # 1 = best (for a measure with no better direction: the highest rate); shared by equal rates
    of: int  # forces ranked
    tied_with: tuple[str, ...]
    group_average: float  # total count / total base * per (pooled: a large force weighs more)
    mean_of_rates: float  # the mean of the group's rates (every force weighs the same), shown beside the average
    change_to_mean_of_rates: float | None  # as change_to_average, to the mean of the rates
    quartile_size: int  # ceil(of / 4)
    quartile_boundary: float  # rate of the force ranked quartile_size-th
    better_than_average: bool | None  # at or better than the group average (None: no better direction)
    in_top_quartile: bool | None
    change_to_average: float | None  # None when already at or better than the average
    change_to_top_quartile: float | None  # None when already within the top quartile
    change_unit: str  # "offences" (the count's unit) or "percentage points"
    lower_is_better: bool | None  # None: neither direction is better (a count driven by police activity)
    per: float
    rates: tuple[tuple[str, float], ...]  # the group's rates, best first (highest first for neither; ties by name)
    missing: tuple[str, ...]  # comparison forces left out: no figures, a base of zero or a negative total


def _group_rates(values: pd.DataFrame, force: str, members: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The group's rows (force, numerator, denominator) with usable figures, and the members left out."""
    group = list(dict.fromkeys([force, *members]))  # a force named twice counts once
    rows = values[values["force"].isin(group)]
    repeated = sorted(set(rows.loc[rows["force"].duplicated(), "force"]))
    if repeated:
        raise ValueError(f"forces with more than one row: {repeated}")
    rows = rows.set_index("force").reindex(group)[["numerator", "denominator"]].astype(float)
    usable = rows["numerator"].notna() & rows["denominator"].notna() & (rows["denominator"] != 0)
    if not usable[force]:
        raise ValueError(f"'{force}' has no figures (or a base of zero) for this measure")
    # A negative total (Home Office adjustments larger than the crimes recorded) is not a rate of anything: the
    # force is left out of the ranks and the group's average, as a force with no figures is.
    if rows.loc[force, "numerator"] < 0:
        raise ValueError(f"'{force}' has a negative total for this measure ({rows.loc[force, 'numerator']:g}: Home "
                         "Office adjustments larger than the crimes recorded), which has no rate to rank")
    usable &= rows["numerator"] >= 0
    return rows[usable], [name for name in group if not usable[name]]


def _change(target: float, rate: float, denominator: float, per: float) -> float:
    """Distance to a target rate in the measure's units: percentage points, or a count (e.g. offences)."""
    if per == PERCENT:
        return target - rate
    return (target - rate) * denominator / per


def group_position(values: pd.DataFrame, force: str, members: list[str], *, lower_is_better: bool | None,
                   per: float) -> Position:
    """The force's rate, rank, group average, top quartile and the change required to reach each, by the
    rules in the module docstring. ``values`` has columns force, numerator, denominator. A measure with no better
    direction (``lower_is_better`` None) is ranked highest rate first, and nothing is better or worse: no change
    is required of it and it has no top quartile to reach."""
    rows, missing = _group_rates(values, force, members)
    rate_of = rows["numerator"] / rows["denominator"] * per
    better_first = sorted(rate_of.items(), key=lambda item: (item[1] if lower_is_better else -item[1], item[0]))
    rate = float(rate_of[force])

    def at_least_as_good(a: float, b: float) -> bool:  # for neither: at least as high, for the order only
        return a <= b if lower_is_better else a >= b

    rank = 1 + sum(1 for _, r in better_first if not at_least_as_good(rate, r))  # 1 + forces strictly better
    of = len(better_first)
    average = float(rows["numerator"].sum() / rows["denominator"].sum() * per)
    mean_of_rates = float(rate_of.mean())
    quartile_size = math.ceil(of / 4)
    boundary = float(better_first[quartile_size - 1][1])
    judged = lower_is_better is not None
    better = at_least_as_good(rate, average) if judged else None
    in_quartile = rank <= quartile_size if judged else None
    base = float(rows.loc[force, "denominator"])
    return Position(
        force=force, rate=rate, rank=rank, of=of,
        tied_with=tuple(name for name, r in better_first if r == rate and name != force),
        group_average=average, mean_of_rates=mean_of_rates,
        change_to_mean_of_rates=(None if judged and at_least_as_good(rate, mean_of_rates) or not judged
                                 else _change(mean_of_rates, rate, base, per)),
        quartile_size=quartile_size, quartile_boundary=boundary,
        better_than_average=better, in_top_quartile=in_quartile,
        change_to_average=None if better is not False else _change(average, rate, base, per),
        change_to_top_quartile=None if in_quartile is not False else _change(boundary, rate, base, per),
        change_unit="percentage points" if per == PERCENT else "offences",
        lower_is_better=lower_is_better, per=per,
        rates=tuple((str(name), float(r)) for name, r in better_first), missing=tuple(missing))


# --- aspirations, movement and the summary sentences ---------------------------------------------------------
def aspiration_met(position: Position, aspiration: str | None) -> bool | None:
    """Whether the position meets the aspiration written in the publication definition: 'upper quartile'
    (within the top quartile), 'better than average' (at or better than the group average) or 'rank N'
    (rank N or better). No aspiration (empty) -> None."""
    text = " ".join((aspiration or "").lower().split())
    if not text or position.lower_is_better is None:  # no aspiration, or no better direction to judge it by
        return None
    if text == "upper quartile":
        return position.in_top_quartile
    if text == "better than average":
        return position.better_than_average
    match = re.fullmatch(r"rank (\d+)", text)
    if match and int(match[1]) >= 1:
        return position.rank <= int(match[1])
    raise ValueError(f"aspiration '{aspiration}' is not understood; write {ASPIRATION_FORMS}, or leave it empty")


def movement(current: Position | None, previous: Position | None) -> str:
    """How the rank moved since the previous quarterly edition (a smaller rank is an improvement)."""
    if current is None or previous is None or current.of != previous.of:
        return "not comparable"
    if current.lower_is_better is None:  # a place in the order of rates, neither better nor worse
        return "unchanged" if current.rank == previous.rank else "moved"
    if current.rank < previous.rank:
        return "improved"
    if current.rank > previous.rank:
        return "deteriorated"
    return "unchanged"


def _listed(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _areas(names: list[str]) -> str:
    """'1 area: A' or '3 areas: A, B and C'."""
    return f"{len(names)} area{'' if len(names) == 1 else 's'}: {_listed(names)}"


def statements(force: str, group_label: str, rows: list[tuple[str, str | None, bool | None, str]], *,
               whose: str = "its") -> list[str]:
    """The summary sentences for the rows (measure, aspiration, met, movement). A category with no measures
    is not mentioned; with no rows at all, one sentence says there is nothing to compare. ``whose`` names the
    aspirations' owner: "its" for the plan's own force, "the plan's" for another force measured against it."""
    if not rows:
        return [f"No measures compare {force} with its {group_label}."]
    unknown = sorted({m for _, _, _, m in rows if m not in MOVEMENTS})
    if unknown:
        raise ValueError(f"movement {unknown} is not one of {', '.join(MOVEMENTS)}")
    has_aspiration = [(name, met) for name, aspiration, met, _ in rows if (aspiration or "").strip()]
    meeting = [name for name, met in has_aspiration if met is True]
    not_meeting = [name for name, met in has_aspiration if met is False]
    unjudged = [name for name, met in has_aspiration if met is None]
    no_aspiration = [name for name, aspiration, _, _ in rows if not (aspiration or "").strip()]
    sentences = []
    if meeting:
        sentences.append(f"{force} is meeting {whose} aspiration in {_areas(meeting)}.")
    if not_meeting:
        sentences.append(f"{force} is not meeting {whose} aspiration in {_areas(not_meeting)}.")
    if unjudged:
        sentences.append(f"Whether the aspiration is met is not judged for {_listed(unjudged)}: neither a higher "
                         "nor a lower rate is better for a count driven by police activity.")
    if no_aspiration:
        sentences.append(f"No aspiration is set for: {_listed(no_aspiration)}.")
    moved = [(verb, [name for name, _, _, m in rows if m == kind])
             for verb, kind in (("improved", "improved"), ("deteriorated", "deteriorated"),
                                ("moved (neither direction is better)", "moved"), ("not changed", "unchanged"))]
    clauses = [f"has {verb} in {_areas(names)}" for verb, names in moved if names]
    if clauses:
        sentences.append(f"Since the last quarterly update, {force}'s position in its {group_label} "
                         + "; it ".join(clauses) + ".")
    not_comparable = [name for name, _, _, m in rows if m == "not comparable"]
    if not_comparable:
        sentences.append(f"The position cannot be compared with the last quarterly update for: "
                         f"{_listed(not_comparable)}.")
    return sentences
