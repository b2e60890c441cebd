"""The preview (issue 13): `strategy-update preview` serves the edition on 127.0.0.1, builds it again when an input is
saved, and the open page reloads itself; a failed build leaves the last good edition served, with its message on the
page; Ctrl-C stops everything.

The pieces are tested on their own, quickly (the server and the watcher for real, on a temporary folder; the page's
script in Chromium against a server in this process). One build test runs the command on a copy of the data: it edits
a strand's narrative and waits for the sentence to appear in the open page, then stops the preview with SIGINT and
finds no process left.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import watchfiles

from conftest import CLI, DATA, PROCESS_TOKEN, ROOT, listening_addresses, processes_of
from strategy_update.build.preview import (
    VERSION_PATH,
    InputFilter,
    InputWatcher,
    PreviewState,
    build_once,
    inject_script,
    start_server,
    stop_server,
)
from strategy_update.core.errors import InputError

SCRIPT_ID = b'id="strategy-update-preview"'


def fetch(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read(), response.headers["Content-Type"]


@pytest.fixture
def site(tmp_path):
    """A published website on disk, served by the preview server on a free port."""
    html = tmp_path / "html"
    (html / "strands").mkdir(parents=True)
    (html / "index.html").write_text("<html><body><h1>Front</h1></body></html>", encoding="utf-8")
    (html / "strands" / "rape.html").write_text("<html><body><p>Rape</p></BODY></html>", encoding="utf-8")
    (html / "style.css").write_text("body { color: black } /* </body> */", encoding="utf-8")
    state = PreviewState()
    server = start_server(html, state, port=0)
    yield html, state, f"http://127.0.0.1:{server.server_port}"
    stop_server(server)


# --- the served pages ------------------------------------------------------------------------------
def test_the_reload_script_goes_before_the_end_of_the_body_once():
    page = b"<html><body><p>text</p></body></html>"
    injected = inject_script(page, build=7)
    assert injected.count(SCRIPT_ID) == 1
    assert injected.index(SCRIPT_ID) < injected.index(b"</body>")
    assert injected.startswith(b"<html><body><p>text</p>") and injected.endswith(b"</body></html>")
    assert b"seen = 7" in injected and VERSION_PATH.encode() in injected
    assert inject_script(b"<p>a fragment</p>", build=1).startswith(b"<p>a fragment</p><script")


def test_html_responses_carry_the_script_and_nothing_else_does(site):
    html, state, url = site
    on_disk = {p: p.read_bytes() for p in html.rglob("*") if p.is_file()}
    for path in ("/", "/index.html", "/strands/rape.html"):
        body, content_type = fetch(url + path)
        assert body.count(SCRIPT_ID) == 1, path
        assert content_type.startswith("text/html")
    css, content_type = fetch(url + "/style.css")
    assert css == (html / "style.css").read_bytes() and content_type == "text/css"
    # the published files are left as they were: only the responses carry the script
    assert {p: p.read_bytes() for p in html.rglob("*") if p.is_file()} == on_disk


def test_a_missing_page_is_still_a_404(site):
    _, _, url = site
    with pytest.raises(urllib.error.HTTPError) as error:
        fetch(url + "/strands/no-such-page.html")
    assert error.value.code == 404


def test_the_version_endpoint_follows_the_builds(site):
    _, state, url = site
    assert json.loads(fetch(url + VERSION_PATH)[0]) == {"build": 0, "error": None, "building": False}
    state.started()
    assert json.loads(fetch(url + VERSION_PATH)[0])["building"] is True
    state.succeeded()
    state.started()
    state.failed("error: narrative/rape.md: the heading 'Update' is missing")
    seen = json.loads(fetch(url + VERSION_PATH)[0])
    assert seen == {"build": 1, "error": "error: narrative/rape.md: the heading 'Update' is missing",
                    "building": False}  # a failed build keeps the last good one's number: no reload
    state.succeeded()
    assert json.loads(fetch(url + VERSION_PATH)[0]) == {"build": 2, "error": None, "building": False}


def test_before_the_first_build_the_front_page_says_it_is_coming(tmp_path):
    state = PreviewState()
    server = start_server(tmp_path / "not-built-yet", state, port=0)
    try:
        body, _ = fetch(f"http://127.0.0.1:{server.server_port}/")
    finally:
        stop_server(server)
    assert b"being built" in body and body.count(SCRIPT_ID) == 1


def test_a_failed_build_is_reported_and_the_preview_goes_on(capsys):
    state = PreviewState(build=3)

    def bad_input():
        raise InputError("the heading 'Insights' is missing", file="narrative/rape.md", rule="narrative headings")

    assert build_once(state, bad_input) is False
    assert state.build == 3 and "the heading 'Insights' is missing" in state.error and not state.building
    assert "the heading 'Insights' is missing" in capsys.readouterr().err
    assert build_once(state, lambda: None) is True
    assert state.build == 4 and state.error is None

    def interrupted():
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):  # Ctrl-C is not a failed build: it stops the preview
        build_once(state, interrupted)


def test_a_failed_validation_shows_what_stops_the_build_on_the_page_and_everything_in_the_console(capsys):
    from strategy_update.core.errors import ValidationFailed

    class Report:  # the shape of inputs.report.ValidationReport's text
        def summary_line(self):
            return "Validation: 1 critical, 1 warning across 8 suites"

        def format_text(self):
            return ("Input check\nValidation: 1 critical, 1 warning across 8 suites\n\nCRITICAL: the update cannot be "
                    "built until these are fixed (1)\n  1. narrative/rape.md\n     Problem: the section '## Update' is "
                    "missing\n\nWARNINGS: the update can be built (1)\n  1. a negative count\n\nChecks run:")

    def invalid():
        raise ValidationFailed(Report())

    state = PreviewState()
    assert build_once(state, invalid) is False
    assert "the section '## Update' is missing" in state.error and "negative count" not in state.error
    console = capsys.readouterr().err
    assert "the section '## Update' is missing" in console and "negative count" in console


# --- which changes count ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", [".~lock.mental-health.docx#", "~$ntal-health.docx", ".mental-health.md.swp",
                                  "mental-health.md.swp", "mental-health.md~", ".#mental-health.md", "4913",
                                  "mental-health.tmp"])
def test_editor_lock_and_swap_files_are_ignored(tmp_path, name):
    assert not InputFilter()(watchfiles.Change.added, str(tmp_path / "narrative" / name))


@pytest.mark.parametrize("name", ["mental-health.md", "Mental Health.docx", "2021-22-Q4.xlsx", "2021-22-Q4.csv"])
def test_inputs_count(tmp_path, name):
    assert InputFilter()(watchfiles.Change.modified, str(tmp_path / "narrative" / name))


def test_in_the_force_folder_only_the_publications_inputs_and_the_forces_own_files_count(tmp_path):
    force = tmp_path / "forces" / "essex"
    watch = InputFilter(force, force / "crime-prevention-2021-25")
    changed = watchfiles.Change.modified
    assert watch(changed, str(force / "crime-prevention-2021-25" / "narrative" / "2021-22-Q4" / "rape.md"))
    assert watch(changed, str(force / "most-similar-group.csv"))
    assert not watch(changed, str(force / "police-and-crime-plan" / "narrative" / "2021-22-Q4" / "road-safety.md"))
    assert watch(changed, str(tmp_path / "publications" / "x" / "publication.yml"))  # outside the force's folder


def test_a_burst_of_saves_is_one_build_and_swap_files_none(tmp_path):
    folder = tmp_path / "narrative"
    folder.mkdir()
    watcher = InputWatcher([tmp_path], InputFilter(), quiet_ms=300, group_ms=3000).start()
    try:
        time.sleep(0.5)  # the watcher is listening
        for name in ("rape.md", "hate-crime.md", ".~lock.rape.md#", "rape.md.swp"):
            (folder / name).write_text("text", encoding="utf-8")
            time.sleep(0.05)
        first = watcher.next_changes(timeout=10)
        second = watcher.next_changes(timeout=1.5)
        (folder / ".rape.md.swp").write_text("swap", encoding="utf-8")
        swap_only = watcher.next_changes(timeout=1.5)
    finally:
        watcher.stop()
    assert {Path(path).name for _, path in first} == {"rape.md", "hate-crime.md"}
    assert second == set() and swap_only == set()


# --- what a narrative edit costs -------------------------------------------------------------------
def test_a_narrative_or_board_edit_leaves_the_compute_stage_alone_and_a_tracker_edit_does_not(tmp_path):
    from conftest import DEFAULT, PUBLICATIONS
    from strategy_update.build.pipeline import _compute_key, resolve_edition

    data = tmp_path / "data"
    shutil.copytree(DATA / "forces", data / "forces")
    for shared in ("raw", "reference"):
        (data / shared).symlink_to(DATA / shared)
    spec = resolve_edition(DEFAULT, None, None, data_dir=data, publications_dir=PUBLICATIONS)
    before = _compute_key(spec)
    inputs = spec.paths.force_inputs
    for page_only in (inputs / "narrative" / spec.quarter.id / "rape.md", inputs / "board" / f"{spec.quarter.id}.md"):
        page_only.write_text(page_only.read_text(encoding="utf-8") + "\nOne more sentence.\n", encoding="utf-8")
    assert _compute_key(spec) == before
    tracker = spec.paths.delivery(spec.quarter)
    tracker.write_text(tracker.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert _compute_key(spec) != before


# --- the page's script, in Chromium --------------------------------------------------------------
def test_the_open_page_reloads_after_a_build_and_shows_a_failed_one(site):
    """Without a build: the state is changed by hand, the page is a file rewritten by hand."""
    from playwright.sync_api import sync_playwright

    from browser.harness import CHROMIUM_ARGS, find_chromium

    html, state, url = site
    chromium = find_chromium()
    if not chromium:
        pytest.fail("Chromium is not installed: run `make setup` (Debian package `chromium`), or set CHROMIUM")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(url + "/strands/rape.html")
            page.evaluate("window.notReloaded = true")
            state.started()
            page.wait_for_selector("text=Rebuilding", timeout=10_000)
            state.failed("error: narrative/rape.md: the heading 'Update' is missing")
            banner = page.wait_for_selector("#strategy-update-preview-error", timeout=10_000)
            assert "the heading 'Update' is missing" in banner.inner_text()
            assert page.evaluate("window.notReloaded") is True  # a failed build does not reload the page
            (html / "strands" / "rape.html").write_text("<html><body><p>New words</p></body></html>")
            state.succeeded()
            page.wait_for_selector("text=New words", timeout=10_000)
            assert page.evaluate("window.notReloaded") is None  # reloaded by the script
            assert not page.locator("#strategy-update-preview-error").is_visible()
        finally:
            browser.close()


# --- the whole preview ---------------------------------------------------------------------------
PUBLICATION, QUARTER, STRAND = "crime-prevention-2018-21", "2019-20-Q2", "hate-crime"  # the smallest edition
FIRST_BUILD_SECONDS = 600  # a cold website build of a small edition on a loaded two-core machine
EDIT_SECONDS = 90  # from saving the narrative to seeing it in the open page


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def released_edition(out: Path) -> Path:
    """An edition as a full build publishes it, website and PDF, before the preview starts."""
    edition = out / PUBLICATION / "essex" / QUARTER
    (edition / "html").mkdir(parents=True)
    (edition / "html" / "index.html").write_text("<p>the edition released with its PDF</p>", encoding="utf-8")
    (edition / "pdf").mkdir()
    (edition / "pdf" / "update.pdf").write_bytes(b"%PDF-1.7 the released PDF")
    return edition


def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in folder.rglob("*")
            if p.is_file()}


@pytest.mark.build
def test_a_narrative_edit_shows_in_the_open_page_and_ctrl_c_stops_everything(tmp_path):
    """Also (issue 33, item 4) the preview leaves the edition a full build published, PDF and all: it republished
    it website-only, deleting pdf/update.pdf, at its start and at every save. And (item 5) nothing it starts listens
    beyond this machine."""
    from playwright.sync_api import sync_playwright

    from browser.harness import CHROMIUM_ARGS, find_chromium

    data = tmp_path / "data"
    shutil.copytree(DATA / "forces", data / "forces")
    for shared in ("raw", "reference"):
        (data / shared).symlink_to(DATA / shared)
    narrative = data / "forces" / "essex" / PUBLICATION / "narrative" / QUARTER / f"{STRAND}.md"
    released = released_edition(tmp_path / "out")
    as_released = files_of(released)
    port, token = free_port(), uuid.uuid4().hex
    log = tmp_path / "preview.log"
    with open(log, "w") as output:
        process = subprocess.Popen([CLI, "preview", "--publication", PUBLICATION, "--data", str(data),
                                    "--out", str(tmp_path / "out"), "--port", str(port)], cwd=ROOT,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, PROCESS_TOKEN: token})
    try:
        wait_for(lambda: version(port).get("build") == 1, FIRST_BUILD_SECONDS, process, log)
        listening = listening_addresses(processes_of(token))
        sentence = f"A sentence added while the preview was open ({uuid.uuid4().hex[:8]})."
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{port}/strands/{STRAND}.html")
                assert sentence not in page.inner_text("main")
                page.evaluate("window.openedByTheTest = true")
                text = narrative.read_text(encoding="utf-8")
                narrative.write_text(re.sub(r"(## Update\n\n)", rf"\1{sentence}\n\n", text, count=1),
                                     encoding="utf-8")
                saved = time.monotonic()
                page.wait_for_function("s => !!document.body && document.body.innerText.includes(s)", arg=sentence,
                                       timeout=EDIT_SECONDS * 1000, polling=500)
                shown_after = time.monotonic() - saved
                reloaded_by_script = page.evaluate("window.openedByTheTest") is None
            finally:
                browser.close()
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C at a terminal: the whole foreground group
        process.wait(timeout=30)
        left = [p for p in processes_of(token) if p.pid != process.pid]
        deadline = time.monotonic() + 10
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = processes_of(token)
    finally:
        for leftover in processes_of(token):
            leftover.kill()
        if process.poll() is None:
            process.kill()
    output = log.read_text()
    assert reloaded_by_script, output
    assert process.returncode == 130, output
    assert output.strip().splitlines()[-1] == "Preview stopped.", output
    assert "Traceback" not in output, output
    assert not left, [" ".join(p.cmdline()) for p in left]
    assert files_of(released) == as_released  # the released edition, its PDF included, as it was
    assert ("127.0.0.1", port) in listening and {ip for ip, _ in listening} == {"127.0.0.1"}, listening
    print(f"the edit showed in the page {shown_after:.0f} s after it was saved")


def version(port: int) -> dict:
    try:
        return json.loads(fetch(f"http://127.0.0.1:{port}{VERSION_PATH}")[0])
    except OSError:
        return {}


def wait_for(condition, seconds: float, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert process.poll() is None, "the preview stopped:\n" + log.read_text()
        assert time.monotonic() < deadline, "not ready in time:\n" + log.read_text()
        time.sleep(1)
