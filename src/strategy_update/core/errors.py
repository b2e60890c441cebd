"""The one kind of error a user should ever see: what is wrong, where, and which rule it breaks."""

from __future__ import annotations


class InputError(Exception):
    """Bad input. The CLI prints it as a message (never a traceback) and exits non-zero."""

    def __init__(self, message: str, *, file: str | None = None, row: int | None = None,
                 column: str | None = None, rule: str | None = None, value: object = None):
        super().__init__(message)
        self.message = message
        self.file = file
        self.row = row
        self.column = column
        self.rule = rule
        self.value = value

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(f"file {self.file}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = (", ".join(where) + ": ") if where else ""
        rule = f" [rule: {self.rule}]" if self.rule else ""
        value = f" (value: {self.value!r})" if self.value is not None else ""
        return f"{prefix}{self.message}{value}{rule}"


from dataclasses import dataclass  # noqa: E402  (appended with ErrorRecord; InputError above is unchanged)


@dataclass(frozen=True)
class ErrorRecord:
    """One problem in one input: where (file, line, column), which rule, the value, and what to tell a person."""
    file: str | None
    line: int | None
    column: str | None
    rule: str
    value: object
    message: str
    severity: str = "critical"  # "critical" stops the build; "warning" is published


class BuildError(Exception):
    """A step of the build failed for a reason other than bad input (the message says which step)."""


class ValidationFailed(Exception):
    """Inputs broke a critical rule; carries the validation report to print."""

    def __init__(self, report):
        super().__init__(report.summary_line())
        self.report = report
