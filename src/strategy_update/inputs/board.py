"""The force's board inputs for one quarter: the parts of a board paper only the force can write (its
recommendations and its issues by exception), in ``data/forces/<force>/<publication>/board/<quarter>.md``.

The file is Markdown with front matter naming the publication and quarter and one level-2 heading per part
(``Board.quarterly_headings``). It is read and checked exactly as a lead's narrative is (``inputs.narrative``):
the same parse, the same refusal of raw HTML, code, roles, images and unsafe links. The file is optional; a
front page without one says plainly that the force has not supplied these parts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from strategy_update.core.errors import ErrorRecord, InputError
from strategy_update.core.periods import Quarter
from strategy_update.inputs.narrative import read_narrative
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.publication import Publication

KEY = "publication"  # the front matter names the publication, as a narrative names its strand


@dataclass(frozen=True)
class BoardInputs:
    quarter: str
    sections: dict[str, str]  # heading -> Markdown text
    source_file: str


def board_path(paths: InputPaths, quarter: Quarter) -> Path:
    return paths.force_inputs / "board" / f"{quarter.id}.md"


def read_board(path: Path, *, display_name: str, publication: Publication,
               quarter: Quarter) -> tuple[BoardInputs | None, list[ErrorRecord]]:
    """(inputs, []) for a good file, (None, errors) otherwise; never raises for bad input. Every heading in
    ``quarterly_headings`` must be present and not empty (a force with nothing to raise writes "None")."""
    headings = list(publication.board.quarterly_headings) if publication.board else []
    found, errors = read_narrative(path, display_name=display_name, key=KEY, section_id=publication.id,
                                   quarter=quarter, headings=headings)
    if found is None:
        return None, [_board_wording(e) for e in errors]
    return BoardInputs(quarter.id, found.sections, display_name), []


def _board_wording(error: ErrorRecord) -> ErrorRecord:
    """The narrative reader's messages, said of a board file."""
    return replace(error, message=error.message.replace("the narrative", "the board file").replace(
        "a narrative", "a board file"), rule=(error.rule or "").replace("a narrative", "a board file"))


def board_errors(paths: InputPaths, publication: Publication, quarter: Quarter,
                 display_name: str) -> list[ErrorRecord]:
    """Validation's view: no errors when the file is absent (it is optional) or the publication has no board."""
    path = board_path(paths, quarter)
    if publication.board is None or not path.is_file():
        return []
    return read_board(path, display_name=display_name, publication=publication, quarter=quarter)[1]


def load_board(paths: InputPaths, publication: Publication, quarter: Quarter,
               display_name: str) -> BoardInputs | None:
    """The quarter's board inputs, or None when not supplied. Validation has already refused a bad file, so a
    file that still fails here raises its first error as an InputError (a message, never a traceback)."""
    path = board_path(paths, quarter)
    if publication.board is None or not path.is_file():
        return None
    found, errors = read_board(path, display_name=display_name, publication=publication, quarter=quarter)
    if errors:
        e = errors[0]
        raise InputError(e.message, file=e.file, line=e.line, column=e.column, rule=e.rule, value=e.value)
    return found


def check_board(v, publication: Publication | None, quarter: Quarter | None, suite: str = "narrative") -> None:
    """Validation: the quarter's board file, when there is one, judged like a narrative (critical findings in the
    narrative suite, so a bad file stops the build with its file, line and rule)."""
    if publication is None or quarter is None:
        return
    path = board_path(v.paths, quarter)
    if publication.board is None or not path.is_file():
        return
    name = v.rel(path)
    errors = read_board(path, display_name=name, publication=publication, quarter=quarter)[1]
    v.suites[suite].evaluated += 1  # one check: the file reads as a board file
    v.suites[suite].passed += not errors
    for e in errors:
        v.add(suite, "critical", name, e.line, e.column, e.rule, e.value, e.message)
