"""The national index: its pages' Markdown (unit tests on a small results table made here), the top-level list of
editions, and one build of the national book for three forces checked in a browser."""

from __future__ import annotations

import posixpath
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest

from conftest import DATA, PUBLICATIONS, shown
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.render import national_page as national
from strategy_update.render.national_page import EditionEntry
from strategy_update.render.site_index import write_site_index

PUBLICATION = load_publication(InputPaths(DATA, PUBLICATIONS, "police-and-crime-plan", ""))
QUARTER = "2021-22-Q4"
BUILT_AT = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)
NATIONAL_HTML = Path("police-and-crime-plan/national") / QUARTER / "html"  # where the index is published
HEADLINE = PUBLICATION.comparisons[0]


def _rows(force: str, measure: str, section: str, current: float, base: float, population: float,
          rank: float | None = None) -> list[dict]:
    common = {"publication": PUBLICATION.id, "force": force, "section": section, "measure": measure, "area": "",
              "period": "2021-04/2022-03", "period_label": "12 months ending March 2022", "base_period": "",
              "base_period_label": "12 months ending March 2021", "text": "", "source_file": "", "lines": []}
    values = {"current": current, "base": base, "change": current - base, "pct_change": (current - base) / base * 100}
    rows = [dict(common, statistic=s, comparison=HEADLINE, value=v) for s, v in values.items()]
    rows += [dict(common, statistic="population", comparison="", value=population),
             dict(common, statistic="rate_per_1000", comparison=HEADLINE, value=current / population * 1000)]
    if rank is not None:
        rows += [dict(common, statistic="peer_rank", comparison="", value=rank),
                 dict(common, statistic="peer_of", comparison="", value=8.0)]
    return rows


# Made-up figures for three forces (unit tests only): crime per force, and two forces with the same homicide rate.
FIGURES = {"Kent": (180_000, 160_000, 1_800_000, 12, 2), "Surrey": (70_000, 65_000, 1_200_000, 8, 1),
           "Essex": (160_000, 150_000, 1_800_000, 12, 3)}


@pytest.fixture(scope="module")
def results() -> pd.DataFrame:
    section = PUBLICATION.leaves[0].id
    homicide = next(s.id for s, m in PUBLICATION.measures if m.id == "homicide")
    rows = []
    for force, (current, base, population, killed, rank) in FIGURES.items():
        rows += _rows(force, "all-recorded-crime", section, current, base, population, rank)
        rows += _rows(force, "homicide", homicide, killed, 10, population, rank)
    return pd.DataFrame(rows)


def _entry(force: str, status: str = "published", message: str = "") -> EditionEntry:
    slug = force.lower()
    link = None if status in ("failed", "not built") else f"police-and-crime-plan/{slug}/{QUARTER}/html/index.html"
    return EditionEntry(force, slug, status, link, message)


EDITIONS = [_entry("Kent"), _entry("Essex", "up to date"),
            _entry("Surrey", "failed", "input check: 2 critical problems in the delivery tracker")]


def _row_of(markdown: str, force: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith("| ") and f">{force}<" in line
                or line.startswith(f"| {force} |"))


# --- the pages' Markdown ----------------------------------------------------------------------------
def test_ranks_lowest_rate_first_and_equal_rates_share_a_rank(results):
    figures = national.force_figures(PUBLICATION, results)
    homicide = next(m for _, m in PUBLICATION.measures if m.id == "homicide")
    table = national.ranked(figures, homicide)
    # Kent and Essex: 12 killed among 1,800,000 each (the same rate); Surrey: 8 among 1,200,000, the same again.
    assert list(table["rank"]) == [1, 1, 1]
    crime = next(m for _, m in PUBLICATION.measures if m.id == "all-recorded-crime")
    table = national.ranked(figures, crime)
    assert list(table["force"]) == ["Surrey", "Essex", "Kent"]  # 58.3, 88.9 and 100 per 1,000
    assert list(table["rank"]) == [1, 2, 3]


