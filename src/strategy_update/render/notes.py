"""A section page's "How this was calculated" notes, as HTML made here rather than Markdown parsed by Sphinx.

A note is a closed dropdown: its title, then its Markdown (the formula, the periods, a table of the input rows).
A section page holds one to three notes a measure, and their tables were four-fifths of the page's document tree
as Sphinx builds it: most of the time Jupyter Book spent on the page. Here the note's Markdown is rendered by
markdown-it-py (the parser MyST is built on; raw HTML in it is escaped, never passed through) into the markup
sphinx-design gives a dropdown, with the theme's table classes and Sphinx's typographic quotes and dashes
(docutils' SmartyPants), so the page looks and works as before, and Sphinx copies it as it is.

The notes are the website's only (their root element has the class render/web_only.WEB_ONLY): the PDF gives the
annex "How the figures were calculated" instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from docutils.utils.smartquotes import smartyPants

from strategy_update.render.web_only import WEB_ONLY

# sphinx-design's dropdown (closed, no icon), with its chevron; the body's paragraphs are card text.
CHEVRON = ('<svg version="1.1" width="1.5em" height="1.5em" class="sd-octicon sd-octicon-chevron-right" '
           'viewBox="0 0 24 24" aria-hidden="true"><path d="M8.72 18.78a.75.75 0 0 1 0-1.06L14.44 12 8.72 '
           '6.28a.751.751 0 0 1 .018-1.042.751.751 0 0 1 1.042-.018l6.25 6.25a.75.75 0 0 1 0 1.06l-6.25 6.25a.75.75 '
           '0 0 1-1.06 0Z"></path></svg>')
NOTE_TITLE = "How this was calculated"  # every note's title starts so
SMARTQUOTES = "qDe"  # Sphinx's default smartquotes_action: quotes, old-school dashes, ellipses


@dataclass(frozen=True)
class CalculationNote:
    """One note: its title ("How this was calculated: ...") and its Markdown body."""

    title: str
    body: str

    @property
    def markdown(self) -> str:
        """The note as a MyST dropdown (what it was before; for reading it as text)."""
        return f":::{{dropdown}} {self.title}\n{self.body}\n:::"

    def html(self) -> str:
        md = _markdown()
        return _typographic(
            f'<details class="sd-sphinx-override sd-dropdown sd-card sd-mb-3 {WEB_ONLY}">\n'
            f'<summary class="sd-summary-title sd-card-header">\n<span class="sd-summary-text">'
            f'{md.renderInline(self.title)}</span><span class="sd-summary-state-marker sd-summary-chevron-right">'
            f'{CHEVRON}</span></summary><div class="sd-summary-content sd-card-body docutils">\n'
            f'{md.render(self.body)}</div>\n</details>')

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # The plain text is for reading the notebook (IPython would otherwise make it from repr); the PDF leaves the
        # note out by its class (render/web_only.py).
        return {"text/html": self.html(), "text/plain": f"{self.title}\n\n{self.body}"}


def _typographic(html: str) -> str:
    """Curly quotes, dashes and ellipses as Sphinx's SmartQuotes puts them in the rest of the page (markdown-it
    writes a double quote as an entity, which SmartyPants would not see)."""
    return smartyPants(html.replace("&quot;", '"'), SMARTQUOTES, "en")


@cache
def _markdown():
    """CommonMark with pipe tables and no raw HTML; paragraphs and tables carry the classes Sphinx and the theme
    give them."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")

    def paragraph(renderer, tokens, idx, options, env):
        tokens[idx].attrSet("class", "sd-card-text")
        return renderer.renderToken(tokens, idx, options, env)

    def table_open(renderer, tokens, idx, options, env):
        tokens[idx].attrSet("class", "table")
        return '<div class="pst-scrollable-table-container">' + renderer.renderToken(tokens, idx, options, env)

    def table_close(renderer, tokens, idx, options, env):
        return renderer.renderToken(tokens, idx, options, env) + "</div>\n"

    md.add_render_rule("paragraph_open", paragraph)
    md.add_render_rule("table_open", table_open)
    md.add_render_rule("table_close", table_close)
    return md
