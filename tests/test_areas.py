"""Per-area figures from a force extract's ``area`` column: computed per area like the force-wide figures (which
adding area rows leaves exactly as they were), and shown on the section page in a "By area" table."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from conftest import shown
from strategy_update.compute.observations import observations_from_extracts
from strategy_update.compute.results import compute_results
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.readers import read_force_extract
from strategy_update.model.publication import publication_from_mapping
from strategy_update.render import section_page
from strategy_update.render.figures import section_figures
from strategy_update.render.view import EditionView

Q4 = parse_quarter("2021-22-Q4")
COMPARISONS = ["quarter-vs-previous-quarter", "quarter-vs-same-quarter-last-year"]
POPULATION = pd.DataFrame({"force_name": ["Essex"], "mid_year": [2021], "population": [1_000_000], "line": [2],
                           "source_file": ["pop.csv"]})

# Lines: 1 header; Q3 force-wide 2, North 3, South 4; Q4 force-wide 5, North 6, South 7.
MIXED = """period,value,area,source
2021-22-Q3,100,,test
2021-22-Q3,60,North,test
2021-22-Q3,40,South,test
2021-22-Q4,120,,test
2021-22-Q4,45,North,test
2021-22-Q4,70,South,test
"""
# Only the areas (lines 2..5), as when a force prints no force-wide figure.
AREAS_ONLY = """period,value,area,source
2021-22-Q3,230,North,test
2021-22-Q4,163,North,test
2021-22-Q3,50,South,test
2021-22-Q4,48,South,test
"""


def definition(unit: str = "people", comparisons: list[str] = COMPARISONS,
               areas: list[str] = ("South", "North", "West")):
    """A one-measure publication; the definition's order of areas, not the file's, orders the table."""
    raw = {"id": "areas-test", "title": "Areas test", "organisation": "Test", "owner_force": "Essex",
           "default_quarter": "2021-22-Q4", "history_quarters": 4, "comparisons": list(comparisons),
           "areas": list(areas), "levels": [{"id": "priority", "name": "Priority", "plural": "Priorities"}],
           "sections": [{"id": "safety", "name": "Safety", "measures": [
               {"id": "helped", "name": "People helped", "source": "force_extract", "unit": unit,
                "direction": "lower"}]}]}
    return publication_from_mapping(raw, Path("."), "publication.yml")


def extract(tmp_path: Path, text: str) -> pd.DataFrame:
    path = tmp_path / "helped.csv"
    path.write_text(text, encoding="utf-8")
    return read_force_extract(path)


def results_of(frame: pd.DataFrame, publication) -> tuple[pd.DataFrame, pd.DataFrame]:
    section, measure = publication.measures[0]
    obs, rows = observations_from_extracts([(section.id, measure, frame)], "Essex")
    results = compute_results(obs, rows, POPULATION, publication_id=publication.id, quarter=Q4,
                              comparisons=COMPARISONS, baseline_end=None, history_quarters=4, forces=["Essex"])
    return results, rows


def figure(results: pd.DataFrame, area: str, statistic: str, comparison: str = COMPARISONS[0]) -> pd.Series:
    found = results[(results["area"] == area) & (results["statistic"] == statistic)
                    & (results["comparison"] == comparison)]
    assert len(found) == 1, (area, statistic, comparison, len(found))
    return found.iloc[0]


def test_per_area_current_base_and_change_by_hand(tmp_path):
    results, _ = results_of(extract(tmp_path, MIXED), definition())
    # Q4 2021/22 against Q3 2021/22: North 45 vs 60 -> -15, -25%; South 70 vs 40 -> +30, +75%; force 120 vs 100.
    for area, current, base, change, pct, lines in [("", 120, 100, 20, 20.0, (2, 5)),
                                                    ("North", 45, 60, -15, -25.0, (3, 6)),
                                                    ("South", 70, 40, 30, 75.0, (4, 7))]:
        assert figure(results, area, "current")["value"] == current
        assert figure(results, area, "base")["value"] == base
        assert figure(results, area, "change")["value"] == change
        assert figure(results, area, "pct_change")["value"] == pytest.approx(pct)
        # Each figure keeps the file and lines behind it: the current quarter's line, the base's, both for a change.
        assert list(figure(results, area, "current")["lines"]) == [lines[1]]
        assert list(figure(results, area, "base")["lines"]) == [lines[0]]
        assert list(figure(results, area, "change")["lines"]) == list(lines)
        assert figure(results, area, "current")["source_file"].endswith("helped.csv")
        assert figure(results, area, "current")["period_label"] == "Q4 2021/22"
        assert figure(results, area, "current")["base_period_label"] == "Q3 2021/22"
    # Same quarter a year earlier: no data, so no base and no change (never 0).
    assert figure(results, "North", "current", COMPARISONS[1])["value"] == 45
    assert pd.isna(figure(results, "North", "base", COMPARISONS[1])["value"])
    # The chart series per area too: two quarters each.
    north = results[(results["area"] == "North") & (results["statistic"] == "series")]
    assert list(north["value"]) == [60.0, 45.0]
    # Population and the rate per 1,000 are force-wide only: there is no population per area.
    per_head = results[results["statistic"].isin(["population", "rate_per_1000"])]
    assert len(per_head) == 2 and set(per_head["area"]) == {""}
    # Each measure's force-wide rows come first, then its areas' in the order the file names them.
    assert list(dict.fromkeys(results["area"])) == ["", "North", "South"]


def test_force_wide_figures_are_unchanged_by_area_rows(tmp_path):
    publication = definition()
    mixed = extract(tmp_path, MIXED)
    force_wide_only = mixed[mixed["area"] == ""].reset_index(drop=True)  # same rows, same line numbers
    with_areas, _ = results_of(mixed, publication)
    without, _ = results_of(force_wide_only, publication)
    assert set(without["area"]) == {""}
    assert (with_areas["area"] != "").sum() > 0
    pd.testing.assert_frame_equal(with_areas[with_areas["area"] == ""].reset_index(drop=True), without)


def test_an_extract_with_only_area_rows_gives_area_figures_and_no_force_wide_rows(tmp_path):
    results, _ = results_of(extract(tmp_path, AREAS_ONLY), definition())
    assert not results.empty
    assert (results["area"] == "").sum() == 0
    assert set(results["area"]) == {"North", "South"}
    assert figure(results, "North", "current")["value"] == 163
    assert figure(results, "North", "base")["value"] == 230
    assert figure(results, "South", "change")["value"] == -2
    assert list(figure(results, "South", "change")["lines"]) == [4, 5]
    assert not results["statistic"].isin(["population", "rate_per_1000"]).any()


def view_of(publication, results, rows, tmp_path) -> EditionView:
    paths = InputPaths(tmp_path / "data", tmp_path / "publications", publication.id, "essex")
    return EditionView(publication, "Essex", Q4, paths, results, rows, {})


def markdown_of(parts) -> str:
    return shown("\n".join(p.data for p in parts if hasattr(p, "data") and isinstance(p.data, str)))


def test_section_page_shows_a_by_area_table_under_the_force_wide_figures(tmp_path, monkeypatch):
    publication = definition()
    results, rows = results_of(extract(tmp_path, MIXED), publication)
    section = publication.section("safety")
    [figures] = section_figures(results, rows, publication, "Essex", section)
    # The measure's own figures stay force-wide; the areas come in the definition's order (South before North).
    assert figures.available and figures.headline.current == 120 and figures.by_area
    assert [a.area for a in figures.areas] == ["South", "North"]
    assert figures.observations["value"].tolist() == [100.0, 120.0]  # the bars: force-wide rows only
    monkeypatch.chdir(tmp_path)  # the charts' CSV downloads are written next to the page
    text = markdown_of(section_page.measure_section(view_of(publication, results, rows, tmp_path), figures))
    assert "**By area**" in text and "helped.csv" in text
    assert "| Area | Period | Count | Compared with | Count | Change | % change | Input lines |" in text
    assert "| South | Q4 2021/22 | 70 | Q3 2021/22 | 40 | +30 | +75.0% | lines 4, 7 |" in text
    assert "| North | Q4 2021/22 | 45 | Q3 2021/22 | 60 | -15 | -25.0% | lines 3, 6 |" in text
    # Under the force-wide figures, not instead of them.
    assert text.index("| Q4 2021/22 | 120 | Q3 2021/22 | 100 | +20 | +20.0% |") < text.index("**By area**")
    assert "no force-wide figure" not in text


def test_section_page_with_only_area_figures_says_so_and_shows_seconds_as_minutes(tmp_path):
    publication = definition(unit="seconds")
    results, rows = results_of(extract(tmp_path, AREAS_ONLY), publication)
    section = publication.section("safety")
    [figures] = section_figures(results, rows, publication, "Essex", section)
    assert not figures.available and figures.by_area
    view = view_of(publication, results, rows, tmp_path)
    assert "given for each of its areas only" in section_page.measures_intro(view, section, [figures])
    text = markdown_of(section_page.measure_section(view, figures))
    assert "The force published no force-wide figure for this measure" in text
    # 163 s is 2 min 43 s; 230 s is 3 min 50 s; the change -67 s is -1 min 7 s; 48 s against 50 s is -2 s.
    assert "| South | Q4 2021/22 | 48 s | Q3 2021/22 | 50 s | -2 s | -4.0% | lines 4, 5 |" in text
    assert "| North | Q4 2021/22 | 2 min 43 s | Q3 2021/22 | 3 min 50 s | -1 min 7 s | -29.1% | lines 2, 3 |" in text


def test_area_table_falls_back_to_a_comparison_the_areas_have(tmp_path):
    """One quarter per area (as the Essex hate crime figures): no 12 months, so the quarter is shown and said."""
    publication = definition(comparisons=["rolling-12-vs-previous-12", *COMPARISONS], areas=["North", "South"])
    one_quarter = "period,value,area,source\n2021-22-Q4,40,North,test\n2021-22-Q4,22,South,test\n"
    section, measure = publication.measures[0]
    obs, rows = observations_from_extracts([(section.id, measure, extract(tmp_path, one_quarter))], "Essex")
    results = compute_results(obs, rows, POPULATION, publication_id=publication.id, quarter=Q4,
                              comparisons=list(publication.comparisons), baseline_end=None, history_quarters=4)
    [figures] = section_figures(results, rows, publication, "Essex", section)
    assert figures.area_comparison == "quarter-vs-previous-quarter"
    table = section_page.area_table(figures)
    assert "No area has a figure for the 12 months ending March 2022" in table
    assert "| North | Q4 2021/22 | 40 | Q3 2021/22 | n/a | n/a | n/a | line 2 |" in table

