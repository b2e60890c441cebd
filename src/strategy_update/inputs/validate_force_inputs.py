"""Validation of the inputs a force supplies for a publication: its delivery tracker, its leads' narratives and
its force extracts. Each check reads its input through the inputs' own readers and has Great Expectations judge the
frames they return (the suites in ``expectations/``); ``validate.py`` runs them with the open-data checks."""

from __future__ import annotations

import math

import pandas as pd

from strategy_update.core.errors import InputError
from strategy_update.core.periods import Quarter, QuarterError, parse_quarter, tracker_quarter
from strategy_update.inputs.expectations import _Validation
from strategy_update.inputs.limits import RULE as SIZE_RULE
from strategy_update.inputs.paths import NARRATIVE_SUFFIXES, title_file_stem
from strategy_update.inputs.report import CRITICAL, WARNING


def check_delivery(v: _Validation, strategy, edition: Quarter | None) -> None:
    """The tracker (a CSV, or an Excel workbook whose findings name sheet and cell): its header and rows, every
    count (one long frame), the parts against the total, coverage."""
    suite = "delivery_tracker"
    if strategy is None or edition is None or strategy.delivery is None:
        return
    level = strategy.leaf_level.id
    path = v.paths.delivery(edition)
    name = v.rel(path)
    v.suites[suite].file = name
    supplied = v.paths.delivery_files(edition)
    if len(supplied) > 1:
        v.add(suite, CRITICAL, v.rel(supplied[-1]), None, None, "one delivery tracker per quarter",
              ", ".join(p.name for p in supplied), f"the delivery tracker for {edition.id} is supplied twice: "
              + " and ".join(map(v.rel, supplied)) + "; keep one and remove the other")
        return
    first_finding = len(v.findings)
    try:
        _check_tracker(v, strategy, edition, path, name)
    finally:
        if path.suffix.lower() == ".xlsx":  # a workbook's rows are named by sheet and cell
            from strategy_update.inputs.excel import relabel

            aliases = {"section": level, "quarter_id": "quarter"}
            v.findings[first_finding:] = [relabel(f, path, aliases) if f.file == name else f
                                          for f in v.findings[first_finding:]]


def _check_tracker(v: _Validation, strategy, edition: Quarter, path, name: str) -> None:
    from strategy_update.inputs.readers import load_delivery

    suite = "delivery_tracker"
    spec, level = strategy.delivery, strategy.leaf_level.id
    severity = CRITICAL if v.strict else WARNING
    table = v.read_csv(suite, path, missing=(
        severity, f"the delivery tracker for {edition.id} was not supplied"
        + (" (--strict requires it)" if v.strict else "; the pages say so")))
    if table is None or not v.header_ok(suite, table, strategy.tracker_columns, name):
        return
    frame = table.frame.rename(columns={level: "section"})
    frame["section"] = frame["section"].str.strip()
    frame["quarter"] = frame["quarter"].str.strip()
    frame["quarter_id"] = [q.id if q else "" for q in map(tracker_quarter, frame["quarter"])]
    names = [s.tracker_name for s in strategy.leaves]
    parts = [p.column for p in spec.parts]
    context = {"edition": edition.id, "tracker_list": "; ".join(names), "level": level, "unit": spec.unit,
               "parts_names": " + ".join(p.label.lower() for p in spec.parts), "parts_columns": ", ".join(parts),
               "parts_or": _either([p.label.lower() for p in spec.parts]), "total_column": spec.total.column}
    v.run_batch(suite, "rows", frame, name, {"edition_ids": [edition.id], "tracker_names": names}, context)
    counts = frame.melt(id_vars=["line", "section"], value_vars=spec.columns, var_name="count_column",
                        value_name="count")
    v.run_batch(suite, "counts", counts, name, None, context)
    whole = frame[frame[spec.columns].apply(lambda c: c.str.fullmatch(r"\s*[0-9]+\s*")).all(axis=1)]
    numbers = whole[spec.columns].apply(lambda c: c.str.strip().astype(int))
    sums = pd.DataFrame({"line": whole["line"], "section": whole["section"],
                         "total": numbers[spec.total.column], "parts": numbers[parts].sum(axis=1),
                         "parts_sum": numbers[parts].astype(str).agg(" + ".join, axis=1)})
    sums["excess"] = sums["parts"] - sums["total"]
    sums["gap"] = sums["total"] - sums["parts"]
    v.run_batch(suite, "sums", sums, name, None, context)
    present = set(frame["section"])
    coverage = pd.DataFrame([{"section_id": s.id, "tracker_name": s.tracker_name,
                              "supplied": "yes" if s.tracker_name in present else "no"} for s in strategy.leaves],
                            columns=["section_id", "tracker_name", "supplied"])
    v.run_batch(suite, "coverage", coverage, name, None, context)
    if not v.has_critical(name):  # the package's own loader must agree
        try:
            load_delivery(path, strategy)
        except InputError as exc:
            v.unreadable(suite, name, exc, "readable tracker", counted=False)


