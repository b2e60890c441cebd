"""Scaffolding a quarter (``strategy-update new-quarter``): the files the leads and the analyst fill in, written
in the shapes the readers accept: one narrative template per section (Word, read by ``word``, or Markdown, read
by ``narrative``) and the delivery tracker workbook (read by ``excel``), never over a file that exists.

A template as written is recognisably unfilled: its required headings have nothing under it (the guidance sits
above the first heading, which is never published), so validation says "the heading 'Insights' has no text under
it" and ``check`` reports the section's narrative as not yet written (``readiness``). The tracker starts from the
previous quarter's counts where that tracker exists, so the leads update figures rather than retype them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from strategy_update.core.errors import InputError
from strategy_update.core.periods import Quarter
from strategy_update.inputs.excel import sheet_name
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.publication import Publication, Section

FORMATS = ("docx", "md")


@dataclass(frozen=True)
class Outcome:
    """One file new-quarter was asked for: where, whether it was written, and why not when it was not."""

    path: Path
    kind: str  # "narrative" or "tracker"
    created: bool
    note: str = ""  # e.g. "already there: Mental Health.docx"


@dataclass(frozen=True)
class Scaffold:
    outcomes: tuple[Outcome, ...]
    previous_tracker: Path | None  # the tracker whose counts the new one starts from, if any

    @property
    def created(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.created]

    @property
    def skipped(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.created]


# --- what a template says -----------------------------------------------------------------------------------
def tracker_quarter_text(quarter: Quarter) -> str:
    """The quarter as trackers write it (``2022-23 Q1``), as in the force's CSVs."""
    return f"{quarter.id[:7]} Q{quarter.number}"


def heading_guide(publication: Publication, quarter: Quarter, force: str) -> list[tuple[str, str]]:
    """(heading the lead keeps, heading the page shows) for each required narrative heading."""
    return [(part.heading, part.title_for(quarter, force)) for part in publication.narrative_parts(force)]


def guidance(publication: Publication, section: Section, quarter: Quarter, force: str) -> list[str]:
    """The lines above the first heading (never published): what to write, where, and what each heading becomes."""
    level = publication.leaf_level.name.lower()
    lead = f" ({section.lead()})" if section.lead() else ""
    lines = [f"The {publication.short_title} update for {quarter.label}, {level} '{section.name}'{lead}. "
             "Write under each heading below, in paragraphs or bullet points (no pictures). Keep the headings as "
             "they are; nothing above the first heading is published, so this note can stay."]
    lines += [f"Under '{heading}': published as '{title}'." if title != heading else
              f"Under '{heading}': published under that heading."
              for heading, title in heading_guide(publication, quarter, force)]
    return lines


def markdown_template(publication: Publication, section: Section, quarter: Quarter, force: str) -> str:
    """A Markdown narrative as the Markdown reader expects it: front matter, then each required '##' heading."""
    key = publication.leaf_level.id
    body = "\n\n".join(guidance(publication, section, quarter, force))
    headings = "\n\n".join(f"## {heading}" for heading, _ in heading_guide(publication, quarter, force))
    return f"---\n{key}: {section.id}\nquarter: {quarter.id}\n---\n\n{body}\n\n{headings}\n"


def write_docx_template(path: Path, publication: Publication, section: Section, quarter: Quarter,
                        force: str) -> None:
    """A Word narrative in the styles the Word reader expects: a title, the guidance, each required heading."""
    import docx

    from strategy_update.inputs.word import BULLET_STYLE, HEADING_STYLE, TITLE_STYLE

    document = docx.Document()
    document.add_paragraph(f"{section.name}: {quarter.label}", style=TITLE_STYLE)
    first, *per_heading = guidance(publication, section, quarter, force)
    document.add_paragraph(first)
    for line in per_heading:
        document.add_paragraph(line, style=BULLET_STYLE)
    for heading, _ in heading_guide(publication, quarter, force):
        document.add_paragraph(heading, style=HEADING_STYLE)
    document.core_properties.title = f"{section.name}: {quarter.label}"
    document.save(str(path))


# --- the tracker --------------------------------------------------------------------------------------------
def previous_counts(paths: InputPaths, publication: Publication, quarter: Quarter) -> tuple[Path | None, dict]:
    """The previous quarter's tracker (csv or xlsx) and its counts as text by tracker name, or (None, {}) when it
    is missing, supplied twice or unreadable: a starting point only, so a bad one is simply not used."""
    previous = quarter.shift(-1)
    files = paths.delivery_files(previous)
    if len(files) != 1 or publication.delivery is None:
        return None, {}
    path = files[0]
    try:
        if path.suffix.lower() == ".xlsx":
            from strategy_update.inputs.excel import read_workbook_table

            frame = read_workbook_table(path, path.name, previous)
        else:  # the readers' own reading, within the size limits
            from strategy_update.inputs.readers import read_raw_table

            frame = read_raw_table(path)
    except (InputError, OSError, ValueError):
        return None, {}
    level = publication.leaf_level.id
    if level not in frame.columns:
        return None, {}
    columns = [c for c in publication.delivery.columns if c in frame.columns]
    return path, {str(row[level]).strip(): {c: str(row[c]).strip() for c in columns}
                  for _, row in frame.iterrows()}


def tracker_rows(publication: Publication, quarter: Quarter, previous: dict) -> list[list]:
    """One row per section: the quarter, the section's tracker name, its counts (last quarter's, or blank)."""
    rows = []
    for section in publication.leaves:
        counts = previous.get(section.tracker_name, {})
        values = [counts.get(c, "") for c in publication.delivery.columns]
        rows.append([tracker_quarter_text(quarter), section.tracker_name]
                    + [int(v) if v.isdigit() else (v or None) for v in values])
    return rows


