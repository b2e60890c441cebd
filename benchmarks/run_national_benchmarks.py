"""Time the national edition (``strategy-update build-all``) and record the results in benchmarks/results.csv.

Cases (the core count is recorded with every row):

- national, cold, HTML: every force asked for (``--forces``, default all 43), on a LocalCluster of 2 workers;
- national, rebuild with nothing changed, HTML;
- national, cold, HTML, on 1 worker: with the first case, the scaling efficiency of the whole national edition;
- national, cold, HTML + PDF, and its rebuild with nothing changed (``--skip pdf`` leaves them out);
- scaling: the same editions (``--scaling-forces`` M, default 6, and 2M) with 1 and with 2 workers; efficiency =
  t1 / (2 x t2). A worker is more than one process (its kernel, its notebook client and its Jupyter Book work side
  by side), so one worker alone keeps more than one core partly busy: the case is also timed with the whole build
  held to one core (``sched_setaffinity``), and the efficiency per core = t(1 worker, 1 core) / (2 x t2) is recorded
  beside the one per worker;
- cost per extra force: cold HTML builds of M and 2M forces. Three measures of one more edition in seconds of one
  core: with the whole build held to one core, (t(2M) - t(M)) / M, the seconds of one core as they are spent; on 2
  workers, (t(2M) - t(M)) x 2 workers / M (an upper bound: it counts a core waiting as working), and the CPU time
  (c(2M) - c(M)) / M, c being the user and system time of every process of the build (the build, its Dask
  workers, their kernels, Chromium and Jupyter Books: ``getrusage`` of the benchmark's children, each waited for by
  its parent, or by the benchmark when its parent exited first), which includes what two busy cores cost each
  other;
- the baseline to beat: the same editions built one after another with ``strategy-update build --no-pdf``
  (``--baseline-forces`` of them, default as many as the national case; the total is extrapolated, and labelled so,
  when fewer are timed).

The scaling cases run ``--repeat`` times each (default 3), taking turns, so that a slow spell of this shared machine
falls on all of them; each row records the runs' median, least and greatest, and the ratios and costs are worked
out from the medians. The national cases run once: a cold national build is long.

    .venv/bin/python benchmarks/run_national_benchmarks.py                      # everything, all 43 forces
    .venv/bin/python benchmarks/run_national_benchmarks.py --forces 12 --skip pdf --baseline-forces 3
    .venv/bin/python benchmarks/run_national_benchmarks.py --skip html --skip pdf --skip baseline  # scaling only
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from run_benchmarks import measured_commit, run  # the single-edition benchmarks' timer and commit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results.csv"
PUBLICATION = "police-and-crime-plan"
QUARTER = "2021-22-Q4"


def all_forces() -> list[str]:
    sys.path.insert(0, str(ROOT / "src"))
    from strategy_update.build.pipeline import known_forces
    from strategy_update.inputs.paths import InputPaths

    return known_forces(InputPaths(ROOT / "data", ROOT / "publications", PUBLICATION, ""))


def national(forces: list[str], out: Path, workers: int = 2, pdf: bool = False) -> float:
    seconds = run([str(BIN / "strategy-update"), "build-all", "--publication", PUBLICATION, "--quarter", QUARTER,
                   "--forces", ",".join(forces), "--workers", str(workers), "--out", str(out),
                   *([] if pdf else ["--no-pdf"])])
    reap_orphans()  # now, so that their CPU time counts to this build
    return seconds


def children_cpu() -> float:
    """CPU seconds (user and system) of every process this one has started and waited for, and of theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def adopt_orphans() -> None:
    """Have the build's processes whose parent exits before them handed to this process (Linux's
    PR_SET_CHILD_SUBREAPER) instead of to init, so that this process waits for them and their CPU time counts. The
    local cluster's workers are children of multiprocessing's fork server, which is stopped when the build ends but
    waited for by nobody in the build."""
    import ctypes

    pr_set_child_subreaper = 36
    if ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")


def reap_orphans(seconds: float = 30) -> None:
    """Wait for the processes handed to this one (``adopt_orphans``), for up to ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:  # none left
            return
        if not pid:
            time.sleep(0.1)


def national_cpu(forces: list[str], out: Path, workers: int = 2) -> tuple[float, float]:
    """``national``'s seconds, and the CPU seconds of all the build's processes."""
    before = children_cpu()
    seconds = national(forces, out, workers)
    return seconds, children_cpu() - before


@contextmanager
def one_core():
    """This process, and so every process it starts meanwhile, held to one core."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(allowed)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, allowed)


def one_after_another(forces: list[str], out: Path) -> float:
    return sum(run([str(BIN / "strategy-update"), "build", "--publication", PUBLICATION, "--quarter", QUARTER,
                      "--force", force, "--no-pdf", "--out", str(out)]) for force in forces)


def shown(case: str, value: float) -> str:
    """Seconds to one place; a ratio (the scaling efficiency) to two."""
    return f"{value:.2f}" if "ratio" in case else f"{value:.1f}"


def record(rows: list[tuple[str, list[float]]]) -> None:
    commit = measured_commit()
    with open(RESULTS, "a", newline="") as f:
        writer = csv.writer(f)
        for case, values in rows:
            writer.writerow([dt.date.today().isoformat(), commit, os.cpu_count(), case, len(values),
                             *(shown(case, v) for v in (statistics.median(values), min(values), max(values)))])


