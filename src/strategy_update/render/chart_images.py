"""Charts as display bundles: interactive HTML for the website and an SVG (vector graphics) for the PDF.

The SVGs come from one kaleido (headless Chromium) server per process. It starts with the first chart a process
renders (a page with no charts starts no browser) and stays up for the life of the process, so a kernel that runs
several notebooks starts Chromium once. Kaleido stops it when the process exits; if the process is killed
instead (a build stopped by Ctrl-C or SIGTERM, or orphaned), Chromium exits when its pipe to the process closes
(see build/interrupt.py).
"""

from __future__ import annotations

import warnings
from html import escape

import kaleido

from strategy_update.render import charts
from strategy_update.render.web_only import WEB_ONLY

# No chart toolbar (modebar): on phones it is always shown and covers the title, and readers have the chart's data
# as CSV below it; hovering still shows each point's value.
CHART_CONFIG = {"displayModeBar": False, "displaylogo": False, "responsive": True}
_server = {"started": False}


def svg(fig, **size) -> str:
    """The figure as SVG text, drawn once (the PDF embeds it as vector graphics)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not _server["started"]:
            kaleido.start_sync_server(silence_warnings=True)
            _server["started"] = True
        return fig.to_image(format="svg", **size).decode("utf-8")


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
