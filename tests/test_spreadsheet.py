"""The spreadsheet of every figure (issue 31, item 3): written with ONS's gptables, it opens in LibreOffice (converted
to CSV by ``soffice --headless``, every sheet) with every figure of the edition's results table, in the sheet of its
kind, stored as a number; a cover sheet (title, status, source, contact, next update), contents and notes; one
table per sheet with its header row, no merged cells. The default edition's published spreadsheet is checked
against its published results table; the Police and Crime Plan's (areas, similar forces) against the table
computed in this process."""

from __future__ import annotations

import csv
import math
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import openpyxl
import pytest

from conftest import PATHS, ROOT
from strategy_update.compute.results import read_results
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.render import spreadsheet
from strategy_update.render.about_statistics import DOWNLOAD_ALL

Q4 = parse_quarter("2021-22-Q4")
FIRST_SHEETS = ["Cover", "Contents", "Notes"]
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,UTF8,1,,0,false,true,false,false,false,-1"  # raw values, all sheets


def soffice() -> str:
    found = shutil.which("soffice")
    if not found:
        pytest.fail("LibreOffice is not installed: run `make setup` (scripts/install-system-packages.sh; CI installs "
                    "it)")
    return found


def opened_in_libreoffice(xlsx: Path, folder: Path) -> dict[str, list[list[str]]]:
    """Every sheet of ``xlsx`` as LibreOffice reads it, exported to CSV (cells as stored, not as shown)."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = folder / "profile"  # its own: two test workers may run LibreOffice at once
    done = subprocess.run([soffice(), f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to",
                           CSV_FILTER, "--outdir", str(folder), str(xlsx)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    sheets = {}
    for path in folder.glob(f"{xlsx.stem}-*.csv"):
        with path.open(encoding="utf-8", newline="") as file:
            sheets[path.stem.removeprefix(f"{xlsx.stem}-")] = list(csv.reader(file))
    assert sheets, f"LibreOffice wrote no sheet: {done.stdout} {done.stderr}"
    return sheets


def table_of_sheet(rows: list[list[str]], headings: list[str]) -> list[dict[str, str]]:
    """The sheet's table: the rows after its header row (the row that is exactly the table's headings)."""
    start = next(i for i, row in enumerate(rows) if [c for c in row if c] == headings)
    return [dict(zip(headings, row)) for row in rows[start + 1:] if any(row)]


def number(text: str) -> float | None:
    """A cell's number as LibreOffice writes it (a share formatted as a percentage keeps its sign: 62.5%)."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def key(value: float) -> str:
    return f"{value:.9g}"


TEXT_COLUMNS = {"Text"}  # Other figures' text column may hold a number as words (a force's place in a list)


def sheet_of(row) -> str:
    if row.statistic.startswith("delivery_"):
        return "Delivery" if row.section else "Delivery_totals"
    return spreadsheet.table_of(row.statistic).sheet


def check_every_figure(results, publication, force: str, xlsx: Path, folder: Path) -> dict:
    """Each sheet's numbers, as LibreOffice opens them, are exactly the results table's figures of its kind."""
    sheets = opened_in_libreoffice(xlsx, folder)
    frames = dict((t.sheet, f) for t, f in spreadsheet.edition_frames(results, publication, force))
    assert list(sheets) == FIRST_SHEETS + list(frames) or sorted(sheets) == sorted(FIRST_SHEETS + list(frames))
    expected: dict[str, Counter] = {}
    mine = results[(results["force"] == force) & results["value"].notna()]
    for row in mine.itertuples():
        expected.setdefault(sheet_of(row), Counter())[key(row.value)] += 1
    tables = {}
    for sheet, frame in frames.items():
        tables[sheet] = table_of_sheet(sheets[sheet], list(frame.columns))
        found = Counter(key(v) for row in tables[sheet] for column, cell in row.items()
                        if column not in TEXT_COLUMNS and (v := number(cell)) is not None)
        assert found == expected.get(sheet, Counter()), (sheet, found - expected.get(sheet, Counter()),
                                                          expected.get(sheet, Counter()) - found)
    assert set(expected) <= set(frames)  # no kind of figure left out
    return {"sheets": sheets, "tables": tables}


