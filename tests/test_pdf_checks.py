"""The fidelity gate (build/fidelity.py) and the print layout check (build/print_layout.py) on small inputs: web
pages as HTML snippets, and PDFs that Typst compiles here (tagged, on the paper's own page design), each made to
break one rule. The checks on whole editions are in test_pdf.py (every build runs them)."""

from __future__ import annotations

from pathlib import Path

import pytest

from strategy_update.build.fidelity import comparable, compare, report, web_blocks
from strategy_update.build.pdf_reading import printed
from strategy_update.build.print_layout import cover_problems, heading_problems, margin_problems, table_problems
from strategy_update.build.typst_book import MARGINS_CM, PAPER, text_area
from strategy_update.build.typst_writer import SHORT_ROWS

PAGE = """<html><body><nav><p>Site menu</p></nav><article class="bd-article">
<h1>County Lines<a class="headerlink" href="#c">#</a></h1>
<p>The lead <strong>reports</strong> results.</p>
<details class="sd-dropdown web-only"><summary>How this was calculated</summary><p>Formula: a / b</p></details>
<div class="web-only"><p>Seasonal chart description.</p></div>
<p>Chart data <a class="reference download internal" href="x.csv"><code>Download the chart data (CSV)</code></a></p>
<ul><li>Operation Raptor:<ul><li>73 lines closed;</li></ul> and more</li></ul>
<table><thead><tr><th><p>Period</p></th><th>Count</th></tr></thead><tbody><tr><td>Q4</td><td>1,294</td></tr></tbody>
</table><script>var hidden = "not words";</script>
</article><footer><p>Licence</p></footer></body></html>"""


def test_the_website_s_words_are_its_article_s_blocks_less_what_is_web_only():
    assert web_blocks(PAGE) == ["County Lines", "The lead reports results.", "Chart data", "Operation Raptor:",
                                "73 lines closed;", "and more", "Period", "Count", "Q4", "1,294"]
    assert web_blocks(PAGE, skip_title=True)[0] == "The lead reports results."


def test_words_compare_without_spaces_case_hyphens_or_typographic_quotes():
    assert comparable("Cyber-\nenabled  “crimes” – Q4") == comparable('cyberenabled "Crimes" - q4')


def test_the_gate_names_the_page_and_the_first_words_lost():
    insights = "The lead describes the Operation Raptor results: lines closed, searches and arrests."
    pages = [("strands/knife-crime", ["Knife Crime", "Possession of an article"]),
             ("strands/county-lines", ["County Lines", insights, "Delivery achieved", "73 lines closed"])]
    whole = comparable("Knife Crime Possession of an article County Lines " + insights + " Delivery achieved "
                       "73 lines closed")
    assert compare(pages, whole) == []
    dropped = whole.replace(comparable(insights), "")
    misses = compare(pages, dropped)
    assert [(m.page, m.words_lost, m.elsewhere) for m in misses] == [
        ("strands/county-lines", insights, False)]
    # Cut short: the words from the first one the PDF does not go on with.
    cut = whole.replace(comparable("searches and arrests."), "")
    assert [m.words_lost for m in compare(pages, cut)] == ["searches and arrests."]
    assert report(compare(pages, dropped)) == [
        "strands/county-lines: lost from 'The lead describes the Operation Raptor results: lines closed, searches and "
        "arrests.'"]


def test_a_block_the_pdf_prints_out_of_the_website_s_order_is_a_miss():
    pages = [("page", ["First paragraph here.", "Second paragraph here."])]
    misses = compare(pages, comparable("Second paragraph here. First paragraph here."))
    assert [(m.block, m.elsewhere) for m in misses] == [("Second paragraph here.", True)]


def test_a_short_block_lost_does_not_take_the_gate_past_what_follows_it():
    """A lost "Warning" label whose word the PDF uses again pages later: the blocks after it are still found."""
    pages = [("strands/cybercrime-and-fraud", ["Delivery plan", "Warning", "Data quality: the parts add up to 35."])]
    text = comparable("Delivery plan Data quality: the parts add up to 35. " + "Later pages. " * 400 + "Warning")
    assert [(m.block, m.words_lost) for m in compare(pages, text)] == [("Warning", "Warning")]


# --- the print layout rules, on PDFs made to break them --------------------------------------------------------
FILLER = "#lorem(40)\n\n"


def typeset(tmp_path: Path, body: str, design: str = "") -> object:
    """A tagged PDF of ``body`` on the paper's design (a cover with contents, then the body), read as the checks
    read a built edition."""
    import shutil

    import typst

    shutil.copyfile(PAPER, tmp_path / PAPER.name)
    margin = ", ".join(f"{side}: {size}cm" for side, size in MARGINS_CM.items())
    source = tmp_path / "doc.typ"
    source.write_text(f'#import "{PAPER.name}": *\n#show: paper.with(title: "Test", author: "Essex Police", '
                      f'date: "1 April 2022", short-title: "Test", margin: ({margin}))\n{design}\n{body}\n',
                      encoding="utf-8")
    typst.compile(str(source), output=str(tmp_path / "doc.pdf"), pdf_standards=["ua-1"], root=str(tmp_path))
    return printed(tmp_path / "doc.pdf")


