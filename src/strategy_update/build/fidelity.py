"""The fidelity gate: the PDF says what the website says.

For each web page in the PDF's contents, in the contents' order, every heading, paragraph, list item, term, table
cell and figure description the page shows (less what render/web_only.py declares website-only) must be in the
PDF's text, in the same order. The PDF's text is what its pages draw as tagged content inside the text area: the
running header and footer (artifacts, in the margins) and the contents on the cover are not the website's words.
Words are compared without spaces, hyphens, case or typographic variants (curly quotes, dashes), since a line break
(which may break a word at its hyphen) or a ligature is not a loss.

A miss fails the build (book.check_pdf), naming the web page and the first words lost.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import yaml

from strategy_update.build.pdf_reading import ARTIFACT, Margins, PrintedPdf
from strategy_update.render.web_only import COVER_TITLE_PAGE, WEB_ONLY_PAGES, is_web_only

BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "dt", "dd", "th", "td", "caption", "figcaption"}
NOT_TEXT = {"script", "style", "svg", "template"}
THEME_CHROME = {"headerlink"}  # the website's "#" beside each heading, a link to itself
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
SHOWN_WORDS = 12  # of a lost block, in the message
# A block cut short keeps at least its first KEPT_WORDS where it belongs: within SLACK characters (a bullet, a
# heading's number, a sentence the PDF alone says) of where the last block found ends.
KEPT_WORDS, SLACK = 3, 60
# A short block ("Warning", a table cell's "0") is looked for within AHEAD characters (about a page) of the last block
# found: found anywhere further on it would only be the same word used again, and the blocks after it would all
# look out of order.
SHORT_BLOCK, AHEAD = 40, 4000
TYPOGRAPHY = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-",
                            "\u2014": "-", "\u2010": "-", "\u2011": "-", "\u2212": "-", "\u00d7": "x"})


def comparable(text: str) -> str:
    """Text as the gate compares it: no white space, hyphens (a line may end at one: PDFium reads it as a soft
    hyphen), case or typographic variants, no invisible characters."""
    text = unicodedata.normalize("NFKC", text).translate(TYPOGRAPHY)
    return "".join(c for c in text.casefold() if not c.isspace() and c != "-"
                   and unicodedata.category(c) not in ("Cf", "Cc"))


# --- the website's words -----------------------------------------------------------------------------------------
class _Blocks(HTMLParser):
    """The text blocks of a page's article, in reading order; a block with blocks inside (a list item holding a
    paragraph) gives its own words before and after them as blocks of their own."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # open elements: (tag, skipped: this element and all inside it)
        self.open_blocks: list[list[str]] = []
        self.in_article = False

    def _skipping(self) -> bool:
        return any(skipped for _, skipped in self.stack)

    def _flush(self) -> None:
        if self.open_blocks and "".join(self.open_blocks[-1]).strip():
            self.blocks.append(" ".join("".join(self.open_blocks[-1]).split()))
        if self.open_blocks:
            self.open_blocks[-1] = []

    def handle_starttag(self, tag, attrs):
        classes = (dict(attrs).get("class") or "").split()
        if tag == "article":
            self.in_article = True
        if tag in VOID:
            return
        skipped = tag in NOT_TEXT or is_web_only(classes) or bool(THEME_CHROME & set(classes))
        self.stack.append((tag, skipped))
        if tag in BLOCKS and not self._skipping():
            self._flush()
            self.open_blocks.append([])

    def handle_endtag(self, tag):
        if tag in VOID or not any(t == tag for t, _ in self.stack):
            return
        while self.stack:
            open_tag, _ = self.stack[-1]
            skipping = self._skipping()
            self.stack.pop()
            if open_tag in BLOCKS and not skipping:
                self._flush()
                self.open_blocks.pop()
            if open_tag == tag:
                break
        if tag == "article":
            self.in_article = False

    def handle_data(self, data):
        if self.in_article and self.open_blocks and not self._skipping():
            self.open_blocks[-1].append(data)


def web_blocks(html: str, skip_title: bool = False) -> list[str]:
    """The words a web page shows in its article, block by block (``skip_title``: less its first heading)."""
    parser = _Blocks()
    parser.feed(html)
    parser.close()
    blocks = parser.blocks
    return blocks[1:] if skip_title and blocks else blocks


