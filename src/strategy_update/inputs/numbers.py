"""Numbers as written in an input, read one way for every table: digits, a decimal point for a fraction, and commas
only where they are thousands separators (``COMMAS``). A comma anywhere else is not a number: "180,26" is not
18,026, and a decimal comma ("18,5") is not 185, so such values are refused with a message saying what is
accepted, never read as another number without a word.
"""

from __future__ import annotations

import pandas as pd

COMMAS = ("a comma is accepted only between groups of three digits, as in 18,026 or 1,234,567 (a decimal is written "
          "with a point: 18.5)")
_GROUPED = r"-?\d{1,3}(?:,\d{3})+(?:\.\d+)?"  # a number with thousands separators
NUMBER = r"-?(?:\d+(?:\.\d*)?|\.\d+)"  # a number once separators are dropped
WHOLE = r"-?\d+"


def without_separators(values: pd.Series) -> pd.Series:
    """Each value's text, stripped, with its commas dropped when they are well-formed thousands separators; any
    other value is left as written, so that the caller's pattern refuses it."""
    text = values.astype(str).str.strip()
    grouped = text.str.fullmatch(_GROUPED)
    return text.where(~grouped, text.str.replace(",", "", regex=False))


def to_numbers(values: pd.Series) -> pd.Series:
    """Each value as a float, or NaN when it is not a number as written (digits, a decimal point, ``COMMAS``)."""
    text = without_separators(values)
    return pd.to_numeric(text.where(text.str.fullmatch(NUMBER)), errors="coerce")
