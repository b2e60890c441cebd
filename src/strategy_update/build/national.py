"""The national edition: one edition per force of a publication, built in one run on Dask distributed, and a national
index of them all (``strategy-update build-all``).

The run, from the driver (this process):

1. which editions: every force asked for; an edition already published from the same inputs, code and settings is
   up to date and is not built again (the same key as ``build``);
2. check the inputs: Great Expectations, as tasks on the workers; a force whose inputs break a critical rule fails
   alone. Meanwhile this process reads the open data, which is used only once it has passed. The checks and the
   reading use one copy of the inputs, taken before the checks (``snapshot_inputs``): a file saved meanwhile cannot
   be read unchecked, nor stop the run; a force whose inputs cannot be read fails alone;
3. compute once: the results of every force that needs them are computed together
   (``compute_editions``; the forecasts, the slow part, as one task per force) and each edition's table is written
   to its work folder, where its notebooks read it;
4. pages: each notebook whose inputs changed is a task, run in the worker's own kernel (one per worker, kept warm
   from notebook to notebook, with its Chromium for the chart images: ``NotebookKernels``); when an edition's
   notebooks are done its book build is a task too (website, and PDF unless ``--no-pdf``), which publishes the edition
   atomically, as ``build`` does;
5. the national index (``build_national_book``) and the list of every edition under the output folder
   (``write_site_index``).

A task that fails fails its edition only: the others go on, the national index lists it with the reason, and the
exit code says so. A worker that dies has its tasks run again on another (Dask's ``allowed-failures``). A rerun
rebuilds only what failed or changed (edition keys, the results' input keys and the notebooks' content keys).
Stopped (Ctrl-C, SIGTERM), the run closes its publishing gate (``publish.PublishGate``): a book task still running
publishes nothing, and the stop names the editions published before it.

The work runs on a ``LocalCluster`` sized to the machine, or on any Dask cluster (``--scheduler tcp://HOST:PORT``)
whose workers have this project installed and see the same data and output folders (a shared file system). The local
cluster's workers are forked from one process that has imported what their tasks need (``start_worker_forkserver``).
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path

from distributed.diagnostics.plugin import WorkerPlugin

from strategy_update.build.executor import NotebookPlan, execute_job, last_line, plan_notebooks, stop_worker_kernel
from strategy_update.build.incremental import Job, edition_key
from strategy_update.build.interrupt import (
    Interrupted,
    children_ignore_ctrl_c,
    published_so_far,
    raise_interrupted,
    signals_held,
)
from strategy_update.build.pipeline import (
    STAMP,
    EditionSpec,
    _edition_key,
    edition_settings,
    finish_edition,
    forecast_cache,
    prepare_pages,
    project_root,
    resolve_edition,
    results_current,
    up_to_date,
    write_results_of,
)
from strategy_update.build.publish import PublishGate
from strategy_update.build.snapshot import snapshot_inputs
from strategy_update.build.sweep import REPORT_HTML, SWEEP_FOLDER
from strategy_update.core.errors import BuildError, InputError

NATIONAL = "national"  # <out>/<publication>/national/<quarter>/: the national index (no force has this slug)
RUN_FOLDER = ".build-all"  # <out>/.work/<publication>/.build-all/<quarter>/: a run's copy of its inputs and its gate
# The statuses of an edition in a run, as the national index shows them.
PUBLISHED, UP_TO_DATE, FAILED = "published", "up to date", "failed"


# --- the workers -------------------------------------------------------------------------------------------------
class NotebookKernels(WorkerPlugin):
    """Each worker runs its notebooks in one Jupyter kernel, started at its first notebook and kept warm (with the
    headless Chromium it starts for chart images), and its books in one warm Jupyter Book (``warm_book.WarmBook``,
    started with the worker: it imports Jupyter Book while the first notebooks run). Both are shut down cleanly
    when the worker closes; if the worker is killed, the warm book exits when its pipe to the worker closes."""

    name = "strategy-update-notebook-kernels"

    def setup(self, worker) -> None:
        from strategy_update.build.warm_book import WarmBook

        _worker_book["book"] = WarmBook()

    def teardown(self, worker) -> None:
        # The kernel's client runs its own event loop: not in the worker's, which is running this. It stops while
        # the book does.
        stopping = threading.Thread(target=stop_worker_kernel, name="stop-kernel")
        stopping.start()
        book = _worker_book.pop("book", None)
        if book is not None:
            book.close()
        stopping.join(timeout=15)


_worker_book: dict = {}  # in a worker process: its warm Jupyter Book (NotebookKernels)

# What the local cluster's processes need not do: Dask's statistical profiler samples every worker's threads each
# 10 ms, and its system monitor reads memory, CPU, disk and network twice a second. Together with the memory check
# every 0.1 s, py-spy found them in about 7% of a build's CPU time (six forces, one worker). A worker still checks
# its memory, once a second.
LOCAL_CLUSTER_CONFIG = {"distributed.worker.profile.enabled": False,
                        "distributed.admin.system-monitor.interval": "2s",
                        "distributed.admin.system-monitor.disk": False,
                        "distributed.worker.memory.monitor-interval": "1s",
                        "distributed.worker.multiprocessing-method": "forkserver"}
# What every worker imports for its tasks (Great Expectations alone takes seconds): imported once, by the process
# the local cluster's workers are forked from (``start_worker_forkserver``), instead of once by each worker.
WORKER_MODULES = ("distributed", "pandas", "great_expectations", "strategy_update.build.national",
                  "strategy_update.inputs.validate", "strategy_update.inputs.expectations",
                  "strategy_update.compute.forecast", "strategy_update.compute.ets_likelihood",
                  "strategy_update.build.pipeline", "strategy_update.build.executor")


def start_worker_forkserver() -> None:
    """Start the process the local cluster's workers will be forked from, importing WORKER_MODULES, now: it loads
    them while this process starts the cluster. It and its workers ignore Ctrl-C: the build closes the cluster
    when it is interrupted, and a worker that stopped by itself would print a traceback."""
    from multiprocessing import forkserver

    import dask
    from distributed.utils import get_mp_context

    with dask.config.set(LOCAL_CLUSTER_CONFIG):
        context = get_mp_context()  # the workers' start method; Dask sets its own preload list once, here
    context.set_forkserver_preload(list(WORKER_MODULES))  # so ours, set after it, stays
    with children_ignore_ctrl_c():
        forkserver.ensure_running()


LOCAL_HOST = "127.0.0.1"  # the local cluster's scheduler and workers: this machine only
DEFAULT_DASHBOARD = f"{LOCAL_HOST}:8787"  # its dashboard, unless --dashboard names another address


@contextmanager
def dask_client(scheduler: str | None, workers: int | None, log=print, dashboard: str = DEFAULT_DASHBOARD):
    """A Dask client: on the cluster at ``scheduler``, or on a LocalCluster of ``workers`` single-threaded worker
    processes (default: one per core) listening on this machine only, its dashboard at ``dashboard`` (Dask's own
    default is every interface). Notebooks need a kernel each, so a worker runs one task at a time."""
    import dask
    from distributed import Client, LocalCluster

    cluster, arrived = None, []
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise BuildError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
    else:
        start_worker_forkserver()
        # A cluster stopped half-started leaves its nannies failing, each with a traceback: Ctrl-C or SIGTERM waits
        # the seconds it takes to start, and then closes it. The workers take the settings they start with.
        with signals_held() as arrived, dask.config.set(LOCAL_CLUSTER_CONFIG):
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                                   host=LOCAL_HOST, dashboard_address=dashboard, silence_logs=logging.ERROR)
            client = Client(cluster)
    try:
        if arrived:
            raise_interrupted(arrived[0])
        client.register_plugin(NotebookKernels())
        count = len(client.scheduler_info(n_workers=-1)["workers"])
        where = f"the cluster at {scheduler}" if scheduler else "this machine"
        log(f"Dask: {count} worker{'s' if count != 1 else ''} on {where}"
            + (f"; dashboard {client.dashboard_link}" if _has_dashboard(client) else ""))
        yield client
    finally:
        with dask_logs_quiet():
            client.close()
            if cluster is not None:
                cluster.close()


@contextmanager
def dask_logs_quiet():
    """Dask's own loggers say nothing while a cluster closes. A worker that exits while the cluster closes can leave
    its nanny still closing when the cluster's event loop stops, and the nanny logs that cut-short close with a
    traceback (seen in CI, after an interrupted build had stopped and said so). A close that really fails still
    raises, and ``_closing`` reports it in a line."""
    loggers = [each for name, each in logging.root.manager.loggerDict.items()
               if isinstance(each, logging.Logger) and name.split(".")[0] == "distributed"]
    was = [each.disabled for each in loggers]
    for each in loggers:
        each.disabled = True
    try:
        yield
    finally:
        for each, disabled in zip(loggers, was):
            each.disabled = disabled


def _closing(cluster: ExitStack, log) -> threading.Thread:
    """Close ``cluster`` (a ``dask_client`` entered on it) in a thread of its own, started; join it."""
    def close() -> None:
        try:
            cluster.close()
        except Exception as exc:  # the build is done: a worker slow to stop is worth a line, not a traceback
            log(f"Dask: the workers did not all stop cleanly: {last_line(exc)}")
    thread = threading.Thread(target=close, name="close-cluster")
    thread.start()
    return thread


def _has_dashboard(client) -> bool:
    try:
        return bool(client.scheduler_info().get("services", {}).get("dashboard"))
    except Exception:  # an older scheduler: no dashboard to name
        return False


# --- one edition in the run --------------------------------------------------------------------------------------
@dataclass
class EditionRun:
    """One force's edition in this run: where it goes and how far it got."""

    spec: EditionSpec
    target: Path
    work: Path
    key: str
    status: str = ""
    message: str = ""
    report: object = None  # its ValidationReport
    inputs: object = None  # its own inputs (readers.ForceInputs), read once after they were checked
    plan: NotebookPlan | None = None
    running: set[str] = field(default_factory=set)  # notebooks still running
    snapshot: object = None  # the InputPaths of the copy of its inputs this run checks and reads (snapshot_inputs)

    @property
    def read_from(self) -> EditionSpec:
        """The edition, its inputs taken from this run's copy of them: what is checked is what is read."""
        return replace(self.spec, paths=self.snapshot) if self.snapshot is not None else self.spec

    def fail(self, why: str) -> None:
        self.status, self.message = FAILED, why


