"""The PDF's document: the book's one assembled doctree written as Typst markup (build/paper.typ sets the page).

Every piece of text is written as a Typst string (``#"..."``), so nothing a narrative says is read as markup.
Structure becomes Typst's own elements, which the PDF tags (PDF/UA-1): headings (numbered to the second level,
as a board paper's 3 and 3.1), paragraphs, lists, term lists, tables with their header rows (``table.header``),
figures with the website's text alternative, links.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from docutils import nodes
from sphinx.locale import admonitionlabels

from strategy_update.core.formatting import sentence_case
from strategy_update.render.web_only import is_web_only

SHORT_ROWS = 8  # rows with the header: a table this short is kept whole on one page
# Characters: a column's share of the line follows its widest cell; cells up to SHORT long are kept on one line.
MIN_WIDTH, SHORT, MAX_WIDTH = 6, 40, 45
LINE = 95  # characters of body text across the line
CHART_ROW, CHART_TEXT = "chart-row", "chart-text"  # classes set by build/typst_book.py's paper transform
SMALL_TABLE, GLOSSARY = "small-table", "paper-glossary"


def string(text: str) -> str:
    """``text`` as a Typst string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("\r", " ")
    return f'"{escaped}"'


def label_name(docname: str, node_id: str = "") -> str:
    """A Typst label for a page or an anchor on it (ids repeat across pages: ``insights``)."""
    return re.sub(r"[^A-Za-z0-9_.:-]", "-", f"{docname}:{node_id}" if node_id else f"doc:{docname}")


def download_sentence(link_text: str) -> str:
    """``Download the chart data (CSV)`` -> ``The chart data (CSV) is a download on the website.``"""
    what = link_text.strip().removeprefix("Download ").strip() or "The file"
    return f"{sentence_case(what)} is a download on the website."


def _length(text: str) -> int:
    """Characters, block elements (a sparkline's bars, drawn about twice as wide as a letter) counted twice."""
    return len(text) + sum(1 for c in text if "\u2580" <= c <= "\u259f")


