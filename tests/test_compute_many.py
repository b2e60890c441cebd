"""The compute stage over many forces at once (the national edition): ``compute_editions`` gives each force exactly
the tables ``compute_edition`` gives it alone, and the shared open data is read once.

The demand-profile forecasts (statsmodels fits, a few seconds a force) are a pure function of the one force's quarterly
series that ``compute_editions`` hands to ``map_series``; so the equality tests record those series and answer with
a cheap stand-in that depends on every row it is given, and one test checks that the series each force's forecasts
see are the same whichever forces are computed together. test_forecast.py tests the forecasts themselves.
"""

from __future__ import annotations

import pickle

import pandas as pd
import pytest

from conftest import DATA, PUBLICATIONS
from strategy_update.compute import stage
from strategy_update.compute.results import COLUMNS, tidy
from strategy_update.compute.stage import EDITION, compute_edition, compute_editions, edition_tables
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.readers import read_edition_inputs, read_force_inputs, read_open_data
from strategy_update.model.forces import force_slug

Q4 = parse_quarter("2021-22-Q4")
PCP, PREVENTION = "police-and-crime-plan", "crime-prevention-2021-25"
FORCES = {PCP: ["Essex", "Kent", "Surrey"], PREVENTION: ["Essex", "Kent"]}


def paths(publication_id: str, force: str) -> InputPaths:
    return InputPaths(DATA, PUBLICATIONS, publication_id, force_slug(force))


def stand_in_profile(series: pd.DataFrame, disturbed: tuple[str, ...]) -> pd.DataFrame:
    """One row per series with a value that changes if any value, line or period of the series does."""
    rows = [{"publication": key[0], "force": key[1], "section": key[2], "measure": key[3], "area": key[4],
             "statistic": "stand_in", "value": float(group["value"].sum()) + len(disturbed),
             "text": ",".join(group["period"]), "lines": sorted(x for ls in group["lines"] for x in ls)}
            for key, group in series.groupby(["publication", "force", "section", "measure", "area"], sort=False)]
    return tidy(pd.DataFrame(rows, columns=COLUMNS))


@pytest.fixture
def quick_forecasts(monkeypatch):
    """The forecasts replaced by ``stand_in_profile``; returns the series frames handed to it, in call order."""
    seen: list[pd.DataFrame] = []

    def recording(series, disturbed):
        seen.append(series)
        return stand_in_profile(series, disturbed)
    monkeypatch.setattr(stage, "_forecast_results", recording)
    return seen


@pytest.fixture(scope="module")
def inputs():
    """(publication, open data, each force's own inputs) per publication, read as the national build reads them."""
    read = {}
    for publication_id, forces in FORCES.items():
        publication = load_publication(paths(publication_id, forces[0]))
        read[publication_id] = (publication, read_open_data(paths(publication_id, forces[0]), publication),
                                {f: read_force_inputs(paths(publication_id, f), publication, f, Q4) for f in forces})
    return read


def all_at_once(inputs, publication_id: str, forces: list[str], map_series=map, profile_cache=None):
    publication, shared, own = inputs[publication_id]
    return compute_editions(publication, forces, Q4, crime=shared.crime, population=shared.population,
                            workforce=shared.workforce, trackers={f: own[f].tracker for f in forces},
                            extracts={f: own[f].extracts for f in forces},
                            peer_groups={f: own[f].peer_group for f in forces}, map_series=map_series,
                            profile_cache=profile_cache)


def one_force(inputs, publication_id: str, force: str):
    """The force's tables as a one-edition build computes them (its own read, crime for it alone when it can)."""
    publication = inputs[publication_id][0]
    read = read_edition_inputs(paths(publication_id, force), publication, force, Q4)
    return compute_edition(publication, force, Q4, crime=read.crime, population=read.population,
                           tracker=read.tracker, extracts=read.extracts, peer_group=read.peer_group,
                           workforce=read.workforce)


