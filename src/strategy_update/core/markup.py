"""The one way text from an input reaches a page.

Pages are MyST Markdown (and, for a few parts, HTML). Whatever a person typed into an input (a lead's narrative, a
board paper, a tracker, a force extract's ``source``, a file name, a finding that quotes a value) is data: it must
never become markup (a MyST role or directive, a heading, a table, a link target), HTML or code. Nothing here looks
for dangerous patterns; instead:

- ``literal``: every ASCII punctuation character is backslash-escaped. CommonMark defines ``\\X`` as the literal
  character X for every ASCII punctuation X, and every piece of Markdown, MyST and Jinja syntax begins with one
  (``{ } [ ] ( ) < > ` * _ # : % + - | $ ! ~ & = \\``), so escaped text is one run of literal text, whatever it holds;
- ``lead_markdown``: a lead's Markdown (narrative, board paper) is parsed, and written out again from the parsed
  structure: paragraphs, sub-headings, lists, quotes, tables, emphasis and web links survive (horizontal rules are
  left out), and every piece of text in them goes through ``literal``. Anything else the parser finds (raw HTML,
  code, images, roles) is written as literal text (the input checks refuse those before a build, so this is the
  second line, not the first);
- ``code``: text shown as inline code (a code span is never parsed, but its fence must outlast the text's backticks);
- ``html_text``: text placed inside HTML the engine writes (``html.escape``).

The pages' own labels (``{{ quarter }}`` in a hand-written page) are filled in by ``fill_labels``, with the values
made literal; MyST's Jinja substitution extension is not used at all, so no text can reach a template engine.
"""

from __future__ import annotations

import html
import re
from functools import cache

ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
LINK_SCHEMES = ("http", "https", "mailto")


def escape_punctuation(text: str) -> str:
    """``text`` with every ASCII punctuation character backslash-escaped; whitespace and line breaks as they are."""
    return ASCII_PUNCTUATION.sub(r"\\\1", text)


def literal(value: object) -> str:
    """A value as literal MyST text on one line: no markup, no HTML, no roles, no substitutions, no line breaks.
    None is the empty string."""
    if value is None:
        return ""
    return escape_punctuation(" ".join(str(value).split()))


def code(value: object) -> str:
    """A value as inline code: fenced by more backticks than any run inside it, so it cannot end the span early."""
    text = " ".join(str(value if value is not None else "").split())
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}" if text else ""


def html_text(value: object) -> str:
    """A value as text inside HTML (element content or a quoted attribute)."""
    return html.escape("" if value is None else str(value), quote=True)


# --- a lead's Markdown --------------------------------------------------------------------------------------------
@cache
def _parser():
    from markdown_it import MarkdownIt

    # HTML off: a tag is text to the parser, so it can only come out as text. Pipe tables on: a Word narrative's
    # tables are written as pipe tables. Links of every scheme are parsed, and judged below.
    md = MarkdownIt("commonmark", {"html": False}).enable("table")
    md.validateLink = lambda url: True
    return md


def lead_markdown(markdown: str, top_heading: int = 3) -> str:
    """A lead's Markdown written out again from its parsed structure, with every piece of text made literal.
    Headings are no higher than ``top_heading`` (the page's own headings sit above a lead's text)."""
    from markdown_it.tree import SyntaxTreeNode

    tree = SyntaxTreeNode(_parser().parse(markdown or ""))
    lines = _blocks(tree.children, top_heading)
    return "\n".join(lines) + ("\n" if lines else "")


def _block(node, top: int, other_marker: bool = False) -> list[str]:
    kind = node.type
    if kind == "hr":  # a horizontal rule is left out: the page's headings divide it (and docutils allows a rule
        return []     # neither next to a heading nor inside a list)
    if kind == "paragraph":
        lines = _inline_lines(node.children)
        return lines if any(line.strip() for line in lines) else []
    if kind == "heading":  # inside a list or quote (where a page has no headings) a heading is bold text
        text = " ".join(_inline_lines(node.children)).strip()
        if not text:
            return []
        return [f"{'#' * max(int(node.tag[1]), top)} {text}" if _at_top(node) else f"**{text}**"]
    if kind in ("bullet_list", "ordered_list"):
        return _list(node, top, other_marker)
    if kind == "blockquote":
        lines = _blocks(node.children, top)
        return [f"> {line}" if line else ">" for line in lines]
    if kind == "table":
        return _table(node)
    # code, fences, anything else: its text, literally, line by line (hard line breaks)
    lines = [literal(line) for line in (node.content or "").splitlines() if line.strip()]
    return [line + "\\" for line in lines[:-1]] + lines[-1:]


