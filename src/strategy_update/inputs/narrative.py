"""Narratives: a thematic lead's Markdown for one section and quarter, read with PyYAML and markdown-it-py. A
narrative written in Word (.docx) is first turned into the same Markdown (``word``), so both are judged here.

Unsafe content is refused by the type of token the parser makes of it, never by searching the text, so what is
checked is what would be rendered. One parse gives facts (``narrative_frames``); ``read_narrative`` judges them.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import pandas as pd
import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.colon_fence import colon_fence_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from mdit_py_plugins.myst_role import myst_role_plugin

from strategy_update.core.errors import CRITICAL, ErrorRecord
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter
from strategy_update.inputs.limits import MAX_TEXT_BYTES, text_problem
from strategy_update.inputs.limits import RULE as SIZE_RULE

_HTML, _CODE = "raw HTML tags are not allowed in a narrative", "code fences and directives are not allowed"
# Token type -> why it is refused. The bad-input corpus searches for these phrases: keep them.
REFUSED = {"html_block": _HTML, "html_inline": _HTML, "fence": _CODE, "colon_fence": _CODE,
           "code_block": f"{_CODE} (a line indented by four spaces or more is shown as code)",
           "myst_role": "MyST roles (like {raw}`...`) are not allowed",
           "image": "images are not allowed in a narrative"}
LINK_SCHEMES = ("http", "https", "mailto")
COLUMNS = {  # the frames given to Great Expectations
    "file": ["file", "utf8", "bad_line", "empty", "too_large"],
    "front_matter": ["file", "has_front_matter", "named_section", "section_line", "named_quarter", "quarter_line",
                     "yaml_error", "yaml_error_line"],
    "tokens": ["file", "line", "type", "value", "scheme"],
    "sections": ["file", "heading", "line", "empty"],
}


@dataclass(frozen=True)
class Narrative:
    section_id: str
    quarter: str  # quarter id, e.g. "2021-22-Q4"
    sections: dict[str, str]  # heading -> Markdown text; empty for a template nobody has written in (``untouched``)
    source_file: str  # display name given by the caller

    @property
    def written(self) -> bool:
        """False for a template as ``new-quarter`` wrote it: it counts as not supplied, and its page says
        "not yet written"."""
        return bool(self.sections)


class _Facts(NamedTuple):
    """Everything one parse learns about a file: the rows of each frame (sections also keep their text)."""

    file: list[dict]
    front_matter: list[dict]
    tokens: list[dict]
    sections: list[dict]


_MD = MarkdownIt("commonmark").use(front_matter_plugin).use(myst_role_plugin).use(colon_fence_plugin)
# By default markdown-it leaves javascript:, data: and file: links as plain text, so no link token would show
# them; let every link become a token and judge its scheme here instead.
_MD.validateLink = lambda url: True


# --- facts -------------------------------------------------------------------------------------------------
def _read_markdown(path: Path) -> tuple[bytes, str]:
    """The file's bytes and, when it is too large to be a narrative (``limits``), why (and no bytes): a file is
    never read beyond the limit."""
    with open(path, "rb") as handle:
        problem = text_problem(os.fstat(handle.fileno()).st_size)
        raw = b"" if problem else handle.read(MAX_TEXT_BYTES + 1)
    return raw, problem or text_problem(len(raw)) or ""


def _too_large(name: str, problem: str) -> _Facts:
    return _Facts([{"file": name, "utf8": "yes", "bad_line": None, "empty": "no", "too_large": problem}], [], [], [])


def _decode(raw: bytes) -> tuple[str | None, int | None]:
    """The text (BOM dropped, line endings as markdown-it counts them), or None and the line of the bad byte."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, raw[: exc.start].count(b"\n") + 1
    # Split later on "\n" only: str.splitlines() also splits on \f, \x1c, \u2028..., which markdown-it does not.
    return text.replace("\r\n", "\n").replace("\r", "\n"), None


def _yaml(content: str) -> tuple[object, yaml.Node | None, str, int | None]:
    """(data, node, error, error's file line) from one YAML parse; the node keeps each key's line."""
    loader = yaml.SafeLoader(content)
    try:
        node = loader.get_single_node()
        return (loader.construct_document(node) if node else None), node, "", None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        why = getattr(exc, "problem", None) or str(exc)
        return None, None, f"the front matter is not valid YAML ({why})", (mark.line + 2 if mark else 2)
    finally:
        loader.dispose()


