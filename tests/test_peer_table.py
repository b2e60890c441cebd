"""The comparison-group position table on the real open data: the group, the force's rate against the edition's
own figures, ranks against the group's rates, the official group when a force supplies one, and the page."""

from __future__ import annotations

import math

import pytest

from conftest import DATA, PUBLICATIONS
from strategy_update.compute.peer_table import COMPUTED_LABEL, OFFICIAL_LABEL, peer_results
from strategy_update.compute.stage import compute_edition
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.readers import load_crime, load_population, read_edition_inputs, read_peer_group
from strategy_update.render.peer_page import render_markdown, sparkline

PCP = "police-and-crime-plan"
Q4 = parse_quarter("2021-22-Q4")
PATHS = InputPaths(DATA, PUBLICATIONS, PCP, "essex")


@pytest.fixture(scope="module")
def publication():
    return load_publication(PATHS)


@pytest.fixture(scope="module")
def crime():
    return load_crime(PATHS.crime)


@pytest.fixture(scope="module")
def population():
    return load_population(PATHS.population)


@pytest.fixture(scope="module")
def essex(publication, crime, population):
    return peer_results(publication, "Essex", Q4, crime=crime, population=population)


def stat(results, statistic, measure="", force="Essex"):
    rows = results[(results["statistic"] == statistic) & (results["measure"] == measure) & (results["force"] == force)]
    assert len(rows) == 1, (statistic, measure, force, len(rows))
    return rows.iloc[0]


def test_the_computed_group_is_seven_other_forces_and_labelled_computed(essex):
    members = list(essex[essex["statistic"] == "peer_group_member"].sort_values("value")["text"])
    assert len(members) == 7 and len(set(members)) == 7 and "Essex" not in members
    assert stat(essex, "peer_group")["text"] == COMPUTED_LABEL
    assert "Most Similar Group" not in COMPUTED_LABEL  # never presented as the Home Office's MSG


def test_every_marked_open_data_measure_has_a_row(essex, publication):
    marked = {m.id for _, m in publication.measures if m.peer_table and m.source == "home_office"}
    assert marked and set(essex.loc[essex["statistic"] == "peer_rate", "measure"]) == marked


def test_the_forces_rate_is_the_editions_own_rate_per_1000(essex, publication, crime, population):
    inputs = read_edition_inputs(PATHS, publication, "Essex", Q4)
    results, _ = compute_edition(publication, "Essex", Q4, crime=crime, population=population,
                                 tracker=None, extracts=inputs.extracts, workforce=inputs.workforce)
    own = results[(results["statistic"] == "rate_per_1000") & (results["measure"] == "all-recorded-crime")
                  & (results["comparison"] == "rolling-12-vs-previous-12")]
    assert math.isclose(stat(essex, "peer_rate", "all-recorded-crime")["value"], own["value"].iloc[0])


def test_rank_and_quartile_agree_with_the_groups_rates(essex, publication):
    for _, m in ((s, m) for s, m in publication.measures if m.peer_table and m.source == "home_office"):
        rates = essex[(essex["statistic"] == "peer_member_rate") & (essex["measure"] == m.id)]
        mine = stat(essex, "peer_rate", m.id)["value"]
        better = (rates["value"] < mine).sum() if m.lower_is_better else (rates["value"] > mine).sum()
        assert stat(essex, "peer_rank", m.id)["value"] == 1 + better
        assert stat(essex, "peer_of", m.id)["value"] == len(rates) == 8
        ordered = sorted(rates["value"], reverse=not m.lower_is_better)
        assert stat(essex, "peer_quartile_boundary", m.id)["value"] == ordered[1]  # ceil(8 / 4) = 2nd best
        average = stat(essex, "peer_average", m.id)["value"]
        assert min(ordered) <= average <= max(ordered)
        to_average = stat(essex, "peer_change_to_average", m.id)["value"]
        if m.lower_is_better is None:  # neither direction is better: nothing to reach, no aspiration judged
            assert math.isnan(to_average) and math.isnan(stat(essex, "peer_aspiration_met", m.id)["value"])
        else:
            assert math.isnan(to_average) == ((mine <= average) if m.lower_is_better else (mine >= average))
    assert any(m.lower_is_better is None for _, m in publication.measures if m.peer_table)  # drug trafficking


