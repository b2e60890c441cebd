"""The compute stage of an edition: validated inputs in; the results table and the input rows behind it out.

Everything a page shows is computed here, once, and written as Parquet in the edition's work folder; the page
notebooks only render from it. The functions take a list of forces and are vectorised over them.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from strategy_update.compute.comparisons import COMPARISONS
from strategy_update.compute.observations import (
    INPUT_ROW_COLUMNS,
    observations_from_crime,
    observations_from_extracts,
    observations_from_workforce,
)
from strategy_update.compute.peer_table import peer_results, shared_peer_inputs
from strategy_update.compute.results import COLUMNS as RESULT_COLUMNS
from strategy_update.compute.results import (
    compute_results,
    delivery_results,
    label_snapshots,
    quarterly_history,
    read_results,
    tidy,
    write_results,
)
from strategy_update.core.periods import Quarter, parse_quarter
from strategy_update.model.forces import display_name, force_slug
from strategy_update.model.publication import HOME_OFFICE, WORKFORCE, Publication

RESULTS, INPUT_ROWS = "results.parquet", "input-rows.parquet"
EDITION = "edition"  # compute_editions' tables: the force whose edition a row belongs to
INPUT_ROW_SCHEMA = pa.schema([("force", pa.string()), ("section", pa.string()), ("measure", pa.string()),
                              ("area", pa.string()), ("period", pa.string()), ("source_file", pa.string()),
                              ("line", pa.int64()), ("code", pa.string()), ("value", pa.float64()),
                              ("published_in", pa.string()), ("extracted", pa.string())])


def compute_edition(publication: Publication, force: str, quarter: Quarter, *, crime: pd.DataFrame,
                    population: pd.DataFrame, tracker: pd.DataFrame | None, extracts: dict[str, pd.DataFrame],
                    peer_group: pd.DataFrame | None = None,
                    workforce: pd.DataFrame | None = None, recording_changes: pd.DataFrame | None = None,
                    profile_cache: Path | None = None, map_series: Callable = map) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, input rows) for one force's edition. ``extracts`` maps measure ids to validated extract frames;
    ``workforce`` is the Home Office workforce table (``load_workforce``), needed when a measure uses it.
    One force's case of ``compute_editions``: there is one way to compute an edition's figures."""
    results, rows = compute_editions(publication, [force], quarter, crime=crime, population=population,
                                     workforce=workforce, trackers={force: tracker}, extracts={force: extracts},
                                     peer_groups={force: peer_group}, recording_changes=recording_changes,
                                     profile_cache=profile_cache, map_series=map_series)
    return edition_tables(results, rows, force)


