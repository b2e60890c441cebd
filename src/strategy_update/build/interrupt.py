"""Stopping a build safely: Ctrl-C (SIGINT) or SIGTERM stop it within seconds, stop every process it started, and
never land in the middle of moving a finished edition into place.

A build is a tree of processes: notebook workers (forked), one Jupyter kernel per worker, one headless Chromium per
kernel (render/svg_renderer.py, for the chart images), and jupyter-book (which typesets the PDF with Typst in its own
process).
Kernels and Chromium each start a session of their own, so a signal to the build's process group does not reach
them: the build stops them itself (``stop_processes``). If the build is killed outright (SIGKILL: no code of its own
runs), each level notices that its parent is gone: workers poll their parent (``exit_when_orphaned``), kernels poll
theirs (ipykernel's parent poller, told the worker's pid by jupyter_client) and Chromium exits when its kernel's
pipe closes. (jupyter-book runs in a process group of its own, stopped whole with anything it started:
``stop_process_group``; a build killed outright leaves it to finish its step in the work folder, which publishes
nothing.)
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import psutil

SIGNALS = (signal.SIGINT, signal.SIGTERM)
NOTHING_PUBLISHED = "nothing was published; the previous edition, if any, is unchanged."
NOTHING_PUBLISHED_ALL = "nothing was published; the previous editions, if any, are unchanged."
GRACE_SECONDS = 1.0  # after SIGTERM, before SIGKILL: a stopped build's processes hold nothing worth waiting for


class Interrupted(KeyboardInterrupt):
    """The build was asked to stop (SIGINT or SIGTERM). A KeyboardInterrupt, so code that already cleans up after
    Ctrl-C does so for SIGTERM too. ``published``: the edition was in place before the stop took effect (the signal
    came while it was moved into place, or after). ``editions``: for build-all, the forces whose editions were
    published by this run before the stop (None: not build-all)."""

    def __init__(self, signum: int, published: bool = False, editions: list[str] | None = None):
        super().__init__(signal.Signals(signum).name)
        self.signum, self.published, self.editions = signum, published, editions

    @property
    def exit_code(self) -> int:
        """128 + the signal's number, as a shell reports a process stopped by it: 130 (SIGINT), 143 (SIGTERM)."""
        return 128 + self.signum

    def message(self) -> str:
        if self.editions is not None:
            if not self.editions:
                return f"Interrupted: {NOTHING_PUBLISHED_ALL}"
            return (f"Interrupted: published before the stop: {', '.join(self.editions)}; the other editions, if "
                    "any, are unchanged.")
        if self.published:
            return "Interrupted: the new edition had already been published in full."
        return f"Interrupted: {NOTHING_PUBLISHED}"


# What this process has published so far, for the message of a stop that comes after it (``published_so_far``).
_published: dict = {}


def published_so_far(published: bool = False, editions: list[str] | None = None) -> None:
    """Record what the command has published (nothing, at its start): a stop from now on says so. ``published``
    for one edition, ``editions`` for build-all's forces. In the main thread, where signals are handled."""
    if threading.current_thread() is threading.main_thread():
        _published.clear()
        _published.update(published=published, editions=editions)


def published_editions() -> list[str]:
    """build-all's forces published so far (``published_so_far``)."""
    return list(_published.get("editions") or [])


def raise_interrupted(signum: int, frame=None) -> None:
    """Stop the build for ``signum``: the handler ``raise_on_signals`` sets, and what a block that held a signal
    (``signals_held``) calls once it is done. In the main thread."""
    # One request to stop is enough: what follows (stopping the build's processes) is bounded by GRACE_SECONDS, and a
    # second Ctrl-C in the middle of it would only leave processes behind and print a traceback.
    ignore_signals()
    raise Interrupted(signum, **_published)


def ignore_signals() -> None:
    """From now on SIGINT and SIGTERM change nothing: the command has stopped, or has finished and said so."""
    for each in SIGNALS:
        signal.signal(each, signal.SIG_IGN)


def raise_on_signals() -> None:
    """In a command's main thread: SIGINT and SIGTERM raise :class:`Interrupted`. (By default SIGTERM ends the
    process at once, leaving its workers, kernels and Chromium running.) Only the main thread may set handlers."""
    if threading.current_thread() is not threading.main_thread():
        return
    for each in SIGNALS:
        signal.signal(each, raise_interrupted)


