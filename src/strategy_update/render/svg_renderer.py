"""Plotly figures as SVG text, drawn by plotly.js in a headless Chromium that loads plotly.js once.

The drawing is kaleido's: the same call (plotly.js's ``Plotly.toImage``, with the same options and configuration)
in the same browser, driven by the same library (choreographer, which kaleido is built on). Kaleido itself is not
used because it reloads its page after every figure, so Chromium parses and runs the 4.8 MB of plotly.js again for
each chart: measured on this project's 2-core machine, 0.34 s of CPU a chart against 0.06 s here, where the page
is loaded once. Plotly.js keeps no drawing state between calls that changes a picture: the SVGs are kaleido's, up
to the random ids plotly.js gives every drawing and the order of some attributes (tests/test_chart_images.py).

A ``SvgRenderer`` runs its browser on an event loop of its own thread, so it can be called from code that runs
inside another event loop (a Jupyter kernel's). If the process is killed instead of exiting, Chromium exits when its
pipe to the process closes (choreographer's, as for kaleido; see build/interrupt.py).
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from pathlib import Path

TIMEOUT = 90  # seconds a browser call may take (kaleido's limit for one figure)
PAGE = ('<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        '<script src="{plotly_js}" charset="utf-8"></script></head><body></body></html>\n')
# kaleido's call for an SVG (its vendor/kaleido_scopes.js): the figure's own config over plotGlPixelRatio, and the
# image data only (no "data:" prefix). The figure comes as JSON text: plotly's encoder has already read its arrays.
DRAW = """function(figureJson, width, height, scale) {
  const figure = JSON.parse(figureJson);
  const config = Object.assign({plotGlPixelRatio: scale * 2}, figure.config);
  return Plotly.toImage({data: figure.data, layout: figure.layout, config: config},
                        {format: "svg", width: width, height: height, scale: scale, imageDataOnly: true});
}"""


class RenderError(RuntimeError):
    """Chromium or plotly.js could not draw a figure."""


def plotly_js() -> Path:
    """The plotly.js that comes with the plotly package (kaleido's default too): the website's version."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def _checked(response: dict, doing: str) -> dict:
    """The result of a devtools command, or RenderError saying what failed."""
    if "error" in response:
        raise RenderError(f"{doing}: {response['error'].get('message', response['error'])}")
    result = response.get("result", {})
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        message = details.get("exception", {}).get("description") or details.get("text", "")
        raise RenderError(f"{doing}: {message}")
    return result


class SvgRenderer:
    """One headless Chromium with a page that has loaded plotly.js, drawing one figure at a time."""

    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="svg-renderer", daemon=True)
        self._thread.start()
        self._folder = tempfile.TemporaryDirectory(prefix="strategy-update-charts-")
        self._browser = None
        try:
            self._call(self._open())
        except BaseException:
            self.close()
            raise

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(TIMEOUT)

    async def _open(self) -> None:
        import choreographer

        page = Path(self._folder.name) / "charts.html"
        page.write_text(PAGE.format(plotly_js=plotly_js().as_uri()), encoding="utf-8")
        self._browser = await choreographer.Browser()
        tab = self._browser.get_tab()
        _checked(await tab.send_command("Page.enable"), "starting Chromium")
        loaded = tab.subscribe_once("Page.loadEventFired")
        _checked(await tab.send_command("Page.navigate", params={"url": page.as_uri()}), "loading plotly.js")
        await loaded
        window = _checked(await tab.send_command("Runtime.evaluate", params={"expression": "window"}),
                          "loading plotly.js")
        self._tab, self._window = tab, window["result"]["objectId"]

    async def _draw(self, figure_json: str, width: int, height: int, scale: float) -> str:
        response = await self._tab.send_command("Runtime.callFunctionOn", params={
            "functionDeclaration": DRAW, "objectId": self._window, "awaitPromise": True, "returnByValue": True,
            "arguments": [{"value": figure_json}, {"value": width}, {"value": height}, {"value": scale}]})
        return _checked(response, "drawing a chart")["result"]["value"]

    def svg(self, figure_json: str, *, width: int, height: int, scale: float = 1) -> str:
        """The figure (plotly's JSON of it: ``fig.to_json()``) as SVG text, ``width`` x ``height`` px."""
        return self._call(self._draw(figure_json, width, height, scale))

    def close(self) -> None:
        """Stop Chromium and the thread (called at exit for the process's renderer)."""
        try:
            if self._browser is not None:
                self._call(self._browser.close())
        finally:
            self._browser = None
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(TIMEOUT)
            self._folder.cleanup()
