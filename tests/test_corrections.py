"""Corrections (issue 31, item 5): a published edition whose figures moved is republished only as a correction with
its reason; the version it replaces is kept whole and linked; a dated revision note says why and which figures
moved (from the two results tables); the revisions are listed on the edition, the national index and the list of
editions. Without a reason the build refuses and publishes nothing (build/revisions.py says why refusing)."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA, DEFAULT, PUBLICATIONS, edition_folder, page_text, run_cli
from strategy_update.build import revisions
from strategy_update.build.publish import publish
from strategy_update.compute.results import read_results, write_results
from strategy_update.compute.stage import RESULTS
from strategy_update.core.errors import InputError

TODAY = date(2026, 12, 1)


def results(**values) -> pd.DataFrame:
    """A small results table: one figure per measure id given, a group of two members with their names."""
    rows = [{"publication": "p", "force": "Essex", "section": "s", "measure": measure, "area": "",
             "statistic": "current", "comparison": "rolling-12-vs-previous-12", "period": "2021-04/2022-03",
             "period_label": "12 months ending March 2022", "base_period": "2020-04/2021-03",
             "base_period_label": "12 months ending March 2021", "value": value, "text": "", "source_file": "",
             "lines": [1]} for measure, value in values.items()]
    rows += [{**rows[0], "measure": "", "statistic": "peer_group_member", "comparison": "", "period": "",
              "period_label": "", "base_period": "", "base_period_label": "", "value": float(n), "text": name}
             for n, name in enumerate(["Kent", "Surrey"], 1)]
    return pd.DataFrame(rows)


def published(folder: Path, table: pd.DataFrame, page: str = "version 1") -> Path:
    """An edition published with ``table`` as its figures, as a build leaves it."""
    (folder / "html").mkdir(parents=True)
    (folder / "html" / "index.html").write_text(f"<p>{page}</p>", encoding="utf-8")
    (folder / "data").mkdir()
    write_results(table, folder / "data" / RESULTS)
    return folder


def work_with(folder: Path, table: pd.DataFrame) -> Path:
    (folder / "data").mkdir(parents=True)
    write_results(table, folder / "data" / RESULTS)
    return folder


# --- what moved -----------------------------------------------------------------------------------------------------
def test_figures_that_changed_were_removed_or_added_are_found_and_nothing_else():
    old = results(a=10.0, b=20.0, c=float("nan"))
    new = results(a=10.0 + 1e-13, b=21.0, c=float("nan"), d=5.0)  # a: float noise; c: missing in both
    new = new[new["measure"] != ""].pipe(lambda f: pd.concat([f, old[old["measure"] == ""].assign(
        text=["Kent", "Sussex"])]))  # the group's second member changed
    changes = revisions.figure_changes(old, new)
    found = {(r.measure, r.statistic, r.change) for r in changes.itertuples()}
    assert found == {("b", "current", "changed"), ("d", "current", "added"), ("", "peer_group_member", "changed")}
    row = changes[changes["measure"] == "b"].iloc[0]
    assert (row.value_old, row.value_new, row.period_label) == (20.0, 21.0, "12 months ending March 2022")
    removed = revisions.figure_changes(old, old[old["measure"] != "b"])
    assert list(removed["change"]) == ["removed"]


# --- before the pages: the history, or a refusal ----------------------------------------------------------------
def test_the_first_publication_is_version_1(tmp_path):
    work = work_with(tmp_path / "work", results(a=1.0))
    history = revisions.prepare(work, tmp_path / "out" / "edition", None, TODAY)
    assert history == [revisions.Version(1, "2026-12-01")]
    assert json.loads((work / "data" / revisions.HISTORY).read_text())["versions"][0]["number"] == 1


def test_moved_figures_without_a_reason_are_refused_naming_them(tmp_path):
    edition = published(tmp_path / "edition", results(a=10.0, b=20.0))
    work = work_with(tmp_path / "work", results(a=10.0, b=25.0))
    with pytest.raises(InputError) as refused:
        revisions.prepare(work, edition, None, TODAY)
    message = str(refused.value)
    assert "1 published figure of" in message and "b current, 12 months ending March 2022 on 12 months ending " \
                                                  "March 2021: 20 -> 25" in message
    assert "--correction" in message and "never overwritten silently" in message


@pytest.mark.parametrize("reason, why", [("", "gives no reason"), ("  ", "gives no reason")])
def test_a_correction_needs_words(tmp_path, reason, why):
    edition = published(tmp_path / "edition", results(a=10.0))
    with pytest.raises(InputError, match=why):
        revisions.prepare(work_with(tmp_path / "work", results(a=11.0)), edition, reason, TODAY)


def test_nothing_published_nothing_to_correct(tmp_path):
    with pytest.raises(InputError, match="nothing to correct"):
        revisions.prepare(work_with(tmp_path / "work", results(a=1.0)), tmp_path / "edition", "a reason", TODAY)


def test_new_figures_alone_revise_nothing_and_need_no_reason(tmp_path):
    edition = published(tmp_path / "edition", results(a=10.0))
    history = revisions.prepare(work_with(tmp_path / "work", results(a=10.0, b=3.0)), edition, None, TODAY)
    assert [v.number for v in history] == [1]


def test_a_correction_records_its_version_reason_and_every_change(tmp_path):
    edition = published(tmp_path / "edition", results(a=10.0, b=20.0))
    work = work_with(tmp_path / "work", results(a=12.0, b=20.0, c=1.0))
    history = revisions.prepare(work, edition, "The force revised a.", TODAY)
    assert history[-1] == revisions.Version(2, "2026-12-01", "The force revised a.", changed=1, removed=0, added=1)
    changes = pd.read_csv(work / "data" / history[-1].changes_file)
    assert set(zip(changes["measure"], changes["change"])) == {("a", "changed"), ("c", "added")}
    # A later build reads the history from the published edition, not from the work folder.
    assert revisions.read_history(work / "data")[-1].number == 2


def test_the_draft_preview_is_never_refused(tmp_path):
    edition = published(tmp_path / "edition", results(a=10.0))
    history = revisions.prepare(work_with(tmp_path / "work", results(a=99.0)), edition, None, TODAY, draft=True)
    assert [v.number for v in history] == [1]


# --- publishing: the version replaced is kept, whole ------------------------------------------------------------
def test_publishing_refuses_moved_figures_with_no_correction_recorded_whatever_the_path(tmp_path):
    """The last check, under the publishing lock: build-all's workers and any other caller meet it too."""
    edition = published(tmp_path / "edition", results(a=10.0))
    before = (edition / "html" / "index.html").read_bytes()
    work = work_with(tmp_path / "work", results(a=11.0))
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>version 2</p>")
    with pytest.raises(InputError, match="never overwritten silently"):
        publish(work, site, None, [], edition)
    assert (edition / "html" / "index.html").read_bytes() == before
    assert not [p for p in (edition.parent / ".staging").iterdir() if p.is_dir()]  # nothing half-made left


