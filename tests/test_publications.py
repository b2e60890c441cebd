"""More than one publication, and more than one force, from one engine: the 2018-21 strategy's edition built end to
end (website and PDF), another force's edition of the default publication, and the results table behind them."""

from __future__ import annotations

import re
import subprocess

import pandas as pd
import pytest

from conftest import DATA, PUBLICATIONS, built_edition, edition_folder, page_text, run_cli
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths

OLD = "crime-prevention-2018-21"
OLD_PUBLICATION = load_publication(InputPaths(DATA, PUBLICATIONS, OLD, "essex"))
pytestmark = pytest.mark.build


text_of = page_text


@pytest.fixture(scope="module")
def old_edition(tmp_path_factory):
    """`make book PUBLICATION=crime-prevention-2018-21`: its default edition, Q2 2019/20, website and PDF."""
    return built_edition(tmp_path_factory, "build-2018-21", "2019-20-Q2", OLD)


def test_the_previous_strategy_has_its_nine_strands_website_and_pdf(old_edition):
    assert len(OLD_PUBLICATION.leaves) == 9
    for strand in OLD_PUBLICATION.leaves:
        text = text_of(old_edition, f"strands/{strand.id}")
        assert strand.name in text, strand.id
        assert "## Update" not in text and "Update" in text
    pdf = old_edition / "pdf" / "update.pdf"
    assert pdf.is_file() and pdf.stat().st_size > 50_000
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) > 9


def test_the_published_figures_of_september_2019_with_their_3_month_comparisons(old_edition):
    knife = text_of(old_edition, "strands/gangs-and-knife-crime")
    # Printed in the paper: 169 (3 months to July 2018) and 176 (3 months to July 2019): +7, +4.1%.
    assert ("In the 3 months to July 2019 there were 176 offences, 7 (4.1%) more than in the 3 months to July 2018 "
            "(169).") in knife
    abuse = text_of(old_edition, "strands/domestic-abuse")
    assert ("In the 3 months to July 2019 the figure was 46.28%, 0.15 percentage points lower than in the 3 months "
            "to July 2018 (46.43%).") in abuse
    assert "707 solved outcomes, 97 (12.1%) fewer than in the 3 months to July 2018 (804)" in abuse


def test_open_data_measures_compare_the_edition_quarter_with_a_year_earlier(old_edition):
    results = pd.read_parquet(old_edition / "data" / "results.parquet")
    burglary = results[(results["measure"] == "residential-burglary") & (results["statistic"] == "current")]
    assert list(burglary["period_label"]) == ["3 months to September 2019"]
    assert list(burglary["base_period_label"]) == ["3 months to September 2018"]
    # Independent check: Essex's residential burglary codes summed over July-September 2019 in the raw table.
    raw = pd.read_csv(DATA / "raw/home-office/prc-pfa-open-data-tables.csv.gz", dtype=str)
    mine = raw[(raw["Force Name"] == "Essex") & (raw["Financial Year"] == "2019/20") & (raw["Financial Quarter"] == "2")
               & raw["Offence Code"].isin(["28E", "28F", "28G", "28H", "29A"])]
    assert float(burglary["value"].iloc[0]) == mine["Number of Offences"].astype(int).sum()
    # A publication with no baseline prints no baseline comparison and no delivery plan.
    assert "rolling-12-vs-baseline" not in set(results["comparison"])
    assert not results["statistic"].str.startswith("delivery_").any()
    assert "Delivery plan" not in text_of(old_edition, "index")


def test_another_force_gets_its_own_edition_from_the_open_data(tmp_path):
    out = tmp_path / "out"
    result = run_cli("build", "--force", "kent", "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    folder = edition_folder(out, "2021-22-Q4", force="kent")
    front = text_of(folder, "index")
    assert "Essex Crime Prevention Strategy 2021-25: measures for Kent" in front
    rape = text_of(folder, "strands/rape")
    results = pd.read_parquet(folder / "data" / "results.parquet")
    assert set(results["force"]) == {"Kent"}
    current = results[(results["measure"] == "rape-offences") & (results["statistic"] == "current")
                      & (results["comparison"] == "rolling-12-vs-previous-12")]["value"].iloc[0]
    assert f"there were {int(current):,} crimes" in rape
    # Kent supplied no narrative or delivery tracker: its pages say so rather than borrowing Essex's.
    assert "No narrative was supplied" in rape
    assert "No delivery plan data was supplied" in front


def test_no_page_of_the_2018_21_update_says_a_sentence_twice_or_shows_an_escape(old_edition):
    from conftest import prose_problems

    assert prose_problems(old_edition / "html") == {}
