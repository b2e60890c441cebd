"""Inputs are data: no text from an input can become markup, HTML or code on a page (core/markup.py).

The pages are MyST Markdown, parsed here as Sphinx would parse them (myst-parser, into a docutils tree). A fuzz test
(Hypothesis) writes text out of MyST, Jinja and HTML syntax and checks that, once through ``literal``, it is one run
of plain text showing exactly what was typed; and that a lead's Markdown, once through ``lead_markdown``, keeps its
paragraphs, lists, emphasis and web links and nothing else. Both are checked with the book's MyST extensions and
with every extension MyST has that needs no other package, so that turning one on later cannot open a way in.
"""

from __future__ import annotations

import re

import pytest
from docutils import nodes
from docutils.core import publish_doctree
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from myst_parser.parsers.docutils_ import Parser

from strategy_update.core.markup import UnknownLabel, code, fill_labels, html_text, lead_markdown, literal

BOOK_EXTENSIONS = ["colon_fence"]
EVERY_EXTENSION = ["amsmath", "attrs_block", "attrs_inline", "colon_fence", "deflist", "dollarmath", "fieldlist",
                   "html_admonition", "html_image", "replacements", "smartquotes", "strikethrough", "substitution",
                   "tasklist"]
EXTENSION_SETS = pytest.mark.parametrize("extensions", [BOOK_EXTENSIONS, EVERY_EXTENSION], ids=["book", "every"])

# Pieces of Markdown, MyST, Jinja and HTML syntax, and the payloads of the hostile run (issue 33).
SYNTAX = ["{{ 7*7 }}", '{{ lipsum.__globals__.os.popen("id -un").read() }}', "{{", "}}", "{%", "%}", "{#", "#}",
          "<script>alert(1)</script>", "<b>", "</div>", "<!-- c -->", "&amp;", "&#60;", "&lt;", "`", "```", "~~~",
          ":::", ":::{note}", "{raw}`<b>x</b>`", "{eval-rst}", "{glue:text}`x`", "{doc}`x`", "$", "$$", "$x$", "|",
          "#", "## ", "* ", "- ", "+ ", "1. ", "2) ", "> ", "(target)=", "%", "% comment", "+++", "---", "***",
          "===", "[x](javascript:alert(1))", "[x](https://example.org)", "![i](x.png)", "<http://a.b>", "[^1]",
          "[^1]: note", "\\", "\\\\", "_", "*", "**", "~", "~~", "^", "=", "[", "]", "(", ")", "{", "}", "!",
          "{#id}", "{.class}", "term\n: definition", ":field: value", "- [ ] task", "\n", "\n\n", "    ", "\t",
          "word", "Essex", "42", "3.5%", "'", '"', "\u00a0", "é", "\u2014"]
hostile_text = st.lists(st.one_of(st.sampled_from(SYNTAX), st.text(alphabet=st.characters(
    min_codepoint=32, max_codepoint=0x2FF), max_size=6)), max_size=12).map("".join)

ALLOWED = (nodes.document, nodes.paragraph, nodes.Text, nodes.emphasis, nodes.strong, nodes.literal,
           nodes.reference, nodes.bullet_list, nodes.enumerated_list, nodes.list_item, nodes.block_quote,
           nodes.transition, nodes.section, nodes.title, nodes.table, nodes.tgroup, nodes.colspec, nodes.thead,
           nodes.tbody, nodes.row, nodes.entry)

LINE_BREAK = ("<br />\n", "\\\\\n")  # how MyST writes a hard line break for HTML and for LaTeX


def doctree(markdown: str, extensions: list[str]) -> nodes.document:
    """The docutils tree MyST makes of ``markdown`` (substitutions defined, so that one would show if it ran)."""
    return publish_doctree(markdown, parser=Parser(), settings_overrides={
        "myst_enable_extensions": extensions, "myst_substitutions": {"x": "SUBSTITUTED"}, "report_level": 5,
        "halt_level": 5, "warning_stream": False})


def unexpected_nodes(tree: nodes.document) -> list[str]:
    """Node kinds a lead's text may not make (a heading-level warning from MyST is not content)."""
    found = []
    for node in tree.findall():
        if isinstance(node, nodes.system_message) and node.get("level", 0) < 3:
            continue
        if node.parent is not None and isinstance(node.parent, nodes.system_message):
            continue
        if isinstance(node, nodes.Text) and isinstance(node.parent, nodes.paragraph) and \
                isinstance(node.parent.parent, nodes.system_message):
            continue
        if isinstance(node, nodes.raw) and node.astext() in LINE_BREAK:  # MyST's own hard line break
            continue
        if not isinstance(node, ALLOWED):
            found.append(node.tagname)
        if isinstance(node, nodes.reference) and not re.match(r"(https?|mailto):", node.get("refuri", "")):
            found.append(f"reference to {node.get('refuri')!r}")
    return found


# --- literal ----------------------------------------------------------------------------------------------------
@EXTENSION_SETS
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=hostile_text)
@example(text='{{ 7*7 }} {{ lipsum.__globals__.os.popen("id -un").read() }}')
@example(text="<script>alert(1)</script>")
def test_any_text_made_literal_is_one_run_of_exactly_that_text(text, extensions):
    tree = doctree(f"Before {literal(text)} after.", extensions)
    assert [type(n) for n in tree.children] == [nodes.paragraph], tree.pformat()
    paragraph = tree.children[0]
    assert all(isinstance(n, nodes.Text) for n in paragraph.children), tree.pformat()
    shown = f"Before {' '.join(text.split())} after."
    if "smartquotes" in extensions or "replacements" in extensions:  # typography may change quotes and dashes
        assert len(paragraph.astext()) == len(shown) or "--" in shown or "..." in shown or "(c)" in shown.lower()
    else:
        assert paragraph.astext() == shown


