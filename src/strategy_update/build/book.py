"""The book of one edition: Jupyter Book configuration and table of contents from the publication, then the
website and PDF built in the edition's work folder."""

from __future__ import annotations

import errno
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from strategy_update.build.interrupt import stop_process_group
from strategy_update.core.errors import BuildError, OperationalError, machine_error, machine_error_in_text
from strategy_update.core.formatting import and_list
from strategy_update.core.markup import UnknownLabel, fill_labels
from strategy_update.inputs.definition import display_path
from strategy_update.model.publication import Publication, Section
from strategy_update.render.web_only import WEB_ONLY_PAGES

PEER_PAGE = "peer-table"  # written by the build when the publication has a comparison-group table
ANNEX_PAGE = "calculations"  # written by the build: each figure's arithmetic, printed in place of the notes
GROUP_FOLDER = "groups"  # the PDF's chapter openings, one per top-level section (e.g. a theme)
OTHER_FORCES_PAGES = "other-forces"  # pages/other-forces/: a publication's pages as another force's edition has them
# Audit appendices the PDF leaves to the website (declared in render/web_only.py); the annex names them.
WEB_ONLY_APPENDICES = WEB_ONLY_PAGES

# --- the book ----------------------------------------------------------------------------------------
def _write_if_changed(path: Path, data: bytes) -> None:
    """Unchanged files keep their time stamp, so Sphinx does not read them again."""
    if not path.exists() or path.read_bytes() != data:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


READINESS_PAGE = "readiness"  # the reviewer's edition only: what was in, missing or wrong (`strategy-update check`)


def toc_for(publication: Publication, reviewer: bool = False) -> dict:
    """The book's table of contents, derived from the definition: one part per top-level section; the reviewer's
    edition also lists the readiness of the quarter's inputs."""
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
    parts.append({"caption": "Appendices", "chapters": _appendices(publication)
                  + ([{"file": f"appendix/{READINESS_PAGE}"}] if reviewer else [])})
    return {"format": "jb-book", "root": "index", "parts": parts}


def _appendices(publication: Publication, paper: bool = False) -> list[dict]:
    """The appendices: the shared pages, the annex of calculations, then the publication's own; on paper without
    the audit pages the website keeps."""
    return ([{"file": f"book/{name}"} for name in publication.shared_pages
             if not (paper and name in WEB_ONLY_APPENDICES)] + [{"file": f"appendix/{ANNEX_PAGE}"}]
            + [{"file": f"appendix/{page}"} for page in publication.appendices
               if not (paper and page in WEB_ONLY_APPENDICES)])


def pdf_toc_for(publication: Publication) -> dict:
    """The PDF's contents: the website's pages, numbered as a board paper is (themes as chapters, their strands as
    sections: 3.1, 3.2...). Parts would print as near-blank pages, so the PDF has chapters only."""
    chapters = [{"file": f"book/{name}"} for name in publication.pages_before]
    if publication.peer_group_label:
        chapters.append({"file": f"computed/{PEER_PAGE}"})
    folder = publication.section_folder
    for group, leaves in publication.groups:
        sections = [{"file": f"{folder}/{s.id}"} for s in leaves]
        if group is None:  # one level: each section is a chapter of its own
            chapters += sections
        else:
            chapters.append({"file": f"{GROUP_FOLDER}/{group.id}", "sections": sections})
    return {"format": "jb-book", "root": "index", "chapters": chapters + _appendices(publication, paper=True)}


def group_page(publication: Publication, group: Section, leaves: list[Section], whose: str = "",
               labels: dict[str, str] | None = None) -> str:
    """A PDF chapter's opening: the group's name and what it holds (its aim when the definition gives one; in
    another force's edition labelled with ``whose`` it is: ``Publication.whose_aims``)."""
    names = [leaf.name for leaf in leaves]
    listed = and_list(names)
    level = publication.leaf_level
    text = f"# {group.name}\n\n"
    if group.aim:
        text += f"**Aim{f' ({whose})' if whose else ''}:** {group.aim.format(**(labels or {}))}\n\n"
    return text + (f"This {publication.levels[0].name.lower()} has {len(names)} "
                   f"{level.name.lower() if len(names) == 1 else level.plural.lower()}: {listed}.\n")


