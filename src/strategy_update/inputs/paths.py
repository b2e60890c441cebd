"""Where every input of an edition lives. Open data is shared by all forces; a publication's definition, pages and
reference figures live in ``publications/<id>/``; the inputs a force supplies for a publication (delivery
tracker, narrative, force extracts) live in ``data/forces/<force-slug>/<publication-id>/``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from strategy_update.core.periods import Quarter

DEFINITION = "publication.yml"


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
        return self.force_inputs / "delivery" / f"{quarter.id}.csv"

    def narrative_folder(self, quarter: Quarter) -> Path:
        return self.force_inputs / "narrative" / quarter.id

    def narrative(self, quarter: Quarter, section_id: str) -> Path:
        return self.narrative_folder(quarter) / f"{section_id}.md"

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
