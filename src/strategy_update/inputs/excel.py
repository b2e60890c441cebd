"""Trackers kept in Excel: an .xlsx read with openpyxl into the table a CSV gives (every cell as text, and a
``line`` column that is the row number Excel shows), so one set of rules (``expectations/``) judges both. What
only a workbook has (sheets, merged cells, formulas, encryption) is checked here, and findings about a workbook's
rows are said as cells ("sheet Q4, cell C7").

The conventions a tracker workbook follows (``strategy-update new-quarter`` writes them, this module reads them):
the workbook is ``delivery/<quarter>.xlsx``; its sheet is the only visible sheet, or the visible one named after
the quarter (``sheet_name``: "Q4"; "2021-22 Q4" is accepted too); the first non-empty row is the header, with the
same column names as the CSV; every row below is one section; merged cells are not allowed below the header.

A workbook is read as a person sees it in Excel: hidden and very hidden sheets are never read (a hidden sheet
named after the quarter is refused, naming it, as it would be taken for the tracker), and a hidden row or column
in the table, or a cell whose number format hides its value (``;;;``), is refused, naming it. A workbook with more
rows or cells than a tracker could need (``limits``) is refused before it is opened.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from strategy_update.core.errors import ErrorRecord, InputError
from strategy_update.core.periods import Quarter
from strategy_update.inputs.limits import workbook_problem
from strategy_update.inputs.office import EXCEL, container_problem

SUFFIX = ".xlsx"


def sheet_name(quarter: Quarter) -> str:
    """The name a tracker's sheet is given: the quarter's number ("Q4"); the file name already says the year."""
    return f"Q{quarter.number}"


@dataclass(frozen=True)
class Layout:
    """Where a table was found in its workbook: the sheet, and each column's letter."""

    sheet: str
    letters: dict[str, str]  # column name -> letter

    def cell(self, row: int | None, column: str | None) -> str:
        letter = self.letters.get(column or "")
        if row is None:
            return f"sheet {self.sheet}" + (f", column {letter}" if letter else "")
        return f"sheet {self.sheet}, " + (f"cell {letter}{row}" if letter else f"row {row}")


_LAYOUTS: dict[str, Layout] = {}  # resolved path -> its layout, from the last read


def layout(path: Path) -> Layout | None:
    return _LAYOUTS.get(str(Path(path).resolve()))


def relabel(record: ErrorRecord, path: Path, aliases: dict[str, str] | None = None) -> ErrorRecord:
    """A finding about the workbook at ``path``, said as its cell: "sheet Q4, cell C7: ..." (no CSV line or
    column). ``aliases``: names a check gives a column (e.g. 'section') -> the workbook's column ('strand')."""
    found = layout(path)
    if found is None or (record.line is None and not record.column):
        return record
    column = (aliases or {}).get(record.column or "", record.column)
    return replace(record, line=None, column=None, message=f"{found.cell(record.line, column)}: {record.message}")


def _error(message: str, name: str, rule: str, **where) -> InputError:
    return InputError(message, file=name, rule=rule, **where)


def _check_container(path: Path, name: str) -> None:
    problem = container_problem(path, EXCEL, workbook_problem)
    if problem:
        rule = "file present" if problem == "the file is missing" else "an Excel workbook (.xlsx) that can be read"
        raise _error(problem, name, rule)


def _sheet_key(text: str) -> str:
    return re.sub(r"[\s/_-]+", "", text).casefold().removeprefix("fy")


def _choose_sheet(book, quarter: Quarter | None, file: str) -> str:
    """The tracker's sheet: the only visible sheet, or the visible one named after the quarter. A hidden sheet is
    never chosen, and one named after the quarter is refused: it would be taken for the tracker, unseen."""
    wanted = {_sheet_key(sheet_name(quarter)), _sheet_key(quarter.id), _sheet_key(f"{quarter.financial_year} "
                                                                                  f"Q{quarter.number}")} \
        if quarter else set()
    visible = [name for name in book.sheetnames if book[name].sheet_state == "visible"]
    for name in book.sheetnames:
        state = book[name].sheet_state
        if name not in visible and _sheet_key(name) in wanted:
            how = "very hidden (Excel's Unhide does not list it)" if state == "veryHidden" else "hidden"
            raise _error(f"sheet {name} is {how}; a tracker is read from the sheets Excel shows, and a hidden sheet "
                         "named after the quarter would be taken for it: unhide it (right-click a sheet tab > "
                         "Unhide) if it is the tracker, or delete it", file, "hidden sheets are never read",
                         value=name)
    if not visible:
        raise _error("the workbook has no visible sheet; unhide the tracker's sheet", file, "the tracker's sheet")
    if len(visible) == 1:
        return visible[0]
    for name in visible:
        if _sheet_key(name) in wanted:
            return name
    expected = f"'{sheet_name(quarter)}'" if quarter else "after the quarter"
    shown = "sheets" if len(visible) == len(book.sheetnames) else "visible sheets"
    raise _error(f"the workbook has {len(visible)} {shown} ({', '.join(visible)}) and none is named "
                 f"{expected}; name the tracker's sheet {expected} (or keep only that sheet)", file,
                 "the tracker's sheet")


def _hidden_columns(sheet, width: int) -> list[int]:
    """The table's columns (1 to ``width``) that Excel hides."""
    from openpyxl.utils import column_index_from_string

    hidden = set()
    for key, dimension in sheet.column_dimensions.items():
        if dimension.hidden:
            first = dimension.min or column_index_from_string(key)
            hidden.update(range(first, min(dimension.max or first, width) + 1))
    return sorted(hidden)


