"""Narratives written in Word: a lead's .docx, read with python-docx and turned into the Markdown a lead would have
written, so that the Markdown reader (``narrative``) sanitises and checks both kinds of file in one way.

The conventions a .docx template follows (``strategy-update new-quarter`` writes them, this module reads them):

- the file sits in the quarter's narrative folder and is named after its section: the section's title
  (``Mental Health.docx``, see ``paths.title_file_stem``) or its id (``mental-health.docx``);
- the section and quarter come from where the file is, never from inside it: a lead writing in Word should not
  have to keep a hidden property or a table of codes right, and a file in the wrong folder is caught by its name;
- the required headings (the publication's ``narrative`` headings, e.g. "Insights") are paragraphs in a heading
  style (``HEADING_STYLE`` in a template; any "Heading N" is accepted), matched ignoring case and a trailing
  colon; other headings become sub-headings; a "Title" paragraph and anything before the first required heading
  are not published;
- bullet and numbered lists (the "List Bullet"/"List Number" styles or Word's own numbering), bold, italic,
  links (http, https and mailto; others are dropped, their text kept) and simple tables are kept;
- pictures (and text boxes and shapes, which are drawings) and tracked changes are refused, comments are dropped
  with a warning, macros (.docm, or a .docx holding a VBA project) are refused;
- text is read as a person sees it in Word: text formatted as hidden (``w:vanish``, "Font > Hidden", directly or
  through its character or paragraph style; or ``w:webHidden``) is left out with a warning naming the paragraph,
  as comments are; field codes and deleted text (``w:instrText``, ``w:delText``) are never read (a field's shown
  result is), and headers, footers and footnotes are not part of a narrative;
- a file too large to be a narrative (``limits``) is refused before it is parsed.
"""

from __future__ import annotations

import functools
import re
import zipfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from strategy_update.core.errors import CRITICAL, WARNING, ErrorRecord
from strategy_update.inputs.limits import document_problem, text_problem
from strategy_update.inputs.office import WORD, container_problem
from strategy_update.inputs.word_styles import Styles
from strategy_update.inputs.word_styles import name as style_name