@contextmanager
def signals_held() -> Iterator[list[int]]:
    """SIGINT and SIGTERM wait until the block is done (the swap of an edition into place must happen whole). Yields
    the list of signals that arrived meanwhile. Outside the main thread signals never interrupt Python code, so there
    is nothing to hold."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return
    previous = {each: signal.signal(each, lambda signum, frame: arrived.append(signum)) for each in SIGNALS}
    try:
        yield arrived
    finally:
        for each, handler in previous.items():
            signal.signal(each, handler)


@contextmanager
def children_ignore_ctrl_c() -> Iterator[None]:
    """A process started (fork and exec) in the block ignores SIGINT for good, and so do the processes it starts: an
    ignored signal stays ignored across exec, and Python sets its Ctrl-C handler only where SIGINT is at its
    default. For processes the build stops itself, which Ctrl-C at the terminal (to the whole process group) would
    otherwise stop half-way, each printing a traceback. A Ctrl-C in the block itself is lost: keep it to starting the
    process. In the main thread only (only it may set handlers); elsewhere the block runs as it is."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def stop_processes(processes: list[psutil.Process], grace: float = GRACE_SECONDS) -> None:
    """SIGTERM, then SIGKILL for those still running after ``grace`` seconds; returns when none is running."""
    for stop in (psutil.Process.terminate, psutil.Process.kill):
        for process in processes:
            with suppress(psutil.NoSuchProcess):
                stop(process)
        if not _still_running(lambda: processes, grace):
            return


def stop_process_group(leader: subprocess.Popen, grace: float = GRACE_SECONDS) -> None:
    """SIGTERM to the process group ``leader`` leads (started with ``start_new_session``), SIGKILL after ``grace``
    seconds to what is left; returns when none of it is running. A group, not the leader's children: a process
    whose parent already exited (a child jupyter-book left behind) is still in it."""
    def members() -> list[psutil.Process]:
        leader.poll()  # reap the leader
        return [p for p in psutil.process_iter() if _group_of(p) == leader.pid]

    for signum in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(leader.pid, signum)  # the kernel signals the whole group at once, even a process just started
        except ProcessLookupError:
            break
        if not _still_running(members, grace):
            break
    leader.wait()


def _still_running(find: Callable[[], list[psutil.Process]], seconds: float) -> list[psutil.Process]:
    """The processes ``find`` lists that are still running after up to ``seconds``. A process that has exited but not
    been reaped yet (a zombie: an orphan waits for init to collect it) is not running."""
    deadline = time.monotonic() + seconds
    while (running := [p for p in find() if _running(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return running


def _running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _group_of(process: psutil.Process) -> int | None:
    try:
        return os.getpgid(process.pid)
    except OSError:
        return None


def _descendants() -> list[psutil.Process]:
    try:
        return psutil.Process().children(recursive=True)
    except psutil.NoSuchProcess:
        return []


@contextmanager
def processes_stopped_on_exit() -> Iterator[None]:
    """Whatever way the block ends (done, failed, interrupted), the processes started inside it that are still
    running are stopped before it returns (those running before it are left alone). The list is taken before any is
    stopped: a kernel whose worker has exited is no longer this process's descendant."""
    before = {(p.pid, _started(p)) for p in _descendants()}
    try:
        yield
    finally:
        started = [p for p in _descendants() if (p.pid, _started(p)) not in before]
        if started:
            stop_processes(started)


def _started(process: psutil.Process) -> float | None:
    try:
        return process.create_time()
    except psutil.Error:
        return None


def exit_when_orphaned(on_orphaned: Callable[[], None] = lambda: None, interval: float = 0.5) -> None:
    """In a child process: a daemon thread that, once the parent has gone (killed outright, say), runs
    ``on_orphaned`` (e.g. stop a kernel) and exits. Polling the parent's pid works whichever thread started the
    child and on any POSIX system; Linux's PR_SET_PDEATHSIG would fire when the *thread* that forked exits, and a
    worker waiting for a notebook would otherwise run to the end of it with nobody to read the result."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        try:
            on_orphaned()
        finally:
            os._exit(1)

    threading.Thread(target=watch, name="exit-when-orphaned", daemon=True).start()
