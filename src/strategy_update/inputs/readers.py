"""Reading the inputs into tidy pandas tables. Raw files are read as published and never modified.

Each loader keeps the line number of every row in its source file, so that a figure can be traced
back to the exact input rows behind it.
"""

from __future__ import annotations

import csv
import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from strategy_update.core.errors import InputError
from strategy_update.core.periods import (
    Quarter,
    QuarterError,
    month_number,
    parse_period,
    parse_quarter,
    quarter_from_home_office,
)
from strategy_update.inputs import numbers
from strategy_update.inputs.definition import display_path
from strategy_update.inputs.limits import FORCE_TABLE, OPEN_DATA_TABLE, TableLimit, table_problem
from strategy_update.inputs.limits import RULE as SIZE_RULE
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.forces import force_slug
from strategy_update.model.publication import FORCE_EXTRACT, Publication

CRIME_COLUMNS = [
    "Financial Year", "Financial Quarter", "Force Name", "Offence Description",
    "Offence Group", "Offence Subgroup", "Offence Code", "Number of Offences",
]
POPULATION_COLUMNS = ["pfa_code", "pfa_name", "force_name", "mid_year", "population"]
EXTRACT_COLUMNS = ["period", "value"]
WORKFORCE_COLUMNS = ["as_at_31_march", "geocode", "force_name_raw", "force_name", "worker_type", "headcount", "fte"]


def _read_csv_text(path: Path, limit: TableLimit) -> str:
    """The whole file as text; a file that is not UTF-8, not gzip (when named .gz) or larger than ``limit`` allows
    is an InputError. No more than the limit is ever read or inflated."""
    try:
        with gzip.open(path) if path.suffix == ".gz" else open(path, "rb") as handle:
            raw = handle.read(limit.bytes + 1)
    except FileNotFoundError:
        raise InputError("the file is missing", file=display_path(path), rule="file present") from None
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"the file cannot be read or decompressed: it is truncated or damaged ({exc})",
                         file=display_path(path), rule="readable file") from None
    too_large = table_problem(raw, limit)
    if too_large:
        raise InputError(too_large, file=display_path(path), rule=SIZE_RULE)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(f"the file is not UTF-8 text (byte {exc.start}, line {line}); save it again as UTF-8 "
                         "(CSV UTF-8)", file=display_path(path), line=line, rule="UTF-8 encoding",
                         value=repr(raw[exc.start: exc.start + 4])) from None


_READ: dict[tuple, pd.DataFrame] = {}  # file identity -> its table: each file is read once per process


def read_raw_table(path: Path, limit: TableLimit = FORCE_TABLE) -> pd.DataFrame:
    """A CSV exactly as written: every column as text, and a ``line`` column (its line number in the file).
    A file that cannot be read as a table (missing, damaged, not UTF-8, not comma-separated, a row with too few
    or too many fields, a column named twice, larger than ``limit``: a force's table unless said otherwise) is an
    InputError naming the file, line and rule.

    Validation and the compute stage read the same files in one build: the table is parsed once and each caller
    gets its own copy. A file that changes on disk (new size or modification time) is read again."""
    path = Path(path)
    try:
        stat = path.stat()
        identity = (str(path.resolve()), stat.st_mtime_ns, stat.st_size, limit)
    except OSError:
        identity = None
    if identity in _READ:
        return _READ[identity].copy()
    frame = _parse_table(path, limit)
    if identity is not None:
        while len(_READ) >= 8:  # one build reads a handful of files; keep only the latest few
            _READ.pop(next(iter(_READ)))
        _READ[identity] = frame
    return frame.copy()


