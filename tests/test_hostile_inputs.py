"""Hostile text in an input is published as the text it is (issue 33): a Jinja expression in a narrative or a board
paper is not evaluated, a line that MyST would read as markup stays a line of text, and a force extract's ``source``
cannot put HTML or a link on a page.

The corpus is tests/hostile_inputs/<case>/ (README.md there): each case replaces one input of the default edition.
Unlike tests/bad_inputs/, these inputs are accepted, so all the cases are laid over one copy of the project's data
and published in one build (website only: the PDF is made from the same document tree).
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
import yaml

from conftest import DATA, PUBLICATIONS, edition_folder, run_cli

CORPUS = Path(__file__).parent / "hostile_inputs"
CASES = sorted(d.name for d in CORPUS.iterdir() if (d / "case.yml").is_file())
CANARY = "pwned-canary"  # a file one case's command would create, were it run


def _case(name: str) -> dict:
    return yaml.safe_load((CORPUS / name / "case.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def hostile_edition(tmp_path_factory) -> Path:
    """The default edition built from a copy of the project's inputs with every case's files laid over it."""
    project = tmp_path_factory.mktemp("hostile")
    shutil.copytree(DATA, project / "data")
    shutil.copytree(PUBLICATIONS, project / "publications")
    for name in CASES:
        folder = CORPUS / name
        for file in (p for p in folder.rglob("*") if p.is_file() and p.name != "case.yml"):
            shutil.copyfile(file, project / file.relative_to(folder))
    out = project / "_build"
    result = run_cli("build", "--no-pdf", "--data", str(project / "data"), "--publications",
                     str(project / "publications"), "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return edition_folder(out, "2021-22-Q4")


def visible_text(page_html: str) -> str:
    """What a reader sees, without white space (a tag may or may not separate words): scripts, comments and tags
    removed, entities decoded, curly quotes made straight (Sphinx's SmartQuotes curls them)."""
    text = re.sub(r"<script.*?</script>|<!--.*?-->", " ", page_html, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", text))
    text = text.translate(str.maketrans({"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'"}))
    return "".join(text.split())


def test_the_corpus_covers_each_kind_of_hostile_input():
    assert {"narrative-jinja", "board-jinja", "extract-source-markup", "narrative-myst-line-syntax"} <= set(CASES)
    for name in CASES:
        case = _case(name)
        assert {"description", "target", "page", "shown", "absent"} <= set(case), name
        assert (CORPUS / name / case["target"]).is_file(), name


@pytest.mark.build
@pytest.mark.parametrize("name", CASES)
def test_hostile_text_is_published_as_typed(hostile_edition, name):
    case = _case(name)
    page = (hostile_edition / "html" / f"{case['page']}.html").read_text(encoding="utf-8")
    shown = visible_text(page)
    for text in case["shown"]:
        assert "".join(text.split()) in shown, f"{name}: {text!r} is not on {case['page']}"
    for text in case["absent"]:
        assert text not in page, f"{name}: {text!r} is on {case['page']}"


@pytest.mark.build
def test_no_command_in_an_input_ran(hostile_edition):
    project = hostile_edition.parents[4]
    assert not list(project.rglob(CANARY))
    assert not list(Path.cwd().rglob(CANARY))