def at_page_foot(lines_left: int) -> str:
    """A chapter on page 2, then text that fills page 3 but for about ``lines_left`` lines."""
    return (f"= Part\n\n#lorem(5)\n\n#pagebreak()\n"
            f"#block(height: 100% - {lines_left * 1.3}em, width: 100%)[#lorem(30)]\n")


def test_a_heading_at_the_foot_of_a_page_is_caught_and_the_paper_keeps_it_with_its_text(tmp_path):
    body = at_page_foot(3) + "== Delivery plan\n\n" + FILLER * 3
    assert heading_problems(typeset(tmp_path, body)) == []  # sticky headings: it moves to the next page
    loose = typeset(tmp_path, body, "#show heading: set block(sticky: false)")
    assert heading_problems(loose) == [
        "PDF page 3: heading '1.1 Delivery plan' ends the page: what follows it starts on page 4 ('Lorem ipsum "
        "dolor sit amet, consectetur adipiscing elit, ...')"]


def test_a_heading_with_nothing_under_it_and_content_placed_above_a_heading_are_caught(tmp_path):
    empty = typeset(tmp_path, "= Seeing how a figure was produced\n\n= Licence\n\n" + FILLER)
    assert [p for p in heading_problems(empty) if "nothing under it" in p] == [
        "PDF page 2: heading '1 Seeing how a figure was produced' has nothing under it (the next heading of its "
        "level follows)"]
    floated = typeset(tmp_path, FILLER * 2 + "= Insights\n\n#place(top, float: true)[#lorem(10)]\n\n" + FILLER)
    assert any("what follows it is placed above it" in p for p in heading_problems(floated)), heading_problems(floated)


def test_a_short_table_split_across_pages_is_caught_and_the_paper_keeps_it_whole(tmp_path):
    rows = "".join(f"[Q{k}], [{k * 100}]," for k in range(SHORT_ROWS - 1))
    table = f"table(columns: 2, table.header([Quarter], [Count]), {rows})"
    kept = typeset(tmp_path, at_page_foot(3) + f"#kept({table})\n")
    assert table_problems(kept) == []
    split = typeset(tmp_path, at_page_foot(3) + f"#{table}\n")
    assert table_problems(split) == [f"PDF pages 3-4: a table of {SHORT_ROWS} rows is split across pages "
                                     "('Quarter Count Q0 0 Q1 100 Q2 200 ...')"]


def test_content_in_the_margins_is_caught(tmp_path):
    fine = typeset(tmp_path, FILLER * 8)  # the running header and footer are artifacts, in the margins
    assert margin_problems(fine, text_area()) == []
    over = typeset(tmp_path, FILLER + "#place(bottom + left, dy: 1.2cm)[Raptor results]\n")
    assert margin_problems(over, text_area()) == ["PDF page 2: 'Raptor results' runs below the footer line"]


def test_a_cover_less_than_half_full_is_caught(tmp_path):
    assert cover_problems(typeset(tmp_path, "".join(f"= Part {k}\n\n{FILLER}" for k in range(40))),
                          text_area()) == []
    problems = cover_problems(typeset(tmp_path, "= Only part\n\n" + FILLER), text_area())
    assert len(problems) == 1 and problems[0].startswith("PDF page 1 is ") and problems[0].endswith(
        "full (its content should reach below the middle of the page)"), problems



def test_an_edition_whose_pdf_fails_its_checks_is_not_published(tmp_path, monkeypatch):
    from strategy_update.build import book, pipeline, publish
    from strategy_update.core.errors import BuildError

    checked, published = [], []
    monkeypatch.setattr(pipeline, "write_written_appendices", lambda *args, **kwargs: None)
    monkeypatch.setattr(book, "build_book", lambda work, pdf, log=print, warm=None: (
        work / "html", work / "u.pdf" if pdf else None))

    def failing_check(work, html, pdf_file):
        checked.append(pdf_file)
        raise BuildError("the PDF's checks failed, so the edition was not published: ...")
    monkeypatch.setattr(book, "check_pdf", failing_check)
    monkeypatch.setattr(publish, "publish", lambda *args: published.append(args))
    work, target = tmp_path / "work", tmp_path / "edition"
    work.mkdir()
    with pytest.raises(BuildError):
        pipeline.finish_edition(tmp_path, work, None, None, {}, [], target, "key", pdf=True, reviewer=False)
    assert checked == [work / "u.pdf"] and published == [] and not (work / pipeline.STAMP).exists()
    # Without a PDF there is nothing to check, and the website is published.
    pipeline.finish_edition(tmp_path, work, None, None, {}, [], target, "key", pdf=False, reviewer=False)
    assert len(checked) == 1 and len(published) == 1
