"""Serve a built site on 127.0.0.1, drive Debian's Chromium with Playwright, and inspect what a reader gets.

Nothing here downloads a browser: Chromium is the system one (``CHROMIUM`` overrides the path), and axe-core
comes from the npm registry into ``node_modules/`` (``npm ci`` at the repository root).
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import queue
import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# WCAG 2.2 A/AA, as axe-core tags them.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# axe files these under "best-practice", not under a WCAG tag, but the issue asks for them: headings in order,
# landmarks, empty headings and table headers. ``region`` (every bit of content inside a landmark) is left out:
# see test_axe_finds_no_wcag_2_2_aa_violations_on_any_page.
AXE_EXTRA_RULES = ["heading-order", "page-has-heading-one", "empty-heading", "empty-table-header",
                   "landmark-one-main", "landmark-unique", "landmark-no-duplicate-banner",
                   "landmark-no-duplicate-contentinfo", "landmark-no-duplicate-main",
                   "landmark-banner-is-top-level", "landmark-contentinfo-is-top-level",
                   "landmark-main-is-top-level", "landmark-complementary-is-top-level"]
# Rules that must have run on every page (passed, failed, needed review or found nothing to check): the
# categories the issue names. A rule renamed or dropped by a new axe-core fails the test instead of going quiet.
AXE_REQUIRED_RULES = ["color-contrast", "heading-order", "landmark-one-main", "link-name", "td-headers-attr",
                      "th-has-data-cells", "html-has-lang", "html-lang-valid", "document-title",
                      "image-alt", "role-img-alt", "svg-img-alt", "button-name", "nested-interactive",
                      "label-content-name-mismatch", "target-size", "list", "listitem", "aria-allowed-attr"]


def find_chromium() -> str | None:
    """The system Chromium: $CHROMIUM, else the first of the usual Debian/Ubuntu names on PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass


