"""Limits on the size of every input (``inputs/limits.py``), checked before a file is parsed: a zip bomb, a Word
document of hundreds of megabytes, a workbook of millions of cells, a table of millions of rows or a huge narrative is
refused at once with a message naming the file and the limit. The hostile files are made here, in a temporary
folder; the ones whose reading is measured are read in a process of their own, whose peak memory is its own.
"""

from __future__ import annotations

import gzip
import json
import random
import re
import string
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from conftest import DATA
from strategy_update.core.errors import InputError
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs import limits, word
from strategy_update.inputs.excel import read_workbook_table
from strategy_update.inputs.narrative import narrative_frames, read_narrative
from strategy_update.inputs.readers import load_crime, read_force_extract, read_raw_table

QUARTER = parse_quarter("2021-22-Q4")
HEADINGS = ("Insights", "Delivery achieved", "Delivery scheduled")
MiB = limits.MiB


def good_document() -> docx.Document:
    document = docx.Document()
    for heading in HEADINGS:
        document.add_paragraph(heading, style=word.HEADING_STYLE)
        document.add_paragraph(f"What the lead says under {heading}.")
    return document


def convert(path: Path) -> word.WordNarrative:
    return word.read_word(path, key="strand", section_id="mental-health", quarter_id=QUARTER.id, headings=HEADINGS)


