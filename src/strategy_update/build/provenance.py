"""Provenance: what an edition was built from, so that anyone can rebuild it and check they got the same.

The appendix records the build parameters (paths from the project folder down, never a temporary folder), the
build date, the git commit (and, in words, whether the code had changes not yet committed), the versions of the
packages that shape the output, and a SHA-256 checksum of every input file under ``data/``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from strategy_update.core.formatting import format_count
from strategy_update.core.markup import code, literal
from strategy_update.core.periods import QuarterError, parse_quarter
from strategy_update.inputs.paths import InputPaths

# The packages whose versions can change what the publication shows or how it is built.
KEY_PACKAGES = ["jupyter-book", "myst-nb", "sphinx", "papermill", "pandas", "numpy", "plotly", "choreographer",
                "great-expectations", "pyyaml", "nbformat", "ipykernel"]
NOT_A_REPOSITORY = "not a git repository"
_CHUNK = 1 << 20


# --- inputs --------------------------------------------------------------------------------------------
def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def input_checksums(data_dir: Path, prefix: str | None = None) -> list[tuple[str, int, str]]:
    """(path from the project, size in bytes, SHA-256) for every file under a folder, sorted by path.

    Paths start with ``prefix`` (default: the folder's own name, ``data/raw/...``), as they appear in the project.
    Hidden files (names starting with a dot) are skipped: they are editor or system files, not inputs.
    """
    data_dir = Path(data_dir)
    prefix = prefix or data_dir.name
    rows = []
    if not data_dir.is_dir():
        return rows
    for path in data_dir.rglob("*"):
        relative = path.relative_to(data_dir)
        if not path.is_file() or any(part.startswith(".") for part in relative.parts):
            continue
        rows.append((f"{prefix}/{relative.as_posix()}", path.stat().st_size, sha256_file(path)))
    return sorted(rows)


# --- software ------------------------------------------------------------------------------------------
def package_versions() -> dict[str, str]:
    """Python and the key packages; a package that is not installed says so."""
    versions = {"python": platform.python_version()}
    for name in KEY_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def _git(project_dir: Path, *args: str) -> subprocess.CompletedProcess:
    # --no-optional-locks: reading the state must never write to the repository (e.g. refresh the index).
    return subprocess.run(["git", "--no-optional-locks", *args], cwd=project_dir, capture_output=True, text=True,
                          timeout=60)


def git_state(project_dir: Path) -> dict:
    """``{"repository": bool, "commit": str | None, "clean": bool | None, "description": str}``.

    Never raises: a folder that is not a repository, a missing git, or a repository git refuses to read all
    give ``repository: False`` and a description saying which.
    """
    project_dir = Path(project_dir)
    state = {"repository": False, "commit": None, "clean": None, "description": NOT_A_REPOSITORY}
    if not project_dir.is_dir():
        return {**state, "description": f"{NOT_A_REPOSITORY} (the folder does not exist)"}
    try:
        inside = _git(project_dir, "rev-parse", "--is-inside-work-tree")
        if inside.returncode != 0 or inside.stdout.strip() != "true":
            reason = inside.stderr.strip().splitlines()
            detail = reason[-1] if reason and "not a git repository" not in reason[-1].lower() else ""
            return {**state, "description": NOT_A_REPOSITORY + (f" ({detail})" if detail else "")}
        commit = _git(project_dir, "rev-parse", "HEAD")
        status = _git(project_dir, "status", "--porcelain")
    except FileNotFoundError:
        return {**state, "description": f"{NOT_A_REPOSITORY} (git is not installed)"}
    except (OSError, subprocess.SubprocessError) as exc:
        return {**state, "description": f"{NOT_A_REPOSITORY} (git could not be run: {exc})"}
    hash_ = commit.stdout.strip() if commit.returncode == 0 else None
    clean = (status.stdout.strip() == "") if status.returncode == 0 else None
    if hash_ is None:
        description = "a git repository with no commit yet"
    else:
        description = f"commit {hash_}, " + {True: "working tree clean", False: "working tree has uncommitted changes",
                                              None: "working tree state unknown"}[clean]
    return {"repository": True, "commit": hash_, "clean": clean, "description": description}


# --- the page ------------------------------------------------------------------------------------------
def build_time() -> datetime:
    """Now, in UTC; or SOURCE_DATE_EPOCH when set, so that a reproducible build can fix the date."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC)
    return datetime.now(UTC)


def _table(header: list[str], rows: list[list[str]]) -> str:
    from strategy_update.render.tables import markdown_table

    return markdown_table(header, rows)


def edition_checksums(paths: InputPaths) -> list[tuple[str, int, str]]:
    """Every input of an edition: the shared open data, the publication's folder and what the force supplied."""
    force_inputs = f"{paths.data.name}/forces/{paths.force_slug}/{paths.publication_id}"
    return sorted(input_checksums(paths.data / "raw", f"{paths.data.name}/raw")
                  + input_checksums(paths.publication, f"{paths.publications.name}/{paths.publication_id}")
                  + input_checksums(paths.force_inputs, force_inputs))


def _checksum_table(rows: list[tuple[str, int, str]]) -> str:
    """Files, sizes and SHA-256 digests. The digest is shown in groups of 16 characters so that the PDF can wrap
    it; the table breaks across PDF pages (longtable) rather than running into the footer."""
    return "\n".join([":::{table}", ":class: longtable", ":widths: 46 12 42", "",
                      _table(["File", "Size (bytes)", "SHA-256"],
                             [[code(path), format_count(size), " ".join(digest[i:i + 16] for i in range(0, 64, 16))]
                              for path, size, digest in rows]), ":::"])


def built_from(git: dict) -> str:
    """The code an edition was built from, in words a reader can act on (not "working tree clean: no")."""
    if not git["commit"]:
        return git["description"]
    return f"commit {code(git['commit'])} of the project's code" + {
        True: "", False: ", with changes not yet committed (a draft: the commit alone may not rebuild it)",
        None: " (whether it had changes not yet committed is unknown)"}[git["clean"]]


def shown_value(value, project_dir: Path) -> str:
    """A parameter as a reader should see it: a path inside the project from the project folder down, any other
    path (a temporary build folder) by its name only, never the machine's folders."""
    path = Path(str(value))
    if not path.is_absolute():
        return str(value)
    try:
        return path.resolve().relative_to(Path(project_dir).resolve()).as_posix() or "."
    except ValueError:
        return path.name


def render_markdown(quarter: str, paths: InputPaths, project_dir: Path, parameters: dict,
                    keys: dict[str, str] | None = None, results: list[Path] = ()) -> str:
    """The provenance appendix (MyST Markdown)."""
    try:
        edition = parse_quarter(quarter).label
    except QuarterError:
        edition = str(quarter)
    git = git_state(project_dir)
    when = build_time()
    out = [
        f"This page records what the {edition} edition was built from. Rebuilding with the same parameters, "
        "the same commit, the same package versions and input files with the same checksums gives the same "
        "figures.",
        "",
        "## Build",
        "",
        _table(["Item", "Value"], [
            ["Edition", edition],
            ["Built (UTC)", when.strftime("%Y-%m-%d %H:%M:%S")],
            ["Built from", built_from(git)],
        ]),
        "",
        "## Build parameters",
        "",
        "The parameters the notebooks of this edition were run with:",
        "",
        _table(["Parameter", "Value"], [[code(k), code(shown_value(v, project_dir)) if str(v) else "(empty)"]
                                       for k, v in parameters.items()]),
        "",
        "## Package versions",
        "",
        _table(["Package", "Version"], [[name, version] for name, version in package_versions().items()]),
        "",
        "## Input files",
        "",
    ]
    checksums = edition_checksums(paths)
    total = sum(size for _, size, _ in checksums)
    out += [
        f"{format_count(len(checksums))} input files, {format_count(total)} bytes in all. To check a copy, compute "
        "its SHA-256 checksum (for example with `sha256sum` on Linux or `Get-FileHash` in PowerShell) and "
        "compare it with the table (where the digest is shown in four groups of 16 characters).",
        "",
        _checksum_table(checksums),
    ]
    computed = [(f"{p.parent.name}/{p.name}", p.stat().st_size, sha256_file(p)) for p in results if p.exists()]
    if computed:
        out += ["", "## Computed results", "",
                "Every figure of this edition was computed once, into these tables (Parquet), before any page was "
                "rendered; they are published beside the website in `data/`.", "",
                _checksum_table(computed)]
    if keys:
        out += ["", "## Notebook content keys", "",
                "Each notebook runs again only when its key changes. The key is a SHA-256 over its template, the "
                "library code, its parameters, the package versions and the input files it reads.", "",
                _table(["Notebook", "Key"], [[literal(name), code(key)] for name, key in sorted(keys.items())])]
    return "\n".join(out)