def check_workbook_structure(xlsx: Path, publication, force: str) -> None:
    """Cover, contents, notes; one marked-up table per sheet with one header row; no merged cells; numbers stored
    as numbers, never as text."""
    book = openpyxl.load_workbook(xlsx)
    assert book.sheetnames[:3] == FIRST_SHEETS
    cover = " ".join(str(c.value) for row in book["Cover"].iter_rows() for c in row if c.value is not None)
    assert publication.edition_title(force) in cover
    for part in ("Status", publication.release.status[0], "Source", "Home Office police recorded crime open data",
                 "Next update", "Contact", f"{publication.publisher(force)}'s performance analysis team",
                 "The Code of Practice for Statistics"):
        assert part in cover, part
    contents = {str(c.value) for row in book["Contents"].iter_rows() for c in row if c.value is not None}
    for name in book.sheetnames:
        assert not book[name].merged_cells.ranges, name
        if name in FIRST_SHEETS:
            continue
        assert name in contents
        sheet = book[name]
        [table] = sheet.tables.values()
        first, last = table.ref.split(":")
        header = [c.value for c in sheet[first:f"{last.rstrip('0123456789')}{sheet[first].row}"][0]]
        assert header == [col.name for col in table.tableColumns]
        for row in sheet.iter_rows(min_row=sheet[first].row + 1):
            for cell in row:
                if isinstance(cell.value, str):
                    assert number(cell.value) is None or header[cell.column - 1] in TEXT_COLUMNS, (name, cell)
                elif cell.value is not None:
                    assert cell.data_type == "n", (name, cell.coordinate)


@pytest.mark.build
def test_the_published_spreadsheet_opens_in_libreoffice_with_every_figure(default_edition, tmp_path):
    publication = load_publication(PATHS)
    xlsx = default_edition / "data" / spreadsheet.spreadsheet_name(publication.id, "Essex", Q4.id)
    results = read_results(default_edition / "data" / "results.parquet")
    opened = check_every_figure(results, publication, "Essex", xlsx, tmp_path / "csv")
    check_workbook_structure(xlsx, publication, "Essex")
    # A figure in its place: knife crime's 12 months to March 2022 against the year before (582, +8.6%).
    [row] = [r for r in opened["tables"]["Comparisons"]
             if r["Measure"] == "Possession of an article with a blade or point"
             and r["Period"] == "12 months ending March 2022" and r["Compared with"] == "12 months ending March 2021"]
    assert (row["Figure"], row["Earlier figure"], row["Change"]) == ("582", "536", "46")
    assert abs(float(row["Change (%)"]) - 8.582089552) < 1e-9  # stored unrounded
    cover = [cell for line in opened["sheets"]["Cover"] for cell in line]
    assert "The next update, for Q1 2022/23 (April-June 2022), is due in August 2022, 2 months after its quarter " \
           "ends." in cover


@pytest.mark.build
def test_every_page_with_figures_and_the_front_page_link_the_spreadsheet(default_edition):
    name = spreadsheet.spreadsheet_name("crime-prevention-2021-25", "Essex", Q4.id)
    [published] = (default_edition / "html" / "_downloads").rglob(name)
    assert published.read_bytes() == (default_edition / "data" / name).read_bytes()
    link = f"_downloads/{published.parent.name}/{name}"
    front = (default_edition / "html" / "index.html").read_text(encoding="utf-8")
    assert f'href="{link}"' in front and DOWNLOAD_ALL in front
    rape = (default_edition / "html" / "strands" / "rape.html").read_text(encoding="utf-8")
    assert f'href="../{link}"' in rape and "Download the chart data (CSV)" in rape


def test_a_plan_with_areas_and_similar_forces_has_every_figure_too(tmp_path):
    """Computed here: every kind of figure of the Police and Crime Plan (areas, the position table, the comparison
    group's members) is in the spreadsheet LibreOffice opens."""
    from strategy_update.render.view import load_view

    view = load_view("", "police-and-crime-plan", "Essex", Q4.id, ROOT / "data", ROOT / "publications")
    xlsx = spreadsheet.write_spreadsheet(tmp_path, view.publication, "Essex", Q4, view.results)
    opened = check_every_figure(view.results, view.publication, "Essex", xlsx, tmp_path / "csv")
    check_workbook_structure(xlsx, view.publication, "Essex")
    assert {"Similar_forces", "Other_figures"} <= set(opened["tables"])
    assert {r["Area"] for r in opened["tables"]["Comparisons"]} == {"Force-wide", "North", "South", "West"}
    members = [r["Text"] for r in opened["tables"]["Other_figures"]
               if r["Figure"].startswith("member of the comparison group")]
    assert len(members) == 7 and "Essex" not in members


def test_the_same_figures_give_the_same_bytes(tmp_path):
    import pandas as pd

    publication = load_publication(PATHS)
    results = pd.DataFrame([{"publication": publication.id, "force": "Essex", "section": "rape",
                             "measure": "rape-offences", "area": "", "statistic": "series", "comparison": "",
                             "period": "2021-22-Q4", "period_label": "2021/22 Q4", "base_period": "",
                             "base_period_label": "", "value": 684.0, "text": "", "source_file": "", "lines": []}])
    first = spreadsheet.workbook_bytes(results, publication, "Essex", Q4)
    assert first == spreadsheet.workbook_bytes(results, publication, "Essex", Q4)