def test_totals_are_the_sum_of_the_built_forces(results):
    figures = national.force_figures(PUBLICATION, results)
    built = ["Essex", "Kent"]
    totals = national.national_totals(PUBLICATION, figures, built)
    total = next(t for t in totals if t.measure.id == "all-recorded-crime")
    assert total.current == FIGURES["Essex"][0] + FIGURES["Kent"][0]
    assert total.base == FIGURES["Essex"][1] + FIGURES["Kent"][1]
    assert total.rate == pytest.approx(total.current / (FIGURES["Essex"][2] + FIGURES["Kent"][2]) * 1000)
    markdown, _ = national.summary_markdown(PUBLICATION, results, EDITIONS, "Q4 2021/22", BUILT_AT, all_forces=43)
    markdown = shown(markdown)
    assert "| All police recorded crime (excluding fraud) | 340,000 crimes | +9.7% |" in markdown
    assert "not totals for England and Wales" in markdown  # two forces built of 43
    # A force's own figures and averages are not added up, and the page says why.
    assert "Averages and shares, which cannot be added across forces: " in markdown.split("## Measures not added up")[1]


def test_a_failed_edition_is_listed_with_its_reason_and_no_link(results):
    markdown = national.index_markdown(PUBLICATION, results, EDITIONS, "Q4 2021/22", BUILT_AT)
    row = shown(_row_of(markdown, "Surrey"))
    assert "Failed: input check: 2 critical problems in the delivery tracker" in row
    assert "<a " not in row
    assert "2 of 3 editions built, on 29 November 2026 at 22:30 UTC; 1 edition failed" in markdown


def test_links_are_relative_and_reach_the_edition(results, tmp_path):
    markdown = national.index_markdown(PUBLICATION, results, EDITIONS, "Q4 2021/22", BUILT_AT)
    for entry in EDITIONS:
        if entry.link is None:
            continue
        href = re.search(r'<a href="([^"]+)">' + entry.force + "<", _row_of(markdown, entry.force)).group(1)
        assert not href.startswith(("/", "http")), href
        # Followed from the index page's folder, the link lands on the edition's front page.
        assert posixpath.normpath(posixpath.join(NATIONAL_HTML.as_posix(), href)) == entry.link


def test_headline_figures_and_positions_come_from_the_results(results):
    markdown = national.index_markdown(PUBLICATION, results, EDITIONS, "Q4 2021/22", BUILT_AT)
    assert "| 180,000 (+12.5%) |" in _row_of(markdown, "Kent") + "|"
    assert "2nd of 8" in markdown.split("## Position")[1]


# --- the list of every edition ----------------------------------------------------------------------
def _fake_edition(out: Path, folder: str, title: str) -> None:
    page = out / folder / "html" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f"<html><head><title>Front page &#8212; {title}</title></head></html>", encoding="utf-8")


def test_site_index_lists_every_edition_newest_quarter_first(tmp_path):
    _fake_edition(tmp_path, "police-and-crime-plan/kent/2021-22-Q4", "Kent Q4 2021/22 update")
    _fake_edition(tmp_path, "police-and-crime-plan/kent/2022-23-Q1", "Kent Q1 2022/23 update")
    _fake_edition(tmp_path, "police-and-crime-plan/national/2022-23-Q1", "Every force, Q1 2022/23")
    _fake_edition(tmp_path, "crime-prevention-2021-25/essex/2021-22-Q4", "Crime prevention, Essex")
    _fake_edition(tmp_path, "crime-prevention-2021-25/devon-and-cornwall/2021-22-Q4", "Crime prevention, D&C")
    _fake_edition(tmp_path, ".work/police-and-crime-plan/kent/2021-22-Q4", "work folder")  # not an edition
    html = write_site_index(tmp_path).read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "<title>Published editions</title>" in html and "<h1>" in html
    assert html.count("<caption>") == 2  # one table per publication
    links = re.findall(r'<a href="([^"]+)">', html)
    assert links == ["crime-prevention-2021-25/devon-and-cornwall/2021-22-Q4/html/index.html",
                     "crime-prevention-2021-25/essex/2021-22-Q4/html/index.html",
                     "police-and-crime-plan/national/2022-23-Q1/html/index.html",
                     "police-and-crime-plan/kent/2022-23-Q1/html/index.html",
                     "police-and-crime-plan/kent/2021-22-Q4/html/index.html"]
    assert all((tmp_path / link).is_file() for link in links)
    assert ">Kent Q1 2022/23 update</a>" in html and "work folder" not in html
    assert "<td>Devon and Cornwall</td>" in html  # the force's name, not its slug
    assert "<h2 id=\"police-and-crime-plan\">Essex Police and Crime Plan 2016-2021</h2>" in html


