"""Back test: recompute every figure printed in the last hand-made reports from the figures printed beside it.

The reference files in ``data/reference/`` hold the printed figures exactly as printed, mistakes included.
Each printed change, % change, share, total and delivery-plan sum becomes one check with a verdict:

- ``consistent``: the printed figure equals the recomputation rounded (half away from zero) to the number of
  decimal places the report printed;
- ``inconsistent``: it does not; the finding says by how much;
- ``cannot be checked``: something needed was not printed (the reason says what).

Arithmetic is exact (``Decimal``), so a printed ``2.5`` is compared with an exact 2.5, never with 2.4999999.
Separately, the open-data context sets the force's printed 12-month figures beside the Home Office open data
for the closest comparable measure. That is context, not a check: the two count different things.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pandas as pd

from strategy_update.core.formatting import round_half_away
from strategy_update.inputs.paths import InputPaths
from strategy_update.inputs.definition import load_publication
from strategy_update.inputs.readers import DELIVERY_COLUMNS, read_table
from strategy_update.core.periods import MONTH_NAMES, QuarterError, parse_quarter, quarter_of_month

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
CANNOT = "cannot be checked"
VERDICTS = (INCONSISTENT, CANNOT, CONSISTENT)  # the order the page lists them in

COMPARISONS = "published-comparisons.csv"
BREAKDOWNS = "published-breakdowns.csv"
COMPARISON_COLUMNS = ["document", "section", "subject", "measure", "unit", "period", "value", "base_period",
                      "base_value", "published_change", "published_pct_change"]
BREAKDOWN_COLUMNS = ["document", "section", "subject", "measure", "period", "total", "part", "part_value",
                     "published_share_pct"]
DELIVERY_PARTS = ["complete", "ongoing", "at_risk"]
DELIVERY_LABELS = {"total_actions": "total actions", "complete": "complete", "ongoing": "ongoing",
                   "at_risk": "at risk"}

# Which reports the figures come from, the delivery table's document and which printed subjects have a comparable
# open-data measure are facts of each publication: its definition's ``reference`` key says them.

ROW_COLUMNS = ["source", "document", "document_title", "section", "subject", "measure", "period",
               "base_period", "check", "printed", "recomputed", "difference", "difference_shown", "verdict",
               "reason", "finding", "printed_value", "recomputed_value"]

_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?$")
_TWELVE_MONTHS = re.compile(r"^12 months? (?:to|ending) ([A-Za-z]{3})[a-z]* (\d{4})$")


# --- reading printed numbers -----------------------------------------------------------------------
def parse_printed(text: str) -> tuple[Decimal, int]:
    """A printed figure as (exact value, decimal places printed): ``"-28.0"`` -> (-28.0, 1), ``"2,108"`` -> (2108, 0).

    Accepts a sign (``+``, ``-`` or the typographic minus), thousands separators and a trailing ``%``.
    Anything else is a ValueError naming the text.
    """
    cleaned = str(text).strip().replace("\u2212", "-").replace("\u2013", "-").replace(" ", "")
    if cleaned.endswith("%"):
        cleaned = cleaned[:-1]
    match = _NUMBER.match(cleaned)
    if not match or not (match[2] or match[3]):
        raise ValueError(f"not a printed number: {text!r}")
    sign, whole, decimals = match[1], match[2].replace(",", "") or "0", match[3] or ""
    value = Decimal(f"{sign}{whole}.{decimals}" if decimals else f"{sign}{whole}")
    return value, len(decimals)


def _exact(value) -> Decimal:
    """A recomputed value as an exact Decimal (fractions to 40 significant digits)."""
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, Fraction):
        with localcontext() as ctx:
            ctx.prec = 40
            result = Decimal(value.numerator) / Decimal(value.denominator)
    elif isinstance(value, int):
        result = Decimal(value)
    else:
        if value is None or math.isnan(value) or math.isinf(value):
            raise ValueError(f"nothing to compare: the recomputed value is {value!r}")
        result = Decimal(str(value))  # as written, like formatting.round_half_away
    if not result.is_finite():
        raise ValueError(f"nothing to compare: the recomputed value is {value!r}")
    return result


def consistent_at_printed_precision(printed: str, recomputed) -> bool:
    """Whether a printed figure equals the recomputed value rounded half away from zero to the printed places.

    ``"46.4"`` is compared at one decimal place, ``"8"`` at whole numbers, ``"-28.0"`` at one place.
    ``recomputed`` may be a float, int, Decimal or Fraction; a missing or infinite value is a ValueError.
    """
    value, places = parse_printed(printed)
    return value == round_half_away(_exact(recomputed), places)


# --- display -----------------------------------------------------------------------------------------
def _fmt(value: Decimal, places: int, signed: bool = False) -> str:
    rounded = round_half_away(value, places)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0"
    sign = "+" if signed and rounded > 0 else ""
    return f"{sign}{rounded:,.{places}f}"


def _decimals_to_show(value: Decimal, places: int) -> int:
    """Enough decimals to see which way the rounding to the printed places went: 2.5485 is shown as 2.548, not
    as 2.55, which would seem to round up to 2.6."""
    shown = max(2, places + 1)
    while (round_half_away(round_half_away(value, shown), places) != round_half_away(value, places)
           and shown < places + 8):
        shown += 1
    return shown


def _places_phrase(places: int) -> str:
    return "whole numbers" if places == 0 else "one decimal place" if places == 1 else f"{places} decimal places"


def _divide(numerator: Decimal, denominator: Decimal) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 40
        return numerator * 100 / denominator


def _places_of(*values: Decimal | None) -> int:
    return max([-v.as_tuple().exponent for v in values if v is not None and v.as_tuple().exponent < 0] or [0])


@dataclass(frozen=True)
class Check:
    """The outcome of one check, before the row context (document, section, periods) is added."""

    check: str
    printed: str
    recomputed: str
    verdict: str
    finding: str
    reason: str = ""
    difference: Decimal | None = None  # printed - recomputed (exact)
    printed_value: Decimal | None = None
    recomputed_value: Decimal | None = None
    difference_shown: str = ""  # the difference at the precision the recomputation is shown with


def _cannot(check: str, printed: str, reason: str, recomputed: str = "", finding: str = "") -> Check:
    return Check(check, printed, recomputed, CANNOT, finding or f"Cannot be checked: {reason}.", reason)


def _unit_words(unit: str) -> str:
    return {"count": "", "percent": " percentage points"}.get(unit, f" {unit}")


def _judged_percentage(check: str, noun: str, differing: str, printed_text: str, recomputed: Decimal, formula: str,
                       signed: bool, derived: str = "") -> Check:
    """A printed percentage (a % change or a share) against its recomputed value, at the printed precision."""
    printed_value, places = parse_printed(printed_text)
    printed = _fmt(printed_value, places, signed) + "%"
    shown = _decimals_to_show(recomputed, places)
    verdict = CONSISTENT if consistent_at_printed_precision(printed_text, recomputed) else INCONSISTENT
    difference = printed_value - recomputed
    finding = (f"{derived}Printed {noun} {printed}; recomputed {_fmt(recomputed, shown, signed)}% ({formula}), "
               f"which rounds to {_fmt(recomputed, places, signed)}% at the printed precision "
               f"({_places_phrase(places)})")
    if verdict == CONSISTENT:
        finding += "."
    else:
        finding += f"; the printed {differing} differs by {_fmt(abs(difference), shown)} percentage points."
    return Check(check, printed, _fmt(recomputed, shown, signed) + "%", verdict, finding, "", difference,
                 printed_value, recomputed, _fmt(difference, shown, True))


# --- the checks ------------------------------------------------------------------------------------
def check_change(value: Decimal | None, base: Decimal | None, printed_change: str, unit: str = "count",
                 pct_printed: bool = False) -> Check:
    """The printed change against value - base, at the printed precision."""
    printed_value, places = parse_printed(printed_change)
    printed = _fmt(printed_value, places, signed=True)
    if value is None:
        return _cannot("change", printed, "no value printed for the current period")
    if base is None:
        use = ("; the printed change is used instead to derive the base for the % change"
               if pct_printed else "")
        return _cannot("change", printed, "no base printed, so the change cannot be recomputed",
                       finding=f"Cannot be checked: no base printed, so the change cannot be recomputed{use}.")
    recomputed = value - base
    shown = max(places, _places_of(value, base))
    verdict = CONSISTENT if consistent_at_printed_precision(printed_change, recomputed) else INCONSISTENT
    difference = printed_value - recomputed
    finding = (f"Printed change {printed}; recomputed {_fmt(recomputed, shown, True)} "
               f"({_fmt(value, shown)} - {_fmt(base, shown)})")
    if verdict == CONSISTENT:
        finding += "."
    else:
        finding += (f"; the printed change differs by {_fmt(abs(difference), shown)}{_unit_words(unit)} "
                    f"at the printed precision ({_places_phrase(places)}).")
    return Check("change", printed, _fmt(recomputed, shown, True), verdict, finding, "", difference,
                 printed_value, recomputed, _fmt(difference, shown, True))


def check_pct_change(value: Decimal | None, base: Decimal | None, change: Decimal | None,
                     printed_pct: str) -> Check:
    """The printed % change against change / base x 100; with no base printed, base = value - printed change."""
    printed_value, places = parse_printed(printed_pct)
    printed = _fmt(printed_value, places, signed=True) + "%"
    derived = ""
    if base is None:
        if value is None or change is None:
            missing = "no base printed and no change printed" if change is None else "no base and no value printed"
            return _cannot("% change", printed, missing)
        base = value - change
        places_in = _places_of(value, change)
        subtracted = f"({_fmt(change, places_in)})" if change < 0 else _fmt(change, places_in)
        derived = (f"No base printed; base derived from the printed value and change: "
                   f"{_fmt(value, places_in)} - {subtracted} = {_fmt(base, places_in)}. ")
    if base == 0:
        return _cannot("% change", printed, "the base is 0, so a % change does not exist (n/a)",
                       finding=f"{derived}Cannot be checked: the base is 0, so a % change does not exist (n/a).")
    numerator = value - base if value is not None else change
    if numerator is None:
        return _cannot("% change", printed, "no value and no change printed")
    places_in = _places_of(numerator, base)
    return _judged_percentage("% change", "% change", "figure", printed_pct, _divide(numerator, base),
                              f"{_fmt(numerator, places_in)} / {_fmt(base, places_in)} x 100", signed=True,
                              derived=derived)


def check_values_only(value: Decimal | None, base: Decimal | None, unit: str = "count") -> Check:
    """A comparison printed as two values with no change and no % change: nothing printed to check."""
    reason = "the report printed the two values but no change or % change"
    if value is None or base is None:
        return _cannot("change and % change", "not printed", reason)
    places = _places_of(value, base)
    change = value - base
    if unit == "percent":  # a change between two percentages is in percentage points
        info = _fmt(change, places, True) + " percentage points"
    else:
        pct = f" ({_fmt(_divide(change, base), 1, True)}%)" if base != 0 else " (% change n/a: the base is 0)"
        info = _fmt(change, places, True) + pct
    return _cannot("change and % change", "not printed", reason, recomputed=info,
                   finding=f"Cannot be checked: {reason}. For information, the change is {info}.")


def check_sum(printed_total: str, parts: list[tuple[str, str]], what: str = "parts add up to the total",
              parts_word: str = "parts") -> Check:
    """The printed total against the sum of its printed parts."""
    total, places = parse_printed(printed_total)
    values = [(name, parse_printed(text)[0]) for name, text in parts]
    recomputed = sum((v for _, v in values), Decimal(0))
    shown = max(places, _places_of(*(v for _, v in values)))
    terms = " + ".join(_fmt(v, shown) for _, v in values)
    verdict = CONSISTENT if consistent_at_printed_precision(printed_total, recomputed) else INCONSISTENT
    difference = total - recomputed
    if verdict == CONSISTENT:
        finding = f"The printed {parts_word} ({terms}) add up to {_fmt(recomputed, shown)}, the printed total."
    else:
        relation = "more" if difference > 0 else "fewer"
        finding = (f"The printed {parts_word} ({terms}) add up to {_fmt(recomputed, shown)}; the printed total is "
                   f"{_fmt(total, places)}, {_fmt(abs(difference), shown)} {relation} than the parts.")
    return Check(what, _fmt(total, places), _fmt(recomputed, shown), verdict, finding, "", difference,
                 total, recomputed, _fmt(difference, shown, True))


def check_share(part: str, total: str, printed_share: str) -> Check:
    """A printed share against part / total x 100."""
    printed_value, places = parse_printed(printed_share)
    printed = _fmt(printed_value, places) + "%"
    part_value, total_value = parse_printed(part)[0], parse_printed(total)[0]
    if total_value == 0:
        return _cannot("share of the total", printed, "the total is 0, so a share does not exist (n/a)")
    places_in = _places_of(part_value, total_value)
    return _judged_percentage("share of the total", "share", "share", printed_share,
                              _divide(part_value, total_value),
                              f"{_fmt(part_value, places_in)} / {_fmt(total_value, places_in)} x 100", signed=False)


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
    return _cannot(check, printed or "not printed", f"a printed figure is not a number ({exc})")


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
                rows.append(_row(part_source, part_context, _cannot(
                    "share of the total", "not printed",
                    "only one part of the total was printed, with no share")))
    return rows


def _delivery_quarter(path: Path) -> str:
    """``delivery-plan-2021-22-Q4.csv`` -> ``2021-22-Q4``."""
    return path.stem.removeprefix("delivery-plan-")


def _quarter_label(text: str) -> str:
    for candidate in (text, text.replace(" Q", "-Q")):
        try:
            return parse_quarter(candidate).short_label
        except QuarterError:
            continue
    return text


def delivery_checks(path: Path, document: str = "", section: str = "") -> list[dict]:
    """Each strand's parts against its total, each column against the printed totals row, and the totals row
    parts against its own total."""
    frame = read_table(path, DELIVERY_COLUMNS)
    is_total = frame["strand"].str.strip().str.lower().isin(["total", "totals"])
    strands, total_rows = frame[~is_total], frame[is_total]
    quarter = _delivery_quarter(path)
    period = _quarter_label(str(strands["quarter"].iloc[0]).strip()) if len(strands) else _quarter_label(quarter)
    base = {"document": document, "section": section, "period": period}
    rows = []
    for _, r in strands.iterrows():
        context = {**base, "subject": str(r["strand"]).strip(), "measure": "delivery plan actions"}
        try:
            check = check_sum(str(r["total_actions"]),
                              [(DELIVERY_LABELS[c], str(r[c])) for c in DELIVERY_PARTS],
                              "complete + ongoing + at risk add up to the total actions")
        except ValueError as exc:
            check = _unreadable("complete + ongoing + at risk add up to the total actions", "", exc)
        rows.append(_row(f"{path.name} line {r['line']}", context, check))
    if len(total_rows):
        printed_totals = {c: str(total_rows.iloc[0][c]) for c in DELIVERY_LABELS}
        totals_source = f"{path.name} line {total_rows.iloc[0]['line']}"
    else:
        return rows
    context = {**base, "subject": "Total (printed totals row)", "measure": "delivery plan actions"}
    first, last = (int(strands["line"].min()), int(strands["line"].max())) if len(strands) else (0, 0)
    for column, label in DELIVERY_LABELS.items():
        try:
            check = check_sum(printed_totals[column],
                              [(str(s).strip(), str(v)) for s, v in zip(strands["strand"], strands[column])],
                              f"column total: {label} of the {len(strands)} strands", "strand figures")
        except ValueError as exc:
            check = _unreadable(f"column total: {label}", printed_totals[column], exc)
        rows.append(_row(f"{totals_source}; strands {path.name} lines {first}-{last}", context, check))
    try:
        check = check_sum(printed_totals["total_actions"],
                          [(DELIVERY_LABELS[c], printed_totals[c]) for c in DELIVERY_PARTS],
                          "totals row: complete + ongoing + at risk add up to the total actions")
    except ValueError as exc:
        check = _unreadable("totals row parts", printed_totals["total_actions"], exc)
    rows.append(_row(totals_source, context, check))
    return rows


def backtest_rows(paths: InputPaths) -> pd.DataFrame:
    """One row per check of a printed figure, in the order of the publication's reference files."""
    reference, facts = paths.reference, load_publication(paths).reference
    rows = []
    if (reference / COMPARISONS).exists():
        rows += comparison_checks(reference / COMPARISONS)
    if (reference / BREAKDOWNS).exists():
        rows += breakdown_checks(reference / BREAKDOWNS)
    for path in sorted(reference.glob("delivery-plan-*.csv")):
        rows += delivery_checks(path, facts.get("delivery_document", ""), facts.get("delivery_section", ""))
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
    columns = ["subject", "strand", "measure_id", "measure", "period", "quarters", "force_figure", "open_data",
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
        strand, measure = sections[measure_id]
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
                "subject": subject, "strand": strand.name, "measure_id": measure_id, "measure": measure.name,
                "period": quarter.twelve_months_label(),
                "quarters": f"{year[0].short_label} to {year[-1].short_label}",
                "force_figure": printed_figure, "open_data": open_value, "difference": difference, "pct_difference": pct,
                "definition_note": measure.definition_note, "source": p["source"],
                "open_data_source": str(mine_obs["source_file"].iloc[0]) if len(mine_obs) else "",
            })
    return pd.DataFrame(rows, columns=columns)
