"""What the statistics are, who to contact and when the next update is due (issue 31, item 4): from the definition's
``release`` key, on the front page's foot (Markdown the notebook renders, so the website and the PDF both have it);
another force's edition names that force's team and none of the owner's contact details."""

from __future__ import annotations

from dataclasses import replace

import pytest
import yaml

from conftest import PATHS, ROOT, shown
from strategy_update.core.errors import InputError
from strategy_update.core.periods import parse_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.model.release import release_from_mapping
from strategy_update.render.about_statistics import about_statistics, next_update_sentence

PUBLICATIONS = sorted(p.name for p in (ROOT / "publications").iterdir() if (p / "publication.yml").is_file())


def _plan(publication_id: str = "crime-prevention-2021-25"):
    return load_publication(replace(PATHS, publication_id=publication_id))


def _release(**changes) -> dict:
    raw = yaml.safe_load((ROOT / "publications" / "crime-prevention-2021-25" / "publication.yml").read_text())
    return {**raw["release"], **changes}


@pytest.mark.parametrize("publication_id", PUBLICATIONS)
def test_every_definition_states_status_pillars_contact_and_timetable(publication_id):
    release = _plan(publication_id).release
    words = " ".join(release.status)
    assert "not official statistics" in words
    assert "has not been accredited official statistics" in words and "2014" in words
    assert "Crime Survey for England and Wales" in words and "long-term trends" in words
    assert "police activity" in words  # recorded crime reflects what the police do as well as crime
    assert [pillar for pillar, _ in release.code_of_practice] == ["trustworthiness", "quality", "value"]
    assert release.contact.team and release.months_after_quarter == 2


@pytest.mark.parametrize("quarter, expected", [
    ("2021-22-Q4", "The next update, for Q1 2022/23 (April-June 2022), is due in August 2022, 2 months after its "
                   "quarter ends."),
    ("2022-23-Q3", "The next update, for Q4 2022/23 (January-March 2023), is due in May 2023, 2 months after its "
                   "quarter ends.")])
def test_the_next_update_is_worked_out_from_the_quarter(quarter, expected):
    assert next_update_sentence(_plan(), parse_quarter(quarter)) == expected


def test_the_month_crosses_the_year_and_the_last_quarter_has_no_next_update():
    release = _plan().release
    assert release.next_update(parse_quarter("2022-23-Q2"), None)[1] == "February 2023"  # December + 2 months
    assert replace(release, months_after_quarter=12).next_update(parse_quarter("2021-22-Q4"), None)[1] == "June 2023"
    plan = _plan("police-and-crime-plan")  # reports up to 2023-24-Q4
    assert next_update_sentence(plan, parse_quarter("2023-24-Q4")) == (
        "None: Q4 2023/24 is the last quarter this publication reports on.")


@pytest.mark.parametrize("changes, key", [({"months_after_quarter": "soon"}, "months_after_quarter"),
                                          ({"months_after_quarter": 13}, "months_after_quarter"),
                                          ({"code_of_practice": {"quality": "x", "value": "y"}}, "code_of_practice"),
                                          ({"status": []}, "status"), ({"contact": {"telephone": "101"}}, "contact")])
def test_a_malformed_release_key_is_refused_naming_the_key(changes, key):
    with pytest.raises(InputError, match=f"release.{key}"):
        release_from_mapping(_release(**changes), "publication.yml")


def test_the_owner_s_front_page_foot_says_status_pillars_contact_and_next_update():
    plan = _plan()
    text = shown(about_statistics(plan, "Essex", parse_quarter("2021-22-Q4"), "data/edition.xlsx"))
    assert text.startswith("**Status.** These figures are the force's management information")
    for pillar in ("Trustworthiness", "Quality", "Value"):
        assert f"- **{pillar}:**" in text
    assert "Essex Police applies the Code's three pillars to these figures voluntarily" in text
    assert ("**Contact.** Essex Police's performance analysis team: telephone 101, the police non-emergency number; "
            "website <https://www.essex.police.uk>.") in text
    assert "**Next update.** The next update, for Q1 2022/23 (April-June 2022), is due in August 2022" in text
    assert "[Download every figure of this edition as a spreadsheet (XLSX)](data/edition.xlsx)" in text


@pytest.mark.parametrize("publication_id", PUBLICATIONS)
def test_another_force_s_foot_names_its_own_team_and_none_of_the_owner_s_contacts(publication_id):
    plan = _plan(publication_id)
    text = shown(about_statistics(plan, "Cumbria", parse_quarter("2021-22-Q4"), "data/edition.xlsx"))
    assert "**Contact.** Cumbria's performance analysis team: telephone 101" in text
    assert plan.owner_mentions(text) == []
    assert plan.release.contact.web not in text and "essex" not in text.lower()