def test_a_correction_keeps_the_version_it_replaces_whole_and_earlier_ones_too(tmp_path):
    edition = published(tmp_path / "edition", results(a=10.0))
    old_table = (edition / "data" / RESULTS).read_bytes()

    def correct(value: float, page: str, reason: str) -> None:
        work = tmp_path / f"work-{page}"
        work_with(work, results(a=value))
        revisions.prepare(work, edition, reason, TODAY)
        site = tmp_path / f"site-{page}"
        site.mkdir()
        (site / "index.html").write_text(f"<p>{page}</p>")
        publish(work, site, None, [], edition)
    correct(11.0, "version 2", "first reason")
    assert (edition / "versions" / "1" / "html" / "index.html").read_text() == "<p>version 1</p>"
    assert (edition / "versions" / "1" / "data" / RESULTS).read_bytes() == old_table  # both tables are there
    assert read_results(edition / "data" / RESULTS)["value"].iloc[0] == 11.0
    correct(12.0, "version 3", "second reason")
    assert (edition / "html" / "index.html").read_text() == "<p>version 3</p>"
    assert (edition / "versions" / "2" / "html" / "index.html").read_text() == "<p>version 2</p>"
    # Version 2 is kept with its own kept version, so its link to version 1 still works; files are linked, not copied.
    kept = edition / "versions" / "2" / "versions" / "1" / "html" / "index.html"
    assert kept.read_text() == "<p>version 1</p>"
    assert os.stat(kept).st_ino == os.stat(edition / "versions" / "1" / "html" / "index.html").st_ino
    assert [v.number for v in revisions.read_history(edition / "data")] == [1, 2, 3]
    # A republish that corrects nothing keeps the versions.
    work = work_with(tmp_path / "work-again", results(a=12.0))
    revisions.prepare(work, edition, None, TODAY)
    publish(work, edition / "html", None, [], edition)
    assert (edition / "versions" / "2" / "html" / "index.html").exists()


