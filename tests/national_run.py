"""The national run the build tests share (``national_run`` in conftest.py): ``strategy-update build-all`` for three
forces against a Dask scheduler and two workers started as separate processes, as an operator would on a cluster;
one worker is killed while it runs a notebook. Then a rerun with Essex's road fatalities extract broken."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import CLI, PROCESS_TOKEN, ROOT, processes_of

PUBLICATION = "police-and-crime-plan"
QUARTER = "2021-22-Q4"
FORCES = ["Essex", "Kent", "Surrey"]


class Cluster:
    """``dask scheduler`` and ``dask worker`` processes, as an operator would start them."""

    def __init__(self, folder: Path, env: dict):
        dask = str(Path(sys.executable).parent / "dask")
        self.file = folder / "scheduler.json"
        self.log = open(folder / "cluster.log", "w")  # noqa: SIM115 (open while the cluster runs)
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
    """SIGKILL the first worker seen with a kernel (it is running a notebook) while the build is still running. (A
    worker's other child, its warm Jupyter Book, starts with the worker.)"""
    import psutil

    def has_kernel(pid: int) -> bool:
        return any("ipykernel" in " ".join(child.cmdline()) for child in psutil.Process(pid).children())

    while build.poll() is None:
        for worker in workers:
            try:
                if has_kernel(worker.pid):
                    os.kill(worker.pid, signal.SIGKILL)
                    worker.wait()
                    return True
            except psutil.NoSuchProcess:
                continue
        time.sleep(0.2)
    return False


def run_national(folder: Path) -> dict:
    """Three forces built on a cluster of separate processes, one worker killed mid-run; then a rerun with Essex's
    road fatalities extract broken."""
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
        extract = data / "forces" / "essex" / PUBLICATION / "force-extracts" / "road-fatalities.csv"
        extract.write_text(extract.read_text(encoding="utf-8").replace(",3,", ",three,", 1), encoding="utf-8")
        second = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200)
    finally:
        cluster.stop()
    return {"out": out, "killed": killed, "first": first, "first_log": first_log, "second": second,
           "left": processes_of(token)}
