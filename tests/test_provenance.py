"""The provenance appendix: input checksums, package versions, git state and the page."""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess

import pandas
import pytest

from conftest import DATA, DEFAULT, PATHS, PUBLICATIONS, ROOT
from strategy_update.build.provenance import (
    KEY_PACKAGES,
    NOT_A_REPOSITORY,
    edition_checksums,
    git_state,
    input_checksums,
    package_versions,
    render_markdown,
)
from strategy_update.inputs.paths import InputPaths


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def grouped(digest: str) -> str:
    """As the page shows a digest: four groups of 16 characters (so the PDF can wrap it)."""
    assert len(digest) == 64
    return f"{digest[:16]} {digest[16:32]} {digest[32:48]} {digest[48:]}"


PUB = "pub-2021-25"


@pytest.fixture
def project(tmp_path):
    """A small project: shared open data, two publications, and inputs two forces supplied for them."""
    root = tmp_path / "project"
    files = {
        "data/raw/home-office/crime.csv": b"a,b\n1,2\n",
        "data/raw/ons/pfa-population-mid2024.csv": b"force_name,population\n",
        f"publications/{PUB}/publication.yml": b"id: s\n",
        f"publications/{PUB}/pages/introduction.md": b"# Introduction\n",
        f"publications/{PUB}/reference/published-comparisons.csv": b"document\n",
        f"data/forces/essex/{PUB}/delivery/2021-22-Q4.csv": b"quarter,strand\n",
        f"data/forces/essex/{PUB}/narrative/2021-22-Q4/rape.md": "---\nstrand: rape\n---\n\u00e9\n".encode(),
        f"data/forces/essex/{PUB}/force-extracts/nte-crimes.csv": b"period,value\n2021-04,3\n",
        # another publication, and another force: never inputs of the Essex edition of PUB
        "publications/other-2018-21/publication.yml": b"id: other\n",
        "data/forces/essex/other-2018-21/delivery/2019-20-Q2.csv": b"quarter,strand\n",
        f"data/forces/kent/{PUB}/delivery/2021-22-Q4.csv": b"quarter,strand\n",
    }
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    (root / "data" / ".DS_Store").write_bytes(b"junk")
    (root / "publications" / PUB / ".DS_Store").write_bytes(b"junk")
    return root


@pytest.fixture
def data_dir(project):
    return project / "data"


@pytest.fixture
def paths(project):
    return InputPaths(project / "data", project / "publications", PUB, "essex")


# --- checksums ------------------------------------------------------------------------------------------
def test_checksums_list_every_input_file_sorted_with_size_and_sha256(data_dir):
    rows = input_checksums(data_dir)
    assert [path for path, _, _ in rows] == [
        "data/forces/essex/other-2018-21/delivery/2019-20-Q2.csv",
        f"data/forces/essex/{PUB}/delivery/2021-22-Q4.csv",
        f"data/forces/essex/{PUB}/force-extracts/nte-crimes.csv",
        f"data/forces/essex/{PUB}/narrative/2021-22-Q4/rape.md",
        f"data/forces/kent/{PUB}/delivery/2021-22-Q4.csv",
        "data/raw/home-office/crime.csv",
        "data/raw/ons/pfa-population-mid2024.csv",
    ]
    for path, size, digest in rows:
        content = (data_dir.parent / path).read_bytes()
        assert size == len(content) and digest == sha(content)


def test_checksums_of_a_subfolder_carry_the_given_prefix(data_dir, project):
    rows = input_checksums(data_dir / "raw", "data/raw")
    assert [path for path, _, _ in rows] == ["data/raw/home-office/crime.csv",
                                             "data/raw/ons/pfa-population-mid2024.csv"]
    # without a prefix, paths start with the folder's own name
    assert [p for p, _, _ in input_checksums(data_dir / "raw")] == ["raw/home-office/crime.csv",
                                                                     "raw/ons/pfa-population-mid2024.csv"]
    publication = input_checksums(project / "publications" / PUB, f"publications/{PUB}")
    assert [p for p, _, _ in publication] == [
        f"publications/{PUB}/pages/introduction.md", f"publications/{PUB}/publication.yml",
        f"publications/{PUB}/reference/published-comparisons.csv"]
    for path, size, digest in rows + publication:
        content = (project / path).read_bytes()
        assert size == len(content) and digest == sha(content)
    assert input_checksums(data_dir / "nowhere", "data/nowhere") == []