def _runs(publication: str | None, forces: list[str], quarter: str | None, settings: dict, *, root: Path,
          data_dir: Path, publications_dir: Path, out_dir: Path) -> list[EditionRun]:
    runs = []
    for force in forces:
        spec = resolve_edition(publication, force, quarter, data_dir=data_dir, publications_dir=publications_dir,
                               check_force=False)  # the names are resolved already (forces_asked)
        runs.append(EditionRun(spec, out_dir / spec.folder, out_dir / ".work" / spec.folder,
                               _edition_key(root, spec, settings)))
    return runs


def forces_asked(text: str | list[str] | None, known: list[str]) -> list[str]:
    """``all`` (or nothing): every force; else names or slugs separated by commas, each resolved or refused. A name
    may hold a comma itself ("London, City of"): the longest run of pieces that names a force is taken. A list
    names one force per item."""
    from strategy_update.model.forces import force_slug, resolve_force

    if isinstance(text, list):
        return list(dict.fromkeys(resolve_force(name, known) for name in text))
    if not text or text.strip().lower() == "all":
        return list(known)
    pieces = [piece.strip() for piece in text.split(",") if piece.strip()]
    if not pieces:
        raise InputError("--forces names no force: give 'all' or names separated by commas", column="--forces",
                         value=text, rule="force names")
    slugs = {force_slug(name) for name in known}
    resolved, start = [], 0
    while start < len(pieces):
        end = next((stop for stop in range(len(pieces), start + 1, -1)
                    if force_slug(", ".join(pieces[start:stop])) in slugs), start + 1)
        resolved.append(resolve_force(", ".join(pieces[start:end]), known))
        start = end
    return list(dict.fromkeys(resolved))  # each once, in the order given


