"""The compute stage of an edition: validated inputs in; the results table and the input rows behind it out.

Everything a page shows is computed here, once, and written as Parquet in the edition's work folder; the page
notebooks only render from it. The functions take a list of forces and are vectorised over them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from strategy_update.compute.observations import INPUT_ROW_COLUMNS, observations_from_crime, observations_from_extracts
from strategy_update.compute.peer_table import peer_results
from strategy_update.compute.results import compute_results, delivery_results, read_results, write_results
from strategy_update.core.periods import Quarter
from strategy_update.model.publication import HOME_OFFICE, Publication

RESULTS, INPUT_ROWS = "results.parquet", "input-rows.parquet"
INPUT_ROW_SCHEMA = pa.schema([("force", pa.string()), ("section", pa.string()), ("measure", pa.string()),
                              ("area", pa.string()), ("period", pa.string()), ("source_file", pa.string()),
                              ("line", pa.int64()), ("code", pa.string()), ("value", pa.float64())])


def compute_edition(publication: Publication, force: str, quarter: Quarter, *, crime: pd.DataFrame,
                    population: pd.DataFrame, tracker: pd.DataFrame | None, extracts: dict[str, pd.DataFrame],
                    peer_group: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(results, input rows) for one force's edition. ``extracts`` maps measure ids to validated extract frames."""
    measures = [(section.id, measure) for section, measure in publication.measures]
    crime_obs, crime_rows = observations_from_crime(crime, measures, [force])  # ``crime`` may hold every force
    extract_obs, extract_rows = observations_from_extracts(
        [(section.id, m, extracts.get(m.id)) for section, m in publication.measures], force)
    observations = pd.concat([o for o in (crime_obs, extract_obs) if not o.empty], ignore_index=True)
    rows = pd.concat([r for r in (crime_rows, extract_rows) if not r.empty], ignore_index=True)
    results = compute_results(observations, rows, population, publication_id=publication.id, quarter=quarter,
                              comparisons=list(publication.comparisons), baseline_end=publication.baseline_end,
                              history_quarters=publication.history_quarters, forces=[force])
    # A rate per 1,000 residents is meaningful for recorded crime, not for a force's percentages or outcomes.
    open_data = {m.id for _, m in publication.measures if m.source == HOME_OFFICE}
    per_head = results["statistic"].isin(["population", "rate_per_1000"])
    results = results[~per_head | results["measure"].isin(open_data)].reset_index(drop=True)
    if publication.delivery is not None:
        results = pd.concat([results, delivery_results(tracker, publication, force)],
                            ignore_index=True)
    if publication.peer_group_label:
        results = pd.concat([results, peer_results(publication, force, quarter, crime=crime, population=population,
                                                      official=peer_group)],
                            ignore_index=True)
    return results, rows[INPUT_ROW_COLUMNS]


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
