"""The one record of a problem in an input (file, line, column, rule, value, message), and the exceptions that
carry it. Readers raise :class:`InputError`; validation collects :class:`ErrorRecord` s into its report; the CLI
prints either as a message, never a traceback."""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass

CRITICAL, WARNING = "critical", "warning"


@dataclass(frozen=True)
class ErrorRecord:
    """One problem in one input: where (file, line, column), which rule, the value, and what to tell a person."""
    file: str | None  # relative to the project, e.g. data/forces/essex/.../2021-22-Q4.csv
    line: int | None  # line number in the file (1 = a CSV's header), or None
    column: str | None
    rule: str | None
    value: object
    message: str
    severity: str = CRITICAL  # "critical" stops the build; "warning" is published
    suite: str = ""  # the validation suite that found it, when one did

    def where(self) -> str:
        parts = [self.file or "(no file)"]
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        prefix = f"{self.where()}: " if (self.file or self.line is not None or self.column) else ""
        value = f" (value: {self.value!r})" if self.value is not None else ""
        rule = f" [rule: {self.rule}]" if self.rule else ""
        return f"{prefix}{self.message}{value}{rule}"


class InputError(Exception):
    """Bad input, found while reading it. Carries its :class:`ErrorRecord`."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None,
                 column: str | None = None, rule: str | None = None, value: object = None):
        super().__init__(message)
        self.record = ErrorRecord(file, line, column, rule, value, message)

    def __str__(self) -> str:
        return str(self.record)


class BuildError(Exception):
    """A step of the build failed for a reason other than bad input (the message says which step)."""


class OperationalError(BuildError):
    """The machine refused, not the inputs: a full disk, a folder the build may not write, a system tool missing."""


# What the build can meet on a machine, in words, and what to do about it.
MACHINE_ERRORS = {
    errno.ENOSPC: ("no space left on the disk", "free some space, or give another output folder with --out"),
    errno.EDQUOT: ("the disk quota is used up", "free some space, or give another output folder with --out"),
    errno.EACCES: ("permission denied", "check who may write there, or give another output folder with --out"),
    errno.EPERM: ("operation not permitted", "check who may write there, or give another output folder with --out"),
    errno.EROFS: ("the file system is read-only", "give an output folder on a writable disk with --out"),
}
# "[Errno 28] No space left on device: 'path'", or "...: 'source' -> 'target'" (a copy: the target is where it failed)
_ERRNO = re.compile(r"\[Errno (\d+)\][^:'\n]*(?::\s*'([^'\n]*)'(?:\s*->\s*'([^'\n]*)')?)?")


def machine_error(exc: BaseException, doing: str) -> OperationalError | None:
    """``exc`` as one message naming what the build was ``doing``, the file and the cause, when a full disk or a
    permission is the cause; else None (a bug keeps its traceback). An OSError, or an error that quotes one (a
    notebook's cell, shutil.Error's list of failed copies)."""
    number = getattr(exc, "errno", None)
    where = getattr(exc, "filename2", None) or getattr(exc, "filename", None)  # a copy's target, else the file
    if number in MACHINE_ERRORS:
        return _machine_error(number, where, doing)
    return machine_error_in_text(str(exc), doing)


def machine_error_in_text(text: str, doing: str) -> OperationalError | None:
    """The first full disk or refused permission an error text or a log quotes (``[Errno 28] No space left on
    device: 'path'``), as ``machine_error`` words it; None when it quotes none."""
    for found in _ERRNO.finditer(text):
        if int(found.group(1)) in MACHINE_ERRORS:
            return _machine_error(int(found.group(1)), found.group(3) or found.group(2), doing)
    return None


def _machine_error(number: int, where: str | None, doing: str) -> OperationalError:
    what, advice = MACHINE_ERRORS[number]
    at = f" (at {where})" if where else ""
    return OperationalError(f"{doing}: {what}{at}; {advice}")


class ValidationFailed(Exception):
    """Inputs broke a critical rule; carries the validation report to print."""

    def __init__(self, report):
        super().__init__(report.summary_line())
        self.report = report
