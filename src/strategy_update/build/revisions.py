"""Corrections: a published edition's figures change only through a correction that says why, and never silently.

When an edition is published again and its figures moved (a revised input, a corrected rule), the build compares
the new results table with the published one. With a reason (``strategy-update build --correction "why"``), the
edition is published as its next version: a dated revision note on its front page says why and which figures
moved (every one, with its old and new value, in ``data/revisions/version-<n>-changes.csv``), and the version it
replaces is kept whole, as it was published, in ``versions/<n>/`` inside the edition's folder (its website, PDF,
data and its own earlier versions), linked from the note. Without a reason the build refuses: it names the figures
that moved and publishes nothing.

Why refuse rather than publish "revised without a stated reason": a revision notice that gives no reason tells
readers and auditors that the figures changed but not whether to trust the old or the new ones, which is what a
revision notice is for; and a rebuild after an input changed by accident would otherwise become a public
correction without anyone deciding it. Refusing costs the analyst one option on the command line. Figures added
(a new kind of figure, a measure supplied for the first time) revise nothing already published: they need no
reason. A correction may also be published when no figure moved (a wrong sentence in a narrative): it is recorded
the same way.

The history of versions travels with the edition (``data/revisions.json``), so the published edition is the record;
the work folder only prepares the next version.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import date, datetime
from pathlib import Path

from strategy_update.core.errors import InputError

HISTORY = "revisions.json"  # in the edition's data folder: every version, oldest first
CHANGES = "revisions"  # in the data folder: version-<n>-changes.csv, every figure version n changed, removed or added
VERSIONS = "versions"  # in the edition's folder: versions/<n>/, version n as it was published
KEY = ["force", "section", "measure", "area", "statistic", "comparison", "period", "base_period"]
CHANGED, REMOVED, ADDED = "changed", "removed", "added"
RULE = "a published edition's figures change only through a correction that states its reason (--correction)"
SHOWN_IN_MESSAGE = 5


@dataclass(frozen=True)
class Version:
    number: int
    published: str  # ISO date
    reason: str = ""  # why it corrects the version before it ('' for the first)
    changed: int = 0  # figures whose value or text changed
    removed: int = 0
    added: int = 0

    @property
    def published_label(self) -> str:
        day = date.fromisoformat(self.published)
        return f"{day.day} {day:%B %Y}"

    @property
    def changes_file(self) -> str:
        return f"{CHANGES}/version-{self.number}-changes.csv"


def read_history(data: Path, edition: Path | None = None) -> list[Version]:
    """The versions recorded in an edition's ``data`` folder. An edition published before histories were kept
    (``edition`` given and its website there) is its version 1, dated by its front page."""
    path = data / HISTORY
    if path.exists():
        return [Version(**v) for v in json.loads(path.read_text(encoding="utf-8"))["versions"]]
    page = edition / "html" / "index.html" if edition is not None else None
    if page is not None and page.exists():
        return [Version(1, datetime.fromtimestamp(page.stat().st_mtime).date().isoformat())]
    return []


def write_history(data: Path, history: list[Version]) -> None:
    text = json.dumps({"versions": [asdict(v) for v in history]}, indent=1) + "\n"
    path = data / HISTORY
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")


def figure_changes(old, new):
    """Every figure of the ``old`` results table that ``new`` changes (value or text), removes, or adds: one row
    each, with its key, labels, ``change`` and the old and new value and text. Rows are matched on their key (and
    their order among rows with the same key, e.g. the members of a comparison group)."""
    import numpy as np
    import pandas as pd

    def keyed(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.assign(occurrence=frame.groupby(KEY, sort=False, dropna=False).cumcount())
        return frame[KEY + ["occurrence", "period_label", "base_period_label", "value", "text"]]
    both = keyed(old).merge(keyed(new), on=KEY + ["occurrence"], how="outer", suffixes=("_old", "_new"),
                            indicator=True, sort=False)
    old_value, new_value = both["value_old"].astype(float), both["value_new"].astype(float)
    same_value = (old_value.isna() & new_value.isna()) | np.isclose(old_value, new_value, rtol=1e-9, atol=1e-12)
    same_text = both["text_old"].fillna("") == both["text_new"].fillna("")
    change = np.select([both["_merge"] == "left_only", both["_merge"] == "right_only", ~(same_value & same_text)],
                       [REMOVED, ADDED, CHANGED], "")
    out = both.assign(change=change)[change != ""]
    for label in ("period_label", "base_period_label"):
        out[label] = out[f"{label}_new"].fillna(out[f"{label}_old"])
    return out[KEY + ["period_label", "base_period_label", "change", "value_old", "value_new", "text_old",
                      "text_new"]].reset_index(drop=True)


def _moved(changes) -> object:
    return changes[changes["change"] != ADDED]


def _published_results(edition: Path):
    from strategy_update.compute.results import read_results
    from strategy_update.compute.stage import RESULTS

    path = edition / "data" / RESULTS
    return read_results(path) if path.exists() else None


def unexplained(moved, edition: Path, version: int) -> InputError:
    """The refusal: which figures moved since the published version, and how to publish them as a correction."""
    def named(r) -> str:
        compared = f" on {r.base_period_label}" if isinstance(r.base_period_label, str) and r.base_period_label else ""
        where = f"{r.period_label or r.period}{compared}" if isinstance(r.period_label, str) else r.period
        return (f"{r.measure or r.section or 'edition'} {r.statistic.replace('_', ' ')}, {where}: "
                f"{_number(r.value_old)} -> {_number(r.value_new)}")
    shown = "; ".join(named(r) for r in moved.head(SHOWN_IN_MESSAGE).itertuples())
    more = f" and {len(moved) - SHOWN_IN_MESSAGE} more" if len(moved) > SHOWN_IN_MESSAGE else ""
    return InputError(f"{len(moved)} published figure{'s' if len(moved) != 1 else ''} of {edition} (version "
                      f"{version}) would change ({shown}{more}). A published edition is never overwritten "
                      "silently: publish the new figures as a correction, saying why, with --correction \"reason\" "
                      "(the version it replaces is kept and the page says what changed), or build a draft with "
                      "`strategy-update preview` or --out elsewhere", column="--correction", rule=RULE)


def _number(value) -> str:
    import math

    return "none" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:g}"


def prepare(work: Path, edition: Path, reason: str | None, today: date, draft: bool = False) -> list[Version]:
    """Before the pages are made: the edition's versions as they will be published (``edition``: where it is
    published), written to the work folder's data folder with the lists of changes. Refuses (InputError) a
    republish whose figures moved without a ``reason``, and a correction of an edition never published.
    ``draft`` (the preview): the published history as it is, no check."""
    data = work / "data"
    history = read_history(edition / "data", edition)
    shutil.rmtree(data / CHANGES, ignore_errors=True)
    if (edition / "data" / CHANGES).is_dir():
        shutil.copytree(edition / "data" / CHANGES, data / CHANGES)
    if reason is not None and not reason.strip():
        raise InputError("--correction gives no reason: say in a sentence why the figures changed (e.g. \"the "
                         "Home Office revised its open data\")", column="--correction", rule=RULE)
    if draft:
        history = history or [Version(1, today.isoformat())]
    elif not history:
        if reason is not None:
            raise InputError(f"--correction: no edition is published at {edition} yet, so there is nothing to "
                             "correct; build it without --correction", column="--correction", value=reason,
                             rule=RULE)
        history = [Version(1, today.isoformat())]
    else:
        from strategy_update.compute.results import read_results
        from strategy_update.compute.stage import RESULTS

        old = _published_results(edition)
        changes = figure_changes(old, read_results(data / RESULTS)) if old is not None else None
        moved = _moved(changes) if changes is not None else []
        if reason is None and len(moved):
            raise unexplained(moved, edition, history[-1].number)
        if reason is not None:
            number = history[-1].number + 1
            counts = changes["change"].value_counts() if changes is not None else {}
            version = Version(number, today.isoformat(), " ".join(reason.split()), int(counts.get(CHANGED, 0)),
                              int(counts.get(REMOVED, 0)), int(counts.get(ADDED, 0)))
            (data / CHANGES).mkdir(parents=True, exist_ok=True)
            if changes is not None:
                changes.to_csv(data / version.changes_file, index=False, lineterminator="\n")
            history = [*history, version]
    write_history(data, history)
    return history


def replaced_version(work: Path, edition: Path) -> int | None:
    """Just before publishing: the published version the new edition replaces as a correction (to keep in
    ``versions/``), or None when the new one is not a correction. Refuses (InputError) figures that moved with no
    correction recorded, whatever path the build took: nothing is overwritten silently."""
    published = read_history(edition / "data", edition)
    if not published:
        return None
    history = read_history(work / "data")
    if history and history[-1].number > published[-1].number:
        return published[-1].number
    old = _published_results(edition)
    if old is not None:
        from strategy_update.compute.results import read_results
        from strategy_update.compute.stage import RESULTS

        moved = _moved(figure_changes(old, read_results(work / "data" / RESULTS)))
        if len(moved):
            raise unexplained(moved, edition, published[-1].number)
    return None


def _link(source: str, target: str) -> None:
    """A file of a kept version: a hard link where the disk allows (it costs no space), else a copy."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def keep_versions(edition: Path, ready: Path, replaced: int | None) -> None:
    """Into the new edition ``ready``: the versions the published one kept, and, for a correction, the published
    edition itself, whole (website, PDF, data and its own kept versions, so its links still work), as version
    ``replaced``."""
    if (edition / VERSIONS).is_dir():
        shutil.copytree(edition / VERSIONS, ready / VERSIONS, copy_function=_link, dirs_exist_ok=True)
    if replaced is not None:
        kept = ready / VERSIONS / str(replaced)
        for part in ("html", "pdf", "data", VERSIONS):
            if (edition / part).is_dir():
                shutil.copytree(edition / part, kept / part, copy_function=_link)


def archived_link(number: int) -> str:
    """Version ``number`` from the edition's front page (``html/index.html``)."""
    return f"../{VERSIONS}/{number}/html/index.html"
