"""Time the national edition (``strategy-update build-all``) and record the results in benchmarks/results.csv.

Cases (each run once: a cold national build is long; the core count is recorded with every row):

- national, cold, HTML: every force asked for (``--forces``, default all 43), on a LocalCluster of 2 workers;
- national, rebuild with nothing changed, HTML;
- national, cold, HTML + PDF (``--skip pdf`` leaves it out);
- scaling: the same editions (``--scaling-forces``, default 6) with 1 and with 2 workers; efficiency = t1 / (2 x t2);
- cost per extra force: cold HTML builds of M and 2M forces (M = ``--scaling-forces``) on 2 workers; the cost of one
  more edition in seconds of one core = (t(2M) - t(M)) x 2 workers / M (an upper bound: it counts a core waiting
  as working), and measured as CPU time = (c(2M) - c(M)) / M, c being the user and system time of every process of
  the build (the build, its Dask workers, their kernels, Chromium and Jupyter Books: ``getrusage`` of the
  benchmark's children, each waited for by its parent);
- the baseline to beat: the same editions built one after another with ``strategy-update build --no-pdf``
  (``--baseline-forces`` of them, default as many as the national case; the total is extrapolated, and labelled so,
  when fewer are timed).

    .venv/bin/python benchmarks/run_national_benchmarks.py                      # everything, all 43 forces
    .venv/bin/python benchmarks/run_national_benchmarks.py --forces 12 --skip pdf --baseline-forces 3
    .venv/bin/python benchmarks/run_national_benchmarks.py --skip html --skip scaling --skip baseline  # PDFs only
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import resource
import sys
import tempfile
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
    return run([str(BIN / "strategy-update"), "build-all", "--publication", PUBLICATION, "--quarter", QUARTER,
                  "--forces", ",".join(forces), "--workers", str(workers), "--out", str(out),
                  *([] if pdf else ["--no-pdf"])])


def children_cpu() -> float:
    """CPU seconds (user and system) of every process this one has started and waited for, and of theirs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def national_cpu(forces: list[str], out: Path, workers: int = 2) -> tuple[float, float]:
    """``national``'s seconds, and the CPU seconds of all the build's processes."""
    before = children_cpu()
    seconds = national(forces, out, workers)
    return seconds, children_cpu() - before


def one_after_another(forces: list[str], out: Path) -> float:
    return sum(run([str(BIN / "strategy-update"), "build", "--publication", PUBLICATION, "--quarter", QUARTER,
                      "--force", force, "--no-pdf", "--out", str(out)]) for force in forces)


def shown(case: str, value: float) -> str:
    """Seconds to one place; a ratio (the scaling efficiency) to two."""
    return f"{value:.2f}" if "ratio" in case else f"{value:.1f}"


def record(rows: list[tuple[str, float]]) -> None:
    commit = measured_commit()
    with open(RESULTS, "a", newline="") as f:
        writer = csv.writer(f)
        for case, seconds in rows:
            value = shown(case, seconds)
            writer.writerow([dt.date.today().isoformat(), commit, os.cpu_count(), case, 1, value, value, value])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--forces", type=int, default=43, help="how many forces (alphabetical order)")
    parser.add_argument("--scaling-forces", type=int, default=6)
    parser.add_argument("--baseline-forces", type=int, help="how many single-edition builds to time (default: all)")
    parser.add_argument("--skip", action="append", default=[], choices=["html", "pdf", "scaling", "baseline"])
    args = parser.parse_args()
    forces = all_forces()[:args.forces]
    n, m = len(forces), args.scaling_forces
    rows: list[tuple[str, float]] = []

    def note(case: str, seconds: float) -> None:
        rows.append((case, seconds))
        print(f"{case}: {shown(case, seconds)}" + ("" if "ratio" in case else " s"), flush=True)

    with tempfile.TemporaryDirectory(prefix="national-bench-") as scratch:
        scratch = Path(scratch)
        if "html" not in args.skip:
            note(f"national ({n} forces), cold, HTML, 2 workers", national(forces, scratch / "html"))
            note(f"national ({n} forces), rebuild with nothing changed, HTML", national(forces, scratch / "html"))
        if "pdf" not in args.skip:
            note(f"national ({n} forces), cold, HTML + PDF, 2 workers", national(forces, scratch / "pdf", pdf=True))
        if "scaling" not in args.skip:
            one = national(forces[:m], scratch / "one", workers=1)
            two, two_cpu = national_cpu(forces[:m], scratch / "two", workers=2)
            note(f"scaling: {m} forces, cold, HTML, 1 worker", one)
            note(f"scaling: {m} forces, cold, HTML, 2 workers", two)
            note(f"scaling: efficiency t1 / (2 x t2) ({m} forces; a ratio, not seconds)", one / (2 * two))
            double, double_cpu = national_cpu(forces[:2 * m], scratch / "double", workers=2)
            note(f"scaling: {2 * m} forces, cold, HTML, 2 workers", double)
            note(f"cost of one more force edition, HTML (seconds of one core; from {m} and {2 * m} forces)",
                 (double - two) * 2 / m)
            note(f"CPU time of all the build's processes: {m} forces, cold, HTML, 2 workers", two_cpu)
            note(f"CPU time of all the build's processes: {2 * m} forces, cold, HTML, 2 workers", double_cpu)
            note(f"cost of one more force edition, HTML (CPU seconds of all the build's processes; from {m} and "
                 f"{2 * m} forces)", (double_cpu - two_cpu) / m)
        if "baseline" not in args.skip:
            k = min(args.baseline_forces or n, n)
            seconds = one_after_another(forces[:k], scratch / "baseline")
            label = "measured" if k == n else f"extrapolated from {k} timed"
            note(f"baseline: {n} editions one after another with `build --no-pdf` ({label})", seconds * n / k)
    record(rows)


if __name__ == "__main__":
    main()
