"""Inputs as observations: a value per force, section, measure and span of months, and the input rows behind it.

Observations are what the compute stage works on, whatever the source: the Home Office table gives one per
quarter (the sum of a measure's offence codes), a force extract one per period it lists (a month, a quarter or
a range of months such as a printed "3 months to July"), the Home Office workforce table one per 31 March.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from strategy_update.compute.comparisons import Span, quarter_span
from strategy_update.core.periods import parse_quarter
from strategy_update.model.publication import FORCE_EXTRACT, HOME_OFFICE, WORKFORCE, Measure

KEY = ["force", "section", "measure"]
# A figure's key: a force-wide figure has area '' (the Home Office data is always force-wide); a force extract's row
# may name one of the force's areas instead, and that area's figures are computed the same way, on their own.
FIGURE_KEY = KEY + ["area"]
OBSERVATION_COLUMNS = KEY + ["area", "period", "first_month", "last_month", "value", "source_file"]
# ``published_in`` and ``extracted``: a force extract row's ``source`` and extraction date (blank for open data), so a
# page can say whose figures they are and when they were taken from the force's systems.
INPUT_ROW_COLUMNS = KEY + ["area", "period", "source_file", "line", "code", "value", "published_in", "extracted"]


def observations_from_crime(crime: pd.DataFrame, measures: list[tuple[str, Measure]],
                            forces: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Quarterly counts per force x Home Office measure from ``load_crime`` rows, and the rows behind them.

    A quarter with no rows for a measure's codes has no observation, so it comes out missing (NaN), never 0,
    as in measures.quarterly_series. Force-extract measures (``source == "force_extract"``) are skipped here:
    their observations will come from the force-extract reader, each monthly, quarterly or 3-month-range
    period becoming a span, and compute_results treats them the same way.
    """
    codes = pd.DataFrame(
        [(section, m.id, order, code, m.series_start.id if m.series_start else "")
         for order, (section, m) in enumerate(measures) if m.source == HOME_OFFICE
         for code in dict.fromkeys(m.offence_codes)],  # a code listed twice still counts once
        columns=["section", "measure", "order", "code", "series_start"])
    rows = crime if forces is None else crime[crime["Force Name"].isin(forces)]
    # A merge, not isin: one offence code can count towards several measures (92A: trafficking and drugs).
    rows = rows[["Force Name", "Offence Code", "count", "quarter", "line", "source_file"]].merge(
        codes, left_on="Offence Code", right_on="code")
    rows = rows[rows["quarter"] >= rows["series_start"]]  # quarter ids sort as text, as in measure_rows
    rows = rows.rename(columns={"Force Name": "force", "quarter": "period", "count": "value"})
    rows = rows.sort_values(["force", "order", "period", "line"], kind="stable").reset_index(drop=True)
    obs = (rows.groupby(["force", "order", "section", "measure", "period"], sort=True)
           .agg(value=("value", "sum"), source_file=("source_file", "first")).reset_index())
    spans = {p: quarter_span(parse_quarter(p)) for p in obs["period"].unique()}
    obs["first_month"] = np.array([spans[p].first_month for p in obs["period"]], dtype="int64")
    obs["last_month"] = obs["first_month"] + 2
    obs["value"] = obs["value"].astype(float)
    obs["area"] = rows["area"] = ""
    rows["published_in"] = rows["extracted"] = ""
    return obs[OBSERVATION_COLUMNS], rows[INPUT_ROW_COLUMNS]


def observations_from_extracts(extracts: list[tuple[str, Measure, pd.DataFrame]], force: str
                               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One observation per row of each extract (``read_force_extract`` frames, validated), and the row behind it."""
    frames = []
    for section, measure, frame in extracts:
        if measure.source != FORCE_EXTRACT or frame is None or frame.empty:
            continue
        spans = [Span(int(f), int(last)) for f, last in zip(frame["first_month"], frame["last_month"])]
        frames.append(pd.DataFrame({
            "force": force, "section": section, "measure": measure.id, "area": frame["area"].to_numpy(),
            "period": [s.id for s in spans], "first_month": [s.first_month for s in spans],
            "last_month": [s.last_month for s in spans], "value": frame["number"].astype(float).to_numpy(),
            "source_file": frame["file"].to_numpy(), "line": frame["line"].astype(int).to_numpy(), "code": "",
            "published_in": frame["source"].to_numpy(), "extracted": frame["extracted"].to_numpy()}))
    if not frames:
        return pd.DataFrame(columns=OBSERVATION_COLUMNS), pd.DataFrame(columns=INPUT_ROW_COLUMNS)
    rows = pd.concat(frames, ignore_index=True)
    return rows[OBSERVATION_COLUMNS], rows[INPUT_ROW_COLUMNS]


def snapshot_span(year: int) -> Span:
    """Where the count at 31 March ``year`` sits among spans: the quarter ending that day (January to March, Q4 of
    the financial year ending then). It is a position on one day, not a count over those months, so a span of more
    than one such quarter (e.g. a rolling 12 months) is never tiled by snapshots and has no figure."""
    first = year * 12  # month index of January of ``year``
    return Span(first, first + 2)


def observations_from_workforce(workforce: pd.DataFrame, measures: list[tuple[str, Measure]],
                                forces: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One snapshot observation per force x workforce measure x 31 March (``load_workforce`` rows, validated: one
    row per force, year and worker type), for every force at once, and the row behind each.

    The measure's ``count`` column (``fte`` or ``headcount``) of the rows whose ``worker_type`` is the measure's
    becomes the value; the count at 31 March Y is the observation of the quarter January-March Y (``snapshot_span``).
    """
    wanted = pd.DataFrame([(section, m.id, order, m.worker_type, m.count)
                           for order, (section, m) in enumerate(measures) if m.source == WORKFORCE],
                          columns=["section", "measure", "order", "worker_type", "count_column"])
    if wanted.empty or workforce is None or workforce.empty:
        return pd.DataFrame(columns=OBSERVATION_COLUMNS), pd.DataFrame(columns=INPUT_ROW_COLUMNS)
    rows = workforce if forces is None else workforce[workforce["force_name"].isin(forces)]
    rows = rows[["force_name", "worker_type", "year", "headcount", "fte", "line", "source_file"]].merge(
        wanted, on="worker_type")
    rows["value"] = np.where(rows["count_column"] == "fte", rows["fte"], rows["headcount"]).astype(float)
    spans = {int(y): snapshot_span(int(y)) for y in rows["year"].unique()}
    rows["period"] = [spans[y].id for y in rows["year"]]
    rows["first_month"] = np.array([spans[y].first_month for y in rows["year"]], dtype="int64")
    rows["last_month"] = rows["first_month"] + 2
    rows["code"] = rows["worker_type"] + " (" + rows["count_column"] + ")"
    rows = rows.rename(columns={"force_name": "force"}).assign(area="", published_in="", extracted="")
    rows = rows.sort_values(["force", "order", "first_month", "line"], kind="stable").reset_index(drop=True)
    return rows[OBSERVATION_COLUMNS], rows[INPUT_ROW_COLUMNS]
