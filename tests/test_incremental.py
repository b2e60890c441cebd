"""Incremental builds: what invalidates a notebook, and a real rebuild after one narrative edit."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

from conftest import DATA, DEFAULT, edition_folder, run_cli
from strategy_update.build.incremental import Job, file_digest, job_key, library_digest, needs_run
from strategy_update.build.pipeline import figure_page_files

VERSIONS = {"pandas": "3.1.1"}


def make_job(tmp_path: Path, **changes) -> Job:
    template = tmp_path / "section.ipynb"
    if not template.exists():
        template.write_text("template")
    narrative = tmp_path / "rape.md"
    if not narrative.exists():
        narrative.write_text("narrative")
    fields = {"name": "rape", "template": template, "output": "strands/rape.ipynb", "cwd": "strands",
              "parameters": {"quarter": "2021-22-Q4", "section_id": "rape"}, "inputs": (narrative,)}
    fields.update(changes)
    return Job(**fields)


def test_same_inputs_give_the_same_key(tmp_path):
    assert job_key(make_job(tmp_path), "lib", VERSIONS) == job_key(make_job(tmp_path), "lib", VERSIONS)


def test_digests_hashed_once_for_all_jobs_give_the_same_key(tmp_path):
    job = make_job(tmp_path)
    digests = {path: file_digest(path) for path in job.inputs}
    assert job_key(job, "lib", VERSIONS, digests) == job_key(job, "lib", VERSIONS)


@pytest.mark.parametrize("what", ["template", "input file", "parameters", "library", "versions"])
def test_each_dependency_changes_the_key(tmp_path, what):
    job = make_job(tmp_path)
    before = job_key(job, "lib", VERSIONS)
    library, versions = "lib", VERSIONS
    if what == "template":
        job.template.write_text("edited template")
    elif what == "input file":
        job.inputs[0].write_text("edited narrative")
    elif what == "parameters":
        job = make_job(tmp_path, parameters={"quarter": "2021-22-Q3", "section_id": "rape"})
    elif what == "library":
        library = "lib2"
    else:
        versions = {"pandas": "3.1.2"}
    assert job_key(job, library, versions) != before


def test_a_missing_input_is_distinct_from_an_empty_one(tmp_path):
    absent = make_job(tmp_path, inputs=(tmp_path / "nothing.md",))
    key_absent = job_key(absent, "lib", VERSIONS)
    (tmp_path / "nothing.md").write_text("")
    assert job_key(absent, "lib", VERSIONS) != key_absent


def test_library_digest_follows_code_changes(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    before = library_digest(tmp_path)
    (tmp_path / "a.py").write_text("x = 2\n")
    assert library_digest(tmp_path) != before


def test_needs_run_decisions(tmp_path):
    job = make_job(tmp_path)
    (tmp_path / "strands").mkdir()
    (tmp_path / job.output).write_text("{}")
    assert not needs_run(job, "k", {"rape": "k"}, tmp_path)
    assert needs_run(job, "k", {"rape": "old"}, tmp_path)
    assert needs_run(job, "k", {}, tmp_path)
    assert needs_run(job, "k", {"rape": "k"}, tmp_path, force=True)
    (tmp_path / job.output).unlink()
    assert needs_run(job, "k", {"rape": "k"}, tmp_path)


def _downloads(edition: Path) -> dict[str, str]:
    """Chart data files by name, with their content hash."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in (edition / "html" / "_downloads").rglob("*.csv")}


WORK = Path(".work") / DEFAULT / "essex" / "2021-22-Q4"


def _executed(work: Path) -> dict[str, int]:
    """The executed notebooks of the work folder (front page and section pages), with their time stamps."""
    return {p.relative_to(work).as_posix(): p.stat().st_mtime_ns
            for p in [work / "index.ipynb", *sorted((work / "strands").glob("*.ipynb"))]}


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, Path]:
    """The default edition built once (website only) from a copy of the data: (data folder, output folder)."""
    folder = tmp_path_factory.mktemp("incremental")
    data = folder / "data"
    shutil.copytree(DATA, data)
    out = folder / "_build"
    first = run_cli("build", "--no-pdf", "--data", str(data), "--out", str(out))
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Notebooks: 15 to execute, 0 unchanged and reused" in first.stdout  # the front page and 14 strands
    return data, out


