"""Running Great Expectations on the frames the readers return, and turning each failed expectation into a finding
that names the file, the line, the column, the rule and the value.

The rules live in ``expectations/*.json``, one suite per kind of input. Each suite holds batches of expectations in
the Great Expectations 1.x form (``type``, ``kwargs``, ``meta``); ``meta`` carries the severity ("critical" stops
the build, "warning" is published in the data quality appendix), the rule in plain words and the message shown
for each failure. Parameters that depend on the edition are ``{"$PARAMETER": name}`` placeholders filled in at
run time.
"""

from __future__ import annotations

import copy
import json
import math
import os
import string
import time
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd

from strategy_update.core.errors import CRITICAL, ErrorRecord, InputError
from strategy_update.inputs.limits import FORCE_TABLE, TableLimit
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.report import SuiteResult

MAX_ROWS_PER_RULE = 50  # failing rows listed one by one per expectation; the rest are counted
SUITE_ORDER = ["home_office_crime", "population", "workforce", "strategy_definition", "delivery_tracker", "narrative",
               "force_extracts", "peer_group"]


def expectations_dir() -> Path:
    """The suites: ``expectations/`` beside ``src/`` in the project (or in the current folder)."""
    here = Path(__file__).resolve().parents[3] / "expectations"
    return here if here.is_dir() else Path.cwd() / "expectations"


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
        self.definitions: dict[str, object] = {}  # batch definitions by "suite.batch"

    def validate(self, name: str, frame: pd.DataFrame, expectations: list[dict], parameters: dict,
                 index_columns: list[str]) -> dict[str, object]:
        """Validate a frame against expectations; returns each expectation's result by its meta 'check'."""
        self.count += 1
        definition = self.definitions.get(name)
        if definition is None:  # one asset per batch of a suite, reused: each new asset rewrites the whole config
            definition = self.definitions[name] = self.source.add_dataframe_asset(
                name).add_batch_definition_whole_dataframe("whole")
        batch = definition.get_batch(batch_parameters={"dataframe": frame})
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
        self.findings: list[ErrorRecord] = []
        self.suites: dict[str, SuiteResult] = {}
        self.specs: dict[str, dict] = {}
        self.ge: _GreatExpectations | None = None
        self.params: dict[str, object] = {}  # shared facts: known forces, codes in the table, ...
        self.raw_codes: pd.DataFrame | None = None  # offence codes of the definition, with YAML lines
        self.raw_force: pd.DataFrame | None = None
        self.raw_workforce: pd.DataFrame | None = None  # workforce measures of the definition, with YAML lines
        for name in SUITE_ORDER:
            spec = self._load_spec(name)
            self.specs[name] = spec
            self.suites[name] = SuiteResult(name, spec.get("file", ""),
                                            title=spec.get("title", name))

    def for_force(self, paths: InputPaths, force: str, share: float = 1.0) -> _Validation:
        """A copy of this state (the shared inputs judged) for one force's own checks to add to: the findings and
        suite counts so far, the facts in ``params``, the suites and the Great Expectations context. ``share`` is
        the part of the time spent so far that the force's report carries (1 / the number of forces checked)."""
        mine = copy.copy(self)
        mine.paths, mine.force = paths, force
        mine.findings = list(self.findings)
        mine.suites = {name: replace(s, seconds=s.seconds * share) for name, s in self.suites.items()}
        mine.params = {k: set(v) if isinstance(v, set) else v for k, v in self.params.items()}
        return mine

    # -- bookkeeping
    def _load_spec(self, name: str) -> dict:
        path = expectations_dir() / f"{name}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            self.findings.append(ErrorRecord(f"expectations/{name}.json", None, None, "the suite file is readable JSON",
                                             None, f"the suite cannot be read ({exc}); nothing of this kind was "
                                             "checked", CRITICAL, name))
            return {"suite": name, "title": name, "batches": {}}

    def rel(self, path: Path) -> str:
        """Paths from the project folder (``data/...``, ``publications/...``), never the machine's root."""
        for folder in (self.paths.data, self.paths.publications):
            try:
                return f"{folder.name}/{Path(path).relative_to(folder).as_posix()}"
            except ValueError:
                continue
        return str(path)

    def add(self, suite: str, severity: str, file: str | None, line: int | None, column: str | None, rule: str,
            value: object, message: str) -> None:
        self.findings.append(ErrorRecord(file, line, column, rule, _plain(value), message, severity, suite))

    def check(self, suite: str, ok: bool, *args) -> bool:
        """Count a check done before Great Expectations (e.g. the file can be read); add a finding if it failed."""
        self.suites[suite].evaluated += 1
        if ok:
            self.suites[suite].passed += 1
        else:
            self.add(suite, *args)
        return ok

    def unreadable(self, suite: str, file: str, exc: InputError, rule: str, *, counted: bool = True) -> None:
        """Record a reader's error as a critical finding of ``suite`` (the reader's rule when it named one)."""
        r = exc.record
        args = (CRITICAL, file, r.line, r.column, r.rule or rule, r.value, r.message)
        if counted:
            self.check(suite, False, *args)
        else:
            self.add(suite, *args)

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
        column = _fill(meta["column"], context) if meta.get("column") else (
            kwargs.get("column") or kwargs.get("column_A") or ", ".join(kwargs.get("column_list", [])) or None)
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
                fields.setdefault("value", fields.get(value_column))  # a column named "value" is the row's own
            elif kwargs.get("column_list"):
                fields["value"] = ", ".join(str(fields.get(c)) for c in kwargs["column_list"])
            line = fields.get(meta.get("line_column", "line"))
            where = fields.get(meta.get("file_column", "file")) or file
            value = _fill(meta["value"], fields) if "value" in meta else fields.get("value")
            named = fields.get(meta["column_field"]) if meta.get("column_field") else None  # long frames name it
            self.add(suite, severity, where if isinstance(where, str) else file,
                     int(line) if isinstance(line, (int, float)) and not isinstance(line, bool) else None,
                     named or column, rule, value, _fill(meta.get("message", rule), fields))
        if len(rows) > MAX_ROWS_PER_RULE:
            self.add(suite, severity, file, None, column, rule, len(rows),
                     f"... and {len(rows) - MAX_ROWS_PER_RULE} more rows break this rule "
                     f"({len(rows)} in all; the first {MAX_ROWS_PER_RULE} are listed above)")

    # -- reading, through the inputs' own reader
    def read_csv(self, suite: str, path: Path, *, missing: tuple[str, str] | None = None,
                 limit: TableLimit = FORCE_TABLE) -> _Table | None:
        """The table as ``readers.read_raw_table`` reads it; a file it cannot read becomes a finding (and None).
        ``missing`` = (severity, message) when a missing file is allowed (else it is critical); ``limit``: how
        large the table may be (a force's own table unless said otherwise)."""
        from strategy_update.inputs.readers import read_raw_table

        name = self.rel(path)
        if not path.exists():
            severity, message = missing or (CRITICAL, "the file is missing")
            self.check(suite, False, severity, name, None, None, "file present", None, message)
            return None
        try:
            frame = read_raw_table(path, limit)
        except InputError as exc:
            self.unreadable(suite, name, exc, "readable file")
            return None
        self.check(suite, True)
        return _Table(frame, [c for c in frame.columns if c != "line"])

    def header_ok(self, suite: str, table: _Table, expected: list[str], file: str) -> bool:
        return self.run_batch(suite, "header", pd.DataFrame(columns=table.header), file, {"columns": expected},
                              context={"column_names": ",".join(expected), "found": ", ".join(table.header),
                                       "columns_diff": _columns_diff(table.header, expected), "row": 1})


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


