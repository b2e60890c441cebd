"""The one Markdown table writer (text from inputs is made literal before it gets here: core/markup.py)."""

from __future__ import annotations


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
