"""Where every input of an edition lives. Open data is shared by all forces; a publication's definition, pages and
reference figures live in ``publications/<id>/``; the inputs a force supplies for a publication (delivery
tracker, narrative, force extracts) live in ``data/forces/<force-slug>/<publication-id>/``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from strategy_update.core.periods import Quarter

DEFINITION = "publication.yml"
# A section's narrative: Markdown, or Word (.docm is looked for only to refuse it: macros). See inputs/word.py.
NARRATIVE_SUFFIXES = (".md", ".docx", ".docm")
# The delivery tracker: a CSV, or an Excel workbook at the same name (see inputs/excel.py).
DELIVERY_SUFFIXES = (".csv", ".xlsx")


@dataclass(frozen=True)
class InputPaths:
    data: Path  # the data folder
    publications: Path  # the folder of publication folders
    publication_id: str
    force_slug: str

    # --- shared open data
    @property
    def crime(self) -> Path:
        return self.data / "raw" / "home-office" / "prc-pfa-open-data-tables.csv.gz"

    @property
    def workforce(self) -> Path:
        """The Home Office police workforce open data: every force at 31 March of each year."""
        return self.data / "raw" / "home-office" / "police-workforce-2007-2023.csv"

    @property
    def population(self) -> list[Path]:
        return sorted((self.data / "raw" / "ons").glob("pfa-population-*.csv"))

    @property
    def recording_changes(self) -> Path:
        """The declared changes in how forces recorded crime (optional; a note on the open data, not part of it)."""
        return self.data / "recording-changes.csv"

    # --- the publication
    @property
    def publication(self) -> Path:
        return self.publications / self.publication_id

    @property
    def definition(self) -> Path:
        return self.publication / DEFINITION

    @property
    def pages(self) -> Path:
        return self.publication / "pages"

    @property
    def reference(self) -> Path:
        return self.publication / "reference"

    # --- what the force supplies for every publication
    @property
    def peer_group(self) -> Path:
        """The force's official Most Similar Group (optional; a group is computed without it)."""
        return self.data / "forces" / self.force_slug / "most-similar-group.csv"

    # --- what the force supplies for the publication
    @property
    def force_inputs(self) -> Path:
        return self.data / "forces" / self.force_slug / self.publication_id

    def delivery(self, quarter: Quarter) -> Path:
        """The quarter's tracker: ``<quarter>.csv``, or ``<quarter>.xlsx`` when only the workbook exists (when both
        exist, ``delivery_files`` has both and validation says so)."""
        csv, workbook = (self.delivery_folder / f"{quarter.id}{suffix}" for suffix in DELIVERY_SUFFIXES)
        return workbook if workbook.is_file() and not csv.is_file() else csv

    @property
    def delivery_folder(self) -> Path:
        return self.force_inputs / "delivery"

    def delivery_workbook(self, quarter: Quarter) -> Path:
        """Where a quarter's tracker workbook (.xlsx) goes."""
        return self.delivery_folder / f"{quarter.id}.xlsx"

    def delivery_files(self, quarter: Quarter) -> list[Path]:
        """Every tracker file supplied for the quarter (more than one is an error that names them)."""
        return [p for p in (self.delivery_folder / f"{quarter.id}{s}" for s in DELIVERY_SUFFIXES) if p.is_file()]

    def narrative_folder(self, quarter: Quarter) -> Path:
        return self.force_inputs / "narrative" / quarter.id

    def narrative(self, quarter: Quarter, section_id: str) -> Path:
        return self.narrative_folder(quarter) / f"{section_id}.md"

    def narrative_docx(self, quarter: Quarter, title: str) -> Path:
        """Where a section's Word narrative goes: its title as the file name (``Mental Health.docx``)."""
        return self.narrative_folder(quarter) / f"{title_file_stem(title)}.docx"

    def narrative_files(self, quarter: Quarter, section_id: str, title: str = "") -> list[Path]:
        """Every file of the quarter's folder that is this section's narrative (more than one is an error that
        names them): named by the section's id or title, .md or .docx (or .docm, to be refused)."""
        folder = self.narrative_folder(quarter)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if narrative_section(p, {section_id: title}) == section_id)

    @property
    def force_extracts(self) -> Path:
        return self.force_inputs / "force-extracts"

    def force_extract(self, measure_id: str) -> Path:
        return self.force_extracts / f"{measure_id}.csv"


def publication_ids(publications: Path) -> list[str]:
    """Every folder of ``publications/`` (a folder without a definition is reported by validation)."""
    if not publications.is_dir():
        return []
    return sorted(p.name for p in publications.iterdir() if p.is_dir() and not p.name.startswith("."))


def title_file_stem(title: str) -> str:
    """A section's title as a file name: characters Windows refuses in a name become '-' ("Child Abuse - Child
    Sexual Exploitation")."""
    return re.sub(r"\s*[\\/:*?\"<>|]+\s*", " - ", " ".join(title.split())).strip(" .-")


def _name_key(text: str) -> str:
    return " ".join(text.split()).casefold()


def narrative_section(path: Path, titles: dict[str, str]) -> str | None:
    """The section a file in a narrative folder is for (``titles``: section id -> title), or None: a narrative is
    named after its section's id or title (case and spacing aside), ending .md or .docx. Hidden files and the lock
    files Word leaves beside an open document (``~$...``) are never narratives."""
    path = Path(path)
    if path.name.startswith((".", "~$")) or path.suffix.lower() not in NARRATIVE_SUFFIXES or not path.is_file():
        return None
    stem = _name_key(path.stem)
    for section_id, title in titles.items():
        if stem == section_id.casefold() or (title and stem == _name_key(title_file_stem(title))):
            return section_id
    return None


def file_stamps(*places: Path) -> tuple:
    """Name, size and change times of each file in ``places`` (files or folders, searched all the way down); a
    place that does not exist counts as such. A cache keyed on them notices any save: a write always changes the
    change time."""
    stamps = []
    for place in map(Path, places):
        files = sorted(p for p in place.rglob("*") if p.is_file()) if place.is_dir() else [place]
        for file in files:
            try:
                st = file.stat()
                stamps.append((str(file), st.st_size, st.st_mtime_ns, st.st_ctime_ns))
            except OSError:
                stamps.append((str(file), None))
    return tuple(stamps)