# --- one build, in a browser ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def national_site(national_run) -> Path:
    """The output folder of the session's build-all run (three forces; Essex failed in its second run)."""
    return national_run["out"]


@pytest.mark.build
def test_national_pages_load_cleanly_and_pass_axe(national_site):
    from browser.harness import AXE_REQUIRED_RULES, describe_violations, find_chromium, inspect_site, serve

    if not find_chromium():
        pytest.fail("Chromium is not installed: run `make setup`")
    html = national_site / "police-and-crime-plan" / "national" / QUARTER / "html"
    assert (html / "_static" / "plotly.min.js").is_file()
    for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        with serve(html) as base:
            visits = inspect_site(base, ["index.html", "summary.html"], viewport)
        with serve(national_site) as base:  # the list of every edition, at the output folder's top
            visits["list"] = inspect_site(base, ["index.html"], viewport)["index.html"]
        for name, visit in visits.items():
            assert not visit.errors, (name, visit.errors)
            assert not visit.failed, (name, visit.failed)
        assert all(set(AXE_REQUIRED_RULES) <= v.rules_run for v in visits.values())  # axe did run
        assert not any(v.violations for v in visits.values()), describe_violations(list(visits.values()))
        charts = visits["summary.html"].charts
        assert len(charts) == 1 and charts[0]["svg"] > 0 and charts[0]["role"] == "figure"
        assert charts[0]["label"] and charts[0]["description"].startswith("Chart description")
        assert charts[0]["csv"]
        # plotly.js from the site's _static, once; the index page (no chart) does not load it.
        assert len(visits["summary.html"].requests_for("plotly.min.js")) == 1
        assert not visits["index.html"].requests_for("plotly.min.js")
        assert not visits["list"].external


@pytest.mark.build
def test_the_list_of_editions_links_the_national_index(national_site):
    html = (national_site / "index.html").read_text(encoding="utf-8")
    link = f"police-and-crime-plan/national/{QUARTER}/html/index.html"
    assert f'href="{link}"' in html and (national_site / link).is_file()


def test_an_edition_with_no_figures_is_still_listed(results):
    editions = EDITIONS + [_entry("Dorset", "not built")]
    markdown = national.index_markdown(PUBLICATION, results, editions, "Q4 2021/22", BUILT_AT)
    assert "| Dorset | Not built | no figure |" in markdown


def test_each_tile_compares_a_force_with_the_forces_together(results):
    figures = national.force_figures(PUBLICATION, results)
    built = ["Essex", "Kent", "Surrey"]
    totals = national.national_totals(PUBLICATION, figures, built)
    crime = next(m for _, m in PUBLICATION.measures if m.id == "all-recorded-crime")
    data = national.tile_data(figures, totals, [crime], built).set_index("force")
    together = sum(FIGURES[f][0] for f in built) / sum(FIGURES[f][2] for f in built) * 1000
    kent = FIGURES["Kent"][0] / FIGURES["Kent"][2] * 1000
    assert data.loc["Kent", "difference_pct"] == pytest.approx((kent / together - 1) * 100)
    alt = national.tile_alt(data.reset_index(), "the 3 forces built")
    assert "Furthest above: Kent" in alt and "Furthest below: Surrey" in alt


