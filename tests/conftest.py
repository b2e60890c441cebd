"""Shared fixtures: the project root, the real data, and builds of whole editions (slow, done once)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
CLI = str(Path(sys.executable).parent / "strategy-update")


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *args], cwd=cwd, capture_output=True, text=True)


def has_tex() -> bool:
    return bool(shutil.which("xelatex") and shutil.which("latexmk"))


@pytest.fixture(scope="session")
def default_edition(tmp_path_factory) -> Path:
    """The default edition (Q4 2021/22) built through the CLI, website and PDF, into a temporary folder."""
    if not has_tex():
        pytest.fail("TeX Live is not installed: run `make setup` (CI installs it)")
    out = tmp_path_factory.mktemp("build")
    result = run_cli("build", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "2021-22-Q4"


@pytest.fixture(scope="session")
def other_edition(tmp_path_factory) -> Path:
    """A second quarter with no narrative or delivery data, website only."""
    out = tmp_path_factory.mktemp("build-other")
    result = run_cli("build", "--quarter", "2023/24 Q2", "--no-pdf", "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "2023-24-Q2"
