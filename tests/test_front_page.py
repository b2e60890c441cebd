"""The front page for a board: the status wording (change and control chart never contradict), the generated
highlights, the board file reader, the lead's name beside the role, and the built front page."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import page_text
from strategy_update.compute.spc import XmR
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.board import board_path, read_board
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.publication import HOME_OFFICE, Measure
from strategy_update.render import board_paper, summary
from strategy_update.render.section_page import header

ROOT = Path(__file__).resolve().parents[1]
PUBLICATION = "crime-prevention-2021-25"
Q4 = parse_quarter("2021-22-Q4")
BASE = "the previous 12 months"


@pytest.fixture(scope="module")
def publication():
    return load_publication(InputPaths(ROOT / "data", ROOT / "publications", PUBLICATION, "essex"))


# --- status: every combination of change sign x signal side x polarity ------------------------------------------
CHANGES = {"up": (50.0, 8.6), "down": (-30.0, -2.4), "flat": (0.0, 0.0), "none": (None, None)}
SIDES = ("high", "low", "common", "none")


RULE_WORDS = {"outside": ("unusually high", "unusually low"), "two_of_three": ("unusually high", "unusually low"),
              "shift": ("above the chart's average", "below the chart's average"),
              "trend": ("rising quarters", "falling quarters")}


@pytest.mark.parametrize("change, side, lower_is_better, rule",
                         list(itertools.product(CHANGES, SIDES, (True, False), RULE_WORDS)))
def test_the_status_never_contradicts_itself(change, side, lower_is_better, rule):
    text = summary.status(*CHANGES[change], "crimes", BASE, side, lower_is_better, rule=rule)
    # The change comes first and says which way, and against what.
    assert text.startswith({"up": "Up 8.6%", "down": "Down 2.4%", "flat": "Unchanged", "none": "No comparison"}[change])
    assert BASE in text
    # The control chart part says it is about the latest quarter, and which way it is unusual, if at all.
    high, low = RULE_WORDS[rule]
    assert (high in text) == (side == "high")
    assert (low in text) == (side == "low")
    assert ("within normal variation" in text) == (side == "common")
    assert ("latest quarter" in text) == (side != "none")
    # "but" exactly when the year's change and the latest quarter point different ways.
    opposed = (change == "up" and side == "low") or (change == "down" and side == "high")
    assert (" but " in text) == opposed
    # The reading follows the measure's polarity, and is never both.
    good = (side == "low" and lower_is_better) or (side == "high" and not lower_is_better)
    bad = (side == "high" and lower_is_better) or (side == "low" and not lower_is_better)
    assert ("improvement" in text) == good
    assert ("concern" in text) == bad
    assert ("special cause" in text) == (side in ("high", "low"))


def test_the_knife_crime_row_of_the_issue_now_reads_plainly():
    text = summary.status(46.0, 8.6, "crimes", BASE, "low", True)
    assert text == ("Up 8.6% on the previous 12 months, but the latest quarter is unusually low (special cause: "
                    "an improvement, as lower is better).")


def test_percentages_change_in_points_not_percent():
    text = summary.status(-1.5, -3.2, "percent", BASE, "common", False)
    assert text.startswith("Down 1.50 percentage points")


def _chart(last: dict) -> XmR:
    return XmR((1.0, 2.0), 1.5, 1.0, 4.16, -1.16, ({}, last))


@pytest.mark.parametrize("last, side", [({}, "common"), ({"outside": "high"}, "high"), ({"trend": "rising"}, "high"),
                                        ({"shift": "low", "trend": "falling"}, "low"),
                                        ({"outside": "high", "trend": "falling"}, "high"),
                                        ({"shift": "high", "trend": "falling"}, "high")])
def test_the_signal_side_is_read_from_the_latest_points_main_rule(last, side):
    assert summary.signal_side(_chart(last)) == side


def test_no_chart_has_no_side():
    assert summary.signal_side(None) == "none"


def test_a_count_driven_by_police_activity_is_unusual_never_better_or_worse():
    for side in ("high", "low"):
        text = summary.status(-30.0, -2.4, "crimes", BASE, side, None)
        assert f"unusually {side}" in text and "neither direction is better" in text
        assert "improvement" not in text and "concern" not in text


# --- what stands out: material changes ----------------------------------------------------------------------------
TWELVE = {"current_period": "2021-04/2022-03", "current_label": "12 months ending March 2022",
          "base_label": "12 months ending March 2021"}


def _chart_with(mean_moving_range: float, last: dict | None = None) -> XmR:
    return XmR((100.0, 110.0), 105.0, mean_moving_range, 105 + 2.66 * mean_moving_range,
               105 - 2.66 * mean_moving_range, ({}, last or {}))


def _headline(name: str, current: float, base: float, mean_moving_range: float = 10.0, last: dict | None = None,
              **measure):
    comparison = SimpleNamespace(name="rolling-12-vs-previous-12", current=current, base=base, change=current - base,
                                 pct_change=(current - base) / base * 100 if base else None, **TWELVE)
    measure = Measure(id=name.lower(), name=f"{name} offences", source=measure.pop("source", HOME_OFFICE), **measure)
    figures = SimpleNamespace(measure=measure, comparison=lambda n: comparison if n == comparison.name else None,
                              chart=_chart_with(mean_moving_range, last))
    return summary.Headline(SimpleNamespace(name=name, aim="Cut harm."), figures)


def _view(force: str = "Essex"):
    publication = SimpleNamespace(comparisons=("rolling-12-vs-previous-12",), shared_pages=(),
                                  whose_aims=lambda f: "" if f == "Essex" else "Essex's Police and Crime Plan")
    return SimpleNamespace(publication=publication, force=force)


def test_what_stands_out_is_a_change_beyond_the_usual_variation_or_an_unusual_quarter():
    """A quarter's sd is 10 / 1.128 = 8.87; two 12-month totals differ by chance with sd 8.87 x sqrt(8) = 25.1, so
    3 sd is 75: a change of 100 stands out, one of 60 does not unless the latest quarter is unusual."""
    rows = [_headline("Alpha", 1100, 1000), _headline("Beta", 1060, 1000),
            _headline("Gamma", 940, 1000, last={"outside": "low"}), _headline("Delta", 30, 10, proxy=True),
            _headline("Epsilon", 700, 1000, mean_moving_range=5.0)]
    changes = summary.material_changes(_view(), rows)
    assert [c.headline.section.name for c in changes] == ["Epsilon", "Alpha", "Gamma"]  # largest first
    assert changes[1].sigmas == pytest.approx(100 / (10 / 1.128 * 8 ** 0.5))
    text = summary.highlights(_view(), rows)
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert "rose 10.0% to 1,100" in lines[1] and lines[1].endswith("(beyond its usual variation).")
    assert "fell 6.0%" in lines[2] and lines[2].endswith("(latest quarter unusually low, special cause).")
    assert "Beta" not in text  # 60 is within the usual variation, and its latest quarter is common cause
    assert "Delta" not in text  # 10 to 30 is +200%, but a count of a handful never stands out
    assert "Why it matters" not in text


def test_when_nothing_stands_out_the_page_says_so_in_one_sentence():
    text = summary.highlights(_view(), [_headline("Beta", 1060, 1000)])
    assert text.startswith("**What stands out:** no headline figure changed") and "- " not in text


def test_at_most_four_changes_are_listed():
    rows = [_headline(f"S{i}", 1000 + 100 * i, 1000) for i in range(1, 8)]
    assert len(summary.material_changes(_view(), rows)) == summary.MOST_CHANGES == 4


def test_a_figure_wider_than_the_forces_own_says_so_next_to_it(publication):
    def note(measure_id: str, passed_over=()) -> str:
        section, measure = next((s, m) for s, m in publication.measures if m.id == measure_id)
        return summary.figure_note(summary.Headline(section, SimpleNamespace(measure=measure), passed_over))
    assert "sheds and garages" in note("residential-burglary")
    assert note("blade-possession").startswith("A proxy")
    assert note("rape-offences") == ""
    nte = next(m for _, m in publication.measures if m.id == "nte-crimes")
    assert note("blade-possession", (nte,)) == ("Shown as a proxy: the force's own figure (crimes linked to the "
                                                 "night-time economy) was not supplied for this quarter.")


# --- the board file ---------------------------------------------------------------------------------------------
GOOD = """---
publication: crime-prevention-2021-25
quarter: 2021-22-Q4
---