def compute_editions(publication: Publication, forces: list[str], quarter: Quarter, *, crime: pd.DataFrame,
                     population: pd.DataFrame, workforce: pd.DataFrame | None = None,
                     trackers: dict[str, pd.DataFrame | None] | None = None,
                     extracts: dict[str, dict[str, pd.DataFrame]] | None = None,
                     peer_groups: dict[str, pd.DataFrame | None] | None = None,
                     recording_changes: pd.DataFrame | None = None,
                     map_series: Callable = map, profile_cache: Path | None = None
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, input rows) of every force's edition at once, each row marked with the force whose edition it
    belongs to (column ``EDITION``; ``edition_tables`` takes one edition's tables out, exactly as
    ``compute_edition`` gives them). ``trackers``, ``extracts`` and ``peer_groups`` are keyed by force (a force
    missing from them supplied none).

    The open-data figures, the workforce snapshot and the figures behind the peer tables are computed once for
    all forces; delivery and each force's peer table are per force by nature. The demand profiles (statsmodels
    fits, the slow part) go one force per call through ``map_series(function, frames)``, like the builtin ``map``:
    a map that sends them elsewhere (Dask workers, processes) and gives back an iterable that waits for each
    (``map(Future.result, futures)``) has them fitted while this process computes the rest; the rows are taken
    last.
    ``profile_cache``: a folder where each force's demand profile is kept, so that a rerun fits only the forces
    whose series changed (``demand_profiles``).
    ``recording_changes``: declared changes in how forces recorded crime (``read_recording_changes``). A force's
    open-data figures are published as recorded on both sides of its change; its control charts take a step change
    there (limits worked out afresh from the quarter), its trend and forecast use the quarters from it on, and a
    ``recording_change`` row (with a ``peer_recording_change`` row for each member of a position table's group
    that has one) lets the pages say so."""
    forces = list(dict.fromkeys(forces))
    if not forces:
        raise ValueError("compute_editions: name at least one force")
    trackers, extracts, peer_groups = trackers or {}, extracts or {}, peer_groups or {}
    measures = [(section.id, measure) for section, measure in publication.measures]
    crime_obs, crime_rows = observations_from_crime(crime, measures, forces)  # ``crime`` may hold every force
    extract_parts = [observations_from_extracts(
        [(section.id, m, extracts.get(force, {}).get(m.id)) for section, m in publication.measures], force)
        for force in forces]
    observations = pd.concat([o for o in (crime_obs, *(obs for obs, _ in extract_parts)) if not o.empty],
                             ignore_index=True)
    changes = _changes_up_to(recording_changes, quarter)
    settings = spc_settings(publication)
    settings["spc_steps"] = {**settings["spc_steps"], **recording_steps(publication, changes, forces)}
    input_rows = _input_rows(crime_rows, extract_parts)
    not_summed = frozenset(m.id for _, m in publication.measures if not m.summable)
    results = compute_results(observations, input_rows, population,
                              publication_id=publication.id, quarter=quarter,
                              comparisons=list(publication.comparisons), baseline_end=publication.baseline_end,
                              history_quarters=publication.history_quarters, forces=forces,
                              not_summed=not_summed, **settings)
    # A rate per 1,000 residents is meaningful for recorded crime and for the force's workforce, not for a force's
    # percentages or outcomes.
    open_data = {m.id for _, m in publication.measures if m.source in (HOME_OFFICE, WORKFORCE)}
    per_head = results["statistic"].isin(["population", "rate_per_1000"])
    results = results[~per_head | results["measure"].isin(open_data)].reset_index(drop=True)
    figures = _by_force(results, forces)
    # The demand profiles are forecast from each measure's whole quarterly history, not only its charts' quarters
    # (from a declared change in recording on, for the measures it touches).
    history = quarterly_history(observations, input_rows, publication_id=publication.id, quarter=quarter,
                                forces=forces, not_summed=not_summed)
    profiles = start_demand_profiles(publication, _by_force(history, forces), map_series, profile_cache,
                                     since=recorded_since(publication, changes, forces))
    snapshot_results = snapshot_rows = None
    if publication.has_workforce:
        snapshot_results, snapshot_rows = workforce_results(publication, forces[0], quarter, workforce, population,
                                                            forces=forces)
        snapshot_results, snapshot_rows = _by_force(snapshot_results, forces), _by_force(snapshot_rows, forces)
    crime_by_force = _by_force(crime_rows, forces)
    groups, shared = {}, None
    if publication.peer_group_label and len(forces) > 1:  # the groups' figures once for every force's table
        groups, shared = shared_peer_inputs(publication, forces, quarter, crime=crime, population=population,
                                            officials=peer_groups)
    after_profile, all_rows = [], []  # each force's parts that follow its demand profile in its results
    for force, (_, extract_rows) in zip(forces, extract_parts):
        parts, rows = [], [crime_by_force[force], extract_rows]
        if snapshot_results is not None:
            parts.append(snapshot_results[force])
            rows.append(snapshot_rows[force])
        if publication.delivery is not None:
            parts.append(delivery_results(trackers.get(force), publication, force))
        if publication.peer_group_label:
            parts.append(peer_results(publication, force, quarter, crime=crime, population=population,
                                      official=peer_groups.get(force), group=groups.get(force), shared=shared))
        parts.append(change_rows(publication, force, changes, parts[-1] if publication.peer_group_label else None))
        after_profile.append(parts)
        all_rows.append(typed_rows(pd.concat([r for r in rows if not r.empty] or [rows[0]], ignore_index=True))
                        .assign(**{EDITION: force}))
    all_results = [pd.concat([figures[force], profile, *after], ignore_index=True).assign(**{EDITION: force})
                   for force, profile, after in zip(forces, profiles(), after_profile)]
    return (pd.concat(all_results, ignore_index=True),
            pd.concat(all_rows, ignore_index=True)[[EDITION] + INPUT_ROW_COLUMNS])


# --- declared changes in how a force recorded crime -------------------------------------------------------------
def _changes_up_to(changes: pd.DataFrame | None, quarter: Quarter) -> pd.DataFrame:
    """The declared changes that took effect by the edition's quarter (a later one changes nothing shown)."""
    if changes is None or changes.empty:
        return pd.DataFrame(columns=["force", "quarter", "change", "source", "line", "source_file"])
    return changes[[parse_quarter(q) <= quarter for q in changes["quarter"]]]