SUFFIX, MACRO_SUFFIX = ".docx", ".docm"
SUFFIXES = (SUFFIX, MACRO_SUFFIX)
HEADING_STYLE = "Heading 1"  # the style a template gives each required heading
TITLE_STYLE = "Title"  # a template's title paragraph (the page has its own title: not published)
BULLET_STYLE, NUMBER_STYLE = "List Bullet", "List Number"  # the list styles a template uses
LINK_SCHEMES = ("http", "https", "mailto")

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HEADING = re.compile(r"heading\s*(\d)", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """Something a lead must know about a Word file: where (a phrase, or None for the whole file), what, how bad."""

    severity: str
    rule: str
    message: str
    where: str | None = None
    value: object = None


@dataclass(frozen=True)
class WordNarrative:
    """The Markdown a .docx stands for (None when it cannot be read), what was refused or dropped, and, for each
    Markdown line (1-based), where it came from in the document, so that findings can point there."""

    markdown: str | None
    problems: tuple[Problem, ...] = ()
    origins: dict[int, str] = field(default_factory=dict)
    found_headings: frozenset[str] = frozenset()  # required headings present as headings
    plain_headings: dict[str, str] = field(default_factory=dict)  # required heading -> style of a look-alike

    def records(self, file: str, suite: str = "narrative") -> list[ErrorRecord]:
        return [ErrorRecord(file, None, None, p.rule, p.value, f"{p.where}: {p.message}" if p.where else p.message,
                            p.severity, suite) for p in self.problems]

    def relabel(self, record: ErrorRecord) -> ErrorRecord:
        """A finding about the Markdown this file became, said about the Word document: no Markdown line numbers
        or '##', the heading named in quotes and the paragraph by its first words."""
        section = _SECTION_MESSAGE.search(record.message)
        if section:
            heading = section.group(1)
            if heading in self.found_headings:
                message = f"the heading '{heading}' has no text under it"
            else:
                message = f"the heading '{heading}' is missing"
                if heading in self.plain_headings:
                    message += (f" (a paragraph '{heading}' is there in the style '{self.plain_headings[heading]}'"
                                f": give it the style '{HEADING_STYLE}')")
            return replace(record, line=None, message=message)
        where = self.origins.get(record.line) if record.line is not None else None
        return replace(record, line=None, message=f"{where}: {record.message}" if where else record.message)


_SECTION_MESSAGE = re.compile(r"the section '## (.+?)' is (?:missing or empty|missing|empty)")


# --- opening the file -------------------------------------------------------------------------------------------
def _unreadable(message: str, value: object = None) -> WordNarrative:
    return WordNarrative(None, (Problem(CRITICAL, "a Word document (.docx) that can be read", message, None, value),))


def _container_problem(path: Path) -> WordNarrative | None:
    """Files that python-docx cannot or must not open, said in a lead's words: not a .docx, damaged, too large
    (its size unpacked, or more paragraphs or runs than a narrative has, counted before the XML is parsed)."""
    problem = container_problem(path, WORD, lambda parts: document_problem(parts[WORD.part]))
    return _unreadable(problem) if problem else None


def _comment_count(path: Path) -> int:
    with zipfile.ZipFile(path) as archive:
        parts = [n for n in archive.namelist() if re.fullmatch(r"word/comments\d*\.xml", n)]
        return sum(archive.read(n).count(b"<w:comment ") for n in parts)


# --- text -------------------------------------------------------------------------------------------------------
def _escape(text: str) -> str:
    """Word text as literal Markdown text: nothing a lead types can become markup, HTML, a role or a link."""
    text = re.sub(r"([\\`*_\[\]{}|~])", r"\\\1", text)
    text = re.sub(r"<(?=[A-Za-z/!?])", r"\\<", text)  # what would start an HTML tag
    return re.sub(r"&(?=#?\w+;)", r"\\&", text)  # what would be an HTML entity


def _escape_start(line: str) -> str:
    """A paragraph that starts like a Markdown block (heading, list, quote, rule, fence) stays a paragraph."""
    if re.match(r"(#|>|=|:::|[-+] |[-+]$|\d+[.)](\s|$)|---)", line):
        match = re.match(r"\d+", line)
        return line[:match.end()] + "\\" + line[match.end():] if match else "\\" + line
    return line


def _emphasis(text: str, bold: bool, italic: bool) -> str:
    """Bold/italic markers around the text, with its outer spaces left outside (Markdown needs that)."""
    marker = "*" * ((2 if bold else 0) + (1 if italic else 0))
    core = text.strip()
    if not marker or not core:
        return text
    lead, trail = text[: len(text) - len(text.lstrip())], text[len(text.rstrip()):]
    return f"{lead}{marker}{core}{marker}{trail}"


HIDDEN_RULE = "hidden text is not published"


def _flag(run, style_name: str, attribute: str, style_words: tuple[str, ...]) -> bool:
    if getattr(run, attribute) is True:
        return True
    return any(word in style_name.lower() for word in style_words)


class _Inline:
    """A paragraph's runs and links as Markdown text, noting links that were dropped and counting the runs of
    hidden text left out."""

    def __init__(self, problems: list[tuple[str, str, object]], styles: Styles):
        self.problems = problems  # (rule, message, value), located by the caller
        self.styles = styles
        self.hidden = 0  # runs of hidden text left out
        self.paragraph_style = None

    def paragraph(self, paragraph) -> str:
        from docx.text.hyperlink import Hyperlink
        from docx.text.run import Run

        self.paragraph_style = self.styles.of_paragraph(paragraph)
        pieces: list[str] = []
        runs: list = []  # consecutive runs, written together so that Word's split runs make one **bold** span
        for element in _inline_elements(paragraph._p):
            if element.tag == f"{_W}r":
                runs.append(Run(element, paragraph))
                continue
            pieces += [self._runs(runs), self._link(Hyperlink(element, paragraph))]
            runs = []
        text = "".join(pieces) + self._runs(runs)
        text = re.sub(r"[ \t]*\n[ \t]*", "\\\n", text.replace("\t", " "))  # a line break in Word: a hard break
        return re.sub(r" {2,}", " ", text).strip()

    def _runs(self, runs) -> str:
        spans: list[list] = []  # [bold, italic, text] of runs formatted alike, in order
        for run in runs:
            text = run.text
            if not text:
                continue
            run_style = self.styles.of_run(run)
            if self.styles.hidden(run, run_style, self.paragraph_style):  # what Word does not show is not read
                self.hidden += 1
                continue
            named = style_name(run_style)
            style = (_flag(run, named, "bold", ("strong", "bold")), _flag(run, named, "italic", ("emphasis", "italic")))
            if spans and tuple(spans[-1][:2]) == style:
                spans[-1][2] += text
            else:
                spans.append([*style, text])
        return "".join(_emphasis(_escape(text), bold, italic) for bold, italic, text in spans)

    def _link(self, link) -> str:
        text = self._runs(link.runs)
        address = link.address or ""
        if not address:  # a link within the document (a bookmark): its text is kept
            return text
        try:
            scheme = urlsplit(address).scheme.lower()
        except ValueError:
            scheme = ""
        if scheme not in LINK_SCHEMES or re.search(r"[\s<>]", address):
            self.problems.append(("links are http, https or mailto", f"the link to '{address}' was left out "
                                  "(only http, https and mailto links are kept); its text is kept", address))
            return text
        return f"[{text or _escape(address)}](<{address}>)"


def _inline_elements(parent):
    """Runs and links in reading order, looking inside content controls, smart tags and simple fields."""
    for child in parent:
        if child.tag in (f"{_W}r", f"{_W}hyperlink"):
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}smartTag", f"{_W}fldSimple", f"{_W}customXml"):
            yield from _inline_elements(child)


