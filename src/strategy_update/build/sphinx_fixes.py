"""Four fixes to the HTML that Jupyter Book 1 writes, loaded as a Sphinx extension by _config.yml.

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
"""

from __future__ import annotations

from html import escape


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
    app.connect("html-page-context", page_scripts)
    app.add_js_file(None, body=TOGGLES_JS)
    # Bump env_version when this module changes: Sphinx then rewrites every page in an incremental build.
    return {"env_version": 1, "parallel_read_safe": True, "parallel_write_safe": True}
