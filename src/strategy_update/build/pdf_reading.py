"""The built PDF read back with pypdf: its structure tree (the tags a screen reader follows) and the marked content
each page draws. The fidelity gate, the print layout check and the tests read the PDF through here."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NumberObject


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
        if isinstance(kid, NumberObject) or isinstance(kid, int):
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
            if operator == b"BDC" and len(operands) > 1 and isinstance(operands[1], DictionaryObject):
                if "/MCID" in operands[1]:
                    ids.add(int(operands[1]["/MCID"]))
    return found


def read(path: Path) -> PdfReader:
    return PdfReader(path)
