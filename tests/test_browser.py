"""The website in a real browser: Debian's Chromium, driven by Playwright, on the built default edition.

Every page is served from 127.0.0.1 and loaded once (``visits``); the tests then check what a reader gets:
no console errors or failed requests, every chart drawn with its text alternative, no axe-core violation at
WCAG 2.2 A/AA, plotly.js loaded once from the site, light pages (weights written to
_build/test-artifacts/page-weights.csv; benchmarks/page-weights.csv is the recorded copy). Keyboard tests open the
code toggles, the "How this was calculated" notes and the navigation with Tab, Enter and Space. The public edition
has no code toggles (tests/test_public_edition.py).
At 1280 and 390 px the front page and a strand page reflow (wide tables scroll inside their own box with the
first column kept in view, the comparison table's Change columns on screen), no chart toolbar covers a title, and
axe finds nothing. Screenshots go to _build/test-artifacts/screenshots/ for people to look at.

Needs: ``pip install playwright`` (the pinned test extra; no browser download: the system Chromium is used) and
``npm ci`` at the repository root (axe-core). ``make setup`` does both.
"""

from __future__ import annotations

import csv
import re
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from browser.harness import (
    AXE_JS,
    AXE_REQUIRED_RULES,
    CHROMIUM_ARGS,
    axe_version,
    describe_violations,
    find_chromium,
    focused,
    inspect_site,
    run_axe,
    serve,
    site_pages,
    tab_to,
    wait_for_charts,
)
from conftest import PATHS, ROOT
from strategy_update.build.book import toc_for
from strategy_update.inputs.definition import load_publication

pytestmark = pytest.mark.build

PUBLICATION = load_publication(PATHS)
STRANDS = PUBLICATION.leaves
# The UK Analysis Function categorical palette; dark grey (#3D3D3D, also in the palette) for reference lines.
PALETTE = {"#12436D", "#28A197", "#801650", "#F46A25"}
REFERENCE_GREY = "#3D3D3D"
MAX_PAGE_HTML = 1_000_000
# Measured on every run into the (ignored) build folder; benchmarks/page-weights.csv is the recorded copy.
WEIGHTS_CSV = ROOT / "_build" / "test-artifacts" / "page-weights.csv"
SCREENSHOTS = ROOT / "_build" / "test-artifacts" / "screenshots"
DESKTOP, MOBILE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


# --- fixtures ---------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def html_dir(default_edition) -> Path:
    return default_edition / "html"


@pytest.fixture(scope="module")
def base_url(html_dir):
    with serve(html_dir) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is not installed: run `make setup` (it installs the test extra)")
    chromium = find_chromium()
    if not chromium:
        pytest.fail("Chromium is not installed: run `make setup` (Debian package `chromium`), or set CHROMIUM")
    if not AXE_JS.exists():
        pytest.fail(f"axe-core is missing ({AXE_JS}): run `npm ci` in {ROOT} (`make setup` does)")
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def visits(browser, base_url, html_dir) -> dict:
    """Every page, loaded once each (two at a time, each in a fresh context with a cold cache)."""
    return inspect_site(base_url, site_pages(html_dir), DESKTOP, workers=2)


@pytest.fixture(scope="module")
def context(browser):
    """One desktop context for the keyboard tests: plotly.js is compiled once, not for every test."""
    shared = browser.new_context(viewport=DESKTOP)
    yield shared
    shared.close()


@pytest.fixture
def page(context):
    tab = context.new_page()
    tab.set_default_timeout(30_000)  # the other test worker may be building an edition meanwhile
    yield tab
    tab.close()


def expected_pages() -> set[str]:
    """Every page the edition's table of contents promises, plus the index and search pages Sphinx adds."""
    toc = toc_for(PUBLICATION)
    assert toc == yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))  # the default edition's
    files = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return {f"{f}.html" for f in files} | {"genindex.html", "search.html"}


def fail_on(problems: dict[str, list[str]], title: str) -> None:
    """Fail naming every page and what is wrong on it (plain text: no assertion rewriting of the dict)."""
    if any(problems.values()):
        pytest.fail(title + "\n" + "\n".join(f"{page}:\n    " + "\n    ".join(items)
                                             for page, items in sorted(problems.items()) if items), pytrace=False)


# --- loading ----------------------------------------------------------------------------------------
def test_every_page_of_the_site_is_checked(visits):
    missing = expected_pages() - set(visits)
    assert not missing, f"pages in _toc.yml that were not built (or not found): {sorted(missing)}"