@pytest.mark.build
def test_rebuild_with_nothing_changed_is_up_to_date_and_runs_nothing(built):
    data, out = built
    edition = edition_folder(out, "2021-22-Q4")
    before = {p: p.stat().st_mtime_ns for p in [*edition.rglob("*"), *(out / WORK).rglob("*")] if p.is_file()}
    again = run_cli("build", "--no-pdf", "--data", str(data), "--out", str(out))
    assert again.returncode == 0, again.stdout + again.stderr
    assert f"Up to date: {edition}" in again.stdout
    # nothing checked, computed, executed or published again
    for step in ["Checking inputs", "to execute", "Published"]:
        assert step not in again.stdout, again.stdout
    after = {p: p.stat().st_mtime_ns for p in [*edition.rglob("*"), *(out / WORK).rglob("*")] if p.is_file()}
    assert after == before


@pytest.mark.build
def test_rebuild_reuses_unchanged_notebooks_and_reruns_only_the_edited_strand(built, default_edition):
    data, out = built
    edition = edition_folder(out, "2021-22-Q4")
    assert edition == out / DEFAULT / "essex" / "2021-22-Q4"

    # Same inputs, separate build: identical figures and identical data downloads.
    assert _downloads(edition) == _downloads(default_edition)
    assert len(_downloads(edition)) > 20

    work = out / WORK
    assert len(list((work / "strands").glob("*.ipynb"))) == 14
    stamps = _executed(work)
    figure_pages = {p: p.stat().st_mtime_ns for p in figure_page_files(work) if p.exists()}
    assert len(figure_pages) == 3, figure_pages  # measures, demand profile, annex (no position table here)
    # A change that no page reads (a note beside the force extracts): the edition is built again (its inputs
    # changed), but every notebook is reused.
    note = data / "forces" / "essex" / DEFAULT / "force-extracts" / "README.md"
    note.write_text(note.read_text() + "\nA note added for the test.\n")
    unchanged = run_cli("build", "--no-pdf", "--data", str(data), "--out", str(out))
    assert unchanged.returncode == 0, unchanged.stdout + unchanged.stderr
    assert "Up to date" not in unchanged.stdout
    assert "Notebooks: 0 to execute, 15 unchanged and reused" in unchanged.stdout
    assert _executed(work) == stamps
    # The force extracts' folder is a data input: the figures were computed again, and the pages drawn from them
    # alone written afresh (deleted with the old table, so a build stopped half-way cannot leave them stale).
    assert "Figures: no data input changed" not in unchanged.stdout
    rewritten = {p: p.stat().st_mtime_ns for p in figure_page_files(work) if p.exists()}
    assert rewritten.keys() == figure_pages.keys() and all(rewritten[p] != figure_pages[p] for p in rewritten)

    narrative = data / "forces" / "essex" / DEFAULT / "narrative" / "2021-22-Q4" / "rape.md"
    narrative.write_text(narrative.read_text() + "\n- One more scheduled action, added for the test.\n")
    edited = run_cli("build", "--no-pdf", "--data", str(data), "--out", str(out))
    assert edited.returncode == 0, edited.stdout + edited.stderr
    # only the edited strand's page: the results are unchanged, and the appendices are written without a kernel
    assert "Notebooks: 1 to execute, 14 unchanged and reused" in edited.stdout
    assert "Figures: no data input changed since the last build" in edited.stdout  # the compute stage skipped
    changed = {name for name, stamp in _executed(work).items() if stamp != stamps[name]}
    assert changed == {"strands/rape.ipynb"}
    # the pages drawn from the figures alone are kept as they were
    assert {p: p.stat().st_mtime_ns for p in figure_page_files(work) if p.exists()} == rewritten
    assert "One more scheduled action, added for the test." in (edition / "html" / "strands" / "rape.html").read_text()
