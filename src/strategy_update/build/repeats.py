"""Each sentence once: the sentences a published page says more than once.

A page that says the same sentence twice (a note printed under every measure, a track record stated twice, a
caveat in the text and again in a chart's description) reads as boilerplate, and the reader stops reading. The
check reads a built page as its reader does: the article's prose (paragraphs, list items, headings), not table
cells (a table repeats its labels by design), cut into sentences; each calculation note, a card a reader opens
for one figure, must not repeat itself or the page. A lead's own words are theirs to repeat: pass their texts as
``exempt``.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from strategy_update.core.formatting import sentences_of

MIN_WORDS = 6  # shorter pieces ("Not supplied.", a label) are not sentences a reader notices twice


def _blocks(root) -> list[str]:
    blocks = []
    for element in root.find_all(["p", "li", "h1", "h2", "h3", "h4", "dt", "dd", "summary", "figcaption"]):
        if element.find(["p", "li"]):  # a list item holding paragraphs: its paragraphs speak for it
            continue
        text = " ".join(element.get_text(" ").split())
        if text:
            blocks.append(text)
    return blocks


def prose(html: str) -> tuple[list[str], list[list[str]]]:
    """(the article's shown prose blocks, each closed note's blocks): paragraphs, list items, headings and
    summaries as plain text, tables left out. A note ("How this was calculated") is opened on its own, as a
    reference card for one figure: its sentences are judged within it, not against other notes."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "lxml")
    article = soup.find("article") or soup
    for hidden in article.find_all(["script", "style", "table", "svg"]):
        hidden.decompose()
    notes = [note.extract() for note in article.find_all("details")]
    return _blocks(article), [_blocks(note) for note in notes]


def sentences(text: str) -> list[str]:
    return [s for s in sentences_of(text) if len(s.split()) >= MIN_WORDS]


def repeated_sentences(html: str, exempt: tuple[str, ...] = ()) -> list[tuple[str, int]]:
    """(sentence, times) for every sentence of at least ``MIN_WORDS`` words the page shows more than once, or a
    note says more than once or says again from the page, leaving out sentences found in ``exempt`` texts (a
    lead's narrative)."""
    theirs = {s for text in exempt for s in sentences(" ".join(text.split()))}
    shown, notes = prose(html)

    def counted(blocks: list[str]) -> Counter:
        return Counter(s for block in blocks for s in sentences(block) if s not in theirs)
    page = counted(shown)
    repeats = {s: n for s, n in page.items() if n > 1}
    for note in notes:
        for s, n in counted(note).items():
            if n > 1 or s in page:
                repeats[s] = repeats.get(s, page.get(s, 0)) + n
    return sorted(repeats.items())


def repeats_in_site(html_folder: Path, exempt: tuple[str, ...] = ()) -> dict[str, list[tuple[str, int]]]:
    """Page (relative path) -> its repeated sentences, for every page of a built website that has any."""
    found = {}
    for page in sorted(html_folder.rglob("*.html")):
        if {"_static", "_sources", "_images"} & set(page.relative_to(html_folder).parts) or page.name in (
                "search.html", "genindex.html"):
            continue
        repeats = repeated_sentences(page.read_text(encoding="utf-8"), exempt)
        if repeats:
            found[page.relative_to(html_folder).as_posix()] = repeats
    return found