def _parse_table(path: Path, limit: TableLimit) -> pd.DataFrame:
    if Path(path).suffix.lower() == ".xlsx":  # a tracker kept in Excel: the same table, ``line`` = Excel's row
        from strategy_update.inputs.excel import read_workbook_table

        try:
            quarter = parse_quarter(Path(path).stem)
        except QuarterError:
            quarter = None
        return read_workbook_table(Path(path), display_path(path), quarter)
    text = _read_csv_text(Path(path), limit)
    name = display_path(path)
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise InputError("the file is empty", file=name, line=1, rule="header row present")
    header = [h.strip() for h in next(csv.reader([lines[0]]))]
    if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
        raise InputError(f"the header is one column '{header[0][:120]}': the file does not seem to be "
                         "comma-separated", file=name, line=1, rule="comma-separated values")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(f"column(s) named more than once: {', '.join(repeated)}", file=name, line=1,
                         rule="each column once", value=", ".join(repeated))
    blank_lines = _check_field_counts(lines, header, name)
    frame = None if blank_lines else _fast_frame(text, header, len(lines))
    if frame is None:  # blank lines or quoted line breaks: read row by row to keep exact line numbers
        frame = _careful_frame(lines, header, name)
    return frame


def read_table(path: Path, expected: list[str], optional: tuple[str, ...] = (),
               limit: TableLimit = FORCE_TABLE) -> pd.DataFrame:
    """A CSV as strings, with its header checked and a ``line`` column (line number in the file). ``optional``
    columns are kept when present and are empty strings when not."""
    frame = read_raw_table(path, limit)
    header, name = [c for c in frame.columns if c != "line"], display_path(path)
    missing = [c for c in expected if c not in header]
    if missing:
        raise InputError(f"missing column(s) {missing}; expected {expected}, found {header}",
                         file=name, line=1, rule="required columns present")
    for column in optional:
        if column not in frame.columns:
            frame[column] = ""
    return frame[expected + list(optional) + ["line"]]


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
                                 "line?)", file=name, line=line_no, rule="every row has every column")
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
                             file=name, line=line_no, rule="every row has every column")
        body.append(row + [line_no])
    frame = pd.DataFrame(body, columns=header + ["line"], dtype=object)
    frame["line"] = frame["line"].astype(int)
    return frame


def _matching(frame: pd.DataFrame, column: str, file: str, pattern: str, message: str, rule: str) -> pd.Series:
    """The column's text (well-formed thousands separators removed, ``numbers``) when every value matches
    ``pattern``; otherwise an InputError naming the first row that does not (and, for a misplaced comma, what is
    accepted)."""
    values = numbers.without_separators(frame[column])
    bad = ~values.str.fullmatch(pattern)
    if bad.any():
        first = frame[bad].iloc[0]
        if "," in str(first[column]):
            message += f"; {numbers.COMMAS}"
        raise InputError(message, file=file, line=int(first["line"]), column=column, value=first[column], rule=rule)
    return values


