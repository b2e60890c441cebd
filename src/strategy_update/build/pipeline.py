"""Build one edition: check inputs, run the notebooks with papermill, assemble the book, publish atomically.

Notebooks and the book are built in a work folder, ``_build/.work/<quarter>/``, kept between builds so that
only what changed is executed again. ``_build/<quarter>/`` is replaced only when every step succeeded (copied to
``_build/.staging`` and swapped into place), so a failed build never destroys the last good one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

from tqdm import tqdm

from strategy_update.model.publication import Strategy
from strategy_update.compute.edition import Edition, load_edition
from strategy_update.core.errors import InputError
from strategy_update.build.provenance import git_state
from strategy_update.build.incremental import (Job, file_digest, job_key, library_digest, load_keys, needs_run, package_versions,
                          save_keys)

# Appendix pages computed at build time: (page name, template in notebooks/).
APPENDIX_NOTEBOOKS = [("data-quality", "data_quality.ipynb"), ("backtest", "backtest.ipynb"),
                      ("provenance", "provenance.ipynb")]


class ValidationFailed(Exception):
    """Inputs broke a critical rule; carries the validation report to print."""

    def __init__(self, report):
        super().__init__(report.summary_line())
        self.report = report


class BuildError(Exception):
    """A step of the build failed for a reason other than bad input (the message says which step)."""


def project_root() -> Path:
    """The folder holding _config.yml: the current folder or one of its parents."""
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        if (folder / "_config.yml").exists() and (folder / "notebooks").is_dir():
            return folder
    raise BuildError("run this from the project folder (the one with _config.yml and notebooks/)")


# --- table of contents -----------------------------------------------------------------------------
def toc_for(strategy: Strategy) -> dict:
    """The book's table of contents, derived from the strategy definition: one part per theme."""
    parts = [{"caption": "About this update", "chapters": [{"file": "book/introduction"}]}]
    for theme in strategy.themes:
        parts.append({"caption": theme.name,
                      "chapters": [{"file": f"strands/{s.id}"} for s in theme.strands]})
    parts.append({"caption": "Appendices", "chapters": [
        {"file": "book/methods"}, {"file": "book/caveats"}, {"file": "book/glossary"}]
        + [{"file": f"appendix/{page}"} for page, _ in APPENDIX_NOTEBOOKS]})
    return {"format": "jb-book", "root": "index", "parts": parts}


def toc_text(strategy: Strategy) -> str:
    header = ("# Generated from the strategy definition by `strategy-update toc`; do not edit by hand.\n"
              "# tests/test_book.py fails if it disagrees with data/strategy/.\n")
    return header + yaml.safe_dump(toc_for(strategy), sort_keys=False)


# --- checks before anything runs -------------------------------------------------------------------
def check_inputs(edition: Edition, strict: bool = False) -> list[str]:
    """Parse every narrative (raising InputError on bad ones); return notes about what was not supplied."""
    notes = []
    for strand in edition.strategy.strands:
        if edition.narrative(strand) is None:
            notes.append(f"no narrative for {strand.id} ({edition.paths.narrative(edition.quarter, strand.id)})")
        if edition.delivery is not None and edition.delivery_row(strand) is None:
            notes.append(f"no delivery plan row for {strand.name}")
    if edition.delivery is None:
        notes.append(f"no delivery plan file ({edition.paths.delivery(edition.quarter)})")
    if strict and notes:
        raise InputError("strict build: inputs missing for this quarter: " + "; ".join(notes),
                         rule="--strict requires narrative and delivery data for every strand")
    return notes


# --- notebooks -------------------------------------------------------------------------------------
# Each worker process keeps one kernel for all the notebooks it runs: starting a kernel, importing pandas and
# plotly and starting Chromium for the chart images cost more than most strand notebooks themselves. A
# first cell resets the kernel before each notebook (namespace, folder, execution count), and is dropped
# from the executed notebook, so each page is computed exactly as in a fresh kernel.
PREPARE_TAG = "pipeline-prepare"
PREPARE_CODE = """%reset -f
import os
os.chdir({cwd!r})
get_ipython().execution_count = 1
"""
_worker = {"kernel": None}


