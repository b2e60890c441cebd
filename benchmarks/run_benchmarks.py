"""Time the build and record the medians in benchmarks/results.csv (with the machine's core count).

Cases: cold build (HTML, and HTML + PDF), rebuild with nothing changed, rebuild after editing one strand's
narrative, rebuild with ``--rerun`` (every notebook executed again), validation alone, forecasting alone (every
measure's model fitted and back-tested from the cold build's results, with no cache: in one process, which is its
cost in CPU time, and as the build runs it, one measure per task on a warm pool of one worker per core, which is
what it adds to a cold build's wall time), the preview (from saving a strand's narrative to the new edition being
served, twice in a row, with the preview's workers and checks warm) and the baseline to beat: the same edition with
Jupyter Book executing every notebook itself (``execute_notebooks: force``).

The edition is the default publication's, for Essex: it is published to
``<out>/crime-prevention-2021-25/essex/2021-22-Q4/``.

    .venv/bin/python benchmarks/run_benchmarks.py            # 3 runs per case
    .venv/bin/python benchmarks/run_benchmarks.py --runs 5 --skip pdf --skip preview
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
RESULTS = ROOT / "benchmarks" / "results.csv"
PUBLICATION = "crime-prevention-2021-25"
FORCE, FORCE_SLUG = "Essex", "essex"
QUARTER = "2021-22-Q4"


def edition_folder(out: Path) -> Path:
    """Where `build --out <out>` publishes the benchmarked edition."""
    return out / PUBLICATION / FORCE_SLUG / QUARTER


def measured_commit() -> str:
    """The commit measured, marked ``-dirty`` when the code had changes not committed: a figure is then not that
    commit's."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    return git("rev-parse", "--short", "HEAD") + ("-dirty" if git("status", "--porcelain", "--", "src") else "")


def run(command: list[str], cwd: Path = ROOT) -> float:
    start = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"benchmark command failed: {' '.join(command)}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return seconds


def edition_options(data: Path) -> list[str]:
    return ["--publication", PUBLICATION, "--force", FORCE, "--quarter", QUARTER, "--data", str(data),
            "--publications", str(ROOT / "publications")]


def build(data: Path, out: Path, *extra: str) -> float:
    seconds = run([str(BIN / "strategy-update"), "build", *edition_options(data), "--out", str(out), *extra])
    if not (edition_folder(out) / "html" / "index.html").is_file():
        sys.exit(f"the build did not publish {edition_folder(out)}/html/index.html")
    return seconds


# Forecasting alone, timed in a fresh process with no cache: in that process (argv[5] == "0"), or as the build runs
# it (one measure per task on a pool of argv[5] workers, started and with statsmodels loaded before timing starts,
# as the build has them while it checks its inputs).
FORECASTING = """
import importlib, sys, time
from concurrent.futures import ProcessPoolExecutor, wait
from pathlib import Path
from strategy_update.build.executor import FITS_MODULE
from strategy_update.compute.results import read_results
from strategy_update.compute.stage import demand_profiles, measure_by_measure
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
if __name__ == "__main__":
    publication = load_publication(InputPaths(Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4], ""))
    results = read_results(Path(sys.argv[1]))
    workers = int(sys.argv[5])
    figures = {force: group for force, group in results[results["statistic"] == "series"].groupby("force")}
    if workers:
        pool = ProcessPoolExecutor(workers)
        wait([pool.submit(importlib.import_module, FITS_MODULE) for _ in range(workers)])
        map_series = measure_by_measure(pool.submit)
    else:
        importlib.import_module(FITS_MODULE)
        map_series = map
    start = time.perf_counter()
    demand_profiles(publication, figures, map_series)
    print(time.perf_counter() - start)
"""
FORECAST_ONE = "forecasting alone, one process (its CPU time)"
FORECAST_BUILD = "forecasting alone, as a cold build runs it (one task per measure, a worker per core)"


