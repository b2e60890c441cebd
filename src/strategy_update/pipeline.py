"""Build one edition: check inputs, run the notebooks with papermill, assemble the book, publish atomically.

The book is built in a staging folder under ``_build/.staging``; ``_build/<quarter>/`` is replaced only when
every step succeeded, so a failed build never destroys the last good one.
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

from .definition import Strategy
from .edition import Edition, load_edition
from .errors import InputError

ROOT_FILES = ["_config.yml", "_toc.yml"]


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
        {"file": "book/methods"}, {"file": "book/caveats"}, {"file": "book/glossary"}]})
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
def _execute(template: str, output: str, parameters: dict, cwd: str) -> tuple[str, float]:
    """Run one notebook with papermill (in a worker process). Returns (output, seconds)."""
    import papermill

    # Kernels write start-up chatter to stderr; keep it in a log beside the output, not on the console.
    log = open(Path(output).with_suffix(".kernel.log"), "w", encoding="utf-8")
    os.dup2(log.fileno(), 2)
    start = time.perf_counter()
    papermill.execute_notebook(template, output, parameters=parameters, cwd=cwd, kernel_name="python3",
                               progress_bar=False, log_output=False, request_save_on_cell_execute=False)
    return output, time.perf_counter() - start


def _hide_injected_parameters(path: Path) -> None:
    """Papermill's injected-parameters cell is for the reviewer of the .ipynb, not the published page."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "injected-parameters" in tags and "remove-cell" not in tags:
            cell.metadata["tags"] = tags + ["remove-cell"]
    nbformat.write(nb, path)


def run_notebooks(root: Path, stage: Path, edition: Edition, data_dir: Path, jobs: int,
                  log=print) -> dict[str, float]:
    """The summary and one notebook per strand, in parallel; progress is printed as each finishes."""
    (stage / "strands").mkdir(parents=True, exist_ok=True)
    quarter = edition.quarter.id
    work = [(str(root / "notebooks" / "summary.ipynb"), str(stage / "index.ipynb"),
             {"quarter": quarter, "data_dir": str(data_dir)}, str(stage))]
    for strand in edition.strategy.strands:
        work.append((str(root / "notebooks" / "strand.ipynb"), str(stage / "strands" / f"{strand.id}.ipynb"),
                     {"quarter": quarter, "strand_id": strand.id, "data_dir": str(data_dir)},
                     str(stage / "strands")))
    timings = {}
    with ProcessPoolExecutor(max_workers=max(1, jobs)) as pool:
        futures = {pool.submit(_execute, *w): Path(w[1]).stem for w in work}
        for done, future in enumerate(as_completed(futures), start=1):
            name = futures[future]
            try:
                output, seconds = future.result()
            except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
                for other in futures:
                    other.cancel()
                raise BuildError(f"notebook for '{name}' failed: {_last_line(exc)}") from None
            _hide_injected_parameters(Path(output))
            timings[name] = seconds
            log(f"  [{done}/{len(work)}] {name} ({seconds:.1f} s)")
    return timings


def _last_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__


# --- the book ----------------------------------------------------------------------------------------
def stage_sources(root: Path, stage: Path, edition: Edition) -> None:
    """Copy the hand-written pages and configuration; set the edition into the title."""
    shutil.copytree(root / "book", stage / "book")
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = f"{edition.strategy.title}: {edition.quarter.short_label} update"
    (stage / "_config.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (stage / "_toc.yml").write_text(toc_text(edition.strategy), encoding="utf-8")
    static = stage / "_static"
    static.mkdir(exist_ok=True)
    import plotly

    # plotly.js once for the whole site, instead of ~4.8 MB embedded in every page.
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", static / "plotly.min.js")
    if (root / "_static").is_dir():
        shutil.copytree(root / "_static", static, dirs_exist_ok=True)


def _pdf_config(stage: Path) -> Path:
    """The PDF has no code: hidden inputs stay hidden (the HTML toggle does not exist on paper)."""
    config = yaml.safe_load((stage / "_config.yml").read_text(encoding="utf-8"))
    config.setdefault("sphinx", {}).setdefault("config", {})["nb_remove_code_source"] = True
    path = stage / "_config_pdf.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return path


def _jupyter_book(args: list[str], log_file: Path) -> None:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", *args]
    with open(log_file, "w", encoding="utf-8") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise BuildError("jupyter-book failed:\n" + "\n".join(tail) + f"\n(full log: {log_file})")


def build_book(stage: Path, pdf: bool, log=print) -> tuple[Path, Path | None]:
    log("Building the website (Jupyter Book)...")
    _jupyter_book([str(stage), "--builder", "html", "-q", "--keep-going"], stage / "html.log")
    html = stage / "_build" / "html"
    pdf_file = None
    if pdf:
        if not shutil.which("xelatex") or not shutil.which("latexmk"):
            raise BuildError("the PDF needs TeX Live (xelatex, latexmk): run `make setup` or build with --no-pdf")
        log("Building the PDF (Jupyter Book + LaTeX)...")
        out = stage / "_pdf"
        _jupyter_book([str(stage), "--builder", "pdflatex", "--config", str(_pdf_config(stage)),
                       "--path-output", str(out), "-q"], stage / "pdf.log")
        pdfs = sorted((out / "_build" / "latex").glob("*.pdf"))
        if not pdfs:
            raise BuildError(f"the PDF was not produced (see {stage / 'pdf.log'})")
        pdf_file = pdfs[0]
    return html, pdf_file


def publish(stage: Path, html: Path, pdf_file: Path | None, target: Path, notebooks: bool = True) -> None:
    """Move the finished edition into place in one step, keeping the old one until the new one is there."""
    ready = stage / "ready"
    ready.mkdir()
    shutil.move(str(html), ready / "html")
    if pdf_file is not None:
        (ready / "pdf").mkdir()
        shutil.move(str(pdf_file), ready / "pdf" / "update.pdf")
    if notebooks:
        shutil.copytree(stage, ready / "notebooks", ignore=shutil.ignore_patterns(
            "_build", "_pdf", "ready", "*.log", "_static", "book", "_config*.yml", "_toc.yml"))
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = target.with_name(target.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        target.rename(old)
    ready.rename(target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def build(quarter: str | None = None, *, data_dir: Path | None = None, out_dir: Path | None = None,
          pdf: bool = True, jobs: int | None = None, strict: bool = False, log=print) -> Path:
    root = project_root()
    data_dir = (data_dir or root / "data").resolve()
    out_dir = (out_dir or root / "_build").resolve()
    started = time.perf_counter()
    edition = load_edition(data_dir, quarter)
    log(f"Edition {edition.quarter.id}: {edition.quarter.label}")
    notes = check_inputs(edition, strict=strict)
    for note in notes:
        log(f"  note: {note}")
    staging_root = out_dir / ".staging"
    staging_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f"{edition.quarter.id}-", dir=staging_root))
    try:
        stage_sources(root, stage, edition)
        jobs = jobs or os.cpu_count() or 1
        log(f"Running {len(edition.strategy.strands) + 1} notebooks with papermill ({jobs} at a time)...")
        run_notebooks(root, stage, edition, data_dir, jobs, log=log)
        html, pdf_file = build_book(stage, pdf, log=log)
        target = out_dir / edition.quarter.id
        publish(stage, html, pdf_file, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    log(f"Published {target}/html/index.html" + (f" and {target}/pdf/update.pdf" if pdf else "")
        + f" in {time.perf_counter() - started:.0f} s")
    return target
