"""What each notebook depends on, and whether it must run again.

A notebook's key is a SHA-256 over everything that can change its output: the template, the library code,
its parameters, the package versions and the input files it reads. Same key as last time and the executed
notebook is still there: reuse it. The keys are shown in the provenance appendix.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from strategy_update.build.provenance import package_versions, sha256_file


@dataclass(frozen=True)
class Job:
    """One notebook to produce: ``output`` and ``cwd`` are relative to the work folder."""

    name: str
    template: Path
    output: str
    cwd: str
    parameters: dict
    inputs: tuple[Path, ...] = field(default_factory=tuple)
    extra: str = ""  # anything else the output depends on (e.g. the git state for provenance)


def file_digest(path: Path) -> str:
    path = Path(path)
    return sha256_file(path) if path.exists() else "absent"


def library_digest(package_dir: Path) -> str:
    """One digest for the package's source: any code change re-executes every notebook."""
    digest = hashlib.sha256()
    for path in sorted(Path(package_dir).rglob("*.py")):
        digest.update(path.relative_to(package_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def job_key(job: Job, library: str, versions: dict[str, str], digests: dict[Path, str] | None = None) -> str:
    """The content hash that decides whether ``job`` runs again."""
    digests = digests or {}
    inputs = {str(p): digests.get(p) or file_digest(p) for p in sorted(job.inputs, key=str)}
    payload = {
        "template": file_digest(job.template),
        "library": library,
        "parameters": job.parameters,
        "versions": versions,
        "inputs": inputs,
        "extra": job.extra,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def needs_run(job: Job, key: str, previous: dict[str, str], work: Path, force: bool = False) -> bool:
    """Run when forced, when the key changed, or when the last executed notebook is missing."""
    return force or previous.get(job.name) != key or not (work / job.output).exists()


def load_keys(path: Path) -> dict[str, str]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return {}


def save_keys(path: Path, keys: dict[str, str]) -> None:
    Path(path).write_text(json.dumps(keys, indent=1, sort_keys=True), encoding="utf-8")


# --- the whole edition ---------------------------------------------------------------------------------------
def _files_under(path: Path) -> list[Path]:
    path = Path(path)
    if path.is_file():
        return [path]
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob("*") if p.is_file() and not any(
        part.startswith(".") or part == "__pycache__" for part in p.relative_to(path).parts))


def edition_key(sources: list[Path], parameters: dict, extra: str = "") -> str:
    """A digest of everything an edition is made from: every file under ``sources`` (inputs, templates, pages,
    configuration, the library), the parameters and the package versions. Same key as the published edition:
    there is nothing to do, and nothing heavy needs importing to find that out."""
    digest = hashlib.sha256()
    for source in sources:
        for path in _files_under(source):
            digest.update(path.as_posix().encode() + b"\0" + sha256_file(path).encode() + b"\0")
    payload = {"parameters": parameters, "versions": package_versions(), "extra": extra}
    digest.update(json.dumps(payload, sort_keys=True).encode())
    return digest.hexdigest()
