"""Preview an edition while its inputs are being written: ``strategy-update preview`` builds the website, serves it
on 127.0.0.1, builds it again (incrementally, website only) whenever an input changes, and makes the open page
reload itself when the new draft is ready. The drafts go to ``<out>/.preview/<publication>/<force>/<quarter>/``: the
edition a full build published (website and PDF, which say the same) is never touched by a preview.

The pieces: ``InputFilter`` (which file events count: not editors' lock and swap files), ``InputWatcher`` (watchfiles
in a thread, changes grouped until the files settle), ``PreviewState`` (the number of good builds and the last
error, read by the server's threads), ``inject_script`` and ``PreviewHandler`` (the published files served as they
are, with a small script added to HTML responses only: it polls ``/__preview__/version``, reloads the page when a
build finishes and shows a failed build's message as a banner) and ``preview`` (the loop, in the main thread so that
Ctrl-C and SIGTERM stop the build under way as they stop ``strategy-update build``).
"""

from __future__ import annotations

import functools
import html as html_escape
import http.server
import io
import json
import os
import queue
import re
import signal
import sys
import threading
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import watchfiles

from strategy_update.build import interrupt
from strategy_update.build.executor import notebook_workers
from strategy_update.build.warm_book import warm_book
from strategy_update.inputs.validate import remembering_checks

VERSION_PATH = "/__preview__/version"
DEFAULT_HOST, DEFAULT_PORT = "127.0.0.1", 8000
QUIET_MS = 400  # a save is over when no file has changed for this long (Word writes a file in several steps)
GROUP_MS = 4000  # but a stream of changes is cut into a build at least this often
POLL_MS = 500  # how often the open page asks whether a new build is ready (a small JSON answer)


# --- which changes count ---------------------------------------------------------------------------
class InputFilter(watchfiles.DefaultFilter):
    """watchfiles' default filter (editor backups ``x~``, Vim's ``.x.swp``, ``__pycache__``...) plus what office
    programs and editors write next to a file while it is open: hidden files (LibreOffice's ``.~lock.x.docx#``,
    Emacs's ``.#x``), Word's owner file ``~$x.docx``, ``*.tmp`` and Vim's write test ``4913``. In the force's
    folder only the publication's inputs and the force's own files count (not other publications' inputs)."""

    ignore_entity_patterns = (*watchfiles.DefaultFilter.ignore_entity_patterns,
                              r"^\.", r"^~\$", r"\.tmp$", r"^4913$")

    def __init__(self, force_folder: Path | None = None, force_inputs: Path | None = None):
        super().__init__()
        self.force_folder, self.force_inputs = force_folder, force_inputs

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        if not super().__call__(change, path):
            return False
        if self.force_folder is None or self.force_inputs is None:
            return True
        changed = Path(path)
        if not changed.is_relative_to(self.force_folder):
            return True
        return changed.parent == self.force_folder or changed.is_relative_to(self.force_inputs)


def watched_folders(root: Path, paths) -> list[Path]:
    """The folders whose files make the edition and are edited by people: the force's inputs (and its own files,
    such as its group of similar forces), the publication (definition, pages, reference figures) and the project's
    shared pages and styles. Open data (data/raw) and the code are left out: they do not change while a quarter's
    narrative is written."""
    folders = [paths.force_inputs.parent, paths.publication, root / "book", root / "_static"]
    return [folder for folder in folders if folder.is_dir()]


