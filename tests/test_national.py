"""The national edition (``strategy-update build-all``): every force asked for, built on Dask distributed.

The build tests read the session's ``national_run`` (tests/national_run.py): build-all against a scheduler and two
workers started as separate processes on this machine (as on a cluster), one worker killed while it runs a notebook;
they check that every edition is complete and its figures are the engine's; then that a rerun with one force's input
broken fails that force alone, reuses the others and keeps the broken force's last good edition.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import CLI, ROOT, listening_addresses, page_text
from national_run import PUBLICATION, QUARTER
from strategy_update.build.book import toc_for
from strategy_update.build.national import forces_asked
from strategy_update.core.errors import InputError
from strategy_update.core.periods import parse_quarter

KNOWN = ["Essex", "Kent", "Surrey", "Devon and Cornwall", "London, City of"]


# --- the cluster --------------------------------------------------------------------------------------------------
def test_the_workers_stop_in_the_background_and_a_failure_to_stop_is_a_line_not_a_traceback():
    """build_all closes the cluster in a thread of its own while it builds the national index."""
    from contextlib import ExitStack

    from strategy_update.build.national import _closing

    said, closed = [], []
    cluster = ExitStack()
    cluster.callback(closed.append, "cluster")

    def refuse():
        raise RuntimeError("worker tcp://127.0.0.1:4000 did not stop")
    cluster.callback(refuse)  # runs first: the cluster is still closed after it
    closing = _closing(cluster, said.append)
    closing.join(10)
    assert not closing.is_alive() and closed == ["cluster"]
    assert said == ["Dask: the workers did not all stop cleanly: worker tcp://127.0.0.1:4000 did not stop"]


def test_a_local_cluster_s_workers_do_not_profile_themselves():
    """The local cluster's workers start without Dask's statistical profiler and with a slower system monitor
    (LOCAL_CLUSTER_CONFIG): both cost CPU on every worker for as long as it runs."""
    import dask

    from strategy_update.build.national import dask_client

    def settings(dask_worker):
        return (dask.config.get("distributed.worker.profile.enabled"), dask_worker.periodic_callbacks["monitor"]
                .callback_time, dask_worker.periodic_callbacks["memory_monitor"].callback_time)
    said = []
    with dask_client(None, 1, said.append) as client:
        assert list(client.run(settings).values()) == [(False, 2000, 1000)]
    assert said[0].startswith("Dask: 1 worker on this machine")
    assert dask.config.get("distributed.worker.profile.enabled") is True  # this process's settings are as they were


def test_a_local_cluster_s_workers_start_with_what_their_tasks_import():
    """The local cluster's workers are forked from one process that has imported Great Expectations, the model fits'
    library and the tasks' modules (WORKER_MODULES): each worker would otherwise import them again, seconds each."""
    from strategy_update.build.executor import FITS_MODULE
    from strategy_update.build.national import dask_client

    def loaded():
        import sys
        return [name for name in ("great_expectations", FITS_MODULE) if name in sys.modules]
    with dask_client(None, 1, lambda *_: None) as client:
        assert list(client.run(loaded).values()) == [["great_expectations", FITS_MODULE]]


def test_a_local_cluster_s_workers_leave_ctrl_c_to_the_build():
    """Ctrl-C at a terminal reaches every process of the build. The local cluster's workers ignore it from the moment
    they start (the build closes the cluster): a worker stopped by it would print a traceback, whatever stage the
    build was at. The build itself still takes it. In a process of its own, which takes Ctrl-C as a command typed at
    a terminal does (a test runner's worker may ignore it, and so would every process it starts)."""
    script = """
import signal
signal.signal(signal.SIGINT, signal.default_int_handler)
from strategy_update.build.national import dask_client
with dask_client(None, 1, lambda *_: None) as client:
    print(list(client.run(lambda: signal.getsignal(signal.SIGINT) is signal.SIG_IGN).values()))
print(signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.stdout.split("\n")[:2] == ["[True]", "True"], done.stdout + done.stderr


def test_what_dask_logs_while_its_cluster_closes_is_not_shown(monkeypatch):
    """A worker stopped by Ctrl-C can leave its nanny logging a traceback as the cluster closes, after the build has
    said it stopped (seen in CI): while the cluster closes, Dask's loggers are quiet. Outside that, they are not."""
    from distributed import LocalCluster

    from strategy_update.build.national import dask_client

    def close_as_a_nanny_cut_short_does(cluster, *args, **kwargs):
        try:
            raise RuntimeError("close cut short")
        except RuntimeError:
            logging.getLogger("distributed.nanny").exception("the nanny's close was cut short")
        return close(cluster, *args, **kwargs)
    close = LocalCluster.close
    monkeypatch.setattr(LocalCluster, "close", close_as_a_nanny_cut_short_does)
    shown = _Recorded()
    logging.getLogger("distributed").addHandler(shown)  # where distributed's own handler would print them
    try:
        with dask_client(None, 1, lambda *_: None):
            pass
        assert not [r for r in shown.records if r.levelno >= logging.ERROR]
        logging.getLogger("distributed.nanny").error("after the close")
        assert [r.getMessage() for r in shown.records if r.levelno >= logging.ERROR] == ["after the close"]
    finally:
        logging.getLogger("distributed").removeHandler(shown)


