"""One kaleido (headless Chromium) server per notebook, so PNG images for the PDF do not start a browser per chart."""

from __future__ import annotations

import contextlib
import warnings

import kaleido


@contextlib.contextmanager
def chart_server():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kaleido.start_sync_server(silence_warnings=True)
    try:
        yield
    finally:
        kaleido.stop_sync_server(silence_warnings=True)