@pytest.mark.parametrize("publication_id", [PCP, PREVENTION])
def test_every_force_at_once_gives_what_each_force_gets_alone(inputs, publication_id, quick_forecasts):
    forces = FORCES[publication_id]
    results, rows = all_at_once(inputs, publication_id, forces)
    assert list(dict.fromkeys(results[EDITION])) == forces and list(dict.fromkeys(rows[EDITION])) == forces
    for force in forces:
        alone_results, alone_rows = one_force(inputs, publication_id, force)
        mine_results, mine_rows = edition_tables(results, rows, force)
        # The same tables in the same order (stronger than equal once sorted): the same Parquet bytes either way.
        pd.testing.assert_frame_equal(mine_results, alone_results)
        pd.testing.assert_frame_equal(mine_rows, alone_rows)
        assert (mine_results["statistic"] == "stand_in").any()  # the force's demand profile is in its edition
        assert set(mine_rows["force"]) == {force}


def test_essex_extracts_and_tracker_stay_in_essex_edition(inputs, quick_forecasts):
    results, rows = all_at_once(inputs, PREVENTION, FORCES[PREVENTION])
    essex, kent = (edition_tables(results, rows, f) for f in ("Essex", "Kent"))
    assert (essex[1]["published_in"] != "").any() and (kent[1]["published_in"] == "").all()
    supplied = essex[0][essex[0]["statistic"].str.startswith("delivery_") & (essex[0]["lines"].str.len() > 0)]
    assert not supplied.empty
    assert kent[0].loc[kent[0]["statistic"].str.startswith("delivery_"), "lines"].str.len().eq(0).all()


def test_peer_table_rows_keep_their_edition(inputs, quick_forecasts):
    """A peer table names the group's other forces in ``force``: they still belong to the edition they are in."""
    results, rows = all_at_once(inputs, PCP, ["Essex", "Kent"])
    kent, _ = edition_tables(results, rows, "Kent")
    members = kent[kent["statistic"] == "peer_member_rate"]
    assert not members.empty and (members["force"] != "Kent").any()
    assert "Essex" not in set(kent.loc[kent["statistic"] != "peer_member_rate", "force"])


def test_forecasts_go_through_map_series_once_per_force(inputs, quick_forecasts):
    calls = []

    def recording_map(function, frames):
        frames = list(frames)
        calls.append((function, frames))
        return [function(frame) for frame in frames]
    forces = FORCES[PCP]
    all_at_once(inputs, PCP, forces, map_series=recording_map)
    (function, frames), = calls
    assert [set(f["force"]) for f in frames] == [{force} for force in forces]
    assert all((f["statistic"] == "series").all() and (f["area"] == "").all() for f in frames)
    # Each force's forecasts see the same series whichever forces are computed with it.
    alone = []
    for force in forces:
        quick_forecasts.clear()
        one_force(inputs, PCP, force)
        alone.append(quick_forecasts[0])
    for together, by_itself in zip(frames, alone):
        pd.testing.assert_frame_equal(together, by_itself)


def test_the_forecasts_see_each_measure_s_whole_history_up_to_the_edition(inputs, quick_forecasts):
    """The charts show the latest ``history_quarters``; the forecasts, whose intervals are calibrated on years of
    past forecasts, get every quarter from the measure's first (its ``series_start``) to the edition's, the same
    figures as the chart's where they overlap."""
    results, _ = all_at_once(inputs, PCP, ["Essex"])
    (history,) = quick_forecasts
    publication = inputs[PCP][0]
    starts = {m.id: m.series_start.id if m.series_start else "2012-13-Q1" for _, m in publication.measures}
    crime = history[history["measure"].isin([m.id for _, m in publication.measures if m.source == "home_office"])]
    for measure, group in crime.groupby("measure"):
        assert group["period"].iloc[0] == starts[measure] and group["period"].iloc[-1] == Q4.id
        assert list(group["period"]) == sorted(group["period"]) and group["period"].is_unique
    chart = results[(results["statistic"] == "series") & (results["area"] == "")
                    & results["measure"].isin(history["measure"])]  # not the workforce's counts at 31 March
    assert len(chart) < len(history)
    both = chart.merge(history, on=["measure", "period"], suffixes=("", "_history"))
    assert len(both) == len(chart)  # every chart quarter is in the history, with the same figure and lines
    assert both["value"].equals(both["value_history"]) and both["lines"].equals(both["lines_history"])