def _hides_value(number_format: str | None) -> bool:
    """A number format whose every section is empty (";;;"): Excel shows nothing, whatever the value."""
    return bool(number_format) and ";" in number_format and not number_format.replace(";", "").strip()


def _check_visible(sheet, name: str, table_rows: list[int], header: list[str]) -> None:
    """Refuse what the table holds but Excel does not show: a hidden row or column, a value hidden by its format."""
    from openpyxl.utils import get_column_letter

    where, width = f"sheet {sheet.title}", len(header)
    for number in table_rows:
        dimension = sheet.row_dimensions.get(number)
        if dimension is not None and dimension.hidden:
            raise _error(f"{where}, row {number} is hidden, and a hidden row is never read; unhide it (select the "
                         "rows around it, right-click > Unhide) or delete it", name, "hidden rows are never read",
                         value=number)
    for column in _hidden_columns(sheet, width):
        letter = get_column_letter(column)
        raise _error(f"{where}, column {letter} ('{header[column - 1]}') is hidden, and a hidden column is never "
                     "read; unhide it (select the columns around it, right-click > Unhide) or delete it", name,
                     "hidden columns are never read", value=letter)
    for number in table_rows:
        for column in range(1, width + 1):
            cell = sheet.cell(row=number, column=column)
            if cell.value not in (None, "") and _hides_value(cell.number_format):
                raise _error(f"{where}, cell {cell.coordinate}: its number format ({cell.number_format}) hides its "
                             "value, and a hidden value is never read; give it a format that shows it (Home > "
                             "Number > General)", name, "hidden values are never read", value=str(cell.value))


def _text(value) -> str:
    """A cell as the text a CSV would hold: whole numbers without '.0', dates as YYYY-MM-DD, blanks empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def read_workbook_table(path: Path, name: str, quarter: Quarter | None = None) -> pd.DataFrame:
    """See ``_read``; any unexpected failure in a workbook openpyxl opened is a message, never a traceback."""
    try:
        return _read(path, name, quarter)
    except InputError:
        raise
    except Exception as exc:
        raise _error(f"the workbook could not be read ({type(exc).__name__}: {exc}); open it in Excel and save it "
                     "again as an Excel Workbook (.xlsx)", name, "an Excel workbook (.xlsx) that can be read") from None


def _read(path: Path, name: str, quarter: Quarter | None) -> pd.DataFrame:
    """The tracker sheet as a CSV would be read: every column as text (named by the header row) and ``line``, the
    row number Excel shows. Raises InputError naming the file, sheet and cell for a workbook that cannot be read
    as one table: not really .xlsx, encrypted, no sheet for the quarter, merged cells, formulas with no saved
    result, a column named twice."""
    from openpyxl import load_workbook
    from openpyxl.utils import get_column_letter

    path = Path(path)
    _check_container(path, name)
    try:  # formulas and merged cells need the full workbook; values are what Excel last calculated
        formulas = load_workbook(path, data_only=False)
        values = load_workbook(path, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged workbook: all mean the same to a person
        raise _error(f"the workbook is damaged and cannot be read ({type(exc).__name__}); open it in Excel and "
                     "save it again", name, "an Excel workbook (.xlsx) that can be read") from None
    sheet = _choose_sheet(values, quarter, name)
    cells, written = values[sheet], formulas[sheet]
    rows = [(number, [_text(v) for v in row]) for number, row in
            enumerate(cells.iter_rows(values_only=True), start=1)]
    rows = [(n, r) for n, r in rows if any(t.strip() for t in r)]
    if not rows:
        raise _error(f"sheet {sheet} is empty", name, "header row present")
    header_row, header = rows[0]
    while header and not header[-1].strip():
        header.pop()
    header = [h.strip() for h in header]
    width = len(header)
    where = f"sheet {sheet}, row {header_row}"
    if "" in header:
        letter = get_column_letter(header.index("") + 1)
        raise _error(f"{where}: the header cell {letter}{header_row} is empty; every column needs a name", name,
                     "required columns present")
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise _error(f"{where}: column(s) named more than once: {', '.join(repeated)}", name, "each column once",
                     value=", ".join(repeated))
    _check_visible(cells, name, [number for number, _ in rows], header)
    for merged in written.merged_cells.ranges:
        if merged.max_row > header_row and merged.min_col <= width:
            raise _error(f"sheet {sheet}, cells {merged.coord} are merged; unmerge them (Home > Merge & Center) and "
                         "give each row its own value", name, "no merged cells in the table", value=merged.coord)
    for number, row in rows[1:]:
        for index in range(width):
            cell = written.cell(row=number, column=index + 1)
            if cell.data_type == "f" and (index >= len(row) or row[index] == ""):
                raise _error(f"sheet {sheet}, cell {cell.coordinate}: the formula {cell.value} has no saved result; "
                             "open the workbook in Excel and save it again", name, "values, not unsaved formulas",
                             value=str(cell.value))
        extra = [i for i, text in enumerate(row[width:], start=width) if text.strip()]
        if extra:
            letter = get_column_letter(extra[0] + 1)
            raise _error(f"sheet {sheet}, cell {letter}{number}: a value beyond the last named column "
                         f"('{row[extra[0]]}')", name, "every row has every column", value=row[extra[0]])
    body = [row[:width] + [""] * (width - len(row)) + [number] for number, row in rows[1:]]
    frame = pd.DataFrame(body, columns=header + ["line"], dtype=object)
    frame["line"] = frame["line"].astype(int)
    for column in header:
        frame[column] = frame[column].astype(str)
    _LAYOUTS[str(path.resolve())] = Layout(sheet, {h: get_column_letter(i + 1) for i, h in enumerate(header)})
    return frame
