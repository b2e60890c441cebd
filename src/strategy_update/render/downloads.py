"""Chart data as CSV files beside the page, for readers to download."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

DOWNLOADS = Path("downloads")


def write_download(frame: pd.DataFrame, name: str) -> str:
    """Write chart data as CSV beside the page and return its relative path for a download link."""
    DOWNLOADS.mkdir(exist_ok=True)
    path = DOWNLOADS / f"{name}.csv"
    frame.to_csv(path, index=False, lineterminator="\n")
    return path.as_posix()
