"""Build one edition (publication x force x quarter): check inputs, run the notebooks with papermill, assemble the
book, publish atomically.

Notebooks and the book are built in a work folder, ``_build/.work/<publication>/<force>/<quarter>/``, kept between
builds so that only what changed is executed again. ``_build/<publication>/<force>/<quarter>/`` is replaced only
when every step succeeded, so a failed build never destroys the last good one.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from strategy_update.build.book import _write_if_changed
from strategy_update.build.incremental import Job, edition_key
from strategy_update.build.provenance import git_state
from strategy_update.core.errors import BuildError, InputError, ValidationFailed
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.forces import display_name, force_slug, resolve_force
from strategy_update.model.publication import Publication, period_labels

# The steps after the up-to-date check import pandas, papermill and Jupyter Book; an edition that is already up to
# date is recognised without them (see ``build``).

DEFAULT_PUBLICATION = "crime-prevention-2021-25"
STAMP = "published-key.txt"  # in the work folder: the key of the edition last published from it
# The preview publishes its website-only drafts under <out>/.preview/, never over the edition a full build
# published (whose PDF would go, and whose website would no longer match it); the key of the last draft is kept
# apart from the published edition's.
PREVIEW_FOLDER, PREVIEW_STAMP = ".preview", "preview-key.txt"


def project_root() -> Path:
    """The folder holding _config.yml: the current folder or one of its parents."""
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        if (folder / "_config.yml").exists() and (folder / "notebooks").is_dir():
            return folder
    raise BuildError("run this from the project folder (the one with _config.yml and notebooks/)")


# --- which edition ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class EditionSpec:
    """What the command line asked for, resolved: the publication, the force's name and the quarter."""

    paths: InputPaths
    publication: Publication
    force: str
    quarter: Quarter

    @property
    def folder(self) -> Path:
        """``<publication>/<force-slug>/<quarter>``: where the edition is published under the output folder."""
        return Path(self.publication.id) / self.paths.force_slug / self.quarter.id


def known_forces(paths: InputPaths) -> list[str] | None:
    """The forces of the ONS population table; None when it cannot be read (validation then says why)."""
    from strategy_update.inputs.readers import load_population

    try:
        return sorted(set(load_population(paths.population)["force_name"]))
    except InputError:
        return None


def resolve_edition(publication_id: str | None, force: str | None, quarter: str | None, *, data_dir: Path,
                    publications_dir: Path, check_force: bool = True) -> EditionSpec:
    """The edition named on the command line, with defaults from the publication; InputError when unknown.
    ``check_force=False`` skips reading the population table (the up-to-date check only needs the force's slug)."""
    publication_id = publication_id or DEFAULT_PUBLICATION
    draft = InputPaths(data_dir, publications_dir, publication_id, "")
    publication = load_publication(draft)
    name = force or publication.default_force
    forces = known_forces(draft) if check_force else None
    name = resolve_force(name, forces) if forces else name
    try:
        q = parse_quarter(quarter) if quarter else publication.default_quarter
    except QuarterError as exc:
        raise InputError(str(exc), column="--quarter", value=quarter, rule="quarter id") from None
    return EditionSpec(InputPaths(data_dir, publications_dir, publication_id, force_slug(name)), publication, name, q)


def edition_settings(pdf: bool, strict: bool, reviewer: bool) -> dict:
    """The build options that change what is published, so part of the edition's key."""
    return {"pdf": pdf, "strict": strict, "reviewer": reviewer}


def _edition_key(root: Path, spec: EditionSpec, settings: dict) -> str:
    paths = spec.paths
    sources = [paths.data / "raw", paths.recording_changes, paths.publication, paths.force_inputs, root / "notebooks",
               root / "book",
               root / "_static", root / "_config.yml", root / "expectations", Path(__file__).resolve().parents[1]]
    parameters = {"edition": spec.folder.as_posix(), **settings}
    return edition_key(sources, parameters, extra=git_describe(root))


# Read by the pages only, never by the compute stage: an edit to them leaves the results table as it was.
PAGE_ONLY_INPUTS = ("narrative", "board")
# Appendices drawn from the definition and the results table alone (with the code, all in the compute key): a build
# that reuses the results table keeps them as written.
FIGURE_PAGES = ("measures", "demand-profile")


def figure_page_files(work: Path) -> list[Path]:
    """The pages drawn from the definition and the results table alone: the appendices above, the annex and the
    position table. A new results table deletes them (so a build stopped before writing them again cannot leave
    them stale); a build that reuses the table keeps them."""
    from strategy_update.build.book import ANNEX_PAGE, PEER_PAGE

    return [*(work / "appendix" / f"{page}.md" for page in (*FIGURE_PAGES, ANNEX_PAGE)),
            work / "computed" / f"{PEER_PAGE}.md"]


