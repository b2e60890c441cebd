"""Input validation: every input of an edition is checked with Great Expectations before anything is computed.

One suite per kind of input (Home Office crime table, ONS population, publication definition, delivery tracker,
narrative, force extracts). Each suite reads its input through the inputs' own readers (``readers``,
``narrative``, ``definition``) and has Great Expectations judge the frames they return (``expectations``).
This module checks the shared inputs (open data, the definition) and runs every suite; the checks of a force's
own inputs are in ``validate_force_inputs``.

``validate_editions`` checks the editions of many forces at once (the national edition): what every force shares
(the definition, the crime, population and workforce tables, the definition against the data) is read and judged
once, then each force's own checks build on a copy of that state, so each force's report is the one a check of that
force alone gives. ``validate_inputs`` is that with one force.

Neither raises for bad input: problems found before Great Expectations can run (a file that is
missing, truncated, not UTF-8, not comma-separated, with a short row) and every failed expectation become a
:class:`~strategy_update.core.errors.ErrorRecord` naming the file, the line, the column, the rule and the offending
value.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from strategy_update.core.errors import InputError
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter, quarter_range
from strategy_update.inputs.board import check_board
from strategy_update.inputs.definition import LineLoader, shape_problem
from strategy_update.inputs.expectations import SUITE_ORDER, _GreatExpectations, _plain, _text, _Validation
from strategy_update.inputs.limits import OPEN_DATA_TABLE
from strategy_update.inputs.paths import InputPaths, file_stamps
from strategy_update.inputs.report import CRITICAL, WARNING, ValidationReport
from strategy_update.inputs.validate_force_inputs import (
    check_delivery,
    check_force_extracts,
    check_narrative,
    check_peer_group,
)

FINANCIAL_YEARS = [f"{y}/{(y + 1) % 100:02d}" for y in range(1990, 2100)]


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
        open_data = [m for m in items if _text(m.get("source", "home_office")) in ("home_office", "workforce")]
        strands.append({"line": node.line, "id": sid, "name": _text(node.get("name")),
                        "theme": _text((parent or {}).get("name")) if levels > 1 else "-",
                        "lead_role": _text(node.get("lead_role")), "aim": _text(node.get("aim")),
                        "tracker_name": _text(node.get("tracker_name", node.get("name"))),
                        "measure_or_statement": "yes" if open_data or _text(node.get("no_open_data")) else "no"})
        for m in items:
            source = _text(m.get("source", "home_office"))
            kind = {"home_office": "measures", "workforce": "workforce_measures"}.get(source, "force_extract_measures")
            workforce = source == "workforce"
            listed = m.get("offence_codes") or []
            listed = listed if isinstance(listed, list) else [listed]
            measures.append({"line": m.line, "strand": sid, "measure": _text(m.get("id")), "kind": kind,
                             "source": source, "open_data_codes": len(listed) if source == "home_office" else 1,
                             "direction": _text(m.get("direction")),
                             "direction_reason_given": "yes" if _text(m.get("direction")) != "neither"
                             or _text(m.get("direction_reason")) else "no", "aspiration": _text(m.get("aspiration")),
                             "workforce_count": _text(m.get("count")) if workforce else "not a workforce measure",
                             "workforce_worker_type": _text(m.get("worker_type")) if workforce else "-"})
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
    problem = shape_problem(raw)
    if problem:
        v.check(suite, False, CRITICAL, name, None, "sections", "a list of levels and a tree of sections", None,
                problem)
        return None, None
    levels = raw["levels"]
    v.check(suite, True)
    strands, measures, codes = [], [], []
    _walk(v, name, raw["sections"], len(levels), 0, None, strands, measures, codes)
    v.run_batch(suite, "strands", pd.DataFrame(strands, columns=["line", "id", "name", "theme", "lead_role", "aim",
                                                                 "tracker_name", "measure_or_statement"]), name)
    measures = pd.DataFrame(measures, columns=["line", "strand", "measure", "kind", "source", "open_data_codes",
                                               "direction", "direction_reason_given", "aspiration", "workforce_count",
                                               "workforce_worker_type"])
    v.run_batch(suite, "measures", measures, name)
    v.raw_workforce = measures[measures["kind"] == "workforce_measures"].rename(
        columns={"workforce_worker_type": "worker_type"})[["line", "measure", "worker_type"]].assign(file=name)
    v.raw_codes = pd.DataFrame(codes, columns=["line", "strand", "measure", "code"])
    # the line naming the force; which force is checked against the tables is each edition's own (see _force_named)
    v.raw_force = pd.DataFrame([{"line": raw.lines.get("default_force", raw.lines.get("owner_force"))}])
    if v.has_critical(name):
        return None, name
    try:
        publication = publication_from_mapping(raw, path.parent, name)
    except InputError as exc:
        v.unreadable(suite, name, exc, "the publication definition can be read", counted=False)
        return None, name
    return publication, name


def _strategy_cross_checks(v: _Validation, name: str | None) -> None:
    """Checks of the definition against the data (run once the crime and population tables are read)."""
    if name is None or v.raw_codes is None:
        return
    v.run_batch("strategy_definition", "codes", v.raw_codes, name, v.params)


def _force_named(v: _Validation, name: str | None) -> None:
    """The edition's force is in the crime and population tables (a check of the definition's force line)."""
    if name is None or v.raw_force is None:
        return
    v.run_batch("strategy_definition", "force", v.raw_force.assign(force=v.force), name, v.params)


def _population(v: _Validation) -> pd.DataFrame | None:
    suite = "population"
    paths = v.paths.population
    if not v.check(suite, bool(paths), CRITICAL, f"{v.data_dir.name}/raw/ons/", None, None, "population files present",
                   None, "no population files found (data/raw/ons/pfa-population-*.csv)"):
        return None
    expected = v.specs[suite].get("parameters", {}).get("columns", [])
    frames = []
    for path in paths:
        table = v.read_csv(suite, path, limit=OPEN_DATA_TABLE)
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


def _workforce(v: _Validation, strategy) -> None:
    """The Home Office workforce table, checked only when the publication has a workforce measure."""
    from strategy_update.inputs.readers import load_workforce

    suite = "workforce"
    path = v.paths.workforce
    name = v.rel(path)
    v.suites[suite].file = name
    if strategy is None or not strategy.has_workforce:
        return
    expected = v.specs[suite].get("parameters", {}).get("columns", [])
    table = v.read_csv(suite, path, limit=OPEN_DATA_TABLE)
    if table is None or not v.header_ok(suite, table, expected, name):
        return
    frame = table.frame
    params = {"population_forces": set(v.params["population_forces"])} if v.params.get("population_forces") else {}
    v.run_batch(suite, "rows", frame, name, params)
    number = r"\s*([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*"
    ok = (frame["as_at_31_march"].str.fullmatch(r"\s*[0-9]{4}\s*") & frame["headcount"].str.fullmatch("-?" + number)
          & frame["fte"].str.fullmatch("-?" + number))
    values = frame[ok].copy()
    values["year_value"] = values["as_at_31_march"].astype(int)
    values["headcount_value"] = values["headcount"].astype(float)
    values["fte_value"] = values["fte"].astype(float)
    values["worker_type"] = values["worker_type"].str.strip()
    values["force_name"] = values["force_name"].str.strip()
    v.run_batch(suite, "values", values, name)
    types = sorted(set(frame["worker_type"].str.strip()) - {""})
    if v.raw_workforce is not None and len(v.raw_workforce):
        v.run_batch(suite, "measures", v.raw_workforce, v.raw_workforce["file"].iloc[0], {"worker_types": types},
                    {"worker_type_list": ", ".join(types)})
    if not v.has_critical(name):  # the package's own reader must agree
        try:
            load_workforce(path)
        except InputError as exc:
            v.unreadable(suite, name, exc, "readable workforce table", counted=False)


def _population_edition(v: _Validation, values: pd.DataFrame | None, strategy, edition: Quarter | None) -> None:
    if values is None or edition is None:
        return
    end_year = edition.end_month[0]
    rows = values[(values["force_name"] == v.force) & (values["mid_year_value"] <= end_year)]
    latest = int(rows["mid_year_value"].max()) if len(rows) else None
    frame = pd.DataFrame([{"force": v.force, "end_year": end_year, "latest_year": latest}])
    v.run_batch("population", "edition", frame, f"{v.data_dir.name}/raw/ons/pfa-population-*.csv")


def _crime_table(v: _Validation) -> pd.DataFrame | None:
    """The whole crime table read and judged (shared by every force); None when it cannot be read."""
    suite = "home_office_crime"
    path = v.paths.crime
    name = v.rel(path)
    v.suites[suite].file = name
    expected = v.specs[suite].get("parameters", {}).get("columns", [])
    table = v.read_csv(suite, path, limit=OPEN_DATA_TABLE)
    if table is None or not v.header_ok(suite, table, expected, name):
        return None
    frame = table.frame
    v.params["codes_in_table"] = set(frame["Offence Code"].unique())
    v.params["crime_forces"] = set(frame["Force Name"].unique())
    params = {"financial_years": FINANCIAL_YEARS}
    if v.params.get("population_forces"):
        params["known_forces"] = set(v.params["population_forces"]) | set(
            v.specs[suite]["parameters"].get("non_territorial_forces", []))
    v.run_batch(suite, "rows", frame, name, params)
    return frame


def _recording_changes(v: _Validation) -> pd.DataFrame | None:
    """The declared changes in how forces recorded crime (``data/recording-changes.csv``, optional): well formed,
    each for a known force and quarter, described and sourced. Returns the rows when they passed, else None."""
    from strategy_update.inputs.readers import RECORDING_CHANGE_COLUMNS

    suite, path = "home_office_crime", v.paths.recording_changes
    if not path.exists():
        return None
    name = v.rel(path)
    table = v.read_csv(suite, path)
    if table is None or not v.header_ok(suite, table, RECORDING_CHANGE_COLUMNS, name):
        return None
    frame = table.frame.copy()
    for column in RECORDING_CHANGE_COLUMNS:
        frame[column] = frame[column].str.strip()
    frame["quarter_ok"] = ["yes" if _quarter_id(q) else "no" for q in frame["quarter"]]
    forces = sorted(v.params.get("population_forces") or [])
    if not v.run_batch(suite, "recording_changes", frame, name, {"territorial_forces": forces} if forces else None):
        return None
    return frame.assign(quarter=[_quarter_id(q) for q in frame["quarter"]])


def _quarter_id(text: str) -> str | None:
    try:
        return parse_quarter(text).id
    except QuarterError:
        return None


def _changes_in_window(v: _Validation, changes: pd.DataFrame | None, first: Quarter, edition: Quarter) -> None:
    """A warning for each declared change of the edition's force inside the quarters it shows: published in the
    data quality appendix, and said beside the figures."""
    if changes is None or changes.empty:
        return
    name = v.rel(v.paths.recording_changes)
    for row in changes[changes["force"] == v.force].itertuples(index=False):
        quarter = parse_quarter(row.quarter)
        if first <= quarter <= edition:
            v.add("home_office_crime", WARNING, name, int(row.line), "quarter",
                  "a declared change in how a force recorded crime is said beside the figures it affects",
                  row.quarter, f"{v.force} recorded crime differently from {quarter.label}: {row.change} (source: "
                  f"{row.source}). Its figures on both sides are published as recorded; control charts work their "
                  "limits out afresh from that quarter, and the trend and forecast use the quarters from it on")


def _crime_force(v: _Validation, frame: pd.DataFrame | None, strategy, edition: Quarter | None) -> None:
    """The force's rows of the crime table: every quarter and measure the edition needs is there."""
    suite = "home_office_crime"
    if frame is None or strategy is None:
        return
    name = v.rel(v.paths.crime)
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
    _changes_in_window(v, v.params.get("recording_changes"), window_first, edition)
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
            by_quarter = mine.groupby("quarter_index")  # once per measure, not once per quarter (43 forces)
            found, totals = by_quarter.size(), by_quarter["count"].sum()
            negative = mine[mine["count"] < 0].groupby("quarter_index")["line"].agg(list)
            for q in quarter_range(max(start, first_data), hi):
                if q.index not in per_quarter.index:
                    continue  # the force has no rows at all that quarter: reported once, above
                lines = [int(x) for x in negative.get(q.index, [])]
                measure_rows.append({"strand": strand.id, "measure": measure.id, "quarter": q.id,
                                     "codes": ", ".join(measure.offence_codes),
                                     "rows": int(found.get(q.index, 0)), "total": int(totals.get(q.index, 0)),
                                     "negative_lines": ", ".join(map(str, lines)) or "none",
                                     "first_negative_line": min(lines, default=0)})
    frame = pd.DataFrame(measure_rows, columns=["strand", "measure", "quarter", "codes", "rows", "total",
                                                "negative_lines", "first_negative_line"])
    v.run_batch(suite, "measure_quarters", frame, name, None, context)