def recording_steps(publication: Publication, changes: pd.DataFrame, forces: list[str]) -> dict:
    """(force, measure id) -> its control chart's step changes: every open-data measure of a force with a declared
    change steps there, with the change as the reason (``compute_results``' ``spc_steps``)."""
    steps: dict[tuple[str, str], tuple[tuple[str, str], ...]] = {}
    for row in changes[changes["force"].isin(forces)].itertuples(index=False):
        reason = f"a change in how {display_name(row.force)} recorded crime: {row.change.rstrip('.')}"
        for _, m in publication.measures:
            if m.source == HOME_OFFICE:
                steps[(row.force, m.id)] = steps.get((row.force, m.id), ()) + ((row.quarter, reason),)
    return steps


def recorded_since(publication: Publication, changes: pd.DataFrame, forces: list[str]) -> dict:
    """force -> (first quarter of its latest declared change, the open-data measures it applies to): the trend and
    forecast of those measures use the quarters from it on (figures recorded another way are no guide to them)."""
    latest = changes[changes["force"].isin(forces)].sort_values("quarter").groupby("force")["quarter"].last()
    measures = frozenset(m.id for _, m in publication.measures if m.source == HOME_OFFICE)
    return {force: (quarter, measures) for force, quarter in latest.items()}


def change_rows(publication: Publication, force: str, changes: pd.DataFrame, peer_rows: pd.DataFrame | None
                ) -> pd.DataFrame:
    """``recording_change`` rows of the force's declared changes, and ``peer_recording_change`` rows of its
    position table's members' (period: the quarter it took effect; text: the change; base_period_label: the
    source), for the pages to say beside the figures."""
    members = set() if peer_rows is None or peer_rows.empty else set(
        peer_rows.loc[peer_rows["statistic"] == "peer_group_member", "text"])
    records = []
    for row in changes.itertuples(index=False):
        statistic = ("recording_change" if row.force == force else
                     "peer_recording_change" if row.force in members else None)
        if statistic:
            records.append({"force": row.force, "statistic": statistic, "period": row.quarter,
                            "period_label": parse_quarter(row.quarter).label, "text": row.change,
                            "base_period_label": row.source, "source_file": row.source_file,
                            "lines": [int(row.line)], "value": None})
    if not records:
        return tidy(pd.DataFrame(columns=RESULT_COLUMNS))
    frame = pd.DataFrame(records).assign(publication=publication.id, section="", measure="")
    frame["value"] = frame["value"].astype(float)
    return tidy(frame)


