"""Interrupting a build is safe (issue 13): Ctrl-C or SIGTERM in the notebook stage stop it within seconds with one
line and exit 130 / 143, the edition published before is left as it was, and no worker, kernel or Chromium is left
running; a build killed outright (SIGKILL) leaves none running either, once they have noticed.

Each test starts a real build and stops it as soon as Chromium (started by the first chart) is up, so it costs the
start of a build, not a whole one. Every process of the build is found by a variable in its environment, which each
one inherits whatever session it starts (kernels and Chromium start their own)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from pathlib import Path

import psutil
import pytest

from conftest import CLI, PROCESS_TOKEN, ROOT, edition_folder, listening_addresses, processes_of
from strategy_update.build.interrupt import Interrupted, processes_stopped_on_exit, signals_held, stop_process_group

STOP_SECONDS = 20  # to stop once signalled, on a loaded two-core machine
START_SECONDS = 300  # for the build to reach its first chart
QUARTER = "2021-22-Q4"  # the default edition's


def describe(processes: list[psutil.Process]) -> list[str]:
    out = []
    for process in processes:
        try:
            out.append(f"{process.pid} {' '.join(process.cmdline())[:100]}")
        except psutil.Error:
            out.append(str(process.pid))
    return out


def contents(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


def _cmdline(process) -> list[str]:
    """A process's command line, or nothing when it has just ended (a short-lived helper, under load)."""
    import psutil

    try:
        return process.cmdline()
    except psutil.Error:
        return []


class Build:
    """A default-edition build into ``out``, over an edition published there before. With its PDF: the PDF's chart
    pictures are what start Chromium (a website-only build starts none), and Chromium must be stopped too."""

    def __init__(self, out: Path, command: tuple[str, ...] = ("build",)):
        self.token = uuid.uuid4().hex
        self.published = edition_folder(out, QUARTER)
        (self.published / "html").mkdir(parents=True)
        (self.published / "html" / "index.html").write_text("<p>the last good edition</p>", encoding="utf-8")
        self.before = contents(self.published)
        self.stdout, self.stderr = out / "stdout.txt", out / "stderr.txt"
        with open(self.stdout, "w") as stdout, open(self.stderr, "w") as stderr:
            # A session of its own, as a command typed at a terminal has a process group of its own.
            self.process = subprocess.Popen([CLI, *command, "--out", str(out)], cwd=ROOT,
                                            stdout=stdout, stderr=stderr, start_new_session=True,
                                            env={**os.environ, PROCESS_TOKEN: self.token})

    def output(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def wait_for_chromium(self) -> None:
        """Until the notebook stage is under way: kernels running, and the Chromium of the first chart."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "the build ended before its notebooks:\n" + self.output()
            if any("chromium" in process.name() for process in processes_of(self.token)):
                return
            time.sleep(0.5)
        pytest.fail("no Chromium started within the time allowed:\n" + self.output())

    def wait_for_kernel(self) -> None:
        """Until the compute stage is under way: the workers' kernels start (warming up) as it begins."""
        self.wait_for_process("ipykernel")

    def wait_for_process(self, command: str) -> None:
        """Until one of the build's processes has ``command`` in its command line."""
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"the build ended before it started {command}:\n" + self.output()
            if any(command in " ".join(_cmdline(process)) for process in processes_of(self.token)):
                return
            time.sleep(0.1)
        pytest.fail(f"no {command} started within the time allowed:\n" + self.output())

    def stopped_within(self, seconds: float) -> float:
        started = time.monotonic()
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"still running {seconds} s after the signal:\n" + self.output())
        return time.monotonic() - started

    def leftovers(self, within: float = 0) -> list[psutil.Process]:
        """The build's processes still running ``within`` seconds from now (at once by default)."""
        deadline = time.monotonic() + within
        while (left := processes_of(self.token)) and time.monotonic() < deadline:
            time.sleep(0.5)
        return left

    def clean_up(self) -> None:  # whatever a failed test left: never leave a build running on the machine
        for process in processes_of(self.token):
            with contextlib.suppress(psutil.Error):
                process.kill()