def _front_facts(token: Token | None, key: str, name: str) -> dict:
    row = {"file": name, "has_front_matter": "no" if token is None else "yes", "named_section": "",
           "section_line": None, "named_quarter": "", "quarter_line": None, "yaml_error": "", "yaml_error_line": None}
    if token is None:
        return row
    data, node, row["yaml_error"], row["yaml_error_line"] = _yaml(token.content)
    if not row["yaml_error"] and not isinstance(data, dict):
        row["yaml_error"], row["yaml_error_line"] = "the front matter is not a list of 'name: value' lines", 2
    if row["yaml_error"]:
        return row
    fields = {key: ("named_section", "section_line"), "quarter": ("named_quarter", "quarter_line")}
    for key_node, value_node in node.value:  # the last of a repeated key wins, as in the constructed mapping
        if isinstance(key_node, yaml.ScalarNode) and key_node.value in fields:
            raw = value_node.value if isinstance(value_node, yaml.ScalarNode) else data.get(key_node.value)
            text_field, line_field = fields[key_node.value]  # the YAML starts on file line 2, after the ---
            row[text_field], row[line_field] = str(raw).strip(), key_node.start_mark.line + 2
    return row


def _flatten(tokens: list[Token]):
    for token in tokens:
        yield token
        yield from _flatten(token.children or [])


def _breaks(token: Token) -> int:
    """Lines an inline token moves on by: inline tokens have no line map, so breaks are counted."""
    if token.type in ("softbreak", "hardbreak"):
        return 1
    return token.content.count("\n") if token.type == "html_inline" else 0


def _value(token: Token) -> str:
    if token.type in ("link_open", "image"):
        return str(token.attrs.get("href") or token.attrs.get("src") or "")
    if token.type == "myst_role":
        return f"{{{token.meta.get('name', '')}}}`{token.content}`"
    if token.type in ("fence", "colon_fence"):  # the opening line is what a person will recognise
        return f"{token.markup}{token.info}".strip()
    return token.content.strip()


def _scheme(token: Token) -> str:
    try:
        return urlsplit(_value(token)).scheme.lower() if token.type == "link_open" else ""
    except ValueError:  # e.g. a broken [IPv6] host: not a usable address, refused like one with no scheme
        return ""


def _token_facts(tokens: list[Token], name: str) -> list[dict]:
    rows: list[dict] = []
    for block in tokens:
        # Closing tokens have no map: they take the line of the row before.
        line = block.map[0] + 1 if block.map else (rows[-1]["line"] if rows else 1)
        for token in [block, *_flatten(block.children or [])]:
            rows.append({"file": name, "line": line, "type": token.type, "value": _value(token),
                         "scheme": _scheme(token)})
            line += _breaks(token)
    return rows