# --- the stages ---------------------------------------------------------------------------------------------------
def validate_forces(paths: list, forces: list[str], quarter: str, strict: bool) -> dict:
    """Task: the validation reports of some forces (the shared inputs checked once for them all)."""
    from strategy_update.inputs.validate import validate_editions

    return validate_editions(dict(zip(forces, paths)), forces, quarter, strict=strict)


def _check_inputs(client, runs: list[EditionRun], strict: bool, log) -> None:
    workers = max(1, len(client.scheduler_info(n_workers=-1)["workers"]))
    chunks = [runs[i::workers] for i in range(workers)]
    futures = [client.submit(validate_forces, [r.read_from.paths for r in chunk], [r.spec.force for r in chunk],
                             chunk[0].spec.quarter.id, strict, pure=False) for chunk in chunks if chunk]
    for chunk, future in zip([c for c in chunks if c], futures):
        try:
            reports = future.result()
        except Exception as exc:  # a worker lost three times, say: these editions cannot be checked
            for run in chunk:
                run.fail(f"its inputs could not be checked: {last_line(exc)}")
            continue
        for run in chunk:
            run.report = reports[run.spec.force]
            if run.report.critical:
                first = run.report.critical[0]
                more = len(run.report.critical) - 1
                run.fail(f"input check: {first}" + (f" (and {more} more critical problems)"
                                                             if more else ""))
    failed = [r for r in runs if r.status == FAILED]
    log(f"Inputs checked: {len(runs) - len(failed)} of {len(runs)} editions ready"
        + (f"; refused: {', '.join(r.spec.force for r in failed)}" if failed else ""))