# --- the entry points ---------------------------------------------------------------------------------------------
def validate_inputs(paths: InputPaths, force: str, quarter: str | None, strict: bool = False) -> ValidationReport:
    """Check every input of an edition. Never raises for bad input: every problem is an ErrorRecord in the report."""
    return validate_editions({force: paths}, [force], quarter, strict)[force]


def validate_editions(paths_of: Callable[[str], InputPaths] | Mapping[str, InputPaths], forces: list[str],
                      quarter: str | None, strict: bool = False) -> dict[str, ValidationReport]:
    """Check every input of each force's edition; the inputs the forces share are read and judged once.

    ``paths_of`` gives a force's InputPaths (a function or a mapping). Each report is the one ``validate_inputs``
    gives for that force alone, but for its timings: the time spent on the shared inputs is divided equally among
    the forces that share them, so the reports' seconds add up to the time of the whole check. Never raises for
    bad input."""
    lookup = paths_of.__getitem__ if isinstance(paths_of, Mapping) else paths_of
    paths = {force: lookup(force) for force in forces}
    groups: dict[tuple, list[str]] = {}  # forces whose shared inputs are the same files
    for force in paths:
        groups.setdefault(_shared_inputs(paths[force]), []).append(force)
    reports, ge = {}, None
    for group in groups.values():
        shared = _remembered_shared(paths[group[0]], quarter, strict, ge)
        ge = shared.v.ge  # one Great Expectations context for all (starting one takes seconds)
        for force in group:
            reports[force] = _check_force(shared, paths[force], force, 1 / len(group))
    return {force: reports[force] for force in forces}


