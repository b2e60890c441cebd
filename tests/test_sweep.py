"""The sweep (issue 29, part 4): every edition of a stated matrix of publications, quarters and forces, built on one
Dask cluster, and a report of what built, what failed and why, which the national indexes and the list of every
edition link. The build test sweeps a small matrix: seed 003's quarter of the Police and Crime Plan for its owner
and for the City of London (a name with a comma, and the smallest population), one quarter asked for that the plan
does not have, and nothing else, so that the suite stays quick."""

from __future__ import annotations

import csv

import pytest

from conftest import DATA, PUBLICATIONS, page_text, run_cli
from strategy_update.build.sweep import edition_quarters, sweep_matrix
from strategy_update.core.periods import parse_quarter

PCP = "police-and-crime-plan"


def matrix(publications: str, quarters: str, forces: str):
    return sweep_matrix(publications, quarters, forces, data_dir=DATA, publications_dir=PUBLICATIONS)


def test_the_matrix_takes_each_publication_s_first_default_and_last_quarter():
    runs = {(r.publication, r.quarter.id): r.forces for r in matrix("all", "first,default,last",
                                                                   "owner,smallest,London, City of,Cumbria").runs}
    assert sorted(q for p, q in runs if p == PCP) == ["2016-17-Q1", "2021-22-Q4"]  # the plan's life; default = last
    assert sorted(q for p, q in runs if p == "crime-prevention-2018-21") == ["2018-19-Q1", "2019-20-Q2", "2020-21-Q4"]
    open_ended = sorted(q for p, q in runs if p == "crime-prevention-2021-25")
    assert open_ended[0] == "2021-22-Q1" and open_ended[-1] == "2025-26-Q3"  # no last quarter: the data's last
    # the owner, then the smallest population (the City of London, named again by its comma'd name: once)
    assert set(runs.values()) == {("Essex", "London, City of", "Cumbria")}


def test_quarters_outside_a_publication_are_left_out_and_said():
    found = matrix(PCP, "2020-21-Q4,2023-24-Q1", "owner")
    assert [r.quarter.id for r in found.runs] == ["2020-21-Q4"] and found.editions == 1
    assert found.left_out == ("police-and-crime-plan 2023-24-Q1 (its editions are 2016-17-Q1 to 2021-22-Q4, "
                              "within the data)",)
    every = matrix(PCP, "all", "kent")
    assert len(every.runs) == 24 and every.runs[0].quarter == parse_quarter("2016-17-Q1")


def test_every_quarter_of_a_publication_is_within_its_life_and_the_data():
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths

    publication = load_publication(InputPaths(DATA, PUBLICATIONS, PCP, "essex"))
    quarters = edition_quarters(publication, (parse_quarter("2012-13-Q1"), parse_quarter("2025-26-Q3")))
    assert (quarters[0].id, quarters[-1].id, len(quarters)) == ("2016-17-Q1", "2021-22-Q4", 24)


@pytest.mark.build
def test_a_small_sweep_builds_its_matrix_and_reports_it(tmp_path):
    out = tmp_path / "out"
    result = run_cli("sweep", "--publication", PCP, "--quarters", "2020-21-Q4,2023-24-Q1",
                     "--forces", "owner,London, City of", "--out", str(out), "--dashboard", "127.0.0.1:0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "left out: police-and-crime-plan 2023-24-Q1" in result.stdout
    with open(out / "sweep" / "sweep.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["quarter"], r["force"], r["result"]) for r in rows] == [
        ("2020-21-Q4", "Essex", "published"), ("2020-21-Q4", "London, City of", "published")]
    assert all(r["edition"].endswith("/html/index.html") and (out / r["edition"]).exists() for r in rows)
    report = (out / "sweep" / "index.html").read_text(encoding="utf-8")
    assert "Finished in" in report and "2 published" in report and "2023-24-Q1" in report
    national = (out / PCP / "national" / "2020-21-Q4" / "html" / "index.html").read_text(encoding="utf-8")
    assert 'href="../../../../sweep/index.html"' in national  # the national index links the report
    assert 'href="sweep/index.html"' in (out / "index.html").read_text(encoding="utf-8")
    # Seed 003's edition: its position table is for the 12 months to March 2021, the printed table beside it.
    essex = out / PCP / "essex" / "2020-21-Q4"
    table = page_text(essex, "computed/peer-table")
    assert "12 months ending March 2021" in table
    assert "The table as printed in the Police and Crime Plan 2016-21 quarterly update, Q4 2020/21" in table
    assert "4th in MSG (not met)" in table and "(Small numbers) (none set)" in table
    assert "The table as printed" not in page_text(out / PCP / "london-city-of" / "2020-21-Q4", "computed/peer-table")
