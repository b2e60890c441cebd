"""Back test: recompute every figure printed in a publication's last hand-made reports from the figures printed
beside it (the reference files in ``publications/<id>/reference/``, mistakes included), with the arithmetic of
``compute/printed.py``: each printed change, % change, share, total and delivery-plan sum becomes one check.

Separately, the open-data context sets the force's printed 12-month figures beside the Home Office open data
for the closest comparable measure. That is context, not a check: the two count different things.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pandas as pd

from strategy_update.compute.printed import (
    Check,
    cannot_check,
    check_change,
    check_pct_change,
    check_share,
    check_sum,
    check_values_only,
    parse_printed,
)
from strategy_update.core.periods import MONTH_NAMES, parse_quarter, quarter_of_month, tracker_quarter
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.readers import read_table
from strategy_update.model.publication import Publication

COMPARISONS = "published-comparisons.csv"
BREAKDOWNS = "published-breakdowns.csv"
COMPARISON_COLUMNS = ["document", "section", "subject", "measure", "unit", "period", "value", "base_period",
                      "base_value", "published_change", "published_pct_change"]
BREAKDOWN_COLUMNS = ["document", "section", "subject", "measure", "period", "total", "part", "part_value",
                     "published_share_pct"]

# Which reports the figures come from, the delivery table's document and which printed subjects have a comparable
# open-data measure are facts of each publication: its definition's ``reference`` key says them.

ROW_COLUMNS = ["source", "document", "document_title", "section", "subject", "measure", "period",
               "base_period", "check", "printed", "recomputed", "difference", "difference_shown", "verdict",
               "reason", "finding", "printed_value", "recomputed_value"]

_TWELVE_MONTHS = re.compile(r"^12 months? (?:to|ending) ([A-Za-z]{3})[a-z]* (\d{4})$")


# --- the reference files -----------------------------------------------------------------------------
def _blank(text) -> bool:
    return text is None or str(text).strip() == ""


def _number(text) -> Decimal | None:
    return None if _blank(text) else parse_printed(text)[0]


def _row(source: str, context: dict, check: Check) -> dict:
    document = context.get("document", "")
    return {
        "source": source,
        "document": document,
        "document_title": document,  # replaced by the report's title in backtest_rows
        "section": context.get("section", ""),
        "subject": context.get("subject", ""),
        "measure": context.get("measure", ""),
        "period": context.get("period", ""),
        "base_period": context.get("base_period", ""),
        "check": check.check,
        "printed": check.printed,
        "recomputed": check.recomputed,
        "difference": None if check.difference is None else float(check.difference),
        "difference_shown": check.difference_shown,
        "verdict": check.verdict,
        "reason": check.reason,
        "finding": check.finding,
        "printed_value": None if check.printed_value is None else float(check.printed_value),
        "recomputed_value": None if check.recomputed_value is None else float(check.recomputed_value),
    }


def _unreadable(check: str, printed: str, exc: ValueError) -> Check:
    return cannot_check(check, printed or "not printed", f"a printed figure is not a number ({exc})")


def comparison_checks(path: Path) -> list[dict]:
    """Every printed change and % change in published-comparisons.csv."""
    frame = read_table(path, COMPARISON_COLUMNS)
    rows = []
    for _, r in frame.iterrows():
        source = f"{path.name} line {r['line']}"
        context = {c: str(r[c]).strip() for c in ["document", "section", "subject", "measure", "period",
                                                     "base_period"]}
        unit = str(r["unit"]).strip() or "count"
        change_text, pct_text = str(r["published_change"]).strip(), str(r["published_pct_change"]).strip()
        try:
            value, base, change = _number(r["value"]), _number(r["base_value"]), _number(change_text)
        except ValueError as exc:
            rows.append(_row(source, context, _unreadable("change", change_text, exc)))
            continue
        if change_text:
            rows.append(_row(source, context, check_change(value, base, change_text, unit, bool(pct_text))))
        if pct_text:
            try:
                rows.append(_row(source, context, check_pct_change(value, base, change, pct_text)))
            except ValueError as exc:
                rows.append(_row(source, context, _unreadable("% change", pct_text, exc)))
        if not change_text and not pct_text:
            rows.append(_row(source, context, check_values_only(value, base, unit)))
    return rows


def breakdown_checks(path: Path) -> list[dict]:
    """Parts against their printed total (where several parts were printed) and every printed share.

    Several parts printed with one total are taken as the whole breakdown, as the reports present them; a single
    part printed with its share is a share, not a breakdown, so only the share is checked.
    """
    frame = read_table(path, BREAKDOWN_COLUMNS)
    rows = []
    keys = ["document", "section", "subject", "measure", "period", "total"]
    for key, group in frame.groupby(keys, sort=False):
        context = dict(zip(keys, (str(k).strip() for k in key)))
        lines = list(group["line"])
        source = f"{path.name} line {lines[0]}" + (f"-{lines[-1]}" if len(lines) > 1 else "")
        parts = [(str(p).strip(), str(v).strip()) for p, v in zip(group["part"], group["part_value"])]
        if len(parts) > 1:
            try:
                check = check_sum(context["total"], parts)
            except ValueError as exc:
                check = _unreadable("parts add up to the total", context["total"], exc)
            rows.append(_row(source, context, check))
        for _, r in group.iterrows():
            share = str(r["published_share_pct"]).strip()
            part_context = {**context, "measure": f"{context['measure']}: {str(r['part']).strip()}"}
            part_source = f"{path.name} line {r['line']}"
            if share:
                try:
                    check = check_share(str(r["part_value"]), context["total"], share)
                except ValueError as exc:
                    check = _unreadable("share of the total", share, exc)
                rows.append(_row(part_source, part_context, check))
            elif len(parts) == 1:
                rows.append(_row(part_source, part_context, cannot_check(
                    "share of the total", "not printed",
                    "only one part of the total was printed, with no share")))
    return rows


def delivery_checks(path: Path, publication: Publication, document: str = "", section: str = "") -> list[dict]:
    """Each section's parts against its total, each column against the printed totals row, and the totals row
    parts against its own total. The columns are the publication's delivery columns."""
    spec, level = publication.delivery, publication.leaf_level
    frame = read_table(path, publication.tracker_columns)
    is_total = frame[level.id].str.strip().str.lower().isin(["total", "totals"])
    sections, total_rows = frame[~is_total], frame[is_total]
    named = sections["quarter"].iloc[0] if len(sections) else path.stem.removeprefix("delivery-plan-")
    quarter = tracker_quarter(named)
    base = {"document": document, "section": section, "period": quarter.short_label if quarter else str(named)}
    labels = {spec.total.column: spec.total.label.lower(), **{p.column: p.label.lower() for p in spec.parts}}
    parts_rule = f"{' + '.join(p.label.lower() for p in spec.parts)} add up to the {labels[spec.total.column]}"

    def parts_of(row) -> list[tuple[str, str]]:
        return [(labels[p.column], str(row[p.column])) for p in spec.parts]
    rows = []
    measure = f"delivery plan {spec.unit}"
    for _, r in sections.iterrows():
        context = {**base, "subject": str(r[level.id]).strip(), "measure": measure}
        try:
            check = check_sum(str(r[spec.total.column]), parts_of(r), parts_rule)
        except ValueError as exc:
            check = _unreadable(parts_rule, "", exc)
        rows.append(_row(f"{path.name} line {r['line']}", context, check))
    if not len(total_rows):
        return rows
    printed_totals = total_rows.iloc[0]
    totals_source = f"{path.name} line {printed_totals['line']}"
    context = {**base, "subject": "Total (printed totals row)", "measure": measure}
    first, last = (int(sections["line"].min()), int(sections["line"].max())) if len(sections) else (0, 0)
    plural = level.plural.lower()
    for column, label in labels.items():
        try:
            check = check_sum(str(printed_totals[column]),
                              [(str(s).strip(), str(v)) for s, v in zip(sections[level.id], sections[column])],
                              f"column total: {label} of the {len(sections)} {plural}", f"{level.name.lower()} figures")
        except ValueError as exc:
            check = _unreadable(f"column total: {label}", str(printed_totals[column]), exc)
        rows.append(_row(f"{totals_source}; {plural} {path.name} lines {first}-{last}", context, check))
    try:
        check = check_sum(str(printed_totals[spec.total.column]), parts_of(printed_totals), f"totals row: {parts_rule}")
    except ValueError as exc:
        check = _unreadable("totals row parts", str(printed_totals[spec.total.column]), exc)
    rows.append(_row(totals_source, context, check))
    return rows