## Recommendations

None this quarter.

## Issues by exception

Demand after Covid.
"""


def _board(tmp_path: Path, text: str, publication):
    path = tmp_path / "2021-22-Q4.md"
    path.write_text(text, encoding="utf-8")
    return read_board(path, display_name="board/2021-22-Q4.md", publication=publication, quarter=Q4)


def test_a_good_board_file_gives_its_parts(tmp_path, publication):
    found, errors = _board(tmp_path, GOOD, publication)
    assert errors == []
    assert found.sections == {"Recommendations": "None this quarter.", "Issues by exception": "Demand after Covid."}


def test_a_missing_heading_is_named(tmp_path, publication):
    found, errors = _board(tmp_path, GOOD.split("## Issues")[0], publication)
    assert found is None
    assert [e.message for e in errors] == ["the section '## Issues by exception' is missing or empty"]


@pytest.mark.parametrize("hostile, why", [("<script>alert(1)</script>", "raw HTML"),
                                          ("[click](javascript:alert(1))", "javascript: links"),
                                          ("{raw}`<b>x</b>`", "MyST roles"), ("```\ncode\n```", "code fences")])
def test_hostile_markup_is_refused_with_its_line(tmp_path, publication, hostile, why):
    found, errors = _board(tmp_path, GOOD.replace("None this quarter.", hostile), publication)
    assert found is None
    assert errors and all(e.file == "board/2021-22-Q4.md" for e in errors)
    assert any(why in e.message and e.line == 8 for e in errors), errors
    assert not any("narrative" in e.message for e in errors)


def test_the_wrong_quarter_is_refused(tmp_path, publication):
    _, errors = _board(tmp_path, GOOD.replace("2021-22-Q4", "2021-22-Q3"), publication)
    assert any("2021-22-Q3" in e.message for e in errors)


def test_essex_ships_its_q4_board_inputs(publication):
    paths = InputPaths(ROOT / "data", ROOT / "publications", PUBLICATION, "essex")
    found, errors = read_board(board_path(paths, Q4), display_name="essex", publication=publication, quarter=Q4)
    assert errors == [] and set(found.sections) == set(publication.board.quarterly_headings)


# --- the lead's name --------------------------------------------------------------------------------------------
def test_the_header_shows_name_and_role_or_role_alone(publication):
    view = SimpleNamespace(publication=publication, quarter=Q4, force="Essex")
    named = publication.section("knife-crime")
    unnamed = publication.section("mental-health")
    assert f"**Thematic lead:** {named.lead_name}, {named.lead_role}." in header(view, named)
    assert not unnamed.lead_name
    assert f"**Thematic lead:** {unnamed.lead_role}." in header(view, unnamed)
    # Another force's edition applies the measures: the owner's officers are not its leads, and the role, aim and
    # commitments are labelled as the owner's strategy's.
    kent = SimpleNamespace(publication=publication, quarter=Q4, force="Kent")
    assert f"**Thematic lead (Essex's Crime Prevention Strategy):** {named.lead_role}." in header(kent, named)
    assert f"**Aim (Essex's Crime Prevention Strategy):** {named.aim}" in header(kent, named)
    assert named.lead_name not in header(kent, named)
    assert "Essex's" not in header(view, named)


def test_another_forces_edition_does_not_borrow_the_owners_board_paper(publication):
    kent = SimpleNamespace(publication=publication, quarter=Q4, force="Kent")
    assert board_paper.owners_board(kent) is None
    text = board_paper.implications(kent) + board_paper.links_to_plans(kent)
    assert "Rob Kirby" not in text and publication.board.risks not in text
    assert "Kent has not supplied its own" in text


def test_every_linked_term_has_its_own_glossary_entry():
    glossary = (ROOT / "book" / "glossary.md").read_text(encoding="utf-8")
    entries = set(re.findall(r"^(\S.*)\n  \S", glossary.split(":::{glossary}")[1], flags=re.M))
    assert "Offence code" in entries  # the pattern reads the glossary's entries
    assert set(summary.GLOSSARY_TERMS.values()) <= entries


def test_the_board_parts_reach_the_page_as_the_build_wrote_them(publication, tmp_path):
    from strategy_update.render.view import BOARD, write_board

    heading = publication.board.quarterly_headings[0]
    write_board(tmp_path, {heading: "Note the report."})
    board = json.loads((tmp_path / BOARD).read_text(encoding="utf-8"))
    essex = SimpleNamespace(publication=publication, quarter=Q4, force="Essex", board=board)
    assert board_paper.board_part(essex, heading) == (
        "*The recommendations below are Essex's own, for Q4 2021/22.*\n\nNote the report\\.\n")
    write_board(tmp_path, None)  # not supplied this quarter: no file, and the page says so
    assert not (tmp_path / BOARD).exists()
    assert "has not supplied its" in board_paper.board_part(SimpleNamespace(**{**vars(essex), "board": None}), heading)


# --- the built front page ---------------------------------------------------------------------------------------
def test_a_section_covering_two_things_has_two_headline_figures(publication):
    section = next(s for s in publication.leaves if s.id == "burglary-and-robbery")
    assert [[m.id for m in slot] for slot in section.headline_slots] == [["residential-burglary"], ["personal-robbery"]]


def test_the_force_s_own_figure_is_the_headline_where_supplied_else_its_proxy_labelled():
    plan = load_publication(InputPaths(ROOT / "data", ROOT / "publications", "police-and-crime-plan", "essex"))
    road = plan.section("road-safety")
    own, proxy = road.headline_slots[0][:2]
    assert (own.id, proxy.id) == ("killed-or-seriously-injured", "death-or-serious-injury-unlawful-driving")

    def figures(measure, current):
        comparison = SimpleNamespace(current=current)
        return SimpleNamespace(measure=measure, available=True, comparisons=[comparison])
    for supplied in (True, False):
        shown = {own.id: figures(own, 155.0 if supplied else None), proxy.id: figures(proxy, 15.0)}
        view = SimpleNamespace(publication=SimpleNamespace(leaves=[road]),
                               figures=lambda section, shown=shown: [shown[m.id] for m in section.measures
                                                                     if m.id in shown])
        [headline] = summary.headlines(view)
        assert headline.figures.measure == (own if supplied else proxy)
        assert headline.passed_over == (() if supplied else (own,))


@pytest.mark.build
def test_the_front_page_reads_as_a_board_paper(default_edition):
    check_front_page(default_edition)


def check_front_page(folder: Path) -> None:
    """Kept apart from the fixture so a build made by hand can be checked the same way."""
    text = page_text(folder, "index")
    html = (folder / "html" / "index.html").read_text(encoding="utf-8")
    headings = ["Purpose", "Recommendations", "Executive summary", "At a glance", "Delivery plan progress",
                "Issues by exception", "Implications", "Links to other plans"]
    positions = [text.find(h) for h in headings]
    assert -1 not in positions and positions == sorted(positions), dict(zip(headings, positions))
    # The force's own words, labelled as the force's.
    assert "The recommendations below are Essex's own, for Q4 2021/22" in text
    # A status that says which is which, and glossary links for the terms.
    assert "Up 8.6% on the previous 12 months, but the latest quarter is unusually low" in text
    assert 'href="book/glossary.html#term-Special-cause-variation"' in html
    # A trend per measured strand, and the note beside a figure wider than the force's own.
    assert any(block in text for block in "▁▂▃▄▅▆▇█")
    assert "includes sheds and garages" in text
    # Both halves of "Dwelling Burglary and Street Robbery" are at a glance.
    start = text.find("Each row gives")  # the table's own introduction, not the page's contents list
    glance = text[start:text.find("Delivery plan progress", start)]
    assert "Residential burglary" in glance and "Robbery of personal property" in glance
    # Highlights with figures, and what the data flags by exception.
    assert "What stands out on the previous 12 months" in text and "Why it matters" not in text
    assert "(beyond its usual variation" in text  # each change says why it was chosen
    assert "From the data:" in text and "across its parts, not its total" in text  # the tracker's gap
    assert "Rob Kirby, Detective Superintendent" in text
    # No counting sentence in place of a summary.
    assert "show special cause variation on their control charts" not in text


@pytest.mark.parametrize("note, short", [("A proxy. Open data has no flag. More.", "A proxy. Open data has no flag."),
                                         ("A proxy, not the force's count. Codes.", "A proxy, not the force's count."),
                                         ("No full stop", "No full stop")])
def test_the_short_note_is_the_first_sentence_that_says_something(note, short):
    assert summary.first_sentence(note) == short


@pytest.mark.parametrize("publication_id, kept", [(PUBLICATION, True), ("police-and-crime-plan", False)])
def test_board_cells_are_kept_only_for_a_publication_with_a_board(publication_id, kept):
    from strategy_update.build.templates import BOARD, expand

    model = load_publication(InputPaths(ROOT / "data", ROOT / "publications", publication_id, "essex"))
    cells = expand(ROOT / "notebooks" / "summary.ipynb", model).cells
    board = [c for c in cells if BOARD in c.metadata.get("tags", [])]
    assert bool(board) == kept
    assert any("## Executive summary" in c.source for c in cells)
