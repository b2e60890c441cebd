"""Input validation with Great Expectations: every input is checked before anything is built.

The rules live in ``expectations/*.json``, one suite per kind of input (Home Office crime table, ONS population,
strategy definition, delivery tracker, narrative, force extracts). Each suite holds batches of expectations in
the Great Expectations 1.x form (``type``, ``kwargs``, ``meta``); ``meta`` carries the severity ("critical" stops
the build, "warning" is published in the data quality appendix), the rule in plain words and the message shown
for each failure. Parameters that depend on the edition (the quarters it needs, the strategy's force, the known
strands) are ``{"$PARAMETER": name}`` placeholders filled in at run time.

``validate_inputs`` never raises for bad input: problems found before Great Expectations can run (a file that is
missing, truncated, not UTF-8, not comma-separated, with a short row) and every failed expectation become a
:class:`Finding` naming the file, the line, the column, the rule and the offending value.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import math
import os
import re
import string
import time
import zlib
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from strategy_update.core.errors import InputError
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter, quarter_range
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.definition import LineLoader

CRITICAL, WARNING = "critical", "warning"
MAX_ROWS_PER_RULE = 50  # failing rows listed one by one per expectation; the rest are counted
SUITE_ORDER = ["home_office_crime", "population", "strategy_definition", "delivery_tracker", "narrative",
               "force_extracts"]
FINANCIAL_YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(1990, 2100)]


def expectations_dir() -> Path:
    """The suites: ``expectations/`` beside ``src/`` in the project (or in the current folder)."""
    here = Path(__file__).resolve().parents[3] / "expectations"
    return here if here.is_dir() else Path.cwd() / "expectations"


# --- the report ----------------------------------------------------------------------------------------------
@dataclass
class Finding:
    severity: str  # "critical" or "warning"
    suite: str
    file: str | None  # relative to the project, e.g. data/delivery/2021-22-Q4.csv
    row: int | None  # line number in the file (1 = header), or None
    column: str | None
    rule: str
    value: object
    message: str

    def where(self) -> str:
        parts = [self.file or "(no file)"]
        if self.row is not None:
            parts.append(f"line {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(parts)


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
    findings: list[Finding] = field(default_factory=list)
    suites: list[SuiteResult] = field(default_factory=list)
    quarter: str | None = None  # the edition checked, as an id, when it could be determined
    quarter_label: str | None = None
    strict: bool = False
    data_dir: str = "data"
    seconds: float = 0.0

    @property
    def critical(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == CRITICAL]

    @property
    def warnings(self) -> list[Finding]:
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
    def from_json(cls, text: str) -> "ValidationReport":
        data = json.loads(text)
        data["findings"] = [Finding(**f) for f in data.get("findings", [])]
        data["suites"] = [SuiteResult(**s) for s in data.get("suites", [])]
        return cls(**data)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _short(value: object, limit: int = 200) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --- the book's "Data quality" page ----------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#+!|~$&^=])")


def _md(value: object) -> str:
    """Text safe inside a MyST table cell: no markup, no HTML, no line breaks."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def render_markdown(report: ValidationReport) -> str:
    """The body of the "Data quality" page: critical problems and warnings per suite, then the suites run."""
    titles = {s.name: s.title or s.name for s in report.suites}
    evaluated = sum(s.evaluated for s in report.suites)
    edition = report.quarter_label or report.quarter or "this"
    out = [f"The inputs of the {_md(edition)} edition were checked with Great Expectations against "
           f"{_plural(len(report.suites), 'suite')} of rules ({_plural(evaluated, 'check')}) before anything was "
           f"computed: {_plural(len(report.critical), 'critical problem')} and "
           f"{_plural(len(report.warnings), 'warning')}. Critical problems stop the build; warnings are listed "
           "here and the figures they affect are published as the source data gives them (nothing is dropped or "
           "corrected).", ""]
    for heading, items, none_text in [
        ("Critical problems", report.critical,
         "There are no critical problems: every input passed every critical rule."),
        ("Warnings", report.warnings, "There are no warnings: every input passed every rule."),
    ]:
        out += [f"## {heading}", ""]
        if not items:
            out += [none_text, ""]
            continue
        groups: dict[str, list[Finding]] = {}
        for f in items:
            groups.setdefault(f.suite, []).append(f)
        for suite, group in groups.items():
            # A longtable breaks across PDF pages; Sphinx's default table for under 30 rows runs off the page.
            out += [f"### {_md(titles.get(suite, suite))} ({len(group)})", "",
                    ":::{table}", ":class: longtable", ":widths: 22 7 9 20 8 34", "",
                    "| File | Line | Column | Rule | Value | What was found |",
                    "|---|---|---|---|---|---|"]
            for f in group:
                out.append("| " + " | ".join([_md(f.file or ""), "" if f.row is None else str(f.row),
                                              _md(f.column), _md(f.rule), _md(f.value), _md(f.message)]) + " |")
            out += [":::", ""]
    out += ["## Checks run", "", "| Suite | Input | Checks evaluated | Passed |", "|---|---|---|---|"]
    for s in report.suites:
        out.append(f"| {_md(s.title or s.name)} | {_md(s.file)} | {s.evaluated} | {s.passed} |")
    out += ["", "The rules are in the project's `expectations/` folder, one Great Expectations suite per kind of "
            "input."]
    return "\n".join(out) + "\n"


