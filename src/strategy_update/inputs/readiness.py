"""Is the quarter ready to build? (``strategy-update check``.) The validation report (``validate.validate_inputs``)
regrouped by section: for each strand, priority or area, whether its narrative and its tracker row are in, what is
missing and what is wrong, in the words the findings already use (no rule ids, no line numbers of converted
files). No check of its own: every problem here is a finding of validation.

What it decides: a section is ready when its narrative is in and its tracker row is in (when the publication has
a tracker), with no finding against either. A template from ``new-quarter`` that nobody has written in (validation's
"not yet written" finding: a warning, critical with ``--strict``) is "not yet written". Exit code: 2 when
validation found anything critical (the build would stop), 1 when something the force supplies is missing, not yet
written or has a warning, 0 when all is ready.
Warnings about the open data (e.g. the Home Office's negative adjustments) are counted but do not make the
quarter "not ready": they are published in the data quality appendix and no lead can act on them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from strategy_update.core.errors import CRITICAL, ErrorRecord
from strategy_update.inputs.paths import InputPaths, narrative_section
from strategy_update.model.publication import Publication

READY, NOT_READY, ERRORS = 0, 1, 2  # exit codes
SUPPLIED_SUITES = ("narrative", "delivery_tracker", "force_extracts", "peer_group")  # what the force supplies
NOT_YET_WRITTEN_RULE = "a narrative template is written in"  # how validation's rule for an unwritten one starts
_ROW = re.compile(r"\b(?:cell [A-Z]+|row )(\d+)\b")  # where an Excel finding says it is ("sheet Q1, cell C7")


@dataclass
class SectionReadiness:
    id: str
    name: str
    narrative_file: str | None = None  # the file's name when supplied
    narrative_written: bool = True  # False: a template nobody has written in (said once, in its state)
    tracker_row: int | None = None  # the row (line) of the tracker, when known
    tracker_in: bool | None = None  # None: the publication has no tracker
    problems: list[ErrorRecord] = field(default_factory=list)  # critical findings about this section
    warnings: list[ErrorRecord] = field(default_factory=list)

    @property
    def missing(self) -> list[str]:
        """What has not been supplied, in words."""
        out = [] if self.narrative_file else ["narrative"]
        return out + (["tracker row"] if self.tracker_in is False else [])

    @property
    def state(self) -> str:
        if not self.narrative_written:
            return "not yet written"
        if self.problems:
            return "errors"
        if self.missing:
            return "missing"
        return "warnings" if self.warnings else "ready"


@dataclass
class Readiness:
    publication: Publication
    quarter_label: str
    force: str
    sections: list[SectionReadiness]
    other: list[ErrorRecord]  # findings about the force's inputs that belong to no one section
    open_data_critical: list[ErrorRecord]
    open_data_warnings: int

    @property
    def exit_code(self) -> int:
        if self.open_data_critical or any(f.severity == CRITICAL for f in self.other) or \
                any(s.problems for s in self.sections):
            return ERRORS
        if self.other or any(s.state != "ready" for s in self.sections):
            return NOT_READY
        return READY

    def summary_line(self) -> str:
        """``12 of 14 strands ready; 2 missing: Places, Prevent``."""
        plural = self.publication.leaf_level.plural.lower()
        ready = [s for s in self.sections if s.state == "ready"]
        parts = [f"{len(ready)} of {len(self.sections)} {plural} ready"]
        for state in ("missing", "not yet written", "errors", "warnings"):
            names = [s.name for s in self.sections if s.state == state]
            if names:
                label = {"errors": "with errors", "warnings": "with warnings"}.get(state, state)
                parts.append(f"{len(names)} {label}: {', '.join(names)}")
        other = [f for f in self.other + self.open_data_critical if f.severity == CRITICAL]
        if other:
            parts.append(f"{len(other)} other error{'s' if len(other) > 1 else ''}")
        return "; ".join(parts)


# --- grouping ---------------------------------------------------------------------------------------------------
def _narrative_files(paths: InputPaths, publication: Publication, quarter) -> dict[str, list[Path]]:
    titles = {s.id: s.name for s in publication.leaves}
    folder = paths.narrative_folder(quarter)
    found: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        section = narrative_section(path, titles)
        if section:
            found.setdefault(section, []).append(path)
    return found


def _tracker_lines(path: Path | None, publication: Publication, quarter) -> dict[int, str]:
    """Tracker line (row) -> the tracker name on it, to place a finding; {} when it cannot be read."""
    if path is None or not path.is_file():
        return {}
    try:  # the readers' own reading (a CSV or a workbook, within the size limits), as validation read it
        if path.suffix.lower() == ".xlsx":
            from strategy_update.inputs.excel import read_workbook_table

            frame = read_workbook_table(path, path.name, quarter)
        else:
            from strategy_update.inputs.readers import read_raw_table

            frame = read_raw_table(path)
        level = publication.leaf_level.id
        return {int(line): str(name).strip() for line, name in zip(frame["line"], frame[level])}
    except Exception:  # an unreadable tracker is already a finding of validation; it just cannot be placed
        return {}


def _tracker_section(finding: ErrorRecord, lines: dict[int, str], by_tracker_name: dict[str, str]) -> str | None:
    if finding.line is not None and finding.line in lines:
        return by_tracker_name.get(lines[finding.line])
    match = _ROW.search(finding.message)
    if match and int(match.group(1)) in lines:
        return by_tracker_name.get(lines[int(match.group(1))])
    return by_tracker_name.get(str(finding.value).strip()) if finding.value is not None else None


def _place(finding: ErrorRecord, sections, by_file_name, lines, by_tracker_name,
           tracker_supplied: bool) -> tuple[str | None, bool]:
    """(the section a finding is about or None, whether it only says that something was not supplied)."""
    if finding.suite == "narrative":
        sid = by_file_name.get(Path(finding.file or "").name)
        if sid is None and finding.value in sections and "not supplied" in finding.message:
            return str(finding.value), True
        return sid, False
    if finding.suite == "delivery_tracker":
        if not tracker_supplied:  # "the tracker was not supplied": every section says "tracker row missing"
            return None, "not supplied" in finding.message
        sid = _tracker_section(finding, lines, by_tracker_name)
        return sid, bool(sid) and "no delivery row" in finding.message
    return None, False


def _plain(finding: ErrorRecord) -> ErrorRecord:
    """A finding as a lead reads it: which input ("narrative", "tracker") and where in it, in words, then what;
    no Markdown heading marker."""
    kind = {"narrative": "narrative", "delivery_tracker": "tracker"}.get(finding.suite, "")
    message = finding.message.replace("'## ", "'")
    if finding.line is not None:
        message = f"line {finding.line}: {message}"
    if kind:
        message = f"{kind}, {message}" if finding.line is not None or message.startswith("sheet ") else \
            f"{kind}: {message}"
    return ErrorRecord(finding.file, finding.line, finding.column, finding.rule, finding.value, message,
                       finding.severity, finding.suite)


def readiness(report, paths: InputPaths, publication: Publication, force: str, quarter) -> Readiness:
    """The validation report grouped by section (see the module's docstring for what counts as ready)."""
    sections = {s.id: SectionReadiness(s.id, s.name) for s in publication.leaves}
    by_tracker_name = {s.tracker_name: s.id for s in publication.leaves}
    files = _narrative_files(paths, publication, quarter)
    by_file_name = {p.name: sid for sid, found in files.items() for p in found}
    for sid, found in files.items():
        sections[sid].narrative_file = ", ".join(p.name for p in found)
    tracker = paths.delivery(quarter) if publication.delivery else None
    tracker_supplied = bool(publication.delivery and paths.delivery_files(quarter))
    lines = _tracker_lines(tracker, publication, quarter) if tracker_supplied else {}
    for line, name in lines.items():
        if name in by_tracker_name:
            sections[by_tracker_name[name]].tracker_row = line
    for s in sections.values():
        s.tracker_in = None if not publication.delivery else s.tracker_row is not None or (
            tracker_supplied and not lines)  # a tracker that cannot be read: its finding says why
    other, open_critical, open_warnings = [], [], 0
    for finding in report.findings:
        if finding.suite not in SUPPLIED_SUITES:
            if finding.severity == CRITICAL:
                open_critical.append(finding)
            else:
                open_warnings += 1
            continue
        sid, not_supplied = _place(finding, sections, by_file_name, lines, by_tracker_name, tracker_supplied)
        if not_supplied and finding.severity != CRITICAL:
            continue  # said once, as "missing narrative" or "missing tracker row"
        if sid and _not_yet_written(finding):
            sections[sid].narrative_written = False
        if sid is None:
            other.append(_plain(finding))
        elif finding.severity == CRITICAL:
            sections[sid].problems.append(_plain(finding))
        else:
            sections[sid].warnings.append(_plain(finding))
    return Readiness(publication, quarter.label, force, list(sections.values()), other, open_critical,
                     open_warnings)


def _not_yet_written(finding: ErrorRecord) -> bool:
    return finding.suite == "narrative" and (finding.rule or "").startswith(NOT_YET_WRITTEN_RULE)


# --- the text a person reads -----------------------------------------------------------------------------------
def section_lines(s: SectionReadiness, has_tracker: bool) -> list[str]:
    """One section: its state, what is in, what is missing, then each problem on its own line."""
    have = [f"narrative {s.narrative_file}"] if s.narrative_file else []
    if has_tracker and s.tracker_in:
        have.append(f"tracker row {s.tracker_row}" if s.tracker_row else "tracker")
    state = {"ready": "ready", "missing": "missing " + " and ".join(s.missing),
             "not yet written": f"narrative not yet written ({s.narrative_file}: the template, with nothing under "
                                f"its headings; it counts as not supplied)",
             "errors": "must be fixed", "warnings": "ready, with warnings"}[s.state]
    if s.state != "missing" and s.missing:
        state += "; missing " + " and ".join(s.missing)
    if s.state == "not yet written":
        have = have[1:]  # the narrative is named in the state
    out = [f"{s.name}: {state}" + (f" (in: {', '.join(have)})" if have else "")]
    # An unwritten template is said once, in its state (with --strict it is also an error, which stops the build).
    out += [f"  - error: {f.message}" for f in s.problems if not _not_yet_written(f)]
    out += [f"  - warning: {f.message}" for f in s.warnings if not _not_yet_written(f)]
    return out


def format_text(r: Readiness) -> str:
    has_tracker = r.publication.delivery is not None
    out = [f"{r.publication.short_title}, {r.force}, {r.quarter_label}", r.summary_line(), ""]
    for s in r.sections:
        out += section_lines(s, has_tracker)
    if r.other or r.open_data_critical:
        out += ["", "Other inputs:"]
        out += [f"  - {f.severity}: {Path(f.file).name if f.file else ''}: {f.message}"
                for f in r.other + r.open_data_critical]
    if r.open_data_warnings:
        out += ["", f"{r.open_data_warnings} note(s) about the open data will be in the data quality appendix "
                "(`strategy-update validate` lists them)."]
    missing = any(s.missing for s in r.sections)
    verdict = {READY: "Ready to build.",
               NOT_READY: "The update can be built; " + ("the pages say what is missing." if missing else
                                                         "the warnings are published in its data quality appendix."),
               ERRORS: "Not ready: the build stops until the errors above are fixed."}[r.exit_code]
    if any(s.state == "not yet written" for s in r.sections):
        verdict += (" A template nobody has written in counts as not supplied: its page says 'not yet written' "
                    "(`--strict` refuses it).")
    return "\n".join(out + ["", verdict])