def _either(words: list[str]) -> str:
    """``complete, ongoing or at risk``."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def check_narrative(v: _Validation, strategy, edition: Quarter | None) -> None:
    """Narrative: the reader's frames of each file (front matter, Markdown tokens, sections) checked by the suite.
    A Word file (.docx) is checked through the Markdown it becomes; what only Word has (pictures, tracked changes,
    comments, macros, a file that is not really .docx) is said by ``word``, and findings name places in the
    document rather than Markdown lines."""
    from strategy_update.inputs.narrative import is_word, narrative_frames, read_narrative, untouched, word_narrative
    from strategy_update.inputs.paths import narrative_section

    suite = "narrative"
    if strategy is None or edition is None:
        return
    folder = v.paths.narrative_folder(edition)
    v.suites[suite].file = v.rel(folder) + "/"
    ids = [s.id for s in strategy.leaves]
    titles = {s.id: s.name for s in strategy.leaves}
    key = strategy.leaf_level.id
    headings = [part.heading for part in strategy.narrative_parts(v.force)]
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith((".", "~$"))) if folder.is_dir() else []
    narratives = [p for p in entries if p.is_file() and p.suffix.lower() in NARRATIVE_SUFFIXES]
    for other in entries:
        if other not in narratives:
            v.add(suite, WARNING, v.rel(other), None, None, f"one file per {key}, named <{key} id>.md", other.name,
                  "not a narrative (.md or .docx) file; it is ignored")
    section_of = {p: narrative_section(p, titles) for p in narratives}
    files = pd.DataFrame([{"file": v.rel(p), "stem": section_of[p] or p.stem} for p in narratives],
                         columns=["file", "stem"])
    v.run_batch(suite, "files", files, None, {"strand_ids": ids}, {"strand_list": ", ".join(ids)})
    by_section: dict[str, list] = {}
    for path in narratives:
        if section_of[path]:
            by_section.setdefault(section_of[path], []).append(path)
    for sid, paths in by_section.items():
        if len(paths) > 1:
            v.add(suite, CRITICAL, v.rel(paths[-1]), None, None, f"one narrative file per {key}",
                  ", ".join(p.name for p in paths), f"{key} '{sid}' has {len(paths)} narrative files: "
                  + " and ".join(v.rel(p) for p in paths) + "; keep one and remove the other")
    expected = {sid: f"{v.rel(folder / sid)}.md or {title_file_stem(titles[sid])}.docx" for sid in ids}
    fronts, tokens, sections, parsed, words, unwritten = [], [], [], [], {}, {}
    for path in (paths[0] for paths in by_section.values() if len(paths) == 1):
        name, sid = v.rel(path), section_of[path]
        if is_word(path):
            converted = word_narrative(path, key=key, section_id=sid, quarter=edition, headings=headings)
            for record in converted.records(name, suite):
                v.check(suite, False, record.severity, record.file, None, None, record.rule, record.value,
                        record.message)
            if converted.markdown is None:
                continue
            v.check(suite, True)
            words[name] = converted
        frames = narrative_frames(path, display_name=name, key=key, section_id=sid, quarter=edition,
                                  headings=headings)
        facts = frames["file"].iloc[0]
        if not v.check(suite, not facts["too_large"], CRITICAL, name, None, None, SIZE_RULE, None,
                       facts["too_large"]):
            continue
        if not v.check(suite, facts["utf8"] == "yes", CRITICAL, name, _int(facts["bad_line"]), None, "UTF-8 encoding",
                       None, "the narrative is not saved as UTF-8 text; save it again as UTF-8"):
            continue
        if not v.check(suite, facts["empty"] == "no", CRITICAL, name, None, None, "narrative has content", None,
                       "the narrative file is empty"):
            continue
        parsed.append(path)
        front = frames["front_matter"].assign(expected_strand=sid, edition=edition.id, first_line=1)
        front["named_quarter"] = [_quarter_id(q) for q in front["named_quarter"]]
        fronts.append(front)
        tokens.append(frames["tokens"])
        if untouched(frames["sections"].to_dict("records"), headings):  # said once, as not yet written
            unwritten[sid] = name
            continue
        found = {row["heading"]: row for _, row in frames["sections"].iterrows()}
        for heading in headings:
            row = found.get(heading)
            status = "missing" if row is None else ("empty" if row["empty"] == "yes" else "present")
            sections.append({"file": name, "section": heading, "line": None if row is None else _int(row["line"]),
                             "status": status})
    supplied = pd.DataFrame([{"strand": sid, "expected_file": expected[sid],
                              "supplied": "yes" if sid in by_section else "no",
                              "written": "no" if sid in unwritten else "yes",
                              "file": unwritten.get(sid, expected[sid])} for sid in ids],
                            columns=["strand", "expected_file", "supplied", "written", "file"])
    v.run_batch(suite, "supplied", supplied, None, context={"key": key})
    first_judged = len(v.findings)
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
    for i in range(first_judged, len(v.findings)):  # say what the rules found in Word's terms, not Markdown's
        finding = v.findings[i]
        if finding.file in words:
            v.findings[i] = words[finding.file].relabel(finding)
    for path in parsed:  # the build's reader must agree
        name = v.rel(path)
        if v.has_critical(name):
            continue
        _, errors = read_narrative(path, display_name=name, key=key, section_id=section_of[path], quarter=edition,
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


def check_force_extracts(v: _Validation, strategy) -> None:
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
            v.unreadable(suite, name, exc, "readable extract")
            continue
        v.check(suite, True)
        measure = measures[path.stem]
        frame["whole_ok"] = "yes" if not measure.whole_numbers else frame["whole"]
        v.run_batch(suite, "rows", frame, name, {"areas": ["", *strategy.areas]},
                    {"unit": measure.unit, "area_list": ", ".join(strategy.areas) or "no areas"})
        readable = frame[frame["kind"].notna()]
        kinds = sorted(set(readable["kind"]))
        v.run_batch(suite, "periods", readable, name, None, {"kinds": ", ".join(kinds)})


def check_peer_group(v: _Validation, strategy, known_forces: list[str]) -> None:
    """The force's official Most Similar Group, when it supplied one: known forces, each once, dated, sourced."""
    from strategy_update.inputs.readers import PEER_GROUP_COLUMNS

    suite = "peer_group"
    path = v.paths.peer_group
    v.suites[suite].file = v.rel(path)
    if strategy is None or not strategy.peer_group_label or not path.exists():
        return
    name = v.rel(path)
    table = v.read_csv(suite, path)
    if table is None or not v.header_ok(suite, table, PEER_GROUP_COLUMNS, name):
        return
    frame = table.frame.copy()
    for column in PEER_GROUP_COLUMNS:
        frame[column] = frame[column].str.strip()
    others = sorted(f for f in known_forces if f != v.force)
    v.run_batch(suite, "rows", frame, name, {"forces": others}, {"example": ", ".join(others[:3])})
    v.run_batch(suite, "size", frame, name)
