"""Every quarter reads well: the hand-written pages take the edition's labels through MyST substitutions
({{ twelve_months }}, {{ quarter }}, ...) that the build puts in the edition's configuration."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest
import yaml

from conftest import PATHS, ROOT, page_text
from strategy_update.build.book import sync_sources
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.model.publication import LABEL_NAMES, period_labels

PUBLICATION = load_publication(PATHS)
SUBSTITUTION = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PAGES = [*(ROOT / "book").glob("*.md"), *(ROOT / "publications").glob("*/pages/**/*.md")]


def test_the_shared_config_enables_substitutions():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    assert "substitution" in config["parse"]["myst_enable_extensions"]


@pytest.mark.parametrize("quarter, twelve", [("2021-22-Q4", "12 months ending March 2022"),
                                             ("2023-24-Q2", "12 months ending September 2023")])
def test_the_edition_config_carries_its_quarter_s_labels(tmp_path, quarter, twelve):
    work = tmp_path / "work"
    sync_sources(ROOT, work, PUBLICATION, "Title", "Author", labels=period_labels(parse_quarter(quarter), "Essex"))
    for name in ("_config.yml", "_config_pdf.yml"):  # the website and the PDF alike
        labels = yaml.safe_load((work / name).read_text(encoding="utf-8"))["parse"]["myst_substitutions"]
        assert labels["twelve_months"] == twelve and set(labels) == set(LABEL_NAMES)


def test_pages_use_only_labels_the_build_sets():
    used = {name for page in PAGES for name in SUBSTITUTION.findall(page.read_text(encoding="utf-8"))}
    assert used and used <= set(LABEL_NAMES)


def test_no_page_writes_a_fixed_edition_label_as_its_example():
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "12 months ending March 2022" not in text, page


def test_another_quarter_s_pages_show_its_own_labels(other_edition):
    methods, introduction = page_text(other_edition, "book/methods"), page_text(other_edition, "book/introduction")
    assert "For this edition, Q2 2023/24 (July-September 2023), they are the 12 months ending September 2023" in methods
    assert re.search(r"Labels such as .12 months ending September 2023.", introduction)
    for text in (methods, introduction):
        assert "12 months ending March 2022" not in text and "{{" not in text


@pytest.mark.parametrize("publication", sorted(p.name for p in (ROOT / "publications").iterdir()
                                                if (p / "publication.yml").is_file()))
def test_another_force_s_edition_takes_the_pages_written_for_any_force(tmp_path, publication):
    """A publication's pages speak for its owner (its areas, its reports, its comparison group); each has a version
    written for any force (pages/other-forces/), which another force's edition takes, naming that force, while the
    owner's edition keeps its own."""
    from strategy_update.build.book import OTHER_FORCES_PAGES

    plan = load_publication(replace(PATHS, publication_id=publication))
    quarter = parse_quarter("2021-22-Q4")
    for force in ("Essex", "Cumbria"):
        sync_sources(ROOT, tmp_path / force, plan, "Title", "Author", labels=period_labels(quarter, force),
                     whose=plan.whose_aims(force))
    for page in plan.pages_before:
        written_for_any = plan.folder / "pages" / OTHER_FORCES_PAGES / f"{page}.md"
        assert written_for_any.is_file()
        assert (tmp_path / "Essex" / "book" / f"{page}.md").read_bytes() == \
            (plan.folder / "pages" / f"{page}.md").read_bytes()
        assert (tmp_path / "Cumbria" / "book" / f"{page}.md").read_bytes() == written_for_any.read_bytes()
        assert "{{ force }}" in written_for_any.read_text(encoding="utf-8")
