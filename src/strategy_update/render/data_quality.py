"""The "Data quality" appendix: the validation report as a page (critical problems, warnings per suite, checks run)."""

from __future__ import annotations

from strategy_update.inputs.report import ErrorRecord, ValidationReport, _plural
from strategy_update.render.tables import markdown_table, plain as _md


def render_markdown(report: ValidationReport) -> str:
    """The body of the "Data quality" page: critical problems and warnings per suite, then the suites run."""
    titles = {s.name: s.title or s.name for s in report.suites}
    evaluated = sum(s.evaluated for s in report.suites)
    edition = report.quarter_label or report.quarter or "this"
    out = [f"The inputs of the {_md(edition)} edition were checked with Great Expectations against "
           f"{_plural(len(report.suites), 'suite')} of rules ({_plural(evaluated, 'check')}) before anything was "
           f"computed: {_plural(len(report.critical), 'critical problem')} and "
           f"{_plural(len(report.warnings), 'warning')}. Critical problems stop the build; warnings are listed "
           "here and the figures they affect are published as the source data gives them (nothing is dropped or "
           "corrected).", ""]
    for heading, items, none_text in [
        ("Critical problems", report.critical,
         "There are no critical problems: every input passed every critical rule."),
        ("Warnings", report.warnings, "There are no warnings: every input passed every rule."),
    ]:
        out += [f"## {heading}", ""]
        if not items:
            out += [none_text, ""]
            continue
        groups: dict[str, list[ErrorRecord]] = {}
        for f in items:
            groups.setdefault(f.suite, []).append(f)
        for suite, group in groups.items():
            # A longtable breaks across PDF pages; Sphinx's default table for under 30 rows runs off the page.
            out += [f"### {_md(titles.get(suite, suite))} ({len(group)})", "",
                    ":::{table}", ":class: longtable", ":widths: 22 7 9 20 8 34", "",
                    markdown_table(["File", "Line", "Column", "Rule", "Value", "What was found"],
                                   [[_md(f.file or ""), "" if f.line is None else str(f.line), _md(f.column),
                                     _md(f.rule), _md(f.value), _md(f.message)] for f in group]),
                    ":::", ""]
    out += ["## Checks run", "", markdown_table(["Suite", "Input", "Checks evaluated", "Passed"],
                                                [[_md(s.title or s.name), _md(s.file), str(s.evaluated),
                                                  str(s.passed)] for s in report.suites])]
    out += ["", "The rules are in the project's `expectations/` folder, one Great Expectations suite per kind of "
            "input."]
    return "\n".join(out) + "\n"


