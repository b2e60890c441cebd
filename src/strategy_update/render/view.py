"""What a page notebook renders from: the edition's results (computed once by the build), the publication's
definition and the narrative the build read and checked. A notebook reads no raw input."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from strategy_update.compute.stage import INPUT_ROWS, RESULTS, read_edition_results
from strategy_update.core.periods import Quarter, parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths, file_stamps
from strategy_update.model.forces import force_slug
from strategy_update.model.publication import Publication, Section
from strategy_update.render.figures import MeasureFigures, section_figures
from strategy_update.render.input_names import input_label

NARRATIVES = "narratives"
BOARD = "board.json"  # the force's board paper parts for the quarter, as the build read and checked them


@dataclass(frozen=True)
class EditionView:
    publication: Publication
    force: str
    quarter: Quarter
    paths: InputPaths
    results: pd.DataFrame
    input_rows: pd.DataFrame
    # section id -> heading -> text, as the build read and checked it; {} for a template not yet written
    narratives: dict[str, dict[str, str]]
    board: dict[str, str] | None = None  # heading -> text of the force's board paper parts; None when not supplied
    print_charts: bool = True  # draw each chart as a picture for the PDF too (a website-only build does not)
    tables: tuple = ()  # the files ``results`` and ``input_rows`` were read from, as read (``load_view``)

    @property
    def title(self) -> str:
        return self.publication.edition_title(self.force)

    def figures(self, section: Section) -> list[MeasureFigures]:
        """The section's measures' figures. Read from the build's tables, they are worked out once per kernel (the
        front page and the section's own page both show them) and kept while those files are unchanged."""
        if not self.tables:
            return section_figures(self.results, self.input_rows, self.publication, self.force, section)
        key = (self.tables, self.force, section, self.publication.comparisons, self.publication.areas)
        if key not in _FIGURES:
            if len(_FIGURES) >= 64:  # an edition has a few dozen sections at most; a long preview, many editions
                _FIGURES.clear()
            _FIGURES[key] = section_figures(self.results, self.input_rows, self.publication, self.force, section)
        return list(_FIGURES[key])

    def narrative(self, section: Section) -> dict[str, str] | None:
        """heading -> Markdown text; None when none was supplied, or its template is not yet written."""
        return self.narratives.get(section.id) or None

    def not_yet_written(self, section: Section) -> bool:
        """Whether the section's narrative is a template nobody has written in (read as no headings: ``{}``)."""
        return self.narratives.get(section.id) == {}

    @property
    def has_narrative(self) -> bool:
        """Whether any section has a narrative written."""
        return any(self.narratives.values())

    def input_name(self, path: Path) -> str:
        """An input named by what it is (the force's delivery tracker for a quarter), not by its path."""
        path = Path(path)
        measure = next((m.name.lower() for _, m in self.publication.measures
                        if path.parent.name == "force-extracts" and m.id == path.stem), "")
        return input_label(path, measure)


_FIGURES: dict[tuple, list[MeasureFigures]] = {}  # EditionView.figures, kept for the kernel's next pages


def read_page_tables(results_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The edition's results table and input rows (in its work folder), for the pages. Their text columns hold
    Python strings, not Arrow's: a page takes a small slice of these tables hundreds of times, and each slice of an
    Arrow column costs several times more (the pages of an edition render in less than half the time).

    An edition's notebooks run one after another in the same kernel, and each reads these tables: they are read
    once for as long as the files stay the same (``file_stamps``), and each page gets its own copy."""
    return _read_page_tables(results_dir)[:2]


def _read_page_tables(results_dir: str | Path) -> tuple[pd.DataFrame, pd.DataFrame, tuple]:
    """``read_page_tables``, and what was read: the folder and its files' stamps."""
    folder = (Path(results_dir) / "data").resolve()
    stamps = file_stamps(folder / RESULTS, folder / INPUT_ROWS)
    results, rows = _page_tables(folder, stamps)
    return results.copy(), rows.copy(), (str(folder), stamps)


@functools.lru_cache(maxsize=2)
def _page_tables(folder: Path, stamps: tuple) -> tuple[pd.DataFrame, pd.DataFrame]:
    def with_python_strings(frame: pd.DataFrame) -> pd.DataFrame:
        return frame.astype({column: object for column, dtype in frame.dtypes.items() if dtype == "str"})

    results, rows = read_edition_results(folder)
    return with_python_strings(results), with_python_strings(rows)


def load_view(results_dir: str | Path, publication: str, force: str, quarter: str, data_dir: str | Path,
              publications_dir: str | Path, print_charts: bool = True) -> EditionView:
    """The edition as the build computed it (``results_dir``: its work folder). Without one (a notebook run on
    its own, e.g. by nbval), the edition's inputs are read and its results computed here, the same way."""
    paths = InputPaths(Path(data_dir), Path(publications_dir), publication, force_slug(force))
    model, q = load_publication(paths), parse_quarter(quarter)
    tables = ()
    if results_dir:
        results, rows, tables = _read_page_tables(results_dir)
        narratives = {p.stem: json.loads(p.read_text(encoding="utf-8"))
                      for p in sorted((Path(results_dir) / NARRATIVES).glob("*.json"))}
        board_file = Path(results_dir) / BOARD
        board = json.loads(board_file.read_text(encoding="utf-8")) if board_file.exists() else None
    else:
        from strategy_update.compute.stage import compute_edition
        from strategy_update.inputs.readers import read_edition_inputs

        inputs = read_edition_inputs(paths, model, force, q)
        results, rows = compute_edition(model, force, q, crime=inputs.crime, population=inputs.population,
                                        tracker=inputs.tracker, extracts=inputs.extracts,
                                        peer_group=inputs.peer_group, workforce=inputs.workforce,
                                        recording_changes=inputs.recording_changes)
        narratives, board = inputs.narratives, inputs.board
    return EditionView(model, force, q, paths, results, rows, narratives, board, print_charts, tables)


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


def write_board(folder: Path, board: dict[str, str] | None) -> None:
    """The board paper parts as one JSON file (none when not supplied), rewritten only when they change."""
    path = folder / BOARD
    if board is None:
        path.unlink(missing_ok=True)
        return
    data = json.dumps(board, ensure_ascii=False, indent=1, sort_keys=True).encode()
    if not path.exists() or path.read_bytes() != data:
        path.write_bytes(data)
