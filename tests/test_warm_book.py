"""The preview's warm Jupyter Book (build/warm_book.py): builds run in a forked copy of a helper that has imported
Jupyter Book once; a failure is reported as jupyter-book reports it; nothing is left running afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from strategy_update.build.book import _jupyter_book
from strategy_update.build.warm_book import WarmBook, warm_book
from strategy_update.core.errors import BuildError


def small_book(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "_config.yml").write_text("title: A small book\nexecute:\n  execute_notebooks: 'off'\n")
    (folder / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (folder / "intro.md").write_text(f"# A small book\n\n{text}\n")
    return folder


def test_builds_run_in_the_warm_helper_and_see_each_edit(tmp_path):
    book = small_book(tmp_path / "book", "The first text.")
    page = book / "_build" / "html" / "intro.html"
    with warm_book() as warm:
        helper = psutil.Process(warm.process.pid)
        _jupyter_book([str(book), "--builder", "html", "-q"], tmp_path / "first.log", warm)
        assert "The first text." in page.read_text()
        (book / "intro.md").write_text("# A small book\n\nThe edited text.\n")
        _jupyter_book([str(book), "--builder", "html", "-q"], tmp_path / "second.log", warm)
        assert "The edited text." in page.read_text()
        assert helper.is_running() and not helper.children()  # each build ran in a child that has exited
    assert not helper.is_running()


def test_a_failed_build_is_an_error_with_the_log_tail(tmp_path):
    book = small_book(tmp_path / "book", "Text.")
    (book / "_toc.yml").write_text("format: jb-book\nroot: missing-page\n")
    with warm_book() as warm, pytest.raises(BuildError, match="jupyter-book failed") as failure:
        _jupyter_book([str(book), "--builder", "html", "-q"], tmp_path / "build.log", warm)
    assert "full log:" in str(failure.value)
    assert (tmp_path / "build.log").read_text().strip(), "the failed build left no log"


def test_the_helper_exits_when_its_owner_is_killed(tmp_path):
    """The preview killed outright (SIGKILL, no clean-up): the helper sees its input close and exits."""
    owner = subprocess.Popen([sys.executable, "-c", (
        "import time\nfrom strategy_update.build.warm_book import WarmBook\n"
        "book = WarmBook()\nprint(book.process.pid, flush=True)\ntime.sleep(600)\n")],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    helper = psutil.Process(int(owner.stdout.readline()))
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and helper.is_running() and helper.status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.2)
    assert not helper.is_running() or helper.status() == psutil.STATUS_ZOMBIE, "the helper outlived its owner"


def test_close_stops_a_helper_that_does_not_answer(tmp_path):
    warm = WarmBook()
    os.kill(warm.process.pid, signal.SIGSTOP)  # a helper stuck in a build
    started = time.monotonic()
    warm.close()
    assert warm.process.poll() is not None and time.monotonic() - started < 30
