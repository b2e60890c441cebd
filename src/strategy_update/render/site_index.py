"""The output folder's front door: ``<out>/index.html`` lists every edition published under it (and each national
index), grouped by publication, newest quarter first. A plain, accessible HTML page with no scripts, rewritten
after every build from what is on disk, so it never lists an edition that is not there."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape, unescape
from pathlib import Path

from strategy_update.build.revisions import read_history
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter

NATIONAL = "national"  # the force-slug folder that holds a publication's national index
TITLE = "Published editions"


@dataclass(frozen=True)
class Published:
    publication: str  # its id (the folder's name)
    slug: str  # a force's slug, or NATIONAL
    quarter: Quarter
    title: str  # the edition's site title, as its front page gives it
    link: str  # its front page, relative to the output folder
    built: datetime
    revisions: tuple = ()  # its corrections (build/revisions.Version), oldest first

    @property
    def revisions_text(self) -> str:
        """``None``, or each correction: ``version 2, 8 December 2026: the reason``."""
        return "; ".join(f"version {v.number}, {v.published_label}: {v.reason}" for v in self.revisions) or "None"

    @property
    def national(self) -> bool:
        return self.slug == NATIONAL


def site_title(page: Path) -> str:
    """The book's title from a front page's ``<title>`` ("<page> — <book>"); the page's alone when it has no book
    title; '' when unreadable."""
    try:
        found = re.search(r"<title>(.*?)</title>", page.read_text(encoding="utf-8", errors="replace"), re.S)
    except OSError:
        return ""
    if not found:
        return ""
    title = " ".join(unescape(found.group(1)).split())
    return title.rsplit(" \u2014 ", 1)[-1]


def published_editions(out_dir: Path) -> list[Published]:
    """Every ``<publication>/<force-slug or national>/<quarter>/html/index.html`` under ``out_dir``; work, staging
    and other folders (names starting with a dot, or not a quarter) are not editions."""
    found = []
    for page in sorted(out_dir.glob("*/*/*/html/index.html")):
        publication, slug, quarter_id = page.relative_to(out_dir).parts[:3]
        if any(part.startswith(".") for part in (publication, slug, quarter_id)):
            continue
        try:
            quarter = parse_quarter(quarter_id)
        except QuarterError:
            continue
        built = datetime.fromtimestamp(page.stat().st_mtime, UTC)
        try:
            corrections = tuple(read_history(page.parents[1] / "data")[1:])
        except (OSError, ValueError, TypeError, KeyError):  # a history it cannot read: the edition is still listed
            corrections = ()
        found.append(Published(publication, slug, quarter, site_title(page) or f"{slug} {quarter.short_label}",
                               page.relative_to(out_dir).as_posix(), built, corrections))
    return found


def force_names() -> dict[str, str]:
    """slug -> the force's name as the ONS population table writes it ("Devon and Cornwall"); empty when the
    project's data cannot be read (the slug is then shown, in words)."""
    from strategy_update.build.pipeline import known_forces, project_root
    from strategy_update.core.errors import BuildError
    from strategy_update.inputs.paths import InputPaths
    from strategy_update.model.forces import force_slug

    try:
        root = project_root()
    except BuildError:
        return {}
    return {force_slug(name): name for name in known_forces(InputPaths(root / "data", root / "publications", "", ""))
            or []}


def _name(edition: Published, names: dict[str, str]) -> str:
    if edition.national:
        return "All forces (national index)"
    return names.get(edition.slug, edition.slug.replace("-", " ").capitalize())


def publication_title(publication: str) -> str:
    """The publication's title from its definition in the project (``publications/<id>/publication.yml``), or its
    id when the project or the definition cannot be read (an output folder copied elsewhere)."""
    import yaml

    from strategy_update.build.pipeline import project_root
    from strategy_update.core.errors import BuildError

    try:
        definition = project_root() / "publications" / publication / "publication.yml"
        title = yaml.safe_load(definition.read_text(encoding="utf-8")).get("title")
    except (BuildError, OSError, yaml.YAMLError, AttributeError):
        return publication
    return str(title) if title else publication


