"""Shared fixtures: the project root, the real data, and builds of whole editions (slow, done once)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from strategy_update.inputs.paths import InputPaths

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
PUBLICATIONS = ROOT / "publications"
DEFAULT = "crime-prevention-2021-25"
FORCE = "essex"
PATHS = InputPaths(DATA, PUBLICATIONS, DEFAULT, FORCE)
# What Essex supplies for the default publication: delivery tracker, narrative, force extracts.
FORCE_INPUTS = PATHS.force_inputs
# The all-documents (000-003) reference figures, for the back-test logic tests.
REFERENCE_ALL = ROOT / "tests" / "fixtures" / "reference-all"
CLI = str(Path(sys.executable).parent / "strategy-update")


def edition_folder(out: Path, quarter: str, publication: str = DEFAULT, force: str = FORCE) -> Path:
    """Where `build --out <out>` publishes an edition: <out>/<publication>/<force-slug>/<quarter>."""
    return out / publication / force / quarter


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True)


@pytest.fixture(scope="session")
def default_edition(tmp_path_factory) -> Path:
    """The default edition (Essex, Q4 2021/22) built through the CLI, website and PDF, into a temporary folder."""
    out = tmp_path_factory.mktemp("build")
    result = run_cli("build", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    folder = edition_folder(out, "2021-22-Q4")
    assert (folder / "html" / "index.html").is_file(), f"no edition at {folder}"
    return folder


@pytest.fixture(scope="session")
def other_edition(tmp_path_factory) -> Path:
    """A second quarter with no narrative or delivery data, website only."""
    out = tmp_path_factory.mktemp("build-other")
    result = run_cli("build", "--quarter", "2023/24 Q2", "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    folder = edition_folder(out, "2023-24-Q2")
    assert (folder / "html" / "index.html").is_file(), f"no edition at {folder}"
    return folder


@pytest.fixture(scope="session")
def national_run(tmp_path_factory) -> dict:
    """build-all for three forces on a Dask cluster of separate processes, one worker killed mid-run, then a rerun
    with one force's input broken (tests/national_run.py)."""
    from national_run import run_national

    return run_national(tmp_path_factory.mktemp("national"))


def shown(markdown: str) -> str:
    """Generated MyST as a reader reads it: the backslash escapes that keep input text literal
    (core/markup.literal) taken out, so a test can look for the words."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


def prose_problems(html_folder: Path, exempt: tuple[str, ...] = ()) -> dict[str, list]:
    """Page -> what its reader would trip over: a sentence said twice (build/repeats.py) or an escape's backslash
    shown before punctuation (Markdown escaping that reached a place where Markdown is not read)."""
    import re

    from bs4 import BeautifulSoup

    from strategy_update.build.repeats import repeats_in_site

    problems: dict[str, list] = {page: list(found) for page, found in repeats_in_site(html_folder, exempt).items()}
    for page in sorted(html_folder.rglob("*.html")):
        if {"_static", "_sources"} & set(page.relative_to(html_folder).parts):
            continue
        article = BeautifulSoup(page.read_text(encoding="utf-8"), "lxml").find("article")
        shown = article.get_text(" ") if article else ""
        escapes = re.findall(r".{0,30}\\[!-/:-@\[-`{-~].{0,30}", shown)
        if escapes:
            problems.setdefault(page.relative_to(html_folder).as_posix(), []).extend(escapes)
    return problems


def page_text(folder: Path, page: str) -> str:
    """A published page's words: tags and scripts removed, white space collapsed, common entities and Sphinx's
    curly apostrophes made plain."""
    html = (folder / "html" / f"{page}.html").read_text(encoding="utf-8")
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    return text.replace("&amp;", "&").replace("&#8217;", "'").replace("\u2019", "'")


def built_edition(tmp_path_factory, name: str, quarter: str, publication: str, *options: str,
                  force: str = FORCE, pdf: bool = True) -> Path:
    """An edition built by the command line into a temporary folder (module fixtures share it)."""
    out = tmp_path_factory.mktemp(name)
    result = run_cli("build", "--publication", publication, *options, "--out", str(out),
                     *([] if pdf else ["--no-pdf"]))
    assert result.returncode == 0, result.stdout + result.stderr
    return edition_folder(out, quarter, publication=publication, force=force)


BUILD_FIXTURES = {"default_edition", "other_edition", "national_run"}
# The modules with build tests, in two groups, one per pytest-xdist worker (`make test` runs `-n 2`): the modules
# that share the session's default and other-quarter editions (built once, in one worker), and the modules that
# build editions of their own. Every other test is a work unit of its own, taken by whichever worker is free.
BUILD_GROUPS = {
    "shared-editions": ["test_browser", "test_build", "test_front_page", "test_incremental", "test_page_labels",
                        "test_pdf", "test_provenance", "test_public_edition", "test_preview", "test_interrupt",
                        "test_spreadsheet"],
    "own-editions": ["test_police_and_crime_plan", "test_publications", "test_workflow", "test_national",
                     "test_national_pages", "test_hostile_inputs", "test_corrections", "test_sweep"],
}
GROUP_OF_MODULE = {f"tests/{module}.py": group for group, modules in BUILD_GROUPS.items() for module in modules}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist: unknown when it is not loaded (-p no:xdist)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's own ``loadgroup`` no longer groups under pytest 9 (it renames ``item._nodeid``, which pytest 9
    no longer reads), so the groups are made here, by module, in the controller."""
    from xdist.scheduler import LoadScopeScheduling

    class BuildGroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return GROUP_OF_MODULE.get(nodeid.split("::")[0], nodeid)

    return BuildGroupScheduling(config, log)


def pytest_collection_modifyitems(items):
    """A test that uses a whole built edition is a build test, marked or not, so `-m "not build"` stays quick; and
    every build test's module must be in a build group, or two workers would build the same editions."""
    for item in items:
        if BUILD_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.build)
        module = item.nodeid.split("::")[0]
        if item.get_closest_marker("build") and module not in GROUP_OF_MODULE:
            raise pytest.UsageError(f"{module} has build tests: add it to BUILD_GROUPS in tests/conftest.py")


# A variable every process of a test's build inherits (even one that starts a session of its own), so the test
# can find all of them, and only them.
PROCESS_TOKEN = "STRATEGY_UPDATE_TEST_RUN"


def listening_addresses(processes) -> set[tuple[str, int]]:
    """The (address, port) pairs the given processes listen on (a process gone meanwhile is skipped)."""
    import psutil

    found = set()
    for process in processes:
        try:
            found |= {(c.laddr.ip, c.laddr.port) for c in process.net_connections(kind="inet")
                      if c.status == psutil.CONN_LISTEN}
        except psutil.Error:
            continue
    return found


def processes_of(token: str) -> list:
    """The running processes started with ``PROCESS_TOKEN=token`` (zombies have exited: they are not running)."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if process.environ().get(PROCESS_TOKEN) == token and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process)
        except psutil.Error:  # gone meanwhile, or not ours to read
            continue
    return found