# --- helpers ---------------------------------------------------------------------------------------------------
def _plain(value: object) -> object:
    """A JSON-friendly Python value (numpy scalars, NaN and whole floats made plain)."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict, str)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            value = str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return int(value)
        return value
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


class _Fields(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def _fill(template: str, fields: dict) -> str:
    try:
        return string.Formatter().vformat(template, (), _Fields({k: _display(v) for k, v in fields.items()}))
    except (ValueError, IndexError, AttributeError):
        return template


def _display(value: object) -> object:
    value = _plain(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else value


def _columns_diff(found: list[str], expected: list[str]) -> str:
    missing = [c for c in expected if c not in found]
    extra = [c for c in found if c not in expected]
    parts = []
    if missing:
        parts.append("missing column(s) " + ", ".join(f"'{c}'" for c in missing))
    if extra:
        renamed = " (renamed?)" if missing else ""
        parts.append("unexpected column(s) " + ", ".join(f"'{c}'" for c in extra) + renamed)
    if not parts:
        parts.append("the columns are in the wrong order")
    return "; ".join(parts) + f". Expected: {', '.join(expected)}"


def _edition_spellings(q: Quarter) -> list[str]:
    yy = f"{(q.fy_start + 1) % 100:02d}"
    return [q.id, f"{q.fy_start}-{yy} Q{q.number}", f"{q.financial_year} Q{q.number}",
            f"FY{q.fy_start}-{yy} Q{q.number}"]




def _text(value: object) -> str:
    return "" if value is None else " ".join(str(value).split())


# --- Great Expectations ----------------------------------------------------------------------------------------
class _GreatExpectations:
    """One ephemeral context and pandas data source; each derived frame is validated as its own batch."""

    def __init__(self):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import logging

        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        logging.getLogger("great_expectations").setLevel(logging.ERROR)
        self.gx = gx
        self.configuration = ExpectationConfiguration
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        self.source = self.context.data_sources.add_pandas("inputs")
        self.count = 0

    def validate(self, name: str, frame: pd.DataFrame, expectations: list[dict], parameters: dict,
                 index_columns: list[str]) -> dict[str, object]:
        """Validate a frame against expectations; returns each expectation's result by its meta 'check'."""
        self.count += 1
        asset = self.source.add_dataframe_asset(f"{name}-{self.count}")
        batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
            batch_parameters={"dataframe": frame})
        suite = self.gx.ExpectationSuite(name=f"{name}-{self.count}")
        for spec in expectations:
            meta = dict(spec.get("meta", {}))
            try:
                config = self.configuration(type=spec["type"], kwargs=dict(spec["kwargs"]), meta=meta,
                                            severity=meta.get("severity", CRITICAL))
            except TypeError:  # older GE without a severity field
                config = self.configuration(type=spec["type"], kwargs=dict(spec["kwargs"]), meta=meta)
            # add_expectation (not add_expectation_configuration, which replaces an expectation of the same
            # type and column): several rules may look at one column
            suite.add_expectation(config.to_domain_obj())
        result_format = {"result_format": "COMPLETE",
                         "unexpected_index_column_names": [c for c in index_columns if c in frame.columns]}
        if not result_format["unexpected_index_column_names"]:
            result_format = {"result_format": "COMPLETE"}
        outcome = batch.validate(suite, result_format=result_format, expectation_parameters=parameters)
        return {r.expectation_config.meta.get("check"): r for r in outcome.results}


# --- reading files without raising -------------------------------------------------------------------------------
@dataclass
class _Table:
    frame: pd.DataFrame
    header: list[str]