def test_the_sparkline_has_the_last_12_quarters(essex):
    spark = essex[(essex["statistic"] == "peer_spark") & (essex["measure"] == "all-recorded-crime")]
    assert len(spark) == 12 and spark["period"].iloc[-1] == "2021-22-Q4" and spark["period"].iloc[0] == "2019-20-Q1"


def test_an_official_group_replaces_the_computed_one(tmp_path, publication, crime, population):
    members = ["Kent", "Hampshire", "Sussex", "Thames Valley", "Avon and Somerset", "Hertfordshire", "Staffordshire"]
    path = tmp_path / "most-similar-group.csv"
    path.write_text("member,source,as_of\n" + "".join(f"{m},Home Office MSG,2021-03-31\n" for m in members))
    results = peer_results(publication, "Essex", Q4, crime=crime, population=population,
                           official=read_peer_group(path))
    assert stat(results, "peer_group")["text"] == OFFICIAL_LABEL
    assert list(results[results["statistic"] == "peer_group_member"].sort_values("value")["text"]) == members
    rates = results[(results["statistic"] == "peer_member_rate") & (results["measure"] == "homicide")]
    assert set(rates["force"]) == {"Essex", *members}


def test_another_force_gets_its_own_group(publication, crime, population):
    kent = peer_results(publication, "Kent", Q4, crime=crime, population=population)
    members = set(kent[kent["statistic"] == "peer_group_member"]["text"])
    assert len(members) == 7 and "Kent" not in members
    assert stat(kent, "peer_rank", "homicide", force="Kent")["value"] >= 1


def test_the_page_states_the_group_the_rule_and_one_row_per_measure(essex, publication):
    page = render_markdown(publication, essex, "Essex")
    assert "similar forces (computed)" in page and "is not the official one" in page
    assert "ceil(n/4)" in page and "How this was calculated: Homicide" in page
    table = [line for line in page.splitlines() if line.startswith("| ") and "Measure" not in line]
    assert len(table) == 4
    assert any("N/A: already" in line for line in table) or all("offences" in line for line in table)


@pytest.mark.parametrize("values,expected", [
    ([0.0, 7.0], "▁█"),  # the lowest and highest of eight heights
    ([2.0, 2.0, 2.0], "▁▁▁"),  # no spread: flat
    ([0.0, float("nan"), 14.0, 7.0], "▁ █▅"),  # 7 / 14 x 7 = 3.5 -> 4 (round half to even) -> the fifth block
    ([], ""),
])
def test_sparkline_blocks(values, expected):
    assert sparkline(values) == expected


def test_the_printed_position_table_is_set_beside_the_open_data():
    from strategy_update.compute.backtest import peer_table_context

    context = peer_table_context(PATHS)
    assert list(context["measure_id"]) == ["all-recorded-crime", "violence-with-injury", "drug-trafficking",
                                           "homicide"]
    assert set(context["period"]) == {"12 months ending March 2021"}  # the edition the table was printed for
    crime = context.iloc[0]
    assert crime["printed_value"] == 79.35 and crime["printed_rank"] == "8"  # as printed in seed 003
    # reported, not forced to agree: the open data for the same 12 months is close but not equal
    assert abs(crime["open_data_value"] - 79.35) < 2 and crime["open_data_value"] != 79.35


def test_the_back_test_catches_the_slips_of_the_hand_made_plan_update():
    from strategy_update.compute.backtest import backtest_rows

    rows = backtest_rows(PATHS)
    wrong = rows[rows["verdict"] == "inconsistent"]
    answer = wrong[wrong["measure"] == "101 average answer time"]
    assert len(answer) == 1 and answer.iloc[0]["printed"] == "-30.7%" and "-29.1" in answer.iloc[0]["recomputed"]
    arrests = wrong[wrong["measure"].str.startswith("drink or drug driving arrests")]
    assert len(arrests) == 1 and "696" in arrests.iloc[0]["finding"]