def _compute_key(spec: EditionSpec) -> str:
    """Everything the compute stage can read (every input but the narrative and the board paper, the code and the
    packages): same key as the results table in the work folder, and that table is still right."""
    paths = spec.paths
    force_inputs = [p for p in sorted(paths.force_inputs.iterdir()) if p.name not in PAGE_ONLY_INPUTS] \
        if paths.force_inputs.is_dir() else []
    sources = [paths.data / "raw", paths.recording_changes, paths.data / "reference", paths.publication,
               paths.peer_group, *force_inputs,
               Path(__file__).resolve().parents[1]]
    return edition_key(sources, {"edition": spec.folder.as_posix(), "force": spec.force})


def up_to_date(target: Path, work: Path, key: str, pdf: bool, stamp_name: str = STAMP) -> bool:
    """The edition in ``target`` was published from these inputs, code and settings (its key), whole."""
    stamp = work / stamp_name
    published = (target / "html" / "index.html").exists() and (not pdf or (target / "pdf" / "update.pdf").exists())
    return published and stamp.exists() and stamp.read_text(encoding="utf-8") == key


def forecast_cache(out_dir: Path) -> Path:
    """Each force's forecasts, kept by the content of its series (compute/stage.py): refitted only when it changed."""
    return out_dir / ".work" / "forecasts"


COMPUTE_STAMP = "compute-key.txt"  # in the work folder: the key of the inputs its results table was computed from


def results_current(spec: EditionSpec, work: Path) -> bool:
    """The results table in the work folder was computed from the inputs as they are now."""
    from strategy_update.compute.stage import INPUT_ROWS, RESULTS

    stamp = work / COMPUTE_STAMP
    return (stamp.exists() and stamp.read_text(encoding="utf-8") == _compute_key(spec)
            and all((work / "data" / name).exists() for name in (RESULTS, INPUT_ROWS)))


def write_results_of(spec: EditionSpec, work: Path, results, rows) -> None:
    """The edition's results table and input rows into its work folder, stamped with the inputs' key."""
    from strategy_update.compute.stage import write_edition_results

    (work / COMPUTE_STAMP).unlink(missing_ok=True)
    write_edition_results(results, rows, work / "data")
    (work / COMPUTE_STAMP).write_text(_compute_key(spec), encoding="utf-8")


# --- notebooks -------------------------------------------------------------------------------------
def notebook_jobs(root: Path, work: Path, spec: EditionSpec, pdf: bool = True) -> list[Job]:
    """Every notebook of the edition with the files it reads (for its content hash). Pages read the results
    table and the narrative the build wrote, so a narrative edit runs only that section's page again. ``pdf``: the
    section pages also draw each chart as a picture for print (slow: Chromium); a website-only build skips it."""
    from strategy_update.build.revisions import HISTORY
    from strategy_update.build.templates import write_expanded
    from strategy_update.compute.stage import INPUT_ROWS, RESULTS
    from strategy_update.render.view import BOARD, NARRATIVES

    paths, publication, quarter = spec.paths, spec.publication, spec.quarter
    results = work / "data"
    common = (paths.definition, results / RESULTS, results / INPUT_ROWS)
    base = {"publication": publication.id, "force": spec.force, "quarter": quarter.id,
            "data_dir": str(paths.data), "publications_dir": str(paths.publications), "results_dir": str(work)}
    templates = root / "notebooks"
    summary = write_expanded(templates / "summary.ipynb", publication, work / "templates")
    # A section without narrative gets a page that says so once instead of under every narrative heading.
    parts = len(publication.narrative_parts(spec.force))  # another force's edition: not the owner's areas' parts
    section = {supplied: write_expanded(templates / "section.ipynb", publication, work / "templates", supplied,
                                        parts) for supplied in (True, False)}
    # The front page also reads the force's board paper parts as the build wrote them, so an edit reruns it.
    # ... and the edition's versions (a correction's note is on the front page).
    jobs = [Job("index", summary, "index.ipynb", ".", base, common + (work / BOARD, results / HISTORY))]
    folder = publication.section_folder
    for leaf in publication.leaves:
        narrative = work / NARRATIVES / f"{leaf.id}.json"
        written = narrative.exists() and narrative.read_bytes().strip() != b"{}"  # {}: a template not yet written
        jobs.append(Job(leaf.id, section[written], f"{folder}/{leaf.id}.ipynb", folder,
                        dict(base, section_id=leaf.id, print_charts=pdf), common + (narrative,)))
    return jobs


