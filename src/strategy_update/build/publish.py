"""Publishing an edition atomically: a failed build never leaves a half-written site or loses the last good one.

A folder is published by filling a new copy of it in ``.staging/`` beside it and swapping that into place. Each
published folder has a lock file there (``.staging/<name>.lock``) that a build holds while it publishes it: a build
killed outright (SIGKILL) releases it with its life, so the next build that publishes anything in the same place
knows the copies it left are nobody's, removes them, and puts back an edition it had moved aside
(``<name>.old``). A build that holds the lock is never disturbed.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

from strategy_update.build.incremental import Job
from strategy_update.core.errors import machine_error

STAGING = ".staging"
ASIDE = ".old"  # an edition moved aside while its replacement moves in


def publish(work: Path, html: Path, pdf_file: Path | None, jobs: list[Job], target: Path, draft: bool = False) -> None:
    """The finished edition (website, PDF, data and executed notebooks) swapped into ``target`` whole, with the
    versions it keeps (``build/revisions.py``: a correction keeps the version it replaces; figures that moved with
    no correction are refused, under the lock). ``draft``: the preview's, with no versions."""
    from strategy_update.build import revisions

    def fill(ready: Path) -> None:
        replaced = None if draft else revisions.replaced_version(work, target)
        shutil.copytree(html, ready / "html")
        if pdf_file is not None:
            (ready / "pdf").mkdir()
            shutil.copy2(pdf_file, ready / "pdf" / "update.pdf")
        shutil.copytree(work / "data", ready / "data")  # the results table and the input rows behind it
        for job in jobs:  # the executed notebooks, for reviewers to download
            (ready / "notebooks" / job.output).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / job.output, ready / "notebooks" / job.output)
        if not draft:
            revisions.keep_versions(target, ready, replaced)

    publish_folder(target, fill)


def publish_folder(target: Path, fill: Callable[[Path], None]) -> None:
    """``fill`` a new copy of ``target`` beside it, then swap it into place: never a half-written folder. A full
    disk or a folder the build may not write is an OperationalError naming it; nothing it half wrote is left."""
    try:
        staging = target.parent / STAGING
        staging.mkdir(parents=True, exist_ok=True)
        with _publishing(staging, target.name):
            remove_leftovers(target.parent, held=target.name)
            ready = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=staging))
            try:
                umask = os.umask(0)
                os.umask(umask)
                ready.chmod(0o777 & ~umask)  # mkdtemp makes it private; a web server must be able to read it
                fill(ready)
                _swap(ready, target)
            finally:
                shutil.rmtree(ready, ignore_errors=True)
    except OSError as exc:  # shutil.Error (a copy's failures) is one too
        raise machine_error(exc, f"publishing {target}") or exc  # noqa: B904 (exc itself, or the same failure named)


def _swap(ready: Path, target: Path) -> None:
    """``ready`` becomes ``target``; the folder that was there is removed once it has. Two renames: if the second
    fails, the first is undone; if the build is killed between them, the next one puts the old folder back."""
    old = None
    if target.exists():
        old = target.with_name(target.name + ASIDE)
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    try:
        ready.rename(target)
    except BaseException:
        if old is not None:
            old.rename(target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextmanager
def _publishing(staging: Path, name: str, wait: bool = True) -> Iterator[bool]:
    """Hold the lock of the folder ``name`` (yields True), waiting for another build publishing it; with
    ``wait=False``, yields False at once when a live build holds it."""
    descriptor = os.open(staging / f"{name}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # releases the lock


def remove_leftovers(parent: Path, held: str | None = None) -> None:
    """What builds killed while publishing into ``parent`` left: their half-made copies in ``.staging/`` are
    removed, and a folder moved aside whose replacement never came is put back. Folders a live build is
    publishing are left alone (their lock is held; ``held``: the folder whose lock this build holds itself).
    Copies with no lock file beside them were left by a build from before the lock files: nobody owns them."""
    staging = parent / STAGING
    if not staging.is_dir():
        return
    copies: dict[str, list[Path]] = {}
    for entry in staging.iterdir():
        found = re.fullmatch(r"(.+)-[a-z0-9_]{8}", entry.name)
        if found and entry.is_dir():
            copies.setdefault(found.group(1), []).append(entry)
    names = set(copies) | {aside.name.removesuffix(ASIDE) for aside in parent.glob(f"*{ASIDE}") if aside.is_dir()}
    for name in sorted(names):
        with (nullcontext(True) if name == held else _publishing(staging, name, wait=False)) as free:
            if not free:
                continue
            for copy in copies.get(name, []):
                shutil.rmtree(copy, ignore_errors=True)
            aside, target = parent / f"{name}{ASIDE}", parent / name
            if aside.is_dir():
                if target.exists():
                    shutil.rmtree(aside, ignore_errors=True)
                else:
                    aside.rename(target)


# --- build-all: no publishing after a stop --------------------------------------------------------------------------
GATE_OPEN, GATE_CLOSED = b"open", b"closed"
GATE_WAIT_SECONDS = 120  # for the publishing under way when build-all is stopped (a copy on one disk: seconds)


class PublishGate:
    """build-all's workers publish their editions themselves, while the driver waits for them. When the driver is
    stopped, it closes the gate: a worker publishes only while the gate is open, holding the gate's lock (shared)
    meanwhile, and closing the gate waits for the publishing under way. Once it is closed, what is published is
    final and the driver can say which editions are. A file, so that workers on other machines see it too."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def opened(cls, path: Path) -> PublishGate:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(GATE_OPEN)
        return cls(path)

    @contextmanager
    def passing(self) -> Iterator[bool]:
        """For a worker: True while the gate is open, and it stays open until the block ends."""
        try:
            descriptor = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:  # the run is over: nothing of it publishes any more
            yield False
            return
        try:
            fcntl.flock(descriptor, fcntl.LOCK_SH)
            yield os.read(descriptor, len(GATE_CLOSED)) == GATE_OPEN
        finally:
            os.close(descriptor)

    def close(self) -> bool:
        """For the driver: no worker publishes from now on. Waits for those publishing (up to GATE_WAIT_SECONDS;
        False if one was still at it then)."""
        import time

        descriptor = os.open(self.path, os.O_RDWR)
        try:
            deadline = time.monotonic() + GATE_WAIT_SECONDS
            while True:
                try:
                    fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    waited = True
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        waited = False
                        break
                    time.sleep(0.05)
            os.ftruncate(descriptor, 0)
            os.pwrite(descriptor, GATE_CLOSED, 0)
            return waited
        finally:
            os.close(descriptor)

    def remove(self) -> None:
        self.path.unlink(missing_ok=True)
