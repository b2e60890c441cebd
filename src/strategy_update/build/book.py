"""The book of one edition: Jupyter Book configuration and table of contents from the publication, then the
website and PDF built in the edition's work folder."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from strategy_update.core.errors import BuildError
from strategy_update.model.publication import Publication

PEER_PAGE = "peer-table"  # written by the build when the publication has a comparison-group table

# --- the book ----------------------------------------------------------------------------------------
def _write_if_changed(path: Path, data: bytes) -> None:
    """Unchanged files keep their time stamp, so Sphinx does not read them again."""
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def toc_for(publication: Publication) -> dict:
    """The book's table of contents, derived from the definition: one part per top-level section."""
    parts = []
    if publication.pages_before:
        parts.append({"caption": "About this update",
                      "chapters": [{"file": f"book/{name}"} for name in publication.pages_before]})
    if publication.peer_group_label:
        parts.append({"caption": "Comparison with similar forces", "chapters": [{"file": f"computed/{PEER_PAGE}"}]})
    folder = publication.section_folder
    for group, leaves in publication.groups:
        parts.append({"caption": group.name if group else publication.leaf_level.plural,
                      "chapters": [{"file": f"{folder}/{s.id}"} for s in leaves]})
    parts.append({"caption": "Appendices", "chapters": [{"file": f"book/{name}"} for name in publication.shared_pages]
                  + [{"file": f"appendix/{page}"} for page in publication.appendices]})
    return {"format": "jb-book", "root": "index", "parts": parts}


def toc_text(publication: Publication) -> str:
    header = ("# Generated from the default edition's publication definition by `strategy-update toc`; do not edit.\n"
              "# Each edition's own table of contents is generated into its work folder.\n")
    return header + yaml.safe_dump(toc_for(publication), sort_keys=False)


def sync_sources(root: Path, work: Path, publication: Publication, title: str, author: str) -> None:
    """Hand-written pages (the project's shared ones and the publication's own) and configuration into the work
    folder, with the edition's title."""
    for page in publication.shared_pages:
        _write_if_changed(work / "book" / f"{page}.md", (root / "book" / f"{page}.md").read_bytes())
    for page in publication.pages_before:
        _write_if_changed(work / "book" / f"{page}.md", (publication.folder / "pages" / f"{page}.md").read_bytes())
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["title"], config["author"] = title, author
    _write_if_changed(work / "_config.yml", yaml.safe_dump(config, sort_keys=False).encode())
    _write_if_changed(work / "_toc.yml", toc_text(publication).encode())
    pdf_config = dict(config)
    pdf_config["sphinx"] = {**config.get("sphinx", {}),
                            "config": {**config.get("sphinx", {}).get("config", {}), "nb_remove_code_source": True}}
    # The PDF has no code: hidden inputs stay hidden (the HTML toggle does not exist on paper).
    _write_if_changed(work / "_config_pdf.yml", yaml.safe_dump(pdf_config, sort_keys=False).encode())
    import plotly

    # plotly.js once for the whole site, instead of ~4.8 MB embedded in every page.
    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    _write_if_changed(work / "_static" / "plotly.min.js", plotly_js.read_bytes())
    for asset in (root / "_static").glob("*"):
        _write_if_changed(work / "_static" / asset.name, asset.read_bytes())


def _jupyter_book(args: list[str], log_file: Path) -> None:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", *args]
    with open(log_file, "w", encoding="utf-8") as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-15:]
        raise BuildError("jupyter-book failed:\n" + "\n".join(tail) + f"\n(full log: {log_file})")


def build_book(work: Path, pdf: bool, log=print) -> tuple[Path, Path | None]:
    """Jupyter Book in the work folder; Sphinx rereads only pages whose source changed."""
    log("Building the website (Jupyter Book)...")
    _jupyter_book([str(work), "--builder", "html", "-q"], work / "html.log")
    html = work / "_build" / "html"
    pdf_file = None
    if pdf:
        if not shutil.which("xelatex") or not shutil.which("latexmk"):
            raise BuildError("the PDF needs TeX Live (xelatex, latexmk): run `make setup` or build with --no-pdf")
        log("Building the PDF (Jupyter Book + LaTeX)...")
        out = work / "_pdf"
        _jupyter_book([str(work), "--builder", "pdflatex", "--config", str(work / "_config_pdf.yml"),
                       "--path-output", str(out), "-q"], work / "pdf.log")
        pdfs = sorted((out / "_build" / "latex").glob("*.pdf"))
        if not pdfs:
            raise BuildError(f"the PDF was not produced (see {work / 'pdf.log'})")
        pdf_file = pdfs[0]
    return html, pdf_file

