"""The book's structure follows the publication definition, and the templates type no numbers."""

from __future__ import annotations

import dataclasses
import re

import nbformat
import yaml

from conftest import PATHS, ROOT, run_cli, shown
from strategy_update.build.book import ANNEX_PAGE, GROUP_FOLDER, WEB_ONLY_APPENDICES, group_page, pdf_toc_for, toc_for
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.model.publication import publication_from_mapping

PUBLICATION = load_publication(PATHS)
STRANDS = PUBLICATION.leaves


def toc_files(toc: dict) -> list[str]:
    return [c["file"] for part in toc["parts"] for c in part["chapters"]]


def test_committed_toc_lists_every_strand_of_the_definition():
    committed = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = toc_files(committed)
    assert len(PUBLICATION.leaves) == 14
    for strand in PUBLICATION.leaves:
        assert f"strands/{strand.id}" in files, f"{strand.id} missing from _toc.yml"
    themes = [group.name for group, _ in PUBLICATION.groups]
    assert themes == ["Serious Violence", "Organised Crime", "Complex Needs", "Vulnerabilities"]
    assert [p["caption"] for p in committed["parts"][1:-1]] == themes


def test_committed_toc_is_exactly_what_the_definition_generates():
    assert yaml.safe_load((ROOT / "_toc.yml").read_text()) == toc_for(PUBLICATION)
    assert run_cli("toc", "--check").returncode == 0


def test_toc_check_fails_when_the_committed_toc_is_out_of_date(tmp_path):
    """`toc --check` compares against the definition: a stale _toc.yml in a copy of the project fails it."""
    project = tmp_path / "project"
    project.mkdir()
    for name in ["_config.yml", "_toc.yml"]:
        (project / name).write_bytes((ROOT / name).read_bytes())
    for name in ["notebooks", "publications", "data"]:
        (project / name).symlink_to(ROOT / name)
    assert run_cli("toc", "--check", cwd=project).returncode == 0
    toc = (project / "_toc.yml").read_text()
    (project / "_toc.yml").write_text(toc.replace("  - file: strands/rape\n", ""))
    result = run_cli("toc", "--check", cwd=project)
    assert result.returncode == 1 and "_toc.yml is out of date" in result.stderr