class _Validation:
    def __init__(self, paths: InputPaths, force: str, strict: bool):
        self.paths = paths
        self.force = force
        self.data_dir = Path(paths.data)
        self.strict = strict
        self.findings: list[Finding] = []
        self.suites: dict[str, SuiteResult] = {}
        self.specs: dict[str, dict] = {}
        self.ge: _GreatExpectations | None = None
        self.params: dict[str, object] = {}  # shared facts: known forces, codes in the table, ...
        self.raw_codes: pd.DataFrame | None = None  # offence codes of the definition, with YAML lines
        self.raw_force: pd.DataFrame | None = None
        for name in SUITE_ORDER:
            spec = self._load_spec(name)
            self.specs[name] = spec
            self.suites[name] = SuiteResult(name, spec.get("file", ""),
                                            title=spec.get("title", name))

    # -- bookkeeping
    def _load_spec(self, name: str) -> dict:
        path = expectations_dir() / f"{name}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.findings.append(Finding(CRITICAL, name, f"expectations/{name}.json", None, None,
                                         "the suite file is readable JSON", None,
                                         f"the suite cannot be read ({exc}); nothing of this kind was checked"))
            return {"suite": name, "title": name, "batches": {}}

    def rel(self, path: Path) -> str:
        """Paths from the project folder (``data/...``, ``publications/...``), never the machine's root."""
        for folder in (self.paths.data, self.paths.publications):
            try:
                return f"{folder.name}/{Path(path).relative_to(folder).as_posix()}"
            except ValueError:
                continue
        return str(path)

    def add(self, suite: str, severity: str, file: str | None, row: int | None, column: str | None, rule: str,
            value: object, message: str) -> None:
        self.findings.append(Finding(severity, suite, file, row, column, rule, _plain(value), message))

    def check(self, suite: str, ok: bool, *args) -> bool:
        """Count a check done before Great Expectations (e.g. the file can be read); add a finding if it failed."""
        self.suites[suite].evaluated += 1
        if ok:
            self.suites[suite].passed += 1
        else:
            self.add(suite, *args)
        return ok

    def severity(self, meta: dict) -> str:
        if self.strict and meta.get("severity_when_strict"):
            return meta["severity_when_strict"]
        return meta.get("severity", CRITICAL)

    def has_critical(self, file: str) -> bool:
        return any(f.file == file and f.severity == CRITICAL for f in self.findings)

    @contextmanager
    def timed(self, suite: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.suites[suite].seconds += time.perf_counter() - start

    # -- Great Expectations batches
    def run_batch(self, suite: str, batch: str, frame: pd.DataFrame, file: str | None, parameters: dict | None = None,
                  context: dict | None = None) -> bool:
        """Validate ``frame`` with the expectations of ``batch`` in ``suite``; failures become findings.
        Expectations whose columns or parameters are not available are not evaluated. Returns whether all passed."""
        spec = self.specs[suite].get("batches", {}).get(batch)
        if spec is None:
            return True
        values = {**self.specs[suite].get("parameters", {}), **(parameters or {})}
        runnable = [e for e in spec["expectations"] if _columns_present(e, frame) and _parameters_present(e, values)]
        if not runnable:
            return True
        if self.ge is None:
            self.ge = _GreatExpectations()
        try:
            results = self.ge.validate(f"{suite}.{batch}", frame, runnable, _json_ready(values),
                                       spec.get("index_columns", []))
        except Exception as exc:  # a failure inside GE must never hide the input problems found so far
            self.check(suite, False, CRITICAL, file, None, None, "the checks could run", None,
                       f"the checks '{batch}' could not run ({type(exc).__name__}: {exc})")
            return False
        all_passed = True
        for expectation in runnable:
            meta = expectation.get("meta", {})
            result = results.get(meta.get("check"))
            self.suites[suite].evaluated += 1
            if result is not None and result.success:
                self.suites[suite].passed += 1
                continue
            all_passed = False
            self._findings_from(suite, expectation, result, file, {**values, **(context or {})})
        return all_passed

    def _findings_from(self, suite: str, expectation: dict, result, file: str | None, context: dict) -> None:
        meta = expectation.get("meta", {})
        kwargs = expectation.get("kwargs", {})
        severity = self.severity(meta)
        rule = _fill(meta.get("rule", expectation["type"]), context)
        column = meta.get("column") or kwargs.get("column") or kwargs.get("column_A") or \
            ", ".join(kwargs.get("column_list", [])) or None
        if result is None or (result.exception_info or {}).get("raised_exception"):
            info = getattr(result, "exception_info", None) or {}
            self.add(suite, severity, file, None, column, rule, None,
                     f"the rule could not be checked: {info.get('exception_message') or 'no result'}")
            return
        details = result.result or {}
        rows = details.get("unexpected_index_list")
        if rows is None or not isinstance(rows, list) or (rows and not isinstance(rows[0], dict)):
            observed = details.get("observed_value")
            fields = {**context, "observed": observed, "value": observed}
            value = _fill(meta["value"], fields) if "value" in meta else observed
            self.add(suite, severity, file, context.get("row"), column, rule, value, _fill(meta.get("message", rule),
                                                                                           fields))
            return
        value_column = kwargs.get("column") or kwargs.get("column_A")
        for row in rows[:MAX_ROWS_PER_RULE]:
            fields = {**context, **{k: _plain(v) for k, v in row.items()}}
            if value_column:
                fields["value"] = fields.get(value_column)
            elif kwargs.get("column_list"):
                fields["value"] = ", ".join(str(fields.get(c)) for c in kwargs["column_list"])
            line = fields.get(meta.get("line_column", "line"))
            where = fields.get(meta.get("file_column", "file")) or file
            value = _fill(meta["value"], fields) if "value" in meta else fields.get("value")
            self.add(suite, severity, where if isinstance(where, str) else file,
                     int(line) if isinstance(line, (int, float)) and not isinstance(line, bool) else None,
                     column, rule, value, _fill(meta.get("message", rule), fields))
        if len(rows) > MAX_ROWS_PER_RULE:
            self.add(suite, severity, file, None, column, rule, len(rows),
                     f"... and {len(rows) - MAX_ROWS_PER_RULE} more rows break this rule "
                     f"({len(rows)} in all; the first {MAX_ROWS_PER_RULE} are listed above)")

    # -- parse-level reading
    def read_csv(self, suite: str, path: Path, expected: list[str], *, missing: tuple[str, str] | None = None
                 ) -> _Table | None:
        """A CSV as strings with a ``line`` column; any parse problem becomes a finding (and None is returned).
        ``missing`` = (severity, message) when a missing file is allowed (else it is critical)."""
        name = self.rel(path)
        if not path.exists():
            severity, message = missing or (CRITICAL, "the file is missing")
            self.check(suite, False, severity, name, None, None, "file present", None, message)
            return None
        try:
            raw = path.read_bytes()
        except OSError as exc:
            self.check(suite, False, CRITICAL, name, None, None, "readable file", None, f"cannot read the file: {exc}")
            return None
        if path.suffix == ".gz":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError, zlib.error) as exc:
                self.check(suite, False, CRITICAL, name, None, None, "readable gzip file", None,
                           f"the file cannot be decompressed: it is truncated or damaged ({exc})")
                return None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            self.check(suite, False, CRITICAL, name, line, None, "UTF-8 encoding", repr(raw[exc.start: exc.start + 4]),
                       f"the file is not UTF-8 text (byte {exc.start}, line {line}); save it again as UTF-8 (CSV UTF-8)")
            return None
        lines = text.splitlines()
        if not lines or not lines[0].strip():
            self.check(suite, False, CRITICAL, name, 1, None, "header row present", None, "the file is empty")
            return None
        header = [h.strip() for h in next(csv.reader([lines[0]]))]
        if len(header) == 1 and any(sep in header[0] for sep in ";\t|"):
            self.check(suite, False, CRITICAL, name, 1, None, "comma-separated values", header[0][:120],
                       f"the header is one column: the file does not seem to be comma-separated "
                       f"(expected columns: {', '.join(expected)})")
            return None
        repeated = sorted({h for h in header if header.count(h) > 1})
        if repeated:
            self.check(suite, False, CRITICAL, name, 1, ", ".join(repeated), "each column once", repeated,
                       f"column(s) named more than once: {', '.join(repeated)}")
            return None
        bad, blank = [], False
        commas = len(header) - 1
        for line_no, line in enumerate(lines[1:], start=2):
            if not line.strip():
                blank = True
            elif line.count(",") != commas:
                fields = next(csv.reader([line]))
                if len(fields) != len(header):
                    bad.append((line_no, len(fields), line))
        if bad:
            for line_no, count, line in bad[:20]:
                self.add(suite, CRITICAL, name, line_no, None, "every row has every column", line[:120],
                         f"expected {len(header)} fields, found {count} (truncated, merged or malformed line?)")
            if len(bad) > 20:
                self.add(suite, CRITICAL, name, None, None, "every row has every column", len(bad),
                         f"... and {len(bad) - 20} more lines with the wrong number of fields")
            self.suites[suite].evaluated += 1  # one check (field counts), failed; the findings are above
            return None
        frame = None
        if not blank:
            try:
                frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[],
                                    skip_blank_lines=False, header=0, names=header)
            except (pd.errors.ParserError, ValueError):
                frame = None
            if frame is not None and len(frame) != len(lines) - 1:
                frame = None
            if frame is not None:
                frame["line"] = range(2, len(frame) + 2)
        if frame is None:  # blank lines or quoted line breaks: row by row, to keep exact line numbers
            body, short = [], []
            for n, row in enumerate(csv.reader(lines[1:]), start=2):
                if row and len(row) != len(header):  # e.g. an unclosed quote swallowing line breaks
                    short.append((n, len(row)))
                elif row:
                    body.append(row + [n])
            if short:
                for n, count in short[:20]:
                    self.add(suite, CRITICAL, name, n, None, "every row has every column", None,
                             f"expected {len(header)} fields, found {count} (an unclosed quote?)")
                self.suites[suite].evaluated += 1
                return None
            frame = pd.DataFrame(body, columns=header + ["line"], dtype=object)
            frame["line"] = frame["line"].astype(int)
            for column in header:
                frame[column] = frame[column].astype(str)
        self.check(suite, True)
        return _Table(frame, header)

    def header_ok(self, suite: str, table: _Table, expected: list[str], file: str) -> bool:
        return self.run_batch(suite, "header", pd.DataFrame(columns=table.header), file,
                              context={"columns_diff": _columns_diff(table.header, expected),
                                       "found": ", ".join(table.header), "row": 1})


