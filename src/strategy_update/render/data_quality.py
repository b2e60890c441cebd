"""The "Data quality" appendix: the validation report as a page, ordered by consequence.

Warnings whose input row is behind a published figure come first, each linked to the page of the figure it
touches; the rest are grouped by rule, one line each, with their rows in a collapsed table. Which rows are behind a
published figure is read from the edition's results table: every figure (chart points in the window, comparison
periods, delivery counts) lists its input file and lines, so a row outside every published period or measure's
offence codes is in no list."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from strategy_update.core.formatting import sentence_case
from strategy_update.core.markup import literal as _md
from strategy_update.inputs.report import ErrorRecord, ValidationReport, _plural
from strategy_update.render.input_names import input_label
from strategy_update.render.tables import markdown_table

# (file, line) of an input row -> the published figures behind which it sits: (section id, section name)
FigureLines = dict[tuple[str, int], list[tuple[str, str]]]


@dataclass(frozen=True)
class Touched:
    """A warning and the sections whose published figures its row is behind (empty: it affects none)."""

    finding: ErrorRecord
    sections: tuple[tuple[str, str], ...]


def published_figure_lines(results: pd.DataFrame, force: str, section_names: dict[str, str],
                           only: set[tuple[str, int]] | None = None) -> FigureLines:
    """Every input row behind a figure the edition publishes, with the sections it shows in; with ``only``, just
    those rows among the (file, line) pairs given (a report's warnings: the figures list every line they use, a few
    hundred thousand in all)."""
    rows = results[(results["force"] == force) & results["section"].isin(section_names)]
    if only is not None:
        rows = rows[rows["source_file"].isin({file for file, _ in only})]
    rows = rows[["section", "source_file", "lines"]].dropna(subset=["lines"]).explode("lines").dropna(subset=["lines"])
    if only is not None:
        rows = rows[pd.MultiIndex.from_arrays([rows["source_file"].astype(str), rows["lines"].astype(int)])
                    .isin(list(only))]
    out: FigureLines = {}
    for section, file, line in zip(rows["section"], rows["source_file"], rows["lines"]):
        where = out.setdefault((str(file), int(line)), [])
        if (section, section_names[section]) not in where:
            where.append((section, section_names[section]))
    return out


def by_consequence(warnings: list[ErrorRecord], figure_lines: FigureLines) -> tuple[list[Touched], list[ErrorRecord]]:
    """(warnings touching a published figure, the others), each in the report's order."""
    touching, others = [], []
    for f in warnings:
        sections = figure_lines.get((f.file or "", f.line)) if f.line is not None else None
        if sections:
            touching.append(Touched(f, tuple(sections)))
        else:
            others.append(f)
    return touching, others


_FINANCIAL_YEAR = re.compile(r"\b(\d{4})/(\d{2})\b")


def _years(findings: list[ErrorRecord]) -> str:
    """The span of financial years the findings name ("2012/13 to 2016/17"), '' when they name none."""
    years = sorted({m.group(0) for f in findings for m in _FINANCIAL_YEAR.finditer(f.message)})
    if not years:
        return ""
    return f" in {years[0]}" if len(years) == 1 else f" in {years[0]} to {years[-1]}"


def group_line(title: str, rule: str, group: list[ErrorRecord], checked: bool = True) -> str:
    """One line for a group of warnings of one rule that affect no published figure (``checked``: as far as the
    edition's figures show; otherwise the line does not claim it)."""
    files = sorted({input_label(f.file) for f in group if f.file})
    where = f" (in {', '.join(files)})" if files else ""
    consequence = ("outside every published period and measure: none affects a figure" if checked else
                   "not checked against the published figures")
    return (f"- **{_md(title)}: {_plural(len(group), 'row')}{_years(group)}** breaking the rule "
            f"\"{_md(rule)}\"{where}, {consequence}.")