def test_the_forecasts_are_waited_for_after_the_other_figures(inputs, quick_forecasts, monkeypatch):
    """The fits are handed out first and their rows taken last, so that workers fit while this process computes the
    peer tables; the results are those of a map that fits at once."""
    events = []

    def lazy_map(function, frames):
        frames = list(frames)
        events.append("sent")

        def rows():
            events.append("taken")
            yield from (function(frame) for frame in frames)
        return rows()
    peer_results = stage.peer_results
    monkeypatch.setattr(stage, "peer_results", lambda *a, **k: events.append("peer table") or peer_results(*a, **k))
    lazily = all_at_once(inputs, PCP, ["Essex", "Kent"], map_series=lazy_map)
    assert events == ["sent", "peer table", "peer table", "taken"]
    at_once = all_at_once(inputs, PCP, ["Essex", "Kent"])
    for got, expected in zip(lazily, at_once):
        pd.testing.assert_frame_equal(got, expected)


def test_the_forecast_function_can_be_sent_to_a_worker(inputs):
    calls, nothing = [], tidy(pd.DataFrame(columns=COLUMNS))

    def keep(function, frames):
        calls.append(function)
        return [nothing for _ in frames]
    stage.demand_profiles(inputs[PCP][0], {"Kent": nothing}, keep)
    sent = pickle.loads(pickle.dumps(calls[0]))  # a Dask worker gets it pickled
    assert sent.func is stage._forecast_results and sent.keywords == calls[0].keywords
    assert sent.keywords["disturbed"]  # the publication's disturbed quarters go with it


def test_open_data_is_read_once_for_every_force(inputs):
    publication, shared, own = inputs[PCP]
    assert {"Essex", "Kent", "Surrey", "Metropolitan Police"} <= set(shared.crime["Force Name"])
    assert own["Essex"].extracts and not own["Kent"].extracts and not own["Kent"].narratives
    # One edition without a comparison-group table still reads only its own force's crime.
    prevention = inputs[PREVENTION][0]
    alone = read_edition_inputs(paths(PREVENTION, "Kent"), prevention, "Kent", Q4)
    assert set(alone.crime["Force Name"]) == {"Kent"} and alone.tracker is None


def test_no_forces_is_a_clear_error(inputs):
    publication, shared, _ = inputs[PCP]
    with pytest.raises(ValueError, match="at least one force"):
        compute_editions(publication, [], Q4, crime=shared.crime, population=shared.population)


def test_a_rerun_fits_only_the_forces_whose_series_are_new(inputs, quick_forecasts, tmp_path):
    fitted = []

    def counting_map(function, frames):
        frames = list(frames)
        fitted.append([frame["force"].iloc[0] for frame in frames])
        return [function(frame) for frame in frames]
    first = all_at_once(inputs, PCP, ["Essex", "Kent"], map_series=counting_map, profile_cache=tmp_path)
    again = all_at_once(inputs, PCP, ["Essex", "Kent", "Surrey"], map_series=counting_map, profile_cache=tmp_path)
    assert fitted == [["Essex", "Kent"], ["Surrey"]]
    for force in ["Essex", "Kent"]:  # rows read back from the cache are the rows fitted
        pd.testing.assert_frame_equal(edition_tables(*again, force)[0], edition_tables(*first, force)[0])
    assert sorted(p.name.split(".")[0] for p in tmp_path.glob("*.parquet")) == ["essex", "kent", "surrey"]


def test_one_force_split_measure_by_measure_over_processes_gives_the_rows_of_one_call(inputs):
    """The single-edition build fits each measure as a task of its own on its worker processes: the rows are those
    of one call (real fits, two measures of Essex's series)."""
    from concurrent.futures import ProcessPoolExecutor

    publication = inputs[PREVENTION][0]
    with pytest.MonkeyPatch.context() as patch:  # the series only: the real fits are for the two measures below
        patch.setattr(stage, "_forecast_results", stand_in_profile)
        results, _ = one_force(inputs, PREVENTION, "Essex")
    series = results[(results["statistic"] == "series") & (results["area"] == "")]
    two = series[series["measure"].isin(series["measure"].drop_duplicates().head(2))].reset_index(drop=True)
    assert two["measure"].nunique() == 2
    whole = stage.demand_profiles(publication, {"Essex": two})
    with ProcessPoolExecutor(2) as pool:
        tasks = []

        def submit(function, frame):
            tasks.append(set(frame["measure"]))
            return pool.submit(function, frame)
        split = stage.demand_profiles(publication, {"Essex": two}, stage.measure_by_measure(submit))
    assert len(tasks) == 2 and all(len(measures) == 1 for measures in tasks)  # a task per measure
    assert not whole[0].empty
    pd.testing.assert_frame_equal(split[0], whole[0])