@pytest.mark.build
@pytest.mark.parametrize("signum, to_group", [(signal.SIGINT, True), (signal.SIGTERM, False)],
                         ids=["ctrl-c", "sigterm"])
def test_an_interrupted_build_stops_at_once_says_so_and_leaves_nothing_behind(tmp_path, signum, to_group):
    build = Build(tmp_path)
    try:
        build.wait_for_chromium()
        # Ctrl-C at a terminal signals the whole foreground process group; SIGTERM (kill, a scheduler) the build.
        (os.killpg if to_group else os.kill)(build.process.pid, signum)
        build.stopped_within(STOP_SECONDS)
        left = build.leftovers()
    finally:
        build.clean_up()
    stderr = build.stderr.read_text()
    assert build.process.returncode == 128 + signum, build.output()
    assert [line for line in stderr.splitlines() if "nterrupt" in line] == [
        "Interrupted: nothing was published; the previous edition, if any, is unchanged."], stderr
    assert "Traceback" not in stderr, stderr
    assert not left, "still running after the build stopped:\n" + "\n".join(describe(left))
    assert contents(build.published) == build.before  # the last good edition, untouched


@pytest.mark.build
@pytest.mark.parametrize("signum, to_group, started", [(signal.SIGINT, True, "ipykernel"),
                                                       (signal.SIGTERM, False, "ipykernel"),
                                                       (signal.SIGINT, True, "forkserver")],
                         ids=["ctrl-c", "sigterm", "ctrl-c-as-the-cluster-starts"])
def test_an_interrupted_national_build_leaves_no_worker_or_fork_server_behind(tmp_path, signum, to_group, started):
    """build-all on the local cluster, stopped once its workers run notebooks, or while its cluster starts (the
    fork server is up, its workers are being forked): the workers (forked from multiprocessing's fork server, not
    started by the build itself), their kernels and books, and the fork server stop with it, with no traceback from
    any of them."""
    build = Build(tmp_path, ("build-all", "--publication", "police-and-crime-plan", "--quarter", QUARTER,
                             "--forces", "Essex,Kent", "--workers", "2", "--no-pdf"))
    try:
        build.wait_for_process(started)
        running = [" ".join(process.cmdline()) for process in processes_of(build.token)]
        listening = listening_addresses(processes_of(build.token))
        (os.killpg if to_group else os.kill)(build.process.pid, signum)
        build.stopped_within(STOP_SECONDS)
        left = build.leftovers(within=5)
    finally:
        build.clean_up()
    assert any("forkserver" in command for command in running), running  # what is to be stopped was running
    # Issue 33 (5): the scheduler, its dashboard, the workers, nannies and kernels listen on this machine only.
    assert {ip for ip, _ in listening} <= {"127.0.0.1"}, listening
    assert build.process.returncode == 128 + signum, build.output()
    assert "Traceback" not in build.stderr.read_text(), build.output()
    assert not left, "still running after the build stopped:\n" + "\n".join(describe(left))


NATIONAL = "police-and-crime-plan"
FORCES = {"essex": "Essex", "kent": "Kent"}


