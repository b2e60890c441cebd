"""A section page's calculation notes are HTML made by the engine (render/notes.py): sphinx-design's dropdown
markup, the theme's table classes, Sphinx's typographic quotes, and any markup in their text escaped."""

import re

from strategy_update.render.notes import NOTE_TITLE, CalculationNote
from strategy_update.render.tables import markdown_table

NOTE = CalculationNote(f"{NOTE_TITLE}: Q4 2021/22 vs Q3 2021/22",
                       "**Formula:** change = current - base = 1,158 - 1,178 = -20.\n\n"
                       "**Input rows:** the force's rows with these codes.\n\n"
                       + markdown_table(["Quarter", "8N", "Total"], [["2021/22 Q3", "1,094", "1,178"]]))


def test_a_note_is_a_closed_sphinx_design_dropdown():
    html = NOTE.html()
    # marked the website's only (render/web_only.py): the PDF leaves it out by its class
    assert html.startswith('<details class="sd-sphinx-override sd-dropdown sd-card sd-mb-3 web-only">')
    assert html.rstrip().endswith("</details>")
    assert " open" not in html.split(">", 1)[0]  # closed until the reader opens it
    summary = re.search(r"<summary[^>]*>(.*?)</summary>", html, re.S).group(1)
    assert '<span class="sd-summary-text">How this was calculated: Q4 2021/22 vs Q3 2021/22</span>' in summary
    assert 'aria-hidden="true"' in summary  # the chevron is decoration


def test_its_body_is_rendered_markdown_with_the_themes_classes():
    html = NOTE.html()
    assert '<p class="sd-card-text"><strong>Formula:</strong> change = current - base' in html
    assert '<div class="pst-scrollable-table-container"><table class="table">' in html
    assert "<th>Quarter</th>" in html and "<td>1,094</td>" in html
    assert "force\u2019s rows" in html  # a curly apostrophe, as Sphinx's SmartQuotes gives the rest of the page
    assert "|" not in html and "**" not in html


def test_markup_in_a_note_is_shown_as_text_never_run():
    note = CalculationNote('How this was calculated: <img src=x onerror="alert(1)">',
                           'From <script>alert("x")</script> and [a link](javascript:alert(1)).')
    html = note.html()
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html
    assert 'href="javascript' not in html


def test_a_note_is_for_the_website_only():
    bundle = NOTE._repr_mimebundle_()
    assert sorted(bundle) == ["text/html", "text/plain"]
    # The PDF leaves the note out by its class (render/web_only.py); the annex gives the arithmetic.
    assert bundle["text/plain"].startswith(NOTE_TITLE)
    assert NOTE.markdown.startswith(":::{dropdown} How this was calculated") and NOTE.markdown.endswith(":::")