def test_toc_follows_a_different_publication_definition(tmp_path):
    # A second publication needs a definition file, not code: drop a strand and the TOC drops it too.
    raw = yaml.safe_load(PATHS.definition.read_text(encoding="utf-8"))
    assert [s["id"] for s in raw["sections"][0]["sections"]][:2] == ["knife-crime", "rape"]
    raw["sections"][0]["sections"] = raw["sections"][0]["sections"][:1]
    from_mapping = publication_from_mapping(raw, PATHS.publication, "other.yml")
    files = toc_files(toc_for(from_mapping))
    assert "strands/knife-crime" in files and "strands/rape" not in files
    assert "strands/hate-crime" in files  # the other themes are untouched
    # The same through the reader, from a copy of the publication folder.
    folder = tmp_path / "publications" / "other-publication"
    folder.mkdir(parents=True)
    raw["id"] = "other-publication"
    (folder / "publication.yml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    loaded = load_publication(InputPaths(PATHS.data, tmp_path / "publications", "other-publication", "essex"))
    assert [s.id for s in loaded.leaves] == [s.id for s in from_mapping.leaves]
    assert toc_files(toc_for(loaded)) == files


def test_hand_written_pages_in_the_toc_exist():
    """Each book/ page of the TOC is a shared page (book/) or one of the publication's own pages (pages/)."""
    checked = 0
    for file in toc_files(toc_for(PUBLICATION)):
        if file.startswith("book/"):
            name = file.removeprefix("book/")
            assert (ROOT / f"{file}.md").exists() or (PATHS.pages / f"{name}.md").exists(), file
            checked += 1
    assert checked == len(PUBLICATION.pages_before) + len(PUBLICATION.shared_pages) > 0
    for name in PUBLICATION.pages_before:
        assert (PATHS.pages / f"{name}.md").exists(), name
    for name in PUBLICATION.shared_pages:
        assert (ROOT / "book" / f"{name}.md").exists(), name


def test_template_markdown_types_no_numbers():
    """Every figure comes from computation: markdown cells of the templates hold no digits outside glue roles."""
    templates = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert {p.name for p in templates} >= {"section.ipynb", "summary.ipynb"}
    for path in templates:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                text = re.sub(r"\{glue:\w+\}`[^`]*`", "", cell.source)
                assert not re.search(r"\d", text), f"{path.name}: typed number in {cell.source!r}"


def test_template_has_the_papermill_parameters_cell():
    nb = nbformat.read(ROOT / "notebooks" / "section.ipynb", as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    for name in ["publication", "force", "quarter", "data_dir", "publications_dir", "results_dir", "section_id"]:
        assert re.search(rf"^{name} = ", cells[0].source, re.M), f"parameter {name} missing"


APPENDIX_TITLES = {"demand-profile": "# Demand profile", "measures": "# Measures", "data-quality": "# Data quality",
                   "backtest": "# Back test against the last hand-made report", "provenance": "# Provenance"}


def test_appendices_are_written_by_the_build_with_their_titles(tmp_path):
    """The appendices need no kernel: the build writes each as Markdown, under its title, where the TOC points."""
    from strategy_update.build.pipeline import resolve_edition, write_written_appendices
    from strategy_update.compute.stage import compute_edition, write_edition_results
    from strategy_update.inputs.readers import read_edition_inputs
    from strategy_update.inputs.report import ValidationReport

    spec = resolve_edition(None, None, None, data_dir=PATHS.data, publications_dir=PATHS.publications)
    assert list(spec.publication.appendices) == list(APPENDIX_TITLES)
    # the build writes the results before the appendices (data quality links the warnings behind a figure)
    inputs = read_edition_inputs(spec.paths, spec.publication, spec.force, spec.quarter)
    write_edition_results(*compute_edition(spec.publication, spec.force, spec.quarter, crime=inputs.crime,
                                           population=inputs.population, tracker=inputs.tracker,
                                           extracts=inputs.extracts), tmp_path / "data")
    write_written_appendices(ROOT, tmp_path, spec, ValidationReport(quarter="2021-22-Q4"), {"index": "abc123"})
    toc = toc_files(toc_for(spec.publication))
    for page, title in APPENDIX_TITLES.items():
        text = (tmp_path / "appendix" / f"{page}.md").read_text(encoding="utf-8")
        assert text.splitlines()[0] == title, page
        assert f"appendix/{page}" in toc
        assert not (ROOT / "notebooks" / f"{page.replace('-', '_')}.ipynb").exists()  # no template runs it


def test_measures_page_lists_every_measure_with_the_definition_codes():
    """The measures appendix must not drift from the publication definition (it is generated from it)."""
    from strategy_update.render.measures_page import render_markdown

    methods = shown(render_markdown(PUBLICATION)).split("## Which way is better")[0]
    rows = {line.split("|")[2].strip().removesuffix(" (proxy)"): line for line in methods.splitlines()
            if line.startswith("|") and line.count("|") >= 5}
    for strand in PUBLICATION.leaves:
        for measure in strand.open_data_measures:
            assert measure.name in rows, f"{measure.name} missing from the measures page"
            listed = set(re.findall(r"(?<!/)\b\d{1,3}[A-Z]?\b", rows[measure.name].split("|")[3]))
            assert listed == set(measure.offence_codes), f"{measure.name}: methods lists {listed}"
        for measure in strand.force_extract_measures:
            assert measure.id in methods, f"force extract {measure.id} missing from the measures page"


def test_a_section_without_narrative_keeps_only_the_first_narrative_heading():
    from strategy_update.build.templates import expand

    def headings(notebook):
        return [c.source for c in notebook.cells if c.cell_type == "markdown" and c.source.startswith("## ")]

    template = ROOT / "notebooks" / "section.ipynb"
    assert len(PUBLICATION.narrative) == 3
    with_narrative = headings(expand(template, PUBLICATION))
    assert [h for h in with_narrative if "narrative_title" in h] == [
        f"## {{glue:text}}`narrative_title_{n}`" for n in range(3)]
    without = headings(expand(template, PUBLICATION, narrative=False))
    assert [h for h in without if "narrative_title" in h] == ["## {glue:text}`narrative_title_0`"]


def test_narrative_titles_may_use_only_the_known_labels():
    from strategy_update.core.errors import InputError

    raw = yaml.safe_load(PATHS.definition.read_text(encoding="utf-8"))
    raw["narrative"][1]["title"] = "Delivery in {quater_months}"
    try:
        publication_from_mapping(raw, PATHS.publication, "publication.yml")
    except InputError as error:
        assert "{quater_months}" in str(error) and "{quarter_months}" in str(error)
        assert error.record.column == "narrative.title"
    else:
        raise AssertionError("an unknown label in a narrative title was accepted")


def test_pdf_toc_nests_each_theme_chapter_over_its_strands():
    """The PDF is numbered as a board paper: a theme is a chapter (3) and its strands are its sections (3.1, 3.2)."""
    toc = pdf_toc_for(PUBLICATION)
    assert "parts" not in toc  # parts would print as near-blank pages
    chapters = {c["file"]: [s["file"] for s in c.get("sections", [])] for c in toc["chapters"]}
    for group, leaves in PUBLICATION.groups:
        assert chapters[f"{GROUP_FOLDER}/{group.id}"] == [f"strands/{s.id}" for s in leaves]
    files = list(chapters) + [f for sections in chapters.values() for f in sections]
    assert sorted(f for f in files if f.startswith("strands/")) == sorted(f"strands/{s.id}" for s in STRANDS)


def test_pdf_toc_has_the_annex_and_leaves_the_audit_pages_to_the_website():
    files = [c["file"] for c in pdf_toc_for(PUBLICATION)["chapters"]]
    assert f"appendix/{ANNEX_PAGE}" in files and f"appendix/{ANNEX_PAGE}" in toc_files(toc_for(PUBLICATION))
    for page in WEB_ONLY_APPENDICES:
        assert f"appendix/{page}" not in files and f"book/{page}" not in files
        if page in PUBLICATION.appendices:
            assert f"appendix/{page}" in toc_files(toc_for(PUBLICATION)), f"{page} is not on the website"


def test_group_page_names_the_theme_and_its_strands():
    group, leaves = PUBLICATION.groups[0]
    page = group_page(PUBLICATION, group, leaves)
    assert page.startswith(f"# {group.name}\n")
    assert all(leaf.name in page for leaf in leaves) and f"has {len(leaves)} strands" in page
    # An aim: the owner's edition gives it plainly; another force's says whose plan it is.
    with_aim = dataclasses.replace(group, aim="Cut harm.")
    assert "**Aim:** Cut harm." in group_page(PUBLICATION, with_aim, leaves)
    assert "**Aim (Essex's Crime Prevention Strategy):** Cut harm." in group_page(
        PUBLICATION, with_aim, leaves, "Essex's Crime Prevention Strategy")


def test_paper_download_links_say_where_the_file_is():
    from strategy_update.build.typst_writer import download_sentence

    assert download_sentence("Download the chart data (CSV)") == "The chart data (CSV) is a download on the website."


def test_paper_table_columns_follow_their_content():
    """Short cells (a strand's name) keep one line; a long note wraps; headers do not widen a column."""
    import docutils.nodes as nodes
    from docutils.core import publish_doctree

    from strategy_update.build.typst_writer import MAX_WIDTH, MIN_WIDTH, cell_widths

    doctree = publish_doctree("\n".join([
        ".. list-table::", "   :header-rows: 1", "",
        "   * - Strand", "     - N", "     - A very long header heading",
        "   * - Dwelling Burglary and Street Robbery", "     - 83", f"     - {'a long note ' * 20}"]))
    widths = cell_widths(next(iter(doctree.findall(nodes.table))))
    assert widths == [len("Dwelling Burglary and Street Robbery") + 2, MIN_WIDTH, MAX_WIDTH]


def _typst(markdown: str) -> str:
    """Markdown (MyST) as the PDF's writer writes it."""
    from docutils.core import publish_doctree
    from myst_parser.parsers.docutils_ import Parser

    from strategy_update.build.typst_writer import TypstTranslator

    doctree = publish_doctree(markdown, parser=Parser())
    writer = TypstTranslator(doctree, {}, set())
    doctree.walkabout(writer)
    return writer.astext()


def test_paper_keeps_a_short_table_whole_and_lets_a_long_one_break_with_its_header():
    from strategy_update.build.typst_writer import SHORT_ROWS

    def table(body_rows: int) -> str:
        return _typst("| Period | Count |\n|---|---|\n" + "| Q4 2021/22 | 326 |\n" * body_rows)

    assert table(SHORT_ROWS - 1).lstrip().startswith("#kept(table(")  # header + 7 rows: one unbreakable block
    assert table(SHORT_ROWS).lstrip().startswith("#(table(")  # longer: breaks, its header repeated (Typst's own)
    assert "table.header([" in table(3)  # header cells, tagged as such in the PDF


def test_paper_text_is_never_read_as_typst_markup():
    """A lead's text may hold any character: it reaches the PDF as Typst strings, never as markup or code."""
    import io

    import typst
    from pypdf import PdfReader

    hostile = 'Costs #set text(red) = $5 * "quoted" and ] [ @ref // not a comment'
    source = "#set text(font: \"DejaVu Sans\")\n" + _typst(hostile)
    text = PdfReader(io.BytesIO(typst.compile(source.encode(), format="pdf"))).pages[0].extract_text()
    assert " ".join(text.split()) == hostile  # every character printed as written: nothing opened code or markup


def test_paper_tables_too_wide_for_the_line_shrink_their_widest_columns_first():
    from strategy_update.build.typst_writer import LINE, fit

    fitted = fit([17, 60, 8, 8, 50])
    assert sum(fitted) <= LINE and fitted[0] == 17 and fitted[2:4] == [8, 8]  # narrow columns are kept whole
    assert fitted[1] == fitted[4] < 50
    assert fit([10, 10]) == [10, 10]


def test_annex_gives_each_measure_its_source_periods_and_arithmetic():
    """The PDF's annex stands in for the website's notes: every measure with figures, its offence codes and the
    rate's arithmetic, and the pages the PDF leaves to the website named (on paper only)."""
    from conftest import DATA, DEFAULT, PUBLICATIONS
    from strategy_update.core.formatting import format_rate
    from strategy_update.render.annex import TITLE, render_markdown
    from strategy_update.render.view import load_view

    view = load_view("", DEFAULT, "Essex", "2021-22-Q4", DATA, PUBLICATIONS)
    annex = render_markdown(view, ["the back test"])
    assert annex.startswith(f"# {TITLE}\n") and "```{only} not html" in annex and "the back test" in annex
    rows = {line.split("|")[1].strip(): line for line in annex.splitlines() if line.startswith("| ")}
    for strand in STRANDS:
        for figures in view.figures(strand):
            if not figures.available:
                continue
            row = rows.get(f"{strand.name}: {figures.measure.name}")
            assert row, f"{strand.name}: {figures.measure.name} missing from the annex"
            assert all(code in row for code in figures.measure.offence_codes)
            if figures.rate is not None and figures.population:
                assert f"= {format_rate(figures.rate)}" in row
    # The periods are given once, by letter, and each row names its own by those letters.
    key = dict(re.findall(r"^- \*\*([A-Z])\*\*: (.+)$", annex, re.M))
    assert sorted(key.values()) == sorted(set(key.values())), f"a comparison listed twice: {key}"

    def periods(measure: str) -> list[str]:
        return [key[letter] for letter in rows[measure].split("|")[3].strip().split(", ")]
    assert periods("Knife Crime: Possession of an article with a blade or point") == [
        "Apr 2021 to Mar 2022 vs Apr 2020 to Mar 2021", "Apr 2021 to Mar 2022 vs Apr 2019 to Mar 2020",
        "Q4 2021/22 vs Q3 2021/22", "Q4 2021/22 vs Q4 2020/21"]
    # The control chart's limits come from its baseline (the first 12 quarters), not from the whole chart.
    assert "control chart baseline 2017/18 Q1 to 2019/20 Q4: mean 214, limits 135 to 292" in rows[
        "Knife Crime: Possession of an article with a blade or point"]
    # The force's own quarterly counts compare quarters only.
    assert periods("Serious Organised Crime: Firearms recovered by SOCU") == [
        "Q4 2021/22 vs Q3 2021/22", "Q4 2021/22 vs Q4 2020/21"]


# --- the PDF's shaping of charts (build/typst_book.py, render/charts.for_print) -----------------------------
def _bundle(**representations):
    """A notebook output as myst-nb gives it to the builder: one container per representation."""
    import docutils.nodes as nodes

    bundle = nodes.container(nb_element="mime_bundle")
    for mime_type, node in representations.items():
        bundle += nodes.container("", node, mime_type=mime_type.replace("_", "/").replace("svg", "svg+xml"))
    return bundle


def _chart_page():
    """A measure's output as the PDF receives it: its summary, then two charts, each with its description, then
    the seasonal chart (the website's only)."""
    import docutils.nodes as nodes
    from sphinx import addnodes

    def description(text):
        link = addnodes.download_reference("", "Download the chart data (CSV)")
        return nodes.paragraph("", "", nodes.emphasis(text="Chart description:"), nodes.Text(f" {text} "), link)

    def chart(name, alt, web_only=False):
        marked = ' class="web-only"' if web_only else ""
        return _bundle(text_html=nodes.raw("", f'<div role="figure"{marked} aria-label="{alt}"></div>',
                                           format="html"),
                       image_svg=nodes.image(uri=name), text_plain=nodes.literal_block(text=alt))

    summary = "Limits from the baseline 2017/18 Q1 to 2019/20 Q4: mean 214; lower is better for this measure."
    return nodes.container(
        "", nodes.paragraph(text=f"Control chart: {summary}"),
        chart("bar.svg", "Bar chart of knives"), description("Bar chart of knives; the 12 months total 582."),
        chart("spc.svg", "Control chart of knives"), description(f"Control (XmR) chart of knives: {summary}"),
        chart("seasonal.svg", "Seasons of knives", web_only=True),
        nodes.container("", description("Line chart of knives, one line a year."), classes=["web-only"]))


def _paper(document):
    from strategy_update.build.typst_book import PaperDocument

    transform = PaperDocument(document)
    transform.run()
    return document


def test_paper_sets_a_measures_charts_side_by_side_with_their_descriptions_and_alt_text():
    import docutils.nodes as nodes
    from docutils.utils import new_document

    from strategy_update.build.typst_writer import CHART_ROW

    document = new_document("test")
    document += _chart_page()
    _paper(document)
    rows = [n for n in document.findall(nodes.container) if CHART_ROW in n["classes"]]
    assert len(rows) == 1, "the two charts of a measure make one row"
    cells = rows[0].children
    assert [c.children[0]["uri"] for c in cells] == ["bar.svg", "spc.svg"]  # the seasonal chart is the website's
    assert [c.children[0]["alt"] for c in cells] == ["Bar chart of knives", "Control chart of knives"]
    captions = [" ".join(c.children[1].astext().split()) for c in cells]
    assert captions == ["Chart description: Bar chart of knives; the 12 months total 582.",
                        "Chart description: Control (XmR) chart of knives: Limits from the baseline 2017/18 Q1 to "
                        "2019/20 Q4: mean 214; lower is better for this measure."]  # as on the website, less the link
    assert "one line a year" not in document.astext() and "Seasons" not in document.astext()


def test_paper_sets_a_chart_on_its_own_beside_the_text_before_it():
    import docutils.nodes as nodes
    from docutils.utils import new_document

    from strategy_update.build.typst_book import BESIDE
    from strategy_update.build.typst_writer import CHART_ROW, CHART_TEXT

    forecast = nodes.paragraph(text="Forecast: 159 crimes in 2022/23 Q4.")
    document = new_document("test")
    document += nodes.container("", nodes.rubric(text="Trend and forecast"),
                                nodes.paragraph(text="long " * BESIDE),  # too long to go beside the chart
                                forecast, _bundle(image_svg=nodes.image(uri="fan.svg"),
                                                  text_plain=nodes.literal_block(text="Fan chart")),
                                nodes.paragraph(text="Chart description: Line chart of knives with the forecast."))
    _paper(document)
    row = next(n for n in document.findall(nodes.container) if CHART_ROW in n["classes"])
    assert row.children[0]["classes"] == [CHART_TEXT] and row.children[0].astext() == forecast.astext()
    assert row.children[1].children[0]["alt"] == "Fan chart"


def test_paper_leaves_out_a_calculation_note_by_its_class():
    import docutils.nodes as nodes

    from strategy_update.build.typst_book import print_form
    from strategy_update.render.notes import NOTE_TITLE, CalculationNote

    note = CalculationNote(f"{NOTE_TITLE}: rate", "**Formula:** rate = 1 / 2")
    bundle = note._repr_mimebundle_()
    printed = print_form(_bundle(text_html=nodes.raw("", bundle["text/html"], format="html"),
                                 text_plain=nodes.literal_block(text=bundle["text/plain"])))
    assert printed == []
    kept = print_form(_bundle(text_markdown=nodes.paragraph(text="Rate: 0.69"),
                              text_plain=nodes.literal_block(text="<Markdown>")))
    assert [n.astext() for n in kept] == ["Rate: 0.69"]


def test_print_charts_are_drawn_for_half_a_page_and_the_website_chart_is_unchanged():
    from strategy_update.render.charts import PRINT_SIZE, bar_chart, for_print

    labels = [f"20{17 + k // 4}/{18 + k // 4} Q{k % 4 + 1}" for k in range(20)]
    web = bar_chart(labels, list(range(20)), set(labels[-4:]), "Knives: crimes per quarter, 2017/18 Q1 to 2021/22 "
                    "Q4", "crimes", "12 months ending March 2022", "Earlier")
    before = web.to_json()
    paper = for_print(web)
    assert web.to_json() == before, "the website's chart must not change"
    assert (paper.layout.width, paper.layout.height) == (PRINT_SIZE["width"], PRINT_SIZE["height"])
    assert list(paper.layout.xaxis.tickvals) == labels[::4] and paper.layout.xaxis.tickangle == 0
    assert paper.layout.xaxis.ticktext[0] == "2017/18<br>Q1"


def test_a_website_only_build_draws_no_chart_pictures_and_keys_its_pages_apart(tmp_path):
    import plotly.graph_objects as go

    from strategy_update.build.pipeline import notebook_jobs, resolve_edition
    from strategy_update.render.chart_images import figure_bundle

    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 2]))
    assert set(figure_bundle(fig, "Two bars", printed=False)) == {"text/html", "text/plain"}
    # A chart the PDF leaves out (render/web_only.py) is drawn for the website only, and says so by its class.
    web_only = figure_bundle(fig, "Two bars", printed=True, web_only=True)
    assert set(web_only) == {"text/html", "text/plain"} and 'class="web-only"' in web_only["text/html"]
    spec = resolve_edition(None, None, None, data_dir=PATHS.data, publications_dir=PATHS.publications)
    website, paper = (notebook_jobs(ROOT, tmp_path, spec, pdf) for pdf in (False, True))
    sections = [(w, p) for w, p in zip(website, paper) if "section_id" in w.parameters]
    assert sections and all(w.parameters["print_charts"] is False and p.parameters["print_charts"] is True
                            for w, p in sections)  # a PDF build after a website-only one runs the pages again


def test_the_measures_page_says_which_way_is_better_for_every_measure_and_why_for_neither():
    from strategy_update.render.measures_page import render_markdown

    table = shown(render_markdown(PUBLICATION)).split("## Which way is better")[1]
    for _, measure in PUBLICATION.measures:
        row = next(line for line in table.splitlines() if line.startswith("| ") and f"| {measure.name} |" in line)
        assert f"| {measure.direction} |" in row
        if measure.direction == "neither":
            assert measure.direction_reason and measure.direction_reason in row