def _compute(client, stale: list[EditionRun], open_data, out_dir: Path, log) -> None:
    """The results of the editions whose inputs changed (``stale``), computed together, each written to its work
    folder. ``open_data``: the future of the open data, read while the inputs were checked."""
    from distributed import Future

    from strategy_update.compute.stage import compute_editions, edition_tables

    if not stale:
        log("Figures: no data input changed; every edition's results table is reused")
        return
    started = time.perf_counter()
    first = stale[0].spec
    shared = open_data.result()
    own = {r.spec.force: r.inputs for r in stale}

    def dask_map(function, frames):  # the forecasts of each force on the workers, waited for when taken
        return map(Future.result, client.map(function, list(frames), pure=False))

    results, rows = compute_editions(
        first.publication, [r.spec.force for r in stale], first.quarter, crime=shared.crime,
        population=shared.population, workforce=shared.workforce, recording_changes=shared.recording_changes,
        trackers={f: i.tracker for f, i in own.items()}, extracts={f: i.extracts for f, i in own.items()},
        peer_groups={f: i.peer_group for f, i in own.items()}, map_series=dask_map,
        profile_cache=forecast_cache(out_dir))
    for run in stale:
        run.work.mkdir(parents=True, exist_ok=True)
        write_results_of(run.spec, run.work, *edition_tables(results, rows, run.spec.force))
    log(f"Figures: computed for {len(stale)} edition{'s' if len(stale) != 1 else ''} at once in "
        f"{time.perf_counter() - started:.0f} s")


def finish_task(root: Path, work: Path, spec: EditionSpec, report, keys: dict, notebooks: list[Job], target: Path,
                key: str, pdf: bool, reviewer: bool, gate: PublishGate | None = None) -> float:
    """Task: an edition's book (website, PDF) built and published (while ``gate`` is open). Returns its seconds."""
    started = time.perf_counter()
    finish_edition(root, work, spec, report, keys, notebooks, target, key, pdf=pdf, reviewer=reviewer,
                   warm_book=_worker_book.get("book"), gate=gate, log=lambda *_: None)
    return time.perf_counter() - started


class Progress:
    """Editions and notebooks done, failed and to go, as one line each time an edition ends (and a bar on a
    terminal)."""

    def __init__(self, runs: list[EditionRun], notebooks: int, log):
        import sys

        from tqdm import tqdm

        self.runs, self.log = runs, log
        self.notebooks = {"done": 0, "failed": 0, "total": notebooks}
        self.bar = tqdm(total=notebooks, unit="notebook", desc="  notebooks", file=sys.stderr, disable=None,
                        dynamic_ncols=True)

    def notebook(self, failed: bool = False) -> None:
        self.notebooks["failed" if failed else "done"] += 1
        self.bar.update()

    def edition(self, run: EditionRun) -> None:
        counts = {status: sum(r.status == status for r in self.runs) for status in (PUBLISHED, UP_TO_DATE, FAILED)}
        to_go = len(self.runs) - sum(counts.values())
        n = self.notebooks
        line = (f"  {run.spec.force}: {run.status}{': ' + run.message if run.message else ''} | editions "
                f"{counts[PUBLISHED] + counts[UP_TO_DATE]} done, {counts[FAILED]} failed, {to_go} to go | "
                f"notebooks {n['done']} done, {n['failed']} failed, {n['total'] - n['done'] - n['failed']} to go")
        if self.bar.disable:
            self.log(line)
        else:
            self.bar.write(line)

    def close(self) -> None:
        self.bar.close()


