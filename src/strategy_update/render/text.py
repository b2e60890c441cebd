"""Sentences built from computed figures: nothing typed, plural agreement and signs from the values."""

from __future__ import annotations

from strategy_update.compute import spc
from strategy_update.compute.comparisons import parse_span
from strategy_update.core.formatting import (
    count_phrase,
    format_change,
    format_count,
    format_difference,
    format_pct,
    format_value,
)

# Figures that are not counts: what the figure is called, its words for up and down, and whether the change
# is also given in per cent (a change in a percentage is already in points).
NOT_COUNTS = {"seconds": ("time", "longer", "shorter", True), "percent": ("figure", "higher", "lower", False)}


def comparison_sentence(c, unit: str, series_start=None) -> str:
    """One plain-English sentence per comparison, built from the values. ``series_start``: the quarter the
    measure's series starts (the definition's), which says why a period before it has no figure."""
    if c.current is None or c.base is None:
        missing = [label for label, value in ((c.current_label, c.current), (c.base_label, c.base)) if value is None]
        if series_start is not None and any(_starts_before(p, series_start) for p, v in
                                            ((c.current_period, c.current), (c.base_period, c.base)) if v is None):
            return (f"The {c.current_label} could not be compared with the {c.base_label}: the series starts in "
                    f"{series_start.short_label}, so the {' and the '.join(missing)} "
                    f"{'has' if len(missing) == 1 else 'have'} no figure.")
        return f"The {c.current_label} could not be compared with the {c.base_label}: the data does not cover it."
    if unit in NOT_COUNTS:
        noun, up, down, with_pct = NOT_COUNTS[unit]
        way = up if c.change > 0 else down if c.change < 0 else "the same"
        gap = ("" if c.change == 0
               else f"{format_difference(abs(c.change), unit).lstrip('+')}{_pct(c) if with_pct else ''} ")
        return (f"In the {c.current_label} the {noun} was {format_value(c.current, unit)}, {gap}{way} than in the "
                f"{c.base_label} ({format_value(c.base, unit)}).")
    if c.change == 0:
        return (f"In the {c.current_label} there were {format_count(c.current)} {unit}, the same as in the "
                f"{c.base_label}.")
    return (f"In the {c.current_label} there were {format_count(c.current)} {unit}, {_more_or_fewer(c)} than in the "
            f"{c.base_label} ({format_count(c.base)}).")


def _starts_before(period: str, quarter) -> bool:
    """Whether the span ``period`` (a comparison's) begins before ``quarter``."""
    from strategy_update.compute.comparisons import quarter_span

    return bool(period) and parse_span(period).first_month < quarter_span(quarter).first_month


def _pct(c) -> str:
    """`` (4.1%)``; for a base of 0 or below, which has no percentage change (compute/measures.py), it says so."""
    if c.pct_change is not None:
        return f" ({format_pct(abs(c.pct_change)).lstrip('+')})"
    if c.base is not None and c.base <= 0 and c.change:
        return f" (no percentage change from {'0' if c.base == 0 else 'a negative figure'})"
    return ""


def _more_or_fewer(c) -> str:
    """``7 (4.1%) more`` or ``8 (7.5%) fewer``."""
    return f"{format_change(abs(c.change)).lstrip('+')}{_pct(c)} {'more' if c.change > 0 else 'fewer'}"


def snapshot_sentence(c, unit: str) -> str:
    """A comparison of counts at 31 March (labels ``at 31 March 2022``); a 12-month comparison has no figure."""
    # A count at 31 March is held as the quarter ending that day; a longer span would add positions up.
    if c.current_period and parse_span(c.current_period).months > 3 and c.current is None:
        return ("There is no 12-month figure: the count is the position on one day (31 March), and positions on "
                "different days cannot be added up.")
    if c.current is None or c.base is None:
        missing = c.current_label if c.current is None else c.base_label
        return (f"There is no figure {missing} in the Home Office workforce data (published once a year), so the "
                f"count {c.current_label} cannot be compared with the count {c.base_label}.")
    if c.change == 0:
        return f"There were {format_count(c.current)} {unit} {c.current_label}, the same as {c.base_label}."
    return (f"There were {format_count(c.current)} {unit} {c.current_label}, {_more_or_fewer(c)} than "
            f"{c.base_label} ({format_count(c.base)}).")


def during(label: str) -> str:
    """``at 31 March 2022`` as it is; ``in the 12 months ending March 2022`` for a period."""
    return label if label.startswith("at ") else f"in the {label}"


def spc_summary(chart: spc.XmR | None, labels: tuple[str, ...] | list[str] | None = None,
                lower_is_better: bool | None = True, what: str = "") -> str:
    """The control chart in words: where its limits come from, what they are, any step change, and what the
    latest quarter shows for this measure (improvement, concern or common cause); ``what`` names the measure."""
    if chart is None:
        return "Too few quarters for a control chart."
    labels = list(labels) if labels is not None else [f"point {i + 1}" for i in range(len(chart.values))]
    counts = min(chart.values) >= 0  # a count cannot go below 0; a negative figure (adjustments) can, so is shown

    def lower(seg) -> float:
        return max(seg.lower, 0) if counts else seg.lower
    parts = []
    for seg in chart.parts:
        n = seg.baseline_points
        lead = (f"From {labels[seg.start]} the limits were worked out afresh after a step change "
                f"({seg.reason.rstrip('.')}): from" if seg.reason else "Limits from")
        screened = (f"; {count_phrase(len(seg.screened), 'unusually large quarter-to-quarter change')} left out "
                    f"({', '.join(labels[i] for i in seg.screened)})" if seg.screened else "")
        parts.append(f"{lead} the baseline {labels[seg.start]} to {labels[seg.baseline_end - 1]} "
                     f"({count_phrase(n, 'quarter')}): mean {format_count(seg.mean)}, process limits "
                     f"{format_count(lower(seg))} to {format_count(seg.upper)} (mean ± 2.66 × mean moving "
                     f"range of {format_count(seg.mean_moving_range)}{screened}).")
    _, words = spc.reading(chart, lower_is_better)
    of = f" of {what}" if what else ""  # named, so that two measures that read alike are not one sentence twice
    return " ".join(parts) + f" Latest quarter{of} ({labels[-1]}): {words[0].lower()}{words[1:]}"


def signal_text(signal: dict) -> str:
    return "; ".join(f"{spc.RULES[r]} ({d})" for r, d in signal.items())