@pytest.mark.build
def test_build_all_stopped_as_a_book_finishes_names_every_edition_it_published_and_publishes_no_more(tmp_path):
    """Issue 33 (10): SIGTERM while an edition's book was being built let it be published up to 1.2 s later, unnamed,
    while the console said the others were unchanged. The stop comes once the book has written its website (it is
    about to be published): whatever is published when the build has stopped is named, and nothing more comes."""
    build = Build(tmp_path, ("build-all", "--publication", NATIONAL, "--quarter", QUARTER, "--forces",
                             ",".join(FORCES.values()), "--workers", "2", "--no-pdf"))

    def published() -> set[str]:
        return {name for slug, name in FORCES.items()
                if (tmp_path / NATIONAL / slug / QUARTER / "html" / "index.html").exists()}
    try:
        deadline = time.monotonic() + START_SECONDS
        while not list(tmp_path.glob(f".work/{NATIONAL}/*/{QUARTER}/_build/html/index.html")):
            assert build.process.poll() is None, "the build ended before its first book:\n" + build.output()
            assert time.monotonic() < deadline, "no book was built within the time allowed:\n" + build.output()
            time.sleep(0.05)
        os.kill(build.process.pid, signal.SIGTERM)
        build.stopped_within(STOP_SECONDS)
        at_the_stop = published()
        left = build.leftovers(within=5)
        time.sleep(2)  # a worker still publishing would be done by now
        later = published()
    finally:
        build.clean_up()
    stderr = build.stderr.read_text()
    assert build.process.returncode == 143 and "Traceback" not in stderr, build.output()
    assert later == at_the_stop, f"published after the build had stopped: {later - at_the_stop}"
    said = [line for line in stderr.splitlines() if line.startswith("Interrupted")]
    assert said == ([f"Interrupted: published before the stop: {', '.join(sorted(at_the_stop))}; the other editions, "
                     "if any, are unchanged."] if at_the_stop else
                    ["Interrupted: nothing was published; the previous editions, if any, are unchanged."]), stderr
    assert not left, "still running after the build stopped:\n" + "\n".join(describe(left))


@pytest.mark.build
def test_a_stop_just_after_the_edition_was_published_does_not_hide_it(tmp_path):
    """Issue 33 (11): SIGTERM a moment after "Published" (the interpreter was still exiting) ended the build with exit
    143 and no word, though the new edition was in place. Now the stop either comes too late to change anything
    (exit 0, after "Published"), or the build says the edition is published. (The smallest edition, website only.)"""
    stderr = tmp_path / "stderr.txt"
    token = uuid.uuid4().hex
    with open(stderr, "w") as err:
        process = subprocess.Popen([CLI, "build", "--publication", "crime-prevention-2018-21", "--no-pdf", "--out",
                                    str(tmp_path / "out")], cwd=ROOT, stdout=subprocess.PIPE, stderr=err, text=True,
                                   start_new_session=True, env={**os.environ, PROCESS_TOKEN: token})
    try:
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("Published"):
                time.sleep(0.1)
                os.kill(process.pid, signal.SIGTERM)
                break
        lines += process.stdout.readlines()
        process.wait(timeout=STOP_SECONDS)
    finally:
        for leftover in processes_of(token):
            leftover.kill()
    said = stderr.read_text()
    assert any(line.startswith("Published") for line in lines), "".join(lines) + said
    assert (tmp_path / "out" / "crime-prevention-2018-21" / "essex" / "2019-20-Q2" / "html" / "index.html").is_file()
    assert "Traceback" not in said, said
    assert process.returncode == 0 or (process.returncode == 143 and said.strip().splitlines()[-1] ==
                                       "Interrupted: the new edition had already been published in full."), \
        f"exit {process.returncode}:\n{said}"


@pytest.mark.build
def test_a_build_stopped_in_its_compute_stage_leaves_nothing_behind(tmp_path):
    """SIGTERM while the workers warm their kernels and fit the demand-profile models."""
    build = Build(tmp_path)
    try:
        build.wait_for_kernel()
        os.kill(build.process.pid, signal.SIGTERM)
        build.stopped_within(STOP_SECONDS)
        left = build.leftovers()
    finally:
        build.clean_up()
    stderr = build.stderr.read_text()
    assert build.process.returncode == 128 + signal.SIGTERM, build.output()
    assert "Notebooks:" not in build.output()  # stopped before the notebook stage
    assert "Interrupted: nothing was published; the previous edition, if any, is unchanged." in stderr, stderr
    assert "Traceback" not in stderr, stderr
    assert not left, "still running after the build stopped:\n" + "\n".join(describe(left))
    assert contents(build.published) == build.before


