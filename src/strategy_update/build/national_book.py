"""The national index as a small Jupyter Book: its two pages written as Markdown (no kernel: every figure is in
the national results table already), built with the editions' configuration and theme (HTML only), and published
atomically to ``<out>/<publication>/national/<quarter>/html``."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import yaml

from strategy_update.build.book import _write_if_changed, build_book, copy_static
from strategy_update.build.publish import publish_folder
from strategy_update.core.periods import Quarter
from strategy_update.model.publication import Publication
from strategy_update.render.downloads import integers_as_integers
from strategy_update.render.national_page import SUMMARY_PAGE, EditionEntry, index_markdown, summary_markdown

CHART_CSV = "downloads/national-tile-grid.csv"
STYLESHEET = "national.css"
# The index's tables are wider than a phone and scroll in their box: a caption centred over the whole width would
# start off screen, so captions start at the left, where the reader is.
NATIONAL_CSS = ".bd-article table caption { text-align: left; }\n"


def national_config(root: Path, title: str) -> dict:
    """The project's _config.yml with the index's title; the edition-only settings (PDF) are left as they are,
    since only the website is built."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["title"] = title
    sphinx = config.setdefault("sphinx", {}).setdefault("config", {})
    sphinx["strategy_update_reviewer"] = False
    sphinx["html_css_files"] = [*sphinx.get("html_css_files", []), STYLESHEET]
    return config


def national_toc() -> dict:
    return {"format": "jb-book", "root": "index", "chapters": [{"file": SUMMARY_PAGE}]}


def england_and_wales_forces(data_dir: Path, publication: Publication) -> int | None:
    """How many forces the ONS population table has (None when it cannot be read): totals over all of them are
    England and Wales's."""
    from strategy_update.build.pipeline import known_forces
    from strategy_update.inputs.paths import InputPaths

    forces = known_forces(InputPaths(data_dir, publication.folder.parent, publication.id, ""))
    return len(forces) if forces else None


def write_national_sources(root: Path, work: Path, publication: Publication, quarter: Quarter, results: pd.DataFrame,
                           editions: list[EditionEntry], built_at: datetime, all_forces: int | None,
                           sweep_report: bool = False) -> None:
    """The pages, their chart data, configuration, contents and static files into ``work`` (unchanged files keep
    their time stamps, so Sphinx rereads only what changed)."""
    title = f"{publication.short_title}: every force, {quarter.short_label}"
    _write_if_changed(work / "_config.yml", yaml.safe_dump(national_config(root, title), sort_keys=False).encode())
    _write_if_changed(work / "_toc.yml", yaml.safe_dump(national_toc(), sort_keys=False).encode())
    _write_if_changed(work / "index.md",
                      index_markdown(publication, results, editions, quarter.short_label, built_at,
                                     sweep_report).encode())
    summary, chart_data = summary_markdown(publication, results, editions, quarter.short_label, built_at,
                                           all_forces, CHART_CSV, forecast_record(results, editions))
    _write_if_changed(work / f"{SUMMARY_PAGE}.md", summary.encode())
    _write_if_changed(work / CHART_CSV,
                      integers_as_integers(chart_data).to_csv(index=False, lineterminator="\n").encode())
    copy_static(root, work)  # plotly.js once (the edition's html_js_files names it), the stylesheet and icon
    _write_if_changed(work / "_static" / STYLESHEET, NATIONAL_CSS.encode())


def forecast_record(results: pd.DataFrame, editions: list[EditionEntry]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forecasts' track record of the built editions, per measure and over every measure, computed here in the
    national run (``compute/track_record.py``) for the summary page to write."""
    from strategy_update.compute.track_record import COLUMNS, track_record

    if results.empty:
        return pd.DataFrame(columns=["section", "measure", *COLUMNS]), pd.DataFrame(columns=COLUMNS)
    built = results[results["force"].isin({e.force for e in editions if e.built})]
    return track_record(built, ["section", "measure"]), track_record(built)


def publish_site(html: Path, target: Path) -> None:
    """``html`` to ``target``/html, swapped into place whole: a failed build never leaves half a site."""
    publish_folder(target / "html", lambda ready: shutil.copytree(html, ready, dirs_exist_ok=True))


def build_national_book(root: Path, work: Path, publication: Publication, quarter: Quarter, results: pd.DataFrame,
                        editions: list[EditionEntry], target: Path, data_dir: Path | None = None,
                        log=print, sweep_report: bool = False) -> Path:
    """Write the national index's pages into `work` and build them with Jupyter Book (HTML only); publish the site to
    `target` (= <out>/<publication>/national/<quarter>/, site in target/"html"); return target/"html"/"index.html".
    ``data_dir``: the data folder the editions were built from (default: the project's)."""
    work.mkdir(parents=True, exist_ok=True)
    built_at = datetime.now(UTC)
    write_national_sources(root, work, publication, quarter, results, editions, built_at,
                           england_and_wales_forces(data_dir or root / "data", publication), sweep_report)
    html, _ = build_book(work, pdf=False, log=log)
    publish_site(html, target)
    log(f"Published the national index: {target / 'html' / 'index.html'}")
    return target / "html" / "index.html"
