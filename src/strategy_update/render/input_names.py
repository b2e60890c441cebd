"""Inputs named for readers by what they are ("the force's delivery tracker for Q4 2021/22"), not by where they
sit in the repository: the public edition is read by people who never see the repository."""

from __future__ import annotations

from pathlib import PurePosixPath

from strategy_update.core.markup import literal
from strategy_update.core.periods import QuarterError, parse_quarter

# Shared open data, by the start of its file name (data/raw/SOURCES.md describes each).
OPEN_DATA = {
    "prc-pfa-open-data-tables": "the Home Office police recorded crime open data tables",
    "police-workforce": "the Home Office police workforce open data",
    "pfa-population": "the ONS mid-year population estimates for police force areas",
}


def _quarter(stem: str) -> str:
    try:
        return parse_quarter(stem).short_label
    except QuarterError:
        return stem


def input_label(path: str | PurePosixPath, measure: str = "") -> str:
    """What an input file is, in words, as literal Markdown text (a file's name is the input's, not ours);
    ``measure`` names the measure a force extract holds."""
    return literal(_words(path, measure))


def _words(path: str | PurePosixPath, measure: str) -> str:
    file = PurePosixPath(str(path).replace("\\", "/"))
    for prefix, name in OPEN_DATA.items():
        if file.name.startswith(prefix):
            return name
    folder = file.parent.name
    # Folders of inputs, as the data quality page's list of checks names them.
    if folder == "narrative":
        return f"the leads' narratives for {_quarter(file.name)}"
    if file.name == "force-extracts":
        return "the force's own figures"
    if file.name == "publication.yml":
        return "the publication's definition"
    if folder == "board":
        return f"the force's board paper inputs for {_quarter(file.stem)}"
    if folder == "delivery":
        return f"the force's delivery tracker for {_quarter(file.stem)}"
    if folder == "force-extracts":
        return f"the force's own figures for {measure or file.stem.replace('-', ' ')}"
    if file.parent.parent.name == "narrative":
        return f"the lead's narrative for {_quarter(folder)}"
    if file.name == "most-similar-group.csv":
        return "the force's list of most similar forces"
    return f"the input file {file.name}"
