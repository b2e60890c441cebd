"""The built PDF read back: its structure tree (the tags a screen reader follows, read with pypdf) and what each page
draws where (PDFium, through pypdfium2: every text, path and picture with its box, its text and the marked content
it belongs to). The fidelity gate, the print layout check and the tests read the PDF through here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject

ARTIFACT = -1  # PDFium's marked-content id for what belongs to no structure element (running header, footer)


@dataclass
class Element:
    """A structure element: its type (``H2``, ``P``, ``Table``, ``Figure``...), alternative text, page (0-based,
    where it says) and children; ``mcids``: the marked content it holds, as (page, MCID)."""

    kind: str
    alt: str | None = None
    page: int | None = None
    kids: list[Element] = field(default_factory=list)
    mcids: list[tuple[int, int]] = field(default_factory=list)

    def walk(self):
        yield self
        for kid in self.kids:
            yield from kid.walk()

    def all_mcids(self) -> list[tuple[int, int]]:
        return [m for element in self.walk() for m in element.mcids]


def _page_numbers(reader: PdfReader) -> dict[int, int]:
    return {page.indirect_reference.idnum: n for n, page in enumerate(reader.pages)}


def _element(node: DictionaryObject, pages: dict[int, int], page: int | None) -> Element:
    where = node.get("/Pg")
    if isinstance(where, IndirectObject):
        page = pages.get(where.idnum, page)
    element = Element(str(node.get("/S", "")).lstrip("/"), node.get("/Alt"), page)
    kids = node.get("/K")
    if kids is None:
        return element
    for kid in kids if isinstance(kids, ArrayObject) else [kids]:
        kid = kid.get_object() if isinstance(kid, IndirectObject) else kid
        if isinstance(kid, (NumberObject, int)):
            element.mcids.append((page, int(kid)))
        elif isinstance(kid, DictionaryObject) and kid.get("/Type") == "/MCR":
            mcr_page = kid.get("/Pg")
            element.mcids.append((pages.get(mcr_page.idnum, page) if mcr_page else page, int(kid["/MCID"])))
        elif isinstance(kid, DictionaryObject) and kid.get("/Type") == "/OBJR":
            continue
        elif isinstance(kid, DictionaryObject):
            element.kids.append(_element(kid, pages, page))
    return element


def structure(reader: PdfReader) -> Element | None:
    """The structure tree from its root, or None for an untagged PDF."""
    root = reader.trailer["/Root"].get("/StructTreeRoot")
    if root is None:
        return None
    return _element(root.get_object(), _page_numbers(reader), None)


def page_mcids(reader: PdfReader) -> dict[int, set[int]]:
    """The marked-content ids each page's content stream draws (what must be in the structure tree)."""
    from pypdf.generic import ContentStream

    found: dict[int, set[int]] = {}
    for n, page in enumerate(reader.pages):
        ids = found.setdefault(n, set())
        contents = page.get_contents()
        if contents is None:
            continue
        for operands, operator in ContentStream(contents, reader).operations:
            if (operator == b"BDC" and len(operands) > 1 and isinstance(operands[1], DictionaryObject)
                    and "/MCID" in operands[1]):
                ids.add(int(operands[1]["/MCID"]))
    return found


def read(path: Path) -> PdfReader:
    return PdfReader(path)


# --- what the pages draw, where --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Box:
    """A rectangle in points from the page's bottom left corner, as PDF coordinates are."""

    left: float
    bottom: float
    right: float
    top: float


@dataclass(frozen=True)
class Margins:
    """The text area's distance from the page's top and bottom edges, in points: the running header and the
    footer are drawn in these margins (build/typst_book.py sets them)."""

    top: float
    bottom: float


@dataclass(frozen=True)
class Drawn:
    """One thing a page draws (a run of text, a path, a picture), in the order the page draws it: its page (0-based),
    the marked content it belongs to (``ARTIFACT`` for none), its box and, for text, its characters."""

    page: int
    mcid: int
    box: Box
    text: str = ""


@dataclass
class PrintedPdf:
    """A built PDF as the checks read it: page sizes (width, height), the structure tree, everything drawn."""

    sizes: list[tuple[float, float]]
    tree: Element
    drawn: list[Drawn]

    def __post_init__(self):
        self._by_mcid: dict[tuple[int, int], list[Drawn]] = {}
        for item in self.drawn:
            if item.mcid != ARTIFACT:
                self._by_mcid.setdefault((item.page, item.mcid), []).append(item)

    def drawn_for(self, element: Element) -> list[Drawn]:
        """What the pages draw for ``element`` and its children, in their order."""
        return [item for mcid in element.all_mcids() for item in self._by_mcid.get(mcid, [])]


def drawn(path: Path) -> tuple[list[tuple[float, float]], list[Drawn]]:
    """Page sizes and every object the pages draw (forms whole), in drawing order. PDFium's own calls: its Python
    wrappers cost more than the reading itself on a page of charts (each label a text object)."""
    import ctypes

    import pypdfium2
    import pypdfium2.raw as pdfium

    document = pypdfium2.PdfDocument(str(path))
    sizes, found = [], []
    edges = [ctypes.c_float() for _ in range(4)]
    buffer_chars = 4096
    buffer = (ctypes.c_ushort * buffer_chars)()
    try:
        for number in range(len(document)):
            page = document[number]
            sizes.append(page.get_size())
            text_page = page.get_textpage()
            for k in range(pdfium.FPDFPage_CountObjects(page.raw)):
                item = pdfium.FPDFPage_GetObject(page.raw, k)
                pdfium.FPDFPageObj_GetBounds(item, *(ctypes.byref(edge) for edge in edges))
                text = ""
                if pdfium.FPDFPageObj_GetType(item) == pdfium.FPDF_PAGEOBJ_TEXT:
                    size = pdfium.FPDFTextObj_GetText(item, text_page.raw, buffer, buffer_chars * 2)  # bytes
                    if size > buffer_chars * 2:
                        buffer_chars = size
                        buffer = (ctypes.c_ushort * buffer_chars)()
                        size = pdfium.FPDFTextObj_GetText(item, text_page.raw, buffer, buffer_chars * 2)
                    text = ctypes.string_at(buffer, max(size - 2, 0)).decode("utf-16-le")  # less its end mark
                found.append(Drawn(number, pdfium.FPDFPageObj_GetMarkedContentID(item),
                                   Box(*(edge.value for edge in edges)), text))
            text_page.close()
            page.close()
    finally:
        document.close()
    return sizes, found


def printed(path: Path) -> PrintedPdf:
    """The PDF at ``path`` as the fidelity gate and the print layout check read it; BuildError if it is untagged."""
    from strategy_update.core.errors import BuildError

    tree = structure(read(path))
    if tree is None:
        raise BuildError(f"{path}: the PDF has no structure tree (it is not tagged)")
    sizes, objects = drawn(path)
    return PrintedPdf(sizes, tree, objects)