def _columns_present(expectation: dict, frame: pd.DataFrame) -> bool:
    kwargs = expectation.get("kwargs", {})
    needed = [kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs] + list(
        kwargs.get("column_list", []) if isinstance(kwargs.get("column_list"), list) and
        expectation["type"] != "expect_table_columns_to_match_ordered_list" else [])
    return all(c in frame.columns for c in needed)


def _parameters_present(expectation: dict, values: dict) -> bool:
    for value in expectation.get("kwargs", {}).values():
        if isinstance(value, dict) and "$PARAMETER" in value and value["$PARAMETER"] not in values:
            return False
    return True


def _json_ready(values: dict) -> dict:
    return {k: sorted(v) if isinstance(v, (set, frozenset)) else v for k, v in values.items()}


# --- the suites ----------------------------------------------------------------------------------------------------
def _walk(v: _Validation, name: str, nodes, levels: int, depth: int, parent, strands, measures, codes) -> None:
    """Rows for the sections, measures and offence codes of the definition's tree, with their YAML lines."""
    suite = "strategy_definition"
    for node in nodes:
        if not isinstance(node, dict):
            v.add(suite, CRITICAL, name, getattr(parent, "line", None), "sections", "every section is a mapping",
                  _plain(node), f"a section of '{_text((parent or {}).get('name'))}' is not a mapping")
            continue
        children = node.get("sections") or []
        if depth + 1 < levels:
            if not isinstance(children, list) or not children:
                v.add(suite, CRITICAL, name, node.line, "sections", "every section above the last level has sections",
                      _plain(children), f"section '{_text(node.get('name'))}' has no list of sections under it")
                continue
            _walk(v, name, children, levels, depth + 1, node, strands, measures, codes)
            continue
        sid = _text(node.get("id"))
        items = [m for m in node.get("measures") or [] if isinstance(m, dict)]
        open_data = [m for m in items if _text(m.get("source", "home_office")) == "home_office"]
        strands.append({"line": node.line, "id": sid, "name": _text(node.get("name")),
                        "theme": _text((parent or {}).get("name")) if levels > 1 else "-",
                        "lead_role": _text(node.get("lead_role")), "aim": _text(node.get("aim")),
                        "tracker_name": _text(node.get("tracker_name", node.get("name"))),
                        "measure_or_statement": "yes" if open_data or _text(node.get("no_open_data")) else "no"})
        for m in items:
            source = _text(m.get("source", "home_office"))
            kind = "measures" if source == "home_office" else "force_extract_measures"
            listed = m.get("offence_codes") or []
            listed = listed if isinstance(listed, list) else [listed]
            measures.append({"line": m.line, "strand": sid, "measure": _text(m.get("id")), "kind": kind,
                             "source": source, "open_data_codes": len(listed) if source == "home_office" else 1})
            item_lines = m.item_lines.get("offence_codes", [])
            for i, code in enumerate(listed):
                line = item_lines[i] if i < len(item_lines) else m.lines.get("offence_codes", m.line)
                codes.append({"line": line, "strand": sid, "measure": _text(m.get("id")), "code": str(code)})