def _shared_inputs(paths: InputPaths) -> tuple:
    """What decides the shared inputs: the data folder and the publication."""
    return Path(paths.data).resolve(), Path(paths.publications).resolve(), paths.publication_id


@dataclass
class _Shared:
    """The shared inputs, judged: the state every force's own checks start from, and what those checks need."""
    v: _Validation
    strategy: object
    strategy_file: str | None
    edition: Quarter | None
    population: pd.DataFrame | None
    crime: pd.DataFrame | None
    seconds: float
    key: tuple = ()  # what it was judged from (``_remembered_shared``)


# --- checks remembered in a long-lived process --------------------------------------------------------------------
# The preview checks its edition again after every save, and a save touches one input: the other checks would give
# the same findings from the same files. So, inside ``remembering_checks``, each check's findings are kept with the
# files it read (name, size and change times) and replayed while those files are unchanged. Elsewhere (a build, the
# validate command, the national build) every check runs every time.
_REMEMBERED: dict[tuple, tuple[tuple, object]] | None = None


@contextmanager
def remembering_checks() -> Iterator[None]:
    """Within the block, checks whose files are unchanged since the last time give their findings again without
    running (the preview's loop)."""
    global _REMEMBERED
    _REMEMBERED = {}
    try:
        yield
    finally:
        _REMEMBERED = None