def scaling(forces: list[str], m: int, repeat: int, scratch: Path) -> dict[str, list[float]]:
    """Each scaling case ``repeat`` times, taking turns: seconds, and CPU seconds of the 2-worker builds."""
    runs: dict[str, list[float]] = {}
    for turn in range(repeat):
        def keep(name: str, value: float, turn: int = turn) -> None:
            runs.setdefault(name, []).append(value)
            print(f"  run {turn + 1}: {name} {value:.1f}", flush=True)
        keep("one", national(forces[:m], scratch / f"one-{turn}", workers=1))
        with one_core():
            keep("one core", national(forces[:m], scratch / f"core-{turn}", workers=1))
        two, two_cpu = national_cpu(forces[:m], scratch / f"two-{turn}")
        keep("two", two)
        keep("two cpu", two_cpu)
        double, double_cpu = national_cpu(forces[:2 * m], scratch / f"double-{turn}")
        keep("double", double)
        keep("double cpu", double_cpu)
        keep("double one", national(forces[:2 * m], scratch / f"double-one-{turn}", workers=1))
        with one_core():
            keep("double one core", national(forces[:2 * m], scratch / f"double-core-{turn}", workers=1))
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forces", type=int, default=43, help="how many forces (alphabetical order)")
    parser.add_argument("--scaling-forces", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each scaling case")
    parser.add_argument("--baseline-forces", type=int, help="how many single-edition builds to time (default: all)")
    parser.add_argument("--skip", action="append", default=[], choices=["html", "pdf", "scaling", "baseline"])
    args = parser.parse_args()
    adopt_orphans()
    forces = all_forces()[:args.forces]
    n, m = len(forces), args.scaling_forces
    rows: list[tuple[str, list[float]]] = []

    def note(case: str, values: float | list[float]) -> None:
        values = values if isinstance(values, list) else [values]
        rows.append((case, values))
        runs = f" (median of {len(values)})" if len(values) > 1 else ""
        print(f"{case}: {shown(case, statistics.median(values))}" + ("" if "ratio" in case else " s") + runs,
              flush=True)

    with tempfile.TemporaryDirectory(prefix="national-bench-") as scratch:
        scratch = Path(scratch)
        if "html" not in args.skip:
            two = national(forces, scratch / "html")
            note(f"national ({n} forces), cold, HTML, 2 workers", two)
            note(f"national ({n} forces), rebuild with nothing changed, HTML", national(forces, scratch / "html"))
            one = national(forces, scratch / "html-one-worker", workers=1)
            note(f"national ({n} forces), cold, HTML, 1 worker", one)
            note(f"scaling: efficiency t1 / (2 x t2) (national, {n} forces, one run each; a ratio, not seconds)",
                 one / (2 * two))
        if "pdf" not in args.skip:
            note(f"national ({n} forces), cold, HTML + PDF, 2 workers", national(forces, scratch / "pdf", pdf=True))
            note(f"national ({n} forces), rebuild with nothing changed, HTML + PDF",
                 national(forces, scratch / "pdf", pdf=True))
        if "scaling" not in args.skip:
            runs = scaling(forces, m, args.repeat, scratch)
            t = {name: statistics.median(values) for name, values in runs.items()}
            note(f"scaling: {m} forces, cold, HTML, 1 worker", runs["one"])
            note(f"scaling: {m} forces, cold, HTML, 1 worker held to 1 core", runs["one core"])
            note(f"scaling: {m} forces, cold, HTML, 2 workers", runs["two"])
            note(f"scaling: efficiency t1 / (2 x t2) ({m} forces, medians; a ratio, not seconds)",
                 t["one"] / (2 * t["two"]))
            note(f"scaling: efficiency per core t(1 worker, 1 core) / (2 x t2) ({m} forces, medians; a ratio, not "
                 "seconds)", t["one core"] / (2 * t["two"]))
            note(f"scaling: {2 * m} forces, cold, HTML, 2 workers", runs["double"])
            note(f"scaling: {2 * m} forces, cold, HTML, 1 worker", runs["double one"])
            note(f"scaling: efficiency t1 / (2 x t2) ({2 * m} forces, medians; a ratio, not seconds)",
                 t["double one"] / (2 * t["double"]))
            note(f"cost of one more force edition, HTML (seconds of one core; from {m} and {2 * m} forces, medians)",
                 (t["double"] - t["two"]) * 2 / m)
            note(f"scaling: {2 * m} forces, cold, HTML, 1 worker held to 1 core", runs["double one core"])
            note(f"cost of one more force edition, HTML (seconds of one core, the build held to one core; from {m} "
                 f"and {2 * m} forces, medians)", (t["double one core"] - t["one core"]) / m)
            note(f"CPU time of all the build's processes: {m} forces, cold, HTML, 2 workers", runs["two cpu"])
            note(f"CPU time of all the build's processes: {2 * m} forces, cold, HTML, 2 workers", runs["double cpu"])
            note(f"cost of one more force edition, HTML (CPU seconds of all the build's processes; from {m} and "
                 f"{2 * m} forces, medians)", (t["double cpu"] - t["two cpu"]) / m)
        if "baseline" not in args.skip:
            k = min(args.baseline_forces or n, n)
            seconds = one_after_another(forces[:k], scratch / "baseline")
            label = "measured" if k == n else f"extrapolated from {k} timed"
            note(f"baseline: {n} editions one after another with `build --no-pdf` ({label})", seconds * n / k)
    record(rows)


if __name__ == "__main__":
    main()