def test_literal_escapes_every_ascii_punctuation_character_and_nothing_else():
    punctuation = "".join(chr(c) for c in range(33, 127) if not chr(c).isalnum())
    assert literal(punctuation) == "".join("\\" + c for c in punctuation)
    assert literal("Café 2021  to\n2022") == "Café 2021 to 2022"
    assert literal(None) == ""


@given(text=hostile_text)
@settings(max_examples=200, deadline=None)
def test_code_spans_show_exactly_the_text(text):
    shown = " ".join(text.split())
    if not shown:
        return
    tree = doctree(f"A {code(text)} b", BOOK_EXTENSIONS)
    literals = list(tree.findall(nodes.literal))
    assert len(literals) == 1 and literals[0].astext().strip() == shown.strip(), tree.pformat()


def test_html_text_is_inert_in_html():
    assert html_text('<script>"x" & \'y\'</script>') == "&lt;script&gt;&quot;x&quot; &amp; &#x27;y&#x27;&lt;/script&gt;"


# --- a lead's Markdown ----------------------------------------------------------------------------------------------
block = st.one_of(
    hostile_text,
    hostile_text.map(lambda t: f"- {t}\n- *{t}*\n  - **{t}**"),
    hostile_text.map(lambda t: f"1. {t}\n2. [{t}](https://example.org/{t.strip()[:5]})"),
    hostile_text.map(lambda t: f"### {t}"),
    hostile_text.map(lambda t: f"> {t}"),
    hostile_text.map(lambda t: f"| a | {t} |\n|---|---|\n| {t} | `{t}` |"),
    hostile_text.map(lambda t: f"```\n{t}\n```"),
    hostile_text.map(lambda t: f":::{{note}}\n{t}\n:::"),
)
lead_text = st.lists(block, max_size=5).map("\n\n".join)


def _words(text: str) -> str:
    """The characters shown, without spaces and emphasis marks: emphasis nested in emphasis (``**a* b**``) can be
    written back with its marks paired another way, which shows an asterisk more or less, never other text."""
    return "".join(text.split()).replace("*", "").replace("_", "")


def _typed_words(markdown: str) -> str:
    """The characters a reader should see: the text of every text and code token (HTML parsed as text)."""
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    parser.validateLink = lambda url: True  # a link's text is what is typed; its address is judged apart
    tokens = parser.parse(markdown)
    out = []

    def walk(items):
        for token in items:
            if token.type in ("text", "code_inline", "fence", "code_block"):
                out.append(token.content)
            walk(token.children or [])
    walk(tokens)
    return _words("".join(out))


@EXTENSION_SETS
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(markdown=lead_text)
@example(markdown='A line {{ 7*7 }} {{ lipsum.__globals__.os.popen("id -un").read() }}\n\n<script>alert(1)</script>')
def test_a_lead_s_markdown_keeps_its_structure_and_nothing_else(markdown, extensions):
    written = lead_markdown(markdown)
    tree = doctree(written, extensions)
    assert unexpected_nodes(tree) == [], (written, tree.pformat())
    if extensions == BOOK_EXTENSIONS:  # every character typed is shown (the book has no typography extension)
        text = "".join(n.astext() for n in tree.findall(nodes.Text)
                       if not any(isinstance(p, (nodes.system_message, nodes.raw)) for p in _ancestors(n)))
        assert _words(text) == _typed_words(markdown), written


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


@settings(max_examples=200, deadline=None)
@given(markdown=lead_text.map(lambda text: text.replace("*", "").replace("_", "")))
def test_writing_a_lead_s_markdown_again_changes_nothing(markdown):
    """Written once, a lead's Markdown is written the same way again (emphasis nested in emphasis aside: see
    ``_words``)."""
    once = lead_markdown(markdown)
    assert lead_markdown(once) == once


def test_a_lead_s_markdown_renders_as_it_was_written():
    """Every narrative and board paper in data/ shows the same on the page as it did as written (compared as HTML
    from the same parser), so the second path changes nothing for a lead who writes plain Markdown."""
    from conftest import DATA

    md = MarkdownIt("commonmark").enable("table")
    checked = 0
    for path in sorted(DATA.glob("forces/*/*/*/*/*.md")) + sorted(DATA.glob("forces/*/*/board/*.md")):
        body = re.sub(r"\A---\n.*?\n---\n", "", path.read_text(encoding="utf-8"), flags=re.S)
        for part in re.split(r"^## .*$", body, flags=re.M):
            assert md.render(lead_markdown(part, top_heading=1)) == md.render(part), path
            checked += 1
    assert checked > 50


def test_a_lead_s_heading_stays_below_the_page_s_own():
    assert lead_markdown("# Big\n\n## Also\n\n#### Small") == "### Big\n\n### Also\n\n#### Small\n"


def test_only_web_links_are_links():
    written = lead_markdown("[a](https://example.org) [b](javascript:alert(1)) [c](file:///etc/passwd) [d](x.md)")
    assert written == "[a](<https://example.org>) b c d\n"


# --- the project's own pages ------------------------------------------------------------------------------------------
def test_labels_are_filled_as_text_and_only_plain_names_are_labels():
    labels = {"force": "{{ 7*7 }}", "quarter": "Q4"}
    assert fill_labels("{{ force }} in {{quarter}}", labels) == r"\{\{ 7\*7 \}\} in Q4"
    for page in ("{{ 7*7 }}", "{{ force.upper() }}", "{{ force | upper }}", "{{ lipsum }}"):
        with pytest.raises(UnknownLabel, match="is not a label"):
            fill_labels(page, labels)