def write_written_appendices(root: Path, work: Path, spec: EditionSpec, report, keys: dict[str, str],
                             reviewer: bool = False, figures_reused: bool = False) -> None:
    """The appendices, written as Markdown by the build (no kernel): the measures (from the definition), data
    quality (the validation report), back test (the reference figures), provenance (the build's own facts), the
    demand profile, the position among similar forces and the annex of calculations (the PDF prints it in place of
    the website's "How this was calculated" notes), the last three drawn from the results table, read once here.
    ``figures_reused``: the pages drawn from the definition and the results table alone are kept as written."""
    from strategy_update.build.book import ANNEX_PAGE, PEER_PAGE, READINESS_PAGE, WEB_ONLY_APPENDICES
    from strategy_update.build.provenance import render_markdown as provenance_page
    from strategy_update.build.revisions import read_history
    from strategy_update.compute.stage import INPUT_ROWS, RESULTS
    from strategy_update.render.annex import render_markdown as annex_page
    from strategy_update.render.backtest_page import render_markdown as backtest_page
    from strategy_update.render.data_quality import published_figure_lines
    from strategy_update.render.data_quality import render_markdown as data_quality_page
    from strategy_update.render.demand_page import render_markdown as demand_page
    from strategy_update.render.measures_page import render_markdown as measures_page
    from strategy_update.render.peer_page import render_markdown as peer_page
    from strategy_update.render.readiness import page as readiness_page
    from strategy_update.render.spreadsheet import write_spreadsheet
    from strategy_update.render.view import EditionView, read_page_tables

    publication = spec.publication
    results, rows = read_page_tables(work)
    figure_lines = published_figure_lines(results, spec.force, {leaf.id: leaf.name for leaf in publication.leaves},
                                          only={(f.file or "", f.line) for f in report.warnings if f.line is not None})
    shown = set(publication.appendices) | set(publication.shared_pages)
    web_only = [what for page, what in WEB_ONLY_APPENDICES.items() if page in shown]
    appendix = work / "appendix"
    pages = {appendix / "measures.md": lambda: "# Measures\n\n" + measures_page(publication),
             appendix / "data-quality.md": lambda: "# Data quality\n\n" + data_quality_page(
                 report, figure_lines, publication.section_folder),
             appendix / "backtest.md": lambda: "# Back test against the last hand-made report\n\n" + backtest_page(
                 spec.paths, publication.owner_force),
             appendix / "demand-profile.md": lambda: "# Demand profile\n\n" + demand_page(
                 publication, results, spec.force),
             appendix / "provenance.md": lambda: "# Provenance\n\n" + provenance_page(
                 spec.quarter.id, spec.paths, root, {"publication": publication.id, "force": spec.force,
                                                     "quarter": spec.quarter.id}, keys,
                 [work / "data" / RESULTS, work / "data" / INPUT_ROWS])}
    pages = {path: write for path, write in pages.items() if path.stem in publication.appendices}
    pages[appendix / f"{ANNEX_PAGE}.md"] = lambda: annex_page(
        EditionView(publication, spec.force, spec.quarter, spec.paths, results, rows, {}), web_only)
    if publication.peer_group_label:
        pages[work / "computed" / f"{PEER_PAGE}.md"] = lambda: ("# Position among similar forces\n\n"
                                                               + peer_page(publication, results, spec.force,
                                                                           printed_position_table(spec)))
    kept = {path for path in figure_page_files(work) if figures_reused and path.exists()}
    for path, write in pages.items():
        if path not in kept:
            _write_if_changed(path, write().encode())
    write_spreadsheet(work, publication, spec.force, spec.quarter, results, read_history(work / "data"))
    readiness = appendix / f"{READINESS_PAGE}.md"
    if reviewer:  # the quarter's inputs section by section, as `strategy-update check` reports them
        _write_if_changed(readiness, readiness_page(report, spec).encode())
    else:
        readiness.unlink(missing_ok=True)


def printed_position_table(spec: EditionSpec):
    """(the position table the owner's hand-made update printed for this edition's quarter, the update's name), or
    None: another quarter, another force, or no printed table (``reference.peer_table_quarter``)."""
    from strategy_update.compute.backtest import PEER_POSITION_COLUMNS, PEER_POSITIONS
    from strategy_update.inputs.readers import read_table

    publication, facts = spec.publication, spec.publication.reference
    path = spec.paths.reference / PEER_POSITIONS
    if (str(facts.get("peer_table_quarter", "")) != spec.quarter.id or spec.force != publication.owner_force
            or not path.exists()):
        return None
    printed = read_table(path, PEER_POSITION_COLUMNS)
    document = str(printed["document"].iloc[0]) if len(printed) else ""
    return printed, str((facts.get("documents") or {}).get(document, document))


