"""The delivery plan: actions per strand (total, complete, ongoing, at risk), totals and generated sentences."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from strategy_update.model.publication import Publication
from strategy_update.core.formatting import format_count, round_half_away

COUNT_COLUMNS = ["total_actions", "complete", "ongoing", "at_risk"]


@dataclass(frozen=True)
class DeliveryRow:
    strand_id: str
    strand_name: str
    theme_name: str
    total: int | None
    complete: int | None
    ongoing: int | None
    at_risk: int | None
    line: int | None = None

    @property
    def supplied(self) -> bool:
        return self.total is not None

    @property
    def uncategorised(self) -> int | None:
        """Actions in the total but in none of the parts (a data quality warning when above 0)."""
        if not self.supplied:
            return None
        return self.total - self.complete - self.ongoing - self.at_risk


def delivery_rows(publication: Publication, tracker: pd.DataFrame | None) -> list[DeliveryRow]:
    """One row per strand in the definition's order; a strand missing from the tracker has no counts."""
    by_name = {}
    if tracker is not None:
        by_name = {str(r["strand"]).strip(): r for _, r in tracker.iterrows()}
    rows = []
    for strand in publication.leaves:
        r = by_name.get(strand.tracker_name)
        counts = [int(r[c]) for c in COUNT_COLUMNS] if r is not None else [None] * 4
        rows.append(DeliveryRow(strand.id, strand.name, strand.parent_name, *counts,
                                line=int(r["line"]) if r is not None else None))
    return rows


def totals(rows: list[DeliveryRow]) -> dict[str, int]:
    supplied = [r for r in rows if r.supplied]
    return {
        "total": sum(r.total for r in supplied),
        "complete": sum(r.complete for r in supplied),
        "ongoing": sum(r.ongoing for r in supplied),
        "at_risk": sum(r.at_risk for r in supplied),
        "strands_reported": len(supplied),
        "strands": len(rows),
        "strands_at_risk": sum(1 for r in supplied if r.at_risk > 0),
    }


def _strands(n: int) -> str:
    return f"{n} strand" if n == 1 else f"{n} strands"


def at_risk_sentence(rows: list[DeliveryRow]) -> str:
    """How many strands have actions at risk, stated over the actual number of strands."""
    t = totals(rows)
    if t["strands_reported"] == 0:
        return "No delivery plan data was supplied for this quarter."
    over = f"the {_strands(t['strands_reported'])} that reported"
    if t["strands_reported"] == t["strands"]:
        over = f"all {_strands(t['strands'])}"
    if t["strands_at_risk"] == 0:
        return f"No strand has actions at risk, across {over}."
    names = ", ".join(r.strand_name for r in rows if r.supplied and r.at_risk > 0)
    return (f"{t['strands_at_risk']} of {over.replace('all ', '')} {'has' if t['strands_at_risk'] == 1 else 'have'} "
            f"actions at risk ({names}), {t['at_risk']} actions in all.")


def progress_sentence(rows: list[DeliveryRow]) -> str:
    t = totals(rows)
    if t["strands_reported"] == 0:
        return ""
    share = t["complete"] / t["total"] * 100 if t["total"] else None
    pct = f" ({round_half_away(share)}%)" if share is not None else ""
    missing = t["strands"] - t["strands_reported"]
    tail = f" {_strands(missing).capitalize()} did not report." if missing else ""
    return (f"Of {format_count(t['total'])} actions in the delivery plans, {format_count(t['complete'])}{pct} are "
            f"complete, {format_count(t['ongoing'])} ongoing and {format_count(t['at_risk'])} at risk.{tail}")
