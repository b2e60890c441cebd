"""The provenance appendix: input checksums, package versions, git state and the page."""

from __future__ import annotations

import hashlib
import json
import platform
import re
import shutil
import subprocess

import pandas
import pytest

from conftest import DATA, ROOT
from strategy_update.build.provenance import (KEY_PACKAGES, NOT_A_REPOSITORY, git_state, input_checksums,
                                        package_versions, render_markdown)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def data_dir(tmp_path):
    data = tmp_path / "data"
    files = {
        "raw/home-office/crime.csv": b"a,b\n1,2\n",
        "strategy/s.yml": b"id: s\n",
        "delivery/2021-22-Q4.csv": b"quarter,strand\n",
        "narrative/2021-22-Q4/rape.md": "---\nstrand: rape\n---\n\u00e9\n".encode(),
        "reference/published-comparisons.csv": b"document\n",
        "force-extracts/nte-crimes.csv": b"period,count\n2021-04,3\n",
    }
    for name, content in files.items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_bytes(content)
    (data / ".DS_Store").write_bytes(b"junk")
    return data


# --- checksums ------------------------------------------------------------------------------------------
def test_checksums_list_every_input_file_sorted_with_size_and_sha256(data_dir):
    rows = input_checksums(data_dir)
    assert [path for path, _, _ in rows] == [
        "data/delivery/2021-22-Q4.csv", "data/force-extracts/nte-crimes.csv",
        "data/narrative/2021-22-Q4/rape.md", "data/raw/home-office/crime.csv",
        "data/reference/published-comparisons.csv", "data/strategy/s.yml",
    ]
    for path, size, digest in rows:
        content = (data_dir.parent / path).read_bytes()
        assert size == len(content) and digest == sha(content)


def test_checksums_are_stable_and_change_only_for_the_changed_file(data_dir):
    before = input_checksums(data_dir)
    assert input_checksums(data_dir) == before
    (data_dir / "strategy" / "s.yml").write_bytes(b"id: t\n")  # same size, different content
    after = dict((p, (s, d)) for p, s, d in input_checksums(data_dir))
    old = dict((p, (s, d)) for p, s, d in before)
    changed = [p for p in old if old[p] != after[p]]
    assert changed == ["data/strategy/s.yml"]
    assert after["data/strategy/s.yml"][0] == old["data/strategy/s.yml"][0]


def test_a_new_file_appears_in_the_checksums(data_dir):
    (data_dir / "force-extracts" / "da-crimes.csv").write_bytes(b"period,count\n")
    assert "data/force-extracts/da-crimes.csv" in [p for p, _, _ in input_checksums(data_dir)]


def test_checksums_of_the_real_inputs():
    rows = {path: (size, digest) for path, size, digest in input_checksums(DATA)}
    crime = DATA / "raw" / "home-office" / "prc-pfa-open-data-tables.csv.gz"
    assert rows["data/raw/home-office/prc-pfa-open-data-tables.csv.gz"] == (
        crime.stat().st_size, sha(crime.read_bytes()))
    for folder in ["raw", "strategy", "delivery", "reference"]:
        assert any(p.startswith(f"data/{folder}/") for p in rows), folder
    assert list(rows) == sorted(rows)


# --- software -----------------------------------------------------------------------------------------
def test_package_versions():
    versions = package_versions()
    assert list(versions) == ["python"] + KEY_PACKAGES
    assert versions["python"] == platform.python_version()
    assert versions["pandas"] == pandas.__version__
    assert "sphinx" in versions and "jupyter-book" in versions
    assert all(v and v != "not installed" for v in versions.values()), versions


# --- git ----------------------------------------------------------------------------------------------
def test_git_state_of_a_folder_that_is_not_a_repository(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    folder = tmp_path / "plain"
    folder.mkdir()
    state = git_state(folder)
    assert state["repository"] is False and state["commit"] is None and state["clean"] is None
    assert state["description"].startswith(NOT_A_REPOSITORY)


def test_git_state_when_git_is_not_installed(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no git on the path
    state = git_state(ROOT)
    assert state["repository"] is False
    assert state["description"] == f"{NOT_A_REPOSITORY} (git is not installed)"


def test_git_state_of_a_missing_folder(tmp_path):
    assert git_state(tmp_path / "nowhere")["repository"] is False


@pytest.mark.skipif(not shutil.which("git"), reason="git is not installed")
def test_git_state_of_a_repository_clean_then_changed(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    repo = tmp_path / "repo"
    repo.mkdir()

    def git(*args):
        subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false",
                        *args], cwd=repo, check=True, capture_output=True)

    git("init", "-q")
    (repo / "a.txt").write_text("one\n")
    git("add", "a.txt")
    git("commit", "-q", "-m", "first")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True).stdout.strip()
    state = git_state(repo)
    assert state == {"repository": True, "commit": head, "clean": True,
                     "description": f"commit {head}, working tree clean"}
    (repo / "a.txt").write_text("two\n")
    changed = git_state(repo)
    assert changed["commit"] == head and changed["clean"] is False


# --- the page ---------------------------------------------------------------------------------------------
def test_page_records_parameters_date_git_versions_and_checksums(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    parameters = {"quarter": "2021-22-Q4", "data_dir": str(data_dir), "report_path": "", "project_dir": str(tmp_path)}
    page = render_markdown("2021-22-Q4", data_dir, tmp_path, parameters)
    assert "Q4 2021/22 (January-March 2022)" in page
    assert "| Built (UTC) | 1970-01-01 00:00:00 |" in page
    assert f"| Git commit | {NOT_A_REPOSITORY} |" in page
    assert f"| `data_dir` | `{data_dir}` |" in page and "| `report_path` | (empty) |" in page
    for name, version in package_versions().items():
        assert f"| {name} | {version} |" in page
    for path, size, digest in input_checksums(data_dir):
        assert f"| `{path}` | {size:,} | `{digest}` |" in page
    assert "Notebook content keys" not in page


def test_page_shows_the_notebook_keys_planned_by_the_build(data_dir, tmp_path):
    (tmp_path / "planned-keys.json").write_text(json.dumps({"index": "abc123", "rape": "def456"}))
    parameters = {"quarter": "2021-22-Q4", "report_path": str(tmp_path / "validation.json")}
    page = render_markdown("2021-22-Q4", data_dir, tmp_path, parameters)
    assert "| index | `abc123` |" in page and "| rape | `def456` |" in page


def test_page_of_the_project_names_its_commit():
    state = git_state(ROOT)
    if not state["repository"]:
        pytest.skip("the project is not a git checkout here")
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"])
    page = render_markdown("2021-22-Q4", DATA, ROOT, {"quarter": "2021-22-Q4"})
    assert f"| Git commit | `{state['commit']}` |" in page