def task_key(kind: str, *names: str) -> tuple:
    """A task's key, first its kind ("notebook", "book"). Dask groups tasks by the key's first part and learns how
    long a group's tasks take, to share them out between the workers: keys that began with the force's and the
    notebook's names made each task a group of its own, whose time the scheduler could only guess, and it queued
    the last editions' books on one worker while the other had nothing to do. The time makes a rerun's keys new."""
    return (kind, *names, time.time_ns())


def _pages(client, root: Path, runs: list[EditionRun], *, pdf: bool, reviewer: bool, rerun: bool, log,
           gate: PublishGate | None = None) -> None:
    """Every edition's notebooks, then its book, as tasks; an edition ends published or failed."""
    from distributed import as_completed

    todo = [r for r in runs if not r.status]
    for run in todo:
        jobs = prepare_pages(root, run.work, run.spec, run.inputs.narratives, run.inputs.board, reviewer,
                             pdf)
        (run.work / STAMP).unlink(missing_ok=True)  # a run that stops half-way is not up to date
        run.plan = plan_notebooks(jobs, run.work, force=rerun)
    progress = Progress(runs, sum(len(r.plan.to_run) for r in todo), log)
    futures = as_completed()
    owner: dict[str, tuple[EditionRun, Job | None]] = {}
    submitted: list = []

    def submit_book(run: EditionRun) -> None:
        future = client.submit(finish_task, root, run.work, run.read_from, run.report, run.plan.keys, run.plan.jobs,
                               run.target, run.key, pdf, reviewer, gate, priority=1,  # before further notebooks:
                               key=task_key("book", run.spec.paths.force_slug))  # editions finish as they go
        owner[future.key] = (run, None)
        submitted.append(future)
        futures.add(future)

    for run in todo:
        if not run.plan.to_run:
            submit_book(run)
        for job in run.plan.to_run:
            future = client.submit(execute_job, job, run.work,
                                   key=task_key("notebook", run.spec.paths.force_slug, job.name))
            owner[future.key] = (run, job)
            run.running.add(job.name)
            submitted.append(future)
            futures.add(future)
    try:
        for future in futures:
            run, job = owner.pop(future.key)
            error = future.exception() if future.status == "error" else None
            if job is None:  # the edition's book
                if error is None:
                    run.status = PUBLISHED
                    published_so_far(editions=[r.spec.force for r in runs if r.status == PUBLISHED])
                else:
                    run.fail(f"book build failed: {last_line(error)}")
                progress.edition(run)
                continue
            run.running.discard(job.name)
            progress.notebook(failed=error is not None)
            if error is None:
                run.plan.done(job)  # kept even when the edition failed: the next run need not execute it again
            if run.status == FAILED:
                continue
            if error is not None:
                run.fail(f"notebook '{job.name}' failed: {last_line(error)}")
                progress.edition(run)
            elif not run.running:
                submit_book(run)
    except BaseException:  # Ctrl-C, SIGTERM: nothing more is started; the cluster is closed on the way out
        client.cancel(submitted)
        raise
    finally:
        progress.close()


# --- the national index ------------------------------------------------------------------------------------------
def _national_results(runs: list[EditionRun]):
    import pandas as pd

    from strategy_update.compute.results import read_results
    from strategy_update.compute.stage import RESULTS

    tables = [read_results(r.target / "data" / RESULTS) for r in runs
              if r.status in (PUBLISHED, UP_TO_DATE) and (r.target / "data" / RESULTS).exists()]
    return pd.concat(tables, ignore_index=True) if tables else pd.DataFrame()


def _entries(runs: list[EditionRun], out_dir: Path) -> list:
    from strategy_update.build.revisions import read_history
    from strategy_update.render.national_page import EditionEntry

    def link(run: EditionRun) -> str | None:  # a failed edition's last good one is still there: link it
        page = run.target / "html" / "index.html"
        return page.relative_to(out_dir).as_posix() if page.exists() else None

    return [EditionEntry(r.spec.force, r.spec.paths.force_slug, r.status, link(r), r.message,
                         tuple(read_history(r.target / "data")[1:])) for r in runs]


