"""UK financial-year quarters and every label derived from them.

A quarter is identified as ``2021-22-Q4``: financial year 2021/22 runs April 2021 to March 2022,
Q1 = April-June ... Q4 = January-March. All period labels in the publication come from here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MONTH_NAMES = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]

ACCEPTED_FORMS = "2021-22-Q4, 2021/22 Q4 or FY2021-22 Q4"

_PATTERNS = [
    re.compile(r"^(\d{4})-(\d{2})-Q(\d)$"),
    re.compile(r"^(\d{4})/(\d{2}) Q(\d)$"),
    re.compile(r"^FY(\d{4})-(\d{2}) Q(\d)$"),
]


class QuarterError(ValueError):
    """A quarter id that cannot be understood; the message shows the accepted forms."""


@dataclass(frozen=True, order=True)
class Quarter:
    """Financial year starting in April of ``fy_start`` and quarter number 1-4."""

    fy_start: int
    number: int

    def __post_init__(self) -> None:
        if self.number not in (1, 2, 3, 4):
            raise QuarterError(f"quarter number must be 1 to 4, not {self.number}")

    # --- identity -----------------------------------------------------------------
    @property
    def id(self) -> str:
        return f"{self.fy_start}-{(self.fy_start + 1) % 100:02d}-Q{self.number}"

    @property
    def financial_year(self) -> str:
        """As the Home Office writes it: ``2021/22``."""
        return f"{self.fy_start}/{(self.fy_start + 1) % 100:02d}"

    @property
    def index(self) -> int:
        """A running number, so that quarters can be subtracted and offset."""
        return self.fy_start * 4 + self.number - 1

    @classmethod
    def from_index(cls, index: int) -> Quarter:
        return cls(index // 4, index % 4 + 1)

    def shift(self, quarters: int) -> Quarter:
        return Quarter.from_index(self.index + quarters)

    def __str__(self) -> str:
        return self.id

    # --- calendar -----------------------------------------------------------------
    @property
    def first_month(self) -> tuple[int, int]:
        """(calendar year, month number) of the quarter's first month."""
        month = 4 + 3 * (self.number - 1)  # April, July, October, January(13)
        year = self.fy_start
        if month > 12:
            month -= 12
            year += 1
        return year, month

    @property
    def end_month(self) -> tuple[int, int]:
        year, month = self.first_month
        return year, month + 2

    @property
    def months_label(self) -> str:
        """``January-March 2022``."""
        year, month = self.first_month
        return f"{MONTH_NAMES[month - 1]}-{MONTH_NAMES[month + 1]} {year}"

    @property
    def short_months_label(self) -> str:
        """``Jan-Mar 2022``."""
        year, month = self.first_month
        return f"{MONTH_NAMES[month - 1][:3]}-{MONTH_NAMES[month + 1][:3]} {year}"

    @property
    def label(self) -> str:
        """``Q4 2021/22 (January-March 2022)``."""
        return f"Q{self.number} {self.financial_year} ({self.months_label})"

    @property
    def short_label(self) -> str:
        """``Q4 2021/22``."""
        return f"Q{self.number} {self.financial_year}"

    def twelve_months_label(self) -> str:
        """``12 months ending March 2022``: the rolling year ending with this quarter."""
        year, month = self.end_month
        return f"12 months ending {MONTH_NAMES[month - 1]} {year}"

    def rolling_year(self) -> list[Quarter]:
        """The four quarters ending with this one, oldest first."""
        return [self.shift(k) for k in range(-3, 1)]


def parse_quarter(text: str) -> Quarter:
    """Read a quarter id in one of the accepted forms, or explain what is accepted."""
    cleaned = str(text).strip()
    for pattern in _PATTERNS:
        match = pattern.match(cleaned)
        if match:
            start, end_two, number = int(match[1]), int(match[2]), int(match[3])
            if (start + 1) % 100 != end_two:
                raise QuarterError(
                    f"'{text}' is not a financial year: {start} must be followed by "
                    f"{(start + 1) % 100:02d}. Accepted forms: {ACCEPTED_FORMS}."
                )
            if number not in (1, 2, 3, 4):
                raise QuarterError(
                    f"'{text}' has quarter Q{number}; a financial year has quarters Q1 to Q4. "
                    f"Accepted forms: {ACCEPTED_FORMS}."
                )
            return Quarter(start, number)
    raise QuarterError(f"'{text}' is not a quarter id. Accepted forms: {ACCEPTED_FORMS}.")


def tracker_quarter(text: str) -> Quarter | None:
    """The quarter a tracker row names, in an accepted form or as spreadsheets write it (``2021-22 Q4``), or None."""
    cleaned = str(text).strip()
    for candidate in (cleaned, cleaned.replace(" Q", "-Q")):
        try:
            return parse_quarter(candidate)
        except QuarterError:
            continue
    return None


def quarter_from_home_office(financial_year: str, quarter_number: int) -> Quarter:
    """The Home Office writes ``2021/22`` and ``4`` in two columns."""
    return parse_quarter(f"{financial_year} Q{int(quarter_number)}")


def quarter_of_month(year: int, month: int) -> Quarter:
    """The financial quarter holding a calendar month."""
    fy_start = year if month >= 4 else year - 1
    return Quarter(fy_start, ((month - 4) % 12) // 3 + 1)


def quarter_range(first: Quarter, last: Quarter) -> list[Quarter]:
    """Every quarter from ``first`` to ``last`` inclusive."""
    return [Quarter.from_index(i) for i in range(first.index, last.index + 1)]


# --- periods of whole months ------------------------------------------------------------------------------
PERIOD_FORMS = "a month (2019-07), a quarter id (2019-20-Q2) or a range of months (2019-05/2019-07)"
_MONTH_TEXT = r"(\d{4})-(\d{2})"


def month_number(year: int, month: int) -> int:
    """A running number of months (year * 12 + month - 1), so that months can be subtracted."""
    return year * 12 + month - 1


def parse_period(text: str) -> tuple[str, int, int]:
    """(kind, first month, last month) of a period written as a month, a quarter id or a range of months;
    a QuarterError naming the accepted forms for anything else."""
    cleaned = str(text).strip()
    match = re.fullmatch(f"{_MONTH_TEXT}(?:/{_MONTH_TEXT})?", cleaned)
    if match is None:
        try:
            quarter = parse_quarter(cleaned)
        except QuarterError:
            raise QuarterError(f"'{text}' is not {PERIOD_FORMS}") from None
        first = month_number(*quarter.first_month)
        return "quarter", first, first + 2
    months = [(int(match[i]), int(match[i + 1])) for i in (1, 3) if match[i]]
    for _year, month in months:
        if not 1 <= month <= 12:
            raise QuarterError(f"'{text}': month {month:02d} does not exist")
    first, last = (month_number(*m) for m in (months[0], months[-1]))
    if last < first:
        raise QuarterError(f"'{text}': the range ends before it starts")
    return ("month" if len(months) == 1 else "range"), first, last
