"""The print layout check: rules that hold for any content, checked on the built PDF from its tags (what each thing
is) and where its pages draw them (build/pdf_reading.py).

- A heading has content under it before the next heading of its level or above (a section never prints empty).
- What follows a heading starts on the heading's page, below it: a heading never ends a page, and nothing that
  belongs under it is placed above it or pages later.
- A short table (``SHORT_ROWS`` rows or fewer, its header included) is on one page; no table row is split across
  pages (its cells' lines would be read out of order).
- Nothing tagged lies in the margins: above the running header's line or below the footer's.
- Page 1 (the cover: title and contents) is more than half full.

A broken rule fails the build (book.check_pdf), naming the page and what is wrong.
"""

from __future__ import annotations

import re

from strategy_update.build.pdf_reading import ARTIFACT, Drawn, Element, Margins, PrintedPdf
from strategy_update.build.typst_writer import SHORT_ROWS

HEADING = re.compile(r"H([1-6])")
DESCENT = 3.0  # points: a glyph may hang this far below its line, the last line's below the text area
NEAR = 1.0  # points: positions this close are the same


def _level(element: Element) -> int | None:
    match = HEADING.fullmatch(element.kind)
    return int(match.group(1)) if match else None


def _reading_order(tree: Element) -> list[Element]:
    """The headings and the blocks between them, in reading order: a heading, or the outermost element holding
    drawn content that is not a heading and holds none (a paragraph, a list, a table, a figure); the cover's
    contents left out."""
    out: list[Element] = []

    def visit(element: Element) -> None:
        if element.kind == "TOC":
            return
        if _level(element) or (element.all_mcids() and not any(_level(e) for e in element.walk())):
            out.append(element)
            return
        for kid in element.kids:
            visit(kid)
    visit(tree)
    return out


def _first(items: list[Drawn]) -> Drawn:
    """The item placed first: on the earliest page, highest on it."""
    return min(items, key=lambda item: (item.page, -item.box.top))


def _words(pdf: PrintedPdf, element: Element, limit: int = 8) -> str:
    words = " ".join(item.text for item in pdf.drawn_for(element) if item.text).split()
    return " ".join(words[:limit]) + (" ..." if len(words) > limit else "")


def heading_problems(pdf: PrintedPdf) -> list[str]:
    blocks = [(element, pdf.drawn_for(element)) for element in _reading_order(pdf.tree)]
    blocks = [(element, items) for element, items in blocks if items]
    problems = []
    for k, (heading, items) in enumerate(blocks):
        level = _level(heading)
        if not level:
            continue
        page = items[-1].page
        name = f"PDF page {page + 1}: heading '{_words(pdf, heading)}'"
        after = [(_level(element), element, drawn) for element, drawn in blocks[k + 1:]]
        ends = next((n for n, (other, _, _) in enumerate(after) if other is not None and other <= level), len(after))
        content = next(((element, drawn) for other, element, drawn in after[:ends] if other is None), None)
        if content is None:
            problems.append(f"{name} has nothing under it (the next heading of its level follows)")
            continue
        first = _first(content[1])
        bottom = min(item.box.bottom for item in items if item.page == page)
        if first.page > page:
            problems.append(f"{name} ends the page: what follows it starts on page {first.page + 1} "
                            f"('{_words(pdf, content[0])}')")
        elif first.page < page or first.box.top > bottom + NEAR:
            problems.append(f"{name}: what follows it is placed above it ('{_words(pdf, content[0])}', "
                            f"page {first.page + 1})")
    return problems


def table_problems(pdf: PrintedPdf) -> list[str]:
    problems = []
    for table in (element for element in pdf.tree.walk() if element.kind == "Table"):
        rows = sum(1 for element in table.walk() if element.kind == "TR")
        pages = sorted({item.page + 1 for item in pdf.drawn_for(table)})
        if rows <= SHORT_ROWS and len(pages) > 1:
            problems.append(f"PDF pages {pages[0]}-{pages[-1]}: a table of {rows} rows is split across pages "
                            f"('{_words(pdf, table)}')")
            continue
        for row in (element for element in table.walk() if element.kind == "TR"):
            pages = sorted({item.page + 1 for item in pdf.drawn_for(row)})
            if len(pages) > 1:
                problems.append(f"PDF pages {pages[0]}-{pages[-1]}: a table row is split across pages "
                                f"('{_words(pdf, row)}')")
    return problems


def margin_problems(pdf: PrintedPdf, margins: Margins) -> list[str]:
    problems, seen = [], set()
    for item in pdf.drawn:
        if item.mcid == ARTIFACT or (item.page, item.mcid) in seen:
            continue
        height = pdf.sizes[item.page][1]
        below = item.box.bottom < margins.bottom - DESCENT
        above = item.box.top > height - margins.top + DESCENT
        if below or above:
            seen.add((item.page, item.mcid))
            where = "below the footer line" if below else "above the header line"
            what = f"'{item.text.strip()[:60]}'" if item.text.strip() else "a drawing (a chart, a rule)"
            problems.append(f"PDF page {item.page + 1}: {what} runs {where}")
    return problems


def cover_problems(pdf: PrintedPdf, margins: Margins) -> list[str]:
    """Page 1 more than half full: its lowest tagged content below the middle of the text area."""
    on_cover = [item for item in pdf.drawn if item.page == 0 and item.mcid != ARTIFACT]
    height = pdf.sizes[0][1]
    middle = (margins.bottom + height - margins.top) / 2
    lowest = min((item.box.bottom for item in on_cover), default=height)
    if lowest > middle:
        filled = (height - margins.top - lowest) / (height - margins.top - margins.bottom)
        return [f"PDF page 1 is {filled:.0%} full (its content should reach below the middle of the page)"]
    return []


def layout_problems(pdf: PrintedPdf, margins: Margins) -> list[str]:
    """Every broken rule (see the module), in page order within each rule."""
    return (heading_problems(pdf) + table_problems(pdf) + margin_problems(pdf, margins)
            + cover_problems(pdf, margins))