def test_checksums_are_stable_and_change_only_for_the_changed_file(data_dir):
    before = input_checksums(data_dir)
    assert input_checksums(data_dir) == before
    changed_file = data_dir / "forces" / "essex" / PUB / "delivery" / "2021-22-Q4.csv"
    changed_file.write_bytes(b"quarter,strane\n")  # same size, different content
    after = dict((p, (s, d)) for p, s, d in input_checksums(data_dir))
    old = dict((p, (s, d)) for p, s, d in before)
    changed = [p for p in old if old[p] != after[p]]
    assert changed == [f"data/forces/essex/{PUB}/delivery/2021-22-Q4.csv"]
    assert after[changed[0]][0] == old[changed[0]][0]


def test_a_new_file_appears_in_the_checksums(data_dir):
    (data_dir / "forces" / "essex" / PUB / "force-extracts" / "da-crimes.csv").write_bytes(b"period,value\n")
    assert f"data/forces/essex/{PUB}/force-extracts/da-crimes.csv" in [p for p, _, _ in input_checksums(data_dir)]


def test_edition_checksums_are_the_shared_data_the_publication_and_this_forces_inputs(paths, project):
    rows = edition_checksums(paths)
    assert [path for path, _, _ in rows] == [
        f"data/forces/essex/{PUB}/delivery/2021-22-Q4.csv",
        f"data/forces/essex/{PUB}/force-extracts/nte-crimes.csv",
        f"data/forces/essex/{PUB}/narrative/2021-22-Q4/rape.md",
        "data/raw/home-office/crime.csv",
        "data/raw/ons/pfa-population-mid2024.csv",
        f"publications/{PUB}/pages/introduction.md",
        f"publications/{PUB}/publication.yml",
        f"publications/{PUB}/reference/published-comparisons.csv",
    ]
    for path, size, digest in rows:
        content = (project / path).read_bytes()
        assert size == len(content) and digest == sha(content)


def test_checksums_of_the_real_inputs():
    rows = {path: (size, digest) for path, size, digest in input_checksums(DATA)}
    crime = DATA / "raw" / "home-office" / "prc-pfa-open-data-tables.csv.gz"
    assert rows["data/raw/home-office/prc-pfa-open-data-tables.csv.gz"] == (
        crime.stat().st_size, sha(crime.read_bytes()))
    for folder in ["raw/home-office", "raw/ons", f"forces/essex/{DEFAULT}/delivery",
                   f"forces/essex/{DEFAULT}/narrative"]:
        assert any(p.startswith(f"data/{folder}/") for p in rows), folder
    assert list(rows) == sorted(rows)
    publications = dict((p, (s, d)) for p, s, d in input_checksums(PUBLICATIONS))
    for name in ["publication.yml", "pages/introduction.md", "reference/published-comparisons.csv"]:
        assert f"publications/{DEFAULT}/{name}" in publications, name


