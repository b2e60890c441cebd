"""How numbers are shown. Values are kept exact; rounding happens here, at display only."""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal


def round_half_away(value: float, places: int = 0) -> Decimal:
    """Round half away from zero (2.5 -> 3, -2.5 -> -3), unlike Python's round() which rounds half to even.

    Decimal(str(value)) keeps the value as written, so 2.675 rounds to 2.68 although its binary
    representation is slightly below 2.675.
    """
    quantum = Decimal(1).scaleb(-places)
    return Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)  # HALF_UP on Decimal is away from zero


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _no_negative_zero(rounded: Decimal) -> Decimal:
    return abs(rounded) if rounded == 0 else rounded


def format_count(value: float | int | None) -> str:
    """``2,833``; a missing value (None or NaN) shows as n/a."""
    if _missing(value):
        return "n/a"
    return f"{_no_negative_zero(round_half_away(value)):,}"


def format_change(value: float | int | None) -> str:
    """A signed count: ``+898``, ``-2,108``, ``0``."""
    if _missing(value):
        return "n/a"
    rounded = _no_negative_zero(round_half_away(value))
    sign = "+" if rounded > 0 else ""
    return f"{sign}{rounded:,}"


def format_pct(value: float | None, places: int = 1) -> str:
    """A signed percentage: ``+46.4%``, ``-18.5%``, ``0.0%``; None (a zero or missing base) is ``n/a``."""
    if _missing(value):
        return "n/a"
    rounded = _no_negative_zero(round_half_away(value, places))  # never "-0.0%"
    sign = "+" if rounded > 0 else ""
    return f"{sign}{rounded:,.{places}f}%"


def format_rate(value: float | None, places: int = 2) -> str:
    if _missing(value):
        return "n/a"
    return f"{_no_negative_zero(round_half_away(value, places)):,.{places}f}"


def format_duration(seconds: float, signed: bool = False) -> str:
    """``2 min 43 s``, ``48 s``; signed (a change): ``+1 min 7 s``, ``-12 s``, ``0 s``."""
    whole = int(round_half_away(seconds))
    sign = ("+" if whole > 0 else "-" if whole < 0 else "") if signed else ("-" if whole < 0 else "")
    minutes, rest = divmod(abs(whole), 60)
    return f"{sign}{minutes:,} min {rest} s" if minutes else f"{sign}{rest} s"


def format_value(value: float | None, unit: str) -> str:
    """A measure's value in its unit: counts as whole numbers (``2,833``), percentages as ``46.28%``, times in
    seconds as ``2 min 43 s``."""
    if unit == "seconds":
        return "n/a" if _missing(value) else format_duration(value)
    if unit == "percent":
        return "n/a" if _missing(value) else f"{format_rate(value)}%"
    if unit == "rate":
        return format_rate(value)
    return format_count(value)


def format_difference(value: float | None, unit: str) -> str:
    """A signed change in a measure's unit: ``+898``; ``-0.15 percentage points`` for percentages; ``-1 min 7 s``."""
    if unit == "seconds":
        return "n/a" if _missing(value) else format_duration(value, signed=True)
    if unit == "percent":
        if _missing(value):
            return "n/a"
        rounded = _no_negative_zero(round_half_away(value, 2))
        return f"{'+' if rounded > 0 else ''}{rounded:,.2f} percentage points"
    if unit == "rate":
        return "n/a" if _missing(value) else ("+" if round_half_away(value, 2) > 0 else "") + format_rate(value)
    return format_change(value)


def sentence_case(text: str) -> str:
    """The first letter a capital, the rest as written: ``12 months ending March 2022`` stays, ``the chart data``
    becomes ``The chart data`` (str.capitalize would lower every other letter, names and acronyms too)."""
    return text[:1].upper() + text[1:]


def and_list(items: list[str]) -> str:
    """``a``, ``a and b``, ``a, b and c``: items named in a sentence."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def count_phrase(n: int, singular: str, plural: str | None = None) -> str:
    """``1 strand``, ``3 strands``, ``no strands``."""
    plural = plural or singular + "s"
    if n == 0:
        return f"no {plural}"
    return f"{n:,} {singular if n == 1 else plural}"


def format_ordinal(value: float) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st: a rank in words."""
    n = int(value)
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def format_rank(rank: float, of: float) -> str:
    """``3rd of 8``: a place in a group."""
    return f"{format_ordinal(rank)} of {int(of)}"


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\"'(])")


def sentences_of(text: str) -> list[str]:
    """A paragraph's sentences, split after a full stop, question or exclamation mark followed by a capital, a
    digit, an opening bracket or quote, or bold."""
    return [part.strip() for part in _SENTENCE_END.split(text.strip()) if part.strip()]
