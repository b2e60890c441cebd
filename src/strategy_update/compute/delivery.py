"""The delivery plan: each section's counts (a total and its parts, as the definition names them), the totals, and
the sentences the front page prints about them."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategy_update.core.formatting import count_phrase, format_count, round_half_away
from strategy_update.model.publication import Delivery, Level, Section

TOTAL = "total"  # the key of a row's total among its counts; the parts are keyed by their tracker column


@dataclass(frozen=True)
class DeliveryRow:
    section_id: str
    section_name: str
    group_name: str
    counts: dict[str, int] | None  # {"total": n, <part column>: n, ...}; None when the section did not report
    line: int | None = None

    @property
    def supplied(self) -> bool:
        return self.counts is not None

    @property
    def total(self) -> int | None:
        return self.counts[TOTAL] if self.counts else None

    def count(self, column: str) -> int | None:
        return self.counts[column] if self.counts else None

    @property
    def uncategorised(self) -> int | None:
        """Counted in the total but in none of the parts (a data quality warning when not 0)."""
        if not self.counts:
            return None
        return self.counts[TOTAL] - sum(v for k, v in self.counts.items() if k != TOTAL)


def delivery_rows(spec: Delivery, sections: list[Section], tracker: pd.DataFrame | None,
                  section_column: str) -> list[DeliveryRow]:
    """One row per section in the definition's order; a section missing from the tracker has no counts."""
    by_name = {} if tracker is None else {str(r[section_column]).strip(): r for _, r in tracker.iterrows()}
    rows = []
    for section in sections:
        r = by_name.get(section.tracker_name)
        counts = None if r is None else {TOTAL: int(r[spec.total.column]),
                                         **{p.column: int(r[p.column]) for p in spec.parts}}
        rows.append(DeliveryRow(section.id, section.name, section.parent_name, counts,
                                line=None if r is None else int(r["line"])))
    return rows


def totals(spec: Delivery, rows: list[DeliveryRow]) -> dict[str, int]:
    """Sums of each count over the sections that reported, how many reported, and how many have attention counts."""
    supplied = [r for r in rows if r.supplied]
    sums = {key: sum(r.count(key) for r in supplied) for key in [TOTAL] + [p.column for p in spec.parts]}
    out = {**sums, "sections_reported": len(supplied), "sections": len(rows)}
    if spec.attention:
        out[f"sections_{spec.attention}"] = sum(1 for r in supplied if r.count(spec.attention) > 0)
    return out


def attention_sentence(spec: Delivery, rows: list[DeliveryRow], level: Level) -> str:
    """How many sections have a count in the attention part (e.g. at risk), over the sections that reported."""
    t = totals(spec, rows)
    if t["sections_reported"] == 0:
        return "No delivery plan data was supplied for this quarter."
    part = spec.attention_part
    if part is None:
        return ""
    label = part.label.lower()
    over = f"the {count_phrase(t['sections_reported'], *_words(level))} that reported"
    if t["sections_reported"] == t["sections"]:
        over = f"all {count_phrase(t['sections'], *_words(level))}"
    flagged = t[f"sections_{part.column}"]
    if flagged == 0:
        return f"No {_words(level)[0]} has {spec.unit} {label}, across {over}."
    names = ", ".join(r.section_name for r in rows if r.supplied and r.count(part.column) > 0)
    return (f"{flagged} of {over.replace('all ', '')} {'has' if flagged == 1 else 'have'} {spec.unit} {label} "
            f"({names}), {count_phrase(t[part.column], spec.unit.removesuffix('s'), spec.unit)} in all.")


def progress_sentence(spec: Delivery, rows: list[DeliveryRow], level: Level) -> str:
    """'Of N actions in the delivery plans, X (p%) are complete, Y ongoing and Z at risk.'"""
    t = totals(spec, rows)
    if t["sections_reported"] == 0:
        return ""
    first, *rest = spec.parts
    share = t[first.column] / t[TOTAL] * 100 if t[TOTAL] else None
    pct = f" ({round_half_away(share)}%)" if share is not None else ""
    counted = [f"{format_count(t[first.column])}{pct} are {first.label.lower()}"] + [
        f"{format_count(t[p.column])} {p.label.lower()}" for p in rest]
    listed = counted[0] if len(counted) == 1 else ", ".join(counted[:-1]) + " and " + counted[-1]
    missing = t["sections"] - t["sections_reported"]
    tail = f" {count_phrase(missing, *_words(level)).capitalize()} did not report." if missing else ""
    return f"Of {format_count(t[TOTAL])} {spec.unit} in the delivery plans, {listed}.{tail}"


def _words(level: Level) -> tuple[str, str]:
    return level.name.lower(), level.plural.lower()
