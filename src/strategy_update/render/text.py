"""Sentences built from computed figures: nothing typed, plural agreement and signs from the values."""

from __future__ import annotations

from strategy_update.compute import spc
from strategy_update.core.formatting import (format_change, format_count, format_difference, format_pct,
                                             format_value)


def comparison_sentence(c, unit: str) -> str:
    """One plain-English sentence per comparison, built from the values."""
    if c.current is None or c.base is None:
        return f"The {c.current_label} could not be compared with the {c.base_label}: the data does not cover it."
    if unit == "percent":
        way = "higher" if c.change > 0 else "lower" if c.change < 0 else "the same"
        gap = "" if c.change == 0 else f"{format_difference(abs(c.change), unit).lstrip('+')} "
        return (f"In the {c.current_label} the figure was {format_value(c.current, unit)}, {gap}{way} than in the "
                f"{c.base_label} ({format_value(c.base, unit)}).")
    if c.change == 0:
        return f"In the {c.current_label} there were {format_count(c.current)} {unit}, the same as in the {c.base_label}."
    pct = f" ({format_pct(abs(c.pct_change)).lstrip('+')})" if c.pct_change is not None else ""
    return (f"In the {c.current_label} there were {format_count(c.current)} {unit}, "
            f"{format_change(abs(c.change)).lstrip('+')}{pct} "
            f"{'more' if c.change > 0 else 'fewer'} than in the {c.base_label} ({format_count(c.base)}).")


def spc_summary(chart: spc.XmR | None) -> str:
    if chart is None:
        return "Too few quarters for a control chart."
    return (f"Mean {format_count(chart.mean)}; process limits {format_count(max(chart.lower, 0))} to "
            f"{format_count(chart.upper)} (mean ± 2.66 × mean moving range of {format_count(chart.mean_moving_range)}; "
            f"lower limit shown as 0 when negative). Latest quarter: {spc.latest_signal(chart).lower()}.")


def signal_text(signal: dict) -> str:
    return "; ".join(f"{spc.RULES[r]} ({d})" for r, d in signal.items())
