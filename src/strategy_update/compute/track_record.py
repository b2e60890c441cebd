"""The forecasts' track record pooled over many of them (every force's, for a measure; every measure's, for an
edition), from the demand profile rows of the results table (``compute/forecast.py``): what the national index and
the demand profile page publish, and what ``benchmarks/forecast_quality.py`` measures.

Pooled coverage is the share of every scored past forecast that fell inside its interval (not the mean of the
forces' shares); pooled MASE is the mean scaled error over the same forecasts, so each force's MASE weighs by how
many it had scored. The seasonal naive's MASE is pooled the same way, over the same forecasts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from strategy_update.compute.forecast_backtest import LEVELS
from strategy_update.compute.forecast_models import CANDIDATES, SEASONAL_NAIVE

RECORD = ["backtest_points", *(f"backtest_inside_{level}" for level in LEVELS), "backtest_mase"]
COLUMNS = ["forecasts", "points", *(f"inside_{level}" for level in LEVELS), *(f"coverage_{level}" for level in LEVELS),
           "mase", "naive_mase", "beats_naive", *(f"chose_{name}" for name in CANDIDATES)]


def published_records(results: pd.DataFrame) -> pd.DataFrame:
    """One row per force-wide measure with a published forecast: force, section, measure, the chosen model, its
    scored past forecasts (``points``), how many fell inside each interval, its MASE and the seasonal naive's."""
    rows = results[(results["area"] == "") & results["statistic"].isin(
        [*RECORD, "candidate_mase", "forecast_model"])]
    key = ["force", "section", "measure"]
    numbers = rows[rows["statistic"].isin(RECORD)].pivot_table(index=key, columns="statistic", values="value",
                                                               aggfunc="first")
    numbers = numbers.reindex(columns=RECORD)
    numbers.columns = ["points", *(f"inside_{level}" for level in LEVELS), "mase"]
    naive = rows[(rows["statistic"] == "candidate_mase") & (rows["text"] == SEASONAL_NAIVE)]
    chosen = rows[rows["statistic"] == "forecast_model"]
    table = (numbers.join(naive.set_index(key)["value"].rename("naive_mase"))
             .join(chosen.set_index(key)["text"].rename("model")).reset_index())
    return table[table["model"].notna()].reset_index(drop=True)


def track_record(results: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """The pooled track record per group of ``by`` columns (e.g. ``["section", "measure"]``: each measure over
    every force), or of everything when None; columns ``COLUMNS`` (``forecasts``: the published forecasts pooled;
    ``beats_naive``: how many of them had a lower MASE than the seasonal naive; ``chose_<model>``: how many
    published each candidate)."""
    table = published_records(results)
    groups = table.groupby(by, sort=False) if by else [((), table)]
    out = []
    for key, group in groups:
        points = group["points"].fillna(0)
        total = float(points.sum())
        known = group["mase"].notna() & (points > 0)
        row = dict(zip(by or [], key if isinstance(key, tuple) else (key,)))
        row.update(forecasts=len(group), points=total)
        for level in LEVELS:
            inside = float(group[f"inside_{level}"].fillna(0).sum())
            row[f"inside_{level}"], row[f"coverage_{level}"] = inside, inside / total if total else np.nan
        for column, name in (("mase", "mase"), ("naive_mase", "naive_mase")):
            weights = points[known & group[column].notna()]
            row[name] = (float((group.loc[weights.index, column] * weights).sum() / weights.sum())
                         if weights.sum() else np.nan)
        row["beats_naive"] = int((group["mase"] < group["naive_mase"]).sum())
        for name in CANDIDATES:
            row[f"chose_{name}"] = int((group["model"] == name).sum())
        out.append(row)
    return pd.DataFrame(out, columns=[*(by or []), *COLUMNS])