# --- the lists of editions ------------------------------------------------------------------------------------
def test_the_national_index_and_the_list_of_editions_name_the_corrections(tmp_path):
    from strategy_update.inputs.definition import load_publication
    from strategy_update.inputs.paths import InputPaths
    from strategy_update.render.national_page import EditionEntry, index_markdown
    from strategy_update.render.site_index import published_editions, site_index_html

    version = revisions.Version(2, "2026-12-01", "The Home Office revised its open data.", changed=3)
    plan = load_publication(InputPaths(DATA, PUBLICATIONS, "police-and-crime-plan", "kent"))
    entries = [EditionEntry("Kent", "kent", "published", "police-and-crime-plan/kent/2021-22-Q4/html/index.html",
                            revisions=(version,)),
               EditionEntry("Surrey", "surrey", "published", "police-and-crime-plan/surrey/2021-22-Q4/html/index.html")]
    text = index_markdown(plan, pd.DataFrame(columns=["force", "measure", "area", "statistic", "comparison", "section",
                                                      "period_label", "base_period_label", "value", "text"]),
                          entries, "Q4 2021/22", datetime(2026, 12, 1, tzinfo=UTC))
    assert "## Revisions" in text
    assert re.search(r"- <a [^>]+>Kent</a>: version 2, 1 December 2026: The Home Office revised its open data\\?\.",
                     text)
    assert "Built; corrected on 1 December 2026 (version 2)" in text and "Surrey</a>: version" not in text
    # The list of every edition: a column of corrections, read from each edition's history.
    edition = published(tmp_path / "out" / DEFAULT / "essex" / "2021-22-Q4", results(a=1.0))
    revisions.write_history(edition / "data", [revisions.Version(1, "2026-11-01"), version])
    page = site_index_html(published_editions(tmp_path / "out"))
    assert "<th scope=\"col\">Corrections</th>" in page
    assert "<td>version 2, 1 December 2026: The Home Office revised its open data.</td>" in page


# --- the round trip, through the command line ---------------------------------------------------------------------
NTE = Path("forces") / "essex" / DEFAULT / "force-extracts" / "nte-crimes.csv"


@pytest.mark.build
def test_a_correction_round_trip(tmp_path):
    """Change an input of a published edition: the build refuses to publish it silently; published as a correction,
    the front page has the dated note with its reason and the figures that moved (from the two results tables), the
    version it replaced is kept and linked, and both results tables are there."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copytree(DATA / "forces", data / "forces")
    os.symlink(DATA / "raw", data / "raw")
    out = tmp_path / "_build"
    build = ("build", "--no-pdf", "--data", str(data), "--out", str(out))
    first = run_cli(*build)
    assert first.returncode == 0, first.stdout + first.stderr
    edition = edition_folder(out, "2021-22-Q4")
    page_before = (edition / "html" / "index.html").read_bytes()
    table_before = read_results(edition / "data" / RESULTS)
    assert "None: this is the edition as first published on" in page_text(edition, "index")

    extract = data / NTE  # the force corrects its count of night-time economy crimes for 2021/22
    extract.write_text(extract.read_text(encoding="utf-8").replace("2021-04/2022-03,2714,", "2021-04/2022-03,2741,"),
                       encoding="utf-8")
    refused = run_cli(*build)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "would change" in refused.stderr and "nte-crimes current, 12 months ending March 2022" in refused.stderr
    assert "2714 -> 2741" in refused.stderr and "Nothing was published" in refused.stderr
    assert (edition / "html" / "index.html").read_bytes() == page_before and not (edition / "versions").exists()

    reason = "The force corrected its count of night-time economy crimes for 2021/22 (2,741, not 2,714)"
    corrected = run_cli(*build, "--correction", reason)
    assert corrected.returncode == 0, corrected.stdout + corrected.stderr
    # Both results tables: the new one published, the old one kept with the version it belonged to.
    kept = edition / "versions" / "1"
    assert (kept / "html" / "index.html").read_bytes() == page_before
    assert read_results(kept / "data" / RESULTS).equals(table_before)
    after = read_results(edition / "data" / RESULTS)
    moved = revisions.figure_changes(table_before, after)
    assert set(moved["measure"]) == {"nte-crimes"} and set(moved["change"]) == {"changed"}
    # The revision note: dated, its reason, the figures that moved, the kept version linked.
    text = page_text(edition, "index")
    today = date.today()
    assert f"Version 2, {today.day} {today:%B %Y}: a correction. {reason}." in text
    assert f"Against version 1, {len(moved)} figures changed." in text
    assert "Night-time Economy, crimes linked to the night-time economy, 12 months ending March 2022: 2,714 to 2,741" \
        in text
    html = (edition / "html" / "index.html").read_text(encoding="utf-8")
    assert '<a href="../versions/1/html/index.html">Version 1</a>' in html
    [changes_csv] = (edition / "html" / "_downloads").rglob("version-2-changes.csv")
    listed = pd.read_csv(changes_csv)
    assert len(listed) == len(moved) and set(listed["value_new"]) == set(moved["value_new"])
    # The spreadsheet has the corrected figure and says which version it is.
    import openpyxl

    from strategy_update.render.spreadsheet import spreadsheet_name

    book = openpyxl.load_workbook(edition / "data" / spreadsheet_name(DEFAULT, "Essex", "2021-22-Q4"))
    cover = " ".join(str(c.value) for row in book["Cover"].iter_rows() for c in row if c.value)
    assert f"Version 2, published {today.day} {today:%B %Y}; corrected: {reason}." in cover
    assert 2741 in [c.value for row in book["Comparisons"].iter_rows() for c in row]
