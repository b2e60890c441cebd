"""End-to-end: build editions through the CLI and check what a reader gets (website and PDF)."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import DEFAULT, PATHS, edition_folder, run_cli
from strategy_update.inputs.definition import load_publication

PUBLICATION = load_publication(PATHS)
STRANDS = PUBLICATION.leaves
pytestmark = pytest.mark.build


def page(edition, name: str) -> str:
    return (edition / "html" / f"{name}.html").read_text(encoding="utf-8")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_default_edition_is_published_under_publication_force_and_quarter(default_edition):
    assert default_edition.parts[-3:] == (DEFAULT, "essex", "2021-22-Q4")
    assert (default_edition / "html" / "index.html").is_file() and (default_edition / "pdf" / "update.pdf").is_file()
    out = default_edition.parents[2]
    assert (out / ".work" / DEFAULT / "essex" / "2021-22-Q4").is_dir()  # the work folder, kept between builds
    assert len(STRANDS) == 14


def test_every_strand_has_a_page_with_its_heading_lead_and_sections(default_edition):
    for strand in STRANDS:
        text = text_of(page(default_edition, f"strands/{strand.id}"))
        assert strand.name.replace("/", "/") in text.replace("&amp;", "&")
        assert strand.lead_role in text
        assert "Delivery achieved January-March 2022" in text
        assert "Delivery scheduled April-June 2022" in text
        assert "Delivery plan" in text


def _periods_supplied(measure) -> int:
    path = PATHS.force_extract(measure.id)
    return len(path.read_text(encoding="utf-8").strip().splitlines()) - 1 if path.exists() else 0


def test_every_open_data_measure_has_four_interactive_charts(default_edition):
    # bar, control, seasonal and forecast fan; and a force-extract measure a bar chart when the force supplied more
    # than one period
    for strand in STRANDS:
        html = page(default_edition, f"strands/{strand.id}")
        extract_charts = sum(1 for m in strand.force_extract_measures if _periods_supplied(m) > 1)
        assert html.count("Plotly.newPlot(") == 4 * len(strand.open_data_measures) + extract_charts, strand.id
        # plotly.js is loaded once from _static, never embedded in the page
        assert len(html) < 1_000_000, strand.id
        if strand.open_data_measures:
            assert "_static/plotly.min.js" in html
    assert (default_edition / "html" / "_static" / "plotly.min.js").exists()


def test_figures_agree_with_the_published_sanity_totals(default_edition):
    # Independent figures from data/raw/SOURCES.md (Essex, four quarters summed).
    rape = text_of(page(default_edition, "strands/rape"))
    assert "there were 2,892 crimes, 907 (45.7%) more than in the 12 months ending March 2021 (1,985)" in rape
    burglary = text_of(page(default_edition, "strands/burglary-and-robbery"))
    assert "4,887" in burglary and "7,493" in burglary
    assert "1,279" in burglary and "1,435" in burglary


def test_front_page_summarises_all_strands_and_delivery(default_edition):
    text = text_of(page(default_edition, "index"))
    for strand in STRANDS:
        assert strand.name in text.replace("&amp;", "&")
    # the delivery totals as printed in the hand-made report (594 / 302 / 285 / 0)
    assert re.search(r"Total \*?\*? ?14 strands.*?594.*?302.*?285.*?0", text)
    assert "No strand has actions at risk, across all 14 strands." in text
    assert "Q4 2021/22 (January-March 2022)" in text
    # the strategy compares no measure with other forces, so its front page has no position section
    assert "Similar forces at a glance" not in text


def test_the_public_website_shows_no_code(default_edition):
    """The code is for reviewers (``--reviewer``; tests/test_public_edition.py): the public edition has none."""
    html = page(default_edition, "strands/rape")
    code = re.sub(r"<[^>]+>", "", html)  # the highlighter wraps each token in a span
    assert "section_page.measure_section(view, measure" not in code and "Show code cell source" not in code


def test_pdf_holds_every_strand_with_charts_and_no_code(default_edition):
    pdf = default_edition / "pdf" / "update.pdf"
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for strand in STRANDS:
        assert strand.name in text, strand.name
    assert "Delivery plan progress" in text
    assert "measure_section(" not in text and "import " not in text
    from strategy_update.build.pdf_reading import read, structure

    # Charts are vector graphics, each a tagged figure: the bar chart and the control chart of each measure (the
    # seasonal chart is on the website only).
    charts = sum(1 for element in structure(read(pdf)).walk() if element.kind == "Figure")
    assert charts >= 2 * sum(len(s.open_data_measures) for s in STRANDS)


def test_executed_notebooks_are_published_for_download(default_edition):
    for strand in STRANDS:
        assert (default_edition / "notebooks" / "strands" / f"{strand.id}.ipynb").exists()


def test_published_edition_is_readable_by_others(default_edition):
    # a web server usually runs as another user: the edition folder must not stay private like a temp folder
    import os
    import stat

    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(default_edition.stat().st_mode) == 0o777 & ~umask


def test_another_quarter_builds_with_its_own_labels(other_edition):
    text = text_of(page(other_edition, "strands/rape"))
    assert "Delivery achieved July-September 2023" in text
    assert "Delivery scheduled October-December 2023" in text
    assert "12 months ending September 2023" in text
    assert text.count("No narrative was supplied") == 1
    assert "No delivery plan data was supplied for Q2 2023/24" in text
    # nothing carried over from the default edition's headings (the audit trail may name
    # Q4 2021/22 legitimately: it is one of the previous 12 months)
    assert "Delivery achieved January-March 2022" not in text
    assert "12 months ending March 2022" not in text
    index = text_of(page(other_edition, "index"))
    assert "Q2 2023/24 (July-September 2023)" in index


@pytest.mark.parametrize("quarter, fragment", [
    ("2021-22-Q5", "Accepted forms"),
    ("Q4 2021", "Accepted forms"),
    ("2030-31-Q1", "quarter 2030-31-Q1 is beyond the data"),
])
def test_bad_quarter_is_refused_and_the_previous_edition_kept(tmp_path, quarter, fragment):
    previous = edition_folder(tmp_path, "2021-22-Q4") / "html"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("last good edition")
    result = run_cli("build", "--quarter", quarter, "--out", str(tmp_path), "--no-pdf")
    assert result.returncode == 2
    assert fragment in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert (previous / "index.html").read_text() == "last good edition"
    # nothing else was written: no other edition, no work folder
    assert [p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()] == [
        (previous / "index.html").relative_to(tmp_path)]
    assert not (tmp_path / ".work").exists()
    assert {p.name for p in previous.parents[1].iterdir()} <= {"2021-22-Q4", ".staging"}


def test_no_page_says_a_sentence_twice_or_shows_an_escape(default_edition, other_edition):
    """Read as a reader reads: every page of two quarters' editions says each sentence once (a forecast's method
    and disturbed quarters had been said under every measure; two warnings' 'Figure affected' line twice), and no
    escape's backslash shows (a section's name with a slash had shown as 'Child Abuse \\/ Child Sexual ...')."""
    from conftest import prose_problems

    for edition in (default_edition, other_edition):
        assert prose_problems(edition / "html") == {}, edition