def _publication_table(publication: str, editions: list[Published], names: dict[str, str]) -> str:
    # Newest quarter first; within a quarter the national index, then the forces by name.
    ordered = sorted(editions, key=lambda e: (-e.quarter.index, not e.national, e.slug))
    rows = "\n".join(
        f"<tr><th scope=\"row\">{escape(e.quarter.short_label)}</th><td>{escape(_name(e, names))}</td>"
        f"<td><a href=\"{escape(e.link)}\">{escape(e.title)}</a></td>"
        f"<td>{e.built.day} {e.built:%B %Y}, {e.built:%H:%M} UTC</td><td>{escape(e.revisions_text)}</td></tr>"
        for e in ordered)
    return (f"<section aria-labelledby=\"{escape(publication)}\">\n<h2 id=\"{escape(publication)}\">"
            f"{escape(publication_title(publication))}</h2>\n<div class=\"scroll\" tabindex=\"0\" role=\"region\" "
            f"aria-label=\"Editions of {escape(publication_title(publication))}\">\n<table>\n"
            f"<caption>Editions of {escape(publication_title(publication))}, newest quarter first</caption>\n"
            "<thead><tr><th scope=\"col\">Quarter</th><th scope=\"col\">Force</th><th scope=\"col\">Edition</th>"
            f"<th scope=\"col\">Built</th><th scope=\"col\">Corrections</th></tr></thead>\n<tbody>\n{rows}\n"
            "</tbody>\n</table>\n</div>\n</section>")


STYLE = """body { font-family: Arial, Helvetica, sans-serif; color: #0B0C0C; max-width: 60rem; margin: 0 auto;
  padding: 1rem; line-height: 1.5; }
a { color: #12436D; } a:focus-visible { outline: 3px solid #12436D; outline-offset: 2px; }
.scroll { overflow-x: auto; } .scroll:focus-visible { outline: 3px solid #12436D; }
table { border-collapse: collapse; width: 100%; } caption { text-align: left; font-weight: bold; padding: 0.5rem 0; }
th, td { text-align: left; vertical-align: top; padding: 0.4rem 0.6rem; border-bottom: 1px solid #B1B4B6; }"""


def site_index_html(editions: list[Published], sweep_report: bool = False) -> str:
    by_publication: dict[str, list[Published]] = {}
    for edition in editions:
        by_publication.setdefault(edition.publication, []).append(edition)
    count = len(editions)
    lead = (f"{count} edition{'s' if count != 1 else ''} published here, grouped by publication, newest quarter "
            "first. Each links to its website." if count else "No edition has been published here yet.")
    names = force_names() if editions else {}
    sections = "\n".join(_publication_table(p, by_publication[p], names) for p in sorted(by_publication))
    return (f"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            # An empty icon: without one the browser asks for /favicon.ico and logs a 404.
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            f"<link rel=\"icon\" href=\"data:,\">\n<title>{TITLE}</title>\n"
            f"<style>\n{STYLE}\n</style>\n</head>\n<body>\n<main>\n<h1>{TITLE}</h1>\n<p>{escape(lead)}</p>\n"
            + ("<p>The <a href=\"sweep/index.html\">sweep report</a> says which editions of a stated set of "
               "publications, quarters and forces built, which failed, and why.</p>\n" if sweep_report else "")
            + f"{sections}\n</main>\n</body>\n</html>\n")


def write_site_index(out_dir: Path) -> Path:
    """<out_dir>/index.html: every edition published under out_dir
    (<publication>/<force-slug>/<quarter>/html/index.html, and each national index
    <publication>/national/<quarter>/html/index.html), grouped by publication, newest quarter first, with links; an
    accessible plain HTML page (lang, title, headings, a table with a caption). Rewritten after every build."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    fresh = path.with_suffix(".html.new")
    fresh.write_text(site_index_html(published_editions(out_dir), (out_dir / "sweep" / "index.html").exists()),
                     encoding="utf-8")
    fresh.replace(path)  # a reader never gets half a page
    return path