def test_every_page_loads_without_console_errors_or_failed_requests(visits):
    problems = {v.url: v.errors + v.failed + [f"request left the site (blocked): {u}" for u in v.external]
                for v in visits.values()}
    fail_on(problems, "pages with console errors or failed requests:")


# --- charts -----------------------------------------------------------------------------------------
def plain_quotes(text: str) -> str:
    """Sphinx sets the page's quotes and apostrophes typographically (the aria-label keeps them straight): the same
    words either way."""
    return text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'}))


def test_every_chart_renders_with_its_text_alternative(visits, html_dir):
    problems: dict[str, list[str]] = {}
    for name, visit in visits.items():
        html = (html_dir / name).read_text(encoding="utf-8")
        out = problems.setdefault(visit.url, [])
        if len(visit.charts) != html.count("Plotly.newPlot("):
            out.append(f"{html.count('Plotly.newPlot(')} charts in the HTML, {len(visit.charts)} on the page")
        for c in visit.charts:
            where = f"chart {c['index']} ({c['title'] or 'untitled'})"
            marks = c["marks"]["points"] + c["marks"]["bars"] + c["marks"]["lines"]
            if not c["svg"] or not marks or c["width"] < 100 or c["height"] < 100:
                out.append(f"{where} did not render: {c['svg']} svg, marks {c['marks']}, "
                           f"{c['width']:.0f}x{c['height']:.0f} px")
            if c["role"] not in ("img", "figure") or not c["label"]:
                out.append(f"{where} has no text alternative: wrapper role {c['role']!r}, aria-label {c['label']!r}")
            if not c["description"] or not c["descriptionVisible"]:
                out.append(f"{where} has no visible 'Chart description' paragraph after it")
            elif c["label"] and plain_quotes(c["label"]) not in plain_quotes(c["description"]):
                out.append(f"{where}: the description does not repeat the alt text {c['label'][:80]!r}")
            if not c["csv"]:
                out.append(f"{where} has no 'Download the chart data (CSV)' link")
            else:
                with urllib.request.urlopen(c["csv"]) as response:  # the local server
                    if response.status != 200 or not response.read(200):
                        out.append(f"{where}: its CSV {c['csv']} is missing or empty")
    for strand in STRANDS:
        visit = visits[f"strands/{strand.id}.html"]
        if len(visit.charts) < 3 * len(strand.open_data_measures):
            problems[visit.url].append(f"{len(visit.charts)} charts, expected 3 per open-data measure "
                                       f"({len(strand.open_data_measures)} measures)")
    fail_on(problems, "charts that a reader cannot see or read:")


def _colour(value) -> str:
    return str(value or "").upper()