def _strategy(v: _Validation, path: Path):
    """Publication definition: raw checks with YAML line numbers, then the model. Returns (Publication, name)."""
    from strategy_update.model.publication import publication_from_mapping

    suite, name = "strategy_definition", v.rel(path)
    v.suites[suite].file = name
    if not path.exists():
        v.check(suite, False, CRITICAL, name, None, None, "file present", None,
                "the publication folder has no definition (publication.yml)")
        return None, None
    try:
        raw = yaml.load(path.read_bytes().decode("utf-8-sig"), Loader=LineLoader)
    except UnicodeDecodeError:
        v.check(suite, False, CRITICAL, name, None, None, "UTF-8 encoding", None,
                "the publication definition is not UTF-8 text")
        return None, None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        what = " ".join(str(x) for x in [getattr(exc, "context", None), getattr(exc, "problem", None)] if x)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        v.check(suite, False, CRITICAL, name, mark.line + 1 if mark else None, None, "valid YAML", None,
                f"the publication definition is not valid YAML: {what or exc}{where}")
        return None, None
    levels = raw.get("levels") if isinstance(raw, dict) else None
    if not isinstance(raw, dict) or not isinstance(raw.get("sections"), list) or not isinstance(levels, list) \
            or not levels:
        v.check(suite, False, CRITICAL, name, None, "sections", "a list of levels and a tree of sections", None,
                "the publication definition has no 'levels' list or no 'sections' tree")
        return None, None
    v.check(suite, True)
    strands, measures, codes = [], [], []
    _walk(v, name, raw["sections"], len(levels), 0, None, strands, measures, codes)
    v.run_batch(suite, "strands", pd.DataFrame(strands, columns=["line", "id", "name", "theme", "lead_role", "aim",
                                                                 "tracker_name", "measure_or_statement"]), name)
    v.run_batch(suite, "measures", pd.DataFrame(measures, columns=["line", "strand", "measure", "kind", "source",
                                                                   "open_data_codes"]), name)
    v.raw_codes = pd.DataFrame(codes, columns=["line", "strand", "measure", "code"])
    v.raw_force = pd.DataFrame([{"line": raw.lines.get("default_force", raw.lines.get("owner_force")),
                                 "force": v.force}])
    if v.has_critical(name):
        return None, name
    try:
        publication = publication_from_mapping(raw, path.parent, name)
    except InputError as exc:
        v.add(suite, CRITICAL, name, exc.row, exc.column, exc.rule or "the publication definition can be read",
              exc.value, exc.message)
        return None, name
    return publication, name


def _strategy_cross_checks(v: _Validation, name: str | None) -> None:
    """Checks of the definition against the data (run once the crime and population tables are read)."""
    if name is None or v.raw_codes is None:
        return
    suite = "strategy_definition"
    v.run_batch(suite, "codes", v.raw_codes, name, v.params)
    v.run_batch(suite, "force", v.raw_force, name, v.params)


def _population(v: _Validation) -> pd.DataFrame | None:
    suite = "population"
    paths = v.paths.population
    if not v.check(suite, bool(paths), CRITICAL, f"{v.data_dir.name}/raw/ons/", None, None, "population files present",
                   None, "no population files found (data/raw/ons/pfa-population-*.csv)"):
        return None
    expected = v.specs[suite].get("parameters", {}).get("columns", [])
    frames = []
    for path in paths:
        table = v.read_csv(suite, path, expected)
        if table is None:
            continue
        name = v.rel(path)
        if "force_name" in table.header:  # names are known even when other columns are wrong
            v.params.setdefault("population_forces", set()).update(table.frame["force_name"].str.strip())
        if not v.header_ok(suite, table, expected, name):
            continue
        frame = table.frame
        frame["file"] = name
        frames.append(frame)
    if not frames:
        return None
    frame = pd.concat(frames, ignore_index=True)
    v.run_batch(suite, "rows", frame, None)
    year_ok = frame["mid_year"].str.fullmatch(r"\s*[0-9]{4}\s*")
    pop_ok = frame["population"].str.fullmatch(r"\s*-?[0-9]+\s*")
    values = frame[year_ok & pop_ok].copy()
    values["mid_year_value"] = values["mid_year"].astype(int)
    values["population_value"] = values["population"].astype(int)
    v.run_batch(suite, "values", values, None)
    return values


def _population_edition(v: _Validation, values: pd.DataFrame | None, strategy, edition: Quarter | None) -> None:
    if values is None or edition is None:
        return
    end_year = edition.end_month[0]
    rows = values[(values["force_name"] == v.force) & (values["mid_year_value"] <= end_year)]
    latest = int(rows["mid_year_value"].max()) if len(rows) else None
    frame = pd.DataFrame([{"force": v.force, "end_year": end_year, "latest_year": latest}])
    v.run_batch("population", "edition", frame, f"{v.data_dir.name}/raw/ons/pfa-population-*.csv")