def toc_text(publication: Publication, reviewer: bool = False) -> str:
    header = ("# Generated from the default edition's publication definition by `strategy-update toc`; do not edit.\n"
              "# Each edition's own table of contents is generated into its work folder.\n")
    return header + yaml.safe_dump(toc_for(publication, reviewer), sort_keys=False)


def page_source(publication: Publication, page: str, owners_edition: bool = True) -> Path:
    """A publication's hand-written page (``pages/<page>.md``). Its pages speak for the force that owns it: its
    areas, its reports, its comparison group. Another force's edition takes the page written for any force,
    ``pages/other-forces/<page>.md``, where the publication has one."""
    other = publication.folder / "pages" / OTHER_FORCES_PAGES / f"{page}.md"
    if not owners_edition and other.exists():
        return other
    return publication.folder / "pages" / f"{page}.md"


def sync_sources(root: Path, work: Path, publication: Publication, title: str, author: str, *,
                 labels: dict[str, str], reviewer: bool = False, whose: str = "") -> None:
    """Hand-written pages (the project's shared ones and the publication's own) and configuration into the work
    folder, with the edition's title and audience (a reviewer's edition keeps the code toggles and downloads).
    ``whose``: in another force's edition, whose the aims are (``Publication.whose_aims``); such an edition also
    takes the publication's pages written for any force (``page_source``)."""
    sources = {page: root / "book" / f"{page}.md" for page in publication.shared_pages}
    sources |= {page: page_source(publication, page, not whose) for page in publication.pages_before}
    for page, source in sources.items():
        _write_if_changed(work / "book" / f"{page}.md", _page_text(source, labels, not whose).encode())
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["title"], config["author"] = title, author
    config.setdefault("sphinx", {}).setdefault("config", {})["strategy_update_reviewer"] = reviewer
    _write_if_changed(work / "_config.yml", yaml.safe_dump(config, sort_keys=False).encode())
    _write_if_changed(work / "_toc.yml", toc_text(publication, reviewer).encode())
    for group, leaves in publication.groups:
        if group is not None:
            _write_if_changed(work / GROUP_FOLDER / f"{group.id}.md", group_page(publication, group, leaves,
                                                                                whose, labels).encode())
    _write_if_changed(work / "_toc_pdf.yml", yaml.safe_dump(pdf_toc_for(publication), sort_keys=False).encode())
    pdf_config = dict(config)
    # The PDF has no code: hidden inputs stay hidden (the HTML toggle does not exist on paper).
    pdf_config["sphinx"] = {**config.get("sphinx", {}),
                            "config": {**config.get("sphinx", {}).get("config", {}), "nb_remove_code_source": True}}
    _write_if_changed(work / "_config_pdf.yml", yaml.safe_dump(pdf_config, sort_keys=False).encode())
    copy_static(root, work)


OWNER_ONLY, END_OWNER_ONLY = "% owner only", "% end owner only"  # lines around what only the owner's edition says


def owners_lines(text: str, owners_edition: bool) -> str:
    """A shared page's lines between ``% owner only`` and ``% end owner only`` (the owner's areas, partnerships,
    sources) kept in the owner's edition and left out of every other force's; the marker lines go either way."""
    out, inside = [], False
    for number, line in enumerate(text.split("\n"), start=1):
        marker = line.strip()
        if marker in (OWNER_ONLY, END_OWNER_ONLY):
            if inside == (marker == OWNER_ONLY):
                raise ValueError(f"line {number}: '{marker}' " + ("inside another owner-only block" if inside
                                                                 else "with no '% owner only' before it"))
            inside = marker == OWNER_ONLY
            continue
        if owners_edition or not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{OWNER_ONLY}' is never closed by '{END_OWNER_ONLY}'")
    return "\n".join(out)


def _page_text(source: Path, labels: dict[str, str], owners_edition: bool = True) -> str:
    """A hand-written page for the edition: its owner-only lines kept or left out (``owners_lines``), and its
    labels filled in (``{{ twelve_months }}``, ``{{ force }}``: model.period_labels), so that its examples follow
    the quarter and force built."""
    try:
        return fill_labels(owners_lines(source.read_text(encoding="utf-8"), owners_edition), labels)
    except (UnknownLabel, ValueError) as exc:
        raise BuildError(f"{display_path(source)}: {exc}") from None