class _Recorded(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def test_tasks_of_one_kind_are_one_group_for_the_scheduler():
    """Dask learns a group's task time from the key's prefix (``key_split``): every notebook task, and every book
    task, of every force must fall in one group, and each key must still be its own."""
    from distributed.utils import key_split

    from strategy_update.build.national import task_key

    notebooks = [task_key("notebook", force, name) for force in ("essex", "kent") for name in ("summary", "crime")]
    books = [task_key("book", force) for force in ("essex", "kent")]
    assert {key_split(key) for key in notebooks} == {"notebook"} and {key_split(key) for key in books} == {"book"}
    assert len(set(notebooks + books)) == 6


# --- which forces -------------------------------------------------------------------------------------------------
def test_all_or_nothing_means_every_force():
    assert forces_asked("all", KNOWN) == KNOWN
    assert forces_asked(None, KNOWN) == KNOWN


def test_forces_by_name_or_slug_each_once_in_the_order_given():
    assert forces_asked("kent, Essex,devon-and-cornwall,Kent", KNOWN) == ["Kent", "Essex", "Devon and Cornwall"]


def test_a_force_whose_name_holds_a_comma_can_be_named():
    assert forces_asked("Kent,London, City of,Essex", KNOWN) == ["Kent", "London, City of", "Essex"]
    assert forces_asked("london-city-of,surrey", KNOWN) == ["London, City of", "Surrey"]
    assert forces_asked(",".join(KNOWN), KNOWN) == KNOWN


def test_a_force_is_named_in_prose_the_usual_way_round():
    from strategy_update.model.forces import display_name, resolve_force
    from strategy_update.model.publication import period_labels

    assert display_name("London, City of") == "City of London"
    assert [display_name(f) for f in ("Essex", "Devon and Cornwall")] == ["Essex", "Devon and Cornwall"]
    assert resolve_force("City of London", KNOWN) == "London, City of"  # either name finds it
    assert period_labels(parse_quarter("2021-22-Q4"), "London, City of")["force"] == "City of London"
    from conftest import DATA, PUBLICATIONS
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths

    plan = load_publication(InputPaths(DATA, PUBLICATIONS, PUBLICATION, ""))
    assert plan.edition_title("London, City of") == f"{plan.title}: measures for City of London"


@pytest.mark.parametrize("text", ["Kent,Atlantis", " , "])
def test_an_unknown_force_or_no_force_is_refused_with_its_name(text):
    with pytest.raises(InputError) as caught:
        forces_asked(text, KNOWN)
    assert ("Atlantis" in str(caught.value)) if "Atlantis" in text else "no force" in str(caught.value)


def test_an_unknown_force_stops_build_all_before_anything_runs(tmp_path):
    result = subprocess.run([CLI, "build-all", "--publication", PUBLICATION, "--forces", "Kent,Atlantis",
                             "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Atlantis" in result.stderr and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir())


class _AtOnce:
    """A Dask client that runs each task as it is submitted, on one worker (what build_all's stages ask of it)."""

    def __init__(self, *_, **__):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *_):
        return False

    def scheduler_info(self, **_):
        return {"workers": {"tcp://127.0.0.1:1": {}}}

    def submit(self, function, *args, **_):
        from concurrent.futures import Future

        done = Future()
        try:
            done.set_result(function(*args))
        except Exception as exc:
            done.set_exception(exc)
        return done


def _checks_while_reading(monkeypatch, tmp_path, *, critical: bool, read):
    """build_all on two forces with the cluster, the reading of the open data, the checks and what follows them
    replaced; returns what it did."""
    import threading
    from types import SimpleNamespace

    import strategy_update.build.national as national
    import strategy_update.inputs.readers as readers

    seen = {"reading": threading.Event(), "computed": None}

    def reading(paths, publication):
        seen["reading"].set()
        return read()

    def checking(paths, forces, quarter, strict):
        seen["read while checked"] = seen["reading"].wait(10)
        return {force: SimpleNamespace(critical=["crime: a broken row"] if critical else []) for force in forces}

    monkeypatch.setattr(readers, "read_open_data", reading)
    monkeypatch.setattr(readers, "read_force_inputs", lambda *_: SimpleNamespace())
    monkeypatch.setattr(national, "dask_client", _AtOnce)
    monkeypatch.setattr(national, "validate_forces", checking)
    monkeypatch.setattr(national, "_compute", lambda client, stale, open_data, out, log: seen.update(
        computed=([r.spec.force for r in stale], open_data.result())))
    monkeypatch.setattr(national, "_versions", lambda *_: None)  # nothing was computed: no versions to record
    monkeypatch.setattr(national, "_pages", lambda *_, **__: None)
    monkeypatch.setattr(national, "build_national_index", lambda root, runs, out, log: tmp_path / "index.html")
    outcome = national.build_all(PUBLICATION, QUARTER, "Kent,Essex", out_dir=tmp_path, pdf=False, log=lambda *_: None)
    return seen, outcome


def test_the_open_data_is_read_while_it_is_checked_and_used_once_it_passed(monkeypatch, tmp_path):
    seen, outcome = _checks_while_reading(monkeypatch, tmp_path, critical=False, read=lambda: "the open data")
    assert seen["read while checked"]
    assert seen["computed"] == (["Kent", "Essex"], "the open data") and not outcome.failed


def test_open_data_that_fails_its_check_is_reported_by_the_check_not_by_its_reader(monkeypatch, tmp_path):
    def broken():
        raise InputError("cannot read the crime table")
    seen, outcome = _checks_while_reading(monkeypatch, tmp_path, critical=True, read=broken)
    assert seen["computed"] is None
    assert [r.message for r in outcome.failed] == ["input check: crime: a broken row"] * 2


def ours_listening() -> set[tuple[str, int]]:
    """The addresses this process and the processes it started listen on."""
    import psutil

    return listening_addresses([psutil.Process(), *psutil.Process().children(recursive=True)])


def test_the_local_cluster_listens_on_this_machine_only():
    """Issue 33 (5): the scheduler, its dashboard, the workers and their nannies listen on 127.0.0.1 alone (Dask's
    dashboard listened on every interface, while the console named 127.0.0.1)."""
    from strategy_update.build.national import dask_client

    before = ours_listening()
    with dask_client(None, 1, lambda *_: None) as client:
        opened = ours_listening() - before
        dashboard = client.scheduler_info()["services"]["dashboard"]
    assert any(port == dashboard for _, port in opened), opened  # the dashboard is among them
    assert {ip for ip, _ in opened} == {"127.0.0.1"}, opened


def _run_with_real_checks(monkeypatch, tmp_path, after_checking=lambda data: None):
    """build_all for Essex and Kent on a copy of the data: the real input checks (on a Dask client that runs each task
    at once) and reading of the forces' inputs; ``after_checking(data)`` runs once the checks are done (an analyst
    saving a file meanwhile); the figures and pages are left out, and what reached them is returned."""
    import strategy_update.build.national as national
    from conftest import DATA

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    real_check, seen = national.validate_forces, {}

    def checking(*args):
        reports = real_check(*args)
        after_checking(data)
        return reports

    def computing(client, stale, open_data, out, log):
        seen["computed"] = {r.spec.force: r.inputs for r in stale}

    monkeypatch.setattr(national, "dask_client", _AtOnce)
    monkeypatch.setattr(national, "validate_forces", checking)
    monkeypatch.setattr(national, "_compute", computing)
    monkeypatch.setattr(national, "_versions", lambda *_: None)  # nothing was computed: no versions to record
    monkeypatch.setattr(national, "_pages", lambda *_, **__: None)
    monkeypatch.setattr(national, "build_national_index", lambda root, runs, out, log: tmp_path / "index.html")
    outcome = national.build_all(PUBLICATION, QUARTER, "Essex,Kent", data_dir=data, out_dir=tmp_path / "out",
                                 pdf=False, log=lambda *_: None)
    return outcome, seen


ROAD_FATALITIES = Path("forces", "essex", PUBLICATION, "force-extracts", "road-fatalities.csv")


def test_a_force_s_file_saved_after_its_check_is_built_as_it_was_checked(monkeypatch, tmp_path):
    """Issue 33 (7): an extract saved between the check and the reading stopped the whole run (exit 2) when it could
    no longer be read, and was built unchecked when it could. The run checks and reads one copy of the inputs,
    taken before the checks: each edition is built from what passed, and the copy is gone afterwards."""
    extract = tmp_path / "data" / ROAD_FATALITIES
    checked = {}

    def save_a_broken_extract(data):
        checked["text"] = extract.read_text(encoding="utf-8")
        extract.write_text(checked["text"].replace("period,value", "quarter,value", 1), encoding="utf-8")

    outcome, seen = _run_with_real_checks(monkeypatch, tmp_path, save_a_broken_extract)
    assert not outcome.failed and sorted(seen["computed"]) == ["Essex", "Kent"]
    read = seen["computed"]["Essex"].extracts["road-fatalities"]
    assert read["value"].tolist() == [line.split(",")[1] for line in checked["text"].splitlines()[1:]]
    assert not list((tmp_path / "out" / ".work").rglob("inputs"))  # the run's copy of the inputs is removed


def test_a_force_whose_inputs_cannot_be_read_fails_alone(monkeypatch, tmp_path):
    """Issue 33 (7): one force's reading failure is that force's, with the reason; the others are built."""
    import strategy_update.inputs.readers as readers

    real_read = readers.read_force_inputs

    def reading(paths, publication, force, quarter):
        if force == "Essex":
            raise InputError("cannot be read", file="data/forces/essex/police-and-crime-plan/force-extracts/x.csv")
        return real_read(paths, publication, force, quarter)

    monkeypatch.setattr(readers, "read_force_inputs", reading)
    outcome, seen = _run_with_real_checks(monkeypatch, tmp_path)
    assert [(r.spec.force, r.message) for r in outcome.failed] == [
        ("Essex", "its inputs could not be read: data/forces/essex/police-and-crime-plan/force-extracts/x.csv: "
                  "cannot be read")]
    assert list(seen["computed"]) == ["Kent"]


def _edition(out: Path, slug: str) -> Path:
    return out / PUBLICATION / slug / QUARTER


@pytest.mark.build
def test_every_edition_is_complete_after_a_worker_was_killed_mid_run(national_run):
    assert national_run["killed"], "no worker was seen running a notebook: the test killed nothing"
    assert national_run["first"] == 0, national_run["first_log"]
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths

    publication = load_publication(InputPaths(ROOT / "data", ROOT / "publications", PUBLICATION, "essex"))
    toc = toc_for(publication)
    pages = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    for slug in ("essex", "kent", "surrey"):
        html = _edition(national_run["out"], slug) / "html"
        missing = [page for page in pages if not (html / f"{page}.html").is_file()]
        assert not missing, f"{slug}: pages missing {missing}"


@pytest.mark.build
def test_each_edition_has_its_own_force_s_figures_as_the_engine_computes_them(national_run):
    from strategy_update.build.pipeline import resolve_edition
    from strategy_update.compute.results import read_results
    from strategy_update.compute.stage import compute_edition
    from strategy_update.inputs.readers import read_edition_inputs

    spec = resolve_edition(PUBLICATION, "Kent", QUARTER, data_dir=ROOT / "data", publications_dir=ROOT / "publications")
    inputs = read_edition_inputs(spec.paths, spec.publication, spec.force, spec.quarter)
    expected, _ = compute_edition(spec.publication, spec.force, spec.quarter, crime=inputs.crime,
                                  population=inputs.population, tracker=inputs.tracker, extracts=inputs.extracts,
                                  peer_group=inputs.peer_group, workforce=inputs.workforce)
    published = read_results(_edition(national_run["out"], "kent") / "data" / "results.parquet")
    key = list(expected.columns)
    pd.testing.assert_frame_equal(published.sort_values(key[:8]).reset_index(drop=True),
                                  expected.sort_values(key[:8]).reset_index(drop=True), check_dtype=False)
    assert "Kent" in page_text(_edition(national_run["out"], "kent"), "index")


@pytest.mark.build
def test_another_force_s_about_pages_speak_of_it_not_of_the_plan_s_owner(national_run):
    """Kent's edition takes the pages written for any force (pages/other-forces/), with its name in them; Essex's
    keeps its own, which name its areas and its comparison group."""
    kent, essex = (_edition(national_run["out"], slug) for slug in ("kent", "essex"))
    about, caveats = page_text(kent, "book/introduction"), page_text(kent, "book/caveats")
    assert "reports them for Kent" in about and "It is not Kent's own plan" in about
    assert "most like Kent" in caveats and "applied to Kent" in caveats
    for owners_own in ("Local Policing Areas", "most similar to Essex", "most like Essex", "Grays"):
        assert owners_own not in about + caveats
    assert "Local Policing Areas (North, South and West)" in page_text(essex, "book/introduction")
    assert "lorry in Grays" in page_text(essex, "book/caveats")


@pytest.mark.build
def test_another_force_s_edition_names_none_of_the_owner_s_places_areas_or_partnerships(national_run):
    """Every page of Kent's and Surrey's editions (issue 28, item 7): the owner's proper nouns, listed with the
    definition, appear only where a page says whose the plan is ("Essex's ...", its title)."""
    from strategy_update.build.pipeline import resolve_edition
    from strategy_update.build.repeats import prose

    plan = resolve_edition(PUBLICATION, "Kent", QUARTER, data_dir=ROOT / "data",
                           publications_dir=ROOT / "publications").publication
    found = {}
    for slug in ("kent", "surrey"):
        edition = _edition(national_run["out"], slug)
        site = edition / "html"
        # The owner may be one of the force's similar forces: there its name is data, a force among forces.
        results = pd.read_parquet(edition / "data" / "results.parquet")
        peers = results[results["statistic"].str.startswith("peer_")]
        compared = set(peers["text"].dropna()) | set(peers.loc[peers["statistic"] == "peer_member_rate", "force"])
        for page in site.rglob("*.html"):
            if {"_static", "_sources"} & set(page.parts) or page.name in ("search.html", "genindex.html"):
                continue
            shown, notes = prose(page.read_text(encoding="utf-8"))
            text = " ".join(shown + [b for note in notes for b in note])
            if plan.owner_force in compared and page.name == "peer-table.html":
                text = text.replace(plan.owner_force, "a similar force")
            terms = plan.owner_mentions(text)
            if terms:
                found[f"{slug}/{page.relative_to(site)}"] = terms
    assert found == {}
    essex = _edition(national_run["out"], "essex") / "html" / "priorities" / "road-safety.html"
    assert "Essex" in essex.read_text(encoding="utf-8")  # the owner's own edition keeps its places


@pytest.mark.build
def test_the_national_index_links_every_edition_and_the_site_index_lists_them(national_run):
    out = national_run["out"]
    index = out / PUBLICATION / "national" / QUARTER / "html" / "index.html"
    assert index.is_file()
    html = index.read_text(encoding="utf-8")
    for slug in ("essex", "kent", "surrey"):
        assert f"{slug}/{QUARTER}/html/index.html" in html
    site = (out / "index.html").read_text(encoding="utf-8")
    assert all(f"{PUBLICATION}/{slug}/{QUARTER}/html/index.html" in site for slug in ("essex", "kent", "surrey"))
    assert f"{PUBLICATION}/national/{QUARTER}/html/index.html" in site


@pytest.mark.build
def test_a_broken_input_fails_its_force_alone_and_the_rerun_reuses_the_others(national_run):
    second = national_run["second"]
    assert second.returncode == 3, second.stdout + second.stderr
    assert "Traceback" not in second.stderr
    assert "Essex" in second.stderr and "road-fatalities" in second.stderr
    assert "2 up to date, 1 to build" in second.stdout
    assert "Kent: published" not in second.stdout and "Surrey: published" not in second.stdout
    # Essex's last good edition is still there; the national index says Essex failed, and why.
    assert (_edition(national_run["out"], "essex") / "html" / "index.html").is_file()
    index = (national_run["out"] / PUBLICATION / "national" / QUARTER / "html" / "index.html").read_text(
        encoding="utf-8")
    assert "Failed: input check:" in index and "road-fatalities" in index
    assert "the link is to its last good edition" in index


@pytest.mark.build
def test_no_kernel_chromium_or_worker_is_left_behind(national_run):
    left = [(p.pid, " ".join(p.cmdline()[:3])) for p in national_run["left"]]
    assert not left, f"processes left running: {left}"


# --- the workers ---------------------------------------------------------------------------------------------------
def test_a_worker_builds_its_books_in_one_warm_jupyter_book_it_closes_when_it_closes(monkeypatch, tmp_path):
    """The worker plugin starts the warm Jupyter Book with the worker (it imports while the first notebooks run);
    every book task on that worker builds in it; the worker's teardown stops it."""
    from strategy_update.build import national

    plugin = national.NotebookKernels()
    plugin.setup(worker=None)
    book = national._worker_book["book"]
    try:
        used = []
        monkeypatch.setattr(national, "finish_edition", lambda *args, warm_book=None, **kwargs: used.append(warm_book))
        national.finish_task(ROOT, tmp_path, None, None, {}, [], tmp_path / "out", "key", False, False)
        assert used == [book]
        assert book.process.poll() is None
    finally:
        plugin.teardown(worker=None)
    assert book.process.wait(timeout=10) is not None
    assert "book" not in national._worker_book