def _worker_kernel(log_path: Path):
    """This worker's kernel manager (started by papermill at the first notebook, shut down when the worker exits)."""
    if _worker["kernel"] is None:
        from multiprocessing import util

        from jupyter_client.manager import AsyncKernelManager

        # Kernels write start-up chatter to stderr; keep it in a log beside the outputs, not on the console.
        log = open(log_path, "w", encoding="utf-8")
        os.dup2(log.fileno(), 2)
        _worker["kernel"] = AsyncKernelManager(kernel_name="python3")
        util.Finalize(None, stop_worker_kernel, exitpriority=10)
    return _worker["kernel"]


def stop_worker_kernel() -> None:
    """Shut the kernel down cleanly, so the Chromium it started for chart images exits with it."""
    from jupyter_core.utils import run_sync

    kernel, _worker["kernel"] = _worker["kernel"], None
    if kernel is not None and kernel.has_kernel:
        run_sync(kernel.shutdown_kernel)(now=False)


def _execute(template: str, output: str, parameters: dict, cwd: str, work: str) -> tuple[str, float]:
    """Run one notebook with papermill (in a worker process). Returns (output, seconds)."""
    import nbformat
    import papermill

    start = time.perf_counter()
    kernel = _worker_kernel(Path(work) / f"kernel-{os.getpid()}.log")
    notebook = nbformat.read(template, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(PREPARE_CODE.format(cwd=str(Path(cwd).resolve())),
                                                       metadata={"tags": [PREPARE_TAG, "remove-cell"]}))
    papermill.execute_notebook(notebook, output, parameters=parameters, cwd=cwd, kernel_name="python3",
                               km=kernel, progress_bar=False, log_output=False,
                               request_save_on_cell_execute=False)
    _tidy_executed(Path(output))
    return output, time.perf_counter() - start


