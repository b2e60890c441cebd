"""Police forces: a force is named as the Home Office and ONS name it ("Devon and Cornwall") and has a slug for
paths and URLs ("devon-and-cornwall"). The forces known are those of the ONS population table."""

from __future__ import annotations

import difflib
import re

from strategy_update.core.errors import InputError


def force_slug(name: str) -> str:
    """``London, City of`` -> ``london-city-of``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def display_name(name: str) -> str:
    """How a force is named in a title or a sentence: the ONS list's inverted name reads the usual way round
    (``London, City of`` -> ``City of London``); every other name is as it is. Data keep the ONS name."""
    head, comma, tail = name.partition(", ")
    return f"{tail} {head}" if comma and tail.endswith(" of") else name


def resolve_force(text: str, known: list[str]) -> str:
    """The force named by ``text`` (its name, its name as a sentence says it, or its slug, any case), or an
    InputError suggesting the closest names."""
    wanted = force_slug(text)
    for name in known:
        if wanted in (force_slug(name), force_slug(display_name(name))):
            return name
    close = difflib.get_close_matches(text, known, n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join(close)}?" if close else ""
    raise InputError(f"unknown force '{text}'.{hint} Known forces: {', '.join(sorted(known))}",
                     column="--force", value=text, rule="the force is one of the 43 territorial police forces")
