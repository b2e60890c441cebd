"""Sphinx extension: the PDF as a paper document. Applies to the LaTeX builder only; the website is unchanged.

- "How this was calculated" notes are dropped (a dropdown, or a section page's note as plain text, as the
  notebook gives it for paper: render/notes.py): a dropdown cannot be opened on paper, and printing every note
  (input-row tables) ran the PDF to over a hundred pages. The annex "How the figures were calculated" gives each
  figure's arithmetic instead, and the website keeps the notes with their input rows.
- Download links become a plain statement of where the file is: a link to a file beside a web page goes nowhere
  on paper.
- The seasonal chart (one line per financial year) is left to the website: the bar chart and the control chart
  tell the story on paper, and a third chart per measure made the PDF twice the length of a board paper.
- A measure's charts are set side by side (a chart on its own beside the paragraphs before it), each with a short
  caption (the description less what the paragraph above already says, and less the download, which is the
  website's), as one float kept within its strand: a picture pushed to the next page no longer leaves the rest of
  the page empty. Their pictures are drawn for half the line (render/charts.for_print).
- A sentence that only repeats the figures of the table below it is left out: the table has them all.
- The glossary is set in two columns, each term run in before its meaning; the annex's reference table is set in
  footnote size, other tables in small type (_config.yml's preamble).
- An empty table cell is left blank: as an empty paragraph it doubled the height of its row.
- Tables get column widths from their content, so long tables (which Sphinx sets as ``longtable`` with columns
  that never wrap) stay within the page. A table of four rows or more may break across pages, rather than leave
  the rest of a page empty, but never after its first row or before its last (``PaperTranslator``).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.writers.latex import LaTeXTranslator

from strategy_update.core.formatting import sentence_case
from strategy_update.render.notes import NOTE_TITLE

CHART_DESCRIPTION = "Chart description:"
WEB_ONLY_CHART = "one line per financial year"  # words of the seasonal chart's description
# Characters: a column's share of the line follows its widest cell; cells up to SHORT long are kept on one line.
MIN_WIDTH, SHORT, MAX_WIDTH = 6, 40, 45
LINE = 95  # characters of body text across the line (17 cm at 10 pt)
TABLE_START_LINES = 12  # lines: a table's header and first two rows, kept with a heading above it
LONG_ROWS = 4  # rows with the header: a longer table may break across pages (a longtable), a shorter is kept whole
# classes: a float of charts side by side, each chart a cell, a later one after a space (_config.yml preamble)
CHART_ROW, CHART_CELL, CHART_CELL_AFTER = "chart-row", "chart-cell", "chart-cell-after"
PER_ROW = 2  # charts side by side, each 48% of the line
CHART_TEXT, BESIDE = "chart-text", 900  # class and characters: text set beside a chart that has a row to itself
SMALL_TABLE = "small-table"  # class: a table in footnote size (_config.yml preamble)
GLOSSARY = "paper-glossary"  # class: a glossary in two columns, terms run in (_config.yml preamble)
REFERENCE_PAGES = ("appendix/calculations", "appendix/demand-profile")  # reference tables, not reading: smaller
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def _is_calculation_note(node: nodes.Element) -> bool:
    title = next(iter(node.children), None)
    return title is not None and title.astext().strip().startswith(NOTE_TITLE)


def _blank_empty_cells(document: nodes.document) -> None:
    """A cell holding only an empty paragraph is emptied: LaTeX sets that paragraph as a blank line, doubling the
    height of its row; the writer leaves an empty cell blank."""
    for cell in document.findall(nodes.entry):
        if (all(isinstance(child, nodes.paragraph) for child in cell.children) and not cell.astext().strip()
                and not any(True for _ in cell.findall(nodes.image))):
            cell.children = []


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
    return f"{sentence_case(what)} is a download on the website."


def _caption(paragraph: nodes.paragraph, printed: str) -> nodes.paragraph:
    """The description as a caption that names the chart: its first clause (what follows a semicolon describes
    what the picture shows), without its download link (a file on the website), and without a closing part that
    repeats, word for word, a paragraph printed above it (the control chart's summary)."""
    text = "".join(c.astext() for c in paragraph.children if not isinstance(c, addnodes.download_reference))
    text = " ".join(text.removeprefix(CHART_DESCRIPTION).split())
    if "; " in text:
        text = text[:text.index("; ")] + "."
    for match in re.finditer(r": ", text):
        if text[match.end():].rstrip(". ") in printed:
            text = text[:match.start()] + "."
            break
    return nodes.paragraph("", "", nodes.emphasis(text=CHART_DESCRIPTION), nodes.Text(f" {text}"))


def _charts_for_paper(document: nodes.document) -> None:
    """Each seasonal chart's picture and its description (the paragraph after the picture) are dropped; the other
    pictures with their captions are set side by side, the consecutive charts of a measure as one row."""
    charts: list[tuple[nodes.image, nodes.paragraph]] = []
    last_image = None
    for node in list(document.findall(nodes.Element)):
        if isinstance(node, nodes.image):
            last_image = node
        elif isinstance(node, nodes.paragraph) and node.astext().startswith(CHART_DESCRIPTION):
            if last_image is not None and WEB_ONLY_CHART in node.astext():
                last_image.parent.remove(last_image)
                node.parent.remove(node)
            elif last_image is not None and last_image.parent is node.parent:
                charts.append((last_image, node))
            last_image = None
    rows: list[list[tuple[nodes.image, nodes.paragraph]]] = []
    for image, paragraph in charts:  # a chart straight after the previous one's description joins its row
        previous = rows[-1][-1][1] if rows else None
        if previous is not None and len(rows[-1]) < PER_ROW and previous.parent is image.parent and previous.next_node(
                descend=False, siblings=True) is image:
            rows[-1].append((image, paragraph))
        else:
            rows.append([(image, paragraph)])
    for row in rows:
        parent = row[0][0].parent
        printed = " ".join(" ".join(p.astext().split()) for p in parent.findall(nodes.paragraph)
                           if not p.astext().startswith(CHART_DESCRIPTION))
        box = nodes.container(classes=[CHART_ROW])
        parent.insert(parent.index(row[0][0]), box)
        beside = _text_before(box) if len(row) == 1 else []
        if beside:  # a chart on its own takes half the line: the text it illustrates goes in the other half
            for paragraph in beside:
                parent.remove(paragraph)
            box += nodes.container("", *beside, classes=[CHART_TEXT])
            row = [(None, None), *row]  # the chart follows the text
        for k, (image, paragraph) in enumerate(row):
            if image is None:
                continue
            parent.remove(image)
            parent.remove(paragraph)
            # a later chart starts with the space between: a pair spans the line, a single chart is centred
            cell = CHART_CELL_AFTER if k else CHART_CELL
            box += nodes.container("", image, _caption(paragraph, printed), classes=[cell])


def _text_before(node: nodes.Element) -> list[nodes.paragraph]:
    """The plain paragraphs just before ``node`` (after the last heading, list, table or chart), nearest last, as
    many as fit beside a chart drawn half the line wide."""
    parent, found, length = node.parent, [], 0
    for sibling in reversed(parent[:parent.index(node)]):
        text = sibling.astext()
        if type(sibling) is not nodes.paragraph or text.startswith(CHART_DESCRIPTION) or length + len(text) > BESIDE:
            break
        found.insert(0, sibling)
        length += len(text)
    return found


def _repeats_the_table(paragraph: nodes.Element, table: nodes.Element) -> bool:
    """True for a paragraph whose every figure (at least four) is in the table that follows it."""
    figures = NUMBER.findall(paragraph.astext())
    return len(figures) >= 4 and set(figures) <= set(NUMBER.findall(table.astext()))


def _drop_sentences_the_tables_repeat(document: nodes.document) -> None:
    for table in list(document.findall(nodes.table)):
        parent = table.parent
        before = parent[parent.index(table) - 1] if parent.index(table) else None
        if isinstance(before, nodes.paragraph) and _repeats_the_table(before, table):
            parent.remove(before)


class PaperDocument(SphinxPostTransform):
    default_priority = 199  # before the LaTeX builder's own post-transforms
    formats = ("latex",)

    def run(self, **kwargs) -> None:
        for node in list(self.document.findall(nodes.Element)):
            # sphinx-design leaves a dropdown as a container with a rubric title outside HTML
            if node.get("design_component") == "dropdown" and _is_calculation_note(node):
                node.parent.remove(node)
            # a section page's notes are HTML (render/notes.py): on paper only their plain text, title first, is left
            elif "text_plain" in node.get("classes", []) and node.astext().startswith(NOTE_TITLE):
                node.parent.remove(node)
        _charts_for_paper(self.document)
        _drop_sentences_the_tables_repeat(self.document)
        for start in self.document.findall(addnodes.start_of_file):
            if start.get("docname") in REFERENCE_PAGES:
                for table in list(start.findall(nodes.table)):
                    box = nodes.container(classes=[SMALL_TABLE])
                    table.replace_self(box)
                    box += table
        for glossary in list(self.document.findall(addnodes.glossary)):
            box = nodes.container(classes=[GLOSSARY])
            glossary.replace_self(box)
            box += glossary
        for ref in list(self.document.findall(addnodes.download_reference)):
            ref.replace_self(nodes.inline(text=download_sentence(ref.astext())))
        _blank_empty_cells(self.document)
        for table in self.document.findall(nodes.table):
            # a tabular cannot break across pages: it would leave the rest of the page empty when it does not fit
            if sum(1 for _ in table.findall(nodes.row)) > LONG_ROWS and "longtable" not in table["classes"]:
                table["classes"].append("longtable")
            widths = _cell_widths(table)
            if widths is None or "colwidths-given" in table["classes"]:
                continue
            for spec, width in zip(table.findall(nodes.colspec), widths):
                spec["colwidth"] = width
            table["classes"].append("colwidths-given")


def keeps_with_next(row: nodes.row) -> bool:
    """A table's first and second-last rows stay with the row after them: a table broken across pages never
    leaves one row on its own at the foot of a page or the top of the next."""
    body = row.parent
    if not isinstance(body, nodes.tbody):
        return False
    position, count = body.index(row), len(body)
    return count > 1 and position in (0, count - 2)


class PaperTranslator(LaTeXTranslator):
    """Sphinx's LaTeX writer, except that in a table that may break across pages (a longtable) a row that must not
    end a page is followed by ``\\paperkeptrule`` (_config.yml's preamble: its rule, after a penalty that forbids
    a page break), and a heading over a table asks for room for the table's start (needspace)."""

    def visit_rubric(self, node: nodes.rubric) -> None:
        # A heading over a table (a theme's "at a glance") stays with the table's header and first rows.
        if isinstance(node.next_node(descend=False, siblings=True), nodes.table):
            self.body.append(r"\needspace{%d\baselineskip}" % TABLE_START_LINES + "\n")
        super().visit_rubric(node)

    def depart_row(self, node: nodes.row) -> None:
        end = len(self.body)
        super().depart_row(node)
        if self.table.is_longtable() and keeps_with_next(node) and self.body[end + 1:end + 2] == [r"\sphinxhline"]:
            self.body[end + 1] = r"\paperkeptrule"


def use_paper_translator(app) -> None:
    """The LaTeX builder only. Registered for every builder, a translator would make the HTML theme (pydata) wrap
    only the translators registered, leaving the website's writer without its accessibility fixes (aria-level on
    the menu's headings) and its table classes."""
    if app.builder.name == "latex":
        app.set_translator("latex", PaperTranslator, override=True)


def setup(app):
    app.add_post_transform(PaperDocument)
    app.connect("builder-inited", use_paper_translator)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
