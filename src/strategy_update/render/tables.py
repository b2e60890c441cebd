"""The one Markdown table writer, and text made safe to place in MyST Markdown."""

from __future__ import annotations

import json
import re

# Markdown and MyST markup characters; "|" is left to markdown_table, which makes it safe in a cell.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!~$&^=])")


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    """A pipe table; cells are written as given (they may hold Markdown), with pipes and line breaks made safe."""
    def clean(cell: object) -> str:
        return str(cell).replace("|", "\\|").replace("\n", " ")
    lines = ["| " + " | ".join(clean(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(clean(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def list_table(header: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """A MyST list-table with relative column widths, for a table whose columns the PDF must not size by their
    longest word (e.g. a sparkline); cells are written as given, on one line each."""
    def item(cells: list[object]) -> list[str]:
        flat = [" ".join(str(c).split()) for c in cells]
        return [f"* - {flat[0]}"] + [f"  - {c}" for c in flat[1:]]
    lines = ["::::{list-table}", ":header-rows: 1", f":widths: {' '.join(str(w) for w in widths)}", ""]
    for cells in [header, *rows]:
        lines += item(cells)
    return "\n".join(lines + ["::::"])


def plain(value: object) -> str:
    """Text from an input (a file name, a value someone typed) shown as literal text: no markup, no HTML, no line
    breaks."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))
