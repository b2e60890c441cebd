"""The one record of a problem in an input (file, line, column, rule, value, message), and the exceptions that
carry it. Readers raise :class:`InputError`; validation collects :class:`ErrorRecord` s into its report; the CLI
prints either as a message, never a traceback."""

from __future__ import annotations

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


class ValidationFailed(Exception):
    """Inputs broke a critical rule; carries the validation report to print."""

    def __init__(self, report):
        super().__init__(report.summary_line())
        self.report = report
