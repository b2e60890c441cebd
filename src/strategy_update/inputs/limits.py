"""How large an input may be, in one place. Every reader checks its file against these limits before it parses it,
so that a damaged or hostile file (a zip bomb, a table of millions of rows, megabytes of text) is refused at once
with a message naming the file and the limit, instead of taking minutes and gigabytes first.

Each limit leaves a wide margin over the largest real input of its kind (the figures in the comments, measured on
``data/``): a file beyond one is a wrong or broken file, not a bigger quarter. Raise a limit here, with its
comment, if a real input ever comes near it.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass

MiB = 1024 * 1024
RULE = "inputs within the size limits"


@dataclass(frozen=True)
class TableLimit:
    """The most a CSV table of one kind may hold, unpacked (a .csv.gz is measured as its CSV)."""

    lines: int
    bytes: int
    largest: str  # the largest real table of the kind, said in the message so a person sees how far off it is


# The Home Office crime table is the largest input: 321,894 lines and 36 MB unpacked (2012/13 Q1 to 2025/26 Q3,
# 1.9 MB as .csv.gz), growing by about 23,000 lines a year. 1,000,000 lines is three times that, decades of
# releases away. Great Expectations lists every row that breaks a rule, at about 0.1 ms a row: a table at the limit
# whose added rows all break one (an unknown force) takes two minutes and 1.3 GB to judge; the tester's table of
# 2.2 million lines took 7 minutes and 2.4 GB before being refused.
OPEN_DATA_TABLE = TableLimit(1_000_000, 128 * MiB, "the Home Office crime table has about 322,000 lines, 36 MB")
# A force's own tables (delivery tracker, force extracts, Most Similar Group) hold one row per section, period or
# force: tens of lines (the largest today has 15). 20,000 lines is 20 years of monthly figures for 80 areas.
FORCE_TABLE = TableLimit(20_000, 4 * MiB, "a force's tracker or extract has tens of lines")

# A narrative or board paper in Markdown (or the Markdown a Word narrative becomes): the longest is 5.7 KB, about
# 900 words; 256 KB is some 40,000 words, 40 times that. Checking a narrative takes about a minute a megabyte when
# its text is dense with Markdown (every word a link or in italics), so 256 KB take some 15 s.
MAX_TEXT_BYTES = 256 * 1024

# Word (.docx) and Excel (.xlsx) files are zip containers: a few kilobytes of zip can declare gigabytes of
# content. The file's size is checked before the zip is opened, what its directory declares before any part is
# read, and then every part is inflated a piece at a time, never beyond its declared size (zipfile stops there, and
# a part that holds more fails its checksum), before python-docx or openpyxl opens the file.
MAX_OFFICE_FILE_BYTES = 10 * MiB  # as saved: a narrative or tracker is 10-40 KB (pictures are refused anyway)
MAX_OFFICE_PARTS = 1_000  # a document has about 15 parts, a workbook 10 and 2 a sheet
MAX_OFFICE_UNPACKED_BYTES = 20 * MiB  # every part unpacked: a narrative or tracker unpacks to 0.1-0.5 MB
# A part that inflates more than 100 times is a zip bomb's signature (the threshold Apache POI uses for Office
# files); parts under 1 MiB unpacked are let be, as tiny XML parts of real files compress very well.
MAX_OFFICE_RATIO = 100
OFFICE_RATIO_GRACE_BYTES = 1 * MiB
# A narrative has tens of paragraphs (a table cell's text is a paragraph too); 5,000 is a book of 300 pages. Word
# splits a paragraph's text into runs wherever its formatting or editing history changes: a narrative has hundreds,
# a heavily edited one a few thousand. python-docx takes about 0.1 ms a run: 50,000 runs take some 5 s.
MAX_WORD_PARAGRAPHS = 5_000
MAX_WORD_RUNS = 50_000
# A tracker workbook has one row per section (15 rows, 90 cells today); 10,000 rows and 100,000 cells over all its
# sheets leave room for the other sheets a team keeps in it. openpyxl reads every sheet of a workbook (twice:
# formulas and values): 100,000 cells take 2-4 s and under 300 MB.
MAX_WORKBOOK_ROWS = 10_000
MAX_WORKBOOK_CELLS = 100_000


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


def megabytes(size: int) -> str:
    """A size as people say it: 128 MB, 1.3 MB, 256 KB (a megabyte here is 1,024 x 1,024 bytes)."""
    if size >= 10 * MiB:
        return f"{size / MiB:,.0f} MB"
    return f"{size / MiB:,.1f} MB" if size >= MiB else f"{size / 1024:,.0f} KB"


def table_problem(raw: bytes, limit: TableLimit) -> str | None:
    """Why a table's text (its first ``limit.bytes + 1`` bytes, unpacked) is too large to be read, or None."""
    if len(raw) > limit.bytes:
        return (f"the file is too large: more than {megabytes(limit.bytes)} of text, the most a table of this kind "
                f"may hold ({limit.largest}); check that it is the right file")
    lines = raw.count(b"\n") + (0 if raw.endswith(b"\n") or not raw else 1)
    if lines > limit.lines:
        return (f"the file is too large: {_plural(lines, 'line')}, more than the {limit.lines:,} a table of this "
                f"kind may have ({limit.largest}); check that it is the right file")
    return None