def backtest_rows(paths: InputPaths) -> pd.DataFrame:
    """One row per check of a printed figure, in the order of the publication's reference files."""
    publication = load_publication(paths)
    reference, facts = paths.reference, publication.reference
    rows = []
    if (reference / COMPARISONS).exists():
        rows += comparison_checks(reference / COMPARISONS)
    if (reference / BREAKDOWNS).exists():
        rows += breakdown_checks(reference / BREAKDOWNS)
    for path in sorted(reference.glob("delivery-plan-*.csv")):
        rows += delivery_checks(path, publication, facts.get("delivery_document", ""),
                                facts.get("delivery_section", ""))
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS)
    titles = facts.get("documents") or {}
    frame["document_title"] = [titles.get(d, d) for d in frame["document"]]
    return frame


# --- open-data context -------------------------------------------------------------------------------
def twelve_month_quarter(period: str):
    """``12 months to Mar 2022`` -> the quarter ending that month (2021-22-Q4); None for other periods."""
    match = _TWELVE_MONTHS.match(str(period).strip())
    if not match:
        return None
    months = [m[:3].lower() for m in MONTH_NAMES]
    if match[1].lower() not in months:
        return None
    month = months.index(match[1].lower()) + 1
    if month % 3 != 0:  # not the end of a quarter: the open data cannot be summed to it
        return None
    return quarter_of_month(int(match[2]), month)


