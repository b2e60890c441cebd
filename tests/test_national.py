"""The national edition (``strategy-update build-all``): every force asked for, built on Dask distributed.

The build test runs against a scheduler and two workers started as separate processes on this machine (as on a
cluster), kills one worker while it is running a notebook, and checks that every edition is complete and its figures
are the engine's; then a rerun with one force's input broken fails that force alone, reuses the others and keeps the
broken force's last good edition.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from conftest import CLI, PROCESS_TOKEN, ROOT, page_text, processes_of
from strategy_update.build.book import toc_for
from strategy_update.build.national import forces_asked
from strategy_update.core.errors import InputError

PUBLICATION = "police-and-crime-plan"
QUARTER = "2021-22-Q4"
FORCES = ["Essex", "Kent", "Surrey"]
KNOWN = ["Essex", "Kent", "Surrey", "Devon and Cornwall", "London, City of"]


# --- which forces -------------------------------------------------------------------------------------------------
def test_all_or_nothing_means_every_force():
    assert forces_asked("all", KNOWN) == KNOWN
    assert forces_asked(None, KNOWN) == KNOWN


def test_forces_by_name_or_slug_each_once_in_the_order_given():
    assert forces_asked("kent, Essex,devon-and-cornwall,Kent", KNOWN) == ["Kent", "Essex", "Devon and Cornwall"]


@pytest.mark.parametrize("text", ["Kent,Atlantis", " , "])
def test_an_unknown_force_or_no_force_is_refused_with_its_name(text):
    with pytest.raises(InputError) as caught:
        forces_asked(text, KNOWN)
    assert ("Atlantis" in str(caught.value)) if "Atlantis" in text else "no force" in str(caught.value)


def test_an_unknown_force_stops_build_all_before_anything_runs(tmp_path):
    result = subprocess.run([CLI, "build-all", "--publication", PUBLICATION, "--forces", "Kent,Atlantis",
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Atlantis" in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


# --- a run on a cluster of separate processes ---------------------------------------------------------------------
class Cluster:
    """``dask scheduler`` and ``dask worker`` processes, as an operator would start them."""

    def __init__(self, folder: Path, env: dict):
        dask = str(Path(sys.executable).parent / "dask")
        self.file = folder / "scheduler.json"
        self.log = open(folder / "cluster.log", "w")
        self.scheduler = subprocess.Popen([dask, "scheduler", "--port", "0", "--no-dashboard",
                                           "--scheduler-file", str(self.file)], env=env, stdout=self.log,
                                          stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while not self.file.exists() and time.time() < deadline:
            time.sleep(0.2)
        assert self.file.exists(), "the scheduler did not start"
        self.address = json.loads(self.file.read_text())["address"]
        # No nanny: a worker killed stays dead, and the scheduler must give its tasks to the other.
        self.workers = [subprocess.Popen([dask, "worker", "--scheduler-file", str(self.file), "--nthreads", "1",
                                          "--no-nanny", "--no-dashboard"], env=env, cwd=ROOT, stdout=self.log,
                                         stderr=subprocess.STDOUT) for _ in range(2)]

    def stop(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


def _kill_a_worker_running_a_notebook(workers: list[subprocess.Popen], build: subprocess.Popen) -> bool:
    """SIGKILL the first worker seen with a kernel (it is running a notebook) while the build is still running."""
    import psutil

    while build.poll() is None:
        for worker in workers:
            try:
                if psutil.Process(worker.pid).children():
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
                    return True
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)
    return False


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """Three forces built on a cluster of separate processes, one worker killed mid-run; then a rerun with Essex's
    delivery tracker broken."""
    folder = tmp_path_factory.mktemp("national")
    data = folder / "data"
    shutil.copytree(ROOT / "data", data)
    out = folder / "out"
    token = f"national-{os.getpid()}"
    env = {**os.environ, PROCESS_TOKEN: token}
    cluster = Cluster(folder, env)
    command = [CLI, "build-all", "--publication", PUBLICATION, "--quarter", QUARTER, "--forces", ",".join(FORCES),
               "--no-pdf", "--data", str(data), "--out", str(out), "--scheduler", cluster.address]
    try:
        with open(folder / "first.log", "w") as log:
            build = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
            killed = _kill_a_worker_running_a_notebook(cluster.workers, build)
            first = build.wait(timeout=1200)
        first_log = (folder / "first.log").read_text()
        tracker = data / "forces" / "essex" / PUBLICATION / "delivery" / f"{QUARTER}.csv"
        tracker.write_text(tracker.read_text().replace("\n", "\nnot,a,valid,row,at,all\n", 1))
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    finally:
        cluster.stop()
    yield {"out": out, "killed": killed, "first": first, "first_log": first_log, "second": second,
           "left": processes_of(token)}


def _edition(out: Path, slug: str) -> Path:
    return out / PUBLICATION / slug / QUARTER


@pytest.mark.build
def test_every_edition_is_complete_after_a_worker_was_killed_mid_run(national):
    assert national["killed"], "no worker was seen running a notebook: the test killed nothing"
    assert national["first"] == 0, national["first_log"]
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths

    publication = load_publication(InputPaths(ROOT / "data", ROOT / "publications", PUBLICATION, "essex"))
    toc = toc_for(publication)
    pages = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    for slug in ("essex", "kent", "surrey"):
        html = _edition(national["out"], slug) / "html"
        missing = [page for page in pages if not (html / f"{page}.html").is_file()]
        assert not missing, f"{slug}: pages missing {missing}"


@pytest.mark.build
def test_each_edition_has_its_own_force_s_figures_as_the_engine_computes_them(national):
    from strategy_update.build.pipeline import resolve_edition
    from strategy_update.compute.results import read_results
    from strategy_update.compute.stage import compute_edition
    from strategy_update.inputs.readers import read_edition_inputs

    spec = resolve_edition(PUBLICATION, "Kent", QUARTER, data_dir=ROOT / "data", publications_dir=ROOT / "publications")
    inputs = read_edition_inputs(spec.paths, spec.publication, spec.force, spec.quarter)
    expected, _ = compute_edition(spec.publication, spec.force, spec.quarter, crime=inputs.crime,
                                  population=inputs.population, tracker=inputs.tracker, extracts=inputs.extracts,
                                  peer_group=inputs.peer_group, workforce=inputs.workforce)
    published = read_results(_edition(national["out"], "kent") / "data" / "results.parquet")
    key = list(expected.columns)
    pd.testing.assert_frame_equal(published.sort_values(key[:8]).reset_index(drop=True),
                                  expected.sort_values(key[:8]).reset_index(drop=True), check_dtype=False)
    assert "Kent" in page_text(_edition(national["out"], "kent"), "index")


@pytest.mark.build
def test_the_national_index_links_every_edition_and_the_site_index_lists_them(national):
    out = national["out"]
    index = out / PUBLICATION / "national" / QUARTER / "html" / "index.html"
    assert index.is_file()
    html = index.read_text(encoding="utf-8")
    for slug in ("essex", "kent", "surrey"):
        assert f"{slug}/{QUARTER}/html/index.html" in html
    site = (out / "index.html").read_text(encoding="utf-8")
    assert all(f"{PUBLICATION}/{slug}/{QUARTER}/html/index.html" in site for slug in ("essex", "kent", "surrey"))
    assert f"{PUBLICATION}/national/{QUARTER}/html/index.html" in site


@pytest.mark.build
def test_a_broken_input_fails_its_force_alone_and_the_rerun_reuses_the_others(national):
    second = national["second"]
    assert second.returncode == 3, second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    assert "Essex" in second.stderr and "delivery" in (second.stdout + second.stderr).lower()
    assert "2 up to date, 1 to build" in second.stdout
    assert "Kent: published" not in second.stdout and "Surrey: published" not in second.stdout
    # Essex's last good edition is still there; the national index says Essex failed, and why.
    assert (_edition(national["out"], "essex") / "html" / "index.html").is_file()
    index = (national["out"] / PUBLICATION / "national" / QUARTER / "html" / "index.html").read_text(encoding="utf-8")
    assert "failed" in index.lower()


@pytest.mark.build
def test_no_kernel_chromium_or_worker_is_left_behind(national):
    left = [(p.pid, " ".join(p.cmdline()[:3])) for p in national["left"]]
    assert not left, f"processes left running: {left}"