def _tidy_executed(path: Path) -> None:
    """Drop the pipeline's prepare cell, and hide papermill's injected-parameters cell: it is for the reviewer of
    the .ipynb, not the published page."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    nb.cells = [cell for cell in nb.cells if PREPARE_TAG not in cell.metadata.get("tags", [])]
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
    nbformat.write(nb, path)


def notebook_jobs(root: Path, work: Path, edition: Edition, data_dir: Path) -> list[Job]:
    """Every notebook of the edition with the input files it reads (for its content hash)."""
    paths, strategy, quarter = edition.paths, edition.strategy, edition.quarter
    common = (paths.strategy(strategy.id), paths.crime, *paths.population)
    extracts = tuple(paths.force_extract(m.id) for s in strategy.strands for m in s.force_extract_measures)
    base = {"quarter": quarter.id, "data_dir": str(data_dir)}
    templates = root / "notebooks"
    jobs = [Job("index", templates / "summary.ipynb", "index.ipynb", ".", base,
                common + (paths.delivery(quarter),) + extracts)]
    appendix_inputs = {
        "data-quality": (work / "validation.json",),
        "backtest": common + tuple(sorted((data_dir / "reference").glob("*"))),
        "provenance": tuple(sorted(p for p in data_dir.rglob("*") if p.is_file())),
    }
    for page, template in APPENDIX_NOTEBOOKS:
        parameters = dict(base, report_path=str(work / "validation.json"), project_dir=str(root))
        extra = git_describe(root) if page == "provenance" else ""
        jobs.append(Job(page, templates / template, f"appendix/{page}.ipynb", "appendix", parameters,
                        appendix_inputs[page], extra))
    for strand in strategy.strands:
        inputs = common + (paths.delivery(quarter), paths.narrative(quarter, strand.id)) + tuple(
            paths.force_extract(m.id) for m in strand.force_extract_measures)
        jobs.append(Job(strand.id, templates / "strand.ipynb", f"strands/{strand.id}.ipynb", "strands",
                        dict(base, strand_id=strand.id), inputs))
    return jobs


def git_describe(root: Path) -> str:
    """Commit and clean flag: the provenance page shows them, so they are part of its key."""
    return git_state(root)["description"]


def run_notebooks(jobs: list[Job], work: Path, workers: int, force: bool = False,
                  log=print) -> dict[str, float | None]:
    """Execute the notebooks whose inputs changed, in parallel; reuse the others. Returns seconds per notebook
    (None when reused)."""
    library = library_digest(Path(__file__).parents[1])
    versions = package_versions()
    keys_file = work / "notebook-keys.json"
    previous = load_keys(keys_file)
    # Keys are planned before anything runs, so the provenance page can show them.
    # Most notebooks read the same files (the Home Office table above all): hash each file once.
    digests = {path: file_digest(path) for path in {p for job in jobs for p in job.inputs}}
    keys = {}
    for job in jobs:
        if job.name != "provenance":
            keys[job.name] = job_key(job, library, versions, digests)
    planned = work / "planned-keys.json"
    if load_keys(planned) != keys:
        save_keys(planned, keys)
    provenance = [j for j in jobs if j.name == "provenance"]
    for job in provenance:
        keys[job.name] = job_key(Job(**{**job.__dict__, "inputs": job.inputs + (planned,)}), library, versions,
                                 digests)
    to_run = [j for j in jobs if needs_run(j, keys[j.name], previous, work, force)]
    timings: dict[str, float | None] = {j.name: None for j in jobs if j not in to_run}
    log(f"Notebooks: {len(to_run)} to execute, {len(timings)} unchanged and reused"
        + (" (--force)" if force else ""))
    if not to_run:
        return timings
    for job in to_run:  # forget the old key first: a failed run must run again next time
        previous.pop(job.name, None)
        (work / job.cwd).mkdir(parents=True, exist_ok=True)
    save_keys(keys_file, previous)
    bar = tqdm(total=len(to_run), unit="notebook", desc="  executing", file=sys.stderr,
               disable=None, dynamic_ncols=True)
    with ProcessPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {pool.submit(_execute, str(j.template), str(work / j.output), j.parameters,
                               str(work / j.cwd), str(work)): j for j in to_run}
        for done, future in enumerate(as_completed(futures), start=1):
            job = futures[future]
            try:
                _, seconds = future.result()
            except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
                for other in futures:
                    other.cancel()
                bar.close()
                raise BuildError(f"notebook for '{job.name}' failed: {_last_line(exc)}") from None
            previous[job.name] = keys[job.name]
            save_keys(keys_file, previous)
            timings[job.name] = seconds
            ran = {k: v for k, v in timings.items() if v is not None}
            slowest = ", ".join(f"{k} {v:.0f}s" for k, v in sorted(ran.items(), key=lambda kv: -kv[1])[:3])
            bar.set_postfix_str(f"slowest: {slowest}")
            bar.update()
            if bar.disable:
                log(f"  [{done}/{len(to_run)}] {job.name} ({seconds:.1f} s); slowest so far: {slowest}")
    bar.close()
    return timings


def _last_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


# --- the book ----------------------------------------------------------------------------------------
def _write_if_changed(path: Path, data: bytes) -> None:
    """Unchanged files keep their time stamp, so Sphinx does not read them again."""
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def sync_sources(root: Path, work: Path, edition: Edition) -> None:
    """Hand-written pages and configuration into the work folder, with the edition set into the title."""
    for page in (root / "book").glob("*.md"):
        _write_if_changed(work / "book" / page.name, page.read_bytes())
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{edition.strategy.title}: {edition.quarter.short_label} update"
    _write_if_changed(work / "_config.yml", yaml.safe_dump(config, sort_keys=False).encode())
    _write_if_changed(work / "_toc.yml", toc_text(edition.strategy).encode())
    pdf_config = dict(config)
    pdf_config["sphinx"] = {**config.get("sphinx", {}),
                            "config": {**config.get("sphinx", {}).get("config", {}), "nb_remove_code_source": True}}
    # The PDF has no code: hidden inputs stay hidden (the HTML toggle does not exist on paper).
    _write_if_changed(work / "_config_pdf.yml", yaml.safe_dump(pdf_config, sort_keys=False).encode())
    import plotly

    # plotly.js once for the whole site, instead of ~4.8 MB embedded in every page.
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    _write_if_changed(work / "_static" / "plotly.min.js", plotly_js.read_bytes())
    for asset in (root / "_static").glob("*"):
        _write_if_changed(work / "_static" / asset.name, asset.read_bytes())


def _jupyter_book(args: list[str], log_file: Path) -> None:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", *args]
    with open(log_file, "w", encoding="utf-8") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise BuildError("jupyter-book failed:\n" + "\n".join(tail) + f"\n(full log: {log_file})")


def build_book(work: Path, pdf: bool, log=print) -> tuple[Path, Path | None]:
    """Jupyter Book in the work folder; Sphinx rereads only pages whose source changed."""
    log("Building the website (Jupyter Book)...")
    _jupyter_book([str(work), "--builder", "html", "-q"], work / "html.log")
    html = work / "_build" / "html"
    pdf_file = None
    if pdf:
        if not shutil.which("xelatex") or not shutil.which("latexmk"):
            raise BuildError("the PDF needs TeX Live (xelatex, latexmk): run `make setup` or build with --no-pdf")
        log("Building the PDF (Jupyter Book + LaTeX)...")
        out = work / "_pdf"
        _jupyter_book([str(work), "--builder", "pdflatex", "--config", str(work / "_config_pdf.yml"),
                       "--path-output", str(out), "-q"], work / "pdf.log")
        pdfs = sorted((out / "_build" / "latex").glob("*.pdf"))
        if not pdfs:
            raise BuildError(f"the PDF was not produced (see {work / 'pdf.log'})")
        pdf_file = pdfs[0]
    return html, pdf_file


def publish(work: Path, html: Path, pdf_file: Path | None, jobs: list[Job], target: Path) -> None:
    """Copy the finished edition next to the target, then swap it into place: never a half-written site."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_root = target.parent / ".staging"
    staging_root.mkdir(exist_ok=True)
    ready = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=staging_root))
    umask = os.umask(0)
    os.umask(umask)
    ready.chmod(0o777 & ~umask)  # mkdtemp makes it private; a web server must be able to read the edition
    try:
        shutil.copytree(html, ready / "html")
        if pdf_file is not None:
            (ready / "pdf").mkdir()
            shutil.copy2(pdf_file, ready / "pdf" / "update.pdf")
        for job in jobs:  # the executed notebooks, for reviewers to download
            (ready / "notebooks" / job.output).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / job.output, ready / "notebooks" / job.output)
        old = None
        if target.exists():
            old = target.with_name(target.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        ready.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(ready, ignore_errors=True)


def build(quarter: str | None = None, *, data_dir: Path | None = None, out_dir: Path | None = None,
          pdf: bool = True, jobs: int | None = None, strict: bool = False, force: bool = False,
          log=print) -> Path:
    root = project_root()
    data_dir = (data_dir or root / "data").resolve()
    out_dir = (out_dir or root / "_build").resolve()
    started = time.perf_counter()
    from strategy_update.inputs.validate import validate_inputs

    # Validate first: nothing is executed or published when an input breaks a critical rule.
    log("Checking inputs (Great Expectations)...")
    report = validate_inputs(data_dir, quarter, strict=strict)
    log(f"  {report.summary_line()}")
    if report.critical:
        raise ValidationFailed(report)
    edition = load_edition(data_dir, quarter)
    log(f"Edition {edition.quarter.id}: {edition.quarter.label}")
    for note in check_inputs(edition, strict=strict):
        log(f"  note: {note}")
    # The work folder persists between builds, so unchanged notebooks and pages are reused.
    work = out_dir / ".work" / edition.quarter.id
    work.mkdir(parents=True, exist_ok=True)
    sync_sources(root, work, edition)
    # Without timings, identical inputs give identical bytes, so the data quality page is reused.
    _write_if_changed(work / "validation.json", report.to_json(timings=False).encode())
    notebook_list = notebook_jobs(root, work, edition, data_dir)
    run_notebooks(notebook_list, work, jobs or os.cpu_count() or 1, force=force, log=log)
    html, pdf_file = build_book(work, pdf, log=log)
    target = out_dir / edition.quarter.id
    publish(work, html, pdf_file, notebook_list, target)
    log(f"Published {target}/html/index.html" + (f" and {target}/pdf/update.pdf" if pdf else "")
        + f" in {time.perf_counter() - started:.0f} s")
    return target