def padded_docx(path: Path, pad_bytes: int, compresslevel: int = 1) -> Path:
    """A good .docx whose document part carries ``pad_bytes`` of spaces (allowed between XML elements): a zip bomb
    that is a well-formed document, written in pieces so the test never holds it whole."""
    good = path.with_suffix(".good.docx")
    good_document().save(str(good))
    with zipfile.ZipFile(good) as source:
        parts = [(info.filename, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as target:
        for name, data in parts:
            if name != "word/document.xml":
                target.writestr(name, data)
                continue
            cut = data.rindex(b"<w:sectPr")
            with target.open(name, "w", force_zip64=True) as handle:
                handle.write(data[:cut])
                for _ in range(pad_bytes // MiB):
                    handle.write(b" " * MiB)
                handle.write(b" " * (pad_bytes % MiB) + data[cut:])
    good.unlink()
    return path


def _document_xml_size(path: Path) -> int:
    """The size of a good document's own XML (the padded part less its padding)."""
    good = path.with_suffix(".plain.docx")
    good_document().save(str(good))
    with zipfile.ZipFile(good) as archive:
        size = archive.getinfo("word/document.xml").file_size
    good.unlink()
    return size


def measured(code: str) -> dict:
    """Run ``code`` (which sets ``result``, a dict) in a new interpreter; its result with the process's own peak
    memory (MB) and the seconds the code took (imports excluded)."""
    script = textwrap.dedent("""
        import json, resource, sys, time
        from pathlib import Path
        {imports}
        start = time.perf_counter()
        {code}
        result["seconds"] = time.perf_counter() - start
        result["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
    """).format(imports="import pandas, docx, openpyxl; from strategy_update.inputs import word, readers",
                code=textwrap.dedent(code).strip())
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def baseline_mb() -> float:
    """The peak memory of a process that imports what the readers import and reads nothing."""
    return measured("result = {}")["peak_mb"]


# --- Word ---------------------------------------------------------------------------------------------------------
def test_a_word_zip_bomb_is_refused_from_its_zip_directory_in_bounded_memory(tmp_path):
    """The issue's case in small: a file of about 1 MB that unpacks to 256 MB (the tester's 1.2 MB file unpacked
    to 1.2 GB and took 2.8 GB of memory before being called damaged)."""
    path = padded_docx(tmp_path / "Mental Health.docx", 256 * MiB)
    assert path.stat().st_size < 2 * MiB
    result = measured(f"""
        found = word.read_word(Path({str(path)!r}), key="strand", section_id="mental-health",
                               quarter_id="2021-22-Q4", headings=("Insights",))
        result = {{"markdown": found.markdown, "messages": [p.message for p in found.problems]}}
    """)
    assert result["markdown"] is None
    [message] = result["messages"]
    assert re.fullmatch(r"the document is too large: its contents take 25\d MB once unpacked, more than the 20 MB a "
                        r"document may hold \(a damaged file or a zip bomb\?\)", message), message
    assert result["seconds"] < 5
    assert result["peak_mb"] < baseline_mb() + 30  # nothing was inflated


def test_a_zip_directory_that_understates_a_part_cannot_make_it_inflate(tmp_path):
    """A directory may lie: this one says the 64 MB part holds 100 KB, so the checks of declared sizes pass. Each
    part is then inflated a piece at a time, no further than its declared size (a part that holds more fails its
    checksum), so the file is called damaged without the part ever being inflated whole, as python-docx's
    ZipFile.read would."""
    path = padded_docx(tmp_path / "Mental Health.docx", 64 * MiB)
    raw = bytearray(path.read_bytes())
    entry = raw.index(b"PK\x01\x02")  # the central directory: one header per part, its name at offset 46
    while raw[entry + 46: entry + 46 + len(b"word/document.xml")] != b"word/document.xml":
        entry = raw.index(b"PK\x01\x02", entry + 4)
    assert int.from_bytes(raw[entry + 24:entry + 28], "little") == 64 * MiB + _document_xml_size(path)
    raw[entry + 24:entry + 28] = (100_000).to_bytes(4, "little")  # "100 KB", of a part that unpacks to 64 MB
    path.write_bytes(bytes(raw))
    result = measured(f"""
        found = word.read_word(Path({str(path)!r}), key="strand", section_id="mental-health",
                               quarter_id="2021-22-Q4", headings=("Insights",))
        result = {{"markdown": found.markdown, "messages": [p.message for p in found.problems]}}
    """)
    assert result["markdown"] is None
    assert "damaged" in result["messages"][0]
    assert result["peak_mb"] < baseline_mb() + 30


def test_a_part_that_inflates_far_more_than_office_files_do_is_refused(tmp_path):
    path = padded_docx(tmp_path / "Mental Health.docx", 5 * MiB, compresslevel=9)  # under the 20 MB limit
    found = convert(path)
    assert found.markdown is None
    assert "its part word/document.xml inflates" in found.problems[0].message
    assert "more than the 100 times of any real document (a damaged file or a zip bomb?)" in found.problems[0].message


def test_a_word_file_too_large_as_saved_is_refused(tmp_path):
    path = tmp_path / "Mental Health.docx"
    good_document().save(str(path))
    with zipfile.ZipFile(path, "a", zipfile.ZIP_STORED) as archive:  # 11 MB of stored noise, e.g. an embedded file
        archive.writestr("word/embeddings/blob.bin", bytes(range(256)) * (11 * MiB // 256))
    assert "the document is too large: 11 MB, more than the 10 MB a document may be" in \
        convert(path).problems[0].message


def test_a_word_document_with_more_paragraphs_than_a_narrative_is_refused_before_parsing(tmp_path):
    document = good_document()
    for _ in range(limits.MAX_WORD_PARAGRAPHS):
        document.add_paragraph()
    path = tmp_path / "Mental Health.docx"
    document.save(str(path))
    found = convert(path)
    assert found.markdown is None
    assert found.problems[0].message == ("the document is too large: 5,006 paragraphs, more than the 5,000 a "
                                         "narrative may have; check that it is the right file")


def test_a_word_document_whose_text_is_larger_than_a_narrative_is_refused(tmp_path):
    words = random.Random(33).choices(string.ascii_lowercase + " ", k=300_000)  # text that compresses as text
    document = good_document()
    for start in range(0, len(words), 30_000):  # 10 paragraphs of 30 KB: 300 KB of text
        document.add_paragraph("".join(words[start:start + 30_000]))
    path = tmp_path / "Mental Health.docx"
    document.save(str(path))
    found = convert(path)
    assert found.markdown is None
    assert found.problems[0].message.startswith("the narrative is too large: 293 KB, more than the 256 KB")


# --- Excel --------------------------------------------------------------------------------------------------------
def tracker(path: Path, rows: int = 0, columns: int = 1) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Q4"
    sheet.append(["quarter", "strand", "total"])
    sheet.append(["2021-22 Q4", "Rape", 3])
    if rows:
        log = workbook.create_sheet("Action log")
        for number in range(rows):
            log.append([number] * columns)
    workbook.save(path)
    return path


@pytest.mark.parametrize("rows, columns, message", [
    (10_000, 1, "the workbook is too large: 10,002 rows over its sheets, more than the 10,000 a tracker workbook "
                "may have; keep the tracker in a workbook of its own"),
    (5_000, 21, "the workbook is too large: 105,006 cells over its sheets, more than the 100,000 a tracker "
                "workbook may have")])
def test_a_workbook_with_more_rows_or_cells_than_a_tracker_is_refused_before_it_is_opened(tmp_path, rows, columns,
                                                                                          message):
    path = tracker(tmp_path / "2021-22-Q4.xlsx", rows, columns)
    with pytest.raises(InputError) as caught:
        read_workbook_table(path, path.name, QUARTER)
    assert message in str(caught.value)


def test_a_workbook_within_the_limits_is_read(tmp_path):
    path = tracker(tmp_path / "2021-22-Q4.xlsx", rows=9_000)
    assert read_workbook_table(path, path.name, QUARTER)["strand"].tolist() == ["Rape"]


# --- tables -------------------------------------------------------------------------------------------------------
def crime_table(path: Path, extra_rows: int, row: str = "2021/22,4,Atlantis,x,x,x,5A,1") -> Path:
    """The real crime table's header and Essex rows, and ``extra_rows`` rows of an unknown force, as .csv.gz."""
    lines = gzip.decompress((DATA / "raw/home-office/prc-pfa-open-data-tables.csv.gz").read_bytes()).split(b"\n")
    kept = [lines[0]] + [line for line in lines[1:] if b",Essex," in line]
    with gzip.open(path, "wb", compresslevel=1) as handle:
        handle.write(b"\n".join(kept) + b"\n")
        for _ in range(extra_rows // 100_000):
            handle.write((row + "\n").encode() * 100_000)
        handle.write((row + "\n").encode() * (extra_rows % 100_000))
    return path


def test_the_issue_s_crime_table_of_1_9_million_extra_rows_is_refused_at_once_in_bounded_memory(tmp_path):
    """The tester's table (1.9 million rows of an unknown force) ran past 15 minutes at 2.8 GB."""
    path = crime_table(tmp_path / "prc-pfa-open-data-tables.csv.gz", 1_900_000)
    result = measured(f"""
        try:
            readers.load_crime(Path({str(path)!r}))
            result = {{"message": None}}
        except Exception as exc:
            result = {{"message": str(exc)}}
    """)
    assert re.search(r"the file is too large: 1,90\d,\d{3} lines", result["message"]), result["message"]
    assert "more than the 1,000,000 a table of this kind may have (the Home Office crime table has about 322,000 " \
           "lines, 36 MB); check that it is the right file" in result["message"]
    assert result["seconds"] < 10
    assert result["peak_mb"] < baseline_mb() + 200  # the text is read (no more than 128 MB), never parsed


def test_an_open_data_table_beyond_its_size_in_bytes_is_refused_without_reading_the_rest(tmp_path):
    row = "2021/22,4,Atlantis," + "x" * 200 + ",x,x,5A,1"  # 700,000 long rows: 160 MB, under the line limit
    path = crime_table(tmp_path / "crime.csv.gz", 700_000, row)
    with pytest.raises(InputError) as caught:
        load_crime(path)
    assert "the file is too large: more than 128 MB of text, the most a table of this kind may hold" in \
        str(caught.value)
    assert caught.value.record.rule == limits.RULE


def test_a_force_table_has_limits_of_its_own(tmp_path):
    lines = tmp_path / "mh-incidents.csv"
    lines.write_text("period,value\n" + "2021-04,1\n" * 20_000, encoding="utf-8")  # 20,001 lines
    with pytest.raises(InputError, match="20,001 lines, more than the 20,000 a table of this kind may have"):
        read_force_extract(lines)
    size = tmp_path / "da-crimes.csv"
    size.write_text("period,value,source\n" + ("2021-04,1," + "x" * 500 + "\n") * 9_000, encoding="utf-8")
    with pytest.raises(InputError, match="more than 4.0 MB of text"):
        read_raw_table(size)


def test_a_force_table_within_its_limits_is_read(tmp_path):
    extract = tmp_path / "mh-incidents.csv"
    extract.write_text("period,value\n" + "2021-04,1\n" * 19_999, encoding="utf-8")
    assert len(read_force_extract(extract)) == 19_999


def test_the_limits_leave_a_wide_margin_over_the_real_inputs():
    crime = gzip.decompress((DATA / "raw/home-office/prc-pfa-open-data-tables.csv.gz").read_bytes())
    assert crime.count(b"\n") * 3 < limits.OPEN_DATA_TABLE.lines and len(crime) * 3 < limits.OPEN_DATA_TABLE.bytes
    force_files = [p for p in (DATA / "forces").rglob("*.csv")]
    assert max(p.read_bytes().count(b"\n") for p in force_files) * 100 < limits.FORCE_TABLE.lines
    narratives = [p for p in (DATA / "forces").rglob("*.md") if p.name != "README.md"]
    assert max(p.stat().st_size for p in narratives) * 40 < limits.MAX_TEXT_BYTES


# --- narratives in Markdown ---------------------------------------------------------------------------------------
def test_a_markdown_narrative_larger_than_a_narrative_is_refused_unread(tmp_path):
    path = tmp_path / "mental-health.md"
    path.write_text("---\nstrand: mental-health\nquarter: 2021-22-Q4\n---\n\n## Insights\n\n"
                    + "The lead reports more work with partners.\n" * 7_000, encoding="utf-8")  # 294 KB
    narrative, errors = read_narrative(path, display_name=path.name, key="strand", section_id="mental-health",
                                       quarter=QUARTER, headings=list(HEADINGS))
    assert narrative is None
    assert [(e.rule, e.message) for e in errors] == [(limits.RULE, "the narrative is too large: 287 KB, more than "
                                                      "the 256 KB a narrative may be (the longest today is 6 KB); "
                                                      "check that it is the right file")]
    frames = narrative_frames(path, display_name=path.name, key="strand")
    assert frames["file"].iloc[0]["too_large"] == errors[0].message
    assert frames["tokens"].empty  # nothing of it was parsed
