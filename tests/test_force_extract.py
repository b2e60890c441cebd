"""Measures with no open data: the force's own extract, monthly or quarterly, from a synthetic fixture.

The figures are computed once by the compute stage (``compute_edition``) into the results table; the section page
renders them from the work folder the build prepares (results as Parquet, narratives per section).
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import nbformat
import papermill
import pytest

from conftest import DATA, DEFAULT, PATHS, PUBLICATIONS, ROOT, shown
from strategy_update.build.templates import write_expanded
from strategy_update.compute.stage import compute_edition, write_edition_results
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.readers import read_edition_inputs, read_force_extract
from strategy_update.render.figures import section_figures
from strategy_update.render.measure_charts import bar_data
from strategy_update.render.view import write_narratives

FIXTURES = Path(__file__).parent / "fixtures" / "force-extracts"
Q4 = parse_quarter("2021-22-Q4")


@pytest.fixture(scope="module")
def data_with_extracts(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("extracts") / "data"
    shutil.copytree(DATA, data)
    paths = InputPaths(data, PUBLICATIONS, DEFAULT, "essex")
    assert paths.force_extracts == data / "forces" / "essex" / DEFAULT / "force-extracts"
    paths.force_extracts.mkdir(parents=True, exist_ok=True)
    for name in ["mh-incidents.csv", "prevent-referrals.csv"]:
        shutil.copy(FIXTURES / name, paths.force_extract(name.removesuffix(".csv")))
    return data


def paths_for(data: Path) -> InputPaths:
    return InputPaths(data, PUBLICATIONS, DEFAULT, "essex")


def computed(paths: InputPaths):
    """(publication, inputs, results, input rows) of the default edition, as the build computes them."""
    publication = load_publication(paths)
    inputs = read_edition_inputs(paths, publication, "Essex", Q4)
    results, rows = compute_edition(publication, "Essex", Q4, crime=inputs.crime, population=inputs.population,
                                    tracker=inputs.tracker, extracts=inputs.extracts)
    return publication, inputs, results, rows


@pytest.fixture(scope="module")
def edition(data_with_extracts):
    return computed(paths_for(data_with_extracts))


def figures_of(edition, section_id: str):
    publication, _, results, rows = edition
    return section_figures(results, rows, publication, "Essex", publication.section(section_id))[0]


def test_monthly_extract_gives_the_hand_worked_comparisons(edition):
    result = figures_of(edition, "mental-health")
    assert result.measure.id == "mh-incidents" and result.available
    # Months since April 2018: Apr 2021..Mar 2022 are 36..47 -> sum of 100+i = 12*100 + (36+...+47) = 1,698
    # Previous year i = 24..35 -> 1,200 + 354 = 1,554; change +144, +9.27%
    year = result.comparison("rolling-12-vs-previous-12")
    assert (year.current, year.base, year.change) == (1698.0, 1554.0, 144.0)
    assert round(year.pct_change, 2) == 9.27
    assert (year.current_period, year.base_period) == ("2021-04/2022-03", "2020-04/2021-03")
    assert result.headline == year  # the first comparison of the definition is the headline
    # Baseline: Apr 2019..Mar 2020 are i = 12..23 -> 1,200 + 210 = 1,410
    baseline = result.comparison("rolling-12-vs-baseline")
    assert (baseline.base, baseline.base_period) == (1410.0, "2019-04/2020-03")
    # Q4 2021/22 = Jan..Mar 2022 = i 45, 46, 47 -> 438; Q3 = i 42..44 -> 429; Q4 2020/21 = i 33..35 -> 402
    quarter = result.comparison("quarter-vs-previous-quarter")
    same_quarter = result.comparison("quarter-vs-same-quarter-last-year")
    assert (quarter.current, quarter.base, same_quarter.base) == (438.0, 429.0, 402.0)
    # The same figures straight from the results table, looked up by name.
    _, _, results, _ = edition
    mine = results[(results["measure"] == "mh-incidents") & (results["comparison"] == "rolling-12-vs-previous-12")]
    assert dict(zip(mine["statistic"], mine["value"]))["current"] == 1698.0
    # Each figure keeps the input lines behind it: the 12 months Apr 2021..Mar 2022 are lines 38..49.
    current = mine[mine["statistic"] == "current"].iloc[0]
    assert list(current["lines"]) == list(range(38, 50))
    # The bar chart is monthly (the periods as supplied), the current 12 months highlighted
    bars = bar_data(result, Q4, edition[0].history_quarters)
    assert bars["label"].iloc[-1] == "Mar 2022" and int(bars["current"].sum()) == 12


def test_quarterly_extract_gives_the_hand_worked_comparisons(edition):
    result = figures_of(edition, "prevent")
    assert result.measure.id == "prevent-referrals"
    # Quarters since 2018-19-Q1: 2021/22 is 12..15 -> 80 + 54 = 134; 2020/21 is 8..11 -> 80 + 38 = 118
    year = result.comparison("rolling-12-vs-previous-12")
    assert (year.current, year.base, year.change) == (134.0, 118.0, 16.0)
    # Q4 2021/22 is quarter 15 -> 35; Q3 is 14 -> 34; Q4 2020/21 is 11 -> 31
    assert result.comparison("quarter-vs-previous-quarter").base == 34.0
    assert result.comparison("quarter-vs-same-quarter-last-year").base == 31.0
    bars = bar_data(result, Q4, edition[0].history_quarters)
    assert bars["label"].iloc[-1] == "2021/22 Q4" and int(bars["current"].sum()) == 4


def test_extract_not_supplied_is_said_plainly(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    paths = paths_for(data)
    paths.force_extract("mh-incidents").unlink()
    publication, inputs, results, rows = computed(paths)
    assert "mh-incidents" not in inputs.extracts
    result = section_figures(results, rows, publication, "Essex", publication.section("mental-health"))[0]
    assert result.measure.id == "mh-incidents"
    assert not result.available


def test_strand_page_with_a_force_extract_renders_its_figures_and_charts(data_with_extracts, edition, tmp_path):
    publication, inputs, results, rows = edition
    paths = paths_for(data_with_extracts)
    # The work folder as the build prepares it: results and input rows as Parquet, narratives per section.
    work = tmp_path / "work"
    write_edition_results(results, rows, work / "data")
    write_narratives(work, inputs.narratives)
    # The template as the pipeline runs it: made concrete for the publication (narrative parts, delivery).
    template = write_expanded(ROOT / "notebooks" / "section.ipynb", publication, work / "templates")
    folder = work / publication.section_folder
    folder.mkdir(parents=True)
    output = folder / "mental-health.ipynb"
    # The parameters as pipeline.notebook_jobs sets them.
    parameters = {"publication": DEFAULT, "force": "Essex", "quarter": "2021-22-Q4", "data_dir": str(paths.data),
                  "publications_dir": str(PUBLICATIONS), "results_dir": str(work), "section_id": "mental-health"}
    papermill.execute_notebook(str(template), str(output), cwd=str(folder), parameters=parameters,
                               progress_bar=False)
    nb = nbformat.read(output, as_version=4)
    text = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert "comes from the force's own figures" in text
    assert "1,698" in text and "+144" in text and "+9.3%" in text
    printed = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                  if "image/svg+xml" in o.get("data", {}))
    # Bar and control charts (the seasonal chart is the website's only). Twelve quarters are too few for a forecast
    # whose models were first tested on past quarters: the page says so, and draws no fan.
    assert printed == 2
    assert "**No forecast for Mental health incidents:** it has 12 quarters with a figure" in text
    assert (folder / "downloads" / "mental-health-mh-incidents-monthly.csv").exists()
    assert not (folder / "downloads" / "mental-health-mh-incidents-forecast.csv").exists()


# --- the force's published rolling 12-month totals (Q4 2021/22 update) -------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    """The default edition from the project's own data: the force's published figures as shipped."""
    return computed(PATHS)


@pytest.mark.parametrize("section_id, current, previous, baseline", [
    ("night-time-economy", 2714, 1806, 3331), ("domestic-abuse", 30984, 28845, 30214),
    ("mental-health", 18026, 15405, 13849)])
def test_published_12_month_totals_give_the_printed_comparisons(shipped, section_id, current, previous, baseline):
    """Each file holds three 12-month totals (years ending March 2020, 2021, 2022); both 12-month comparisons come
    out of the engine, not from the file: e.g. night-time economy 2,714 vs 1,806 is +908 (+50.3%), vs 3,331 -617."""
    result = figures_of(shipped, section_id)
    year, base = result.comparison("rolling-12-vs-previous-12"), result.comparison("rolling-12-vs-baseline")
    assert (year.current, year.base, year.change) == (current, previous, current - previous)
    assert (year.current_period, year.base_period) == ("2021-04/2022-03", "2020-04/2021-03")
    assert (base.base, base.change, base.base_period) == (baseline, current - baseline, "2019-04/2020-03")
    assert round(year.pct_change, 1) == round(100 * (current - previous) / previous, 1)
    # A 12-month total cannot be split into quarters: the quarter comparisons have no figure, and no control chart.
    assert result.comparison("quarter-vs-previous-quarter").current is None and result.chart is None


def test_printed_percentages_match(shipped):
    nte = figures_of(shipped, "night-time-economy")
    assert round(nte.comparison("rolling-12-vs-previous-12").pct_change, 1) == 50.3
    assert round(nte.comparison("rolling-12-vs-baseline").pct_change, 1) == -18.5


def test_published_figures_are_labelled_with_their_source_and_missing_date(shipped):
    label = shown(figures_of(shipped, "domestic-abuse").force_label)
    assert label == ("the force's published figures (Essex Police, Crime Prevention Strategy update Q4 2021/22), "
                     "with no extraction date published")


def test_extraction_date_is_shown_as_a_uk_date(shipped):
    nte = figures_of(shipped, "night-time-economy")
    dated = replace(nte, input_rows=nte.input_rows.assign(extracted=["2022-04-19", "2022-04-19", "2022-04-20"]))
    assert shown(dated.force_label).endswith("update Q4 2021/22), extracted 20 April 2022")
    opened = replace(nte, input_rows=nte.input_rows.assign(published_in="", extracted="", code=""))
    assert opened.force_label == ""  # open data, or an extract with neither column: no such label


@pytest.mark.parametrize("cell, error, after", [
    ("", "", "yes"), ("2022-04-20", "", "yes"), ("2022-03-31", "", "no"),
    ("20/04/2022", "the extraction date '20/04/2022' is not a date written YYYY-MM-DD", "yes"),
    ("2022-02-30", "the extraction date '2022-02-30' is not", "yes")])
def test_extraction_date_is_read_and_judged(tmp_path, cell, error, after):
    path = tmp_path / "nte-crimes.csv"
    path.write_text(f"period,value,extracted\n2021-04/2022-03,5,{cell}\n", encoding="utf-8")
    row = read_force_extract(path).iloc[0]
    assert row["extracted"] == cell and row["extracted_after_period"] == after
    assert row["extracted_error"].startswith(error) and bool(row["extracted_error"]) == bool(error)


def test_a_quarter_alone_is_shown_as_one_figure_without_an_empty_table(shipped):
    from strategy_update.render.section_page import _single_figure, measure_section

    arrests = figures_of(shipped, "serious-organised-crime")
    assert arrests.measure.id == "soc-arrests" and _single_figure(arrests)
    assert not _single_figure(figures_of(shipped, "night-time-economy"))  # it has comparisons
    [block] = measure_section(None, arrests)
    assert "**Q4 2021/22:** 106 arrests. No earlier period was supplied" in block.data
    assert "n/a" not in block.data and "| Period |" not in block.data


def test_measures_from_one_source_are_named_in_one_sentence(shipped):
    from strategy_update.render.section_page import measures_intro

    publication, _, results, rows = shipped
    section = publication.section("serious-organised-crime")
    view = SimpleNamespace(publication=publication, force="Essex", quarter=Q4, results=results)
    intro = measures_intro(view, section, section_figures(results, rows, publication, "Essex", section))
    assert intro.count("are the force's published figures") == 1
    assert "**Arrests by the Serious Organised Crime Unit (SOCU)**, " in intro
    assert " and **People safeguarded by SOCU** are the force's published" in intro


def test_12_month_totals_alone_leave_the_quarter_comparisons_out_of_the_table(shipped):
    from strategy_update.render.notes import CalculationNote
    from strategy_update.render.section_page import measure_section

    view = SimpleNamespace(force="Essex", quarter=Q4, publication=shipped[0], results=shipped[2],
                           print_charts=False)
    parts = measure_section(view, figures_of(shipped, "domestic-abuse"))
    block = parts[0]
    assert ("| 12 months ending March 2022 | 30,984 | 12 months ending March 2021 | 28,845 | +2,139 | +7.4% |"
            in block.data)
    notes = [part for part in parts if isinstance(part, CalculationNote)]
    assert "| n/a |" not in block.data and len(notes) == 2
    assert all(note.title.startswith("How this was calculated") for note in notes)
    assert ("Not compared, because the data supplied covers neither period: Q4 2021/22 with Q3 2021/22; "
            "Q4 2021/22 with Q4 2020/21.") in block.data


def test_measures_not_supplied_are_listed_once(tmp_path):
    """A force that supplied none of a section's own figures (most forces) reads one list, not a sentence each;
    a single missing measure is one sentence."""
    from strategy_update.render.section_page import measures_intro

    data = tmp_path / "data"
    shutil.copytree(DATA, data)
    paths = paths_for(data)
    for extract in paths.force_extracts.glob("soc-*.csv"):
        extract.unlink()
    paths.force_extract("mh-incidents").unlink()
    publication, _, results, rows = computed(paths)

    def intro(section_id: str) -> str:
        section = publication.section(section_id)
        view = SimpleNamespace(publication=publication, force="Essex", quarter=Q4, results=results)
        return measures_intro(view, section, section_figures(results, rows, publication, "Essex", section))
    organised = intro("serious-organised-crime")
    assert organised.count("were not supplied for this edition") == 1
    assert "The force's own figures for these measures were not supplied" in organised
    assert "\n- **Arrests by the Serious Organised Crime Unit (SOCU)**\n" in organised  # names as defined
    assert organised.count("\n- **") == 6  # the section's six measures, one line each
    mental = intro("mental-health")
    assert "The force's own figures for **" in mental and "\n- **" not in mental


def test_what_several_measures_share_is_said_once_for_the_section(shipped):
    """The six organised-crime measures are the force's counts for the quarter alone, with the same note, the same
    reason for having no better direction and no earlier period: the section says each once, naming the measures,
    and each measure gives only its own figure (issue 28: each sentence once)."""
    from strategy_update.render.section_page import NO_EARLIER, measure_section, measures_intro, shared_notes

    publication, _, results, rows = shipped
    section = publication.section("serious-organised-crime")
    figures = section_figures(results, rows, publication, "Essex", section)
    said = shared_notes(figures)
    assert NO_EARLIER in said and len(said[NO_EARLIER]) == 6
    reason = figures[0].measure.direction_reason
    assert reason in said
    view = SimpleNamespace(publication=publication, force="Essex", quarter=Q4, results=results)
    intro = measures_intro(view, section, figures)
    assert intro.count(NO_EARLIER) == 1 and intro.count(reason) == 1
    for f in figures:
        [block] = measure_section(None, f, said)
        assert NO_EARLIER not in block.data and reason not in block.data
        assert f"{f.measure.unit}." in block.data  # its own figure is still there
