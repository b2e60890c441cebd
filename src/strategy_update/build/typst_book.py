"""Sphinx extension: the PDF, as a tagged (PDF/UA-1) board paper typeset by Typst.

A builder (``typst``, run as ``jupyter-book build --builder custom --custom-builder typst``) assembles the PDF's
contents (``_toc_pdf.yml``) into one document tree, as Sphinx's LaTeX builder does, shapes it for paper
(``PaperDocument``), writes it as Typst markup (build/typst_writer.py) with the page design of build/paper.typ, and
compiles it with the ``typst`` package into ``update.pdf``.

On paper:
- what is declared website-only (render/web_only.py) is left out; a download link is said in words;
- each notebook output is given in its print form: a chart's SVG (vector graphics) with the website's text
  alternative (the output's plain text, which is the chart's label on the website), else its Markdown, else its
  plain text;
- a measure's charts are set side by side, each with its description (the output after it) as caption; a chart
  on its own has the text before it beside it;
- the glossary is set in two columns, the annex's reference tables in small type.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.builders import Builder
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util.nodes import inline_all_toctrees

from strategy_update.build.pdf_reading import Margins
from strategy_update.build.typst_writer import CHART_ROW, CHART_TEXT, GLOSSARY, SMALL_TABLE, TypstTranslator, label_name
from strategy_update.render.web_only import html_root_classes, is_web_only

PAPER = Path(__file__).with_name("paper.typ")
PRINT_IMAGES = ("image/svg+xml", "image/png", "image/jpeg")
PER_ROW = 2  # charts side by side
BESIDE = 900  # characters of text set beside a chart that has a row to itself
REFERENCE_PAGES = ("appendix/calculations", "appendix/demand-profile")  # reference tables, not reading: smaller
TARGET = "update"
MARGINS_CM = {"x": 2.0, "top": 2.2, "bottom": 2.2}  # the page's; the running header and the footer are drawn in them
POINTS_PER_CM = 72 / 2.54


def text_area() -> Margins:
    """Where the text area ends, top and bottom, as the PDF's checks measure it (in points)."""
    return Margins(top=MARGINS_CM["top"] * POINTS_PER_CM, bottom=MARGINS_CM["bottom"] * POINTS_PER_CM)


def _mime(bundle: nodes.Element, mime_type: str) -> nodes.Element | None:
    return next((c for c in bundle.children if c.get("mime_type") == mime_type), None)


def print_form(bundle: nodes.Element) -> list[nodes.Node]:
    """What a notebook output (myst-nb's bundle of its representations) prints as: nothing for an output marked
    website-only; a picture with the output's plain text as its text alternative; else its Markdown, or its text."""
    html = _mime(bundle, "text/html")
    if html is not None and is_web_only(html_root_classes(html.astext())):
        return []
    plain = _mime(bundle, "text/plain")
    for mime_type in PRINT_IMAGES:
        image = _mime(bundle, mime_type)
        if image is not None:
            picture = next(image.findall(nodes.image))
            picture["alt"] = plain.astext() if plain is not None else ""
            picture["classes"].append("chart")
            return [picture]
    markdown = _mime(bundle, "text/markdown")
    if markdown is not None:
        return list(markdown.children)
    return list(plain.children) if plain is not None else []


class PaperDocument(SphinxPostTransform):
    """Each notebook output in its print form, website-only blocks out, charts in rows (see the module)."""

    default_priority = 3  # before myst-nb's choice of one representation per output (4)
    builders = ("typst",)

    def run(self, **kwargs) -> None:
        for bundle in list(self.document.findall(lambda n: isinstance(n, nodes.container)
                                                 and n.get("nb_element") == "mime_bundle")):
            bundle.replace_self(print_form(bundle))
        for node in list(self.document.findall(nodes.Element)):
            if (is_web_only(node.get("classes"), node.get("design_component")) and node.parent is not None
                    and not isinstance(node, addnodes.download_reference)):
                node.parent.remove(node)
        chart_rows(self.document)
        for start in self.document.findall(addnodes.start_of_file):
            if start.get("docname") in REFERENCE_PAGES:
                for table in list(start.findall(nodes.table)):
                    table.replace_self(nodes.container("", table.deepcopy(), classes=[SMALL_TABLE]))
        for glossary in list(self.document.findall(addnodes.glossary)):
            glossary.replace_self(nodes.container("", *glossary.children, classes=[GLOSSARY]))


def _next_block(node: nodes.Node) -> nodes.Node | None:
    """The block after ``node`` in reading order, stepping out of the notebook's output containers."""
    while node is not None:
        after = node.next_node(descend=False, siblings=True)
        if after is not None:
            while isinstance(after, nodes.container) and after.children and not after.get("classes"):
                after = after.children[0]
            return after
        node = node.parent
        if not isinstance(node, nodes.container) or isinstance(node, nodes.section):
            return None
    return None