def text_problem(size: int, noun: str = "narrative") -> str | None:
    """Why a Markdown file of ``size`` bytes is too large to be read, or None."""
    if size > MAX_TEXT_BYTES:
        return (f"the {noun} is too large: {megabytes(size)}, more than the {megabytes(MAX_TEXT_BYTES)} a {noun} "
                "may be (the longest today is 6 KB); check that it is the right file")
    return None


def office_file_problem(size: int, noun: str) -> str | None:
    """Why a .docx or .xlsx of ``size`` bytes, as saved, is too large to be opened, or None."""
    if size > MAX_OFFICE_FILE_BYTES:
        return (f"the {noun} is too large: {megabytes(size)}, more than the {megabytes(MAX_OFFICE_FILE_BYTES)} a "
                f"{noun} may be; remove what it need not hold and save it again")
    return None


def office_parts_problem(parts: list[zipfile.ZipInfo], noun: str) -> str | None:
    """Why a zip container with these parts (as its directory declares them) holds or inflates too much to be
    read, or None."""
    if len(parts) > MAX_OFFICE_PARTS:
        return (f"the {noun} cannot be read safely: it holds {len(parts):,} parts, more than the "
                f"{MAX_OFFICE_PARTS:,} of any real {noun} (a damaged file or a zip bomb?)")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > MAX_OFFICE_UNPACKED_BYTES:
        return (f"the {noun} is too large: its contents take {megabytes(unpacked)} once unpacked, more than the "
                f"{megabytes(MAX_OFFICE_UNPACKED_BYTES)} a {noun} may hold (a damaged file or a zip bomb?)")
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > OFFICE_RATIO_GRACE_BYTES and ratio > MAX_OFFICE_RATIO:
            return (f"the {noun} cannot be read safely: its part {part.filename} inflates {ratio:,.0f} times (to "
                    f"{megabytes(part.file_size)}), more than the {MAX_OFFICE_RATIO} times of any real {noun} "
                    "(a damaged file or a zip bomb?)")
    return None


def read_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> bytes:
    """A part's content, inflated a piece at a time: never more than its declared size plus one piece, so a
    directory that understates a part cannot make it inflate (``ZipFile.read`` would inflate it whole first)."""
    pieces = []
    with archive.open(part) as handle:
        while piece := handle.read(MiB):
            pieces.append(piece)
    return b"".join(pieces)


def count_tags(xml: bytes, tag: str) -> int:
    """How many ``tag`` elements (with any namespace prefix) an XML text holds, counted without parsing it."""
    return len(re.findall(rb"<(?:[A-Za-z_][\w.-]*:)?" + re.escape(tag.encode()) + rb"[\s/>]", xml))


def document_problem(xml: bytes) -> str | None:
    """Why a Word document's main part (``word/document.xml``) has more paragraphs or runs than a narrative could
    need, counted in its text before it is parsed; None when it may be read."""
    for tag, limit, nouns in (("p", MAX_WORD_PARAGRAPHS, "paragraphs"),
                              ("r", MAX_WORD_RUNS, "runs of text (Word's pieces of text formatted alike)")):
        count = count_tags(xml, tag)
        if count > limit:
            return (f"the document is too large: {count:,} {nouns}, more than the {limit:,} a narrative may have; "
                    "check that it is the right file")
    return None


def workbook_problem(parts: dict[str, bytes]) -> str | None:
    """Why a workbook (its parts' contents, by name) has too many rows or cells to be opened, counted in every
    part's text (the sheets are wherever the workbook says: counting all parts needs no parsing)."""
    rows = sum(count_tags(xml, "row") for xml in parts.values())
    cells = sum(count_tags(xml, "c") for xml in parts.values())
    for count, limit, noun in ((rows, MAX_WORKBOOK_ROWS, "row"), (cells, MAX_WORKBOOK_CELLS, "cell")):
        if count > limit:
            return (f"the workbook is too large: {_plural(count, noun)} over its sheets, more than the {limit:,} a "
                    "tracker workbook may have; keep the tracker in a workbook of its own")
    return None