def _blocks(parent):
    """Paragraphs and tables in reading order, looking inside content controls."""
    for child in parent:
        if child.tag in (f"{_W}p", f"{_W}tbl"):
            yield child
        elif child.tag in (f"{_W}sdt", f"{_W}sdtContent", f"{_W}customXml"):
            yield from _blocks(child)


def _start(text: str, words: int = 6) -> str:
    plain = re.sub(r"\\(.)", r"\1", text).replace("*", "").split()
    return " ".join(plain[:words]) + ("…" if len(plain) > words else "")


def _key(text: str) -> str:
    return " ".join(text.split()).rstrip(":").strip().casefold()


# --- lists ------------------------------------------------------------------------------------------------------
def _numbering_formats(document) -> dict[tuple[str, str], str]:
    """(numId, level) -> Word's number format ('bullet', 'decimal', ...), from the numbering part."""
    try:
        numbering = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        return {}
    abstract = {}
    for node in numbering.findall(f"{_W}abstractNum"):
        for level in node.findall(f"{_W}lvl"):
            fmt = level.find(f"{_W}numFmt")
            abstract[(node.get(f"{_W}abstractNumId"), level.get(f"{_W}ilvl"))] = (
                fmt.get(f"{_W}val") if fmt is not None else "bullet")
    formats = {}
    for num in numbering.findall(f"{_W}num"):
        ref = num.find(f"{_W}abstractNumId")
        if ref is None:
            continue
        for (abstract_id, level), fmt in abstract.items():
            if abstract_id == ref.get(f"{_W}val"):
                formats[(num.get(f"{_W}numId"), level)] = fmt
    return formats


