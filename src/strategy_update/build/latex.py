"""Sphinx extension: the PDF as a paper document. Applies to the LaTeX builder only; the website is unchanged.

- "How this was calculated" notes are dropped: a dropdown cannot be opened on paper, and printing every note
  (input-row tables) ran the PDF to over a hundred pages. The annex "How the figures were calculated" gives each
  figure's arithmetic instead, and the website keeps the notes with their input rows.
- Download links become a plain statement of where the file is: a link to a file beside a web page goes nowhere
  on paper.
- The seasonal chart (one line per financial year) is left to the website: the bar chart and the control chart
  tell the story on paper, and a third chart per measure made the PDF twice the length of a board paper.
- Tables get column widths from their content, so long tables (which Sphinx sets as ``longtable`` with columns
  that never wrap) stay within the page, and any table of more than a few rows may break across pages.
"""

from __future__ import annotations

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

NOTE_TITLE = "How this was calculated"
CHART_DESCRIPTION = "Chart description:"
WEB_ONLY_CHART = "one line per financial year"  # words of the seasonal chart's description
# Characters: a column's share of the line follows its widest cell; cells up to SHORT long are kept on one line.
MIN_WIDTH, SHORT, MAX_WIDTH = 6, 40, 45
LINE = 95  # characters of body text across the line (17 cm at 10 pt)
LONG_ROWS = 10  # rows: a longer table may run over a page, so it is set as a longtable


def _is_calculation_note(node: nodes.Element) -> bool:
    title = next(iter(node.children), None)
    return title is not None and title.astext().strip().startswith(NOTE_TITLE)


def _length(text: str) -> int:
    """Characters, block elements (a sparkline's bars, drawn about twice as wide as a letter) counted twice."""
    return len(text) + sum(1 for c in text if "\u2580" <= c <= "\u259f")


def _share(text: str) -> int:
    """A cell's claim on the line, in characters: short cells (names, figures) are not broken; long ones wrap."""
    longest_word = max((_length(word) for word in text.split()), default=0)
    length = _length(text)
    wanted = length + 2 if length <= SHORT else max(SHORT, length // 3)  # + 2: figures are not split
    return max(longest_word, min(MAX_WIDTH, wanted))


def _cell_widths(table: nodes.table) -> list[int] | None:
    """Each column's claim on the line (its widest body cell; headers wrap instead), or None for an irregular
    table (spanned cells)."""
    group = next(iter(table.findall(nodes.tgroup)), None)
    if group is None:
        return None
    widths = [MIN_WIDTH] * int(group["cols"])
    floors = [MIN_WIDTH] * int(group["cols"])  # the longest word: a column narrower would overflow
    for row in group.findall(nodes.row):
        entries = [e for e in row.children if isinstance(e, nodes.entry)]
        if len(entries) != len(widths) or any(e.get("morecols") for e in entries):
            return None
        header = isinstance(row.parent, nodes.thead)
        for i, entry in enumerate(entries):
            text = entry.astext()
            word = max((_length(w) + 2 for w in text.split()), default=0)
            floors[i] = max(floors[i], word if not header else 0)
            widths[i] = max(widths[i], word if header else _share(text))
    return _fit(widths, floors)


def _fit(widths: list[int], floors: list[int] | None = None) -> list[int]:
    """Widths that fit the line: when they do not, the widest columns give way first (down to a common cap, never
    below their longest word), so narrow columns (names, figures) keep their single line and long text wraps."""
    floors = floors or [MIN_WIDTH] * len(widths)
    if sum(widths) <= LINE:
        return widths
    cap = max(widths)
    while cap > MIN_WIDTH and sum(min(w, max(cap, f)) for w, f in zip(widths, floors)) > LINE:
        cap -= 1
    return [min(w, max(cap, f)) for w, f in zip(widths, floors)]


def download_sentence(link_text: str) -> str:
    """``Download the chart data (CSV)`` -> ``The chart data (CSV) is a download on the website.``"""
    what = link_text.strip().removeprefix("Download ").strip() or "The file"
    return f"{what[0].upper()}{what[1:]} is a download on the website."


def _charts_for_paper(document: nodes.document) -> None:
    """Each seasonal chart's picture and its description (the paragraph after the picture) are dropped; the other
    descriptions are set as captions (class ``chart-description``: smaller type, see _config.yml's preamble)."""
    last_image = None
    for node in list(document.findall(nodes.Element)):
        if isinstance(node, nodes.image):
            last_image = node
        elif isinstance(node, nodes.paragraph) and node.astext().startswith(CHART_DESCRIPTION):
            text = node.astext()
            if last_image is not None and WEB_ONLY_CHART in text:
                last_image.parent.remove(last_image)
                node.parent.remove(node)
            else:
                caption = nodes.container(classes=["chart-description"])
                node.replace_self(caption)
                caption += node
            last_image = None


class PaperDocument(SphinxPostTransform):
    default_priority = 199  # before the LaTeX builder's own post-transforms
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.Element)):
            # sphinx-design leaves a dropdown as a container with a rubric title outside HTML
            if node.get("design_component") == "dropdown" and _is_calculation_note(node):
                node.parent.remove(node)
        _charts_for_paper(self.document)
        for ref in list(self.document.findall(addnodes.download_reference)):
            ref.replace_self(nodes.inline(text=download_sentence(ref.astext())))
        for table in self.document.findall(nodes.table):
            widths = _cell_widths(table)
            if widths is None or "colwidths-given" in table["classes"]:
                continue
            for spec, width in zip(table.findall(nodes.colspec), widths):
                spec["colwidth"] = width
            table["classes"].append("colwidths-given")
            if sum(1 for _ in table.findall(nodes.row)) > LONG_ROWS:  # a tabular cannot break across pages
                table["classes"].append("longtable")


def setup(app):
    app.add_post_transform(PaperDocument)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