def copy_static(root: Path, work: Path) -> None:
    """The site's static files into a book's work folder: plotly.js once for the whole site (instead of ~4.8 MB
    embedded in every page), and the project's stylesheet and icon."""
    import plotly

    plotly_js = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    _write_if_changed(work / "_static" / "plotly.min.js", plotly_js.read_bytes())
    for asset in (root / "_static").glob("*"):
        _write_if_changed(work / "_static" / asset.name, asset.read_bytes())


def _jupyter_book(args: list[str], log_file: Path, warm=None, output: Path | None = None,
                  doing: str = "building the book") -> None:
    """``jupyter-book build ARGS``, its output in ``log_file``; in a ``warm_book.WarmBook`` when one is given. A
    build that failed for want of disk space or permission (its log says so) is an OperationalError naming it, and
    its half-written ``output`` folder is removed."""
    returncode = warm.build(args, log_file) if warm is not None else _jupyter_book_process(args, log_file)
    if returncode != 0:
        try:
            log = log_file.read_text(encoding="utf-8", errors="replace")
        except OSError:
            log = ""
        problem = machine_error_in_text(log, doing) or _disk_full(log_file.parent, doing)
        if problem is not None:
            if output is not None:
                shutil.rmtree(output, ignore_errors=True)
            raise problem from None
        tail = log.splitlines()[-15:]
        raise BuildError("jupyter-book failed:\n" + "\n".join(tail) + f"\n(full log: {log_file})")


FULL_DISK_BYTES = 1 << 20  # a disk with less free space than this is full, for a build (one page is more)


def _disk_full(folder: Path, doing: str) -> OperationalError | None:
    """A disk too full to hold even the log of the build that failed on it."""
    try:
        full = shutil.disk_usage(folder).free < FULL_DISK_BYTES
    except OSError:
        return None
    return machine_error(OSError(errno.ENOSPC, "No space left on device", str(folder)), doing) if full else None


def _jupyter_book_process(args: list[str], log_file: Path) -> int:
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", *args]
    with open(log_file, "w", encoding="utf-8") as log:
        # A session of its own: on Ctrl-C or SIGTERM (or a failure here) the build stops jupyter-book together with
        # anything it runs (subprocess.run alone would kill jupyter-book and orphan its children).
        try:
            process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        except FileNotFoundError:
            raise OperationalError(f"jupyter-book is missing ({command[0]}): run `make setup`") from None
        try:
            return process.wait()
        except BaseException:
            stop_process_group(process)
            raise


def build_book(work: Path, pdf: bool, log=print, warm=None) -> tuple[Path, Path | None]:
    """Jupyter Book in the work folder; Sphinx rereads only pages whose source changed. ``warm``: a
    ``warm_book.WarmBook`` to build in (the preview keeps one)."""
    log("Building the website (Jupyter Book)...")
    _jupyter_book([str(work), "--builder", "html", "-q"], work / "html.log", warm, work / "_build",
                  "building the website")
    html = work / "_build" / "html"
    pdf_file = None
    if pdf:
        log("Building the PDF (Jupyter Book + Typst)...")
        out = work / "_pdf"
        _jupyter_book([str(work), "--builder", "custom", "--custom-builder", "typst", "--config",
                       str(work / "_config_pdf.yml"), "--toc", str(work / "_toc_pdf.yml"), "--path-output", str(out),
                       "-q"], work / "pdf.log", warm, out, "building the PDF")
        pdf_file = out / "_build" / "typst" / "update.pdf"
        if not pdf_file.exists():
            raise BuildError(f"the PDF was not produced (see {work / 'pdf.log'})")
    return html, pdf_file



def check_pdf(work: Path, html: Path, pdf_file: Path) -> None:
    """The built PDF against the website (build/fidelity.py: every word of the web pages it contains, in order) and
    the print layout rules (build/print_layout.py). BuildError listing every problem: the edition is not
    published."""
    from strategy_update.build.fidelity import fidelity_problems
    from strategy_update.build.pdf_reading import printed
    from strategy_update.build.print_layout import layout_problems
    from strategy_update.build.typst_book import text_area

    pdf = printed(pdf_file)
    lost, layout = fidelity_problems(work, html, pdf, text_area()), layout_problems(pdf, text_area())
    lines = ((["the PDF leaves out words the website shows:"] + [f"  {line}" for line in lost] if lost else [])
             + (["the PDF breaks the print layout rules:"] + [f"  {line}" for line in layout] if layout else []))
    if lines:
        raise BuildError("the PDF's checks failed, so the edition was not published:\n" + "\n".join(lines))