def _shared_key(paths: InputPaths, quarter: str | None, strict: bool) -> tuple:
    """What the shared checks read: the open data, the publication's folder and the suites themselves."""
    from strategy_update.inputs.expectations import expectations_dir

    return (str(paths.data), str(paths.publications), paths.publication_id, quarter, strict,
            file_stamps(Path(paths.data) / "raw", paths.recording_changes, paths.publication, expectations_dir()))


def _remembered_shared(paths: InputPaths, quarter: str | None, strict: bool, ge) -> _Shared:
    """``_check_shared``, or its result kept from the last time, when nothing it read has changed since. (Each
    force's checks work on a copy of its state: ``_Validation.for_force``.)"""
    if _REMEMBERED is None:
        return _check_shared(paths, quarter, strict, ge)
    key = _shared_key(paths, quarter, strict)
    held = _REMEMBERED.get(("shared",))
    if held is not None and held[0] == key:
        return held[1]
    shared = _check_shared(paths, quarter, strict, ge)
    shared.key = key
    _REMEMBERED[("shared",)] = (key, shared)
    return shared


@dataclass(frozen=True)
class _Found:
    """What one check added to a force's state: findings, counts and files per suite, and facts."""
    findings: list
    counts: dict[str, tuple[int, int, str | None]]  # suite -> evaluated and passed added, file set (or None)
    params: dict


