"""Running the notebooks of an edition with papermill: in parallel, one kernel per worker, only what changed."""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from strategy_update.build import interrupt
from strategy_update.build.incremental import (
    Job,
    file_digest,
    job_key,
    library_digest,
    load_keys,
    needs_run,
    package_versions,
    save_keys,
)
from strategy_update.core.errors import BuildError, machine_error

# --- notebooks -------------------------------------------------------------------------------------
KERNEL_LOG = "kernel-{pid}.log"  # in the work folder: a worker's kernel start-up output, named by the worker
# Each worker process keeps one kernel for all the notebooks it runs: starting a kernel, importing pandas and
# plotly and starting Chromium for the chart images cost more than most strand notebooks themselves. A
# first cell resets the kernel before each notebook (namespace, folder, execution count), and is dropped
# from the executed notebook, so each page is computed exactly as in a fresh kernel. The kernel keeps no history
# database (KERNEL_ARGUMENTS), and the reset opens a new history session anyway: numbering the cells from 1 again in
# the same one made IPython's history writer report "Session/line number was not unique" into whichever cell was
# running. What survives the reset (the modules loaded, their caches) is then frozen out of the garbage collector's
# sweeps: the reset's own full sweep took 0.15 s a notebook, the longer the more modules were loaded; frozen, it
# takes a hundredth of a second.
PREPARE_TAG = "pipeline-prepare"
PREPARE_CODE = """get_ipython().reset(new_session=True)
import os
os.chdir({cwd!r})
get_ipython().execution_count = 1
__import__("gc").freeze()
"""
# No IPython history database: a page's cells are not worth keeping, and writing them is work for every cell.
KERNEL_ARGUMENTS = ["--HistoryManager.enabled=False"]
_worker = {"kernel": None, "client": None}
WARM_ENGINE = "strategy-update-warm-client"  # papermill engine name (``_warm_client_engine``)


def _worker_kernel(log_path: Path):
    """This worker's kernel manager (started by papermill at the first notebook, shut down when the worker exits)."""
    if _worker["kernel"] is None:
        from multiprocessing import util

        from jupyter_client.manager import AsyncKernelManager

        # Kernels write start-up chatter to stderr; keep it in a log beside the outputs, not on the console.
        log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (open while the worker lives)
        os.dup2(log.fileno(), 2)
        _worker["log"] = log_path
        _worker["kernel"] = AsyncKernelManager(kernel_name="python3")
        util.Finalize(None, stop_worker_kernel, exitpriority=10)
    return _worker["kernel"]


def _init_worker() -> None:
    """Each worker: Ctrl-C is for the build to handle (it stops the workers); a worker that took it too would print a
    traceback and leave its kernel. SIGTERM (from the build, stopping) ends it at once: the handler it inherited
    from the build would raise in the notebook instead. If the build is killed outright, the worker stops its
    kernel and exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    interrupt.exit_when_orphaned(_kill_worker_kernel)


def _kill_worker_kernel() -> None:
    """Kill this worker's kernel (its process group; the kernel has a session of its own). Its Chromium exits when
    the kernel's pipe to it closes."""
    kernel = _worker["kernel"]
    pgid = getattr(getattr(kernel, "provisioner", None), "pgid", None)
    if pgid:
        with suppress(OSError):  # already gone
            os.killpg(pgid, signal.SIGKILL)


def stop_worker_kernel() -> None:
    """Shut the kernel down cleanly, so the Chromium it started for chart images exits with it."""
    from jupyter_core.utils import run_sync

    _forget_client()
    kernel, _worker["kernel"] = _worker["kernel"], None
    if kernel is not None and kernel.has_kernel:
        run_sync(kernel.shutdown_kernel)(now=False)


def _start_kernel(kernel) -> None:
    """Start this worker's kernel, with the build's arguments (``KERNEL_ARGUMENTS``)."""
    from jupyter_core.utils import run_sync

    run_sync(kernel.start_kernel)(extra_arguments=KERNEL_ARGUMENTS)


def _worker_client(kernel):
    """This worker's client of its kernel, connected once and kept: a new client waits about 0.2 s for its channels
    to be ready (jupyter_client's ``wait_for_ready``), a quarter of a typical page's run. A client made in another
    thread (its event loop) or for an earlier kernel process is replaced. A kernel that dies before it answers
    (about one start in 40 on a loaded machine) is started once more; a second death is a BuildError."""
    if not kernel.has_kernel:
        _start_kernel(kernel)
    held = _worker["client"]
    if held is not None and held[1] == _client_owner(kernel):
        return held[0]
    _forget_client()
    try:
        client = _connected_client(kernel)
    except RuntimeError:  # jupyter_client: "Kernel died before replying to kernel_info"
        if _kernel_alive(kernel):
            raise
        _restart_dead_kernel(kernel)
        try:
            client = _connected_client(kernel)
        except RuntimeError:
            if _kernel_alive(kernel):
                raise
            raise BuildError("the Jupyter kernel died as it started, twice; its start-up output is in "
                             f"{_worker.get('log', 'the kernel log of the work folder')}") from None
    _worker["client"] = (client, _client_owner(kernel))
    return client