def git_describe(root: Path) -> str:
    """Commit and clean flag: the provenance page shows them, so they are part of its key."""
    return git_state(root)["description"]


def prepare_pages(root: Path, work: Path, spec: EditionSpec, narratives: dict, board: dict | None,
                  reviewer: bool, pdf: bool = True) -> list[Job]:
    """The edition's book sources and notebook jobs in its work folder, once its results table is there."""
    from strategy_update.build.book import sync_sources
    from strategy_update.render.view import write_board, write_narratives

    write_narratives(work, narratives)
    write_board(work, board)
    title = f"{spec.publication.edition_title(spec.force)}: {spec.quarter.short_label} update"
    owner = spec.force == spec.publication.owner_force
    sync_sources(root, work, spec.publication, title,
                 f"{spec.publication.organisation if owner else display_name(spec.force)}; "
                 "generated by strategy-update",
                 reviewer=reviewer, labels=period_labels(spec.quarter, spec.force),
                 whose=spec.publication.whose_aims(spec.force))
    return notebook_jobs(root, work, spec, pdf)


def finish_edition(root: Path, work: Path, spec: EditionSpec, report, keys: dict[str, str], notebooks: list[Job],
                   target: Path, key: str, *, pdf: bool, reviewer: bool, figures_reused: bool = False,
                   warm_book=None, gate=None, stamp_name: str = STAMP, draft: bool = False, log=print) -> list[int]:
    """After the notebooks: the written appendices, the book (website, and PDF with ``pdf``), and publishing into
    ``target`` with the edition's key stamped. Returns the signals that arrived while publishing (held till done).
    ``figures_reused``: the results table is the one the work folder's pages were written from. ``warm_book``: a
    ``warm_book.WarmBook`` to build the book in. ``gate``: build-all's ``publish.PublishGate``, closed when the run
    is stopped (the edition is then not published). ``draft``: the preview's, never a published edition's
    version (``build/revisions.py``)."""
    from strategy_update.build import interrupt
    from strategy_update.build.book import build_book, check_pdf
    from strategy_update.build.publish import publish

    write_written_appendices(root, work, spec, report, keys, reviewer, figures_reused)
    html, pdf_file = build_book(work, pdf, log=log, warm=warm_book)
    if pdf_file is not None:  # the PDF must say what the website says, laid out by the print rules
        check_pdf(work, html, pdf_file)
    # Ctrl-C or SIGTERM while the edition is moved into place wait until it is there whole (and stamped).
    with interrupt.signals_held() as arrived, (gate.passing() if gate else contextlib.nullcontext(True)) as open_:
        if not open_:
            raise BuildError("not published: the run was stopped")
        publish(work, html, pdf_file, notebooks, target, draft=draft)
        (work / stamp_name).write_text(key, encoding="utf-8")
        interrupt.published_so_far(published=True)  # a stop from now on says it is published
    return arrived


