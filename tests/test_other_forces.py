"""Another force's edition speaks of that force (issue 28, item 7): none of the owner's places, areas, partnerships,
operations or officers (the definition's ``owner_terms``) in the pages it takes, the aims and commitments it
quotes, its chapter openings and its measures appendix; only the owner's name where it says whose the plan is.
The built pages of other forces' editions are checked in tests/test_national.py."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import pytest

from conftest import PATHS, ROOT, shown
from strategy_update.build.book import OWNER_ONLY, owners_lines, sync_sources
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.model.publication import period_labels
from strategy_update.render.measures_page import render_markdown as measures_page
from strategy_update.render.section_page import header

Q4 = parse_quarter("2021-22-Q4")
PUBLICATIONS = sorted(p.name for p in (ROOT / "publications").iterdir() if (p / "publication.yml").is_file())


def _plan(publication_id: str):
    return load_publication(replace(PATHS, publication_id=publication_id))


@pytest.mark.parametrize("publication_id", PUBLICATIONS)
def test_every_definition_lists_its_owner_s_proper_nouns(publication_id):
    plan = _plan(publication_id)
    assert plan.owner_force in plan.owner_terms and len(plan.owner_terms) > 5


@pytest.mark.parametrize("publication_id", PUBLICATIONS)
def test_another_force_s_pages_aims_and_appendix_name_none_of_the_owner_s_own(publication_id, tmp_path):
    plan = _plan(publication_id)
    sync_sources(ROOT, tmp_path, plan, "Title", "Author", labels=period_labels(Q4, "Cumbria"),
                 whose=plan.whose_aims("Cumbria"))
    texts = {path.relative_to(tmp_path).as_posix(): path.read_text(encoding="utf-8")
             for path in [*tmp_path.glob("book/*.md"), *tmp_path.glob("groups/*.md")]}
    view = SimpleNamespace(publication=plan, quarter=Q4, force="Cumbria")
    texts |= {f"header of {leaf.id}": header(view, leaf) for leaf in plan.leaves}
    texts["narrative headings"] = " ".join(p.title_for(Q4, "Cumbria") for p in plan.narrative_parts("Cumbria"))
    texts["measures appendix"] = measures_page(plan)
    found = {name: plan.owner_mentions(shown(text)) for name, text in texts.items()}
    assert {name: terms for name, terms in found.items() if terms} == {}


def test_the_owner_s_edition_keeps_its_own():
    plan = _plan("police-and-crime-plan")
    view = SimpleNamespace(publication=plan, quarter=Q4, force="Essex")
    assert "Essex" in header(view, plan.section("road-safety"))  # the aim applied to its own roads
    assert [p.heading for p in plan.narrative_parts("Essex")] == ["Force-wide", "North", "South", "West"]
    assert [p.heading for p in plan.narrative_parts("Cumbria")] == ["Force-wide"]  # not Essex's areas


def test_owner_only_lines_are_kept_for_the_owner_and_left_out_for_others():
    page = f"Shared.\n{OWNER_ONLY}\nEssex has three areas.\n% end owner only\nShared too."
    assert owners_lines(page, True) == "Shared.\nEssex has three areas.\nShared too."
    assert owners_lines(page, False) == "Shared.\nShared too."
    with pytest.raises(ValueError, match="never closed"):
        owners_lines(f"{OWNER_ONLY}\nx", False)
