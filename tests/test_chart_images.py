"""The PDF's chart pictures: SVGs drawn by plotly.js in one headless Chromium a process (render/svg_renderer.py),
each chart once (render/chart_images.py), the same pictures kaleido drew."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import plotly.graph_objects as go
import psutil
import pytest

from strategy_update.render import chart_images, charts
from strategy_update.render.svg_renderer import RenderError, SvgRenderer


def print_chart(title: str = "Crimes recorded each quarter") -> go.Figure:
    labels = [f"{year}/{(year + 1) % 100:02d} Q{q}" for year in range(2017, 2022) for q in range(1, 5)]
    fig = charts.bar_chart(labels, list(range(100, 100 + len(labels))), set(labels[-4:]), title, "crimes",
                           "Latest 12 months", "Earlier")
    return charts.for_print(fig)


@pytest.fixture
def draws(monkeypatch):
    """Every figure the process's renderer is asked to draw (its JSON), with no SVG kept from earlier tests."""
    asked = []
    real = SvgRenderer.svg

    def counted(self, figure_json, **size):
        asked.append(figure_json)
        return real(self, figure_json, **size)

    monkeypatch.setattr(SvgRenderer, "svg", counted)
    monkeypatch.setattr(chart_images, "_drawn", {}, raising=False)
    return asked


def test_a_charts_svg_is_drawn_once_and_a_changed_chart_is_drawn_again(draws):
    first = chart_images.svg(print_chart(), **charts.PRINT_SIZE)
    again = chart_images.svg(print_chart(), **charts.PRINT_SIZE)  # the same chart, made again (a page run again)
    assert len(draws) == 1 and again == first and "Crimes recorded each quarter" in first
    changed = chart_images.svg(print_chart("Crimes recorded each quarter, revised"), **charts.PRINT_SIZE)
    assert len(draws) == 2 and "revised" in changed and "revised" not in first
    bundle = chart_images.figure_bundle(charts.bar_chart(["a", "b"], [1, 2], {"b"}, "Two bars", "crimes", "b", "a"),
                                        "Two bars")
    assert len(draws) == 3 and bundle["image/svg+xml"].startswith("<svg")
    chart_images.figure_bundle(charts.bar_chart(["a", "b"], [1, 2], {"b"}, "Two bars", "crimes", "b", "a"), "Two bars")
    assert len(draws) == 3  # the website's figure again: its print form is the one drawn before


def _canonical(svg: str):
    """An SVG as a picture: plotly.js's random ids (six hex digits a drawing) and the order of attributes aside."""
    plain = re.sub(r"(?<![0-9a-fA-F#])([a-z]*)[0-9a-f]{6}(?![0-9a-fA-F])", r"\1ID", svg)

    def element(e):
        return (e.tag, sorted(e.attrib.items()), (e.text or "").strip(), [element(c) for c in e],
                (e.tail or "").strip())
    return element(ET.fromstring(plain))


@pytest.mark.filterwarnings("ignore:The kopts argument is ignored")
def test_the_svg_is_the_picture_kaleido_draws():
    """The renderer makes kaleido's call in the same browser: the same picture (kaleido is a test dependency for
    this comparison only)."""
    kaleido = pytest.importorskip("kaleido")
    fig = print_chart()
    ours = chart_images.svg(fig, **charts.PRINT_SIZE)
    kaleido.start_sync_server(silence_warnings=True)
    try:
        theirs = fig.to_image(format="svg", **charts.PRINT_SIZE).decode("utf-8")
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
    assert 'width="800" height="800"' in ours and 'viewBox="0 0 400 400"' in ours  # scale 2, as kaleido's
    assert _canonical(ours) == _canonical(theirs)


def test_a_figure_plotly_js_cannot_read_is_a_render_error_that_says_so():
    renderer = SvgRenderer()
    try:
        with pytest.raises(RenderError, match="drawing a chart: SyntaxError"):
            renderer.svg("{not json", width=400, height=400)
        assert "<svg" in renderer.svg(print_chart().to_json(), width=400, height=400)  # and it draws on
    finally:
        renderer.close()


def test_chromium_stops_when_the_process_that_drew_a_chart_exits(tmp_path):
    code = ("from strategy_update.render import chart_images, charts\n"
            "import plotly.graph_objects as go\n"
            "chart_images.svg(go.Figure(go.Bar(x=['a'], y=[1])), width=400, height=400)\n"
            "print(chart_images._renderer['browser']._browser.subprocess.pid, flush=True)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    chromium = int(done.stdout.split()[-1])
    assert not psutil.pid_exists(chromium) or psutil.Process(chromium).status() == psutil.STATUS_ZOMBIE