def test_charts_use_the_palette_and_never_colour_alone(visits):
    """SPC signals differ by marker shape, highlighted bars are hatched, seasonal lines differ by dash and marker."""
    problems: dict[str, list[str]] = {}
    spc_charts = 0
    most_signal_kinds = 0
    for visit in visits.values():
        out = problems.setdefault(visit.url, [])
        for c in visit.charts:
            where = f"chart {c['index']} ({c['title']})"
            traces = c["traces"]
            if "control chart" in c["title"]:
                # The series line first; the mean and limits of each segment (grey, solid and dashed); legend
                # entries for the baseline band and any step; then one marker trace per kind of point.
                spc_charts += 1
                series = traces[0]
                lines = [t for t in traces[1:] if t["mode"] == "lines"]
                references = [t for t in lines if t["name"] in ("Mean", "Process limits")]
                signals = [t for t in traces[1:] if t["mode"] == "markers" and not t["name"].startswith("Baseline")]
                if _colour(series["lineColor"]) not in PALETTE:
                    out.append(f"{where}: series line {series['lineColor']} is not in the palette")
                if any(_colour(t["lineColor"]) not in PALETTE | {REFERENCE_GREY} for t in lines):
                    out.append(f"{where}: mean/limit/step lines {[t['lineColor'] for t in lines]} off palette")
                dashes = {t["name"]: t["dash"] for t in references}
                if len(dashes) != 2 or dashes["Mean"] == dashes["Process limits"]:
                    out.append(f"{where}: the mean and the process limits are missing or differ by colour only "
                               f"({[(t['name'], t['dash']) for t in references]})")
                symbols = [t["symbol"] for t in signals]
                if len(set(symbols)) != len(symbols) or None in symbols:
                    out.append(f"{where}: point markers {dict(zip([t['name'] for t in signals], symbols))} "
                               "do not differ by shape or fill")
                if sum(t["points"] for t in signals) != series["points"]:
                    out.append(f"{where}: {sum(t['points'] for t in signals)} markers for {series['points']} "
                               "points (one marker a point, none stacked)")
                if any(_colour(t["markerColor"]) not in PALETTE for t in signals):
                    out.append(f"{where}: signal colours {[t['markerColor'] for t in signals]} off palette")
                most_signal_kinds = max(most_signal_kinds, len(signals) - 1)  # less the common cause points
            elif all(t["type"] == "bar" for t in traces):
                if any(_colour(t["markerColor"]) not in PALETTE for t in traces):
                    out.append(f"{where}: bar colours {[t['markerColor'] for t in traces]} off palette")
                hatched = [t["name"] for t in traces if t["pattern"]]
                if len(traces) > 1 and len(hatched) != len(traces) - 1:
                    out.append(f"{where}: the highlighted bars are not hatched (patterns "
                               f"{[(t['name'], t['pattern']) for t in traces]})")
            else:
                # A forecast's prediction intervals are shaded bands (named in the legend, nested); the lines and
                # markers drawn over them keep the palette and differ by more than colour.
                bands = [t for t in traces if t.get("fill")]
                if "forecast" in c["title"] and [t["name"] for t in bands] != ["95% prediction interval",
                                                                               "80% prediction interval"]:
                    out.append(f"{where}: prediction interval bands {[t['name'] for t in bands]}")
                drawn = [t for t in traces if not t.get("fill")]
                colours = [t["lineColor"] or t["markerColor"] for t in drawn]
                if any(_colour(colour) not in PALETTE for colour in colours):
                    out.append(f"{where}: line colours {colours} off palette")
                styles = [(t["symbol"], t["dash"]) for t in drawn]
                if len(set(styles)) != len(styles):
                    out.append(f"{where}: lines {[t['name'] for t in drawn]} differ by colour only ({styles})")
    fail_on(problems, "charts that rely on colour alone or leave the palette:")
    assert spc_charts >= sum(len(s.open_data_measures) for s in STRANDS), "fewer control charts than measures"
    assert most_signal_kinds >= 2, "no control chart shows two kinds of signal, so shapes were not compared"


# --- accessibility ----------------------------------------------------------------------------------
def test_axe_finds_no_wcag_2_2_aa_violations_on_any_page(visits):
    """axe-core at WCAG 2.2 A/AA, plus its best-practice rules for heading order and landmarks.

    Left out: ``region`` (all content inside landmarks; best practice, not a WCAG criterion). The only content
    it flags is the theme's site title in the sidebar, above the navigation landmark, on every page; moving it
    needs a theme template. Rules still "incomplete" (needing a person's review) are not failures: axe cannot
    find the background behind plotly's SVG text, whose colour (#3D3D3D on white, 10:1) is set in charts.py.
    """
    failing = [v for v in visits.values() if v.violations]
    if failing:
        pytest.fail(f"axe-core {axe_version()} found WCAG 2.2 A/AA violations on {len(failing)} of {len(visits)} "
                    f"pages:\n" + describe_violations(failing), pytrace=False)
    not_run = {v.url: sorted(set(AXE_REQUIRED_RULES) - v.rules_run) for v in visits.values()}
    assert not any(not_run.values()), f"axe rules that did not run: {not_run}"


@pytest.mark.parametrize("page_name", ["strands/rape.html", "index.html"])
def test_how_this_was_calculated_notes_open_from_the_keyboard(page, base_url, page_name):
    page.goto(base_url + page_name)
    selector = "details.sd-dropdown > summary"
    tabs = tab_to(page, selector)
    assert tabs > 0, f"{page.url}: no 'How this was calculated' note reached with Tab (focus on {focused(page)})"
    assert "How this was calculated" in page.evaluate("document.activeElement.innerText")
    _assert_focus_is_visible(page)
    details = page.locator(f"{selector}:focus").locator("xpath=..")
    page.keyboard.press("Enter")
    assert details.evaluate("d => d.open"), f"{page.url}: Enter did not open the note"
    assert details.locator(".sd-summary-content").is_visible(), f"{page.url}: the note's text is not shown"
    page.keyboard.press("Space")
    assert not details.evaluate("d => d.open"), f"{page.url}: Space did not close the note"


