"""The preview's warm Jupyter Book (build/warm_book.py): builds run in a forked copy of a helper that has imported
Jupyter Book once; a failure is reported as jupyter-book reports it; nothing is left running afterwards."""

from __future__ import annotations

import contextlib
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


def test_a_build_under_way_stops_with_its_killed_owner_and_says_nothing(tmp_path):
    """Issue 33 (14): a Dask worker killed while its warm book built an edition left the build running (beside the
    rerun of the same book on another worker, in the same folder) and its helper printed a BrokenPipeError
    traceback when it had finished. The helper stops the build under way, and itself, once its owner is gone."""
    book = small_book(tmp_path / "book", "Text.")
    (book / "slow.py").write_text("import time\n\ndef setup(app):\n    time.sleep(4)\n")  # a longer build
    with open(book / "_config.yml", "a") as config:
        config.write("sphinx:\n  local_extensions:\n    slow: ./\n")
    stderr = tmp_path / "owner-stderr.txt"
    with open(stderr, "w") as err:
        owner = subprocess.Popen([sys.executable, "-c", (
            "import sys\nfrom pathlib import Path\nfrom strategy_update.build.warm_book import WarmBook\n"
            "book = WarmBook()\nprint(book.process.pid, flush=True)\n"
            f"book.build([{str(book)!r}, '--builder', 'html', '-q'], Path({str(tmp_path / 'build.log')!r}))\n")],
            stdout=subprocess.PIPE, stderr=err, text=True)  # the helper writes where its owner does
    helper = psutil.Process(int(owner.stdout.readline()))
    group = os.getpgid(helper.pid)
    try:
        deadline = time.monotonic() + 60
        while not helper.children() and time.monotonic() < deadline:  # the build, forked from the helper
            time.sleep(0.1)
        building = helper.children()
        assert building, "no build started"
        os.kill(owner.pid, signal.SIGKILL)
        owner.wait()
        left = building + [helper]
        deadline = time.monotonic() + 20  # the build would have ended by then, and its helper answered nobody
        while (left := [p for p in left if running(p)]) and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)  # whatever a failed test left
    assert not left, "still running after the owner was killed: " + ", ".join(str(p.pid) for p in left)
    assert "Traceback" not in stderr.read_text(), stderr.read_text()
    assert not (book / "_build" / "html" / "intro.html").exists()


def running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
