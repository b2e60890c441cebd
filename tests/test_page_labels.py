"""Every quarter reads well: the hand-written pages take the edition's labels ({{ twelve_months }}, {{ quarter }},
...), filled in by the build as it copies them into the edition's work folder (core/markup.fill_labels). MyST's
substitution extension (Jinja) is not used: no page, and so no input's text, reaches a template engine."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace

import pytest
import yaml

from conftest import PATHS, ROOT, page_text
from strategy_update.build.book import sync_sources
from strategy_update.core.markup import fill_labels
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.model.publication import LABEL_NAMES, period_labels

PUBLICATION = load_publication(PATHS)
SUBSTITUTION = re.compile(r"\{\{\s*(\w+)\s*\}\}")
PAGES = [*(ROOT / "book").glob("*.md"), *(ROOT / "publications").glob("*/pages/**/*.md")]


def test_no_configuration_turns_on_jinja_substitutions(tmp_path):
    """The shared configuration and an edition's (website and PDF) have no substitution extension and no
    substitutions: a "{{ ... }}" in any text is text."""
    work = tmp_path / "work"
    sync_sources(ROOT, work, PUBLICATION, "Title", "Author", labels=period_labels(parse_quarter("2021-22-Q4"), "Essex"))
    for config_file in (ROOT / "_config.yml", work / "_config.yml", work / "_config_pdf.yml"):
        parse = yaml.safe_load(config_file.read_text(encoding="utf-8"))["parse"]
        assert "substitution" not in parse["myst_enable_extensions"], config_file
        assert "myst_substitutions" not in parse, config_file


@pytest.mark.parametrize("quarter, twelve", [("2021-22-Q4", "12 months ending March 2022"),
                                             ("2023-24-Q2", "12 months ending September 2023")])
def test_the_edition_s_pages_carry_its_quarter_s_labels(tmp_path, quarter, twelve):
    work = tmp_path / "work"
    sync_sources(ROOT, work, PUBLICATION, "Title", "Author", labels=period_labels(parse_quarter(quarter), "Essex"))
    methods = (work / "book" / "methods.md").read_text(encoding="utf-8")
    assert f"they are the {twelve}." in methods and "{{" not in methods


def test_a_page_naming_an_unknown_label_stops_the_build_with_its_name(tmp_path):
    from strategy_update.core.errors import BuildError

    root = tmp_path / "root"
    shutil.copytree(ROOT / "book", root / "book")
    shutil.copytree(ROOT / "_static", root / "_static")
    shutil.copy(ROOT / "_config.yml", root / "_config.yml")
    methods = root / "book" / "methods.md"
    methods.write_text(methods.read_text(encoding="utf-8") + "\n{{ lipsum.__globals__ }} {{ nonsense }}\n",
                       encoding="utf-8")
    with pytest.raises(BuildError, match="lipsum.* is not a label"):
        sync_sources(root, tmp_path / "work", PUBLICATION, "Title", "Author",
                     labels=period_labels(parse_quarter("2021-22-Q4"), "Essex"))


def test_a_label_s_value_is_literal_text():
    """A force's name (from the ONS table) goes into a page as text, whatever it holds."""
    from strategy_update.core.markup import fill_labels

    assert fill_labels("For {{ force }}.", {"force": "<b>{{ x }}</b>"}) == r"For \<b\>\{\{ x \}\}\<\/b\>."


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
        labels = {"Essex": period_labels(quarter, "Essex"), "Cumbria": period_labels(quarter, "Cumbria")}
        assert (tmp_path / "Essex" / "book" / f"{page}.md").read_text(encoding="utf-8") == \
            fill_labels((plan.folder / "pages" / f"{page}.md").read_text(encoding="utf-8"), labels["Essex"])
        assert (tmp_path / "Cumbria" / "book" / f"{page}.md").read_text(encoding="utf-8") == \
            fill_labels(written_for_any.read_text(encoding="utf-8"), labels["Cumbria"])
        assert "{{ force }}" in written_for_any.read_text(encoding="utf-8")
        assert "Cumbria" in (tmp_path / "Cumbria" / "book" / f"{page}.md").read_text(encoding="utf-8")