def test_a_force_with_few_residents_is_flagged_beside_its_rates(results):
    section = PUBLICATION.leaves[0].id
    city = pd.DataFrame(_rows("London, City of", "all-recorded-crime", section, 6_300, 3_900, 8_600))
    with_city = pd.concat([results, city], ignore_index=True)
    editions = EDITIONS + [_entry("London, City of")]
    markdown, _ = national.summary_markdown(PUBLICATION, with_city, editions, "Q4 2021/22", BUILT_AT)
    # named in the sentence the usual way round (the ONS list's "London, City of" stays the data's name)
    assert ("City of London has 8,600 residents, under a tenth of the median force's 1,800,000" in markdown)
    ordinary, _ = national.summary_markdown(PUBLICATION, results, EDITIONS, "Q4 2021/22", BUILT_AT)
    assert "Read with care" not in ordinary


# --- the forecasts' track record ----------------------------------------------------------------------------------
def _record_rows(force: str, measure: str, section: str, points: int, inside_80: int, inside_95: int, mase: float,
                 naive: float, model: str) -> list[dict]:
    common = {"publication": PUBLICATION.id, "force": force, "section": section, "measure": measure, "area": "",
              "comparison": "", "period": QUARTER, "period_label": "Q4 2021/22", "base_period": QUARTER,
              "base_period_label": "Q4 2021/22", "source_file": "", "lines": []}
    figures = {"backtest_points": points, "backtest_inside_80": inside_80, "backtest_inside_95": inside_95,
               "backtest_mase": mase}
    rows = [dict(common, statistic=s, value=float(v), text="") for s, v in figures.items()]
    return rows + [dict(common, statistic="candidate_mase", value=naive, text="seasonal naive"),
                   dict(common, statistic="forecast_model", value=float("nan"), text=model)]


def test_the_forecast_track_record_is_pooled_over_every_force_per_measure(results):
    """Worked by hand: Kent 20 past forecasts, 15 inside its 80% intervals, MASE 0.8 (the seasonal naive's 1.0);
    Essex 60, 51 inside, MASE 1.2 (the seasonal naive's: the same, it was published). Pooled: 66 of 80 (83%);
    MASE (20 x 0.8 + 60 x 1.2) / 80 = 1.10, the seasonal naive's (20 x 1.0 + 60 x 1.2) / 80 = 1.15."""
    from strategy_update.build.national_book import forecast_record
    from strategy_update.compute.track_record import track_record

    homicide = next(s.id for s, m in PUBLICATION.measures if m.id == "homicide")
    rows = pd.DataFrame(_record_rows("Kent", "homicide", homicide, 20, 15, 19, 0.8, 1.0, "exponential smoothing")
                        + _record_rows("Essex", "homicide", homicide, 60, 51, 57, 1.2, 1.2, "seasonal naive")
                        + _record_rows("Surrey", "homicide", homicide, 40, 0, 0, 9.0, 1.0, "seasonal naive"))
    pooled = track_record(rows[rows["force"] != "Surrey"], ["section", "measure"]).iloc[0]
    assert (pooled["forecasts"], pooled["points"], pooled["inside_80"], pooled["inside_95"]) == (2, 80, 66, 76)
    assert pooled["coverage_80"] == pytest.approx(66 / 80) and pooled["mase"] == pytest.approx(1.10)
    assert pooled["naive_mase"] == pytest.approx(1.15) and pooled["beats_naive"] == 1
    assert (pooled["chose_seasonal naive"], pooled["chose_exponential smoothing"]) == (1, 1)
    # In the national run: only the built editions (Surrey's failed), per measure and over every measure.
    per_measure, overall = forecast_record(pd.concat([results, rows], ignore_index=True), EDITIONS)
    assert per_measure[["forecasts", "points", "inside_80"]].values.tolist() == [[2, 80, 66]]
    markdown, _ = national.summary_markdown(PUBLICATION, results, EDITIONS, "Q4 2021/22", BUILT_AT,
                                            forecast_record=(per_measure, overall))
    assert "## Forecast track record" in markdown
    assert "| Homicide | 2 | 80 | 66 (83%) | 76 (95%) | 1.10 | 1.15 | 1 of 2 | the seasonal naive 1; exponential " \
           "smoothing 1 |" in markdown
    assert "| **All measures** | 2 | 80 | 66 (83%) |" in markdown
