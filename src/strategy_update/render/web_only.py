"""What the website shows and the PDF leaves out, declared here once, by the classes the output carries.

The PDF says what the website says (build/fidelity.py checks it), except:
- an output whose root element has the class ``WEB_ONLY``: a "How this was calculated" note (render/notes.py:
  a dropdown cannot be opened on paper, and the annex gives each figure's arithmetic), the seasonal chart and
  its description (render/section_page.py: the bar chart and the control chart tell the story on paper);
- a dropdown (sphinx-design's, class ``DROPDOWN`` on the website; "How this was calculated: ..." on the front page
  and the comparison page): it cannot be opened on paper;
- a link to a file (Sphinx's class ``DOWNLOAD``): on paper it is said in words ("... is a download on the
  website"), as a link to a file beside a web page goes nowhere on paper;
- the audit appendices of ``WEB_ONLY_PAGES``, whole pages that the PDF's contents leave out (the annex names
  them), so that a board paper stays about 35 pages;
- the front page's own title (``COVER_TITLE_PAGE``'s first heading): on paper the cover gives the document's
  title instead.
The PDF's writer (build/typst_writer.py) leaves these out; the fidelity gate does not look for them in the PDF.
"""

from __future__ import annotations

from html.parser import HTMLParser

WEB_ONLY = "web-only"
DOWNLOAD = "download"
DROPDOWN = "sd-dropdown"  # on the website; in the document tree, sphinx-design's component "dropdown"
WEB_ONLY_CLASSES = frozenset({WEB_ONLY, DOWNLOAD, DROPDOWN})
WEB_ONLY_PAGES = {"methods": "the methods (sources, periods, rates and control charts in full)",
                  "caveats": "the log of assumptions and caveats",
                  "measures": "the definition of every measure (offence codes, sources)",
                  "data-quality": "the data quality report on this edition's inputs",
                  "backtest": "the back test against the last hand-made report",
                  "demand-profile": "the demand profile (each measure's trend, forecast and its track record)",
                  "provenance": "the provenance of the build (inputs, code version, content keys)"}

COVER_TITLE_PAGE = "index"  # the book's root: its title is the cover's on paper


def is_web_only(classes, component: str | None = None) -> bool:
    """By an element's classes, or (in the document tree) its sphinx-design component."""
    return bool(WEB_ONLY_CLASSES & set(classes or ())) or component == "dropdown"


def web_only_markdown(markdown: str) -> str:
    """MyST for a block the website shows and the PDF leaves out (a docutils container with the class)."""
    return f":::{{container}} {WEB_ONLY}\n{markdown}\n:::"


class _FirstTag(HTMLParser):
    def __init__(self):
        super().__init__()
        self.classes: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if self.classes is None:
            self.classes = (dict(attrs).get("class") or "").split()


def html_root_classes(html: str) -> list[str]:
    """The classes of an HTML fragment's first element (an output's root)."""
    parser = _FirstTag()
    parser.feed(html[:2000])
    return parser.classes or []
