"""Reading the inputs into tidy pandas tables. Raw files are read as published and never modified.

Each loader keeps the line number of every row in its source file, so that a figure can be traced
back to the exact input rows behind it.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from strategy_update.core.errors import InputError
from strategy_update.inputs.definition import display_path, load_publication  # noqa: F401 (load_publication: re-exported for callers being moved)
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter, quarter_from_home_office, quarter_of_month

CRIME_COLUMNS = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Description",
    "Offence Group", "Offence Subgroup", "Offence Code", "Number of Offences",
]
POPULATION_COLUMNS = ["pfa_code", "pfa_name", "force_name", "mid_year", "population"]
DELIVERY_COLUMNS = ["quarter", "strand", "total_actions", "complete", "ongoing", "at_risk"]
EXTRACT_COLUMNS = ["period", "count"]


@dataclass(frozen=True)
class DataPaths:
    """Where each input lives, relative to the project's data folder."""

    root: Path

    @property
    def crime(self) -> Path:
        return self.root / "raw" / "home-office" / "prc-pfa-open-data-tables.csv.gz"

    @property
    def population(self) -> list[Path]:
        return sorted((self.root / "raw" / "ons").glob("pfa-population-*.csv"))

    def strategy(self, strategy_id: str = "crime-prevention-2021-25") -> Path:
        return self.root / "strategy" / f"{strategy_id}.yml"

    def delivery(self, quarter: Quarter) -> Path:
        return self.root / "delivery" / f"{quarter.id}.csv"

    def narrative(self, quarter: Quarter, strand_id: str) -> Path:
        return self.root / "narrative" / quarter.id / f"{strand_id}.md"

    def force_extract(self, measure_id: str) -> Path:
        return self.root / "force-extracts" / f"{measure_id}.csv"


def _read_csv_text(path: Path) -> str:
    """The whole file as text; a file that is not UTF-8 or not gzip (when named .gz) is an InputError."""
    try:
        raw = gzip.open(path).read() if path.suffix == ".gz" else path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=display_path(path)) from None
    except (OSError, EOFError) as exc:
        raise InputError(f"cannot read the file ({exc}); is it truncated?", file=display_path(path),
                         rule="readable file") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"the file is not UTF-8 text (byte {exc.start})", file=display_path(path),
                         rule="UTF-8 encoding") from None


def read_table(path: Path, expected: list[str]) -> pd.DataFrame:
    """A CSV as strings, with its header checked and a ``line`` column (line number in the file)."""
    text = _read_csv_text(Path(path))
    name = display_path(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError("the file is empty", file=name, rule="header row present")
    header = [h.strip() for h in next(csv.reader([lines[0]]))]
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise InputError(f"the header is one column '{header[0]}': the file does not seem to be comma-separated",
                         file=name, row=1, rule="comma-separated values")
    missing = [c for c in expected if c not in header]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {expected}, found {header}",
                         file=name, row=1, rule="required columns present")
    blank_lines = _check_field_counts(lines, header, name)
    frame = None if blank_lines else _fast_frame(text, header, len(lines))
    if frame is None:  # blank lines or quoted line breaks: read row by row to keep exact line numbers
        frame = _careful_frame(lines, header, name)
    return frame[expected + ["line"]]


def _check_field_counts(lines: list[str], header: list[str], name: str) -> bool:
    """Every non-blank line has as many fields as the header (a cut-off or merged line is named).
    Returns whether there are blank lines."""
    commas = len(header) - 1
    blank = False
    for line_no, line in enumerate(lines[1:], start=2):
        blank = blank or not line.strip()
        if line.count(",") != commas and line.strip():  # quoted commas: parse the line to be sure
            fields = next(csv.reader([line]))
            if len(fields) != len(header):
                raise InputError(f"expected {len(header)} fields, found {len(fields)} (truncated or malformed "
                                 "line?)", file=name, row=line_no, rule="every row has every column")
    return blank