# --- the build -------------------------------------------------------------------------------------
def build(publication: str | None = None, force: str | None = None, quarter: str | None = None, *,
          data_dir: Path | None = None, publications_dir: Path | None = None, out_dir: Path | None = None,
          pdf: bool = True, jobs: int | None = None, strict: bool = False, rerun: bool = False,
          reviewer: bool = False, notebook_pool=None, warm_book=None, preview: bool = False,
          correction: str | None = None, log=print) -> Path:
    """``reviewer``: the reviewer's edition, with code toggles and notebook downloads (the public one has none).
    ``notebook_pool``: warm notebook workers to use (``executor.notebook_workers``; the preview keeps one), and
    ``warm_book`` a warm Jupyter Book (``warm_book.WarmBook``; the preview keeps one too). ``preview``: a draft,
    published under ``<out>/.preview/`` (PREVIEW_FOLDER) and never over the published edition. Returns the
    folder it published. ``correction``: why the published edition's figures change (``build/revisions.py``: a
    republish whose figures moved is refused without one)."""
    from strategy_update.build import interrupt

    interrupt.published_so_far()  # nothing yet
    root = project_root()
    data_dir = (data_dir or root / "data").resolve()
    publications_dir = (publications_dir or root / "publications").resolve()
    out_dir = (out_dir or root / "_build").resolve()
    started = time.perf_counter()
    light = resolve_edition(publication, force, quarter, data_dir=data_dir, publications_dir=publications_dir,
                            check_force=False)
    published_under = out_dir / PREVIEW_FOLDER if preview else out_dir
    stamp_name = PREVIEW_STAMP if preview else STAMP
    target, work = published_under / light.folder, out_dir / ".work" / light.folder
    key = _edition_key(root, light, edition_settings(pdf, strict, reviewer))
    stamp = work / stamp_name
    if not rerun and up_to_date(target, work, key, pdf, stamp_name):
        log(f"Up to date: {target} (inputs, templates, code and packages unchanged since it was published)"
            + ("; nothing changed, so no correction was published" if correction is not None else ""))
        return target
    from strategy_update.build.executor import notebook_workers, run_notebooks, warm_workers
    from strategy_update.build.revisions import prepare as prepare_revisions
    from strategy_update.compute.stage import compute_edition, measure_by_measure
    from strategy_update.inputs.readers import read_edition_inputs, read_page_inputs
    from strategy_update.inputs.readiness import NOT_YET_WRITTEN_RULE
    from strategy_update.inputs.validate import validate_inputs

    spec = resolve_edition(publication, force, quarter, data_dir=data_dir, publications_dir=publications_dir)
    if spec.folder != light.folder:  # e.g. "devon & cornwall" resolved to "Devon and Cornwall"
        target, work = published_under / spec.folder, out_dir / ".work" / spec.folder
        key, stamp = _edition_key(root, spec, edition_settings(pdf, strict, reviewer)), work / stamp_name
    workers = jobs or os.cpu_count() or 1
    with contextlib.ExitStack() as stack:
        pool = notebook_pool or stack.enter_context(notebook_workers(workers))
        # Validate first: nothing is computed, executed or published when an input breaks a critical rule.
        log(f"Checking inputs (Great Expectations) for {spec.folder.as_posix()}...")
        report = validate_inputs(spec.paths, spec.force, spec.quarter.id, strict=strict)
        log(f"  {report.summary_line()}")
        for unwritten in (f for f in report.warnings if f.rule and f.rule.startswith(NOT_YET_WRITTEN_RULE)):
            log(f"  Not yet written (counted as not supplied; its page says so): {unwritten.file}")
        if report.critical:
            raise ValidationFailed(report)
        log(f"Edition: {spec.publication.edition_title(spec.force)}, {spec.quarter.label}")
        # The work folder persists between builds, so unchanged notebooks and pages are reused.
        work.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)  # a build that fails half-way is never taken for up to date
        warm_workers(pool, workers, work)  # their kernels start while this process reads and computes
        # Compute once: every figure into the results table; the pages only render from it. A narrative edit (the
        # preview's usual change) leaves the figures as they were: the data inputs are not read, the compute stage
        # is skipped, and the pages drawn from the figures alone are kept.
        figures_reused = not rerun and results_current(spec, work)
        if figures_reused:
            log("Figures: no data input changed since the last build; its results table is reused")
            narratives, board = read_page_inputs(spec.paths, spec.publication, spec.quarter)
        else:
            inputs = read_edition_inputs(spec.paths, spec.publication, spec.force, spec.quarter)
            results, rows = compute_edition(spec.publication, spec.force, spec.quarter, crime=inputs.crime,
                                            population=inputs.population, tracker=inputs.tracker,
                                            extracts=inputs.extracts, peer_group=inputs.peer_group,
                                            workforce=inputs.workforce, recording_changes=inputs.recording_changes,
                                            profile_cache=forecast_cache(out_dir),
                                            map_series=measure_by_measure(pool.submit))
            write_results_of(spec, work, results, rows)
            for page in figure_page_files(work):
                page.unlink(missing_ok=True)
            narratives, board = inputs.narratives, inputs.board
        # The edition's versions: a republish whose figures moved is refused here without a correction's reason.
        prepare_revisions(work, out_dir / spec.folder, correction, date.today(), draft=preview)
        notebook_list = prepare_pages(root, work, spec, narratives, board, reviewer, pdf)
        _, keys = run_notebooks(notebook_list, work, workers, force=rerun, log=log, pool=pool)
    arrived = finish_edition(root, work, spec, report, keys, notebook_list, target, key, pdf=pdf, reviewer=reviewer,
                             figures_reused=figures_reused, warm_book=warm_book, stamp_name=stamp_name,
                             draft=preview, log=log)
    log(f"{'Preview built' if preview else 'Published'} {target}/html/index.html"
        + (f" and {target}/pdf/update.pdf" if pdf else "") + f" in {time.perf_counter() - started:.0f} s")
    if arrived:
        raise interrupt.Interrupted(arrived[0], published=True)
    return target