@pytest.mark.build
def test_the_processes_of_a_build_killed_outright_notice_and_exit(tmp_path):
    build = Build(tmp_path)
    try:
        build.wait_for_chromium()
        before = describe(processes_of(build.token))
        os.kill(build.process.pid, signal.SIGKILL)
        build.process.wait()
        # Workers poll their parent every 0.5 s, kernels every 1 s; Chromium follows its kernel.
        left = build.leftovers(within=STOP_SECONDS)
    finally:
        build.clean_up()
    assert len(before) > 3, before  # the build had workers, kernels and Chromium to stop
    assert not left, "still running after the build was killed:\n" + "\n".join(describe(left))
    assert contents(build.published) == build.before


def test_a_signal_while_the_edition_is_moved_into_place_waits_for_it():
    """The swap of a finished edition into place happens whole: a signal meanwhile is held, then reported."""
    outside = []
    previous = signal.signal(signal.SIGTERM, lambda signum, frame: outside.append(signum))
    try:
        with signals_held() as arrived:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(0.2)  # a handler runs between two Python instructions: give it the chance to
            during = list(outside)
        restored = signal.getsignal(signal.SIGTERM)
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert during == [] and arrived == [signal.SIGTERM]  # held, and reported to the build
    assert restored is not signal.SIG_IGN and callable(restored)  # the handler from before is back
    assert Interrupted(signal.SIGTERM).exit_code == 143 and Interrupted(signal.SIGINT).exit_code == 130
    assert "already been published" in Interrupted(signal.SIGTERM, published=True).message()


def test_stopping_a_process_group_stops_the_children_its_leader_left():
    """A child may outlive jupyter-book (the group's leader): the whole group is stopped, not only the leader."""
    leader = subprocess.Popen(["sh", "-c", "sleep 300 & sleep 300 & wait"], start_new_session=True)
    time.sleep(0.5)
    orphaned = subprocess.Popen(["sh", "-c", "sleep 300 &"], start_new_session=True)  # exits, its sleep stays
    orphaned.wait()
    for group in (leader, orphaned):
        assert running_in_group(group.pid)
        stop_process_group(group, grace=2)
        assert not running_in_group(group.pid)


def running_in_group(pgid: int) -> list[psutil.Process]:
    """The group's processes, but not the exited ones waiting for init to collect them (zombies)."""
    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == pgid and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except (OSError, psutil.Error):
            continue
    return found


def test_processes_started_in_a_block_are_stopped_however_it_ends():
    running_before = subprocess.Popen(["sleep", "300"])
    try:
        with pytest.raises(RuntimeError), processes_stopped_on_exit():
            started = subprocess.Popen(["sleep", "300"])
            raise RuntimeError("a step failed")
        assert started.poll() is not None  # stopped (and reaped by psutil's wait)
        assert running_before.poll() is None  # not the block's to stop
    finally:
        running_before.kill()
        running_before.wait()


def test_a_failing_notebook_stops_the_others_at_once(tmp_path):
    """A failed page ends the notebook stage without waiting for the pages still running, and stops their kernels."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    from strategy_update.build.executor import run_notebooks
    from strategy_update.build.incremental import Job
    from strategy_update.core.errors import BuildError

    def template(name: str, code: str) -> Path:
        nb = new_notebook(cells=[new_code_cell(code)])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, tmp_path / name)
        return tmp_path / name

    # Processes this test process already has (e.g. the chart server an earlier test in it started) are not the run's.
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    slow, failing = template("slow.ipynb", "import time\ntime.sleep(120)"), template("bad.ipynb", "1 / 0")
    work = tmp_path / "work"
    work.mkdir()
    jobs = [Job("slow", slow, "slow.ipynb", ".", {}), Job("bad", failing, "bad.ipynb", ".", {})]
    started = time.monotonic()
    with pytest.raises(BuildError, match="notebook for 'bad' failed: ZeroDivisionError"):
        run_notebooks(jobs, work, workers=2, log=lambda line: None)
    assert time.monotonic() - started < 60  # the slow page sleeps 120 s
    left = [p for p in psutil.Process().children(recursive=True) if running(p) and p.pid not in before]
    assert not left, describe(left)  # no worker, kernel or Chromium


def running(process: psutil.Process) -> bool:
    try:
        return process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
