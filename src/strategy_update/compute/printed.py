"""The arithmetic of a printed figure: read it as printed, recompute it exactly, and judge it at the precision the
report printed it to. Each check returns a :class:`Check` with a verdict:

- ``consistent``: the printed figure equals the recomputation rounded (half away from zero) to the number of
  decimal places the report printed;
- ``inconsistent``: it does not; the finding says by how much;
- ``cannot be checked``: something needed was not printed (the reason says what).

Arithmetic is exact (``Decimal``), so a printed ``2.5`` is compared with an exact 2.5, never with 2.4999999.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction

from strategy_update.core.formatting import round_half_away

CONSISTENT = "consistent"
INCONSISTENT = "inconsistent"
CANNOT = "cannot be checked"
VERDICTS = (INCONSISTENT, CANNOT, CONSISTENT)  # the order the page lists them in

_NUMBER = re.compile(r"^([+-]?)(\d{1,3}(?:,\d{3})+|\d*)(?:\.(\d+))?$")


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
def format_printed(value: Decimal, places: int, signed: bool = False) -> str:
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


def cannot_check(check: str, printed: str, reason: str, recomputed: str = "", finding: str = "") -> Check:
    return Check(check, printed, recomputed, CANNOT, finding or f"Cannot be checked: {reason}.", reason)


def _unit_words(unit: str) -> str:
    return {"count": "", "percent": " percentage points"}.get(unit, f" {unit}")


def _judged_percentage(check: str, noun: str, differing: str, printed_text: str, recomputed: Decimal, formula: str,
                       signed: bool, derived: str = "") -> Check:
    """A printed percentage (a % change or a share) against its recomputed value, at the printed precision."""
    printed_value, places = parse_printed(printed_text)
    printed = format_printed(printed_value, places, signed) + "%"
    shown = _decimals_to_show(recomputed, places)
    verdict = CONSISTENT if consistent_at_printed_precision(printed_text, recomputed) else INCONSISTENT
    difference = printed_value - recomputed
    finding = (f"{derived}Printed {noun} {printed}; recomputed {format_printed(recomputed, shown, signed)}% "
               f"({formula}), "
               f"which rounds to {format_printed(recomputed, places, signed)}% at the printed precision "
               f"({_places_phrase(places)})")
    if verdict == CONSISTENT:
        finding += "."
    else:
        finding += f"; the printed {differing} differs by {format_printed(abs(difference), shown)} percentage points."
    return Check(check, printed, format_printed(recomputed, shown, signed) + "%", verdict, finding, "", difference,
                 printed_value, recomputed, format_printed(difference, shown, True))


# --- the checks ------------------------------------------------------------------------------------
def check_change(value: Decimal | None, base: Decimal | None, printed_change: str, unit: str = "count",
                 pct_printed: bool = False) -> Check:
    """The printed change against value - base, at the printed precision."""
    printed_value, places = parse_printed(printed_change)
    printed = format_printed(printed_value, places, signed=True)
    if value is None:
        return cannot_check("change", printed, "no value printed for the current period")
    if base is None:
        use = ("; the printed change is used instead to derive the base for the % change"
               if pct_printed else "")
        return cannot_check("change", printed, "no base printed, so the change cannot be recomputed",
                       finding=f"Cannot be checked: no base printed, so the change cannot be recomputed{use}.")
    recomputed = value - base
    shown = max(places, _places_of(value, base))
    verdict = CONSISTENT if consistent_at_printed_precision(printed_change, recomputed) else INCONSISTENT
    difference = printed_value - recomputed
    finding = (f"Printed change {printed}; recomputed {format_printed(recomputed, shown, True)} "
               f"({format_printed(value, shown)} - {format_printed(base, shown)})")
    if verdict == CONSISTENT:
        finding += "."
    else:
        finding += (f"; the printed change differs by {format_printed(abs(difference), shown)}{_unit_words(unit)} "
                    f"at the printed precision ({_places_phrase(places)}).")
    return Check("change", printed, format_printed(recomputed, shown, True), verdict, finding, "", difference,
                 printed_value, recomputed, format_printed(difference, shown, True))


def check_pct_change(value: Decimal | None, base: Decimal | None, change: Decimal | None,
                     printed_pct: str) -> Check:
    """The printed % change against change / base x 100; with no base printed, base = value - printed change."""
    printed_value, places = parse_printed(printed_pct)
    printed = format_printed(printed_value, places, signed=True) + "%"
    derived = ""
    if base is None:
        if value is None or change is None:
            missing = "no base printed and no change printed" if change is None else "no base and no value printed"
            return cannot_check("% change", printed, missing)
        base = value - change
        places_in = _places_of(value, change)
        subtracted = f"({format_printed(change, places_in)})" if change < 0 else format_printed(change, places_in)
        derived = (f"No base printed; base derived from the printed value and change: "
                   f"{format_printed(value, places_in)} - {subtracted} = {format_printed(base, places_in)}. ")
    if base == 0:
        return cannot_check("% change", printed, "the base is 0, so a % change does not exist (n/a)",
                       finding=f"{derived}Cannot be checked: the base is 0, so a % change does not exist (n/a).")
    numerator = value - base if value is not None else change
    if numerator is None:
        return cannot_check("% change", printed, "no value and no change printed")
    places_in = _places_of(numerator, base)
    return _judged_percentage("% change", "% change", "figure", printed_pct, _divide(numerator, base),
                              f"{format_printed(numerator, places_in)} / {format_printed(base, places_in)} x 100",
                              signed=True, derived=derived)


def check_values_only(value: Decimal | None, base: Decimal | None, unit: str = "count") -> Check:
    """A comparison printed as two values with no change and no % change: nothing printed to check."""
    reason = "the report printed the two values but no change or % change"
    if value is None or base is None:
        return cannot_check("change and % change", "not printed", reason)
    places = _places_of(value, base)
    change = value - base
    if unit == "percent":  # a change between two percentages is in percentage points
        info = format_printed(change, places, True) + " percentage points"
    else:
        pct = f" ({format_printed(_divide(change, base), 1, True)}%)" if base != 0 else " (% change n/a: the base is 0)"
        info = format_printed(change, places, True) + pct
    return cannot_check("change and % change", "not printed", reason, recomputed=info,
                   finding=f"Cannot be checked: {reason}. For information, the change is {info}.")


def check_sum(printed_total: str, parts: list[tuple[str, str]], what: str = "parts add up to the total",
              parts_word: str = "parts") -> Check:
    """The printed total against the sum of its printed parts."""
    total, places = parse_printed(printed_total)
    values = [(name, parse_printed(text)[0]) for name, text in parts]
    recomputed = sum((v for _, v in values), Decimal(0))
    shown = max(places, _places_of(*(v for _, v in values)))
    terms = " + ".join(format_printed(v, shown) for _, v in values)
    verdict = CONSISTENT if consistent_at_printed_precision(printed_total, recomputed) else INCONSISTENT
    difference = total - recomputed
    if verdict == CONSISTENT:
        finding = (f"The printed {parts_word} ({terms}) add up to {format_printed(recomputed, shown)}, "
                   "the printed total.")
    else:
        relation = "more" if difference > 0 else "fewer"
        finding = (f"The printed {parts_word} ({terms}) add up to {format_printed(recomputed, shown)}; "
                   f"the printed total is {format_printed(total, places)}, "
                   f"{format_printed(abs(difference), shown)} {relation} than the parts.")
    return Check(what, format_printed(total, places), format_printed(recomputed, shown), verdict, finding, "",
                 difference, total, recomputed, format_printed(difference, shown, True))


def check_share(part: str, total: str, printed_share: str) -> Check:
    """A printed share against part / total x 100."""
    printed_value, places = parse_printed(printed_share)
    printed = format_printed(printed_value, places) + "%"
    part_value, total_value = parse_printed(part)[0], parse_printed(total)[0]
    if total_value == 0:
        return cannot_check("share of the total", printed, "the total is 0, so a share does not exist (n/a)")
    places_in = _places_of(part_value, total_value)
    return _judged_percentage("share of the total", "share", "share", printed_share,
                              _divide(part_value, total_value),
                              f"{format_printed(part_value, places_in)} / "
                              f"{format_printed(total_value, places_in)} x 100", signed=False)