class InputWatcher:
    """watchfiles in a thread of its own; ``next_changes`` waits (in the main thread, where Ctrl-C can reach it)
    for the next group of changes, merged with any that arrived meanwhile (one build for a burst of saves)."""

    def __init__(self, folders: list[Path], watch_filter: InputFilter, quiet_ms: int = QUIET_MS,
                 group_ms: int = GROUP_MS):
        self._stop = threading.Event()
        self._changes: queue.Queue[set[tuple[watchfiles.Change, str]]] = queue.Queue()
        self._arguments = dict(watch_filter=watch_filter, step=quiet_ms, debounce=group_ms,
                               stop_event=self._stop, raise_interrupt=False)
        self._folders = folders
        self._thread = threading.Thread(target=self._watch, name="preview-watcher", daemon=True)

    def _watch(self) -> None:
        for changes in watchfiles.watch(*self._folders, **self._arguments):
            self._changes.put(changes)

    def start(self) -> InputWatcher:
        self._thread.start()
        return self

    def next_changes(self, timeout: float | None = None) -> set[tuple[watchfiles.Change, str]]:
        """The next changes (empty after ``timeout`` seconds without any). Waits in short steps: a signal handler
        runs between them at the latest."""
        waited = 0.0
        while True:
            try:
                batch = set(self._changes.get(timeout=0.5))
                break
            except queue.Empty:
                waited += 0.5
                if timeout is not None and waited >= timeout:
                    return set()
        while True:
            try:
                batch |= self._changes.get_nowait()
            except queue.Empty:
                return batch

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


def describe_changes(changes: set[tuple[watchfiles.Change, str]], roots: list[Path]) -> str:
    """``narrative/2021-22-Q4/mental-health.md (modified)``: each file from the watched folder above it."""
    def shown(path: str) -> str:
        for root in roots:
            if Path(path).is_relative_to(root):
                return Path(path).relative_to(root.parent).as_posix()
        return path

    named = sorted({f"{shown(path)} ({change.name})" for change, path in changes})
    return ", ".join(named[:3]) + (f" and {len(named) - 3} more" if len(named) > 3 else "")


# --- what the open page is told --------------------------------------------------------------------
@dataclass
class PreviewState:
    """Shared by the builder (main thread) and the server's threads. ``build`` counts good builds: a page served at
    build N reloads when it is no longer N. ``error`` is the last build's message while it failed."""

    build: int = 0
    error: str | None = None
    building: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self) -> None:
        with self._lock:
            self.building = True

    def succeeded(self) -> None:
        with self._lock:
            self.build, self.error, self.building = self.build + 1, None, False

    def failed(self, message: str) -> None:
        with self._lock:
            self.error, self.building = message, False

    def as_json(self) -> bytes:
        with self._lock:
            return json.dumps({"build": self.build, "error": self.error, "building": self.building}).encode()


# Added to HTML responses by the preview server only: the published files never carry it.
RELOAD_SCRIPT = """<script id="strategy-update-preview">
(function () {
  var seen = %(build)d, url = %(url)s, every = %(every)d, banner = null, badge = null;
  function box(style) {
    var el = document.createElement("div");
    el.style.cssText = "position:fixed;z-index:2147483647;font:14px/1.4 system-ui,sans-serif;" + style;
    document.body.appendChild(el);
    return el;
  }
  function show(error, building) {
    if (error && !banner) {
      banner = box("top:0;left:0;right:0;max-height:60vh;overflow:auto;padding:0.75em 1em;" +
                   "background:#8b0000;color:#fff;white-space:pre-wrap;font-family:monospace");
      banner.setAttribute("role", "alert");
      banner.id = "strategy-update-preview-error";
    }
    if (banner) {
      banner.hidden = !error;
      if (error) banner.textContent = "The last build failed; this is the last good edition.\\n\\n" + error;
    }
    if (!badge) badge = box("bottom:0.5em;right:0.5em;padding:0.25em 0.75em;background:#12436d;color:#fff");
    badge.textContent = "Rebuilding\\u2026";
    badge.hidden = !building;
  }
  function poll() {
    fetch(url, {cache: "no-store"}).then(function (r) { return r.json(); }).then(function (state) {
      if (state.build !== seen) { location.reload(); return; }
      show(state.error, state.building);
      setTimeout(poll, every);
    }).catch(function () { setTimeout(poll, 2 * every); });  // the preview was stopped, or is restarting
  }
  if (document.body) poll(); else document.addEventListener("DOMContentLoaded", poll);
})();
</script>
"""


def reload_script(build: int) -> str:
    return RELOAD_SCRIPT % {"build": build, "url": json.dumps(VERSION_PATH), "every": POLL_MS}


