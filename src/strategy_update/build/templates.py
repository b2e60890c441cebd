"""Page templates made concrete for a publication before papermill runs them.

A template's cells tagged ``narrative-part`` repeat once for each narrative heading after the first (the first
heading carries the figures, so the template places it itself), with ``N`` replaced by the heading's number, or
are dropped for a section with no narrative (its first heading says so once); cells tagged ``delivery`` are kept
only when the publication has a delivery tracker, and cells tagged ``peer-table`` only when it compares the force
with similar forces, and cells tagged ``board`` only when it defines a board paper. Headings must be Markdown
cells, not outputs, to become sections of the page, its contents
and the PDF's bookmarks.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from strategy_update.model.publication import Publication

REPEATED, DELIVERY, PEERS = "narrative-part", "delivery", "peer-table"
BOARD = "board"  # kept only when the definition has a ``board:`` key (the board paper's sections)


def expand(template: Path, publication: Publication, narrative: bool = True,
           parts: int | None = None) -> nbformat.NotebookNode:
    """``parts``: how many narrative headings the edition has (``Publication.narrative_parts``; all by default)."""
    parts = len(publication.narrative) if parts is None else parts
    notebook = nbformat.read(template, as_version=4)
    cells = []
    block = [c for c in notebook.cells if REPEATED in c.metadata.get("tags", [])]
    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if (DELIVERY in tags and publication.delivery is None) or (PEERS in tags and not publication.peer_group_label):
            continue
        if BOARD in tags and publication.board is None:
            continue
        if REPEATED in tags:
            if cell is block[0]:  # the whole block, once per heading after the first
                for number in range(1, parts if narrative else 1):
                    for part in block:
                        repeated = copy.deepcopy(part)
                        repeated["id"] = f"{part.get('id', 'part')}-{number}"  # cell ids must stay unique
                        repeated.source = (part.source.replace("_N`", f"_{number}`").replace("[N]", f"[{number}]")
                                          .replace("narrative, N)", f"narrative, {number})"))
                        cells.append(repeated)
            continue
        cells.append(cell)
    notebook.cells = cells
    return notebook


def write_expanded(template: Path, publication: Publication, folder: Path, narrative: bool = True,
                   parts: int | None = None) -> Path:
    """The expanded template in the work folder, rewritten only when it changes (its digest keys the notebooks)."""
    path = folder / (template.name if narrative else f"{template.stem}-without-narrative{template.suffix}")
    text = nbformat.writes(expand(template, publication, narrative, parts))
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return path
