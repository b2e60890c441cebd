"""The readiness report (``inputs.readiness``) as a page of the reviewer's edition: the same words as
``strategy-update check``, a table of sections (what is in, what is missing) and each problem under its section."""

from __future__ import annotations

from strategy_update.core.markup import literal
from strategy_update.inputs.readiness import READY, Readiness, section_lines
from strategy_update.render.tables import markdown_table

TITLE = "Readiness of the inputs"
_STATE = {"ready": "Ready", "missing": "Missing", "not yet written": "Not yet written", "errors": "Errors",
          "warnings": "Warnings"}


def render_markdown(r: Readiness) -> str:
    """The page body (the caller adds the title): summary line, the table, then the problems by section."""
    level = r.publication.leaf_level.name
    has_tracker = r.publication.delivery is not None
    header = [level, "State", "Narrative"] + (["Tracker row"] if has_tracker else [])
    rows = []
    for s in r.sections:
        row = [literal(s.name), _STATE[s.state], literal(s.narrative_file) if s.narrative_file else "missing"]
        if has_tracker:
            row.append(str(s.tracker_row) if s.tracker_row else ("in" if s.tracker_in else "missing"))
        rows.append(row)
    out = [f"Inputs for {literal(r.quarter_label)}, as `strategy-update check` reports them.", "",
           f"**{literal(r.summary_line())}**", "", markdown_table(header, rows)]
    problems = [s for s in r.sections if s.problems or s.warnings or not s.narrative_written]
    if problems:
        out += ["", "## What to fix", ""]
        for s in problems:
            first, *rest = section_lines(s, has_tracker)
            out.append(f"- {literal(first)}")
            out += [f"  - {literal(line.strip().removeprefix('- '))}" for line in rest]
    if r.other:
        out += ["", "## Other inputs", ""]
        out += [f"- {f.severity}: {literal(f.file)}: {literal(f.message)}" for f in r.other]
    if r.exit_code == READY:
        out += ["", "Every section's inputs are in."]
    return "\n".join(out) + "\n"


def page(report, spec) -> str:
    """The whole page for an edition (``spec``: the build's EditionSpec) from its validation report: what the
    build writes as ``appendix/readiness.md`` in the reviewer's edition."""
    from strategy_update.inputs.readiness import readiness

    result = readiness(report, spec.paths, spec.publication, spec.force, spec.quarter)
    return f"# {TITLE}\n\n" + render_markdown(result)
