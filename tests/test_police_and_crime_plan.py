"""The Police and Crime Plan update built end to end: Essex's Q4 2021/22 edition (website and PDF) with its
position table, commitments, per-area figures and narrative, and Kent's edition from open data alone."""

from __future__ import annotations

import re
import subprocess

import pytest

from conftest import DATA, PUBLICATIONS, built_edition, page_text
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths

PCP = "police-and-crime-plan"
PLAN = load_publication(InputPaths(DATA, PUBLICATIONS, PCP, "essex"))
pytestmark = pytest.mark.build


text_of = page_text


@pytest.fixture(scope="module")
def essex(tmp_path_factory):
    """`make book PUBLICATION=police-and-crime-plan`: Essex, Q4 2021/22, website and PDF."""
    return built_edition(tmp_path_factory, "build-pcp", "2021-22-Q4", PCP)


@pytest.fixture(scope="module")
def kent(national_run):
    """Kent's edition of the plan, website only, as build-all built it for the national edition."""
    return national_run["out"] / PCP / "kent" / "2021-22-Q4"


def test_seven_priorities_with_their_commitments_and_a_pdf(essex):
    assert len(PLAN.leaves) == 7
    for priority in PLAN.leaves:
        text = text_of(essex, f"priorities/{priority.id}")
        assert priority.name in text and "Commitments:" in text, priority.id
        assert all(c.split()[0] in text for c in priority.commitments)
    pdf = essex / "pdf" / "update.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    assert int(re.search(r"Pages:\s+(\d+)", info)[1]) > 7
    assert "Position among similar forces" in subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                                                             text=True).stdout


def test_the_position_table_page_is_in_the_book_with_a_row_per_measure(essex):
    page = text_of(essex, "computed/peer-table")
    marked = [m for _, m in PLAN.measures if m.peer_table and m.source == "home_office"]
    assert len(marked) == 4
    for m in marked:
        assert f"How this was calculated: {m.name}" in page
    assert "similar forces (computed)" in page and "is not the official one" in page
    assert "Essex is meeting its aspiration" in page or "Essex is not meeting its aspiration" in page
    assert "Position among similar forces" in text_of(essex, "index")  # in the contents


def test_the_front_page_sums_up_the_position_table(essex):
    index = text_of(essex, "index")
    page = text_of(essex, "computed/peer-table")
    # the same generated sentences as the table page, the best and worst placed measures and a link to the table
    sentences = re.findall(r"Essex is (?:not )?meeting its aspiration in [^.]*\.", page)
    assert sentences and all(s in index for s in sentences)
    assert "Since the last quarterly update, Essex's position" in index
    # under a heading of its own: the contents do not list "Position among similar forces" twice
    assert "Similar forces at a glance" in index
    contents = subprocess.run(["pdftotext", str(essex / "pdf" / "update.pdf"), "-"], capture_output=True,
                              text=True).stdout
    assert contents.count("Position among similar forces") == 2  # the contents' line and the page's heading
    assert re.search(r"Best placed: [^.]+ \(\d+(st|nd|rd|th) of \d+\)", index)
    html = (essex / "html" / "index.html").read_text(encoding="utf-8")
    assert 'href="computed/peer-table.html"' in html


def test_per_area_figures_and_narrative_on_a_priority_page(essex):
    page = text_of(essex, "priorities/children-and-vulnerable-people")
    assert "By area" in page and all(area in page for area in ("North", "South", "West"))
    assert "published no force-wide figure" in page


def test_kents_edition_from_open_data_alone(kent):
    page = text_of(kent, "computed/peer-table")
    assert "Kent is compared with its similar forces (computed)" in page
    index = text_of(kent, "index")
    assert f"{PLAN.title}: measures for Kent" in index
    # Kent is measured against Essex's Police and Crime Plan: the aspirations are the plan's, not Kent's own
    assert "Kent is meeting the plan's aspiration" in index or "Kent is not meeting the plan's aspiration" in index
    assert "its aspiration" not in index
    # Essex's narrative and extracts are Essex's: Kent's pages say what Kent did not supply
    priority = text_of(kent, f"priorities/{PLAN.leaves[0].id}")
    # said once, under the force-wide heading (which names Kent), not under each of the four headings
    assert priority.count("No narrative was supplied") == 1
    html = (kent / "html" / "priorities" / f"{PLAN.leaves[0].id}.html").read_text(encoding="utf-8")
    headings = [re.sub(r"<a class=\"headerlink\".*?</a>|<[^>]+>", "", h).strip()
                for h in re.findall(r"<h2>(.*?)</h2>", html, flags=re.S)]
    assert "Across Kent, January-March 2022" in headings, headings
    assert not any("Local Policing Area" in h for h in headings), headings


def test_another_forces_edition_gives_the_aims_and_commitments_as_the_owners_plan(kent, essex):
    """Kent's edition measures Kent against Essex's plan: its aims and commitments are Essex's, written for any
    force, and are labelled so; Essex's own edition gives them plainly."""
    for priority in PLAN.leaves:
        theirs, own = text_of(kent, f"priorities/{priority.id}"), text_of(essex, f"priorities/{priority.id}")
        assert "Aim (Essex's Police and Crime Plan):" in theirs, priority.id
        assert "Commitments (Essex's Police and Crime Plan):" in theirs, priority.id
        assert "Aim:" in own and "(Essex's Police and Crime Plan)" not in own, priority.id
    assert "Why it matters" not in text_of(kent, "index")  # the aims are on the priorities' pages, labelled


def test_the_purpose_promises_a_narrative_only_where_the_force_supplied_one(kent, essex):
    """Kent supplied none: its front page says so, and does not list the headings (Essex's local policing areas)
    that its pages do not show."""
    theirs, own = text_of(kent, "index"), text_of(essex, "index")
    assert "Kent has supplied no narrative for this edition." in theirs
    assert "the lead's narrative" not in theirs and "Local Policing Area" not in theirs
    assert "the lead's narrative (" in own and "has supplied no narrative" not in own


def test_no_page_of_the_plan_says_a_sentence_twice_or_shows_an_escape(essex, kent):
    """The owner's and another force's editions of the plan, read page by page (build/repeats.py)."""
    from conftest import prose_problems

    for edition in (essex, kent):
        assert prose_problems(edition / "html") == {}, edition


@pytest.fixture(scope="module")
def kent_pdf(tmp_path_factory):
    """Another force's edition of the plan with its PDF: the fidelity gate and the layout rules run on it too."""
    return built_edition(tmp_path_factory, "build-pcp-kent", "2021-22-Q4", PCP, "--force", "Kent", force="kent")


def test_another_force_s_pdf_passes_the_checks_and_is_tagged(kent_pdf):
    """The build published Kent's PDF only after build/fidelity.py and build/print_layout.py passed it
    (test_pdf_checks pins that a failing check publishes nothing); its layout is checked here again, and its tags."""
    from pypdf import PdfReader

    from strategy_update.build.pdf_reading import printed
    from strategy_update.build.print_layout import layout_problems
    from strategy_update.build.typst_book import text_area

    pdf = kent_pdf / "pdf" / "update.pdf"
    assert layout_problems(printed(pdf), text_area()) == []
    catalog = PdfReader(pdf).trailer["/Root"]
    assert "/StructTreeRoot" in catalog and catalog["/Lang"] == "en-GB"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Kent" in text and "Position among similar forces" in text
