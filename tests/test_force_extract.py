"""Measures with no open data: the force's own extract, monthly or quarterly, from a synthetic fixture."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import papermill
import pytest

from conftest import DATA, DEFAULT, PATHS, PUBLICATIONS, ROOT
from strategy_update.compute.edition import analyse_strand, load_edition
from strategy_update.build.templates import write_expanded
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.definition import load_publication

FIXTURES = Path(__file__).parent / "fixtures" / "force-extracts"


@pytest.fixture(scope="module")
def data_with_extracts(tmp_path_factory) -> Path:
    data = tmp_path_factory.mktemp("extracts") / "data"
    shutil.copytree(DATA, data)
    paths = InputPaths(data, PUBLICATIONS, DEFAULT, "essex")
    paths.force_extracts.mkdir(parents=True, exist_ok=True)
    for name in ["mh-incidents.csv", "prevent-referrals.csv"]:
        shutil.copy(FIXTURES / name, paths.force_extract(name.removesuffix(".csv")))
    return data


def paths_for(data: Path) -> InputPaths:
    return InputPaths(data, PUBLICATIONS, DEFAULT, "essex")


def test_monthly_extract_gives_the_hand_worked_comparisons(data_with_extracts):
    edition = load_edition(paths_for(data_with_extracts), "Essex", "2021-22-Q4")
    result = analyse_strand(edition, edition.publication.section("mental-health"))[0]
    assert result.available
    # Months since April 2018: Apr 2021..Mar 2022 are 36..47 -> sum of 100+i = 12*100 + (36+...+47) = 1,698
    # Previous year i = 24..35 -> 1,200 + 354 = 1,554; change +144, +9.27%
    year, baseline, quarter, same_quarter = result.comparisons
    assert (year.current, year.base, year.change) == (1698.0, 1554.0, 144.0)
    assert round(year.pct_change, 2) == 9.27
    # Baseline: Apr 2019..Mar 2020 are i = 12..23 -> 1,200 + 210 = 1,410
    assert baseline.base == 1410.0
    # Q4 2021/22 = Jan..Mar 2022 = i 45, 46, 47 -> 438; Q3 = i 42..44 -> 429; Q4 2020/21 = i 33..35 -> 402
    assert (quarter.current, quarter.base, same_quarter.base) == (438.0, 429.0, 402.0)
    # The bar chart is monthly (native granularity), the current 12 months highlighted
    assert result.native_labels[-1] == "Mar 2022" and len(result.native_current) == 12


def test_quarterly_extract_gives_the_hand_worked_comparisons(data_with_extracts):
    edition = load_edition(paths_for(data_with_extracts), "Essex", "2021-22-Q4")
    result = analyse_strand(edition, edition.publication.section("prevent"))[0]
    # Quarters since 2018-19-Q1: 2021/22 is 12..15 -> 80 + 54 = 134; 2020/21 is 8..11 -> 80 + 38 = 118
    year = result.comparisons[0]
    assert (year.current, year.base, year.change) == (134.0, 118.0, 16.0)
    assert result.native_labels[-1] == "2021/22 Q4"


def test_extract_not_supplied_is_said_plainly(tmp_path):
    assert not PATHS.force_extract("mh-incidents").exists()
    edition = load_edition(PATHS, "Essex", "2021-22-Q4")
    result = analyse_strand(edition, edition.publication.section("mental-health"))[0]
    assert not result.available


def test_strand_page_with_a_force_extract_renders_its_figures_and_charts(data_with_extracts, tmp_path):
    output = tmp_path / "mental-health.ipynb"
    # The template as the pipeline runs it: made concrete for the publication (narrative parts, delivery).
    template = write_expanded(ROOT / "notebooks" / "section.ipynb", load_publication(PATHS), tmp_path / "templates")
    papermill.execute_notebook(str(template), str(output), cwd=str(tmp_path),
                               parameters={"publication": DEFAULT, "force": "Essex", "quarter": "2021-22-Q4",
                                           "section_id": "mental-health", "data_dir": str(data_with_extracts),
                                           "publications_dir": str(PUBLICATIONS)}, progress_bar=False)
    nb = nbformat.read(output, as_version=4)
    text = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for c in nb.cells if c.cell_type == "code"
                     for o in c.get("outputs", []))
    assert "comes from the force's own extract" in text
    assert "1,698" in text and "+144" in text and "+9.3%" in text
    pngs = sum(1 for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
               if "image/png" in o.get("data", {}))
    assert pngs == 3
    assert (tmp_path / "downloads" / "mental-health-mh-incidents-monthly.csv").exists()