def _client_owner(kernel) -> tuple:
    return threading.get_ident(), getattr(getattr(kernel.provisioner, "process", None), "pid", None)


def _connected_client(kernel):
    """A client of ``kernel`` whose kernel has answered (RuntimeError when the kernel died first)."""
    from jupyter_core.utils import run_sync

    client = kernel.client()
    client.start_channels()
    try:
        run_sync(client.wait_for_ready)(timeout=60)
    except BaseException:
        client.stop_channels()
        raise
    client.allow_stdin = False
    return client


def _kernel_alive(kernel) -> bool:
    from jupyter_core.utils import run_sync

    return bool(run_sync(kernel.is_alive)())


def _restart_dead_kernel(kernel) -> None:
    """Clean up after a kernel that died, and start a new one with the build's arguments, on new ports. (A restart:
    shutting the manager down for good would close what its next kernel needs.)"""
    from jupyter_core.utils import run_sync

    run_sync(kernel.restart_kernel)(now=True, newports=True)


def _forget_client() -> None:
    held, _worker["client"] = _worker["client"], None
    if held is not None:
        held[0].stop_channels()


@functools.cache
def _warm_client_engine() -> None:
    """Register papermill's nbclient engine, run with this worker's kernel client (``_worker_client``) instead of a
    new one, as ``WARM_ENGINE``."""
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine, papermill_engines

    class WarmClientEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None, **kwargs):
            # As NBClientEngine's, but the notebook client starts with this worker's connected kernel client.
            client = PapermillNotebookClient(nb_man, timeout=execution_timeout, startup_timeout=start_timeout,
                                             kernel_name=kernel_name, log=logging.getLogger("papermill"),
                                             log_output=log_output, stdout_file=stdout_file,
                                             stderr_file=stderr_file, km=kwargs["km"])
            client.kc = _worker_client(kwargs["km"])
            return client.execute()

    papermill_engines.register(WARM_ENGINE, WarmClientEngine)


def _run_notebook(notebook, output: str | None, kernel, **options) -> None:
    """papermill on this worker's kernel, through its kept client."""
    import papermill

    _warm_client_engine()
    try:
        papermill.execute_notebook(notebook, output, kernel_name="python3", km=kernel, progress_bar=False,
                                   log_output=False, request_save_on_cell_execute=False, engine_name=WARM_ENGINE,
                                   **options)
    except BaseException:
        _forget_client()  # the kernel may have died or been interrupted: the next notebook connects afresh
        raise


def _execute(template: str, output: str, parameters: dict, cwd: str, work: str) -> tuple[str, float]:
    """Run one notebook with papermill (in a worker process). Returns (output, seconds)."""
    import nbformat

    start = time.perf_counter()
    kernel = _worker_kernel(Path(work) / KERNEL_LOG.format(pid=os.getpid()))
    notebook = nbformat.read(template, as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(PREPARE_CODE.format(cwd=str(Path(cwd).resolve())),
                                                       metadata={"tags": [PREPARE_TAG, "remove-cell"]}))
    _run_notebook(notebook, output, kernel, parameters=parameters, cwd=cwd)
    _tidy_executed(Path(output))
    return output, time.perf_counter() - start


# What the pages import (and, in the worker itself, the compute stage's model fits): loaded once per worker while
# the build is still checking its inputs, so the first notebooks and fits do not wait for them.
WARM_UP_CODE = """import myst_nb, pandas, plotly.graph_objects
from strategy_update.render import board_paper, section_page, summary, view
"""
FITS_MODULE = "statsmodels.tsa.statespace.exponential_smoothing"  # the compute stage's fits, run on the workers


def warm_up(work: str) -> None:
    """Start this worker's kernel and load what the pages and the model fits import (``warm_workers``)."""
    import importlib

    import nbformat

    kernel = _worker_kernel(Path(work) / KERNEL_LOG.format(pid=os.getpid()))
    if kernel.has_kernel:  # warm already (the preview's workers, from its first build on)
        return
    _start_kernel(kernel)  # it boots in its own process while this one loads the fits' library
    importlib.import_module(FITS_MODULE)
    _run_notebook(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(WARM_UP_CODE)]), None, kernel)


def forget_old_kernel_logs(work: Path) -> None:
    """Delete the kernel logs of workers that have exited: each build's workers write their own, which would
    otherwise pile up in the work folder build after build."""
    import psutil

    for log in work.glob(KERNEL_LOG.format(pid="*")):
        pid = log.stem.removeprefix("kernel-")
        if not (pid.isdigit() and psutil.pid_exists(int(pid))):
            log.unlink(missing_ok=True)


def warm_workers(pool: ProcessPoolExecutor, workers: int, work: Path) -> None:
    """Have the pool's workers start their kernels now, in the background, while the build reads its inputs and
    computes; a task queued behind a warm-up simply waits for it. Logs of earlier builds' workers are deleted."""
    forget_old_kernel_logs(work)
    for _ in range(workers):
        pool.submit(warm_up, str(work))


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