def write_tracker(path: Path, publication: Publication, quarter: Quarter, rows: list[list], note: str) -> None:
    """The workbook the Excel reader expects: one sheet named after the quarter, the CSV's header, one row per
    section, counts limited to whole numbers; a second sheet says how to fill it in."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    sheet.title = sheet_name(quarter)
    header = publication.tracker_columns
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    widths = [max(len(str(v or "")) for v in column) + 2 for column in zip(header, *rows)]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(width, 10)
    whole = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                           showErrorMessage=True, error="A count is a whole number, 0 or more.",
                           errorTitle="Whole numbers only")
    first, last = get_column_letter(3), get_column_letter(len(header))
    whole.add(f"{first}2:{last}{len(rows) + 1}")
    sheet.add_data_validation(whole)
    notes = book.create_sheet("How to fill in")
    for line in tracker_notes(publication, quarter, note):
        notes.append([line])
    notes.column_dimensions["A"].width = 110
    book.save(str(path))


def tracker_notes(publication: Publication, quarter: Quarter, note: str) -> list[str]:
    spec, level = publication.delivery, publication.leaf_level.name.lower()
    parts = " + ".join(p.label for p in spec.parts)
    return [f"Delivery tracker for {quarter.label}.",
            f"Sheet {sheet_name(quarter)}: one row per {level}; keep the header row, the quarter and {level} "
            "columns as they are.",
            f"Give every {level} its {spec.unit}: {spec.total.label}, and {parts} (whole numbers; the parts should "
            f"add up to the total).",
            note,
            "Do not merge cells or add columns; other sheets (like this one) are not read."]


# --- the command ----------------------------------------------------------------------------------------------
def narrative_target(paths: InputPaths, quarter: Quarter, section: Section, fmt: str) -> Path:
    return paths.narrative_docx(quarter, section.name) if fmt == "docx" else paths.narrative(quarter, section.id)


def _narrative(paths, publication, force, quarter, section, fmt) -> Outcome:
    target = narrative_target(paths, quarter, section, fmt)
    existing = paths.narrative_files(quarter, section.id, section.name)
    if existing:  # any file for the section, in either format: a second one would be an error
        return Outcome(target, "narrative", False, f"already there: {existing[0].name}")
    target.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "docx":
        write_docx_template(target, publication, section, quarter, force)
    else:
        with open(target, "x", encoding="utf-8") as handle:  # "x": never over a file that appeared meanwhile
            handle.write(markdown_template(publication, section, quarter, force))
    return Outcome(target, "narrative", True)


def _tracker(paths, publication, quarter) -> tuple[Outcome, Path | None]:
    target = paths.delivery_workbook(quarter)
    existing = paths.delivery_files(quarter)
    if existing:
        return Outcome(target, "tracker", False, f"already there: {existing[0].name}"), None
    source, counts = previous_counts(paths, publication, quarter)
    note = (f"The counts start as {quarter.shift(-1).id}'s (from {source.name}): update them for this quarter."
            if source else f"No tracker for {quarter.shift(-1).id} was found: fill in every count.")
    target.parent.mkdir(parents=True, exist_ok=True)
    write_tracker(target, publication, quarter, tracker_rows(publication, quarter, counts), note)
    return Outcome(target, "tracker", True), source


def scaffold_quarter(paths: InputPaths, publication: Publication, force: str, quarter: Quarter,
                     fmt: str = "docx") -> Scaffold:
    """Write the quarter's templates that do not exist yet; never touch one that does."""
    if fmt not in FORMATS:
        raise InputError(f"the format '{fmt}' is not one of {', '.join(FORMATS)}", column="--format", value=fmt,
                         rule="narrative template format")
    if not publication.accepts(quarter):
        raise InputError(f"the {publication.title} has no edition for {quarter.id}: its editions are "
                         f"{publication.editions_text}", column="--quarter", value=quarter.id,
                         rule="the quarter is one of the publication's editions")
    outcomes = [_narrative(paths, publication, force, quarter, s, fmt) for s in publication.leaves]
    source = None
    if publication.delivery is not None:
        tracker, source = _tracker(paths, publication, quarter)
        outcomes.append(tracker)
    return Scaffold(tuple(outcomes), source)


def summary_text(result: Scaffold, publication: Publication, quarter: Quarter, shown, force: str = "") -> str:
    """What was created and where, what was left alone, and what the leads must fill in. ``shown``: a path as
    the person should read it (relative to the project)."""
    out = [f"New quarter {quarter.label}, {publication.short_title}:"]
    folders = sorted({o.path.parent for o in result.created})
    out.append(f"  created {len(result.created)} file(s)" + (" in " + ", ".join(shown(f) + "/" for f in folders)
                                                             if folders else ""))
    for o in result.created:
        out.append(f"    + {o.path.name}")
    if result.skipped:
        out.append(f"  left {len(result.skipped)} existing file(s) unchanged:")
        out += [f"    = {shown(o.path)} ({o.note})" for o in result.skipped]
    headings = ", ".join(f"'{part.heading}'" for part in publication.narrative_parts(force or publication.owner_force))
    out.append("")
    out.append(f"Next: each lead writes their {publication.leaf_level.name.lower()} narrative under "
               f"the headings {headings} (keep the headings; the note above them is not published).")
    tracker = [o for o in result.created if o.kind == "tracker"]
    if tracker:
        start = (f"they start as last quarter's, from {result.previous_tracker.name}" if result.previous_tracker
                 else "they are blank")
        out.append(f"The analyst fills in the tracker {tracker[0].path.name} ({start}).")
    out.append("Then run `strategy-update check` to see what is in and what is missing.")
    return "\n".join(out)