def build_national_index(root: Path, runs: list[EditionRun], out_dir: Path, log=print) -> Path:
    """The national index of this run's editions (rebuilt only when an edition or its figures changed) and the
    list of every edition under the output folder."""
    from strategy_update.build.national_book import build_national_book
    from strategy_update.compute.stage import RESULTS
    from strategy_update.render.site_index import write_site_index

    spec = runs[0].spec
    folder = Path(spec.publication.id) / NATIONAL / spec.quarter.id
    target, work = out_dir / folder, out_dir / ".work" / folder
    entries = _entries(runs, out_dir)
    sweep = (out_dir / SWEEP_FOLDER / REPORT_HTML).exists()  # a sweep's report, linked when there is one
    key = edition_key([r.target / "data" / RESULTS for r in runs if r.status in (PUBLISHED, UP_TO_DATE)]
                      + [root / "_config.yml", root / "_static", Path(__file__).resolve().parents[1]],
                      {"entries": [(e.force, e.link, e.built, e.message, [v.number for v in e.revisions])
                                   for e in entries], "sweep": sweep})
    stamp = work / STAMP
    index = target / "html" / "index.html"
    if index.exists() and stamp.exists() and stamp.read_text(encoding="utf-8") == key:
        log(f"National index up to date: {index}")
    else:
        work.mkdir(parents=True, exist_ok=True)
        stamp.unlink(missing_ok=True)
        log("Building the national index (Jupyter Book)...")
        index = build_national_book(root, work, spec.publication, spec.quarter, _national_results(runs), entries,
                                    target, data_dir=spec.paths.data, log=log, sweep_report=sweep)
        stamp.write_text(key, encoding="utf-8")
    write_site_index(out_dir)
    return index


# --- the run -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class NationalRun:
    """What ``build_all`` did: every edition's status and the national index."""

    editions: list[EditionRun]
    index: Path

    @property
    def failed(self) -> list[EditionRun]:
        return [r for r in self.editions if r.status == FAILED]


def build_all(publication: str | None, quarter: str | None, forces: str | list[str] | None = "all", *,
              data_dir: Path | None = None, publications_dir: Path | None = None, out_dir: Path | None = None,
              pdf: bool = True, scheduler: str | None = None, workers: int | None = None, strict: bool = False,
              rerun: bool = False, reviewer: bool = False, dashboard: str = DEFAULT_DASHBOARD,
              correction: str | None = None, log=print, client=None) -> NationalRun:
    """Build the publication's edition for every force asked for, and the national index (module docstring).
    ``client``: a Dask client to run on, kept open afterwards (the sweep's, shared by its runs); without one the run
    starts its own cluster and closes it."""
    from strategy_update.build.pipeline import known_forces
    from strategy_update.inputs.paths import InputPaths

    published_so_far(editions=[])  # a stop from now on names what was published: nothing yet
    root = project_root()
    data_dir = (data_dir or root / "data").resolve()
    publications_dir = (publications_dir or root / "publications").resolve()
    out_dir = (out_dir or root / "_build").resolve()
    started = time.perf_counter()
    known = known_forces(InputPaths(data_dir, publications_dir, publication or "", ""))
    if not known:
        raise InputError("the list of forces (the ONS population table in data/raw/ons/) cannot be read: run "
                         "`strategy-update validate` to see why", rule="population table")
    names = forces_asked(forces, known)
    runs = _runs(publication, names, quarter, edition_settings(pdf, strict, reviewer), root=root,
                 data_dir=data_dir, publications_dir=publications_dir, out_dir=out_dir)
    spec = runs[0].spec
    log(f"National edition: {spec.publication.short_title}, {spec.quarter.label}: {len(runs)} force"
        f"{'s' if len(runs) != 1 else ''}")
    for run in runs:
        if not rerun and up_to_date(run.target, run.work, run.key, pdf):
            run.status = UP_TO_DATE
    todo = [r for r in runs if not r.status]
    log(f"  {len(runs) - len(todo)} up to date, {len(todo)} to build")
    if todo:
        index = _build_editions(root, runs, todo, data_dir, out_dir, pdf=pdf, scheduler=scheduler, workers=workers,
                                strict=strict, rerun=rerun, reviewer=reviewer, dashboard=dashboard,
                                correction=correction, log=log, client=client)
    else:
        index = build_national_index(root, runs, out_dir, log=log)
    outcome = NationalRun(runs, index)
    published_so_far(editions=[r.spec.force for r in runs if r.status == PUBLISHED])
    done = len(runs) - len(outcome.failed)
    log(f"National edition: {done} of {len(runs)} editions published or up to date"
        + (f", {len(outcome.failed)} failed ({', '.join(r.spec.force for r in outcome.failed)})"
           if outcome.failed else "") + f", in {time.perf_counter() - started:.0f} s; index {index}")
    return outcome


