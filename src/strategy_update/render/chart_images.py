"""PNG images of plotly charts for the PDF, from one kaleido (headless Chromium) server per process.

The server starts with the first chart a process renders (a strand with no charts starts no browser) and stays
up for the life of the process, so a kernel that runs several notebooks starts Chromium once. Kaleido stops it
when the process exits.
"""

from __future__ import annotations

import warnings

import kaleido

_server = {"started": False}


def png(fig, **size) -> bytes:
    """The figure as PNG bytes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not _server["started"]:
            kaleido.start_sync_server(silence_warnings=True)
            _server["started"] = True
        return fig.to_image(format="png", **size)