def inject_script(page: bytes, build: int) -> bytes:
    """The page with the reload script before its last ``</body>`` (at its end when it has none)."""
    script = reload_script(build).encode()
    closing = [m.start() for m in re.finditer(rb"</body\s*>", page, flags=re.IGNORECASE)]
    at = closing[-1] if closing else len(page)
    return page[:at] + script + page[at:]


def waiting_page(state: PreviewState) -> bytes:
    """What / shows before the first good build: what is happening, and the script that loads the edition."""
    status = json.loads(state.as_json())
    text = ("The first build failed: correct the input and save it, and the edition will load here."
            if status["error"] else "The edition is being built; it will load here when it is ready.")
    page = (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Preview</title></head>"
            f"<body><main><h1>Preview</h1><p>{html_escape.escape(text)}</p></main></body></html>")
    return inject_script(page.encode(), status["build"])


# --- the server ------------------------------------------------------------------------------------
class PreviewHandler(http.server.SimpleHTTPRequestHandler):
    """The published website as it is on disk (read at each request: a new build swaps the folder), HTML with the
    reload script added, nothing cached by the browser, and the state at ``/__preview__/version``."""

    def __init__(self, *args, state: PreviewState, directory: str, **kwargs):
        self.state = state
        super().__init__(*args, directory=directory, **kwargs)

    def send_head(self):
        route = urlsplit(self.path).path
        if route == VERSION_PATH:
            return self._send(self.state.as_json(), "application/json")
        page = self._html_file()
        if page is not None:
            try:
                body = page.read_bytes()
            except OSError:  # swapped away between the two lines: the usual 404 below
                body = None
            if body is not None:
                return self._send(inject_script(body, self.state.build), "text/html; charset=utf-8")
        if route in ("/", "/index.html") and not Path(self.directory, "index.html").is_file():
            return self._send(waiting_page(self.state), "text/html; charset=utf-8")
        return super().send_head()

    def _html_file(self) -> Path | None:
        """The HTML file the request names (a folder's index.html when it ends in /), if it is one."""
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            if not urlsplit(self.path).path.endswith("/"):
                return None  # the base class redirects to the folder with a slash
            path = path / "index.html"
        return path if path.suffix in (".html", ".htm") and path.is_file() else None

    def _send(self, body: bytes, content_type: str) -> io.BytesIO:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")  # a reload must fetch what the last build published
        super().end_headers()

    def log_message(self, format, *args):  # noqa: A002 - the base class's name; requests are not news
        pass


def start_server(folder: Path, state: PreviewState, host: str = DEFAULT_HOST,
                 port: int = DEFAULT_PORT) -> http.server.ThreadingHTTPServer:
    """Serve ``folder`` on ``host:port`` (port 0: a free one) from a daemon thread; OSError when the port is taken."""
    handler = functools.partial(PreviewHandler, state=state, directory=str(folder))
    server = http.server.ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, name="preview-server", daemon=True).start()
    return server


def stop_server(server: http.server.ThreadingHTTPServer) -> None:
    server.shutdown()
    server.server_close()


# --- building --------------------------------------------------------------------------------------
def failure_message(exc: Exception) -> str:
    """What ``strategy-update build`` prints for the same failure (cli.main)."""
    from strategy_update.core.errors import BuildError, InputError, ValidationFailed
    from strategy_update.core.periods import QuarterError

    if isinstance(exc, ValidationFailed):
        return exc.report.format_text()
    if isinstance(exc, (InputError, QuarterError)):
        return f"error: {exc}"
    if isinstance(exc, BuildError):
        return f"build failed: {exc}"
    # A bug, not a bad input: the preview keeps going, and the traceback is for whoever fixes it.
    return "unexpected error:\n" + "".join(traceback.format_exception(exc)).rstrip()


def page_message(exc: Exception, console: str) -> str:
    """The banner's text: the console's message, but for a validation report only what stops the build (its
    warnings do not, and would bury it)."""
    from strategy_update.core.errors import ValidationFailed

    if isinstance(exc, ValidationFailed) and "\nWARNINGS" in console:
        return console.split("\nWARNINGS")[0].rstrip() + "\n\n(The warnings are listed in the console.)"
    return console