def _share(text: str) -> int:
    """A cell's claim on the line, in characters: short cells (names, figures) are not broken; long ones wrap."""
    longest_word = max((_length(word) for word in text.split()), default=0)
    length = _length(text)
    wanted = length + 2 if length <= SHORT else max(SHORT, length // 3)  # + 2: figures are not split
    return max(longest_word, min(MAX_WIDTH, wanted))


def cell_widths(table: nodes.table) -> list[int] | None:
    """Each column's claim on the line (its widest body cell; headers wrap instead), or None for an irregular
    table (spanned cells)."""
    group = next(iter(table.findall(nodes.tgroup)), None)
    if group is None:
        return None
    widths = [MIN_WIDTH] * int(group["cols"])
    floors = [MIN_WIDTH] * int(group["cols"])  # the longest word: a column narrower would overflow
    for row in group.findall(nodes.row):
        entries = [e for e in row.children if isinstance(e, nodes.entry)]
        if len(entries) != len(widths) or any(e.get("morecols") or e.get("morerows") for e in entries):
            return None
        header = isinstance(row.parent, nodes.thead)
        for i, entry in enumerate(entries):
            text = entry.astext()
            word = max((_length(w) + 2 for w in text.split()), default=0)
            floors[i] = max(floors[i], word if not header else 0)
            widths[i] = max(widths[i], word if header else _share(text))
    return fit(widths, floors)


def fit(widths: list[int], floors: list[int] | None = None) -> list[int]:
    """Widths that fit the line: when they do not, the widest columns give way first (down to a common cap, never
    below their longest word), so narrow columns (names, figures) keep their single line and long text wraps."""
    floors = floors or [MIN_WIDTH] * len(widths)
    if sum(widths) <= LINE:
        return widths
    cap = max(widths)
    while cap > MIN_WIDTH and sum(min(w, max(cap, f)) for w, f in zip(widths, floors)) > LINE:
        cap -= 1
    return [min(w, max(cap, f)) for w, f in zip(widths, floors)]


class TypstTranslator(nodes.NodeVisitor):
    """Docutils nodes to Typst markup. ``images``: each image's source path to its name in the output folder;
    ``labels``: the anchors that exist, so a link never points at nothing."""

    def __init__(self, document: nodes.document, images: dict[str, str], labels: set[str]):
        super().__init__(document)
        self.images, self.labels = images, labels
        self.body: list[str] = []
        self.section_depth = 0
        self.page_depth = [0]  # the depth of each open page's top section (its rubrics are levelled from it)
        self.docname = [document.get("docname", "")]

    def astext(self) -> str:
        return "".join(self.body)

    # --- anything not named below: its children, in order ------------------------------------------
    def unknown_visit(self, node: nodes.Node) -> None:
        if isinstance(node, nodes.Element) and is_web_only(node.get("classes")):
            raise nodes.SkipNode

    def unknown_departure(self, node: nodes.Node) -> None:
        pass

    def visit_Text(self, node: nodes.Text) -> None:
        text = node.astext()
        if text:
            self.body.append(f"#{string(text)}")

    def _skip(self, node: nodes.Node) -> None:
        raise nodes.SkipNode

    visit_raw = visit_comment = visit_target = visit_index = visit_substitution_definition = _skip
    visit_toctree = visit_meta = visit_system_message = visit_pending_xref = _skip

    # --- pages and headings --------------------------------------------------------------------------
    def visit_start_of_file(self, node: nodes.Element) -> None:
        self.docname.append(node["docname"])
        self.page_depth.append(self.section_depth + 1)
        self.body.append(f"\n#metadata(none) <{label_name(node['docname'])}>\n")

    def depart_start_of_file(self, node: nodes.Element) -> None:
        self.docname.pop()
        self.page_depth.pop()

    def visit_section(self, node: nodes.section) -> None:
        self.section_depth += 1

    def depart_section(self, node: nodes.section) -> None:
        self.section_depth -= 1

    def _heading(self, level: int, node: nodes.Element, outlined: bool) -> None:
        ids = [i for i in (node.parent.get("ids", []) if isinstance(node, nodes.title) else node.get("ids", []))]
        anchor = f" <{label_name(self.docname[-1], ids[0])}>" if ids else ""
        flags = "" if outlined else ", outlined: false, numbering: none"
        self.body.append(f"\n#heading(level: {max(1, level)}{flags})[")
        self._end = f"]{anchor}\n"

    def visit_title(self, node: nodes.title) -> None:
        if not isinstance(node.parent, nodes.section):
            self.body.append("#strong[")
            self._end = "]\n\n"
            return
        level = self.section_depth - 1  # the root page's title is the cover's; its sections are chapters
        if level < 1:
            raise nodes.SkipNode
        self._heading(level, node, outlined=True)

    def depart_title(self, node: nodes.title) -> None:
        self.body.append(self._end)

    def visit_rubric(self, node: nodes.rubric) -> None:
        # A heading inside a notebook's output (a measure's name: "###" on its page): levelled from its page's top.
        level = self.page_depth[-1] - 2 + int(node.get("level", 3))
        self._heading(max(level, self.section_depth), node, outlined=False)

    depart_rubric = depart_title

    # --- blocks ----------------------------------------------------------------------------------------
    def visit_paragraph(self, node: nodes.paragraph) -> None:
        self.body.append("\n")

    def depart_paragraph(self, node: nodes.paragraph) -> None:
        self.body.append("\n\n" if not isinstance(node.parent, nodes.entry) or node.next_node(
            descend=False, siblings=True) is not None else "")

    def visit_bullet_list(self, node: nodes.Element) -> None:
        self.body.append("\n#list(")

    def visit_enumerated_list(self, node: nodes.Element) -> None:
        self.body.append("\n#enum(")

    def depart_bullet_list(self, node: nodes.Element) -> None:
        self.body.append(")\n")

    depart_enumerated_list = depart_bullet_list

    def visit_list_item(self, node: nodes.Element) -> None:
        self.body.append("[")

    def depart_list_item(self, node: nodes.Element) -> None:
        self.body.append("],")

    def visit_definition_list(self, node: nodes.Element) -> None:
        self.body.append("\n#terms(")

    depart_definition_list = depart_bullet_list

    def visit_definition_list_item(self, node: nodes.Element) -> None:
        self.body.append("terms.item(")

    def depart_definition_list_item(self, node: nodes.Element) -> None:
        self.body.append("),")

    def visit_term(self, node: nodes.Element) -> None:
        self.body.append("strong[")

    def depart_term(self, node: nodes.Element) -> None:
        self.body.append("],")

    def visit_definition(self, node: nodes.Element) -> None:
        self.body.append("[")

    def depart_definition(self, node: nodes.Element) -> None:
        self.body.append("]")

    def visit_literal_block(self, node: nodes.Element) -> None:
        self.body.append(f"\n#raw(block: true, {string(node.astext())})\n")
        raise nodes.SkipNode

    def visit_container(self, node: nodes.container) -> None:
        classes = node.get("classes", [])
        if is_web_only(classes):
            raise nodes.SkipNode
        if CHART_ROW in classes:
            self._chart_row(node)
            raise nodes.SkipNode
        if SMALL_TABLE in classes:
            self.body.append("\n#small-table[")
        elif GLOSSARY in classes:
            self.body.append("\n#glossary[")

    def depart_container(self, node: nodes.container) -> None:
        if {SMALL_TABLE, GLOSSARY} & set(node.get("classes", [])):
            self.body.append("]\n")

    def visit_admonition(self, node: nodes.Element) -> None:
        self.body.append("\n#block(inset: 6pt, stroke: 0.5pt + gray, width: 100%)[")
        if node.tagname in admonitionlabels:  # a warning, a note...: its label, as the website heads it
            self.body.append(f"#strong[#{string(str(admonitionlabels[node.tagname]))}]\n\n")

    def depart_admonition(self, node: nodes.Element) -> None:
        self.body.append("]\n")

    visit_warning = visit_note = visit_important = visit_tip = visit_caution = visit_attention = visit_admonition
    depart_warning = depart_note = depart_important = depart_tip = depart_caution = depart_attention = depart_admonition

    # --- inline ------------------------------------------------------------------------------------------
    def _wrap(opening: str):
        def visit(self, node):
            self.body.append(opening)

        def depart(self, node):
            self.body.append("]")
        return visit, depart

    visit_strong, depart_strong = _wrap("#strong[")
    visit_emphasis, depart_emphasis = _wrap("#emph[")
    visit_literal, depart_literal = _wrap("#text(font: \"DejaVu Sans Mono\", size: 0.9em)[")
    visit_subscript, depart_subscript = _wrap("#sub[")
    visit_superscript, depart_superscript = _wrap("#super[")

    def visit_reference(self, node: nodes.reference) -> None:
        uri = node.get("refuri", "")
        if uri.startswith(("http://", "https://", "mailto:")):
            self.body.append(f"#link({string(uri)})[")
        elif uri.startswith("%") or node.get("refid"):
            docname, _, anchor = uri.removeprefix("%").partition("#")
            if node.get("refid"):
                docname, anchor = self.docname[-1], node["refid"]
            label = label_name(docname, anchor) if anchor else label_name(docname)
            self.body.append(f"#link(<{label}>)[" if label in self.labels else "#[")
        else:
            self.body.append("#[")

    def depart_reference(self, node: nodes.reference) -> None:
        self.body.append("]")

    def visit_download_reference(self, node: nodes.Element) -> None:
        self.body.append(f"#{string(download_sentence(node.astext()))}")
        raise nodes.SkipNode

    def visit_image(self, node: nodes.image) -> None:
        name = self.images.get(node["uri"], PurePosixPath(node["uri"]).name)
        self.body.append(f"\n#align(center, image({string(name)}, alt: {string(node.get('alt', ''))}, "
                         "width: 78%))\n")

    # --- tables ------------------------------------------------------------------------------------------
    def visit_table(self, node: nodes.table) -> None:
        rows = list(node.findall(nodes.row))
        widths = cell_widths(node)
        columns = ", ".join(f"{w}fr" for w in widths) if widths else ", ".join(
            ["auto"] * int(next(iter(node.findall(nodes.tgroup)))["cols"]))
        self.body.append("\n#kept(" if len(rows) <= SHORT_ROWS else "\n#(")
        self.body.append(f"table(columns: ({columns},), ")

    def depart_table(self, node: nodes.table) -> None:
        self.body.append("))\n")

    def visit_thead(self, node: nodes.Element) -> None:
        self.body.append("table.header(")

    def depart_thead(self, node: nodes.Element) -> None:
        self.body.append("),")

    def visit_entry(self, node: nodes.entry) -> None:
        spans = []
        if node.get("morecols"):
            spans.append(f"colspan: {node['morecols'] + 1}")
        if node.get("morerows"):
            spans.append(f"rowspan: {node['morerows'] + 1}")
        self.body.append(f"table.cell({', '.join(spans)})[" if spans else "[")

    def depart_entry(self, node: nodes.entry) -> None:
        self.body.append("],")

    def visit_colspec(self, node):
        raise nodes.SkipNode

    def _charts(self, node: nodes.Element) -> str:
        """A chart cell: its picture and its description (the caption), or the text set beside a chart."""
        if CHART_TEXT in node.get("classes", []):
            inner = TypstTranslator(self.document, self.images, self.labels)
            inner.docname, inner.section_depth, inner.page_depth = self.docname, self.section_depth, self.page_depth
            for child in node.children:
                child.walkabout(inner)
            return f"[{inner.astext()}]"
        image, caption = node.children[0], node.children[1]
        inner = TypstTranslator(self.document, self.images, self.labels)
        for child in caption.children:
            child.walkabout(inner)
        name = self.images.get(image["uri"], PurePosixPath(image["uri"]).name)
        return f"chart({string(name)}, {string(image.get('alt', ''))}, [{inner.astext()}])"

    def _chart_row(self, node: nodes.container) -> None:
        cells = [self._charts(child) for child in node.children]
        self.body.append(f"\n#chart-row({', '.join(cells)})\n")
