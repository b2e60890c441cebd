"""One copy of a run's inputs, taken before they are checked: build-all checks and reads the copy, so what was
checked is what is built, whatever is saved meanwhile. (An extract saved between its check and its reading stopped
the whole run when it could no longer be read, and was built unchecked when it could.)"""

from __future__ import annotations

import shutil
from pathlib import Path

from strategy_update.inputs.paths import InputPaths


def snapshot_inputs(editions: list[InputPaths], data_dir: Path, folder: Path) -> Path:
    """A copy in ``folder`` of what the editions read from ``data_dir``: the open data and each force's own files for
    its publication (not its other publications' inputs). Returns the copy's data folder, named as the original, so
    messages and the provenance page name files as before; an earlier copy there is replaced."""
    shutil.rmtree(folder, ignore_errors=True)
    copy = folder / data_dir.name
    copy.mkdir(parents=True)
    for item in data_dir.iterdir():
        if item.name != "forces":
            _copy(item, copy / item.name)
    for paths in editions:
        own = paths.force_inputs.parent  # data/forces/<force>: its files, and a folder per publication
        for item in sorted(own.iterdir()) if own.is_dir() else []:
            if item.name == paths.publication_id or not item.is_dir():
                _copy(item, copy / "forces" / own.name / item.name)
    return copy


def _copy(source: Path, target: Path) -> None:
    """A file or folder as it is: links stay links (the checks refuse what they must)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir() and not source.is_symlink():
        shutil.copytree(source, target, symlinks=True, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target, follow_symlinks=False)