@contextlib.contextmanager
def serve(folder: Path):
    """Serve ``folder`` over HTTP on 127.0.0.1 (a free port) and yield its base URL, ending in ``/``."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def site_pages(html: Path) -> list[str]:
    """Every page of the site, as paths relative to the html folder (theme partials in _static left out)."""
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if not p.relative_to(html).parts[0].startswith("_"))


# --- one visit to one page --------------------------------------------------------------------------
@dataclass
class Visit:
    page: str
    url: str
    errors: list[str] = field(default_factory=list)  # console errors, uncaught exceptions
    failed: list[str] = field(default_factory=list)  # local requests that failed or answered >= 400
    external: list[str] = field(default_factory=list)  # requests that left 127.0.0.1 (blocked)
    responses: dict[str, int] = field(default_factory=dict)  # url -> response body bytes
    finished: list = field(default_factory=list, repr=False)  # Playwright requests, sized after the load
    charts: list[dict] = field(default_factory=list)
    violations: list[dict] = field(default_factory=list)
    rules_run: set[str] = field(default_factory=set)

    @property
    def bytes(self) -> int:
        return sum(self.responses.values())

    @property
    def requests(self) -> int:
        return len(self.responses)

    def __repr__(self) -> str:
        return f"Visit({self.url!r})"

    def requests_for(self, suffix: str) -> list[str]:
        return [u for u in self.responses if urlsplit(u).path.endswith(suffix)]


def watch(page, base: str, visit: Visit) -> None:
    """Record console errors, uncaught exceptions, failed and external requests and response sizes."""
    local = urlsplit(base).netloc

    def on_console(message):
        if message.type == "error":
            where = message.location.get("url", "") if message.location else ""
            visit.errors.append(f"console error: {message.text}" + (f" (at {where})" if where else ""))

    def on_finished(request):
        if urlsplit(request.url).netloc != local:
            return
        response = request.response()
        if response is not None and response.status >= 400:
            visit.failed.append(f"{request.url} answered HTTP {response.status}")
        visit.finished.append(request)

    def on_failed(request):
        if urlsplit(request.url).netloc == local:
            visit.failed.append(f"{request.url} failed: {request.failure}")

    def route(r):
        if urlsplit(r.request.url).netloc == local or r.request.url.startswith("data:"):
            r.continue_()
        else:
            visit.external.append(r.request.url)
            r.abort()

    page.on("console", on_console)
    page.on("pageerror", lambda error: visit.errors.append(f"uncaught exception: {error}"))
    page.on("requestfinished", on_finished)
    page.on("requestfailed", on_failed)
    page.route("**/*", route)


# Every plotly chart on the page: rendered, labelled, described, and its traces' styling (for the palette test).
CHARTS_JS = """() => {
  const norm = s => (s || '').replace(/\\s+/g, ' ').trim();
  const descriptions = [...document.querySelectorAll('p')]
    .filter(p => norm(p.textContent).startsWith('Chart description'));
  const graphs = [...document.querySelectorAll('.plotly-graph-div')];
  return graphs.map((gd, i) => {
    const wrapper = gd.closest('[role="img"], [role="figure"]');
    const next = graphs[i + 1];
    const after = el => gd.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING;
    const before = el => !next || (next.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_PRECEDING);
    const description = descriptions.find(p => after(p) && before(p));
    const box = gd.getBoundingClientRect();
    const layout = gd.layout || {};
    const title = (layout.title ? (typeof layout.title === 'string' ? layout.title : layout.title.text) : '')
      .replace(/<br\\s*\\/?>/gi, ' ');
    const link = description ? description.querySelector('a[href$=".csv"]') : null;
    return {
      index: i + 1,
      title: norm(title),
      role: wrapper ? wrapper.getAttribute('role') : null,
      label: wrapper ? norm(wrapper.getAttribute('aria-label')) : '',
      description: description ? norm(description.textContent) : null,
      descriptionVisible: description ? description.getBoundingClientRect().height > 0 : false,
      csv: link ? link.href : null,
      svg: gd.querySelectorAll('svg.main-svg').length,
      width: box.width, height: box.height,
      marks: {
        points: gd.querySelectorAll('.scatterlayer .trace .points path.point').length,
        bars: gd.querySelectorAll('.barlayer .bars path').length,
        lines: gd.querySelectorAll('.scatterlayer .trace path.js-line').length,
      },
      traces: (gd.data || []).map(t => ({
        type: t.type || 'scatter', mode: t.mode || '', name: t.name || '',
        symbol: t.marker ? (t.marker.symbol || null) : null,
        markerColor: t.marker && typeof t.marker.color === 'string' ? t.marker.color : null,
        lineColor: t.line ? (t.line.color || null) : null,
        dash: t.line ? (t.line.dash || 'solid') : null,
        pattern: t.marker && t.marker.pattern ? (t.marker.pattern.shape || '') : '',
        fill: t.fill || null,
        points: (t.y || []).length,
      })),
    };
  });
}"""

AXE_RUN_JS = """async ([tags, extra]) => {
  const rules = {};
  extra.forEach(id => { rules[id] = {enabled: true}; });
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, rules,
                                          resultTypes: ['violations']});
  const ran = [...result.passes, ...result.violations, ...result.incomplete, ...result.inapplicable].map(r => r.id);
  return {ran, violations: result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, tags: v.tags,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 300),
                              summary: n.failureSummary}))}))};
}"""


def wait_for_charts(page, timeout_ms: int = 15_000) -> None:
    """Plotly draws asynchronously: wait until every graph div holds its SVG (or time out and let tests say)."""
    with contextlib.suppress(Exception):
        page.wait_for_function(
            "() => [...document.querySelectorAll('.plotly-graph-div')].every(g => g.querySelector('svg.main-svg'))",
            timeout=timeout_ms)


def run_axe(page) -> tuple[list[dict], set[str]]:
    page.add_script_tag(path=str(AXE_JS))
    result = page.evaluate(AXE_RUN_JS, [AXE_TAGS, AXE_EXTRA_RULES])
    return result["violations"], set(result["ran"])


def axe_version() -> str:
    package = AXE_JS.parent / "package.json"
    return json.loads(package.read_text(encoding="utf-8")).get("version", "?") if package.exists() else "?"


def describe_violations(visits: list[Visit], nodes_shown: int = 3) -> str:
    """Violations grouped by axe rule: the rule, its WCAG criteria and help page, then every page it fails on
    with the elements at fault (selector; for the first page also the HTML and axe's advice)."""
    by_rule: dict[str, list[tuple[Visit, dict]]] = {}
    for visit in visits:
        for violation in visit.violations:
            by_rule.setdefault(violation["id"], []).append((visit, violation))
    lines = []
    for rule, found in sorted(by_rule.items()):
        first = found[0][1]
        criteria = ", ".join(t for t in first["tags"] if t.startswith("wcag")) or "best practice"
        lines.append(f"axe rule '{rule}' ({first['impact']}; {criteria}): {first['help']} [{first['helpUrl']}]")
        for n, (visit, violation) in enumerate(found):
            nodes = violation["nodes"]
            lines.append(f"  {visit.url}: {len(nodes)} element(s)")
            for node in nodes[:nodes_shown]:
                if n == 0:
                    advice = " ".join(node["summary"].split())
                    lines.append(f"      {node['target']}\n        {node['html'][:200]!r}\n        -> {advice[:300]}")
                else:
                    lines.append(f"      {node['target']}")
            if len(nodes) > nodes_shown:
                lines.append(f"      ... and {len(nodes) - nodes_shown} more")
    return "\n".join(lines)


def inspect_page(context, base: str, page_name: str) -> Visit:
    """Load one page in a fresh tab, wait for its charts, and collect everything the tests assert on."""
    visit = Visit(page_name, base + page_name)
    page = context.new_page()
    try:
        watch(page, base, visit)
        page.goto(visit.url, wait_until="load")
        wait_for_charts(page)
        visit.charts = page.evaluate(CHARTS_JS)
        # The weight of the page itself: the site icon is fetched by the browser, once per site and at a time of
        # its choosing (sometimes after the load), so it is left out to keep the numbers steady.
        visit.responses = {r.url: r.sizes()["responseBodySize"] for r in visit.finished
                           if not urlsplit(r.url).path.rsplit("/", 1)[-1].startswith("favicon.")}
        visit.violations, visit.rules_run = run_axe(page)
    finally:
        page.close()
    return visit


def inspect_site(base: str, pages: list[str], viewport: dict, workers: int = 2) -> dict[str, Visit]:
    """``inspect_page`` for every page, each in a fresh context (a cold cache, so its weight is a first visit's).

    Compiling plotly.js takes most of a chart page's load, so pages are shared between ``workers`` threads, each
    with its own Playwright and Chromium (Playwright objects must stay on the thread that made them).
    """
    from playwright.sync_api import sync_playwright

    todo: queue.Queue = queue.Queue()
    for name in pages:
        todo.put(name)
    visits: dict[str, Visit] = {}
    errors: list[BaseException] = []

    def work():
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=find_chromium(), args=CHROMIUM_ARGS)
                while True:
                    try:
                        name = todo.get_nowait()
                    except queue.Empty:
                        break
                    context = browser.new_context(viewport=viewport)
                    try:
                        visits[name] = inspect_page(context, base, name)
                    finally:
                        context.close()
                browser.close()
        except BaseException as exc:  # noqa: BLE001 - re-raised on the calling thread
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(max(1, min(workers, len(pages))))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return dict(sorted(visits.items()))


# --- keyboard ---------------------------------------------------------------------------------------
def tab_to(page, selector: str, max_tabs: int = 400, shift: bool = False) -> int:
    """Press Tab until the focused element matches ``selector``; return the number of presses, or -1."""
    key = "Shift+Tab" if shift else "Tab"
    for n in range(1, max_tabs + 1):
        page.keyboard.press(key)
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return n
    return -1


def focused(page) -> str:
    """A short description of the focused element, for failure messages."""
    return page.evaluate("""() => { const e = document.activeElement; if (!e) return 'nothing';
      return e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
        + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
        + ' "' + (e.textContent || '').replace(/\\s+/g, ' ').trim().slice(0, 60) + '"'; }""")