def _crime(v: _Validation, strategy, edition: Quarter | None) -> None:
    suite = "home_office_crime"
    path = v.paths.crime
    name = v.rel(path)
    v.suites[suite].file = name
    expected = v.specs[suite].get("parameters", {}).get("columns", [])
    table = v.read_csv(suite, path, expected)
    if table is None or not v.header_ok(suite, table, expected, name):
        return
    frame = table.frame
    v.params["codes_in_table"] = set(frame["Offence Code"].unique())
    v.params["crime_forces"] = set(frame["Force Name"].unique())
    params = {"financial_years": FINANCIAL_YEARS}
    if v.params.get("population_forces"):
        params["known_forces"] = set(v.params["population_forces"]) | set(
            v.specs[suite]["parameters"].get("non_territorial_forces", []))
    v.run_batch(suite, "rows", frame, name, params)
    if strategy is None:
        return
    force = v.force
    rows = frame[frame["Force Name"] == force]
    ok = (rows["Financial Year"].isin(FINANCIAL_YEARS) & rows["Financial Quarter"].isin(["1", "2", "3", "4"])
          & rows["Number of Offences"].str.fullmatch(r"\s*-?[0-9]+\s*"))
    rows = rows[ok].copy()
    rows["count"] = rows["Number of Offences"].str.strip().astype(int)
    rows["quarter_index"] = rows["Financial Year"].str[:4].astype(int) * 4 + rows["Financial Quarter"].astype(int) - 1
    context = {"force": force}
    parameters = {}
    if len(rows) and edition is not None:
        first_data = Quarter.from_index(int(rows["quarter_index"].min()))
        last_data = Quarter.from_index(int(rows["quarter_index"].max()))
        first_needed = edition.shift(-7) if strategy.baseline_end is None else \
            min(strategy.baseline_end.shift(-3), edition.shift(-7))
        history_start = max(edition.shift(1 - strategy.history_quarters), first_data)
        window_first = min(first_needed, history_start)
        context.update(edition=edition.id, first_data=first_data.id, last_data=last_data.id,
                       first_needed=first_needed.id, window=f"{window_first.id} to {edition.id}")
        parameters.update(edition_index=edition.index, first_needed_index=first_needed.index)
    v.run_batch(suite, "force_rows", rows, name, parameters, context)
    if not len(rows) or edition is None:
        return
    lo, hi = max(window_first, first_data), min(edition, last_data)
    per_quarter = rows.groupby("quarter_index").size()
    window = pd.DataFrame([{"quarter": q.id, "financial_year_quarter": f"{q.financial_year} Q{q.number}",
                            "rows": int(per_quarter.get(q.index, 0))} for q in quarter_range(lo, hi)],
                          columns=["quarter", "financial_year_quarter", "rows"])
    v.run_batch(suite, "force_quarters", window, name, None, context)
    measure_rows = []
    for strand in strategy.leaves:
        for measure in strand.open_data_measures:
            if measure.source != "home_office" or not measure.offence_codes:
                continue
            start = max(window_first, measure.series_start) if measure.series_start else window_first
            mine = rows[rows["Offence Code"].isin(measure.offence_codes)]
            groups = {k: g for k, g in mine.groupby("quarter_index")}
            for q in quarter_range(max(start, first_data), hi):
                if q.index not in per_quarter.index:
                    continue  # the force has no rows at all that quarter: reported once, above
                g = groups.get(q.index)
                negative = [] if g is None else [int(x) for x in g.loc[g["count"] < 0, "line"]]
                measure_rows.append({"strand": strand.id, "measure": measure.id, "quarter": q.id,
                                     "codes": ", ".join(measure.offence_codes),
                                     "rows": 0 if g is None else len(g),
                                     "total": 0 if g is None else int(g["count"].sum()),
                                     "negative_lines": ", ".join(map(str, negative)) or "none"})
    frame = pd.DataFrame(measure_rows, columns=["strand", "measure", "quarter", "codes", "rows", "total",
                                                "negative_lines"])
    v.run_batch(suite, "measure_quarters", frame, name, None, context)


def _delivery(v: _Validation, strategy, edition: Quarter | None) -> None:
    from strategy_update.inputs.readers import load_delivery

    suite = "delivery_tracker"
    if strategy is None or edition is None or strategy.delivery is None:
        return
    path = v.paths.delivery(edition)
    name = v.rel(path)
    v.suites[suite].file = name
    expected = v.specs[suite].get("parameters", {}).get("columns", [])
    severity = CRITICAL if v.strict else WARNING
    table = v.read_csv(suite, path, expected, missing=(
        severity, f"the delivery tracker for {edition.id} was not supplied"
        + (" (--strict requires it)" if v.strict else "; the pages say so")))
    if table is None or not v.header_ok(suite, table, expected, name):
        return
    frame = table.frame.copy()
    frame["strand"] = frame["strand"].str.strip()
    frame["quarter"] = frame["quarter"].str.strip()
    names = [s.tracker_name for s in strategy.leaves]
    v.run_batch(suite, "rows", frame, name,
                {"quarter_spellings": _edition_spellings(edition), "tracker_names": names},
                {"edition": edition.id, "tracker_list": "; ".join(names)})
    counts = ["total_actions", "complete", "ongoing", "at_risk"]
    ok = pd.Series(True, index=frame.index)
    for column in counts:
        ok &= frame[column].str.fullmatch(r"\s*[0-9]+\s*")
    sums = frame[ok].copy()
    for column in counts:
        sums[column] = sums[column].str.strip().astype(int)
    sums["parts"] = sums["complete"] + sums["ongoing"] + sums["at_risk"]
    sums["excess"] = sums["parts"] - sums["total_actions"]
    sums["gap"] = sums["total_actions"] - sums["parts"]
    v.run_batch(suite, "sums", sums, name)
    present = set(frame["strand"])
    coverage = pd.DataFrame([{"strand_id": s.id, "tracker_name": s.tracker_name,
                              "supplied": "yes" if s.tracker_name in present else "no"} for s in strategy.leaves],
                            columns=["strand_id", "tracker_name", "supplied"])
    v.run_batch(suite, "coverage", coverage, name)
    if not v.has_critical(name):  # the package's own loader must agree
        try:
            load_delivery(path)
        except InputError as exc:
            v.add(suite, CRITICAL, name, exc.row, exc.column, exc.rule or "readable tracker", exc.value, exc.message)