def _list_item(paragraph, style: str, formats) -> tuple[str, int] | None:
    """('-' or '1.', nesting level) for a list paragraph (of the style named ``style``), None for any other."""
    match = re.fullmatch(r"(List Bullet|List Number)(?: (\d))?", style)
    if match:
        return ("-" if match.group(1) == BULLET_STYLE else "1."), int(match.group(2) or 1) - 1
    ppr = paragraph._p.pPr
    numbering = ppr.find(f"{_W}numPr") if ppr is not None else None
    if numbering is None:
        return None
    num_id, level = numbering.find(f"{_W}numId"), numbering.find(f"{_W}ilvl")
    num = num_id.get(f"{_W}val") if num_id is not None else None
    depth = level.get(f"{_W}val") if level is not None else "0"
    if num in (None, "0"):
        return None
    fmt = formats.get((num, depth), "bullet")
    return ("-" if fmt in ("bullet", "none") else "1."), int(depth)


# --- the document -----------------------------------------------------------------------------------------------
class _Writer:
    """Markdown lines and, for each, where it came from."""

    def __init__(self):
        self.lines: list[str] = []
        self.origins: dict[int, str] = {}
        self.in_list = False
        self.widths: dict[int, int] = {}  # list depth -> width of its last marker ("- " 2, "1. " 3)

    def indent(self, depth: int, marker: str) -> str:
        """A nested item sits under its parent's text: indented by the widths of the markers above it."""
        self.widths = {d: w for d, w in self.widths.items() if d < depth} if self.in_list else {}
        indent = " " * sum(self.widths.get(d, 2) for d in range(depth))
        self.widths[depth] = len(marker) + 1
        return indent

    def block(self, lines: list[str], where: str, *, list_item: bool = False) -> None:
        if self.lines and not (list_item and self.in_list):
            self.lines.append("")
        for line in lines:
            self.lines.append(line)
            self.origins[len(self.lines)] = where
        self.in_list = list_item


