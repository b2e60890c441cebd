"""Publishing (build/publish.py) is atomic and honest at every instant (issue 33): a build killed while it published
leaves nothing the next build does not clear (item 12), a full disk or a folder the build may not write is one
message naming it, never a traceback, with nothing half-written left (item 8), and build-all's workers publish
nothing once the run has been stopped (item 10, the gate; the whole run is in test_interrupt.py).

The disk is made full in two ways: by making the copy fail as a full disk fails (everywhere), and, in
``test_a_real_*``, by a small tmpfs mounted for the test, full or read-only (needs root, as the build machine and
CI run; where mounting is not allowed the test fails and says so: it is never skipped)."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from strategy_update.build.publish import publish
from strategy_update.core.errors import BuildError

QUARTER = "2021-22-Q4"


def site(folder: Path, text: str, files: int = 3, size: int = 100) -> Path:
    """A small website: index.html with ``text``, and pages of ``size`` bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(f"<p>{text}</p>", encoding="utf-8")
    for n in range(files):
        (folder / f"page-{n}.html").write_bytes(os.urandom(size))
    return folder


def contents(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def publish_site(target: Path, html: Path) -> None:
    """``html`` published as the edition ``target`` (with its data folder, as a build publishes it)."""
    work = html.parent / "work"
    (work / "data").mkdir(parents=True, exist_ok=True)
    publish(work, html, None, [], target)


def published_edition(parent: Path, text: str = "the last good edition") -> Path:
    target = parent / QUARTER
    site(target / "html", text)
    return target


# --- leftovers of builds killed while they published (item 12) ---------------------------------------------------
KILLED_IN_THE_COPY = """
import shutil, sys, time
from pathlib import Path
from strategy_update.build.publish import publish
real = shutil.copyfile
def slow(*args, **kwargs):
    print("copying", flush=True)
    time.sleep(60)
    return real(*args, **kwargs)
shutil.copyfile = slow
work = Path(sys.argv[2]).parent / "work"
(work / "data").mkdir(parents=True, exist_ok=True)
publish(work, Path(sys.argv[2]), None, [], Path(sys.argv[1]))
"""


def start_publishing_slowly(target: Path, source: Path) -> subprocess.Popen:
    """Another build, publishing ``source`` into ``target``, stopped in its copy into .staging (it is told so)."""
    process = subprocess.Popen([sys.executable, "-c", KILLED_IN_THE_COPY, str(target), str(source)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "copying"
    return process


def test_a_build_killed_in_its_copy_into_staging_leaves_nothing_the_next_build_keeps(tmp_path):
    parent = tmp_path / "out" / "publication" / "essex"
    target = published_edition(parent)
    before = contents(target)
    killed = start_publishing_slowly(target, site(tmp_path / "new" / "html", "the new edition"))
    killed.send_signal(signal.SIGKILL)  # no clean-up of its own
    killed.wait()
    left = [p.name for p in (parent / ".staging").iterdir() if p.is_dir()]
    assert left and contents(target) == before  # what it left; the edition as it was
    # The next build publishes another quarter of the force, into the same folder: the copy is nobody's now.
    publish_site(parent / "2022-23-Q1", site(tmp_path / "other" / "html", "another quarter"))
    assert [p.name for p in (parent / ".staging").iterdir() if p.is_dir()] == []
    assert contents(target) == before


def test_a_live_build_s_copy_is_not_taken_for_a_leftover(tmp_path):
    parent = tmp_path / "out" / "publication" / "essex"
    target = published_edition(parent)
    live = start_publishing_slowly(target, site(tmp_path / "new" / "html", "the new edition", files=1))
    try:
        copy = [p for p in (parent / ".staging").iterdir() if p.is_dir()]
        publish_site(parent / "2022-23-Q1", site(tmp_path / "other" / "html", "another quarter"))
        assert [p for p in (parent / ".staging").iterdir() if p.is_dir()] == copy  # still there: its build lives
    finally:
        live.kill()
        live.wait()


def test_an_edition_moved_aside_by_a_build_killed_between_its_renames_is_put_back(tmp_path):
    parent = tmp_path / "out" / "publication" / "essex"
    target = published_edition(parent)
    before = contents(target)
    target.rename(parent / f"{QUARTER}.old")  # killed after the first rename: no edition at its address
    publish_site(parent / "2022-23-Q1", site(tmp_path / "other" / "html", "another quarter"))
    assert contents(target) == before and not (parent / f"{QUARTER}.old").exists()


def test_copies_left_by_builds_from_before_the_lock_files_are_removed(tmp_path):
    parent = tmp_path / "out" / "publication" / "essex"
    published_edition(parent)
    old = site(parent / ".staging" / f"{QUARTER}-ab12cd_9" / "html", "half a copy").parent
    publish_site(parent / "2022-23-Q1", site(tmp_path / "other" / "html", "another quarter"))
    assert not old.exists()


# --- a full disk, a folder the build may not write (item 8) -------------------------------------------------------
def fail_after(monkeypatch, copies: int, number: int) -> None:
    """Copying a file fails as a full disk (or a refused permission) makes it fail, after ``copies`` copies."""
    real, done = shutil.copyfile, []

    def copyfile(source, target, *args, **kwargs):
        if len(done) >= copies:
            raise OSError(number, os.strerror(number), str(target))
        done.append(target)
        return real(source, target, *args, **kwargs)

    monkeypatch.setattr(shutil, "copyfile", copyfile)


@pytest.mark.parametrize("number, words", [(errno.ENOSPC, "no space left on the disk"),
                                           (errno.EACCES, "permission denied"),
                                           (errno.EROFS, "the file system is read-only")])
def test_a_full_disk_while_publishing_is_one_message_and_leaves_nothing_half_written(monkeypatch, tmp_path, number,
                                                                                     words):
    parent = tmp_path / "out" / "publication" / "essex"
    target = published_edition(parent)
    before = contents(target)
    new = site(tmp_path / "new" / "html", "the new edition", files=200)
    fail_after(monkeypatch, 50, number)
    with pytest.raises(BuildError) as failure:  # OperationalError, a failed step of the build
        publish_site(target, new)
    message = str(failure.value)
    assert message.startswith(f"publishing {target}: {words} (at {target.parent / '.staging'}")
    assert "\n" not in message and len(message) < 400  # one line, not the copy's 150 failures
    assert contents(target) == before  # the last good edition, untouched
    assert [p.name for p in (parent / ".staging").iterdir() if p.is_dir()] == []  # no half-made copy


def test_the_command_says_a_full_disk_in_one_message_with_exit_3(monkeypatch, capsys):
    """Wherever the disk fills (here, in the build itself), the command prints the cause and where, not a traceback."""
    from strategy_update.build import pipeline
    from strategy_update.cli import main

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/out/.work/essex/data/results.parquet")
    monkeypatch.setattr(pipeline, "build", full)
    assert main(["build", "--no-pdf"]) == 3
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "build failed: the build stopped: no space left on the disk (at /out/.work/essex/data/results.parquet); "
        "free some space, or give another output folder with --out",
        "Nothing was published; the previous edition, if any, is unchanged."]


def test_an_error_that_is_not_the_machine_s_keeps_its_traceback(monkeypatch):
    """A bug is not dressed up as a full disk."""
    from strategy_update.build import pipeline
    from strategy_update.cli import main

    def broken(*args, **kwargs):
        raise OSError(errno.EINVAL, "Invalid argument")
    monkeypatch.setattr(pipeline, "build", broken)
    with pytest.raises(OSError):
        main(["build", "--no-pdf"])


@pytest.fixture
def small_disk(tmp_path):
    """A 1 MiB file system (tmpfs), mounted for the test: a disk that really fills."""
    folder = tmp_path / "small-disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)], capture_output=True,
                             text=True)
    if mounted.returncode != 0:
        pytest.fail("this test needs to mount a small tmpfs (as root, like the build machine and CI): "
                    + mounted.stderr.strip())
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def test_a_real_full_disk_while_publishing(small_disk, tmp_path):
    parent = small_disk / "publication" / "essex"
    target = published_edition(parent)
    before = contents(target)
    with pytest.raises(BuildError) as failure:
        publish_site(target, site(tmp_path / "new" / "html", "the new edition", files=30, size=100_000))
    assert str(failure.value).startswith(f"publishing {target}: no space left on the disk (at {parent / '.staging'}/")
    assert contents(target) == before
    assert [p.name for p in (parent / ".staging").iterdir() if p.is_dir()] == []
    assert shutil.disk_usage(small_disk).used < 100_000  # what the copy wrote is gone


def test_a_real_read_only_disk_while_publishing(small_disk, tmp_path):
    """The output folder's disk went read-only (remounted after an error, say): the edition stays as it was."""
    parent = small_disk / "publication" / "essex"
    target = published_edition(parent)
    before = contents(target)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    with pytest.raises(BuildError) as failure:
        publish_site(target, site(tmp_path / "new" / "html", "the new edition"))
    assert str(failure.value).startswith(f"publishing {target}: the file system is read-only (at {parent}/")
    assert contents(target) == before


def test_a_real_full_disk_while_building_the_website(small_disk):
    """Jupyter Book fills the disk (its theme alone is larger): one message, and its half-written output removed."""
    from strategy_update.build.book import build_book

    book = small_disk / "book"
    book.mkdir()
    (book / "_config.yml").write_text("title: A small book\nexecute:\n  execute_notebooks: 'off'\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
    (book / "intro.md").write_text("# A small book\n\nText.\n")
    with pytest.raises(BuildError) as failure:
        build_book(book, pdf=False, log=lambda *_: None)
    assert str(failure.value).startswith("building the website: no space left on the disk"), str(failure.value)
    assert "\n" not in str(failure.value)
    assert not (book / "_build").exists()


# --- build-all's publishing gate (item 10) ------------------------------------------------------------------------
def test_once_the_gate_is_closed_no_worker_publishes_and_closing_waits_for_the_one_publishing(tmp_path):
    from strategy_update.build.publish import PublishGate

    gate = PublishGate.opened(tmp_path / "gate")
    with gate.passing() as open_:
        assert open_
        closer = subprocess.Popen([sys.executable, "-c", "import sys\nfrom pathlib import Path\n"
                                   "from strategy_update.build.publish import PublishGate\n"
                                   "PublishGate(Path(sys.argv[1])).close()", str(gate.path)], cwd=ROOT)
        time.sleep(1)
        assert closer.poll() is None  # waits for the publishing under way
    assert closer.wait(timeout=30) == 0
    with gate.passing() as open_:
        assert not open_
    gate.remove()
    with gate.passing() as open_:  # the run is over
        assert not open_


def test_a_book_task_whose_run_was_stopped_publishes_nothing(monkeypatch, tmp_path):
    from strategy_update.build import pipeline
    from strategy_update.build import publish as publishing
    from strategy_update.build.publish import PublishGate

    monkeypatch.setattr(pipeline, "write_written_appendices", lambda *args, **kwargs: None)
    monkeypatch.setattr("strategy_update.build.book.build_book",
                        lambda work, pdf, log, warm: (site(tmp_path / "html", "built"), None))
    monkeypatch.setattr(publishing, "publish", lambda *args: pytest.fail("published after the stop"))
    gate = PublishGate.opened(tmp_path / "gate")
    gate.close()
    with pytest.raises(BuildError, match="not published: the run was stopped"):
        pipeline.finish_edition(ROOT, tmp_path, None, None, {}, [], tmp_path / "target", "key", pdf=False,
                                reviewer=False, gate=gate, log=lambda *_: None)
    assert not (tmp_path / pipeline.STAMP).exists()