def pdf_pages(work: Path, website_toc: str = "_toc.yml", pdf_toc: str = "_toc_pdf.yml") -> list[str]:
    """The web pages in the PDF's contents, in its order: the PDF's own pages (a chapter's opening) are not web
    pages, so only those the website's contents list too."""
    def files(entry) -> list[str]:
        if isinstance(entry, dict):
            own = [entry["file"]] if "file" in entry else [entry["root"]] if "root" in entry else []
            return own + [f for key in ("parts", "chapters", "sections") for item in entry.get(key, [])
                          for f in files(item)]
        return []
    on_paper = files(yaml.safe_load((work / pdf_toc).read_text(encoding="utf-8")))
    on_website = set(files(yaml.safe_load((work / website_toc).read_text(encoding="utf-8"))))
    return [page for page in on_paper if page in on_website and Path(page).name not in WEB_ONLY_PAGES]


# --- the PDF's words -----------------------------------------------------------------------------------------------
def _not_words(pdf: PrintedPdf) -> set[tuple[int, int]]:
    """The marked content that is not the website's words: the cover's contents, and the labels drawn inside a
    chart (the website draws them in the chart too; the chart's text alternative is checked by the tests)."""
    return {mcid for element in pdf.tree.walk() if element.kind in ("TOC", "Figure") for mcid in element.all_mcids()}


def pdf_text(pdf: PrintedPdf, margins: Margins) -> str:
    """The PDF's words as the gate compares them: tagged text inside the text area (a line is inside when its
    middle is: a descender may hang below the last line), the cover's contents and the charts' labels left out,
    pages in order."""
    left_out = _not_words(pdf)
    pieces = []
    for item in pdf.drawn:
        middle = (item.box.bottom + item.box.top) / 2
        if (item.text and item.mcid != ARTIFACT and (item.page, item.mcid) not in left_out
                and margins.bottom <= middle <= pdf.sizes[item.page][1] - margins.top):
            pieces.append(item.text)
    return comparable("".join(pieces))


# --- the comparison ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Miss:
    page: str  # the web page (its document name)
    block: str  # the block, as the website shows it
    words_lost: str  # its first words the PDF does not have, in order
    elsewhere: bool  # the block is in the PDF, but not where the website's order puts it


def _first_words_lost(block: str, text: str, start: int) -> str:
    """The words of ``block`` from the first one the PDF does not go on with where the block belongs (just after
    ``start``, where the last block found ends); from its first word when fewer than ``KEPT_WORDS`` begin there."""
    words = block.split()
    where = text[start:start + len(comparable(block)) + SLACK]
    found, beyond = 0, len(words)  # the longest prefix there has at least ``found`` words, fewer than ``beyond``
    while beyond - found > 1:  # a prefix found is found with fewer words too: halve the range
        k = (found + beyond) // 2
        if 0 <= where.find(comparable(" ".join(words[:k]))) <= SLACK:
            found = k
        else:
            beyond = k
    found = found if found >= KEPT_WORDS else 0  # a word or two of it may be anywhere
    return " ".join(words[found:found + SHOWN_WORDS]) + (" ..." if len(words) > found + SHOWN_WORDS else "")


def compare(pages: list[tuple[str, list[str]]], text: str) -> list[Miss]:
    """Each page's blocks looked for in ``text`` in order, from where the last one found ends (a short one only
    within ``AHEAD`` of it)."""
    misses, cursor = [], 0
    for page, blocks in pages:
        for block in blocks:
            wanted = comparable(block)
            if not wanted:
                continue
            at = text.find(wanted, cursor)
            if at >= 0 and (len(wanted) >= SHORT_BLOCK or at - cursor <= AHEAD):
                cursor = at + len(wanted)
                continue
            misses.append(Miss(page, block, _first_words_lost(block, text, cursor), wanted in text))
    return misses


def report(misses: list[Miss]) -> list[str]:
    """One line per web page with a miss: its first words lost, and how many blocks more."""
    by_page: dict[str, list[Miss]] = {}
    for miss in misses:
        by_page.setdefault(miss.page, []).append(miss)
    lines = []
    for page, found in by_page.items():
        first = found[0]
        where = "out of the website's order" if first.elsewhere else "lost"
        more = f" (and {len(found) - 1} more on this page)" if len(found) > 1 else ""
        lines.append(f"{page}: {where} from '{first.words_lost}'{more}")
    return lines


def fidelity_problems(work: Path, html: Path, pdf: PrintedPdf, margins: Margins) -> list[str]:
    """For each web page in the PDF's contents (``work``: the book's folder; ``html``: the built website) whose
    words the PDF does not carry in order, a line naming it and the first words lost (see the module)."""
    pages = []
    for page in pdf_pages(work):
        source = html / f"{page}.html"
        pages.append((page, web_blocks(source.read_text(encoding="utf-8"), skip_title=page == COVER_TITLE_PAGE)))
    return report(compare(pages, pdf_text(pdf, margins)))
