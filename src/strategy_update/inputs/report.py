"""The validation report: every problem found in the inputs (file, line, column, rule, value, message), the
suites that ran, and the text a person reads. Written as JSON beside the build so the data quality page and a
rebuild with unchanged inputs can reuse it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from strategy_update.core.errors import CRITICAL, WARNING, ErrorRecord

__all__ = ["CRITICAL", "WARNING", "ErrorRecord", "SuiteResult", "ValidationReport"]


# --- the report ----------------------------------------------------------------------------------------------
@dataclass
class SuiteResult:
    name: str
    file: str
    evaluated: int = 0  # expectations (and parse-level checks) evaluated
    passed: int = 0
    seconds: float = 0.0
    title: str = ""  # for people: "Delivery tracker"

    @property
    def failed(self) -> int:
        return self.evaluated - self.passed


@dataclass
class ValidationReport:
    findings: list[ErrorRecord] = field(default_factory=list)
    suites: list[SuiteResult] = field(default_factory=list)
    quarter: str | None = None  # the edition checked, as an id, when it could be determined
    quarter_label: str | None = None
    strict: bool = False
    data_dir: str = "data"
    seconds: float = 0.0

    @property
    def critical(self) -> list[ErrorRecord]:
        return [f for f in self.findings if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[ErrorRecord]:
        return [f for f in self.findings if f.severity == WARNING]

    def summary_line(self) -> str:
        return (f"Validation: {len(self.critical)} critical, {_plural(len(self.warnings), 'warning')} across "
                f"{_plural(len(self.suites), 'suite')}")

    def format_text(self) -> str:
        """A report for a non-programmer: for each problem the file, the line, the column, the rule, the value."""
        edition = self.quarter_label or self.quarter or "(edition unknown)"
        out = [f"Input check for the {edition} edition (data folder: {self.data_dir}"
               + (", strict" if self.strict else "") + ")", self.summary_line(), ""]
        for title, items in [
            ("CRITICAL: the update cannot be built until these are fixed", self.critical),
            ("WARNINGS: the update can be built; these are published in its data quality appendix", self.warnings),
        ]:
            out.append(f"{title} ({len(items)})" if items else f"{title.split(':')[0]}: none")
            for number, f in enumerate(items, start=1):
                out.append(f"  {number}. {f.where()}")
                out.append(f"     Problem: {f.message}")
                out.append(f"     Rule:    {f.rule}")
                if f.value not in (None, ""):
                    out.append(f"     Value:   {_short(f.value)}")
            out.append("")
        out.append("Checks run:")
        for s in self.suites:
            out.append(f"  {s.title or s.name} ({s.file}): {s.passed} of {_plural(s.evaluated, 'check')} passed "
                       f"({s.seconds:.1f} s)")
        return "\n".join(out)

    def to_json(self, *, timings: bool = True) -> str:
        """The report as JSON (``from_json`` reads it back). ``timings=False`` writes every duration as 0, so that
        the same inputs give the same bytes (useful when the file is an input of an incremental build)."""
        data = asdict(self)
        if not timings:
            data["seconds"] = 0.0
            for suite in data["suites"]:
                suite["seconds"] = 0.0
        return json.dumps(data, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> ValidationReport:
        data = json.loads(text)
        data["findings"] = [ErrorRecord(**f) for f in data.get("findings", [])]
        data["suites"] = [SuiteResult(**s) for s in data.get("suites", [])]
        return cls(**data)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


