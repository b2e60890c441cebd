"""Two audiences, one source: the public edition reads as a board paper (no code, no notebook downloads, inputs
named by what they are, no repository or temporary paths, the licence once); ``--reviewer`` keeps the code
toggles and the downloads. Unit tests of each switch, then checks of the built default edition."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest
import yaml

from conftest import PATHS, ROOT, page_text
from strategy_update.build import sphinx_fixes
from strategy_update.build.book import sync_sources
from strategy_update.build.pipeline import _edition_key, edition_settings, resolve_edition
from strategy_update.cli import _parser
from strategy_update.core.markup import literal
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.model.publication import period_labels
from strategy_update.render.downloads import integers_as_integers
from strategy_update.render.input_names import input_label

PUBLICATION = load_publication(PATHS)
STRANDS = PUBLICATION.leaves
LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0"
REPOSITORY_PATH = re.compile(r"\b(data|publications)/[\w.-]+/[\w./-]+")


# --- the switch -------------------------------------------------------------------------------------------------
def test_the_cli_and_make_offer_the_reviewer_edition():
    assert _parser().parse_args(["build", "--reviewer"]).reviewer is True
    assert _parser().parse_args(["build"]).reviewer is False
    assert "$(if $(REVIEWER),--reviewer,)" in (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_audience_is_part_of_the_edition_key():
    spec = resolve_edition(None, None, None, data_dir=ROOT / "data", publications_dir=ROOT / "publications",
                           check_force=False)
    public = _edition_key(ROOT, spec, edition_settings(pdf=True, strict=False, reviewer=False))
    reviewer = _edition_key(ROOT, spec, edition_settings(pdf=True, strict=False, reviewer=True))
    assert public != reviewer  # a reviewer build never passes for the public edition, nor the reverse


@pytest.mark.parametrize("reviewer", [False, True])
def test_the_edition_config_carries_the_audience(tmp_path, reviewer):
    work = tmp_path / "work"
    sync_sources(ROOT, work, PUBLICATION, "Title", "Author", reviewer=reviewer,
                 labels=period_labels(parse_quarter("2021-22-Q4"), "Essex"))
    for name in ("_config.yml", "_config_pdf.yml"):
        config = yaml.safe_load((work / name).read_text(encoding="utf-8"))
        assert config["sphinx"]["config"][sphinx_fixes.REVIEWER] is reviewer


class Config(dict):
    """Sphinx's Config reads values as attributes and items; enough of it for the audience switch."""

    def __getattr__(self, name):
        return self[name]

    def __setattr__(self, name, value):
        self[name] = value


@pytest.mark.parametrize("reviewer", [False, True])
def test_the_public_edition_drops_code_and_page_sources_the_reviewer_keeps_them(reviewer):
    config = Config({sphinx_fixes.REVIEWER: reviewer, "nb_remove_code_source": False, "html_copy_source": True})
    sphinx_fixes.set_audience(None, config)
    assert config.nb_remove_code_source is not reviewer  # no "Show code cell source" toggle in public
    assert config.html_copy_source is reviewer  # no _sources/*.ipynb to download in public


def test_the_public_header_keeps_printing_but_no_notebook_or_source_download():
    buttons = [{"label": "download-buttons", "buttons": [
        {"label": "download-notebook-button", "url": "_sources/strands/rape.ipynb"},
        {"label": "download-source-button", "url": "_sources/strands/rape.ipynb"},
        {"label": "download-pdf-button", "javascript": "window.print()"}]},
        {"label": "fullscreen-button"}]
    kept = sphinx_fixes.public_header_buttons(buttons)
    assert kept == [{"label": "download-buttons", "buttons": [
        {"label": "download-pdf-button", "javascript": "window.print()"}]}, {"label": "fullscreen-button"}]
    only_sources = [{"label": "group", "buttons": buttons[0]["buttons"][:2]}]
    assert sphinx_fixes.public_header_buttons(only_sources) == []  # no empty menu left behind


def test_tables_are_marked_with_their_column_headings_for_the_phone_layout():
    assert sphinx_fixes.column_classes(["Strand", "Trend by quarter", "Latest figure", "Status"]) == [
        "col-strand", "col-trend-by-quarter", "col-latest-figure", "col-status"]
    assert sphinx_fixes.column_classes(["Count", "Count", "% change", ""]) == ["col-count", "col-change"]
    css = (ROOT / "_static" / "custom.css").read_text(encoding="utf-8")
    assert "table.col-status" in css  # the status table the phone layout is written for


