"""Jupyter Book kept warm for the preview: each website build starts in a forked copy of a helper process that has
already imported Jupyter Book, Sphinx, the theme and the extensions, instead of a new ``jupyter-book`` process
that imports them all again (about a third of a one-page rebuild).

The helper reads one request a line on its stdin (the ``jupyter-book build`` arguments and the log file, as JSON),
forks, runs the build in the child with its output in the log file, and answers with the child's exit code. It is
the leader of a process group of its own, so stopping the group stops a build under way with it; it exits when its
stdin closes (the preview ended, however it ended), and stops its group at once when its owner is killed."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from strategy_update.build import interrupt
from strategy_update.build.interrupt import stop_process_group

# Imported once by the helper: what every build of the book imports (Sphinx loads the rest from these).
WARM_MODULES = ("jupyter_book.cli.main", "jupyter_book.sphinx", "sphinx.builders.html", "myst_nb.sphinx_ext",
                "sphinx_book_theme", "pydata_sphinx_theme", "sphinx_design", "strategy_update.build.sphinx_fixes",
                "strategy_update.build.typst_book")


class WarmBook:
    """The helper process, started at once; ``build`` runs one ``jupyter-book build``; ``close`` stops it."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-m", "strategy_update.build.warm_book"],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        start_new_session=True)

    def build(self, args: list[str], log_file: Path) -> int:
        """The exit code of ``jupyter-book build ARGS``, its output in ``log_file``."""
        try:
            self.process.stdin.write(json.dumps({"args": args, "log": str(log_file)}) + "\n")
            self.process.stdin.flush()
            answer = self.process.stdout.readline()
        except BaseException:  # Ctrl-C, SIGTERM or a broken pipe: the build under way stops with the helper
            self.close()
            raise
        if not answer:  # the helper died: report it as a failed build, with whatever the log holds
            return -1
        return json.loads(answer)["returncode"]

    def close(self) -> None:
        """Stop the helper and any build it runs (ending its input first lets an idle helper exit by itself)."""
        if self.process.poll() is None:
            try:
                self.process.stdin.close()
                self.process.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
            stop_process_group(self.process)


@contextlib.contextmanager
def warm_book() -> Iterator[WarmBook]:
    """A helper for the whole of a ``with`` block (the preview), stopped however the block ends."""
    book = WarmBook()
    try:
        yield book
    finally:
        book.close()


def _run_in_child(args: list[str], log_file: str) -> int:
    """Fork; the child runs the build with its output in ``log_file``; the parent returns its exit code."""
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            log = os.open(log_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.dup2(log, 1)
            os.dup2(log, 2)
            sys.stdout = open(1, "w", closefd=False)  # noqa: SIM115 - the child's whole life
            sys.stderr = open(2, "w", closefd=False)  # noqa: SIM115
            from jupyter_book.cli.main import main

            try:
                main(["build", *args], standalone_mode=False)
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException:  # noqa: BLE001 - reported in the log, as jupyter-book would
                import traceback

                traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _stop_with_owner() -> None:
    """Once the owner (a preview, or a Dask worker) is gone, killed outright, the helper stops the build under way
    with itself (its whole process group): nobody would read the result, and a rerun of the same book elsewhere
    would be building beside it in the same folder."""
    if os.getpgrp() == os.getpid():  # leads a group of its own (WarmBook starts it so): never its owner's
        interrupt.exit_when_orphaned(lambda: os.killpg(os.getpgrp(), signal.SIGKILL))


def serve() -> None:
    import importlib

    _stop_with_owner()
    for module in WARM_MODULES:
        importlib.import_module(module)
    for line in sys.stdin:
        request = json.loads(line)
        answer = json.dumps({"returncode": _run_in_child(request["args"], request["log"])})
        try:
            print(answer, flush=True)
        except BrokenPipeError:  # the owner has gone: there is no one to answer, and nothing to say about it
            os._exit(1)


if __name__ == "__main__":
    serve()
