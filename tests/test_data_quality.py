"""The data quality page ordered by consequence: warnings behind a published figure first, linked to its page;
the others grouped by rule in one line each. Small hand-made reports and results tables, no build."""

from __future__ import annotations

import pandas as pd

from conftest import shown
from strategy_update.inputs.report import CRITICAL, WARNING, ErrorRecord, SuiteResult, ValidationReport
from strategy_update.render.data_quality import by_consequence, published_figure_lines, render_markdown

CRIME = "data/raw/home-office/prc-pfa-open-data-tables.csv.gz"
TRACKER = "data/forces/essex/crime-prevention-2021-25/delivery/2021-22-Q4.csv"
NAMES = {"rape": "Rape", "cybercrime-and-fraud": "Cybercrime and Fraud"}


def results() -> pd.DataFrame:
    """Figures of two sections: a chart point and a current figure for rape (Home Office lines 500-502 and 600),
    the delivery total of Cybercrime and Fraud (tracker line 7), and another force's figure on line 900."""
    return pd.DataFrame({
        "force": ["Essex", "Essex", "Essex", "Kent"],
        "section": ["rape", "rape", "cybercrime-and-fraud", "rape"],
        "source_file": [CRIME, CRIME, TRACKER, CRIME],
        "lines": [[500, 501, 502], [600], [7], [900]]})


def negative(line: int, year: str) -> ErrorRecord:
    return ErrorRecord(CRIME, line, "Number of Offences", "negative counts are reported, never dropped", -1,
                       f"negative count -1 for Essex, offence code 31, {year} Q2", WARNING, "home_office_crime")


GAP = ErrorRecord(TRACKER, 7, "total_actions", "parts add up to the total", 7,
                  "Cybercrime and Fraud: 42 actions in total but 35 categorised", WARNING, "delivery_tracker")


def report(findings: list[ErrorRecord]) -> ValidationReport:
    return ValidationReport(findings, [SuiteResult("home_office_crime", CRIME, 15, 14, title="Home Office crime table"),
                                       SuiteResult("delivery_tracker", TRACKER, 9, 8, title="Delivery tracker")],
                            quarter="2021-22-Q4", quarter_label="Q4 2021/22")


def test_lines_behind_published_figures_are_the_edition_force_s_own():
    lines = published_figure_lines(results(), "Essex", NAMES)
    assert lines[(CRIME, 501)] == [("rape", "Rape")] and lines[(TRACKER, 7)] == [("cybercrime-and-fraud",
                                                                                    "Cybercrime and Fraud")]
    assert (CRIME, 900) not in lines  # another force's row is behind none of this edition's figures
    assert (CRIME, 499) not in lines


def test_lines_asked_for_are_those_of_every_line_among_them():
    every = published_figure_lines(results(), "Essex", NAMES)
    asked = {(CRIME, 501), (CRIME, 600), (TRACKER, 7), (TRACKER, 501), (CRIME, 900), ("elsewhere.csv", 7)}
    some = published_figure_lines(results(), "Essex", NAMES, only=asked)
    assert some == {key: sections for key, sections in every.items() if key in asked}
    assert set(some) == {(CRIME, 501), (CRIME, 600), (TRACKER, 7)}
    assert published_figure_lines(results(), "Essex", NAMES, only=set()) == {}


def test_a_warning_touches_a_figure_only_through_its_file_and_line():
    lines = published_figure_lines(results(), "Essex", NAMES)
    old, inside = negative(8671, "2012/13"), negative(600, "2021/22")
    elsewhere = ErrorRecord(TRACKER, 600, "x", "rule", 1, "same line number, other file", WARNING, "delivery_tracker")
    touching, others = by_consequence([old, GAP, inside, elsewhere], lines)
    assert [t.finding for t in touching] == [GAP, inside]
    assert touching[1].sections == (("rape", "Rape"),)
    assert others == [old, elsewhere]


def test_page_puts_the_warning_that_matters_first_and_links_its_page():
    findings = [negative(8671, "2012/13"), negative(22260, "2012/13"), negative(107865, "2016/17"), GAP]
    page = shown(render_markdown(report(findings), published_figure_lines(results(), "Essex", NAMES), "strands"))
    first, rest = page.index("## Warnings that touch a published figure"), page.index("## Other warnings")
    touching = page[first:rest]
    assert "42 actions in total but 35 categorised" in touching
    # A Markdown link, whose text is Markdown (a {doc} role's title is not: an escaped name showed its backslashes)
    assert "(figure affected: [Cybercrime and Fraud](../strands/cybercrime-and-fraud.ipynb)):" in touching
    assert "negative count" not in touching
    # The three old negative counts: one line, with the years they span, saying they affect no figure.
    summary = [line for line in page[rest:].splitlines() if line.startswith("- ")]
    assert summary == [line for line in summary if "3 rows in 2012/13 to 2016/17" in line]
    assert len(summary) == 1 and "none affects a figure" in summary[0]
    assert "(in the Home Office police recorded crime open data tables)" in summary[0]  # named, not a path
    assert "*Input: the force's delivery tracker for Q4 2021/22, line 7;" in touching
    assert "4 warnings, of which 1 touches a published figure" in page
    # Their rows are still listed in full, below the summary.
    assert page.index("8671") > page.index(summary[0])


def test_rules_are_grouped_one_line_each():
    other = ErrorRecord("data/raw/ons/pfa-population-2021.csv", 3, "population", "a population rule", 5,
                        "odd population", WARNING, "population")
    page = render_markdown(report([negative(1, "2013/14"), other, negative(2, "2014/15")]), {}, "strands")
    summary = [line for line in page.split("## Other warnings")[1].splitlines() if line.startswith("- ")]
    assert len(summary) == 2 and "2 rows in 2013/14 to 2014/15" in summary[0] and "1 row** breaking" in summary[1]
    assert "None: no warning concerns an input row behind a figure" in page


def test_without_figures_the_page_does_not_claim_none_is_affected():
    page = render_markdown(report([GAP]))
    assert "Not worked out for this page" in page and "none affects a figure" not in page
    assert "not checked against the published figures" in page


def test_critical_problems_still_come_first():
    critical = ErrorRecord(TRACKER, 3, "strand", "known strand", "x", "unknown strand 'x'", CRITICAL,
                           "delivery_tracker")
    page = shown(render_markdown(report([GAP, critical]), {}, "strands"))
    assert page.index("unknown strand 'x'") < page.index("## Warnings that touch")