def printed_twelve_month_figures(paths: InputPaths, matches: dict) -> pd.DataFrame:
    """The force's printed 12-month figures for subjects with a comparable open-data measure."""
    path = paths.reference / COMPARISONS
    if not path.exists():
        return pd.DataFrame(columns=["subject", "quarter", "printed_period", "force_figure", "source"])
    frame = read_table(path, COMPARISON_COLUMNS)
    found = {}
    for _, r in frame.iterrows():
        subject = str(r["subject"]).strip()
        if subject not in matches:
            continue
        for period_column, value_column in (("period", "value"), ("base_period", "base_value")):
            quarter = twelve_month_quarter(r[period_column])
            if quarter is None or _blank(r[value_column]):
                continue
            try:
                value = parse_printed(r[value_column])[0]
            except ValueError:
                continue
            key = (subject, quarter.id, value)
            found.setdefault(key, {"subject": subject, "quarter": quarter.id, "printed_period": str(
                r[period_column]).strip(), "force_figure": value, "source": f"{path.name} line {r['line']}"})
    return pd.DataFrame(list(found.values()), columns=["subject", "quarter", "printed_period", "force_figure",
                                                       "source"])


def open_data_context(paths: InputPaths) -> pd.DataFrame:
    """The force's printed figure beside the Home Office figure for the same 12 months (no verdict)."""
    from strategy_update.compute.observations import observations_from_crime
    from strategy_update.inputs.readers import load_crime

    publication = load_publication(paths)
    matches = publication.reference.get("open_data_matches") or {}
    printed = printed_twelve_month_figures(paths, matches)
    columns = ["subject", "section", "measure_id", "measure", "period", "quarters", "force_figure", "open_data",
               "difference", "pct_difference", "definition_note", "source", "open_data_source"]
    if printed.empty:
        return pd.DataFrame(columns=columns)
    sections = {m.id: (s, m) for s, m in publication.measures}
    force = publication.owner_force
    observations, _ = observations_from_crime(load_crime(paths.crime, force=force),
                                              [(sections[m][0].id, sections[m][1]) for m in set(matches.values())],
                                              [force])
    rows = []
    for subject, measure_id in matches.items():
        section, measure = sections[measure_id]
        mine_obs = observations[observations["measure"] == measure_id]
        by_quarter = dict(zip(mine_obs["period"], mine_obs["value"]))
        mine = printed[printed["subject"] == subject].sort_values("quarter", ascending=False, kind="stable")
        for _, p in mine.iterrows():
            quarter = parse_quarter(p["quarter"])
            year = quarter.rolling_year()
            values = [by_quarter.get(q.id) for q in year]
            open_value = None if any(v is None for v in values) else float(sum(values))
            printed_figure = float(p["force_figure"])
            difference = None if open_value is None else printed_figure - open_value
            pct = None if open_value in (None, 0) else difference / open_value * 100
            rows.append({
                "subject": subject, "section": section.name, "measure_id": measure_id, "measure": measure.name,
                "period": quarter.twelve_months_label(),
                "quarters": f"{year[0].short_label} to {year[-1].short_label}",
                "force_figure": printed_figure, "open_data": open_value, "difference": difference,
                "pct_difference": pct,
                "definition_note": measure.definition_note, "source": p["source"],
                "open_data_source": str(mine_obs["source_file"].iloc[0]) if len(mine_obs) else "",
            })
    return pd.DataFrame(rows, columns=columns)