def _at_top(node) -> bool:
    return node.parent is not None and node.parent.type == "root"


def _blocks(nodes, top: int, tight: bool = False) -> list[str]:
    out: list[str] = []
    last = ""  # the kind of the last block written: a list written right after one of its kind takes the other
    for node in nodes:  # marker, or the two would be read back as one list
        lines = _block(node, top, other_marker=node.type == last and last.endswith("_list"))
        if lines:
            if out and not tight:
                out.append("")
            out += lines
            last = node.type if not (node.type == last and last.endswith("_list")) else ""
    return out


def _list(node, top: int, other_marker: bool = False) -> list[str]:
    ordered = node.type == "ordered_list"
    number = int(node.attrs.get("start", 1) or 1) if ordered else 0
    tight = all(child.hidden for item in node.children for child in item.children if child.type == "paragraph")
    out: list[str] = []
    for item in node.children:
        lines = _blocks(item.children, top, tight)
        if not lines:  # an empty item shows nothing, and a lone "-" under a line of text would underline it
            continue
        marker = (f"{number}{')' if other_marker else '.'}" if ordered else "*" if other_marker else "-")
        number += 1
        if out and not tight:
            out.append("")
        indent = " " * (len(marker) + 1)
        out.append(f"{marker} {lines[0]}".rstrip(" \t"))
        out += [f"{indent}{line}" if line else "" for line in lines[1:]]
    return out


def _table(node) -> list[str]:
    rows = [row for section in node.children for row in section.children]
    cells = [[" ".join(_inline_lines(cell.children[0].children if cell.children else [])) for cell in row.children]
             for row in rows]
    if not cells:
        return []
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    lines = ["| " + " | ".join(cells[0]) + " |", "|" + "---|" * width]
    return lines + ["| " + " | ".join(r) + " |" for r in cells[1:]]


def _inline_lines(nodes) -> list[str]:
    """Inline content as Markdown lines (a hard line break starts a new line)."""
    text = "".join(_inline(node) for node in nodes)
    return [line.strip(" \t") for line in text.split("\n")]


def _inline(node, in_link: bool = False) -> str:
    kind = node.type

    def inner() -> str:
        return "".join(_inline(child, in_link or kind == "link") for child in node.children)
    if kind == "inline":
        return inner()
    if kind == "text":  # never holds a line break (the parser makes those breaks of their own)
        return escape_punctuation(node.content)
    if kind == "softbreak":
        return " "
    if kind == "hardbreak":
        return "\\\n"
    if kind in ("em", "strong"):  # with the lead's own marker (* or _), so that it pairs as it did
        marker = node.markup or ("*" if kind == "em" else "**")
        return f"{marker}{inner()}{marker}" if inner().strip() else inner()
    if kind == "link":  # a link inside a link's text (an autolink) is its text: links do not nest
        href = str(node.attrs.get("href", ""))
        shown = inner()
        return f"[{shown}](<{_destination(href)}>)" if _web_link(href) and shown.strip() and not in_link else shown
    if kind == "code_inline":
        return code(node.content)
    if kind == "image":  # refused by the input checks; its description, as text
        return escape_punctuation(" ".join(child.content for child in node.children))
    return escape_punctuation(" ".join((node.content or "").split()))


def _web_link(href: str) -> bool:
    from urllib.parse import urlsplit

    try:
        return urlsplit(href).scheme.lower() in LINK_SCHEMES and not re.search(r"[\s<>]", href)
    except ValueError:
        return False


def _destination(href: str) -> str:
    """A link's address inside ``<...>``: backslashes and angle brackets escaped."""
    return re.sub(r"([\\<>])", r"\\\1", href)


# --- the project's own pages --------------------------------------------------------------------------------------
LABEL = re.compile(r"\{\{(.*?)\}\}", re.S)


class UnknownLabel(ValueError):
    """A hand-written page uses "{{ ... }}" for something that is not one of the edition's labels."""


def fill_labels(page: str, labels: dict[str, str]) -> str:
    """A hand-written page of the project's with each ``{{ name }}`` replaced by the edition's label, as literal text.
    Only plain names are labels: anything else between double braces (an expression, a filter, a typo) is an error,
    never evaluated."""
    def label(match: re.Match) -> str:
        name = match.group(1).strip()
        if name not in labels:
            raise UnknownLabel(f"'{{{{{match.group(1)}}}}}' is not a label; the labels are "
                               + ", ".join(f"{{{{ {n} }}}}" for n in sorted(labels)))
        return literal(labels[name])
    return LABEL.sub(label, page)