def _fast_frame(text: str, header: list[str], line_count: int) -> pd.DataFrame | None:
    """pandas' C parser (fast for the 300,000-row crime table) when line numbers can be derived exactly."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[],
                            skip_blank_lines=False, header=0, names=header)
    except (pd.errors.ParserError, ValueError):
        return None
    if len(frame) != line_count - 1:
        return None
    frame["line"] = range(2, len(frame) + 2)
    return frame


def _careful_frame(lines: list[str], header: list[str], name: str) -> pd.DataFrame:
    body = []
    for line_no, row in enumerate(csv.reader(lines[1:]), start=2):
        if not row:
            continue
        if len(row) != len(header):
            raise InputError(f"expected {len(header)} fields, found {len(row)} (truncated or malformed line?)",
                             file=name, row=line_no, rule="every row has every column")
        body.append(row + [line_no])
    frame = pd.DataFrame(body, columns=header + ["line"], dtype=object)
    frame["line"] = frame["line"].astype(int)
    return frame


def to_whole_numbers(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """A column of whole numbers (negatives allowed here; rules about sign live in validation)."""
    values = frame[column].astype(str).str.strip().str.replace(",", "", regex=False)
    bad = ~values.str.fullmatch(r"-?\d+")
    if bad.any():
        first = frame[bad].iloc[0]
        raise InputError("expected a whole number", file=file, row=int(first["line"]), column=column,
                         value=first[column], rule="counts are whole numbers")
    return values.astype(int)


def load_crime(path: Path, force: str | None = None) -> pd.DataFrame:
    """The Home Office PFA table, optionally for one force, with a ``quarter`` id per row."""
    frame = read_table(path, CRIME_COLUMNS)
    name = display_path(path)
    if force is not None:
        frame = frame[frame["Force Name"] == force].copy()
    frame["count"] = to_whole_numbers(frame, "Number of Offences", name)
    quarters = {}
    for (year, number), group in frame.groupby(["Financial Year", "Financial Quarter"], sort=False):
        try:
            quarters[(year, number)] = quarter_from_home_office(year, int(number)).id
        except (QuarterError, ValueError):
            raise InputError("not a financial year and quarter", file=name, row=int(group["line"].iloc[0]),
                             column="Financial Year", value=f"{year} Q{number}",
                             rule="financial year like 2021/22 and quarter 1-4") from None
    frame["quarter"] = [quarters[k] for k in zip(frame["Financial Year"], frame["Financial Quarter"])]
    frame["source_file"] = name
    return frame.reset_index(drop=True)


def load_population(paths: list[Path]) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = read_table(path, POPULATION_COLUMNS)
        name = display_path(path)
        frame["mid_year"] = to_whole_numbers(frame, "mid_year", name)
        frame["population"] = to_whole_numbers(frame, "population", name)
        frame["source_file"] = name
        frames.append(frame)
    if not frames:
        raise InputError("no population files found (data/raw/ons/pfa-population-*.csv)")
    return pd.concat(frames, ignore_index=True)


def load_delivery(path: Path) -> pd.DataFrame | None:
    """The delivery tracker for a quarter, or None when it was not supplied."""
    if not Path(path).exists():
        return None
    frame = read_table(path, DELIVERY_COLUMNS)
    name = display_path(path)
    for column in ["total_actions", "complete", "ongoing", "at_risk"]:
        frame[column] = to_whole_numbers(frame, column, name)
    frame["source_file"] = name
    return frame


# --- force extracts --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ForceExtract:
    measure_id: str
    granularity: str  # "month" or "quarter"
    native: pd.DataFrame  # columns: period, count, line
    source_file: str


def _period_of(text: str) -> tuple[str, object]:
    month = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if month:
        year, number = int(month[1]), int(month[2])
        if not 1 <= number <= 12:
            raise ValueError(f"month {number} does not exist")
        return "month", (year, number)
    return "quarter", parse_quarter(text)


def load_force_extract(path: Path, measure_id: str) -> ForceExtract | None:
    """A force's own extract for a measure with no open data; None when it was not supplied."""
    if not Path(path).exists():
        return None
    name = display_path(path)
    frame = read_table(path, EXTRACT_COLUMNS)
    frame["count"] = to_whole_numbers(frame, "count", name)
    kinds, keys = [], []
    for _, row in frame.iterrows():
        try:
            kind, key = _period_of(str(row["period"]).strip())
        except (ValueError, QuarterError) as exc:
            raise InputError(f"not a month (YYYY-MM) or quarter id (YYYY-YY-Qn): {exc}", file=name,
                             row=int(row["line"]), column="period", value=row["period"],
                             rule="period is a month or a quarter") from None
        kinds.append(kind)
        keys.append(key)
    if len(set(kinds)) > 1:
        raise InputError("mixes months and quarters; use one granularity per file", file=name,
                         column="period", rule="one granularity per file")
    granularity = kinds[0] if kinds else "quarter"
    # A running number per period, so gaps and duplicates are simple arithmetic.
    index = [key[0] * 12 + key[1] - 1 if granularity == "month" else key.index for key in keys]
    seen = {}
    for position, value in enumerate(index):
        line = int(frame["line"].iloc[position])
        if value in seen:
            raise InputError("duplicate period", file=name, row=line, column="period",
                             value=frame["period"].iloc[position], rule="no duplicate periods")
        seen[value] = line
    ordered = sorted(seen)
    for before, after in zip(ordered, ordered[1:]):
        if after != before + 1:
            raise InputError("periods are not contiguous: a gap follows this row", file=name, row=seen[before],
                             column="period", rule="contiguous periods")
    if (frame["count"] < 0).any():
        first = frame[frame["count"] < 0].iloc[0]
        raise InputError("a negative count", file=name, row=int(first["line"]), column="count",
                         value=int(first["count"]), rule="counts are whole non-negative numbers")
    frame["order"] = index
    frame = frame.sort_values("order")
    if granularity == "month":
        frame["quarter"] = [quarter_of_month(o // 12, o % 12 + 1).id for o in frame["order"]]
    else:
        frame["quarter"] = [Quarter.from_index(o).id for o in frame["order"]]
    return ForceExtract(measure_id, granularity, frame.drop(columns="order").reset_index(drop=True), name)
