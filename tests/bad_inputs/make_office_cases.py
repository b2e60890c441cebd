"""Writes the Word and Excel files of the bad-input cases about what Word and Excel hide and about files too large
to read (binary files cannot be described by case.yml's edits). Run from the project folder:

    .venv/bin/python tests/bad_inputs/make_office_cases.py

Each file is made from the real input it replaces (the Mental Health narrative, the Q4 2021/22 tracker), so the
one thing wrong with it is the thing its case is about.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import docx
import openpyxl

CORPUS = Path(__file__).resolve().parent
PROJECT = CORPUS.parents[1]
INPUTS = "data/forces/essex/crime-prevention-2021-25"
NARRATIVE = PROJECT / INPUTS / "narrative/2021-22-Q4/mental-health.md"
WORD_FILE = f"{INPUTS}/narrative/2021-22-Q4/Mental Health.docx"
TRACKER = PROJECT / INPUTS / "delivery/2021-22-Q4.csv"
EXCEL_FILE = f"{INPUTS}/delivery/2021-22-Q4.xlsx"
FIXED = datetime(2022, 4, 20)  # the files' own dates, so that writing them again changes as little as it can


# --- Word ---------------------------------------------------------------------------------------------------------
def narrative_document(hide_heading: str | None = None) -> docx.Document:
    """The Mental Health narrative as a lead types it in Word; ``hide_heading``: that heading and the text under it
    formatted as hidden (Home > Font > Hidden)."""
    document = docx.Document()
    document.core_properties.created = document.core_properties.modified = FIXED
    hidden = False
    for line in NARRATIVE.read_text(encoding="utf-8").split("---", 2)[2].strip().split("\n"):
        if line.startswith("## "):
            hidden = line[3:] == hide_heading
            paragraph = document.add_paragraph(style="Heading 1")
            text = line[3:]
        elif line.startswith("- "):
            paragraph, text = document.add_paragraph(style="List Bullet"), line[2:]
        elif line.strip():
            paragraph, text = document.add_paragraph(), line
        else:
            continue
        for i, part in enumerate(re.split(r"\*\*(.+?)\*\*", text)):
            if part:
                run = paragraph.add_run(part)
                run.bold = bool(i % 2)
                run.font.hidden = hidden or None
    return document


def save_document(document: docx.Document, case: str) -> Path:
    path = CORPUS / case / WORD_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return path


def inflate_part(path: Path, part: str, pad: bytes) -> None:
    """Rewrite ``part`` of the zip with ``pad`` before its last element's closing tag: kilobytes on disk that
    declare megabytes unpacked."""
    with zipfile.ZipFile(path) as source:
        parts = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as target:
        for info, data in parts:
            if info.filename == part:
                cut = data.rindex(b"</")
                data = data[:cut] + pad + data[cut:]
            target.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def word_cases() -> None:
    save_document(narrative_document(hide_heading="Insights"), "narrative-word-hidden-heading")
    crowded = narrative_document()
    for _ in range(6_000):  # empty paragraphs: nothing to read, but each one is parsed
        crowded.add_paragraph()
    save_document(crowded, "narrative-word-too-many-paragraphs")
    bomb = save_document(narrative_document(), "narrative-word-zip-bomb")
    inflate_part(bomb, "word/document.xml", b" " * (25 * 1024 * 1024))  # 25 MB of spaces in about 25 KB


# --- Excel --------------------------------------------------------------------------------------------------------
def tracker_workbook(sheet: str = "Q4") -> openpyxl.Workbook:
    """The Q4 2021/22 tracker typed into a workbook (counts as numbers)."""
    workbook = openpyxl.Workbook()
    workbook.properties.created = workbook.properties.modified = FIXED
    ws = workbook.active
    ws.title = sheet
    for i, row in enumerate(csv.reader(io.StringIO(TRACKER.read_text(encoding="utf-8")))):
        ws.append([int(v) if i and v.isdigit() else v for v in row])
    return workbook


def save_workbook(workbook: openpyxl.Workbook, case: str) -> None:
    path = CORPUS / case / EXCEL_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)


def excel_cases() -> None:
    # The sheet a person sees is "Tracker"; a hidden sheet named after the quarter holds other figures.
    workbook = tracker_workbook("Tracker")
    hidden = workbook.copy_worksheet(workbook["Tracker"])
    hidden.title = "Q4"
    hidden["D3"] = 100  # Rape: 100 complete instead of 78
    hidden.sheet_state = "hidden"
    save_workbook(workbook, "delivery-excel-hidden-sheet")

    workbook = tracker_workbook()
    workbook.active.row_dimensions[7].hidden = True  # Cybercrime and Fraud
    save_workbook(workbook, "delivery-excel-hidden-row")

    workbook = tracker_workbook()
    workbook.active.column_dimensions["F"].hidden = True  # at_risk
    save_workbook(workbook, "delivery-excel-hidden-column")

    workbook = tracker_workbook()
    workbook.active["D3"].number_format = ";;;"  # Rape's complete count shows as an empty cell
    save_workbook(workbook, "delivery-excel-hidden-value")

    workbook = tracker_workbook()
    log = workbook.create_sheet("Action log")
    for number in range(1, 10_002):
        log.append([number])
    save_workbook(workbook, "delivery-excel-too-many-rows")


if __name__ == "__main__":
    word_cases()
    excel_cases()
    for path in sorted(CORPUS.rglob("*.docx")) + sorted(CORPUS.rglob("*.xlsx")):
        print(f"{path.stat().st_size:>8,} bytes  {path.relative_to(PROJECT)}")