def _section_facts(tokens: list[Token], lines: list[str], name: str) -> list[dict]:
    """Level-2 headings at the top level (not inside lists or quotes) and the source lines up to the next."""
    heads = [i for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2" and t.level == 0]
    rows = []
    for n, i in enumerate(heads):
        end = tokens[heads[n + 1]].map[0] if n + 1 < len(heads) else len(lines)
        text = "\n".join(lines[tokens[i].map[1]:end]).strip()  # map[1]: after a setext underline too
        rows.append({"file": name, "heading": tokens[i + 1].content.strip(), "line": tokens[i].map[0] + 1,
                     "empty": "no" if text else "yes", "text": text})
    return rows


@functools.lru_cache(maxsize=64)  # validation and the build read the same files: parse each once
def _facts(raw: bytes, name: str, key: str) -> _Facts:
    text, bad_line = _decode(raw)
    file_row = [{"file": name, "utf8": "no" if text is None else "yes", "bad_line": bad_line,
                 "empty": "yes" if not (text or "").strip() else "no", "too_large": ""}]
    if text is None:  # nothing else can be known about a file that cannot be read as text
        return _Facts(file_row, [], [], [])
    tokens = _MD.parse(text)  # the whole file, front matter too, so token maps are already file lines (0-based)
    front = tokens[0] if tokens and tokens[0].type == "front_matter" else None
    return _Facts(file_row, [_front_facts(front, key, name)], _token_facts(tokens, name),
                  _section_facts(tokens, text.split("\n"), name))


def is_word(path: Path) -> bool:
    from strategy_update.inputs.word import SUFFIXES

    return Path(path).suffix.lower() in SUFFIXES


def word_narrative(path: Path, *, key: str, section_id: str, quarter: Quarter, headings):
    """A Word narrative as ``word.read_word`` reads it (its Markdown, problems and where each line came from)."""
    from strategy_update.inputs.word import read_word

    return read_word(path, key=key, section_id=section_id, quarter_id=quarter.id, headings=tuple(headings))


def narrative_frames(path: Path, *, display_name: str, key: str, section_id: str | None = None,
                     quarter: Quarter | None = None, headings=()) -> dict[str, pd.DataFrame]:
    """Tidy frames of facts with file and line, no judgement (columns in COLUMNS): 'file' (utf8, bad_line, empty,
    too_large: why it is too large to read, or ''), 'front_matter' (one row, none if not UTF-8 or too large),
    'tokens' (block tokens and inline children), 'sections'.
    A Word file (which needs ``section_id``, ``quarter`` and ``headings``) gives the frames of its Markdown; its
    lines are the Markdown's, which ``WordNarrative.relabel`` turns into places in the document."""
    if is_word(path):
        converted = word_narrative(path, key=key, section_id=section_id, quarter=quarter, headings=headings)
        raw, problem = (converted.markdown or "").encode(), ""
    else:
        raw, problem = _read_markdown(Path(path))
    facts = (_too_large(display_name, problem) if problem else _facts(raw, display_name, key))._asdict()
    return {name: pd.DataFrame(facts[name], columns=columns).astype(  # nullable whole numbers for line columns
                {c: "Int64" for c in columns if c.endswith("line")}) for name, columns in COLUMNS.items()}


# --- judgement: (line, column, rule, value, message) ------------------------------------------------------
def _front_errors(row: dict, key: str, section_id: str, quarter: Quarter) -> list[tuple]:
    if row["has_front_matter"] == "no":
        return [(1, None, "front matter present", None,
                 f"the narrative must start with front matter between '---' lines naming the {key} and quarter")]
    if row["yaml_error"]:
        return [(row["yaml_error_line"], None, "front matter is YAML", None,
                 f"{row['yaml_error']}; each line should read 'name: value', for example '{key}: {section_id}'")]
    errors, named, line, rule = [], row["named_section"], row["section_line"] or 1, f"front matter names the {key}"
    if not named:
        errors.append((line, key, rule, None, f"the front matter does not name the {key} (add a line "
                       f"'{key}: {section_id}')"))
    elif named != section_id:
        errors.append((line, key, rule, named, f"the front matter names {key} '{named}' but this file is for "
                       f"'{section_id}'"))
    raw, line, rule = row["named_quarter"], row["quarter_line"] or 1, "front matter names the edition's quarter"
    try:
        named_quarter = parse_quarter(raw) if raw else None
    except QuarterError as exc:
        return errors + [(line, "quarter", rule, raw, f"the front matter's quarter cannot be read: {exc}")]
    if named_quarter is None:
        errors.append((line, "quarter", rule, None, f"the front matter does not name the quarter (add a line "
                       f"'quarter: {quarter.id}')"))
    elif named_quarter != quarter:
        errors.append((line, "quarter", rule, raw, f"the front matter names quarter {named_quarter.id} but this "
                       f"edition is {quarter.id}"))
    return errors


def _token_errors(rows: list[dict]) -> list[tuple]:
    errors = []
    for row in rows:
        if row["type"] in REFUSED:
            errors.append((row["line"], None, "no raw HTML, code or images in a narrative", row["value"],
                           f"{REFUSED[row['type']]}; write plain text and Markdown only"))
        elif row["type"] == "link_open" and row["scheme"] not in LINK_SCHEMES:
            why = (f"{row['scheme']}: links are not allowed" if row["scheme"]
                   else f"the link '{row['value']}' is not a full address")
            errors.append((row["line"], None, "links are http, https or mailto", row["value"],
                           f"{why}; a link must start with http://, https:// or mailto:"))
    return errors


def _section_errors(rows: list[dict], headings: list[str]) -> list[tuple]:
    errors, first = [], {}
    for row in rows:
        if first.setdefault(row["heading"], row["line"]) != row["line"]:
            errors.append((row["line"], None, "each section once", row["heading"], f"the section '## {row['heading']}'"
                           f" appears twice (lines {first[row['heading']]} and {row['line']}); keep one"))
    found = {row["heading"]: row for row in rows}
    for heading in headings:
        if found.get(heading, {"empty": "yes"})["empty"] == "yes":
            line = found[heading]["line"] if heading in found else None
            errors.append((line, None, f"required sections: {', '.join(headings)}", heading,
                           f"the section '## {heading}' is missing or empty"))
    return errors


def untouched(sections: list[dict], headings) -> bool:
    """Whether a narrative is a template nobody has written in: its level-2 headings are exactly the required ones,
    each once, and every one has nothing under it (what ``new-quarter`` writes; the note above the first heading is
    never published, so it does not count). A heading renamed, added or left out, or some headings written and
    others emptied, is not a template: those are errors, as they always were. ``sections``: the facts'
    ``sections`` rows (heading, empty)."""
    return (bool(sections) and sorted(row["heading"] for row in sections) == sorted(headings)
            and all(row["empty"] == "yes" for row in sections))


def _errors(facts: _Facts, key: str, section_id: str, quarter: Quarter, headings: list[str]) -> list[tuple]:
    file = facts.file[0]
    if file["utf8"] == "no":
        return [(file["bad_line"], None, "UTF-8 encoding", None,
                 "the narrative is not saved as UTF-8 text; save it again as UTF-8")]
    if file["empty"] == "yes":
        return [(None, None, "narrative has content", None, "the narrative file is empty")]
    others = _front_errors(facts.front_matter[0], key, section_id, quarter) + _token_errors(facts.tokens)
    if untouched(facts.sections, headings):  # not yet written: a missing narrative, not a broken one
        return others
    return others + _section_errors(facts.sections, headings)


def read_narrative(path: Path, *, display_name: str, key: str, section_id: str, quarter: Quarter,
                   headings: list[str]) -> tuple[Narrative | None, list[ErrorRecord]]:
    """Never raises for bad input: returns (narrative, []) when the file is good, (None, errors) otherwise.
    A template nobody has written in (``untouched``) is good, and not written: its narrative has no sections.
    A Word file's errors name places in the document (a heading, a paragraph's first words), not Markdown lines."""
    if is_word(path):
        converted = word_narrative(path, key=key, section_id=section_id, quarter=quarter, headings=headings)
        refused = [e for e in converted.records(display_name, suite="") if e.severity == CRITICAL]
        if converted.markdown is None:
            return None, refused
        facts = _facts(converted.markdown.encode(), display_name, key)
        errors = refused + [converted.relabel(ErrorRecord(display_name, *error))
                            for error in _errors(facts, key, section_id, quarter, headings)]
        return (None, errors) if errors else (_narrative(facts, section_id, quarter, display_name, headings), [])
    try:
        raw, problem = _read_markdown(Path(path))
    except OSError as exc:
        return None, [ErrorRecord(display_name, None, None, "readable narrative", None,
                                  f"the narrative file cannot be opened ({exc.strerror or exc})")]
    if problem:
        return None, [ErrorRecord(display_name, None, None, SIZE_RULE, None, problem)]
    facts = _facts(raw, display_name, key)
    errors = [ErrorRecord(display_name, *error) for error in _errors(facts, key, section_id, quarter, headings)]
    if errors:
        return None, errors
    return _narrative(facts, section_id, quarter, display_name, headings), []


def _narrative(facts: _Facts, section_id: str, quarter: Quarter, display_name: str, headings) -> Narrative:
    sections = {} if untouched(facts.sections, headings) else {row["heading"]: row["text"] for row in facts.sections}
    return Narrative(section_id, quarter.id, sections, display_name)