def chart_rows(document: nodes.document) -> None:
    """A chart and its description (the paragraph that follows it) as one cell; a measure's consecutive charts
    side by side, PER_ROW a row; a chart on its own with the plain paragraphs before it beside it."""
    cells = []
    for image in list(document.findall(lambda n: isinstance(n, nodes.image) and "chart" in n["classes"])):
        description = _next_block(image)
        if isinstance(description, nodes.paragraph):
            cells.append((image, description))
    rows: list[list[tuple[nodes.image, nodes.paragraph]]] = []
    for image, description in cells:
        if rows and len(rows[-1]) < PER_ROW and _next_block(rows[-1][-1][1]) is image:
            rows[-1].append((image, description))
        else:
            rows.append([(image, description)])
    for row in rows:
        box = nodes.container(classes=[CHART_ROW])
        first = row[0][0]
        first.parent.insert(first.parent.index(first), box)
        if len(row) == 1:
            beside = _text_before(box)
            if beside:
                for paragraph in beside:
                    paragraph.parent.remove(paragraph)
                box += nodes.container("", *beside, classes=[CHART_TEXT])
        for image, description in row:
            for link in list(description.findall(addnodes.download_reference)):  # the caption names the chart only
                link.parent.remove(link)
            image.parent.remove(image)
            description.parent.remove(description)
            box += nodes.container("", image, description)


def _text_before(node: nodes.Element) -> list[nodes.paragraph]:
    """The plain paragraphs just before ``node`` in its parent, nearest last, as many as fit beside a chart."""
    parent, found, length = node.parent, [], 0
    for sibling in reversed(parent[:parent.index(node)]):
        text = sibling.astext()
        if type(sibling) is not nodes.paragraph or length + len(text) > BESIDE:
            break
        found.insert(0, sibling)
        length += len(text)
    return found


def _labels(tree: nodes.document) -> set[str]:
    """Every anchor the writer sets: each page, and each heading's id on its page."""
    labels = set()
    for start in tree.findall(addnodes.start_of_file):
        labels.add(label_name(start["docname"]))
        for node in start.findall(lambda n: isinstance(n, (nodes.section, nodes.rubric))):
            if node.get("ids"):
                labels.add(label_name(start["docname"], node["ids"][0]))
    return labels


class TypstBuilder(Builder):
    name = "typst"
    format = "typst"
    epilog = "The PDF is in %(outdir)s."
    supported_image_types = list(PRINT_IMAGES)
    default_translator_class = TypstTranslator

    def init(self) -> None:
        pass

    def get_outdated_docs(self):
        return "the PDF"

    def get_target_uri(self, docname: str, typ: str | None = None) -> str:
        return "%" + docname

    def prepare_writing(self, docnames) -> None:
        pass

    def write_doc(self, docname, doctree) -> None:
        pass

    def write(self, *ignored) -> None:
        root = self.config.root_doc
        tree = inline_all_toctrees(self, set(), root, self.env.get_doctree(root), lambda s: s, [root])
        tree["docname"] = root
        self.env.resolve_references(tree, root, self)  # post-transforms: PaperDocument among them
        images = self._copy_images(tree)
        body = TypstTranslator(tree, images, _labels(tree))
        tree.walkabout(body)
        shutil.copyfile(PAPER, Path(self.outdir) / PAPER.name)
        (Path(self.outdir) / f"{TARGET}.typ").write_text(self._document(body.astext()), encoding="utf-8")

    def _copy_images(self, tree: nodes.document) -> dict[str, str]:
        images = {}
        for k, image in enumerate(tree.findall(nodes.image)):
            source = Path(self.srcdir) / image["uri"]
            name = f"images/{k:03d}{source.suffix}"
            (Path(self.outdir) / "images").mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, Path(self.outdir) / name)
            images[image["uri"]] = name
        return images

    def _document(self, body: str) -> str:
        from strategy_update.build.typst_writer import string

        title = self.config.html_title or self.config.project  # Jupyter Book's title
        author = self.config.author.partition(";")[0].strip()
        today = self.config.today or date.today().strftime(self.config.today_fmt or "%-d %B %Y")
        margin = ", ".join(f"{side}: {size}cm" for side, size in MARGINS_CM.items())
        return (f'#import "{PAPER.name}": *\n'
                f"#show: paper.with(title: {string(title)}, author: {string(author)}, date: {string(today)}, "
                f"short-title: {string(title)}, margin: ({margin}))\n{body}\n")

    def finish(self) -> None:
        import typst

        source = Path(self.outdir) / f"{TARGET}.typ"
        typst.compile(str(source), output=str(source.with_suffix(".pdf")), pdf_standards=["ua-1"],
                      font_paths=[], root=str(self.outdir))


def setup(app):
    app.add_builder(TypstBuilder)
    app.add_post_transform(PaperDocument)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