def _build_editions(root: Path, runs: list[EditionRun], todo: list[EditionRun], data_dir: Path, out_dir: Path, *,
                    pdf: bool, scheduler: str | None, workers: int | None, strict: bool, rerun: bool,
                    reviewer: bool, dashboard: str, correction: str | None = None, log, client=None) -> Path:
    """The stages on the cluster for the editions ``todo``, then the national index. Stopped (Ctrl-C, SIGTERM), it
    lets no worker publish any more and raises Interrupted naming the editions published before the stop."""
    from strategy_update.build.interrupt import processes_stopped_on_exit
    from strategy_update.inputs.readers import read_open_data

    spec = runs[0].spec
    # The run's own files (its copy of the inputs, its publishing gate): not in the national index's work folder,
    # which Jupyter Book reads whole.
    run_folder = out_dir / ".work" / spec.publication.id / RUN_FOLDER / spec.quarter.id
    gate = PublishGate.opened(run_folder / "publish-gate")
    try:
        # With the caller's cluster, the caller stops the processes (its workers' kernels live on to its next run).
        with processes_stopped_on_exit() if client is None else nullcontext(), ExitStack() as cluster:
            try:
                snapshot = snapshot_inputs([r.spec.paths for r in todo], data_dir, run_folder / "inputs")
                for run in todo:
                    run.snapshot = replace(run.spec.paths, data=snapshot)
                stale = [r for r in todo if rerun or not results_current(r.spec, r.work)]
                # This process reads the open data while the workers start and check it (it is used only once they
                # pass it).
                reader = cluster.enter_context(ThreadPoolExecutor(1, thread_name_prefix="read-open-data"))
                open_data = reader.submit(read_open_data, stale[0].snapshot, spec.publication) if stale else None
                if client is None:  # else the caller's cluster, which it closes
                    client = cluster.enter_context(dask_client(scheduler, workers, log, dashboard))
                _check_inputs(client, todo, strict, log)
                ready = _read_force_inputs([r for r in todo if not r.status], log)
                if ready:
                    _compute(client, [r for r in stale if not r.status], open_data, out_dir, log)
                    _versions(runs, correction, log)  # figures that moved need a correction's reason
                    _pages(client, root, runs, pdf=pdf, reviewer=reviewer, rerun=rerun, log=log, gate=gate)
                # The workers shut their kernels and books down (a few seconds) while this process builds the index.
                closing = _closing(cluster.pop_all(), log)
                try:
                    return build_national_index(root, runs, out_dir, log=log)
                finally:
                    closing.join()
            except KeyboardInterrupt as stop:
                raise _stopped(stop, gate, todo, pdf) from None
    finally:
        gate.remove()
        shutil.rmtree(run_folder / "inputs", ignore_errors=True)


def _versions(runs: list[EditionRun], correction: str | None, log) -> None:
    """Each edition's versions (build/revisions.py); an edition whose published figures moved without a correction
    fails alone."""
    from datetime import date

    from strategy_update.build.revisions import prepare

    for run in [r for r in runs if not r.status]:
        try:
            prepare(run.work, run.target, correction, date.today())
        except InputError as exc:
            run.fail(f"not published: {exc}")
            log(f"  {run.spec.force}: {FAILED}: {run.message}")


def _read_force_inputs(runs: list[EditionRun], log) -> list[EditionRun]:
    """Each force's own inputs, read once from the run's copy; a force whose inputs cannot be read fails alone."""
    from strategy_update.inputs.readers import read_force_inputs

    ready = []
    for run in runs:
        spec = run.read_from
        try:
            run.inputs = read_force_inputs(spec.paths, spec.publication, spec.force, spec.quarter)
        except InputError as exc:
            run.fail(f"its inputs could not be read: {exc}")
            log(f"  {run.spec.force}: {FAILED}: {run.message}")
            continue
        ready.append(run)
    return ready


def _stopped(stop: KeyboardInterrupt, gate: PublishGate, todo: list[EditionRun], pdf: bool) -> Interrupted:
    """The run was stopped: no worker publishes from now on (the publishing under way finishes first), and the
    stop names the editions this run published."""
    import signal

    gate.close()
    published = [r.spec.force for r in todo
                 if r.status == PUBLISHED or up_to_date(r.target, r.work, r.key, pdf)]
    return Interrupted(stop.signum if isinstance(stop, Interrupted) else signal.SIGINT, editions=published)
