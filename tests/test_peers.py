"""Position in a most similar group: hand-worked numbers for the arithmetic, the real data for the features."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from conftest import PATHS
from strategy_update.compute.peers import (
    QUARTILE_RULE,
    aspiration_met,
    group_position,
    movement,
    peer_features,
    similar_forces,
    statements,
)
from strategy_update.inputs.readers import load_crime, load_population

# Eight forces, offences in 12 months and population; rate per 1,000 = offences / population * 1000.
#   A 1,000 / 100,000 = 10    rank 1
#   B 2,400 / 200,000 = 12    rank 2 (tied with C)
#   C 1,200 / 100,000 = 12    rank 2 (tied with B)
#   D 7,000 / 500,000 = 14    rank 4 (competition ranking skips 3)
#   E 1,500 / 100,000 = 15    rank 5
#   F 4,800 / 300,000 = 16    rank 6
#   G 1,800 / 100,000 = 18    rank 7
#   H 2,000 / 100,000 = 20    rank 8
# Weighted group average = 21,700 / 1,500,000 * 1000 = 217/15 = 14.4667 per 1,000;
# the mean of the rates would be 117 / 8 = 14.625 (different: D's large population pulls the average down).
# Top quartile of 8 = ceil(8/4) = 2 forces; boundary = rate of the 2nd-ranked force = 12.
OFFENCES = {"A": (1000, 100_000), "B": (2400, 200_000), "C": (1200, 100_000), "D": (7000, 500_000),
            "E": (1500, 100_000), "F": (4800, 300_000), "G": (1800, 100_000), "H": (2000, 100_000)}


def table(figures: dict[str, tuple[float, float]]) -> pd.DataFrame:
    return pd.DataFrame([(f, n, d) for f, (n, d) in figures.items()], columns=["force", "numerator", "denominator"])


def offences_position(force: str, figures=OFFENCES, members=None):
    members = [f for f in "ABCDEFGH" if f != force] if members is None else members
    return group_position(table(figures), force, members, lower_is_better=True, per=1000)


def test_rates_rank_and_weighted_average():
    e = offences_position("E")
    assert e.rate == pytest.approx(15.0)
    assert (e.rank, e.of, e.tied_with) == (5, 8, ())
    assert e.group_average == pytest.approx(217 / 15)
    assert e.group_average != pytest.approx(117 / 8)  # not the mean of the rates
    assert [name for name, _ in e.rates] == list("ABCDEFGH")
    assert dict(e.rates)["D"] == pytest.approx(14.0)
    assert e.missing == ()


def test_competition_ranking_for_ties():
    assert offences_position("A").rank == 1
    b, c, d = offences_position("B"), offences_position("C"), offences_position("D")
    assert (b.rank, c.rank, d.rank) == (2, 2, 4)
    assert b.tied_with == ("C",) and c.tied_with == ("B",)
    assert offences_position("H").rank == 8


def test_change_required_in_offences():
    # E: (217/15 - 15) * 100,000 / 1000 = -800/15 = -53.33 offences to the average;
    #    (12 - 15) * 100 = -300 offences to the top quartile boundary.
    e = offences_position("E")
    assert not e.better_than_average and not e.in_top_quartile
    assert e.change_to_average == pytest.approx(-800 / 15)
    assert e.change_to_top_quartile == pytest.approx(-300.0)
    assert e.change_unit == "offences"


def test_already_better_than_average_gives_none():
    # D: 14 < 14.4667, so no change to the average; to the quartile (12 - 14) * 500,000 / 1000 = -1,000 offences.
    d = offences_position("D")
    assert d.better_than_average and d.change_to_average is None
    assert not d.in_top_quartile and d.change_to_top_quartile == pytest.approx(-1000.0)
    # C is ranked 2nd: within the top quartile of 8 (2 forces), nothing needed.
    c = offences_position("C")
    assert c.in_top_quartile and c.change_to_top_quartile is None and c.change_to_average is None


def test_quartile_of_eight():
    h = offences_position("H")
    assert (h.quartile_size, h.quartile_boundary) == (2, pytest.approx(12.0))
    assert "ceil(n/4)" in QUARTILE_RULE


def test_quartile_of_seven_rounds_up_and_missing_member_is_listed():
    # H has no row and Z a population of 0: both left out and named, 7 forces ranked.
    # ceil(7/4) = 2 (floor would give 1 and a boundary of 10): boundary still the 2nd-ranked rate, 12.
    figures = {k: v for k, v in OFFENCES.items() if k != "H"} | {"Z": (50, 0)}
    c = offences_position("C", figures, members=list("ABDEFGHZ"))
    assert c.missing == ("H", "Z")
    assert c.of == 7
    assert (c.quartile_size, c.quartile_boundary) == (2, pytest.approx(12.0))
    assert c.in_top_quartile
    # Average without H: 19,700 / 1,400,000 * 1000 = 14.0714
    assert c.group_average == pytest.approx(19_700 / 1_400)


def test_missing_denominator_value_is_listed():
    figures = dict(OFFENCES) | {"G": (1800, float("nan"))}
    assert offences_position("A", figures).missing == ("G",)


def test_force_missing_raises():
    figures = {k: v for k, v in OFFENCES.items() if k != "E"}
    with pytest.raises(ValueError, match="'E'"):
        offences_position("E", figures)
    with pytest.raises(ValueError, match="'E'"):
        offences_position("E", dict(OFFENCES) | {"E": (1500, 0)})


# Solved rate (higher is better), percentage of offences:
#   Q 200 / 1,000 = 20%   rank 1
#   P 162 / 1,000 = 16.2% rank 2
#   S 300 / 2,000 = 15%   rank 3
#   T 100 / 1,000 = 10%   rank 4 (tied with U)
#   U  50 /   500 = 10%   rank 4
# Weighted average = 812 / 5,500 = 14.7636% (mean of rates 14.24%). Top quartile of 5 = ceil(5/4) = 2: boundary 16.2%.
SOLVED = {"P": (162, 1000), "Q": (200, 1000), "S": (300, 2000), "T": (100, 1000), "U": (50, 500)}


def solved_position(force: str, lower_is_better: bool = False):
    members = [f for f in SOLVED if f != force]
    return group_position(table(SOLVED), force, members, lower_is_better=lower_is_better, per=100)


def test_higher_is_better_percentage_points():
    t = solved_position("T")
    assert t.rate == pytest.approx(10.0)
    assert (t.rank, t.of, t.tied_with) == (4, 5, ("U",))
    assert t.group_average == pytest.approx(100 * 812 / 5500)
    assert t.change_to_average == pytest.approx(100 * 812 / 5500 - 10)  # +4.76 percentage points
    assert t.change_to_top_quartile == pytest.approx(16.2 - 10)  # +6.2 percentage points
    assert t.change_unit == "percentage points"
    assert [name for name, _ in t.rates] == ["Q", "P", "S", "T", "U"]


def test_higher_is_better_already_better():
    p = solved_position("P")  # 16.20%, 2nd: "N/A - already better than average, N/A - already within top quartile"
    assert p.rank == 2 and p.better_than_average and p.in_top_quartile
    assert p.change_to_average is None and p.change_to_top_quartile is None
    s = solved_position("S")  # 15% > 14.76%: better than average, but 1.2 points short of the quartile
    assert s.change_to_average is None and s.change_to_top_quartile == pytest.approx(1.2)


def test_direction_reverses_rank():
    assert solved_position("P", lower_is_better=True).rank == 4  # 10, 10, 15, 16.2, 20


# --- similar forces ------------------------------------------------------------------------------------------
def test_similar_forces_nearest_ties_by_name_and_dropped_columns():
    # On "a", Zulu (+1) and Alpha (-1) are equally far from Home (0); the tie goes to the name: Alpha first.
    # "flat" has no spread and is dropped (kept, it would divide by zero). "gappy" has a missing value and is
    # dropped (kept, Alpha's 100 would push Alpha to the end).
    features = pd.DataFrame({"a": [1.0, 0.0, -1.0, 3.0, 10.0], "flat": [5.0] * 5,
                             "gappy": [0.0, 0.0, 100.0, 0.0, np.nan]},
                            index=["Zulu", "Home", "Alpha", "Whisky", "Victor"])
    assert similar_forces(features, "Home", k=1) == ["Alpha"]
    assert similar_forces(features, "Home", k=4) == ["Alpha", "Zulu", "Whisky", "Victor"]


def test_similar_forces_tie_survives_float_noise():
    # 0.3 and 0.1 are both 0.1 from 0.2 as written, but in binary floating point Zulu comes out nearer by about
    # 1e-16; that is noise, not a difference, so the tie still goes to the name.
    features = pd.DataFrame({"a": [0.3, 0.2, 0.1, 0.7, 1.0]}, index=["Zulu", "Home", "Alpha", "Whisky", "Victor"])
    assert similar_forces(features, "Home", k=1) == ["Alpha"]


def test_similar_forces_uses_z_scores():
    # Raw distances from Home: Big 100, Small 2, so raw Euclidean would choose Small. Scaled by spread
    # (sd of "people" ~633, of "rate" 0.8): Big 100/633 = 0.16, Small 2/0.8 = 2.5, so Big is nearer.
    features = pd.DataFrame({"people": [0.0, 100.0, 0.0, 1000.0, -1000.0], "rate": [0.0, 0.0, 2.0, 0.0, 0.0]},
                            index=["Home", "Big", "Small", "Far1", "Far2"])
    assert similar_forces(features, "Home", k=1) == ["Big"]


def test_similar_forces_errors():
    features = pd.DataFrame({"a": [1.0, 2.0, 3.0]}, index=["X", "Y", "Z"])
    with pytest.raises(ValueError, match="'Nowhere'"):
        similar_forces(features, "Nowhere", k=1)
    with pytest.raises(ValueError, match="2 other forces"):
        similar_forces(features, "X", k=3)
    assert similar_forces(features, "X", k=2) == ["Y", "Z"]


@pytest.fixture(scope="module")
def real_features() -> pd.DataFrame:
    return peer_features(load_crime(PATHS.crime), load_population(PATHS.population), 2019)


def test_peer_features_on_real_data(real_features):
    assert len(real_features) == 43
    assert "Essex" in real_features.index and "British Transport Police" not in real_features.index
    assert np.isfinite(real_features.to_numpy()).all()
    assert "log10 population" in real_features.columns
    assert "Theft offences per 1,000 population" in real_features.columns
    assert not any("Fraud" in c for c in real_features.columns)  # fraud is recorded nationally
    # Independently of the loaders: Essex theft in 2019/20 from the raw table, over mid-2019 population.
    raw = pd.read_csv(PATHS.crime, usecols=["Financial Year", "Force Name", "Offence Group", "Number of Offences"])
    essex = raw[(raw["Financial Year"] == "2019/20") & (raw["Force Name"] == "Essex")]
    theft = essex.loc[essex["Offence Group"] == "Theft offences", "Number of Offences"].astype(int).sum()
    people = pd.read_csv(PATHS.population[0]).query("force_name == 'Essex' and mid_year == 2019")["population"].item()
    assert real_features.loc["Essex", "Theft offences per 1,000 population"] == pytest.approx(theft / people * 1000)
    assert real_features.loc["Essex", "log10 population"] == pytest.approx(math.log10(people))
    group = similar_forces(real_features, "Essex")
    assert len(group) == 7 and "Essex" not in group and len(set(group)) == 7


def test_peer_features_refuses_incomplete_year():
    crime = load_crime(PATHS.crime, force="Essex")  # 2025/26 has Q1-Q3 only
    population = pd.DataFrame({"force_name": ["Essex"], "mid_year": [2025], "population": [1_900_000]})
    with pytest.raises(ValueError, match="not complete"):
        peer_features(crime, population, 2025)


# --- aspirations, movement, statements -------------------------------------------------------------------
def test_aspiration_forms():
    d = offences_position("D")  # rank 4 of 8, better than average, outside the top quartile
    assert aspiration_met(d, "better than average") is True
    assert aspiration_met(d, "upper quartile") is False
    assert aspiration_met(d, "Upper Quartile") is False
    assert aspiration_met(d, "rank 4") is True
    assert aspiration_met(d, "rank 3") is False
    assert aspiration_met(offences_position("E"), "better than average") is False
    assert aspiration_met(offences_position("B"), "upper quartile") is True
    assert aspiration_met(d, "") is None
    for bad in ("top quartile", "rank", "rank 0", "rank four", "average"):
        with pytest.raises(ValueError, match="upper quartile"):
            aspiration_met(d, bad)


def test_movement():
    e, d, h = offences_position("E"), offences_position("D"), offences_position("H")
    assert movement(d, e) == "improved"  # 5th -> 4th
    assert movement(h, e) == "deteriorated"  # 5th -> 8th
    assert movement(e, offences_position("E")) == "unchanged"
    assert movement(e, None) == "not comparable" and movement(None, e) == "not comparable"
    seven = offences_position("A", {k: v for k, v in OFFENCES.items() if k != "H"}, members=list("BCDEFG"))
    assert movement(seven, h) == "not comparable"  # 7 forces now, 8 before


def test_statements_wording():
    rows = [("All crime (offences)", "upper quartile", True, "improved"),
            ("Homicide (solved rate)", "rank 4", True, "improved"),
            ("Robbery (offences)", "better than average", False, "deteriorated"),
            ("Burglary (offences)", "", None, "unchanged")]
    assert statements("Essex", "similar forces (computed)", rows) == [
        "Essex is meeting its aspiration in 2 areas: All crime (offences) and Homicide (solved rate).",
        "Essex is not meeting its aspiration in 1 area: Robbery (offences).",
        "No aspiration is set for: Burglary (offences).",
        "Since the last quarterly update, Essex's position in its similar forces (computed) has improved in "
        "2 areas: All crime (offences) and Homicide (solved rate); it has deteriorated in 1 area: Robbery "
        "(offences); it has not changed in 1 area: Burglary (offences).",
    ]


def test_statements_three_names_and_empty_categories():
    rows = [("A", "rank 2", False, "deteriorated"), ("B", "rank 2", False, "not comparable"),
            ("C", "rank 2", False, "deteriorated")]
    assert statements("Kent", "most similar group", rows) == [
        "Kent is not meeting its aspiration in 3 areas: A, B and C.",
        "Since the last quarterly update, Kent's position in its most similar group has deteriorated in "
        "2 areas: A and C.",
        "The position cannot be compared with the last quarterly update for: B.",
    ]


def test_statements_no_rows_and_bad_movement():
    assert statements("Essex", "most similar group", []) == ["No measures compare Essex with its most similar group."]
    with pytest.raises(ValueError, match="movement"):
        statements("Essex", "most similar group", [("A", "", None, "better")])


def test_statements_for_another_force_name_the_plans_aspiration():
    rows = [("A", "upper quartile", True, "unchanged")]
    assert statements("Kent", "similar forces (computed)", rows, whose="the plan's")[0] == (
        "Kent is meeting the plan's aspiration in 1 area: A.")
