"""Each worker reuses one kernel for several notebooks: each notebook must still run as in a fresh kernel."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from strategy_update.build.executor import FITS_MODULE, PREPARE_TAG, notebook_workers, run_notebooks, warm_workers
from strategy_update.build.incremental import Job


def probe_template(path):
    """A notebook that reports what it can see: leftovers from an earlier notebook, its folder, its process."""
    nb = new_notebook(cells=[
        new_code_cell("name = 'default'", metadata={"tags": ["parameters"]}),
        new_code_cell("import os\nprint('leftover' if 'secret' in globals() else 'clean')"),
        new_code_cell("print(os.path.basename(os.getcwd()), os.getpid())"),
        new_code_cell("secret = name"),
        new_code_cell("import gc\nprint('frozen' if gc.get_freeze_count() else 'not frozen')"),
        new_code_cell("print('history on' if get_ipython().history_manager.enabled else 'history off')"),
    ])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)
    return path


def printed(cell) -> str:
    """What a cell printed: the kernel may send one print in several pieces (it flushes on a timer), each an output
    of its own."""
    return "".join(o["text"] for o in cell.outputs if o.get("name") == "stdout").strip()


def test_notebooks_sharing_a_kernel_start_clean_in_their_own_folder(tmp_path):
    template = probe_template(tmp_path / "probe.ipynb")
    work = tmp_path / "work"
    for folder in ["one", "two"]:
        (work / folder).mkdir(parents=True)
    jobs = [Job(f"n{i}", template, f"{folder}/n{i}.ipynb", folder, {"name": f"n{i}"})
            for i, folder in enumerate(["one", "two", "one"])]

    timings, keys = run_notebooks(jobs, work, workers=1, log=lambda line: None)

    assert set(timings) == {"n0", "n1", "n2"}
    assert set(keys) == {"n0", "n1", "n2"} and len(set(keys.values())) == 3  # one content key per notebook
    seen = []
    for job in jobs:
        nb = nbformat.read(work / job.output, as_version=4)
        assert not [c for c in nb.cells if PREPARE_TAG in c.metadata.get("tags", [])]
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
        assert printed(code[2]) == "clean", job.name  # nothing left by the notebook before
        folder, pid = printed(code[3]).split()
        assert folder == job.cwd
        seen.append(pid)
        # what survived the reset (the modules loaded) is frozen out of the collector's sweeps
        assert printed(code[5]) == "frozen"
        # the kernel keeps no history database: numbering each notebook's cells from 1 again in one history
        # session made IPython's history writer print "Session/line number was not unique" into a cell's output
        assert printed(code[6]) == "history off"
        assert not [o for c in code for o in c.outputs if "not unique" in o.get("text", "")]
    # one kernel served all three notebooks (what makes the build fast), and it was shut down afterwards
    assert len(set(seen)) == 1
    assert not os.path.exists(f"/proc/{seen[0]}")


def loaded(module: str) -> bool:
    return module in sys.modules


def test_a_warmed_worker_has_the_fits_library_and_runs_notebooks_in_the_kernel_it_warmed(tmp_path):
    """The build warms its workers while it computes: each loads the model fits' library and starts its kernel with
    the pages' modules, and the notebooks then run in that kernel (nothing from the warm-up leaks into them)."""
    probe = tmp_path / "probe.ipynb"
    nb = new_notebook(cells=[new_code_cell(
        "import sys\nprint('strategy_update.render.section_page' in sys.modules, 'secret' in globals())")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, probe)
    work = tmp_path / "work"
    (work / "one").mkdir(parents=True)
    with notebook_workers(1) as pool:
        # A forked worker has what this process had loaded (other tests in it may have fitted models).
        assert pool.submit(loaded, FITS_MODULE).result() == loaded(FITS_MODULE)
        warm_workers(pool, 1, work)
        assert pool.submit(loaded, FITS_MODULE).result()
        run_notebooks([Job("n0", probe, "one/n0.ipynb", "one", {})], work, workers=1, log=lambda line: None,
                      pool=pool)
    out = nbformat.read(work / "one" / "n0.ipynb", as_version=4)
    assert printed(out.cells[-1]).split() == ["True", "False"]  # the warm kernel, in a clean namespace
    assert list(work.glob("kernel-*.log"))  # its start-up chatter went to the log, not the console


def test_logs_of_workers_that_have_exited_are_deleted(tmp_path):
    """Each build's workers write their own kernel log; those of workers gone are deleted, a live one's is kept."""
    import subprocess

    from strategy_update.build.executor import KERNEL_LOG, forget_old_kernel_logs

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    live, old = tmp_path / KERNEL_LOG.format(pid=os.getpid()), tmp_path / KERNEL_LOG.format(pid=gone.pid)
    other = tmp_path / "html.log"
    for log in (live, old, other):
        log.write_text("start-up output\n")
    forget_old_kernel_logs(tmp_path)
    assert live.exists() and other.exists() and not old.exists()


def dying_kernels(monkeypatch, tmp_path, deaths: int) -> None:
    """The workers' kernels die as they start, before answering (``Kernel died before replying to kernel_info``, as
    about one start in 40 did on a loaded machine), the first ``deaths`` times: the kernel exits while it
    initialises, as a crash there would make it."""
    from strategy_update.build import executor

    counter = tmp_path / "kernel-starts"
    die = (f"import os, pathlib; f = pathlib.Path({str(counter)!r}); n = len(f.read_text()) if f.exists() else 0; "
           f"f.write_text('x' * (n + 1)); n < {deaths} and os._exit(1)")
    monkeypatch.setattr(executor, "KERNEL_ARGUMENTS", [*executor.KERNEL_ARGUMENTS, f"--IPKernelApp.exec_lines={die}"])


def one_notebook(tmp_path) -> tuple[list[Job], Path]:
    probe = tmp_path / "probe.ipynb"
    nb = new_notebook(cells=[new_code_cell("print('ran')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, probe)
    work = tmp_path / "work"
    (work / "one").mkdir(parents=True)
    return [Job("n0", probe, "one/n0.ipynb", "one", {})], work


def test_a_kernel_that_dies_as_it_starts_is_started_once_more(monkeypatch, tmp_path):
    """Issue 33 (15): a kernel that died on start failed the build (exit 3); it is started again, once."""
    dying_kernels(monkeypatch, tmp_path, deaths=1)
    jobs, work = one_notebook(tmp_path)
    run_notebooks(jobs, work, workers=1, log=lambda line: None)
    assert printed(nbformat.read(work / "one" / "n0.ipynb", as_version=4).cells[-1]) == "ran"
    assert (tmp_path / "kernel-starts").read_text() == "xx"  # died once, started once more


def test_a_kernel_that_dies_again_is_a_clear_failure(monkeypatch, tmp_path):
    from strategy_update.core.errors import BuildError

    dying_kernels(monkeypatch, tmp_path, deaths=2)
    jobs, work = one_notebook(tmp_path)
    with pytest.raises(BuildError) as failure:
        run_notebooks(jobs, work, workers=1, log=lambda line: None)
    assert str(failure.value).startswith("notebook for 'n0' failed: the Jupyter kernel died as it started, twice; "
                                         f"its start-up output is in {work}/kernel-"), str(failure.value)
    assert (tmp_path / "kernel-starts").read_text() == "xx"  # started twice, no more