# --- the printed Most Similar Group table beside the open data ----------------------------------------------
PEER_POSITIONS = "published-msg-positions.csv"
PEER_POSITION_COLUMNS = ["document", "priority", "measure", "unit", "value", "rank", "change_to_average",
                         "change_to_top_quartile", "aspiration", "aspiration_met"]


def _float(text) -> float:
    number = _number(text)
    return float("nan") if number is None else float(number)


def peer_table_context(paths: InputPaths) -> pd.DataFrame:
    """Each printed position-table row with an open-data counterpart beside the same figures computed from the
    open data for the same edition. Context, not a check: the printed table came from another system, on another
    date, with the Home Office's group; ours uses the group the build uses (computed unless the force supplied
    its official one)."""
    from strategy_update.compute.peer_table import peer_results
    from strategy_update.inputs.readers import load_crime, load_population, read_peer_group

    publication = load_publication(paths)
    facts = publication.reference
    matches = facts.get("peer_table_matches") or {}
    columns = ["measure", "measure_id", "measure_name", "period", "printed_value", "open_data_value",
               "printed_rank", "open_data_rank", "of", "group", "source"]
    path = paths.reference / PEER_POSITIONS
    if not matches or not path.exists():
        return pd.DataFrame(columns=columns)
    printed = read_table(path, PEER_POSITION_COLUMNS)
    quarter = tracker_quarter(str(facts.get("peer_table_quarter", "")))
    if quarter is None:
        raise ValueError(f"reference.peer_table_quarter '{facts.get('peer_table_quarter')}' is not a quarter id")
    force = publication.owner_force
    results = peer_results(publication, force, quarter, crime=load_crime(paths.crime),
                           population=load_population(paths.population), official=read_peer_group(paths.peer_group))
    names = {m.id: m.name for _, m in publication.measures}

    def figure(measure_id: str, statistic: str) -> float:
        rows = results[(results["measure"] == measure_id) & (results["statistic"] == statistic)
                       & (results["force"] == force)]
        return float(rows["value"].iloc[0]) if len(rows) else float("nan")
    group = results.loc[results["statistic"] == "peer_group", "text"]
    rows = []
    for _, r in printed.iterrows():
        measure_id = matches.get(str(r["measure"]).strip())
        if measure_id is None:
            continue
        period = results.loc[(results["measure"] == measure_id) & (results["statistic"] == "peer_rate"),
                             "period_label"]
        rows.append({"measure": str(r["measure"]).strip(), "measure_id": measure_id,
                     "measure_name": names.get(measure_id, measure_id),
                     "period": str(period.iloc[0]) if len(period) else "",
                     "printed_value": _float(r["value"]), "open_data_value": figure(measure_id, "peer_rate"),
                     "printed_rank": str(r["rank"]).strip(), "open_data_rank": figure(measure_id, "peer_rank"),
                     "of": figure(measure_id, "peer_of"), "group": str(group.iloc[0]) if len(group) else "",
                     "source": f"{path.name} line {r['line']}"})
    return pd.DataFrame(rows, columns=columns)
