"""Negative and odd totals are published, not refused (issue 29, part 2): a negative quarter or 12-month total, a
zero base, a series that starts inside the window, a force with a declared change in how it recorded crime. Each
gets its figure as recorded and a plain note; rates, ranks, control charts and forecasts follow a stated rule:

- a negative total has no rate per 1,000 and no rank (the force is left out of its group's average), and no
  percentage change is worked out from a base of 0 or below (``compute/measures.py``, ``compute/peers.py``);
- a control chart whose baseline has no variation (every quarter the same figure) is not drawn, and says why;
- a declared change in recording is a control chart step for the force's open-data measures, and its trend and
  forecast use the quarters from it on.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
import pytest

from conftest import DATA, PUBLICATIONS
from strategy_update.compute.comparisons import parse_span
from strategy_update.compute.measures import pct_change, rate_per_thousand
from strategy_update.compute.observations import observations_from_crime
from strategy_update.compute.peers import group_position
from strategy_update.compute.results import compute_results
from strategy_update.compute.stage import _since, change_rows, recorded_since, recording_steps
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.publication import Measure
from strategy_update.render.figures import ComparisonFigures
from strategy_update.render.text import comparison_sentence

PCP = "police-and-crime-plan"
HOMICIDE = Measure(id="homicide", name="Homicide", source="home_office", offence_codes=("1",))
POPULATION = pd.DataFrame({"force_name": ["F"], "mid_year": [2015], "population": [100_000], "line": [2],
                           "source_file": "pop.csv"})


def crime(values: list[int], first: str = "2015-16-Q1", force: str = "F") -> pd.DataFrame:
    start = parse_quarter(first)
    return pd.DataFrame({"Force Name": force, "Offence Code": "1",
                         "quarter": [start.shift(k).id for k in range(len(values))],
                         "count": values, "line": list(range(2, len(values) + 2)), "source_file": "crime.csv"})


def results_of(values: list[int], quarter: str, **settings) -> pd.DataFrame:
    obs, rows = observations_from_crime(crime(values), [("s", HOMICIDE)])
    return compute_results(obs, rows, POPULATION, publication_id="p", quarter=parse_quarter(quarter),
                           comparisons=["rolling-12-vs-previous-12", "quarter-vs-previous-quarter"], baseline_end=None,
                           history_quarters=20, **settings)


# --- the formulas ----------------------------------------------------------------------------------------------
def test_no_percentage_change_from_a_base_of_zero_or_below():
    assert pct_change(2, -1) is None  # "-300%" for a rise from -1 to 2 would read as a fall
    assert pct_change(2, 0) is None and pct_change(3, 2) == pytest.approx(50.0)


def test_a_negative_total_has_no_rate():
    assert rate_per_thousand(-1, 1_000_000) is None
    assert rate_per_thousand(0, 1_000_000) == 0.0


def test_a_negative_quarter_is_published_with_its_change_but_no_percentage_or_rate():
    # 2016-17-Q3 is -1 (as Essex's homicide total is in the open data); its quarter is compared with the one before.
    values = [2, 1, 3, 2, 1, 2, -1, 3]
    results = results_of(values, "2016-17-Q3")
    series = results[results["statistic"] == "series"].set_index("period")["value"]
    assert series["2016-17-Q3"] == -1.0  # the figure as recorded
    mine = results[results["comparison"] == "quarter-vs-previous-quarter"].set_index("statistic")["value"]
    assert (mine["current"], mine["base"], mine["change"]) == (-1.0, 2.0, -3.0)
    assert mine["pct_change"] == pytest.approx(-150.0)  # from a positive base: given
    later = results_of(values, "2016-17-Q4")
    after = later[later["comparison"] == "quarter-vs-previous-quarter"].set_index("statistic")["value"]
    assert after["change"] == 4.0 and math.isnan(after["pct_change"])  # from -1: not given
    sentence = comparison_sentence(ComparisonFigures("q", "Q4", "Q3", "2016-17-Q4", "2016-17-Q3", 3.0, -1.0, 4.0,
                                                     None), "crimes")
    assert sentence == ("In the Q4 there were 3 crimes, 4 (no percentage change from a negative figure) more than "
                        "in the Q3 (-1).")


def test_a_negative_total_is_not_ranked_and_leaves_the_groups_average():
    figures = {"A": (10, 1000), "B": (-1, 1000), "C": (30, 1000), "D": (20, 1000)}
    table = pd.DataFrame([(f, n, d) for f, (n, d) in figures.items()], columns=["force", "numerator", "denominator"])
    a = group_position(table, "A", ["B", "C", "D"], lower_is_better=True, per=1000)
    assert a.missing == ("B",) and (a.rank, a.of) == (1, 3)  # B's -1 is not the best rate of the group
    assert a.group_average == pytest.approx(60 / 3000 * 1000)
    with pytest.raises(ValueError, match="negative total"):
        group_position(table, "B", ["A", "C", "D"], lower_is_better=True, per=1000)


# --- control charts --------------------------------------------------------------------------------------------
def test_a_chart_whose_baseline_never_varies_is_not_drawn_and_says_why():
    values = [0] * 12 + [1, 0, 0, 2]  # a small count, 0 in every one of the 12 baseline quarters
    results = results_of(values, parse_quarter("2015-16-Q1").shift(15).id)
    assert results[results["statistic"].str.startswith("spc_") & (results["statistic"] != "spc_no_chart")].empty
    note = results.loc[results["statistic"] == "spc_no_chart", "text"].iloc[0]
    assert note == ("the figure was the same (0) in every one of the 12 quarters the limits would be set from "
                    "(2015/16 Q1 to 2017/18 Q4), so there is no variation to set control limits by")


def test_a_chart_with_a_negative_point_shows_its_real_lower_limit():
    from strategy_update.compute.spc import xmr
    from strategy_update.render.text import spc_summary

    chart = xmr([2.0, 1.0, 3.0, 0.0, -1.0, 2.0, 1.0, 3.0, 2.0], 8)
    assert chart.lower < 0
    assert f"process limits {chart.lower:,.0f} to" in spc_summary(chart).replace("\u2212", "-")


# --- a declared change in recording ----------------------------------------------------------------------------
CHANGES = pd.DataFrame({"force": ["F", "Other"], "quarter": ["2017-18-Q1", "2016-17-Q1"],
                        "change": ["A new records system.", "Something else."], "source": ["HMICFRS", "ONS"],
                        "line": [2, 3], "source_file": "data/recording-changes.csv"})


def test_a_recording_change_is_a_step_in_the_forces_control_charts():
    publication = load_publication(InputPaths(DATA, PUBLICATIONS, PCP, "essex"))
    steps = recording_steps(publication, CHANGES, ["F"])
    assert steps[("F", "homicide")] == (("2017-18-Q1", "a change in how F recorded crime: A new records system"),)
    assert ("F", "emergency-999-calls") not in steps  # the force's own figures are not the open data
    values = [5, 7, 6, 8, 6, 7, 5, 6, 20, 22, 19, 21, 23, 20, 22, 21]  # from 2017-18-Q1 recorded another way
    results = results_of(values, parse_quarter("2015-16-Q1").shift(15).id,
                         spc_steps={("F", "homicide"): steps[("F", "homicide")]})
    means = results[results["statistic"] == "spc_mean"]
    assert [parse_span(p).first_month for p in means["period"]] == [
        parse_span("2015-16-Q1").first_month, parse_span("2017-18-Q1").first_month]
    assert means["text"].iloc[1] == "a change in how F recorded crime: A new records system"
    signals = results.loc[results["statistic"] == "spc_signal", "text"]
    assert not signals.str.contains("outside").any()  # the jump is the change, not a signal


def test_a_recording_change_starts_the_forecasts_series_and_is_said_on_the_pages():
    publication = load_publication(InputPaths(DATA, PUBLICATIONS, PCP, "essex"))
    since = recorded_since(publication, CHANGES, ["F"])
    assert since["F"][0] == "2017-18-Q1" and "homicide" in since["F"][1] and "Other" not in since
    series = pd.DataFrame({"measure": ["homicide", "homicide", "emergency-999-calls"],
                           "period": ["2016-17-Q4", "2017-18-Q1", "2016-17-Q4"]})
    assert list(_since(series, since["F"])["period"]) == ["2017-18-Q1", "2016-17-Q4"]  # the 999 calls are kept
    peers = pd.DataFrame({"statistic": ["peer_group_member"], "text": ["Other"]})
    rows = change_rows(publication, "F", CHANGES, peers)
    assert list(rows["statistic"]) == ["recording_change", "peer_recording_change"]
    assert list(rows["period"]) == ["2017-18-Q1", "2016-17-Q1"] and rows["text"].iloc[0] == "A new records system."


def test_the_section_page_names_a_recording_change_inside_its_window():
    from strategy_update.render.section_page import recording_changes

    publication = load_publication(InputPaths(DATA, PUBLICATIONS, PCP, "essex"))
    rows = change_rows(publication, "Greater Manchester", CHANGES.iloc[:1].assign(force="Greater Manchester"), None)
    view = SimpleNamespace(results=rows, force="Greater Manchester", quarter=parse_quarter("2021-22-Q4"),
                           publication=publication)
    said = recording_changes(view)
    assert len(said) == 1 and said[0].startswith("**A change in recording.** Greater Manchester recorded crime "
                                                 "differently from Q1 2017/18 (April-June 2017): A new records system")
    assert recording_changes(SimpleNamespace(**{**vars(view), "quarter": parse_quarter("2016-17-Q4")})) == []


def test_a_comparison_before_the_series_starts_says_so():
    c = ComparisonFigures("r", "12 months ending June 2017", "12 months ending June 2016", "2016-07/2017-06",
                          "2015-07/2016-06", None, None, None, None)
    assert comparison_sentence(c, "crimes", parse_quarter("2017-18-Q1")) == (
        "The 12 months ending June 2017 could not be compared with the 12 months ending June 2016: the series "
        "starts in Q1 2017/18, so the 12 months ending June 2017 and the 12 months ending June 2016 have no figure.")


# --- validation: published with a warning, not refused ------------------------------------------------------------
def test_seed_003s_quarter_is_an_edition_and_its_negative_homicide_quarter_a_warning():
    """The Q4 2020/21 edition (seed 003) is one of the plan's, and Essex's homicide total of -1 in 2016-17-Q3, inside
    its 20 quarters of history, is published with a warning naming its input line, not refused."""
    from strategy_update.inputs.validate import validate_inputs

    report = validate_inputs(InputPaths(DATA, PUBLICATIONS, PCP, "essex"), "Essex", "2020-21-Q4")
    assert report.critical == [], [str(f) for f in report.critical]
    found = [f for f in report.warnings if "'homicide' in 2016-17-Q3 is negative (-1)" in f.message]
    assert len(found) == 1 and found[0].line == 102446, [str(f) for f in found]
    assert "published as recorded" in found[0].message


def test_a_declared_recording_change_is_a_warning_of_the_force_whose_window_it_is_in():
    from strategy_update.inputs.validate import validate_editions

    def paths(slug):
        return InputPaths(DATA, PUBLICATIONS, PCP, slug)
    reports = validate_editions({"Greater Manchester": paths("greater-manchester"), "Kent": paths("kent")},
                                ["Greater Manchester", "Kent"], "2021-22-Q4")
    said = [f for f in reports["Greater Manchester"].warnings if f.file == "data/recording-changes.csv"]
    assert len(said) == 1 and said[0].line == 2 and said[0].value == "2019-20-Q2"
    assert said[0].message.startswith("Greater Manchester recorded crime differently from Q2 2019/20 (July-September "
                                      "2019): The force moved its crime records to a new computer system (iOPS)")
    assert not [f for f in reports["Kent"].warnings if f.file == "data/recording-changes.csv"]
    assert not reports["Greater Manchester"].critical
