"""Charts as display bundles: interactive HTML for the website and an SVG (vector graphics) for the PDF.

The SVGs come from one headless Chromium per process (render/svg_renderer.py). It starts with the first chart a process
draws (a page with no charts starts no browser) and stays up for the life of the process, so a kernel that runs
several notebooks starts Chromium once. It is stopped when the process exits; if the process is killed instead (a
build stopped by Ctrl-C or SIGTERM, or orphaned), Chromium exits when its pipe to the process closes (see
build/interrupt.py). Each chart is drawn once a process: a page run again in the same kernel (the preview's warm
workers, a national run's) takes the SVG of an unchanged chart from ``_drawn``, and draws a changed one.
"""

from __future__ import annotations

import atexit
import hashlib
from html import escape

from strategy_update.render import charts
from strategy_update.render.web_only import WEB_ONLY

# No chart toolbar (modebar): on phones it is always shown and covers the title, and readers have the chart's data
# as CSV below it; hovering still shows each point's value.
CHART_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}
_renderer = {"browser": None}
_drawn: dict[str, str] = {}  # the digest of a figure's JSON and size -> its SVG
MAX_DRAWN = 2000  # SVGs kept (about 20 kB each): a national run's worker draws a few dozen an edition


def _browser():
    """This process's renderer, started at its first chart and stopped at exit."""
    if _renderer["browser"] is None:
        from strategy_update.render.svg_renderer import SvgRenderer

        _renderer["browser"] = SvgRenderer()
        atexit.register(_stop)
    return _renderer["browser"]


def _stop() -> None:
    browser, _renderer["browser"] = _renderer["browser"], None
    if browser is not None:
        browser.close()


def svg(fig, *, width: int, height: int, scale: float = 1) -> str:
    """The figure as SVG text (the PDF embeds it as vector graphics), drawn once: the same figure at the same size
    again is the SVG drawn before."""
    figure_json = fig.to_json()
    key = hashlib.sha256(f"{width}x{height}x{scale}\n{figure_json}".encode()).hexdigest()
    if key not in _drawn:
        if len(_drawn) >= MAX_DRAWN:
            _drawn.clear()
        _drawn[key] = _browser().svg(figure_json, width=width, height=height, scale=scale)
    return _drawn[key]


def figure_bundle(fig, alt: str, printed: bool = True, web_only: bool = False) -> dict:
    """HTML (plotly.js is loaded once by the site, not embedded) plus, when ``printed``, an SVG for the PDF, whose
    text alternative is the plain text (``alt``, the website's label). ``web_only``: a chart the PDF leaves out
    (render/web_only.py), drawn for the website only."""
    html = fig.to_html(include_plotlyjs=False, full_html=False, config=CHART_CONFIG)
    # role="figure", not "img": plotly's drawing holds focusable parts, and an image may not (axe:
    # nested-interactive). The label is the alt text; the "Chart description" paragraph below repeats it.
    marked = f' class="{WEB_ONLY}"' if web_only else ""
    bundle = {"text/html": f'<div role="figure"{marked} aria-label="{escape(alt)}">{html}</div>', "text/plain": alt}
    if printed and not web_only:
        bundle["image/svg+xml"] = svg(charts.for_print(fig), **charts.PRINT_SIZE)  # the PDF's: sized for paper
    return bundle


class Bundle:
    """A ready-made MIME bundle for IPython's display()."""

    def __init__(self, bundle: dict):
        self.bundle = bundle

    def _repr_mimebundle_(self, include=None, exclude=None):
        return self.bundle