# --- inputs by name -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("path, measure, name", [
    ("data/forces/essex/crime-prevention-2021-25/delivery/2021-22-Q4.csv", "",
     "the force's delivery tracker for Q4 2021/22"),
    ("/tmp/build0/data/raw/home-office/prc-pfa-open-data-tables.csv.gz", "",
     "the Home Office police recorded crime open data tables"),
    ("data/raw/ons/pfa-population-mid2011-mid2023.csv", "", "the ONS mid-year population estimates for police "
                                                            "force areas"),
    ("data/raw/home-office/police-workforce-2007-2023.csv", "", "the Home Office police workforce open data"),
    ("data/forces/essex/crime-prevention-2021-25/force-extracts/nte-crimes.csv", "night-time economy crimes",
     "the force's own figures for night-time economy crimes"),
    ("data/forces/essex/crime-prevention-2021-25/narrative/2021-22-Q4/rape.md", "",
     "the lead's narrative for Q4 2021/22"),
    ("data/forces/essex/crime-prevention-2021-25/narrative/2021-22-Q4", "", "the leads' narratives for Q4 2021/22"),
    ("data/forces/essex/crime-prevention-2021-25/force-extracts/", "", "the force's own figures"),
    ("publications/crime-prevention-2021-25/publication.yml", "", "the publication's definition"),
    ("data/forces/essex/crime-prevention-2021-25/board/2021-22-Q4.md", "",
     "the force's board paper inputs for Q4 2021/22"),
])
def test_inputs_are_named_by_what_they_are(path, measure, name):
    assert input_label(path, measure) == literal(name)
    assert not re.search(r"\.csv|\.md|data/", input_label(path, measure))


# --- downloads ---------------------------------------------------------------------------------------------------
def test_csv_downloads_hold_counts_as_integers():
    frame = pd.DataFrame({"quarter": ["a", "b", "c"], "crimes": [407.0, 380.0, None], "rate": [1.5, 2.0, 2.25]})
    text = integers_as_integers(frame).to_csv(index=False, lineterminator="\n")
    assert text == "quarter,crimes,rate\na,407,1.5\nb,380,2.0\nc,,2.25\n"


# --- the built default edition -----------------------------------------------------------------------------------
PAGES = ["index"] + [f"{PUBLICATION.section_folder}/{s.id}" for s in STRANDS]


@pytest.mark.build
def test_public_pages_have_no_code_toggle_and_no_notebook_download(default_edition):
    for name in PAGES:
        html = (default_edition / "html" / f"{name}.html").read_text(encoding="utf-8")
        assert "Show code cell source" not in html and "above-input" not in html, name
        assert not re.search(r'href="[^"]*\.ipynb"', html), f"{name}: a link to a notebook"
        assert "download-notebook-button" not in html and "download-source-button" not in html, name
    assert not (default_edition / "html" / "_sources").exists()  # no page sources (with their code) published


@pytest.mark.build
def test_public_pages_name_inputs_without_repository_or_temporary_paths(default_edition):
    for name in PAGES + ["appendix/provenance", "appendix/data-quality", "appendix/measures"]:
        text = page_text(default_edition, name)
        if name != "appendix/provenance":  # the provenance page lists the input files with their checksums
            assert not REPOSITORY_PATH.search(text), f"{name}: {REPOSITORY_PATH.search(text).group()}"
        for temporary in ("/tmp/", "/.work/", str(default_edition.parent)):
            assert temporary not in text, f"{name} shows the build folder {temporary}"
    assert "the force's delivery tracker for Q4 2021/22, row" in page_text(default_edition, "strands/rape")
    provenance = page_text(default_edition, "appendix/provenance")
    assert "Working tree clean" not in provenance and "Built from" in provenance


@pytest.mark.build
def test_the_licence_is_in_the_footer_once(default_edition):
    for name in ("index", "strands/rape"):
        html = (default_edition / "html" / f"{name}.html").read_text(encoding="utf-8")
        footer = html[html.index('<footer class="bd-footer-content"'):]
        assert footer.count(LICENCE) == 1, name


@pytest.mark.build
def test_downloaded_chart_data_writes_counts_as_integers(default_edition):
    files = sorted((default_edition / "html" / "_downloads").rglob("*-quarterly.csv"))
    assert files
    for path in files:
        with open(path, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        counts = [r[1] for r in rows[1:] if r[1]]
        assert all(re.fullmatch(r"-?\d+", v) for v in counts), f"{path.name}: {counts[:3]}"
