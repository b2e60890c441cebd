"""The pages' tables (render/view.read_page_tables) are read once per kernel while their files stay the same, and
read again as soon as the build writes them anew; each page gets a copy of its own. A section's figures
(EditionView.figures) are worked out once per kernel in the same way."""

import dataclasses
from pathlib import Path

import pandas as pd

from strategy_update.compute.results import COLUMNS
from strategy_update.compute.stage import INPUT_ROW_SCHEMA, write_edition_results
from strategy_update.render import view


def tables(value: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    results = pd.DataFrame([{column: "" for column in COLUMNS} | {"force": "Kent", "statistic": "current",
                                                                   "value": value, "lines": [3]}])
    rows = pd.DataFrame([{field.name: "" for field in INPUT_ROW_SCHEMA} | {"line": 3, "value": value}])
    return results, rows


def test_the_tables_are_kept_until_the_build_writes_them_again(tmp_path):
    write_edition_results(*tables(1.0), tmp_path / "data")
    view._page_tables.cache_clear()
    first, _ = view.read_page_tables(tmp_path)
    again, _ = view.read_page_tables(tmp_path)
    assert view._page_tables.cache_info().hits == 1 and first["value"].tolist() == again["value"].tolist() == [1.0]
    write_edition_results(*tables(2.0), tmp_path / "data")  # the next build's figures
    results, rows = view.read_page_tables(tmp_path)
    assert results["value"].tolist() == [2.0] and rows["value"].tolist() == [2.0]


def test_each_page_gets_its_own_copy(tmp_path):
    write_edition_results(*tables(1.0), tmp_path / "data")
    view._page_tables.cache_clear()
    first, _ = view.read_page_tables(tmp_path)
    first.loc[0, "value"] = 99.0  # a page that changes its tables changes nothing for the next page
    assert view.read_page_tables(tmp_path)[0]["value"].tolist() == [1.0]


ROOT = Path(__file__).resolve().parents[1]
PCP = "police-and-crime-plan"


def kent_view(folder: Path) -> view.EditionView:
    return view.load_view(folder, PCP, "Kent", "2021-22-Q4", ROOT / "data", ROOT / "publications")


def figures_tables(value: float, publication) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One current figure of the first measure of the publication's first section."""
    section = publication.leaves[0]
    results, rows = tables(value)
    results = results.assign(section=section.id, measure=section.measures[0].id,
                             comparison=publication.comparisons[0])
    return results, rows


def test_a_section_s_figures_are_worked_out_once_until_the_tables_change(tmp_path):
    write_edition_results(*tables(1.0), tmp_path / "data")
    publication = kent_view(tmp_path).publication
    section = publication.leaves[0]
    write_edition_results(*figures_tables(1.0, publication), tmp_path / "data")
    front, page = kent_view(tmp_path), kent_view(tmp_path)  # two pages of the edition in one kernel
    first = front.figures(section)
    assert first[0].headline.current == 1.0
    again = page.figures(section)
    assert again == first and all(a is b for a, b in zip(again, first))  # kept, not worked out again
    again.clear()  # a page's list is its own
    assert len(page.figures(section)) == len(first)
    renamed = dataclasses.replace(section, name="Renamed in the definition")
    assert page.figures(renamed)[0] is not first[0]  # another definition of the section: worked out afresh
    write_edition_results(*figures_tables(2.0, publication), tmp_path / "data")  # the next build's figures
    assert kent_view(tmp_path).figures(section)[0].headline.current == 2.0
    # Figures of tables not read from a build's folder are never kept.
    loose = dataclasses.replace(front, tables=())
    assert loose.figures(section)[0] is not loose.figures(section)[0]


def test_the_rows_behind_two_periods_are_the_rows_inside_either_in_their_order():
    """A comparison's note lists the input rows inside its current or its base period (``rows_within``): the same
    rows, in the same order, as the rows of every period that has a row inside either (what it was before)."""
    from strategy_update.core.periods import parse_period
    from strategy_update.render.figures import MeasureFigures, _with_months

    periods = ["2020-21-Q4", "2021-22-Q1", "2021-04", "2021-05/2021-07", "2021-22-Q4", "2022-01", "2019-20-Q3"]
    rows = _with_months(pd.DataFrame({"period": periods * 3, "value": range(len(periods) * 3),
                                      "code": [c for c in "abc" for _ in periods]}))
    figures = MeasureFigures("s", None, (), pd.DataFrame(), None, (), None, None, rows, "")

    def within(span: str) -> set[str]:
        _, first, last = parse_period(span)
        return {p for p in periods if parse_period(p)[1] >= first and parse_period(p)[2] <= last}
    for current, base in [("2021-22-Q1", "2020-21-Q4"), ("2021-04/2022-03", "2020-04/2021-03"),
                          ("2022-01", "2021-22-Q4"), ("2023-24-Q1", "2019-20-Q3")]:
        inside = within(current) | within(base)
        pd.testing.assert_frame_equal(figures.rows_within(current, base), rows[rows["period"].isin(inside)])
        assert len(figures.rows_within(current, base)) == 3 * len(inside)


def test_the_negative_rows_are_those_behind_the_chart_or_a_comparison():
    """The negative adjustments named under a measure: its rows with a value below 0 whose period is charted or lies
    inside a period one of its comparisons compares, in their order."""
    from strategy_update.render.figures import ComparisonFigures, MeasureFigures, _with_months

    periods = ["2019-20-Q3", "2020-21-Q4", "2021-22-Q1", "2021-04", "2021-22-Q4", "2022-01"]
    rows = _with_months(pd.DataFrame({"period": periods * 2, "value": [-1, 5, -2, -3, 4, -4, -5, -6, 7, 8, -7, 9],
                                      "code": [c for c in "ab" for _ in periods], "line": range(12)}))

    def comparison(current: str, base: str) -> ComparisonFigures:
        return ComparisonFigures("c", current, base, current, base, 1.0, 1.0, 0.0, 0.0)
    charted = pd.DataFrame({"period": ["2019-20-Q3"], "period_label": ["Q3"], "value": [1.0]})
    figures = MeasureFigures("s", None, (comparison("2021-22-Q4", "2021-22-Q1"), comparison("2022-01", "2021-04")),
                             charted, None, (), None, None, rows, "")
    assert list(figures.negative_rows["line"]) == [0, 2, 3, 5, 6, 10]  # Q3 charted; Q1, April, Q4, January compared
    assert figures.negative_rows.empty == (rows["value"] >= 0).all()
    alone = MeasureFigures("s", None, (), charted, None, (), None, None, rows, "")
    assert list(alone.negative_rows["line"]) == [0, 6]
