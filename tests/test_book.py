"""The book's structure follows the strategy definition, and the templates type no numbers."""

from __future__ import annotations

import re

import nbformat
import pytest
import yaml

from conftest import DATA, ROOT, run_cli
from strategy_update.model.publication import load_strategy
from strategy_update.build.pipeline import toc_for

STRATEGY = load_strategy(DATA / "strategy" / "crime-prevention-2021-25.yml")


def toc_files(toc: dict) -> list[str]:
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def test_committed_toc_lists_every_strand_of_the_definition():
    committed = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = toc_files(committed)
    for strand in STRATEGY.strands:
        assert f"strands/{strand.id}" in files, f"{strand.id} missing from _toc.yml"
    assert [p["caption"] for p in committed["parts"][1:-1]] == [t.name for t in STRATEGY.themes]


def test_committed_toc_is_exactly_what_the_definition_generates():
    assert yaml.safe_load((ROOT / "_toc.yml").read_text()) == toc_for(STRATEGY)
    assert run_cli("toc", "--check").returncode == 0


def test_toc_follows_a_different_strategy_definition(tmp_path):
    # A second strategy needs a definition file, not code: drop a strand and the TOC drops it too.
    raw = yaml.safe_load((DATA / "strategy" / "crime-prevention-2021-25.yml").read_text())
    raw["themes"][0]["strands"] = raw["themes"][0]["strands"][:1]
    path = tmp_path / "other.yml"
    path.write_text(yaml.safe_dump(raw))
    files = toc_files(toc_for(load_strategy(path)))
    assert "strands/knife-crime" in files and "strands/rape" not in files


def test_hand_written_pages_in_the_toc_exist():
    for file in toc_files(toc_for(STRATEGY)):
        if file.startswith("book/"):
            assert (ROOT / f"{file}.md").exists(), file


def test_template_markdown_types_no_numbers():
    """Every figure comes from computation: markdown cells of the templates hold no digits outside glue roles."""
    for name in ["strand.ipynb", "summary.ipynb", "data_quality.ipynb", "backtest.ipynb", "provenance.ipynb"]:
        nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                text = re.sub(r"\{glue:\w+\}`[^`]*`", "", cell.source)
                assert not re.search(r"\d", text), f"{name}: typed number in {cell.source!r}"


def test_template_has_the_papermill_parameters_cell():
    nb = nbformat.read(ROOT / "notebooks" / "strand.ipynb", as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    assert "quarter" in cells[0].source and "strand_id" in cells[0].source


@pytest.mark.parametrize("name, title, call", [
    ("backtest.ipynb", "# Back test against the last hand-made report", "render_markdown(data_dir)"),
    ("provenance.ipynb", "# Provenance", "render_markdown("),
])
def test_appendix_template_has_parameters_a_title_and_a_hidden_rendering_cell(name, title, call):
    nb = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "code" and first.metadata["tags"] == ["parameters", "remove-cell"]
    assert first.source == 'quarter = "2021-22-Q4"\ndata_dir = "../data"\nreport_path = ""\nproject_dir = ".."'
    assert nb.cells[1].source == title
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\d", cell.source), cell.source
    assert "remove-input" in nb.cells[2].metadata["tags"] and call in nb.cells[2].source


def test_methods_page_lists_every_measure_with_the_definition_codes():
    """The hand-written methods table must not drift from the strategy definition."""
    methods = (ROOT / "book" / "methods.md").read_text(encoding="utf-8")
    rows = {line.split("|")[2].strip().removesuffix(" (proxy)"): line for line in methods.splitlines()
            if line.startswith("|") and line.count("|") >= 5}
    for strand in STRATEGY.strands:
        for measure in strand.measures:
            assert measure.name in rows, f"{measure.name} missing from book/methods.md"
            listed = set(re.findall(r"(?<!/)\b\d{1,3}[A-Z]?\b", rows[measure.name].split("|")[3]))
            assert listed == set(measure.offence_codes), f"{measure.name}: methods lists {listed}"
        for measure in strand.force_extract_measures:
            assert measure.id in methods, f"force extract {measure.id} missing from book/methods.md"