@dataclass
class NotebookPlan:
    """Which of an edition's notebooks must run (their inputs changed since their last run) and each one's content
    key; ``done`` records a notebook that ran, so a build that stops half-way reruns only the rest."""

    jobs: list[Job]
    keys: dict[str, str]  # notebook -> content key (the provenance page shows them)
    to_run: list[Job]
    previous: dict[str, str]  # the keys of the notebooks whose output is current
    keys_file: Path

    def done(self, job: Job) -> None:
        self.previous[job.name] = self.keys[job.name]
        save_keys(self.keys_file, self.previous)


def plan_notebooks(jobs: list[Job], work: Path, force: bool = False) -> NotebookPlan:
    """The notebooks whose inputs changed (all with ``force``); their old keys are forgotten at once, so a run that
    fails runs them again next time."""
    library = library_digest(Path(__file__).parents[1])
    versions = package_versions()
    keys_file = work / "notebook-keys.json"
    previous = load_keys(keys_file)
    # Several notebooks read the same files (the results table above all): hash each file once.
    digests = {path: file_digest(path) for path in {p for job in jobs for p in job.inputs}}
    keys = {job.name: job_key(job, library, versions, digests) for job in jobs}
    to_run = [j for j in jobs if needs_run(j, keys[j.name], previous, work, force)]
    for job in to_run:
        previous.pop(job.name, None)
        (work / job.cwd).mkdir(parents=True, exist_ok=True)
    save_keys(keys_file, previous)
    return NotebookPlan(jobs, keys, to_run, previous, keys_file)


def execute_job(job: Job, work: Path) -> tuple[str, float]:
    """Run one of an edition's notebooks in this process's kernel (a pool worker's or a Dask worker's)."""
    return _execute(str(job.template), str(work / job.output), job.parameters, str(work / job.cwd), str(work))


@contextmanager
def notebook_workers(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of notebook workers, each keeping its kernel (and Chromium) warm from one notebook to the next, for as
    long as the block lasts: one build, or a whole preview. However the block ends (done, failed, Ctrl-C or SIGTERM)
    queued notebooks are cancelled and the workers, their kernels and Chromium are stopped at once."""
    with interrupt.processes_stopped_on_exit():
        pool = ProcessPoolExecutor(max_workers=max(1, workers), initializer=_init_worker)
        try:
            yield pool
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        else:
            pool.shutdown()


def run_notebooks(jobs: list[Job], work: Path, workers: int, force: bool = False, log=print,
                  pool: ProcessPoolExecutor | None = None) -> tuple[dict[str, float | None], dict[str, str]]:
    """Execute the notebooks whose inputs changed, in parallel; reuse the others. Returns seconds per notebook
    (None when reused) and each notebook's content key (for the provenance page). ``pool``: warm workers to run them
    on (``notebook_workers``); by default a pool of ``workers`` for this run only."""
    plan = plan_notebooks(jobs, work, force)
    timings: dict[str, float | None] = {j.name: None for j in jobs if j not in plan.to_run}
    log(f"Notebooks: {len(plan.to_run)} to execute, {len(timings)} unchanged and reused"
        + (" (--force)" if force else ""))
    if plan.to_run:
        if pool is None:
            with notebook_workers(workers) as own:
                _execute_plan(plan, work, own, timings, log)
        else:
            _execute_plan(plan, work, pool, timings, log)
    return timings, plan.keys


def _execute_plan(plan: NotebookPlan, work: Path, pool: ProcessPoolExecutor, timings: dict, log) -> None:
    bar = tqdm(total=len(plan.to_run), unit="notebook", desc="  executing", file=sys.stderr,
               disable=None, dynamic_ncols=True)
    futures = {pool.submit(execute_job, j, work): j for j in plan.to_run}
    try:
        for done, future in enumerate(as_completed(futures), start=1):
            job = futures[future]
            try:
                _, seconds = future.result()
            except Exception as exc:  # papermill raises PapermillExecutionError with the cell's error
                raise (machine_error(exc, f"running the notebook for '{job.name}'")
                       or BuildError(f"notebook for '{job.name}' failed: {last_line(exc)}")) from None
            plan.done(job)
            timings[job.name] = seconds
            ran = {k: v for k, v in timings.items() if v is not None}
            slowest = ", ".join(f"{k} {v:.0f}s" for k, v in sorted(ran.items(), key=lambda kv: -kv[1])[:3])
            bar.set_postfix_str(f"slowest: {slowest}")
            bar.update()
            if bar.disable:
                log(f"  [{done}/{len(plan.to_run)}] {job.name} ({seconds:.1f} s); slowest so far: {slowest}")
    except BaseException:
        for future in futures:  # a warm pool outlives this run: it must not go on with the rest of it
            future.cancel()
        raise
    finally:
        bar.close()


def last_line(exc: Exception) -> str:
    """The last line of an error (a notebook's: the exception raised in its cell)."""
    text = str(exc).strip().splitlines()
    return text[-1] if text else type(exc).__name__

