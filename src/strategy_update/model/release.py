"""How a publication is released (the definition's ``release:`` key): what its statistics are (their status and
caveats), how it applies the Code of Practice for Statistics, who answers questions about it, and how long after a
quarter ends its update comes out (from which the next update's month is worked out).

Another force's edition names its own force as the contact, never the owner's: the owner's web address and email
are the owner's alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from strategy_update.core.errors import InputError
from strategy_update.core.periods import MONTH_NAMES, Quarter

PILLARS = ("trustworthiness", "quality", "value")  # the Code of Practice for Statistics' three pillars
RULE = "the release key gives status, code_of_practice (trustworthiness, quality, value), contact.team and " \
       "months_after_quarter (a whole number from 0 to 12)"


@dataclass(frozen=True)
class Contact:
    team: str  # who answers questions, e.g. "performance analysis team": "<force>'s performance analysis team"
    telephone: str = ""  # open to every force's edition (e.g. 101, the police non-emergency number)
    email: str = ""  # the owner's own: shown in the owner's edition only
    web: str = ""  # the owner's own: shown in the owner's edition only


@dataclass(frozen=True)
class Release:
    status: tuple[str, ...]  # paragraphs: what the statistics are and how to read them
    code_of_practice: tuple[tuple[str, str], ...]  # (pillar, how this publication meets it), in PILLARS' order
    contact: Contact
    months_after_quarter: int  # an update comes out this many months after its quarter ends

    def next_update(self, quarter: Quarter, last: Quarter | None) -> tuple[Quarter, str] | None:
        """The next quarter's update and the month it is due (``August 2022``); None after the last quarter."""
        following = quarter.shift(1)
        if last is not None and following > last:
            return None
        year, month = following.end_month
        months = year * 12 + month - 1 + self.months_after_quarter
        return following, f"{MONTH_NAMES[months % 12]} {months // 12}"


def _text(value) -> str:
    return " ".join(str(value).split()) if value is not None else ""


def release_from_mapping(raw, file: str) -> Release | None:
    """The ``release`` key parsed, or None when the definition has none. A key missing or malformed is an
    InputError naming the key and its line."""
    if raw is None:
        return None
    lines = getattr(raw, "lines", {})

    def refuse(key: str, message: str, value=None):
        raise InputError(f"release.{key}: {message}", file=file, line=lines.get(key.split(".")[0], getattr(
            raw, "line", None)), column=f"release.{key}", value=value, rule=RULE)
    if not isinstance(raw, dict):
        refuse("status", "the release key is not a mapping")
    status = raw.get("status")
    if not isinstance(status, list) or not all(_text(p) for p in status) or not status:
        refuse("status", "give the statistics' status as a list of paragraphs")
    pillars = raw.get("code_of_practice")
    if not isinstance(pillars, dict) or set(pillars) != set(PILLARS) or not all(_text(pillars[p]) for p in PILLARS):
        refuse("code_of_practice", f"say how the update meets each pillar of the Code of Practice for Statistics: "
                                   f"{', '.join(PILLARS)}", sorted(pillars) if isinstance(pillars, dict) else pillars)
    contact = raw.get("contact")
    if not isinstance(contact, dict) or not _text(contact.get("team")):
        refuse("contact.team", "name the team that answers questions about the figures")
    lag = raw.get("months_after_quarter")
    if isinstance(lag, bool) or not isinstance(lag, int) or not 0 <= lag <= 12:
        refuse("months_after_quarter", "say how many months after its quarter ends an update comes out, as a whole "
                                       "number from 0 to 12", lag)
    return Release(status=tuple(_text(p) for p in status),
                   code_of_practice=tuple((p, _text(pillars[p])) for p in PILLARS),
                   contact=Contact(**{k: _text(contact.get(k)) for k in ("team", "telephone", "email", "web")}),
                   months_after_quarter=lag)
