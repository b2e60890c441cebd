"""Publishing an edition atomically: a failed build never leaves a half-written site or loses the last good one."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from strategy_update.build.incremental import Job

def publish(work: Path, html: Path, pdf_file: Path | None, jobs: list[Job], target: Path) -> None:
    """Copy the finished edition next to the target, then swap it into place: never a half-written site."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging_root = target.parent / ".staging"
    staging_root.mkdir(exist_ok=True)
    ready = Path(tempfile.mkdtemp(prefix=f"{target.name}-", dir=staging_root))
    umask = os.umask(0)
    os.umask(umask)
    ready.chmod(0o777 & ~umask)  # mkdtemp makes it private; a web server must be able to read the edition
    try:
        shutil.copytree(html, ready / "html")
        if pdf_file is not None:
            (ready / "pdf").mkdir()
            shutil.copy2(pdf_file, ready / "pdf" / "update.pdf")
        shutil.copytree(work / "data", ready / "data")  # the results table and the input rows behind it
        for job in jobs:  # the executed notebooks, for reviewers to download
            (ready / "notebooks" / job.output).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(work / job.output, ready / "notebooks" / job.output)
        old = None
        if target.exists():
            old = target.with_name(target.name + ".old")
            shutil.rmtree(old, ignore_errors=True)
            target.rename(old)
        ready.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(ready, ignore_errors=True)