def test_skip_link_and_page_navigation_work_from_the_keyboard(page, base_url):
    page.goto(base_url + "strands/rape.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent").strip() == "Skip to main content", (
        f"{page.url}: the first Tab does not reach the skip link (focus on {focused(page)})")
    _assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    try:
        page.wait_for_url("**#main-content", timeout=5_000)
    except Exception:
        pytest.fail(f"{page.url}: Enter on the skip link did not move to the content")
    # The sidebar lists every page; the next strand's link is reachable and Enter follows it.
    page.goto(base_url + "strands/rape.html")
    link = 'nav.bd-docs-nav a[href$="night-time-economy.html"]'
    assert tab_to(page, link) > 0, f"{page.url}: the sidebar link to the next strand was not reached with Tab"
    _assert_focus_is_visible(page)
    page.keyboard.press("Enter")
    page.wait_for_url("**/strands/night-time-economy.html")
    assert page.locator("h1").first.inner_text().strip().startswith("Night-time Economy")


def test_site_menu_opens_and_closes_from_the_keyboard_on_a_phone(browser, base_url):
    context = browser.new_context(viewport=MOBILE)
    try:
        tab = context.new_page()
        tab.goto(base_url + "strands/rape.html")
        toggle = "button.primary-toggle"
        assert tab_to(tab, toggle) > 0, (
            f"{tab.url} at {MOBILE['width']} px: the menu button was not reached with Tab")
        _assert_focus_is_visible(tab)
        tab.keyboard.press("Enter")
        menu = tab.locator("#pst-primary-sidebar-modal")
        assert menu.evaluate("d => d.open"), f"{tab.url}: Enter on the menu button did not open the site menu"
        link = '#pst-primary-sidebar-modal nav.bd-docs-nav a[href$="night-time-economy.html"]'
        assert tab_to(tab, link) > 0, f"{tab.url}: the strand links in the open menu were not reached with Tab"
        tab.keyboard.press("Escape")
        assert not menu.evaluate("d => d.open"), f"{tab.url}: Escape did not close the site menu"
    finally:
        context.close()


