"""The compute stage of an edition: validated inputs in; the results table and the input rows behind it out.

Everything a page shows is computed here, once, and written as Parquet in the edition's work folder; the page
notebooks only render from it. The functions take a list of forces and are vectorised over them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from strategy_update.compute.comparisons import COMPARISONS
from strategy_update.compute.observations import (INPUT_ROW_COLUMNS, observations_from_crime,
                                                  observations_from_extracts, observations_from_workforce)
from strategy_update.compute.peer_table import peer_results
from strategy_update.compute.results import (compute_results, delivery_results, label_snapshots, read_results,
                                             write_results)
from strategy_update.core.periods import Quarter
from strategy_update.model.publication import HOME_OFFICE, WORKFORCE, Publication

RESULTS, INPUT_ROWS = "results.parquet", "input-rows.parquet"
INPUT_ROW_SCHEMA = pa.schema([("force", pa.string()), ("section", pa.string()), ("measure", pa.string()),
                              ("area", pa.string()), ("period", pa.string()), ("source_file", pa.string()),
                              ("line", pa.int64()), ("code", pa.string()), ("value", pa.float64()),
                              ("published_in", pa.string()), ("extracted", pa.string())])


def compute_edition(publication: Publication, force: str, quarter: Quarter, *, crime: pd.DataFrame,
                    population: pd.DataFrame, tracker: pd.DataFrame | None, extracts: dict[str, pd.DataFrame],
                    peer_group: pd.DataFrame | None = None,
                    workforce: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, input rows) for one force's edition. ``extracts`` maps measure ids to validated extract frames;
    ``workforce`` is the Home Office workforce table (``load_workforce``), needed when a measure uses it."""
    measures = [(section.id, measure) for section, measure in publication.measures]
    crime_obs, crime_rows = observations_from_crime(crime, measures, [force])  # ``crime`` may hold every force
    extract_obs, extract_rows = observations_from_extracts(
        [(section.id, m, extracts.get(m.id)) for section, m in publication.measures], force)
    observations = pd.concat([o for o in (crime_obs, extract_obs) if not o.empty], ignore_index=True)
    rows = pd.concat([r for r in (crime_rows, extract_rows) if not r.empty], ignore_index=True)
    results = compute_results(observations, rows, population, publication_id=publication.id, quarter=quarter,
                              comparisons=list(publication.comparisons), baseline_end=publication.baseline_end,
                              history_quarters=publication.history_quarters, forces=[force],
                              not_summed=frozenset(m.id for _, m in publication.measures if not m.summable),
                              **spc_settings(publication))
    # A rate per 1,000 residents is meaningful for recorded crime and for the force's workforce, not for a force's
    # percentages or outcomes.
    open_data = {m.id for _, m in publication.measures if m.source in (HOME_OFFICE, WORKFORCE)}
    per_head = results["statistic"].isin(["population", "rate_per_1000"])
    results = results[~per_head | results["measure"].isin(open_data)].reset_index(drop=True)
    results = pd.concat([results, demand_profile_results(publication, results)], ignore_index=True)
    if publication.has_workforce:
        snapshot_results, snapshot_rows = workforce_results(publication, force, quarter, workforce, population)
        results = pd.concat([results, snapshot_results], ignore_index=True)
        rows = pd.concat([r for r in (rows, snapshot_rows) if not r.empty], ignore_index=True)
    if publication.delivery is not None:
        results = pd.concat([results, delivery_results(tracker, publication, force)],
                            ignore_index=True)
    if publication.peer_group_label:
        results = pd.concat([results, peer_results(publication, force, quarter, crime=crime, population=population,
                                                      official=peer_group)],
                            ignore_index=True)
    return results, rows[INPUT_ROW_COLUMNS]


def demand_profile_results(publication: Publication, results: pd.DataFrame) -> pd.DataFrame:
    """Trend, forecast and back-test rows of every quarterly series in ``results`` (all its forces at once), with
    the publication's disturbed quarters left out (compute/forecast.py)."""
    from strategy_update.compute.forecast import forecast_results  # statsmodels loads only when a stage runs
    from strategy_update.model.publication import disturbed_quarters

    return forecast_results(results, disturbed=disturbed_quarters(publication))


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