def edition_tables(results: pd.DataFrame, rows: pd.DataFrame, force: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One force's (results, input rows) out of ``compute_editions``' tables, as ``compute_edition`` gives them.
    (A peer table's rows name the group's other forces in ``force``: the ``EDITION`` column says whose they are.)"""
    mine = results[results[EDITION] == force].drop(columns=EDITION).reset_index(drop=True)
    return mine, typed_rows(rows.loc[rows[EDITION] == force, INPUT_ROW_COLUMNS].reset_index(drop=True))


def typed_rows(rows: pd.DataFrame) -> pd.DataFrame:
    """Input rows with the types they have once written and read back (``INPUT_ROW_SCHEMA``: a value is a float
    whether it came from the crime table's whole counts or from an extract), so that one force's rows are the same
    whichever forces they were computed with."""
    types = {field.name: "float64" if pa.types.is_floating(field.type) else
             "int64" if pa.types.is_integer(field.type) else "str" for field in INPUT_ROW_SCHEMA}
    return rows[INPUT_ROW_COLUMNS].astype(types)


def _input_rows(crime_rows: pd.DataFrame, extract_parts: list[tuple[pd.DataFrame, pd.DataFrame]]) -> pd.DataFrame:
    """The input rows behind the observations: the crime table's, then each force's extracts'."""
    frames = [r for r in (crime_rows, *(rows for _, rows in extract_parts)) if not r.empty]
    return pd.concat(frames, ignore_index=True) if frames else crime_rows


def _by_force(frame: pd.DataFrame, forces: list[str]) -> dict[str, pd.DataFrame]:
    """Each force's rows of a table with a ``force`` column, in their order (empty for a force with none)."""
    groups = {force: group.reset_index(drop=True) for force, group in frame.groupby("force", sort=False)}
    empty = frame.iloc[:0]
    return {force: groups.get(force, empty) for force in forces}


def demand_profiles(publication: Publication, figures: dict[str, pd.DataFrame], map_series: Callable = map,
                    cache: Path | None = None) -> list[pd.DataFrame]:
    """Each force's demand-profile rows (``_forecast_results``), one force per ``map_series`` call, in the
    order of ``figures`` (each force's ``series`` rows: its measures' whole quarterly histories,
    ``quarterly_history``); only the quarterly series go to the workers.

    With a ``cache`` folder, a force whose series, disturbed quarters, compute code and packages are those of an
    earlier run gets that run's rows back without fitting again (a force's new tracker or narrative leaves its
    series as they were; only a changed series costs its seconds of fits). The code is every module of
    ``compute/`` and ``core/``, so a change to the models, the back test or the calibration fits again."""
    return start_demand_profiles(publication, figures, map_series, cache)()


def start_demand_profiles(publication: Publication, figures: dict[str, pd.DataFrame], map_series: Callable = map,
                          cache: Path | None = None, since: dict | None = None) -> Callable[[], list[pd.DataFrame]]:
    """``demand_profiles``, in two steps: this call hands the series to ``map_series``; the function it returns
    waits for the rows (and keeps them in the cache). A ``map_series`` that starts its work at once has it done in
    between. ``since``: force -> (quarter id, measure ids) whose series start there for the forecast (a declared
    change in recording: ``recorded_since``)."""
    from strategy_update.model.publication import disturbed_quarters

    profile = functools.partial(_forecast_results, disturbed=tuple(disturbed_quarters(publication)))
    series = [_since(frame[(frame["statistic"] == "series") & (frame["area"] == "")], (since or {}).get(force))
              .reset_index(drop=True) for force, frame in figures.items()]
    files = [cache / f"{force_slug(force)}.{_profile_key(frame, profile.keywords['disturbed'])}.parquet"
             for force, frame in zip(figures, series)] if cache else [None] * len(series)
    known = {i: read_results(path) for i, path in enumerate(files) if path is not None and path.exists()}
    todo = [i for i in range(len(series)) if i not in known]
    pending = map_series(profile, [series[i] for i in todo]) if todo else ()

    def rows() -> list[pd.DataFrame]:
        made = dict(zip(todo, pending))
        for i, frame in made.items():
            if files[i] is not None:
                _keep_profile(frame, files[i])
        return [known[i] if i in known else made[i] for i in range(len(series))]
    return rows


def _since(series: pd.DataFrame, start: tuple[str, frozenset[str]] | None) -> pd.DataFrame:
    """The series, less the quarters before ``start``'s quarter for its measures (quarter ids sort as text)."""
    if start is None:
        return series
    quarter, measures = start
    return series[~(series["measure"].isin(measures) & (series["period"] < quarter))]


def measure_by_measure(submit: Callable) -> Callable:
    """A ``map_series`` for ``compute_editions`` that fits each measure of a force as a task of its own
    (``submit(function, frame)`` returns a future, as ``ProcessPoolExecutor.submit`` does), so that one edition's
    fits spread over the build's worker processes. A force's rows come back exactly as one call would give them:
    its measures are independent, and their parts are joined in the order the whole call would make them. Every
    task is submitted at once; each force's rows are waited for as they are taken."""
    def map_series(function: Callable, frames) -> Iterator[pd.DataFrame]:
        tasks = [[submit(function, part) for _, part in frame.groupby(["section", "measure"], sort=False)]
                 or [submit(function, frame)] for frame in frames]
        return (pd.concat([task.result() for task in parts], ignore_index=True) for parts in tasks)
    return map_series


def _profile_key(series: pd.DataFrame, disturbed: tuple[str, ...]) -> str:
    """What a force's demand profile depends on: its series (values and the lines behind them), the disturbed
    quarters, the compute code and the packages that fit the models."""
    digest = hashlib.sha256(_profile_code_key().encode())
    digest.update(repr((series[RESULT_COLUMNS].to_dict("list"), disturbed)).encode())
    return digest.hexdigest()[:24]


@functools.cache
def _profile_code_key() -> str:
    from importlib.metadata import version

    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(repr([version(name) for name in ("statsmodels", "scipy", "numpy", "pandas")]).encode())
    for path in sorted([*(package / "compute").glob("*.py"), *(package / "core").glob("*.py")]):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def _keep_profile(rows: pd.DataFrame, path: Path) -> None:
    """Store a force's rows under their key, replacing the force's older entries (a quarter ago, old code)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in path.parent.glob(f"{path.name.split('.')[0]}.*.parquet"):
        stale.unlink(missing_ok=True)
    fresh = path.with_suffix(f".{os.getpid()}.new")
    write_results(rows, fresh)
    fresh.replace(path)


def _forecast_results(results: pd.DataFrame, disturbed: tuple[str, ...]) -> pd.DataFrame:
    """compute/forecast.py's rows; a module-level function, so that a Dask worker can run it (it is pickled)."""
    from strategy_update.compute.forecast import forecast_results  # statsmodels loads only when a stage runs

    return forecast_results(results, disturbed=disturbed)


def spc_settings(publication: Publication) -> dict:
    """compute_results' control chart settings from the definition: the baseline and each measure's steps."""
    return {"spc_baseline": publication.spc_baseline_quarters,
            "spc_steps": {m.id: tuple((q.id, reason) for q, reason in m.spc_steps)
                          for _, m in publication.measures if m.spc_steps}}


def snapshot_quarter(quarter: Quarter) -> Quarter:
    """The quarter ending on the latest 31 March on or before the edition's end (Q4 of a financial year)."""
    return quarter if quarter.number == 4 else quarter.shift(-quarter.number)


def workforce_results(publication: Publication, force: str, quarter: Quarter, workforce: pd.DataFrame | None,
                      population: pd.DataFrame, forces: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The figures of the workforce measures (counts at 31 March): the publication's comparisons at the latest
    31 March on or before the edition's end, so that the quarter comparisons compare 31 March with 31 March a year
    earlier and the 12-month ones have no figure; the rate per 1,000 goes with the comparison of one 31 March
    with the one a year earlier. Labels read ``at 31 March 2022``. ``forces``: every force of the table when None."""
    if workforce is None:
        raise ValueError("the publication has workforce measures: pass the workforce table (load_workforce)")
    measures = [(section.id, measure) for section, measure in publication.measures]
    obs, rows = observations_from_workforce(workforce, measures, forces or [force])
    if obs.empty:
        return compute_results(obs, rows, population, publication_id=publication.id, quarter=quarter,
                               comparisons=list(publication.comparisons), baseline_end=publication.baseline_end,
                               history_quarters=publication.history_quarters, forces=forces or [force]), rows
    at = snapshot_quarter(quarter)
    # The rate goes with a comparison of one 31 March with the one a year earlier (both are in the data).
    single = [name for name in publication.comparisons
              if (pair := COMPARISONS[name](at, publication.baseline_end, None)) is not None
              and pair.current.months == pair.base.months == 3
              and pair.current.first_month - pair.base.first_month == 12]
    results = compute_results(obs, rows, population, publication_id=publication.id, quarter=at,
                              comparisons=list(publication.comparisons), baseline_end=publication.baseline_end,
                              history_quarters=publication.history_quarters, forces=forces or [force],
                              rate_comparison=single[0] if single else None)
    return label_snapshots(results), rows


def write_edition_results(results: pd.DataFrame, rows: pd.DataFrame, folder: Path) -> None:
    """Both tables as Parquet, rewritten only when their bytes change (notebook keys hash them)."""
    folder.mkdir(parents=True, exist_ok=True)
    _replace_if_changed(folder / RESULTS, lambda path: write_results(results, path))
    table = pa.Table.from_pandas(rows.reset_index(drop=True), schema=INPUT_ROW_SCHEMA,
                                 preserve_index=False).replace_schema_metadata(None)
    _replace_if_changed(folder / INPUT_ROWS, lambda path: pq.write_table(table, path, compression="zstd",
                                                                         write_statistics=False))


def read_edition_results(folder: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    return read_results(folder / RESULTS), pq.read_table(folder / INPUT_ROWS, schema=INPUT_ROW_SCHEMA).to_pandas()


def _replace_if_changed(path: Path, write) -> None:
    fresh = path.with_suffix(".new")
    write(fresh)
    if path.exists() and path.read_bytes() == fresh.read_bytes():
        fresh.unlink()
    else:
        fresh.replace(path)