def _assert_focus_is_visible(page) -> None:
    style = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
      return {outline: s.outlineStyle, width: parseFloat(s.outlineWidth), shadow: s.boxShadow}; }""")
    visible = (style["outline"] != "none" and style["width"] >= 1) or style["shadow"] not in ("none", "")
    assert visible, f"{page.url}: no visible focus indicator on {focused(page)}: {style}"


# --- weight -----------------------------------------------------------------------------------------
def test_plotly_js_is_loaded_once_and_pages_stay_light(visits, html_dir):
    WEIGHTS_CSV.parent.mkdir(parents=True, exist_ok=True)
    with open(WEIGHTS_CSV, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["page", "bytes", "requests"])
        for name, visit in sorted(visits.items()):
            writer.writerow([name, visit.bytes, visit.requests])
    problems: dict[str, list[str]] = {}
    for name, visit in visits.items():
        out = problems.setdefault(visit.url, [])
        html = html_dir / name
        size = html.stat().st_size
        if size > MAX_PAGE_HTML:
            out.append(f"the page's own HTML is {size:,} bytes (limit {MAX_PAGE_HTML:,})")
        text = html.read_text(encoding="utf-8")
        if re.search(r"plotly\.js v\d", text):
            out.append("plotly.js is embedded in the page")
        loads = visit.requests_for("plotly.min.js")
        if visit.charts and [urlsplit(u).path.rsplit("/", 2)[-2:] for u in loads] != [["_static", "plotly.min.js"]]:
            out.append(f"plotly.js should load once from _static/plotly.min.js; requests: {loads}")
        if not visit.charts and loads:
            out.append("a page without charts downloads plotly.js "
                       f"({(html_dir / '_static' / 'plotly.min.js').stat().st_size:,} bytes)")
    fail_on(problems, "pages that are too heavy:")


# --- screenshots ------------------------------------------------------------------------------------
@pytest.mark.parametrize("page_name", ["index.html", "strands/rape.html"])
@pytest.mark.parametrize("viewport", [DESKTOP, MOBILE], ids=["desktop", "mobile"])
def test_pages_at_desktop_and_phone_widths_reflow_and_pass_axe(browser, base_url, page_name, viewport):
    """Screenshots for people to look at, then reflow, chart titles, key columns and axe at each width."""
    context = browser.new_context(viewport=viewport, is_mobile=viewport is MOBILE, has_touch=viewport is MOBILE)
    try:
        tab = context.new_page()
        tab.goto(base_url + page_name)
        wait_for_charts(tab)
        tab.wait_for_timeout(300)  # plotly's responsive resize
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{Path(page_name).stem}-{viewport['width']}.png"
        tab.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 20_000, f"{path} looks blank"
        # Reflow (WCAG 1.4.10): nothing wider than the screen; wide tables scroll inside their own box.
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], f"{tab.url} at {viewport['width']} px scrolls sideways ({width} px wide)"
        too_wide = tab.evaluate("""w => [...document.querySelectorAll('.plotly-graph-div')]
            .filter(g => g.getBoundingClientRect().right > w + 1).length""", viewport["width"])
        assert not too_wide, f"{tab.url} at {viewport['width']} px: {too_wide} charts run off the screen"
        outside = tab.evaluate(OVERFLOWING_JS, viewport["width"])
        assert not outside, (f"{tab.url} at {viewport['width']} px: wider than the screen outside a scroll box: "
                             f"{outside}")
        # Plotly's toolbar is switched off (render/chart_images.py): on a phone it was always shown over the
        # titles; the data are downloadable as CSV below each chart. Were one shown, it must not cover a title.
        covered = tab.evaluate(TOOLBAR_OVER_TITLE_JS)
        assert not covered, f"{tab.url} at {viewport['width']} px: chart toolbars cover the titles of {covered}"
        assert tab.locator(".modebar-btn").count() == 0, f"{tab.url}: charts still show a toolbar"
        if page_name.startswith("strands/"):
            columns = tab.evaluate(CHANGE_COLUMNS_JS, viewport["width"])
            assert columns and all(c["shown"] for c in columns), (
                f"{tab.url} at {viewport['width']} px: the comparison table's change columns are off screen: {columns}")
        else:
            assert tab.locator("table.col-status").count() > 0, f"{tab.url}: no status table (custom.css lays it out)"
            off = tab.evaluate(STATUS_OFF_SCREEN_JS, viewport["width"])
            assert off == [], f"{tab.url} at {viewport['width']} px: strands whose status is off screen: {off}"
        violations, _ = run_axe(tab)
        assert not violations, f"{tab.url} at {viewport['width']} px: axe found " + "; ".join(
            f"{v['id']} ({', '.join(n['target'] for n in v['nodes'][:3])})" for v in violations)
    finally:
        context.close()


# Elements of the article wider than the screen, except inside the boxes that scroll on their own (tables, code)
# and inside a chart's drawing (clipped by its SVG; the chart itself is checked above).
OVERFLOWING_JS = """w => [...document.querySelectorAll('.bd-article *')].filter(e => {
    const r = e.getBoundingClientRect();
    return r.width > 0 && r.right > w + 1 && !e.closest('.pst-scrollable-table-container, pre, .highlight, svg');
  }).slice(0, 5).map(e => e.tagName.toLowerCase() + '.' + (e.getAttribute('class') || '').split(' ')[0])"""
# Charts whose toolbar (when shown) overlaps their title.
TOOLBAR_OVER_TITLE_JS = """() => [...document.querySelectorAll('.plotly-graph-div')].filter(g => {
    const bar = g.querySelector('.modebar'), title = g.querySelector('.gtitle');
    if (!bar || !title || getComputedStyle(bar).display === 'none') return false;
    const a = bar.getBoundingClientRect(), b = title.getBoundingClientRect();
    return a.width > 0 && a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom;
  }).map(g => (g.querySelector('.gtitle') || {}).textContent)"""
# The front page's status table: every strand's status (its last cell) on screen without scrolling sideways.
STATUS_OFF_SCREEN_JS = """w => [...document.querySelectorAll('.bd-article table.col-status tbody tr')].filter(tr => {
    const r = tr.lastElementChild.getBoundingClientRect();
    return r.left < 0 || r.right > w + 1;
  }).map(tr => tr.firstElementChild.textContent.trim())"""
# The comparison tables' "Change" and "% change" headers: on screen without scrolling sideways.
CHANGE_COLUMNS_JS = """w => [...document.querySelectorAll('.bd-article table th')]
  .filter(th => ['Change', '% change'].includes(th.textContent.trim())).slice(0, 4).map(th => {
    const r = th.getBoundingClientRect();
    return {text: th.textContent.trim(), left: Math.round(r.left), right: Math.round(r.right),
            shown: r.left >= 0 && r.right <= w + 1 && r.width > 0};
  })"""
