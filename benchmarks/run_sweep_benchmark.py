"""Time the sweep (``strategy-update sweep``) and record, in benchmarks/results.csv, its time and its failures, and
the time of the full sweep (every quarter of every publication for every force), measured or extrapolated.

The full sweep is 55 runs of 43 editions (2,365 editions, websites): hours on two cores. By default this script
sweeps a stated sample, every force for the quarters asked (``--quarters``, default each publication's first), and
extrapolates: each publication's seconds per edition in the sample, times its editions in the full matrix. The
rows say which it is. ``--quarters all`` measures the full sweep itself.

    .venv/bin/python benchmarks/run_sweep_benchmark.py                       # sample: first quarters, all forces
    .venv/bin/python benchmarks/run_sweep_benchmark.py --quarters first,last --workers 2
    .venv/bin/python benchmarks/run_sweep_benchmark.py --quarters all        # the full sweep, measured
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from run_benchmarks import measured_commit

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results.csv"


def full_matrix() -> dict[str, int]:
    """Editions per publication of the full sweep (every quarter, every force)."""
    sys.path.insert(0, str(ROOT / "src"))
    from strategy_update.build.sweep import sweep_matrix

    matrix = sweep_matrix("all", "all", "all", data_dir=ROOT / "data", publications_dir=ROOT / "publications")
    out: dict[str, int] = {}
    for run in matrix.runs:
        out[run.publication] = out.get(run.publication, 0) + len(run.forces)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quarters", default="first", help="the sweep's --quarters (default: first)")
    parser.add_argument("--forces", default="all", help="the sweep's --forces (default: all)")
    parser.add_argument("--publication", default="all", help="the sweep's --publication (default: all)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, help="output folder (default: a temporary one, removed after)")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory(prefix="sweep-bench-") if args.out is None else None
    out = args.out or Path(folder.name)
    command = [str(BIN / "strategy-update"), "sweep", "--publication", args.publication, "--quarters", args.quarters,
               "--forces", args.forces, "--workers", str(args.workers), "--out", str(out),
               "--dashboard", "127.0.0.1:0"]
    started = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
    with open(out / "sweep" / "sweep.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    failed = [r for r in rows if r["result"] == "failed"]
    runs: dict[tuple[str, str], float] = {}
    per_publication: dict[str, list[float]] = {}
    for r in rows:
        if r["run_seconds"]:
            runs[(r["publication"], r["quarter"])] = float(r["run_seconds"])
    for (publication, quarter), run_seconds in runs.items():
        editions = sum(1 for r in rows if (r["publication"], r["quarter"]) == (publication, quarter))
        per_publication.setdefault(publication, []).append(run_seconds / editions)
    full = full_matrix()
    measured_all = len(rows) == sum(full.values())
    estimate = sum(full[p] * sum(v) / len(v) for p, v in per_publication.items())
    today, commit, cores = dt.date.today().isoformat(), measured_commit(), os.cpu_count()
    sample = (f"sweep, {args.publication} x quarters {args.quarters} x forces {args.forces}, websites, "
              f"{args.workers} workers: {len(rows)} editions, {len(failed)} failed")
    lines = [[today, commit, cores, sample, 1, f"{seconds:.1f}", f"{seconds:.1f}", f"{seconds:.1f}"]]
    if not measured_all and set(per_publication) == set(full):
        lines.append([today, commit, cores,
                      f"sweep, full matrix ({sum(full.values())} editions: every quarter of every publication x "
                      f"{args.forces} forces), websites, extrapolated from the sample's seconds per edition of "
                      "each publication", 0, f"{estimate:.0f}", "", ""])
    with open(RESULTS, "a", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(lines)
    for line in lines:
        print(",".join(map(str, line)))
    for publication, values in per_publication.items():
        print(f"{publication}: {sum(values) / len(values):.2f} s per edition in the sample "
              f"({len(values)} runs); {full.get(publication, 0)} editions in the full matrix")
    for r in failed:
        print(f"FAILED {r['publication']} {r['quarter']} {r['force']}: {r['why']}")
    if folder is not None:
        folder.cleanup()


if __name__ == "__main__":
    main()