def _table(table, inline: _Inline) -> list[str]:
    """A simple pipe table (first row as header); merged cells keep their text once, nested tables flatten."""
    rows = []
    for row in table.rows:
        cells, previous = [], None
        for cell in row.cells:
            same = previous is not None and cell._tc is previous
            previous = cell._tc
            text = " ".join(filter(None, (inline.paragraph(p).replace("\\\n", " ") for p in cell.paragraphs)))
            cells.append("" if same else text)
        rows.append(cells)
    width = max((len(r) for r in rows), default=0)
    if not width:
        return []
    rows = [r + [""] * (width - len(r)) for r in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
    return lines + ["| " + " | ".join(r) + " |" for r in rows[1:]]


def _convert(path: Path, key: str, section_id: str, quarter_id: str, headings: tuple[str, ...]) -> WordNarrative:
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    problem = _container_problem(path)
    if problem is not None:
        return problem
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises many kinds for a damaged package: all mean the same to a lead
        return _unreadable(f"the file is damaged and cannot be read as a Word document ({type(exc).__name__}); "
                           "open it in Word and save it again", str(exc))
    body = document.element.body
    problems: list[Problem] = []
    changes = body.findall(f".//{_W}ins") + body.findall(f".//{_W}del") + body.findall(f".//{_W}moveFrom") \
        + body.findall(f".//{_W}moveTo")
    if changes:
        problems.append(Problem(CRITICAL, "no tracked changes", f"the document has {len(changes)} tracked "
                                "change(s) not yet accepted or rejected; accept or reject them all (Review > "
                                "Accept > Accept All Changes) and save again", None, len(changes)))
    comments = _comment_count(path)
    if comments:
        problems.append(Problem(WARNING, "comments are not published", f"the document has {comments} comment(s); "
                                "comments are not published and were left out (delete them to stop this warning)",
                                None, comments))
    wanted = {_key(h): h for h in headings}
    formats = _numbering_formats(document)
    styles = Styles(document)
    writer, found, plain, current = _Writer(), set(), {}, None
    writer.block(["---", f"{key}: {section_id}", f"quarter: {quarter_id}", "---"], "the document's file name")
    for element in _blocks(body):
        dropped: list[tuple[str, str, object]] = []
        inline = _Inline(dropped, styles)
        under = f" under the heading '{current}'" if current else ""
        if element.tag == f"{_W}tbl":
            lines = _table(Table(element, document), inline)
            where = f"in the table{under}" + (f" starting \"{_start(lines[0].strip('| '))}\"" if lines else "")
            if lines:
                writer.block(lines, where)
        else:
            paragraph = Paragraph(element, document)
            text = inline.paragraph(paragraph)
            style = style_name(styles.of_paragraph(paragraph))
            heading = _HEADING.fullmatch(style.strip())
            where = f"in the paragraph starting \"{_start(text)}\"{under}" if text else f"in a paragraph{under}"
            if element.findall(f".//{_W}drawing") or element.findall(f".//{_W}pict") or \
                    element.findall(f".//{_W}object"):
                problems.append(Problem(CRITICAL, "no raw HTML, code or images in a narrative",
                                        "a picture or drawing is in the document; pictures are not allowed in a "
                                        "narrative: remove it, and describe it in words or link to it",
                                        where))
            if not text or style == TITLE_STYLE:
                pass
            elif heading and _key(text) in wanted:
                current = wanted[_key(text)]
                found.add(current)
                writer.block([f"## {current}"], f"at the heading '{current}'")
            elif heading:
                writer.block([f"### {text}"], f"at the heading \"{_start(text)}\"{under}")
            else:
                if _key(text) in wanted:
                    plain.setdefault(wanted[_key(text)], style or "Normal")
                item = _list_item(paragraph, style, formats)
                if item:
                    marker, depth = item
                    indent = writer.indent(depth, marker)
                    body_lines = [_escape_start(line) for line in text.split("\n")]
                    lines = [f"{indent}{marker} {body_lines[0]}"] + [indent + " " * (len(marker) + 1) + rest
                                                                      for rest in body_lines[1:]]
                    writer.block(lines, where.replace("paragraph", "list item", 1), list_item=True)
                else:
                    writer.block([_escape_start(line) for line in text.split("\n")], where)
        if inline.hidden:
            dropped.append((HIDDEN_RULE, "text formatted as hidden in Word was left out: hidden text is never "
                            "published; delete it, or unhide it (Home > Font > Hidden) if it should be",
                            inline.hidden))
        problems += [Problem(WARNING, rule, message, where, value) for rule, message, value in dropped]
    markdown = "\n".join(writer.lines) + "\n"
    too_large = text_problem(len(markdown.encode()))  # the same limit as a narrative written in Markdown
    if too_large:
        return _unreadable(too_large)
    return WordNarrative(markdown, tuple(problems), writer.origins, frozenset(found),
                         {h: s for h, s in plain.items() if h not in found})


@functools.lru_cache(maxsize=64)
def _cached(path: str, stamp: tuple, key: str, section_id: str, quarter_id: str,
            headings: tuple[str, ...]) -> WordNarrative:
    return _convert(Path(path), key, section_id, quarter_id, headings)


def read_word(path: Path, *, key: str, section_id: str, quarter_id: str, headings) -> WordNarrative:
    """The narrative Markdown a Word file stands for, with front matter made from where the file is (``key``:
    section id, quarter). Never raises for bad input: a file that cannot be read has markdown None and says why.
    Validation and the build read the same file: it is converted once while it is unchanged."""
    path = Path(path)
    try:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
    except OSError as exc:
        return _unreadable(f"the file cannot be opened ({exc.strerror or exc})")
    try:
        return _cached(str(path.resolve()), stamp, key, section_id, quarter_id, tuple(headings))
    except Exception as exc:  # a document python-docx opens but cannot walk: a message, never a traceback
        return _unreadable(f"the document could not be read ({type(exc).__name__}: {exc}); open it in Word and "
                           "save it again as a Word Document (.docx)")