def forecasting(data: Path, out: Path, workers: int) -> float:
    """Seconds to fit and back-test every measure of the edition published under ``out`` (``workers``: 0 for one
    process, else the size of the pool)."""
    results = edition_folder(out) / "data" / "results.parquet"
    done = subprocess.run([sys.executable, "-c", FORECASTING, str(results), str(data), str(ROOT / "publications"),
                           PUBLICATION, str(workers)], cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"forecasting benchmark failed:\n{done.stderr[-2000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def preview_edits(data: Path, out: Path, narrative: Path, edits: int = 2) -> list[float]:
    """Seconds from saving ``narrative`` to the preview serving the edition built from it, for each of ``edits``
    saves in a row (the preview started and its first build served before timing starts)."""
    import json
    import signal
    import socket
    import urllib.request

    with socket.socket() as probe:  # a free port
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([str(BIN / "strategy-update"), "preview", *edition_options(data), "--out", str(out),
                                "--port", str(port)], cwd=ROOT, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)

    def served(after: int, limit: float = 600) -> int:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if process.poll() is not None:
                sys.exit("the preview stopped before serving its edition")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/__preview__/version", timeout=5) as answer:
                    state = json.load(answer)
                if state["build"] > after and not state["building"]:
                    return state["build"]
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit("the preview did not serve a new edition in time")

    try:
        build, seconds = served(0), []
        for i in range(edits):
            narrative.write_text(narrative.read_text() + f"\n- Preview edit {i}.\n")
            start = time.perf_counter()
            build = served(build)
            seconds.append(time.perf_counter() - start)
        return seconds
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=60)


def _template(name: str, publication) -> nbformat.NotebookNode:
    """A template as the pipeline runs it (made concrete for the publication, where the build does that)."""
    try:
        from strategy_update.build.templates import expand
    except ImportError:
        return nbformat.read(ROOT / "notebooks" / name, as_version=4)
    return expand(ROOT / "notebooks" / name, publication)