def _narrative(v: _Validation, strategy, edition: Quarter | None) -> None:
    """Narrative: the reader's frames of each file (front matter, Markdown tokens, sections) checked by the suite."""
    from strategy_update.inputs.narrative import narrative_frames, read_narrative

    suite = "narrative"
    if strategy is None or edition is None:
        return
    folder = v.paths.narrative_folder(edition)
    v.suites[suite].file = v.rel(folder) + "/"
    ids = [s.id for s in strategy.leaves]
    key = strategy.leaf_level.id
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []
    markdown = [p for p in entries if p.is_file() and p.suffix == ".md"]
    for other in entries:
        if other not in markdown:
            v.add(suite, WARNING, v.rel(other), None, None, f"one file per {key}, named <{key} id>.md", other.name,
                  "not a narrative (.md) file; it is ignored")
    files = pd.DataFrame([{"file": v.rel(p), "stem": p.stem} for p in markdown], columns=["file", "stem"])
    v.run_batch(suite, "files", files, None, {"strand_ids": ids}, {"strand_list": ", ".join(ids)})
    supplied = pd.DataFrame([{"strand": sid, "expected_file": v.rel(folder / f"{sid}.md"),
                              "supplied": "yes" if (folder / f"{sid}.md").is_file() else "no"} for sid in ids],
                            columns=["strand", "expected_file", "supplied"])
    v.run_batch(suite, "supplied", supplied, None)
    headings = [part.heading for part in strategy.narrative]
    fronts, tokens, sections, parsed = [], [], [], []
    for path in (p for p in markdown if p.stem in ids):
        name = v.rel(path)
        frames = narrative_frames(path, display_name=name, key=key)
        facts = frames["file"].iloc[0]
        if not v.check(suite, facts["utf8"] == "yes", CRITICAL, name, _int(facts["bad_line"]), None, "UTF-8 encoding",
                       None, "the narrative is not saved as UTF-8 text; save it again as UTF-8"):
            continue
        if not v.check(suite, facts["empty"] == "no", CRITICAL, name, None, None, "narrative has content", None,
                       "the narrative file is empty"):
            continue
        parsed.append(path)
        front = frames["front_matter"].assign(expected_strand=path.stem, edition=edition.id, first_line=1)
        front["named_quarter"] = [_quarter_id(q) for q in front["named_quarter"]]
        fronts.append(front)
        tokens.append(frames["tokens"])
        found = {row["heading"]: row for _, row in frames["sections"].iterrows()}
        for heading in headings:
            row = found.get(heading)
            status = "missing" if row is None else ("empty" if row["empty"] == "yes" else "present")
            sections.append({"file": name, "section": heading, "line": None if row is None else _int(row["line"]),
                             "status": status})
    tokens = pd.concat(tokens, ignore_index=True) if tokens else pd.DataFrame(columns=["file", "line", "type", "value",
                                                                                       "scheme"])
    v.run_batch(suite, "tokens", tokens, None)
    links = tokens[tokens["type"] == "link_open"].copy()
    links["scheme_shown"] = [f"{s}:" if s else "relative" for s in links["scheme"]]
    v.run_batch(suite, "links", links, None)
    front = pd.concat(fronts, ignore_index=True) if fronts else pd.DataFrame(columns=[
        "file", "first_line", "has_front_matter", "expected_strand", "named_section", "section_line", "edition",
        "named_quarter", "quarter_line", "yaml_error", "yaml_error_line"])
    v.run_batch(suite, "front_matter", front, None, context={"key": key})
    v.run_batch(suite, "sections", pd.DataFrame(sections, columns=["file", "section", "line", "status"]), None,
                context={"required": ", ".join(headings)})
    for path in parsed:  # the build's reader must agree
        name = v.rel(path)
        if v.has_critical(name):
            continue
        _, errors = read_narrative(path, display_name=name, key=key, section_id=path.stem, quarter=edition,
                                   headings=headings)
        for e in errors:
            v.add(suite, CRITICAL, name, e.line, e.column, e.rule, e.value, e.message)