def test_edition_checksums_of_the_default_edition():
    """The default edition's inputs: its publication.yml and reference, the shared raw files, Essex's tracker;
    nothing of another publication."""
    rows = {path: (size, digest) for path, size, digest in edition_checksums(PATHS)}
    assert list(rows) == sorted(rows)
    definition = f"publications/{DEFAULT}/publication.yml"
    assert rows[definition] == (PATHS.definition.stat().st_size, sha(PATHS.definition.read_bytes()))
    assert f"publications/{DEFAULT}/reference/published-comparisons.csv" in rows
    for raw in [PATHS.crime, *PATHS.population]:
        name = raw.relative_to(ROOT).as_posix()
        assert name.startswith("data/raw/")
        assert rows[name] == (raw.stat().st_size, sha(raw.read_bytes())), name
    tracker = f"data/forces/essex/{DEFAULT}/delivery/2021-22-Q4.csv"
    assert tracker in rows
    assert f"data/forces/essex/{DEFAULT}/narrative/2021-22-Q4/rape.md" in rows
    others = [p.name for p in PUBLICATIONS.iterdir() if p.is_dir() and p.name != DEFAULT]
    assert others, "the test needs a second publication"
    for path in rows:
        assert not any(other in path for other in others), path
        assert path.startswith((f"publications/{DEFAULT}/", "data/raw/", f"data/forces/essex/{DEFAULT}/")), path
    # every file of those three folders is listed
    expected = [p for folder in [PATHS.publication, DATA / "raw", PATHS.force_inputs] for p in folder.rglob("*")
                if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)]
    assert len(rows) == len(expected)


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
def test_page_records_parameters_date_git_versions_and_checksums(paths, data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    parameters = {"publication": PUB, "force": "Essex", "quarter": "2021-22-Q4", "data_dir": str(data_dir),
                  "report_path": "", "project_dir": str(tmp_path)}
    page = render_markdown("2021-22-Q4", paths, tmp_path, parameters)
    assert "Q4 2021/22 (January-March 2022)" in page
    assert "| Built (UTC) | 1970-01-01 00:00:00 |" in page
    assert f"| Built from | {NOT_A_REPOSITORY} |" in page and "Working tree" not in page
    # a folder is shown from the project folder down, never as the machine's path
    assert f"| `data_dir` | `{data_dir.relative_to(tmp_path).as_posix()}` |" in page
    assert "| `report_path` | (empty) |" in page
    assert str(tmp_path) not in page
    for name, version in package_versions().items():
        assert f"| {name} | {version} |" in page
    assert f"| `publication` | `{PUB}` |" in page and "| `force` | `Essex` |" in page
    checksums = edition_checksums(paths)
    assert len(checksums) == 8
    for path, size, digest in checksums:
        assert f"| `{path}` | {size:,} | {grouped(digest)} |" in page
    for other in ["other-2018-21", "forces/kent/"]:  # another publication's or force's files are not inputs
        assert other not in page
    assert "Notebook content keys" not in page


def test_page_shows_the_notebook_keys_of_the_build(paths, tmp_path):
    keys = {"index": "abc123", "rape": "def456"}
    page = render_markdown("2021-22-Q4", paths, tmp_path, {"quarter": "2021-22-Q4"}, keys)
    assert "## Notebook content keys" in page
    assert "| index | `abc123` |" in page and "| rape | `def456` |" in page


def test_page_lists_the_computed_results_tables_with_checksums(paths, tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "results.parquet").write_bytes(b"results")
    (folder / "input-rows.parquet").write_bytes(b"rows!")
    page = render_markdown("2021-22-Q4", paths, tmp_path, {"quarter": "2021-22-Q4"}, None,
                           [folder / "results.parquet", folder / "input-rows.parquet", folder / "absent.parquet"])
    assert "## Computed results" in page
    assert f"| `data/results.parquet` | 7 | {grouped(sha(b'results'))} |" in page
    assert f"| `data/input-rows.parquet` | 5 | {grouped(sha(b'rows!'))} |" in page
    assert "absent.parquet" not in page


def test_page_of_the_project_names_its_commit():
    state = git_state(ROOT)
    if not state["repository"]:
        pytest.skip("the project is not a git checkout here")
    assert re.fullmatch(r"[0-9a-f]{40}", state["commit"])
    page = render_markdown("2021-22-Q4", PATHS, ROOT, {"quarter": "2021-22-Q4"})
    assert f"| Built from | commit `{state['commit']}` of the project's code" in page


def test_a_path_outside_the_project_is_shown_by_its_name_only(tmp_path):
    from strategy_update.build.provenance import shown_value

    assert shown_value("/tmp/pytest-7/build0/.work/x/data", tmp_path / "project") == "data"
    assert shown_value(str(tmp_path / "project" / "data" / "raw"), tmp_path / "project") == "data/raw"
    assert shown_value("Essex", tmp_path) == "Essex"


def test_built_from_says_plainly_whether_the_code_was_committed():
    from strategy_update.build.provenance import built_from

    state = {"repository": True, "commit": "abc1234", "description": ""}
    assert built_from({**state, "clean": True}) == "commit `abc1234` of the project's code"
    assert "changes not yet committed" in built_from({**state, "clean": False})
    assert built_from({"repository": False, "commit": None, "clean": None,
                       "description": NOT_A_REPOSITORY}) == NOT_A_REPOSITORY