def jupyter_book_baseline(data: Path, scratch: Path) -> float:
    """The same pages with Jupyter Book executing each notebook (parameters written into a copy of the template).
    Without a build, each page notebook reads the inputs and computes the edition itself (``results_dir`` empty);
    the appendices, which the build writes without a kernel, are written the same way before timing starts."""
    from strategy_update.build.book import sync_sources, toc_text
    from strategy_update.build.pipeline import resolve_edition, write_results_of, write_written_appendices
    from strategy_update.compute.stage import compute_edition
    from strategy_update.inputs.readers import read_edition_inputs
    from strategy_update.inputs.validate import validate_inputs

    book = scratch / "book-baseline"
    shutil.rmtree(book, ignore_errors=True)
    spec = resolve_edition(PUBLICATION, FORCE, QUARTER, data_dir=data, publications_dir=ROOT / "publications")
    publication, paths = spec.publication, spec.paths
    title = f"{publication.edition_title(spec.force)}: {spec.quarter.short_label} update"
    owner = spec.force == publication.owner_force
    sync_sources(ROOT, book, publication, title,
                 f"{publication.organisation if owner else spec.force}; generated by strategy-update")
    config = yaml.safe_load((book / "_config.yml").read_text())
    config["execute"] = {"execute_notebooks": "force", "timeout": 600}
    (book / "_config.yml").write_text(yaml.safe_dump(config))
    report = validate_inputs(paths, spec.force, spec.quarter.id)
    # The written appendices read the results table (the demand profile page): computed here, untimed, as they are.
    read = read_edition_inputs(paths, publication, spec.force, spec.quarter)
    write_results_of(spec, book, *compute_edition(publication, spec.force, spec.quarter, crime=read.crime,
                                                  population=read.population, tracker=read.tracker,
                                                  extracts=read.extracts, peer_group=read.peer_group,
                                                  workforce=read.workforce))
    write_written_appendices(ROOT, book, spec, report, {})

    def parameterised(template: str, target: Path, values: dict) -> None:
        nb = _template(template, publication)
        for cell in nb.cells:
            if "parameters" in cell.metadata.get("tags", []):
                cell.source = "\n".join(f"{k} = {v!r}" for k, v in values.items())
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, target)

    base = {"publication": PUBLICATION, "force": FORCE, "quarter": QUARTER, "data_dir": str(data),
            "publications_dir": str(paths.publications), "results_dir": ""}
    parameterised("summary.ipynb", book / "index.ipynb", base)
    folder = publication.section_folder
    for section in publication.leaves:
        parameterised("section.ipynb", book / folder / f"{section.id}.ipynb",
                      dict(base, section_id=section.id, print_charts=False))  # a website: no pictures for print
    (book / "_toc.yml").write_text(toc_text(publication))
    seconds = run([str(BIN / "jupyter-book"), "build", str(book), "--builder", "html", "-q"])
    failed = sorted((book / "_build" / "html" / "reports").rglob("*.err.log"))
    if failed:  # Jupyter Book reports a notebook that failed but still builds: such a baseline times nothing
        sys.exit("the baseline's notebooks failed: " + ", ".join(str(p.relative_to(book)) for p in failed))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip", nargs="+", action="extend", default=[],
                        help="cases to skip: preview, pdf, baseline")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    data = scratch / "data"
    shutil.copytree(ROOT / "data", data)
    narrative = data / "forces" / FORCE_SLUG / PUBLICATION / "narrative" / QUARTER / "rape.md"
    timings: dict[str, list[float]] = {}

    def record(case: str, seconds: float) -> None:
        timings.setdefault(case, []).append(seconds)
        print(f"  {case}: {seconds:.1f} s", flush=True)

    try:
        for i in range(args.runs):
            print(f"run {i + 1} of {args.runs}", flush=True)
            out = scratch / f"out-{i}"
            record("validate", run([str(BIN / "strategy-update"), "validate", *edition_options(data)]))
            record("cold build, HTML", build(data, out, "--no-pdf"))
            record(FORECAST_ONE, forecasting(data, out, 0))
            record(FORECAST_BUILD, forecasting(data, out, os.cpu_count() or 1))
            record("rebuild, nothing changed, HTML", build(data, out, "--no-pdf"))
            narrative.write_text(narrative.read_text() + f"\n- Benchmark edit {i}.\n")
            record("rebuild after one narrative edit, HTML", build(data, out, "--no-pdf"))
            record("rebuild with --rerun (every notebook executed), HTML", build(data, out, "--no-pdf", "--rerun"))
            shutil.rmtree(out)
            if "preview" not in args.skip:
                first, second = preview_edits(data, out, narrative)
                record("preview: narrative saved to new edition served (first edit)", first)
                record("preview: narrative saved to new edition served (next edit)", second)
                shutil.rmtree(out)
            if "pdf" not in args.skip:
                record("cold build, HTML + PDF", build(data, out))
                record("rebuild, nothing changed, HTML + PDF", build(data, out))
                shutil.rmtree(out)
            if "baseline" not in args.skip:
                record("baseline: Jupyter Book execute_notebooks force, HTML", jupyter_book_baseline(data, scratch))
    finally:  # what was timed is kept even if a later case fails
        commit = measured_commit()
        new = not RESULTS.exists()
        with open(RESULTS, "a", newline="") as handle:
            writer = csv.writer(handle)
            if new:
                writer.writerow(["date", "commit", "cores", "case", "runs", "median_s", "min_s", "max_s"])
            for case, values in timings.items():
                writer.writerow([dt.date.today().isoformat(), commit, os.cpu_count(), case, len(values),
                                 f"{statistics.median(values):.1f}", f"{min(values):.1f}", f"{max(values):.1f}"])
    cold = statistics.median(timings["cold build, HTML"])
    for case in (FORECAST_ONE, FORECAST_BUILD):
        print(f"{case} / cold HTML build = {statistics.median(timings[case]) / cold:.2f}")
    print("(target: what forecasting adds to a cold build under 0.10 of it; the build runs it the second way)")
    if "baseline: Jupyter Book execute_notebooks force, HTML" in timings:
        base = statistics.median(timings["baseline: Jupyter Book execute_notebooks force, HTML"])
        print(f"cold HTML build / Jupyter Book baseline = {cold / base:.2f} (target: at most 0.6)")
    print(f"results appended to {RESULTS}")
    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
