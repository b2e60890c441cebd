"""Each sentence once (issue 28, item 5): the check that finds a sentence a published page says twice."""

from __future__ import annotations

from strategy_update.build.repeats import repeated_sentences

NOTE = "The intervals have been too narrow for this measure over the back test."


def page(body: str) -> str:
    return f"<html><body><nav><p>{NOTE}</p></nav><article>{body}</article></body></html>"


def test_a_sentence_said_twice_on_a_page_is_found_once_with_its_count():
    html = page(f"<p>Crime rose this year. {NOTE}</p><ul><li>{NOTE}</li></ul><p>{NOTE}</p>")
    assert repeated_sentences(html) == [(NOTE, 3)]


def test_table_cells_and_short_labels_are_not_sentences():
    html = page(f"<table><tr><td>{NOTE}</td></tr><tr><td>{NOTE}</td></tr></table><p>Not supplied.</p>"
                "<p>Not supplied.</p>")
    assert repeated_sentences(html) == []


def test_a_note_is_judged_on_its_own_and_against_the_page():
    other = "Input rows: the force's rows with these codes in the table."
    notes = "".join(f"<details><summary>How this was calculated: {n}</summary><p>{other}</p></details>"
                    for n in ("one", "two"))
    assert repeated_sentences(page(notes)) == []  # each card says it once
    twice = f"<details><summary>Card</summary><p>{other}</p><p>{other}</p></details>"
    assert repeated_sentences(page(twice)) == [(other, 2)]
    echoed = f"<p>{NOTE}</p><details><summary>Card</summary><p>{NOTE}</p></details>"
    assert repeated_sentences(page(echoed)) == [(NOTE, 2)]


def test_a_lead_s_own_words_are_theirs_to_repeat():
    html = page(f"<p>{NOTE}</p><p>{NOTE}</p>")
    assert repeated_sentences(html, exempt=(NOTE,)) == []
