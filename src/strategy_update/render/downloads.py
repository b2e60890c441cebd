"""Chart data as CSV files beside the page, for readers to download."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DOWNLOADS = Path("downloads")


def integers_as_integers(frame: pd.DataFrame) -> pd.DataFrame:
    """Number columns whose every value is whole (counts) as integers, so the CSV reads ``123``, not ``123.0``;
    missing values stay empty. Columns with fractions (rates, means, limits) are left as they are."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values) and values.notna().any():
            present = values.dropna()
            if present.map(float.is_integer).all():  # False for inf, so never a failed cast
                out[column] = values.astype("Int64")
    return out


def write_download(frame: pd.DataFrame, name: str) -> str:
    """Write chart data as CSV beside the page and return its relative path for a download link."""
    DOWNLOADS.mkdir(exist_ok=True)
    path = DOWNLOADS / f"{name}.csv"
    integers_as_integers(frame).to_csv(path, index=False, lineterminator="\n")
    return path.as_posix()