def build_once(state: PreviewState, run_build) -> bool:
    """One build; a failure is reported (console and page) and the last good edition stays served."""
    state.started()
    try:
        run_build()
    except Exception as exc:  # noqa: BLE001 - any failure: the preview must outlive a bad input
        message = failure_message(exc)
        print(message, file=sys.stderr)
        print("The preview keeps showing the last good edition; save a corrected input to build again.",
              file=sys.stderr)
        state.failed(page_message(exc, message))
        return False
    state.succeeded()
    return True


@dataclass(frozen=True)
class PreviewOptions:
    publication: str | None = None
    force: str | None = None
    quarter: str | None = None
    data_dir: Path | None = None
    publications_dir: Path | None = None
    out_dir: Path | None = None
    jobs: int | None = None
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT


def preview(options: PreviewOptions, log=print) -> int:
    """Build, serve and rebuild on every change until Ctrl-C or SIGTERM; returns the exit code (130 / 143 then)."""
    from strategy_update.build.pipeline import PREVIEW_FOLDER, build, project_root, resolve_edition

    interrupt.raise_on_signals()
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # each line as it happens, even into a file or a pipe
    root = project_root()
    data_dir = (options.data_dir or root / "data").resolve()
    publications_dir = (options.publications_dir or root / "publications").resolve()
    out_dir = (options.out_dir or root / "_build").resolve()
    spec = resolve_edition(options.publication, options.force, options.quarter, data_dir=data_dir,
                           publications_dir=publications_dir)
    run_build = functools.partial(build, options.publication, options.force, options.quarter, data_dir=data_dir,
                                  publications_dir=publications_dir, out_dir=out_dir, pdf=False, jobs=options.jobs,
                                  preview=True, log=log)
    folders = watched_folders(root, spec.paths)
    watcher = InputWatcher(folders, InputFilter(spec.paths.force_inputs.parent, spec.paths.force_inputs))
    state = PreviewState()
    try:
        server = start_server(out_dir / PREVIEW_FOLDER / spec.folder / "html", state, options.host, options.port)
    except OSError as exc:
        print(f"error: cannot serve on {options.host}:{options.port} ({exc.strerror}); choose another port with "
              "--port", file=sys.stderr)
        return 2
    address = f"http://{options.host}:{server.server_port}/"
    log(f"Preview of {spec.publication.edition_title(spec.force)}, {spec.quarter.label}: open {address}")
    log("It is built again whenever an input is saved, and the open page reloads itself. Ctrl-C stops it.")
    watcher.start()  # before the first build: a file saved meanwhile starts the next one
    try:
        # One pool of notebook workers for the whole preview: their kernels and Chromium stay warm from one build to
        # the next, and are stopped with it, however it ends. The input checks of files that did not change are
        # not run again (a save touches one input). Jupyter Book runs in a helper that has imported it already.
        with notebook_workers(options.jobs or os.cpu_count() or 1) as pool, remembering_checks(), \
                warm_book() as book:
            warm_build = functools.partial(run_build, notebook_pool=pool, warm_book=book)
            if build_once(state, warm_build):
                log(f"Ready: {address}")
            log(f"Watching {', '.join(str(folder) for folder in folders)}")
            while True:
                changes = watcher.next_changes()
                log(f"Changed: {describe_changes(changes, folders)}; building again...")
                if build_once(state, warm_build):
                    log(f"Ready: {address} (build {state.build})")
    except KeyboardInterrupt as exc:
        stopped = exc if isinstance(exc, interrupt.Interrupted) else interrupt.Interrupted(signal.SIGINT)
        under_way = state.building and not stopped.published
        print("Preview stopped" + ("; the build under way was stopped and the last good edition is unchanged."
                                   if under_way else "."), file=sys.stderr)
        return stopped.exit_code
    finally:
        watcher.stop()
        stop_server(server)