def _table(items: list[ErrorRecord]) -> list[str]:
    # A longtable breaks across PDF pages; Sphinx's default table for under 30 rows runs off the page.
    return [":::{table}", ":class: longtable", ":widths: 22 7 9 20 8 34", "",
            markdown_table(["File", "Line", "Column", "Rule", "Value", "What was found"],
                           [[input_label(f.file) if f.file else "", "" if f.line is None else str(f.line),
                             _md(f.column), _md(f.rule), _md(f.value), _md(f.message)] for f in items]),
            ":::", ""]


def _section_link(section_id: str, name: str, folder: str) -> str:
    # A Markdown link, not a {doc} role: a role's title is not Markdown, so the escaped name would show its
    # backslashes.
    return f"[{_md(name)}](../{folder}/{section_id}.ipynb)"


def render_markdown(report: ValidationReport, figure_lines: FigureLines | None = None,
                    section_folder: str = "strands") -> str:
    """The body of the "Data quality" page: critical problems, then warnings that touch a published figure (linked
    to its page), then the other warnings grouped by rule, then the suites run. Without ``figure_lines`` (no
    results yet) no warning can be shown to touch a figure, and the page says so."""
    titles = {s.name: s.title or s.name for s in report.suites}
    evaluated = sum(s.evaluated for s in report.suites)
    quarter = report.quarter_label or report.quarter
    edition = f"the {quarter}" if quarter else "this"
    touching, others = by_consequence(report.warnings, figure_lines or {})
    out = [f"The inputs of {_md(edition)} edition were checked with Great Expectations against "
           f"{_plural(len(report.suites), 'suite')} of rules ({_plural(evaluated, 'check')}) before anything was "
           f"computed: {_plural(len(report.critical), 'critical problem')} and "
           f"{_plural(len(report.warnings), 'warning')}, of which {len(touching)} "
           f"{'touches' if len(touching) == 1 else 'touch'} a published figure. Critical problems stop the build; "
           "warnings are listed here and the figures they affect are published as the source data gives them "
           "(nothing is dropped or corrected).", ""]
    out += ["## Critical problems", ""]
    if report.critical:
        out += _table(report.critical)
    else:
        out += ["There are no critical problems: every input passed every critical rule.", ""]
    out += ["## Warnings that touch a published figure", ""]
    if not touching:
        out += ["None: no warning concerns an input row behind a figure this edition publishes."
                if figure_lines is not None else
                "Not worked out for this page: the edition's figures were not available when it was written.", ""]
    for t in touching:
        pages = ", ".join(_section_link(s, name, section_folder) for s, name in t.sections)
        where = input_label(t.finding.file or "") + (f", line {t.finding.line}" if t.finding.line is not None else "")
        message = t.finding.message.rstrip(".")
        affected = "figure affected" if len(t.sections) == 1 else "figures affected"
        # The pages affected lead the finding's own sentence: two findings touching one page say different things.
        out += [f"- **{_md(titles.get(t.finding.suite, t.finding.suite))}** ({affected}: {pages}): {_md(message)}. "
                f"*Input: {where}; rule: {_md(t.finding.rule or '')}.*"]
    out += ["", "## Other warnings", ""]
    if not others:
        out += ["None.", ""]
    else:
        groups: dict[tuple[str, str], list[ErrorRecord]] = {}
        for f in others:
            groups.setdefault((f.suite, f.rule or ""), []).append(f)
        out += [group_line(titles.get(suite, suite), rule, group, figure_lines is not None)
                for (suite, rule), group in groups.items()]
        out += ["", "::::{dropdown} The rows behind these warnings", ""] + _table(others) + ["::::", ""]
    out += ["## Checks run", "", markdown_table(["Suite", "Input", "Checks evaluated", "Passed"],
                                                [[_md(s.title or s.name), sentence_case(input_label(s.file)),
                                                  str(s.evaluated), str(s.passed)] for s in report.suites])]
    out += ["", "The rules are in the project's `expectations/` folder, one Great Expectations suite per kind of "
            "input."]
    return "\n".join(out) + "\n"
