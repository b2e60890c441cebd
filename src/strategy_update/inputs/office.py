"""What a Word document (.docx) and an Excel workbook (.xlsx) have in common: both are zip containers (Office Open
XML). Before python-docx or openpyxl opens one, ``container_problem`` says, in the words of the person who saved
it, why it cannot be read: encrypted or in the old binary format, not really such a file, damaged, with macros, or
too large (``limits``: its size, what its zip directory declares, and what each part really holds, inflated a piece
at a time, so that python-docx and openpyxl, which inflate each part whole, are only given files known to be small).
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from strategy_update.inputs.limits import office_file_problem, office_parts_problem, read_part

# Encrypted Office files and the old 97-2003 formats are OLE compound files, which start with these bytes.
OLE_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class OfficeFormat:
    program: str  # "Word"
    noun: str  # what the person calls the file: "document", "workbook"
    title: str  # "Word Document (.docx)", as the Save As menu names it
    part: str  # the part every such file holds: "word/document.xml"
    macro_suffix: str  # the macro-enabled format's suffix: ".docm"

    @property
    def article_title(self) -> str:
        return f"{'an' if self.title[0] in 'AEIOU' else 'a'} {self.title}"

    @property
    def what(self) -> str:
        """'a Word document (.docx)'."""
        name, suffix = self.title.rsplit(" ", 1)
        return f"{'an' if name[0] in 'AEIOU' else 'a'} {self.program} {self.noun} {suffix}"


WORD = OfficeFormat("Word", "document", "Word Document (.docx)", "word/document.xml", ".docm")
EXCEL = OfficeFormat("Excel", "workbook", "Excel Workbook (.xlsx)", "xl/workbook.xml", ".xlsm")


def container_problem(path: Path, kind: OfficeFormat,
                      content_problem: Callable[[dict[str, bytes]], str | None] | None = None) -> str | None:
    """Why the file cannot be read as ``kind``, or None when python-docx / openpyxl may open it.
    ``content_problem``: a further check of the parts' contents (name -> bytes, e.g. counting paragraphs), given
    once every part is known to inflate to its declared, small, size."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
            too_large = office_file_problem(os.fstat(handle.fileno()).st_size, kind.noun)
    except FileNotFoundError:
        return "the file is missing"
    except OSError as exc:
        return f"the file cannot be opened ({exc.strerror or exc})"
    if head == OLE_MAGIC:
        return (f"the {kind.noun} is password-protected (encrypted) or saved in the old {kind.program} 97-2003 "
                f"format; remove the password (File > Info > Protect {kind.noun.title()}) and save it as "
                f"{kind.article_title}")
    if too_large:
        return too_large
    save_again = f"open it in {kind.program} and save it as {kind.article_title}"
    if not zipfile.is_zipfile(path):
        return f"the file is not {kind.what}, though its name ends in {path.suffix}; {save_again}"
    damaged = f"the file is damaged and cannot be read ({{}}); save it again from {kind.program}"
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
            problem = office_parts_problem(parts, kind.noun) or _name_problem(path, kind, parts, save_again)
            if problem:
                return problem
            contents = {part.filename: read_part(archive, part) for part in parts}
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, NotImplementedError) as exc:
        return damaged.format(exc)
    return content_problem(contents) if content_problem else None


def _name_problem(path: Path, kind: OfficeFormat, parts: list[zipfile.ZipInfo], save_again: str) -> str | None:
    """A zip that is not ``kind`` (no main part), or holds macros."""
    names = {part.filename for part in parts}
    if kind.part not in names:
        return f"the file is not {kind.what}: it is a zip file with no {kind.noun} in it; {save_again}"
    if path.suffix.lower() == kind.macro_suffix or any(n.lower().endswith("vbaproject.bin") for n in names):
        return (f"the {kind.noun} contains macros, which are not accepted; save it as {kind.article_title}, not a "
                f"macro-enabled {kind.noun} ({kind.macro_suffix})")
    return None