def to_whole_numbers(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """A column of whole numbers (negatives allowed here; rules about sign live in validation)."""
    return _matching(frame, column, file, numbers.WHOLE, "expected a whole number",
                     "counts are whole numbers").astype(int)


def to_numbers(frame: pd.DataFrame, column: str, file: str) -> pd.Series:
    """A column of numbers, decimals allowed (e.g. full-time equivalents)."""
    return _matching(frame, column, file, numbers.NUMBER, "expected a number",
                     "headcount and FTE are numbers").astype(float)


def load_workforce(path: Path) -> pd.DataFrame:
    """The Home Office police workforce table: one row per force, 31 March year and worker type, with the
    ``headcount`` and ``fte`` as numbers, the year as ``year`` and the line of every row."""
    frame = read_table(path, WORKFORCE_COLUMNS, limit=OPEN_DATA_TABLE)
    name = display_path(path)
    for column in ["force_name", "worker_type"]:
        frame[column] = frame[column].astype(str).str.strip()
    frame["year"] = to_whole_numbers(frame, "as_at_31_march", name)
    for column in ["headcount", "fte"]:
        frame[column] = to_numbers(frame, column, name)
    frame["source_file"] = name
    return frame.reset_index(drop=True)


def load_crime(path: Path, force: str | None = None) -> pd.DataFrame:
    """The Home Office PFA table, optionally for one force, with a ``quarter`` id per row."""
    frame = read_table(path, CRIME_COLUMNS, limit=OPEN_DATA_TABLE)
    name = display_path(path)
    if force is not None:
        frame = frame[frame["Force Name"] == force].copy()
    frame["count"] = to_whole_numbers(frame, "Number of Offences", name)
    # Each distinct year and quarter is parsed once and its id set on its rows by position (a row by row lookup
    # took most of the time of reading the table).
    quarters = np.empty(len(frame), dtype=object)
    for (year, number), rows in frame.groupby(["Financial Year", "Financial Quarter"], sort=False).indices.items():
        try:
            quarters[rows] = quarter_from_home_office(year, int(number)).id
        except (QuarterError, ValueError):
            raise InputError("not a financial year and quarter", file=name, line=int(frame["line"].iloc[rows[0]]),
                             column="Financial Year", value=f"{year} Q{number}",
                             rule="financial year like 2021/22 and quarter 1-4") from None
    frame["quarter"] = quarters
    frame["source_file"] = name
    return frame.reset_index(drop=True)


def load_population(paths: list[Path]) -> pd.DataFrame:
    frames = []
    for path in paths:
        frame = read_table(path, POPULATION_COLUMNS, limit=OPEN_DATA_TABLE)
        name = display_path(path)
        frame["mid_year"] = to_whole_numbers(frame, "mid_year", name)
        frame["population"] = to_whole_numbers(frame, "population", name)
        frame["source_file"] = name
        frames.append(frame)
    if not frames:
        raise InputError("no population files found (data/raw/ons/pfa-population-*.csv)")
    return pd.concat(frames, ignore_index=True)


def load_delivery(path: Path, publication: Publication) -> pd.DataFrame | None:
    """The delivery tracker for a quarter (the columns the definition names), or None when it was not supplied."""
    if not Path(path).exists():
        return None
    try:
        frame = read_table(path, publication.tracker_columns)
        name = display_path(path)
        for column in publication.delivery.columns:
            frame[column] = to_whole_numbers(frame, column, name)
    except InputError as exc:
        if Path(path).suffix.lower() != ".xlsx":
            raise
        from strategy_update.inputs.excel import relabel

        raise InputError(**_record_fields(relabel(exc.record, Path(path)))) from None
    frame["source_file"] = name
    return frame


def _record_fields(record) -> dict:
    return {"message": record.message, "file": record.file, "line": record.line, "column": record.column,
            "rule": record.rule, "value": record.value}


# --- force extracts --------------------------------------------------------------------------------
# ``extracted``: the day the force took the figures from its systems (YYYY-MM-DD), blank when the publication the
# figures were copied from does not say.
EXTRACT_OPTIONAL = ("area", "source", "extracted")
EXTRACTED_FORM = "a date written YYYY-MM-DD (e.g. 2022-04-20), or blank when it is not known"


def _extracted_facts(text: str, last_month: int | None) -> tuple[str, str]:
    """(error, whether the date is after the period ended) of an ``extracted`` cell; a blank cell is fine."""
    if not text:
        return "", "yes"
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return f"the extraction date '{text}' is not {EXTRACTED_FORM}", "yes"
    # A figure cannot be extracted before its period is over: the first day after its last month at the earliest.
    after = last_month is None or month_number(day.year, day.month) > last_month
    return "", "yes" if after else "no"


def _period_facts(text: str) -> tuple[str | None, int | None, int | None, str]:
    try:
        kind, first, last = parse_period(text)
        return kind, first, last, ""
    except QuarterError as exc:
        return None, None, None, str(exc)


def read_force_extract(path: Path) -> pd.DataFrame:
    """A force's own extract, one row per line as written, with the facts validation judges: the period's kind
    (month, quarter, range) and months, the value as a number, whether it is whole, duplicates and gaps.
    Raises InputError only when the file itself cannot be read as a table."""
    frame = read_table(path, EXTRACT_COLUMNS, EXTRACT_OPTIONAL)
    for column in ["period", "area", "source", "extracted", "value"]:
        frame[column] = frame[column].astype(str).str.strip()
    frame["file"] = display_path(path)
    facts = [_period_facts(p) for p in frame["period"]]
    frame["kind"] = [f[0] for f in facts]
    frame["first_month"] = pd.array([f[1] for f in facts], dtype="Int64")
    frame["last_month"] = pd.array([f[2] for f in facts], dtype="Int64")
    frame["period_error"] = [f[3] for f in facts]
    extracted = [_extracted_facts(e, f[2]) for e, f in zip(frame["extracted"], facts)]
    frame["extracted_error"] = [e[0] for e in extracted]
    frame["extracted_after_period"] = [e[1] for e in extracted]
    frame["number"] = numbers.to_numbers(frame["value"])  # NaN for what is not a number as written
    frame["number_note"] = ["" if pd.notna(n) or "," not in v else f"; {numbers.COMMAS}"  # why "180,26" is not one
                            for v, n in zip(frame["value"], frame["number"])]
    frame["whole"] = ["yes" if pd.notna(n) and float(n).is_integer() else "no" for n in frame["number"]]
    frame["span_key"] = [f"{a}|{f}|{last}" if k else f"{a}|{p}" for a, k, f, last, p in
                         zip(frame["area"], frame["kind"], frame["first_month"], frame["last_month"], frame["period"])]
    frame["gap_after"], frame["next_period"] = 0, ""
    regular = frame[frame["kind"].isin(["month", "quarter"])].sort_values(["area", "first_month"])
    for _, group in regular.groupby("area"):
        following = group["first_month"].shift(-1)
        gaps = (following - group["last_month"] - 1).fillna(0).clip(lower=0).astype(int)
        frame.loc[group.index, "gap_after"] = gaps.values
        frame.loc[group.index, "next_period"] = group["period"].shift(-1).fillna("").values
    return frame.reset_index(drop=True)


# --- a force's official Most Similar Group --------------------------------------------------------------------
PEER_GROUP_COLUMNS = ["member", "source", "as_of"]


def read_peer_group(path: Path) -> pd.DataFrame | None:
    """The force's official comparison group (member, source, as_of), or None when it supplied none."""
    if not Path(path).exists():
        return None
    frame = read_table(path, PEER_GROUP_COLUMNS)
    for column in PEER_GROUP_COLUMNS:
        frame[column] = frame[column].astype(str).str.strip()
    frame["source_file"] = display_path(path)
    return frame


# --- declared changes in how a force recorded crime ------------------------------------------------------------
RECORDING_CHANGE_COLUMNS = ["force", "quarter", "change", "source"]


def read_recording_changes(path: Path) -> pd.DataFrame:
    """The declared changes (force, quarter from which it recorded differently, change, source, line), one row each;
    empty when the file is not there (validation has judged a file that is)."""
    if not Path(path).exists():
        return pd.DataFrame(columns=RECORDING_CHANGE_COLUMNS + ["line", "source_file"])
    frame = read_table(path, RECORDING_CHANGE_COLUMNS)
    for column in RECORDING_CHANGE_COLUMNS:
        frame[column] = frame[column].astype(str).str.strip()
    frame["quarter"] = [parse_quarter(q).id for q in frame["quarter"]]
    frame["source_file"] = display_path(path)
    return frame.reset_index(drop=True)


# --- one edition's inputs, read once ---------------------------------------------------------------------
@dataclass(frozen=True)
class EditionInputs:
    """Everything an edition is computed from, read once by the build after validation passed."""

    crime: pd.DataFrame
    population: pd.DataFrame
    tracker: pd.DataFrame | None
    extracts: dict[str, pd.DataFrame]  # measure id -> read_force_extract frame
    narratives: dict[str, dict[str, str]]  # section id -> heading -> Markdown text
    peer_group: pd.DataFrame | None = None  # the force's official Most Similar Group, when supplied
    workforce: pd.DataFrame | None = None  # the Home Office workforce table, when a measure uses it
    board: dict[str, str] | None = None  # the force's board paper parts for the quarter (heading -> text), if any
    recording_changes: pd.DataFrame | None = None  # declared changes in how forces recorded crime


def read_edition_inputs(paths: InputPaths, publication: Publication, force: str, quarter: Quarter) -> EditionInputs:
    """The edition's inputs as typed frames (validation has already judged them; a problem here is an InputError)."""
    own = read_force_inputs(paths, publication, force, quarter)
    # A comparison-group table needs every force's crime; otherwise the force's own rows are enough.
    shared = read_open_data(paths, publication, force=None if publication.peer_group_label else force)
    return EditionInputs(shared.crime, shared.population, own.tracker, own.extracts, own.narratives, own.peer_group,
                         shared.workforce, own.board, shared.recording_changes)


@dataclass(frozen=True)
class OpenData:
    """The open data every force's edition of a publication is computed from, read once for all of them."""

    crime: pd.DataFrame  # the Home Office table (load_crime): every force's rows unless read for one force
    population: pd.DataFrame
    workforce: pd.DataFrame | None = None  # the Home Office workforce table, when a measure uses it
    recording_changes: pd.DataFrame | None = None  # declared changes in how forces recorded crime


@dataclass(frozen=True)
class ForceInputs:
    """What one force supplies for one edition (any of it may be absent)."""

    tracker: pd.DataFrame | None
    extracts: dict[str, pd.DataFrame]  # measure id -> read_force_extract frame
    narratives: dict[str, dict[str, str]]  # section id -> heading -> Markdown text
    peer_group: pd.DataFrame | None = None  # the force's official Most Similar Group, when supplied
    board: dict[str, str] | None = None  # the force's board paper parts for the quarter (heading -> text), if any


def read_open_data(paths: InputPaths, publication: Publication, force: str | None = None) -> OpenData:
    """The shared open data of the publication's editions (the open-data files are the same whichever force
    ``paths`` is for): crime, population and, when a measure uses it, workforce. ``force``: only that force's
    crime rows (one edition without a comparison-group table needs no more)."""
    workforce = load_workforce(paths.workforce) if publication.has_workforce else None
    return OpenData(load_crime(paths.crime, force=force), load_population(paths.population), workforce,
                    read_recording_changes(paths.recording_changes))


def read_force_inputs(paths: InputPaths, publication: Publication, force: str, quarter: Quarter) -> ForceInputs:
    """One force's own inputs for an edition: tracker, extracts, narratives, official peer group and board paper
    (``paths`` must be the force's: ``InputPaths(..., force_slug(force))``)."""
    extracts = {m.id: read_force_extract(paths.force_extract(m.id)) for _, m in publication.measures
                if m.source == FORCE_EXTRACT and paths.force_extract(m.id).exists()}
    narratives, board = read_page_inputs(paths, publication, quarter)
    tracker = load_delivery(paths.delivery(quarter), publication) if publication.delivery else None
    peer_group = read_peer_group(paths.peer_group) if publication.peer_group_label else None
    return ForceInputs(tracker, extracts, narratives, peer_group, board)


def read_page_inputs(paths: InputPaths, publication: Publication, quarter: Quarter) \
        -> tuple[dict[str, dict[str, str]], dict[str, str] | None]:
    """The inputs only the pages read, not the figures: each section's narrative (section id -> heading -> Markdown)
    and the board paper's parts (heading -> text), if supplied. A build whose figures are unchanged reads just
    these."""
    from strategy_update.inputs.board import board_path, load_board
    from strategy_update.inputs.narrative import read_narrative

    narratives = {}
    owner = paths.force_slug == force_slug(publication.owner_force)
    headings = [part.heading for part in publication.narrative_parts(publication.owner_force if owner else "")]
    for section in publication.leaves:
        files = paths.narrative_files(quarter, section.id, section.name)
        if len(files) > 1:
            raise InputError(f"{publication.leaf_level.id} '{section.id}' has {len(files)} narrative files: "
                             + " and ".join(display_path(p) for p in files) + "; keep one and remove the other",
                             file=display_path(files[-1]), rule=f"one narrative file per {publication.leaf_level.id}")
        if not files:
            continue
        path = files[0]
        narrative, errors = read_narrative(path, display_name=display_path(path), key=publication.leaf_level.id,
                                           section_id=section.id, quarter=quarter, headings=headings)
        if errors:
            e = errors[0]
            raise InputError(e.message, file=e.file, line=e.line, column=e.column, rule=e.rule, value=e.value)
        narratives[section.id] = narrative.sections
    board = load_board(paths, publication, quarter, display_path(board_path(paths, quarter)))
    return narratives, board.sections if board else None
