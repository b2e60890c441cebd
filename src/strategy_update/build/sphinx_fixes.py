"""Five fixes to the HTML that Jupyter Book 1 writes, and the edition's audience, loaded as a Sphinx extension by
_config.yml.

1. Code toggles: myst-nb names every "Show code cell source" toggle "Toggle hidden content" (an aria-label),
   so the name a screen reader or voice-control user hears differs from the visible text (WCAG 2.5.3 label in
   name). Without the aria-label the visible text is the name.
2. Inline scripts: Sphinx 7.4 lists inline scripts that extensions add after the builder started twice; sphinx-
   thebe's ``const THEBE_JS_URL`` then throws "Identifier 'THEBE_JS_URL' has already been declared" on every
   page. Each page keeps the first of each script.
3. plotly.js (4.8 MB, listed for every page by ``html_js_files``) is kept only on pages that draw a chart: the
   front page, the hand-written pages and the appendices no longer download and compile it.
4. Phone menu: pydata-sphinx-theme 0.17 wires only the first ``.primary-toggle`` (and ``.secondary-toggle``) of
   a page, its own hidden header button, so sphinx-book-theme's visible menu buttons do nothing and a phone
   cannot open the site navigation (pydata-sphinx-theme issue 2451). Their clicks are passed on.

5. Tables carry a ``col-<heading>`` class for each column heading, so custom.css can lay out a kind of table
   for a phone (the front page's status table as one block per row).

Audience (``strategy_update_reviewer``, set by the build): the public edition reads as a board paper, so it has
no code (myst-nb drops the source of every code cell, as in the PDF), no page sources and no download button for
them; a reviewer's edition keeps the "Show code cell source" toggles and the .ipynb and source downloads.
"""

from __future__ import annotations

import re
from html import escape

from docutils import nodes

TOGGLES_JS = """document.addEventListener("DOMContentLoaded", () => {
  for (const side of ["primary", "secondary"]) {
    const wired = document.querySelector(`.${side}-toggle`);
    document.querySelectorAll(`.${side}-toggle`).forEach(button => {
      if (button !== wired) button.addEventListener("click", event => { event.preventDefault(); wired.click(); });
    });
  }
});"""


def visit_hide_cell_input(self, node) -> None:
    """myst-nb's toggle for a hidden code cell, less its aria-label."""
    classes = " ".join(node["classes"])
    self.body.append(f'<details class="admonition hide {classes}">\n<summary>\n')
    self.body.append(f'<p class="collapsed admonition-title">{escape(node["prompt_show"])}</p>\n')
    self.body.append(f'<p class="expanded admonition-title">{escape(node["prompt_hide"])}</p>\n')
    self.body.append("</summary>\n")


REVIEWER = "strategy_update_reviewer"
SOURCE_DOWNLOADS = {"download-notebook-button", "download-source-button"}


def set_audience(app, config) -> None:
    """The public edition: no code cell source on any page and no copies of the page sources to download."""
    if not config[REVIEWER]:
        config.nb_remove_code_source = True
        config.html_copy_source = False


def public_header_buttons(buttons: list[dict]) -> list[dict]:
    """The header buttons less the .ipynb and source downloads (printing the page stays)."""
    kept = []
    for button in buttons:
        if button.get("label") in SOURCE_DOWNLOADS:
            continue
        if button.get("buttons") is not None:
            button = {**button, "buttons": public_header_buttons(button["buttons"])}
            if not button["buttons"]:
                continue
        kept.append(button)
    return kept


def page_buttons(app, pagename, templatename, context, doctree) -> None:
    if not app.config[REVIEWER] and "header_buttons" in context:
        context["header_buttons"] = public_header_buttons(context["header_buttons"])


def column_classes(headers: list[str]) -> list[str]:
    """``col-<header>`` for each column heading ("% change" -> ``col-change``), so the stylesheet can lay out a
    kind of table for phones (custom.css) without the pages marking their tables."""
    slugs = (re.sub(r"[^a-z0-9]+", "-", h.lower()).strip("-") for h in headers)
    return [f"col-{slug}" for slug in dict.fromkeys(slugs) if slug]


def mark_table_columns(app, doctree, docname) -> None:
    if app.builder.format != "html":
        return
    for table in doctree.findall(nodes.table):
        head = next(table.findall(nodes.thead), None)
        if head is not None:
            row = next(head.findall(nodes.row), None)
            if row is not None:
                table["classes"] += column_classes([entry.astext() for entry in row.children])


def page_scripts(app, pagename, templatename, context, doctree) -> None:
    charts = "Plotly.newPlot(" in context.get("body", "")
    seen, scripts = set(), []
    for script in context.get("script_files", []):
        key = (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))
        if key in seen or (not charts and (script.filename or "").endswith("plotly.min.js")):
            continue
        seen.add(key)
        scripts.append(script)
    context["script_files"] = scripts


def setup(app):
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput

    app.setup_extension("myst_nb")
    app.add_node(HideCodeCellNode, override=True, html=(visit_hide_cell_input, depart_HideCellInput))
    app.add_config_value(REVIEWER, False, "env", types=[bool])
    app.connect("config-inited", set_audience)
    app.connect("doctree-resolved", mark_table_columns)
    app.connect("html-page-context", page_scripts)
    app.connect("html-page-context", page_buttons, priority=900)  # after the theme added its buttons
    app.add_js_file(None, body=TOGGLES_JS)
    # Bump env_version when this module changes: Sphinx then rewrites every page in an incremental build.
    return {"env_version": 3, "parallel_read_safe": True, "parallel_write_safe": True}