def _int(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _quarter_id(text) -> str | None:
    """The front matter's quarter as an id, or the text itself when it is not a quarter (so the rule names it)."""
    if text is None or (isinstance(text, float) and math.isnan(text)) or str(text).strip() == "":
        return None
    try:
        return parse_quarter(str(text)).id
    except QuarterError:
        return str(text)


def _force_extracts(v: _Validation, strategy) -> None:
    """Force extracts: the reader's frame of each file (periods, values, duplicates, gaps) checked by the suite."""
    from strategy_update.inputs.readers import read_force_extract

    suite = "force_extracts"
    folder = v.paths.force_extracts
    v.suites[suite].file = v.rel(folder) + "/"
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []
    csvs = [p for p in entries if p.is_file() and p.suffix == ".csv"]
    for other in entries:
        if other not in csvs and other.name != "README.md":
            v.add(suite, WARNING, v.rel(other), None, None, "force extracts are <measure id>.csv files", other.name,
                  "not a force extract (.csv) file; it is ignored")
    if strategy is None:
        return
    measures = {m.id: m for s in strategy.leaves for m in s.force_extract_measures}
    known = list(measures)
    files = pd.DataFrame([{"file": v.rel(p), "measure": p.stem} for p in csvs], columns=["file", "measure"])
    v.run_batch(suite, "files", files, None, {"extract_measures": known}, {"measure_list": ", ".join(known)})
    for path in (p for p in csvs if p.stem in measures):
        name = v.rel(path)
        try:
            frame = read_force_extract(path)
        except InputError as exc:
            v.check(suite, False, CRITICAL, name, exc.row, exc.column, exc.rule or "readable extract", exc.value,
                    exc.message)
            continue
        v.check(suite, True)
        measure = measures[path.stem]
        frame["whole_ok"] = "yes" if not measure.whole_numbers else frame["whole"]
        v.run_batch(suite, "rows", frame, name, None, {"unit": measure.unit})
        readable = frame[frame["kind"].notna()]
        kinds = sorted(set(readable["kind"]))
        v.run_batch(suite, "periods", readable, name, None, {"kinds": ", ".join(kinds)})


# --- the entry point ---------------------------------------------------------------------------------------------
def validate_inputs(paths: InputPaths, force: str, quarter: str | None, strict: bool = False) -> ValidationReport:
    """Check every input of an edition. Never raises for bad input: every problem is a Finding in the report."""
    started = time.perf_counter()
    data_dir = Path(paths.data)
    v = _Validation(paths, force, strict)
    if not data_dir.is_dir():
        v.add("home_office_crime", CRITICAL, str(data_dir), None, None, "data folder present", None,
              f"the data folder {data_dir} does not exist")
    strategy, strategy_file, edition = None, None, None
    v.ge = _guarded(v, "home_office_crime", _GreatExpectations, None)  # the import takes a few seconds, once
    with v.timed("strategy_definition"):
        strategy, strategy_file = _guarded(v, "strategy_definition", lambda: _strategy(
            v, paths.definition), (None, None))
    if quarter:
        try:
            edition = parse_quarter(quarter)
        except QuarterError as exc:
            v.add("edition", CRITICAL, "(command line)", None, "--quarter",
                  "quarter id (Q1 to Q4 of a financial year)", str(quarter), str(exc))
    elif strategy is not None:
        edition = strategy.default_quarter
    if strategy is not None and edition is not None and not strategy.accepts(edition):
        span = " to ".join(q.id for q in (strategy.first_quarter, strategy.last_quarter) if q)
        v.add("edition", CRITICAL, strategy_file, None, "--quarter", "the quarter is one of the publication's editions",
              edition.id, f"the {strategy.title} has no edition for {edition.id}: its editions are {span}")
    _unknown_publication_folders(v)
    with v.timed("population"):
        population = _guarded(v, "population", lambda: _population(v), None)
    with v.timed("home_office_crime"):
        _guarded(v, "home_office_crime", lambda: _crime(v, strategy, edition), None)
    with v.timed("population"):
        _guarded(v, "population", lambda: _population_edition(v, population, strategy, edition), None)
    with v.timed("strategy_definition"):
        _guarded(v, "strategy_definition", lambda: _strategy_cross_checks(v, strategy_file), None)
    with v.timed("delivery_tracker"):
        _guarded(v, "delivery_tracker", lambda: _delivery(v, strategy, edition), None)
    with v.timed("narrative"):
        _guarded(v, "narrative", lambda: _narrative(v, strategy, edition), None)
    with v.timed("force_extracts"):
        _guarded(v, "force_extracts", lambda: _force_extracts(v, strategy), None)
    order = {name: i for i, name in enumerate(["edition", *SUITE_ORDER])}
    findings = sorted(v.findings, key=lambda f: (f.severity != CRITICAL, order.get(f.suite, 99)))
    return ValidationReport(findings=findings, suites=[v.suites[name] for name in SUITE_ORDER],
                            quarter=edition.id if edition else None, quarter_label=edition.label if edition else None,
                            strict=strict, data_dir=data_dir.name, seconds=round(time.perf_counter() - started, 3))


def _unknown_publication_folders(v: _Validation) -> None:
    """A force's inputs for a publication that does not exist would be silently ignored: say so instead."""
    from strategy_update.inputs.paths import publication_ids

    force_folder = v.paths.force_inputs.parent
    known = publication_ids(v.paths.publications)
    if not force_folder.is_dir():
        return
    for folder in sorted(p for p in force_folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        if folder.name not in known:
            v.add("edition", CRITICAL, v.rel(folder) + "/", None, None,
                  "a force's inputs sit in a folder named after a known publication", folder.name,
                  f"the inputs in {v.rel(folder)}/ are for publication '{folder.name}', which is not defined "
                  f"(known publications: {', '.join(known) or 'none'}); rename or move the folder")


def _guarded(v: _Validation, suite: str, step, default):
    """Run one suite; an unexpected error inside it becomes a critical finding instead of a traceback."""
    try:
        return step()
    except Exception as exc:  # never raise for bad input
        v.add(suite, CRITICAL, None, None, None, "the input can be checked", None,
              f"the {suite.replace('_', ' ')} checks stopped on an unexpected problem: {type(exc).__name__}: {exc}")
        return default