def _remembered(v: _Validation, check: str, places: tuple, step: Callable[[], None], *key) -> None:
    """Run ``step`` (a check that adds to ``v``), or replay what it found the last time for this force, when the
    files in ``places``, the shared state it starts from and ``key`` are as they were then."""
    if _REMEMBERED is None:
        step()
        return
    slot, stamp = (check, v.force), (key, file_stamps(*places))
    held = _REMEMBERED.get(slot)
    if held is not None and held[0] == stamp:
        found = held[1]
        v.findings.extend(found.findings)
        for name, (evaluated, passed, file) in found.counts.items():
            v.suites[name].evaluated += evaluated
            v.suites[name].passed += passed
            if file is not None:
                v.suites[name].file = file
        v.params.update(found.params)
        return
    findings = len(v.findings)
    before = {name: (s.evaluated, s.passed, s.file) for name, s in v.suites.items()}
    params = dict(v.params)
    step()
    counts = {name: (s.evaluated - before[name][0], s.passed - before[name][1],
                     s.file if s.file != before[name][2] else None) for name, s in v.suites.items()}
    _REMEMBERED[slot] = (stamp, _Found(
        v.findings[findings:], {name: c for name, c in counts.items() if c != (0, 0, None)},
        {k: value for k, value in v.params.items() if k not in params or params[k] is not value}))


def _check_shared(paths: InputPaths, quarter: str | None, strict: bool, ge) -> _Shared:
    """The definition, the edition's quarter, the population, crime and workforce tables, the definition against
    the data: the checks that are the same for every force."""
    started = time.perf_counter()
    data_dir = Path(paths.data)
    v = _Validation(paths, None, strict)
    if not data_dir.is_dir():
        v.add("home_office_crime", CRITICAL, str(data_dir), None, None, "data folder present", None,
              f"the data folder {data_dir} does not exist")
    strategy, strategy_file, edition = None, None, None
    v.ge = ge or _guarded(v, "home_office_crime", _GreatExpectations, None)  # the import takes a few seconds, once
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
        v.add("edition", CRITICAL, strategy_file, None, "--quarter", "the quarter is one of the publication's editions",
              edition.id, f"the {strategy.title} has no edition for {edition.id}: its editions are "
              f"{strategy.editions_text}")
    with v.timed("population"):
        population = _guarded(v, "population", lambda: _population(v), None)
    with v.timed("home_office_crime"):
        crime = _guarded(v, "home_office_crime", lambda: _crime_table(v), None)
        v.params["recording_changes"] = _guarded(v, "home_office_crime", lambda: _recording_changes(v), None)
    with v.timed("workforce"):
        _guarded(v, "workforce", lambda: _workforce(v, strategy), None)
    with v.timed("strategy_definition"):
        _guarded(v, "strategy_definition", lambda: _strategy_cross_checks(v, strategy_file), None)
    return _Shared(v, strategy, strategy_file, edition, population, crime, time.perf_counter() - started)


def _check_force(shared: _Shared, paths: InputPaths, force: str, share: float) -> ValidationReport:
    """One force's own checks, on a copy of the shared state; its report. Within each suite a force's findings
    follow the shared ones, as they did when every edition was checked alone."""
    started = time.perf_counter()
    v = shared.v.for_force(paths, force, share)
    strategy, edition = shared.strategy, shared.edition
    _unknown_publication_folders(v)
    inputs = paths.force_inputs

    def check(suite: str, places: tuple, step: Callable[[], None], name: str = "") -> None:
        """One check of the force's, remembered (``_remembered``) on the files it reads and the shared state."""
        with v.timed(suite):
            _remembered(v, name or suite, places, lambda: _guarded(v, suite, step, None), shared.key, force)

    check("home_office_crime", (), lambda: _crime_force(v, shared.crime, strategy, edition))
    check("population", (), lambda: _population_edition(v, shared.population, strategy, edition))
    check("strategy_definition", (), lambda: _force_named(v, shared.strategy_file))
    check("delivery_tracker", (paths.delivery_folder,), lambda: check_delivery(v, strategy, edition))
    check("narrative", (inputs / "narrative",), lambda: check_narrative(v, strategy, edition))
    check("narrative", (inputs / "board",), lambda: check_board(v, strategy, edition), "board")
    check("force_extracts", (paths.force_extracts,), lambda: check_force_extracts(v, strategy))
    check("peer_group", (paths.peer_group,),
          lambda: check_peer_group(v, strategy, list(v.params.get("population_forces", []))))
    order = {name: i for i, name in enumerate(["edition", *SUITE_ORDER])}
    findings = sorted(v.findings, key=lambda f: (f.severity != CRITICAL, order.get(f.suite, 99)))
    seconds = shared.seconds * share + time.perf_counter() - started
    return ValidationReport(findings=findings, suites=[v.suites[name] for name in SUITE_ORDER],
                            quarter=edition.id if edition else None, quarter_label=edition.label if edition else None,
                            strict=shared.v.strict, data_dir=Path(paths.data).name, seconds=round(seconds, 3))


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
