"""What a page notebook renders from: the edition's results (computed once by the build), the publication's
definition and the narrative the build read and checked. A notebook reads no raw input."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from strategy_update.compute.stage import read_edition_results
from strategy_update.core.periods import Quarter, parse_quarter
from strategy_update.inputs.definition import display_path, load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.forces import force_slug
from strategy_update.model.publication import Publication, Section
from strategy_update.render.figures import MeasureFigures, section_figures

NARRATIVES = "narratives"


@dataclass(frozen=True)
class EditionView:
    publication: Publication
    force: str
    quarter: Quarter
    paths: InputPaths
    results: pd.DataFrame
    input_rows: pd.DataFrame
    folder: Path  # the build's work folder for this edition

    @property
    def title(self) -> str:
        return self.publication.edition_title(self.force)

    def figures(self, section: Section) -> list[MeasureFigures]:
        return section_figures(self.results, self.input_rows, self.publication, self.force, section)

    def narrative(self, section: Section) -> dict[str, str] | None:
        """heading -> Markdown text, as the build read and checked it; None when none was supplied."""
        path = self.folder / NARRATIVES / f"{section.id}.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def input_name(self, path: Path) -> str:
        return display_path(path)


def load_view(results_dir: str | Path, publication: str, force: str, quarter: str, data_dir: str | Path,
              publications_dir: str | Path) -> EditionView:
    paths = InputPaths(Path(data_dir), Path(publications_dir), publication, force_slug(force))
    results, rows = read_edition_results(Path(results_dir) / "data")
    return EditionView(load_publication(paths), force, parse_quarter(quarter), paths, results, rows,
                       Path(results_dir))


def write_narratives(folder: Path, narratives: dict[str, dict[str, str]]) -> None:
    """One JSON file per section with a narrative, rewritten only when it changes (only that page runs again)."""
    target = folder / NARRATIVES
    target.mkdir(parents=True, exist_ok=True)
    for section_id, sections in narratives.items():
        data = json.dumps(sections, ensure_ascii=False, indent=1, sort_keys=True).encode()
        path = target / f"{section_id}.json"
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    for stale in target.glob("*.json"):
        if stale.stem not in narratives:
            stale.unlink()
