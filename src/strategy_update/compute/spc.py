"""Statistical process control: the XmR chart as NHS England's "Making Data Count" draws it.

Limits come from a stated **baseline**, not from every point judged: the first ``baseline`` points of the chart
(all of them when ``baseline`` is None or the chart is shorter). Within the baseline, a moving range above
3.267 x the mean moving range is an outlier and is left out of the mean moving range (the default of the NHS-R
community's NHSRplotthedots package). Mean +/- 2.66 x mean moving range gives the process limits. The limits hold
for the whole chart, and are worked out afresh only at a declared **step change** (e.g. a change in recording
practice): the points from the step on get their own baseline and limits, and no rule looks across a step.

Special cause rules, most important first (a point's marker and reading come from the first it is part of):
- ``outside``: a point above the upper or below the lower process limit;
- ``shift``: 7 or more points in a row on one side of the mean (a point on the mean breaks the run);
- ``trend``: 7 or more points in a row each higher (or each lower) than the one before (an equal one breaks it);
- ``two_of_three``: 2 of 3 points in a row close to a limit (beyond two-thirds of the way from the mean to the
  limit, but not outside it), with all three on the same side of the mean; the close points are flagged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

LIMIT_FACTOR = 2.66
SCREEN_FACTOR = 3.267  # a moving range above this many mean moving ranges is an outlier, left out of the limits
RUN_LENGTH = 7
BASELINE_QUARTERS = 12  # the default baseline: the first 12 quarters (3 years) of the chart
RULES = {  # in order of importance
    "outside": "a point outside the process limits",
    "shift": f"{RUN_LENGTH} points in a row on one side of the mean",
    "trend": f"{RUN_LENGTH} points in a row rising or falling",
    "two_of_three": "2 of 3 points close to a process limit",
}
UP, DOWN = {"high", "rising"}, {"low", "falling"}


@dataclass(frozen=True)
class Segment:
    """A stretch of the chart with one set of limits: points ``start`` to ``end - 1``, whose limits come from
    points ``start`` to ``baseline_end - 1``. ``screened``: points whose moving range (from the point before)
    was left out as an outlier. ``reason``: why the limits were worked out afresh at ``start`` (a step change)."""

    start: int
    end: int
    baseline_end: int
    mean: float
    mean_moving_range: float
    upper: float
    lower: float
    screened: tuple[int, ...] = ()
    reason: str = ""

    @property
    def baseline_points(self) -> int:
        return self.baseline_end - self.start


@dataclass(frozen=True)
class XmR:
    values: tuple[float, ...]
    mean: float  # mean, mean moving range and limits of the latest segment: those the latest point is judged by
    mean_moving_range: float
    upper: float
    lower: float
    # For each point, the rules it is part of, with the side: e.g. {"outside": "high"}.
    signals: tuple[dict, ...] = field(default_factory=tuple)
    segments: tuple[Segment, ...] = ()  # empty: one segment over every point, limits from every point

    @property
    def upper_two_thirds(self) -> float:
        return self.mean + 2 / 3 * (self.upper - self.mean)

    @property
    def lower_two_thirds(self) -> float:
        return self.mean - 2 / 3 * (self.mean - self.lower)

    @property
    def parts(self) -> tuple[Segment, ...]:
        n = len(self.values)
        return self.segments or (Segment(0, n, n, self.mean, self.mean_moving_range, self.upper, self.lower),)

    def segment_of(self, index: int) -> Segment:
        return next(s for s in self.parts if s.start <= index < s.end)

    @property
    def steps(self) -> tuple[Segment, ...]:
        """The segments that begin with a step change (all but the first)."""
        return self.parts[1:]


def moving_ranges(values: list[float]) -> list[float]:
    return [abs(b - a) for a, b in zip(values, values[1:])]


def baseline_limits(baseline: list[float]) -> tuple[float, float, tuple[int, ...]]:
    """(mean, mean moving range, screened) of baseline points: moving ranges above 3.267 x their mean are left out
    (once, as NHSRplotthedots does). ``screened`` holds the index of the later point of each range left out."""
    mean = sum(baseline) / len(baseline)
    ranges = moving_ranges(baseline)
    first = sum(ranges) / len(ranges)
    kept = [r for r in ranges if r <= SCREEN_FACTOR * first]
    screened = tuple(i + 1 for i, r in enumerate(ranges) if r > SCREEN_FACTOR * first)
    return mean, sum(kept) / len(kept), screened


def _side(value: float, centre: float, tolerance: float = 0.0) -> int:
    """+1 above, -1 below, 0 on the line (within ``tolerance``, so float noise is not a signal)."""
    return (value > centre + tolerance) - (value < centre - tolerance)


def _runs(flags: list[int], length: int) -> list[tuple[int, int, int]]:
    """(start, end exclusive, sign) of every run of equal non-zero flags at least ``length`` long."""
    runs, start = [], 0
    for i in range(1, len(flags) + 1):
        if i == len(flags) or flags[i] != flags[start]:
            if flags[start] != 0 and i - start >= length:
                runs.append((start, i, flags[start]))
            start = i
    return runs


def _direction(sign: int) -> str:
    return "high" if sign > 0 else "low"


def _signals(values: list[float], mean: float, upper: float, lower: float, tol: float) -> list[dict]:
    """The four rules over one segment's points, judged by its limits."""
    signals: list[dict] = [{} for _ in values]
    sides = [_side(v, mean, tol) for v in values]
    outside = [v > upper + tol or v < lower - tol for v in values]
    for i in range(len(values)):
        if outside[i]:
            signals[i]["outside"] = _direction(sides[i])

    for start, end, sign in _runs(sides, RUN_LENGTH):
        for i in range(start, end):
            signals[i]["shift"] = _direction(sign)

    # Steps between neighbours: a run of RUN_LENGTH points is RUN_LENGTH - 1 steps the same way.
    steps = [_side(b, a) for a, b in zip(values, values[1:])]  # data against data: no tolerance
    for start, end, sign in _runs(steps, RUN_LENGTH - 1):
        for i in range(start, end + 1):
            signals[i]["trend"] = "rising" if sign > 0 else "falling"

    high_band, low_band = mean + 2 / 3 * (upper - mean), mean - 2 / 3 * (mean - lower)
    close = [not outside[i] and (v > high_band + tol or v < low_band - tol) for i, v in enumerate(values)]
    for start in range(len(values) - 2):
        window = range(start, start + 3)
        same_side = abs(sum(sides[i] for i in window)) == 3
        hits = [i for i in window if close[i]]
        if same_side and len(hits) >= 2:
            for i in hits:
                signals[i]["two_of_three"] = _direction(sides[i])
    return signals


def xmr(values: list[float], baseline: int | None = None, steps: Mapping[int, str] | None = None) -> XmR:
    """Limits and special-cause signals for a series of at least two points.

    ``baseline``: how many points (from the start, and from each step) set the limits; None for all of them.
    ``steps``: {index of the first point after a step change: the reason}; each segment needs two points."""
    values = [float(v) for v in values]
    if len(values) < 2:
        raise ValueError("an XmR chart needs at least two points")
    if baseline is not None and baseline < 2:
        raise ValueError("a baseline needs at least two points")
    steps = dict(steps or {})
    bad = [i for i in steps if not 0 < i < len(values)]
    if bad:
        raise ValueError(f"step change at point {bad[0]} is not inside a chart of {len(values)} points")
    starts = [0] + sorted(steps)
    ends = starts[1:] + [len(values)]
    if any(end - start < 2 for start, end in zip(starts, ends)):
        raise ValueError("every stretch between step changes needs at least two points")
    # Sums of floats carry rounding noise: a constant 0.1 series must not sit "above" its own mean.
    tol = 1e-9 * max(1.0, max(abs(v) for v in values))
    segments, signals = [], []
    for start, end in zip(starts, ends):
        base_end = end if baseline is None else min(end, start + baseline)
        mean, mr_bar, screened = baseline_limits(values[start:base_end])
        upper, lower = mean + LIMIT_FACTOR * mr_bar, mean - LIMIT_FACTOR * mr_bar
        segments.append(Segment(start, end, base_end, mean, mr_bar, upper, lower,
                                tuple(start + i for i in screened), steps.get(start, "")))
        signals += _signals(values[start:end], mean, upper, lower, tol)
    last = segments[-1]
    return XmR(tuple(values), last.mean, last.mean_moving_range, last.upper, last.lower, tuple(signals),
               tuple(segments))


def main_rule(signal: dict) -> str | None:
    """The most important rule a point is part of (None for common cause): it sets the point's marker."""
    return next((rule for rule in RULES if rule in signal), None)


def _way(signal: dict) -> str:
    directions = set(signal.values())
    if directions <= UP:
        return "higher"
    if directions <= DOWN:
        return "lower"
    return "mixed"


def latest_signal(chart: XmR) -> str:
    """The last point's signal in words: which special cause rules it is part of, if any."""
    last = chart.signals[-1]
    if not last:
        return "Common cause variation"
    rules = "; ".join(RULES[r] for r in RULES if r in last)
    return f"Special cause ({_way(last)}): {rules}"


def latest_signal_short(chart: XmR) -> str:
    """For summary tables: ``Special cause, higher`` or ``Common cause``."""
    last = chart.signals[-1]
    return f"Special cause, {_way(last)}" if last else "Common cause"


# --- how large a change is against the usual variation -------------------------------------------------------
D2 = 1.128  # the mean moving range of two points is d2 = 1.128 standard deviations (XmR's 2.66 = 3 / 1.128)


def change_in_sigmas(change: float, chart: XmR, quarters: int, summed: bool = True) -> float | None:
    """A change between two periods of ``quarters`` quarters each, in standard deviations of the difference the
    measure's usual quarter-to-quarter variation would give by chance: one quarter's standard deviation is
    estimated as the latest limits' mean moving range / 1.128; two totals of n quarters then differ by chance with
    standard deviation sd * sqrt(2n), two averages of n quarters (a share, a time) with sd * sqrt(2 / n). None when
    the chart has no variation to judge by."""
    sd = chart.mean_moving_range / D2
    if not sd or quarters < 1:
        return None
    spread = sd * math.sqrt(2 * quarters) if summed else sd * math.sqrt(2 / quarters)
    return change / spread


# --- improvement or concern: the measure's polarity ---------------------------------------------------------------
IMPROVEMENT, CONCERN, COMMON_CAUSE, NEITHER = "improvement", "concern", "common cause", "neither"
_PLACES = {"outside": {"high": "above the upper process limit", "low": "below the lower process limit"},
           "shift": {"high": f"one of {RUN_LENGTH} or more quarters in a row above the mean",
                     "low": f"one of {RUN_LENGTH} or more quarters in a row below the mean"},
           "trend": {"rising": f"one of {RUN_LENGTH} or more quarters in a row each higher than the last",
                     "falling": f"one of {RUN_LENGTH} or more quarters in a row each lower than the last"},
           "two_of_three": {"high": "one of 2 in 3 quarters close to the upper process limit",
                            "low": "one of 2 in 3 quarters close to the lower process limit"}}


def point_reading(signal: dict, lower_is_better: bool | None) -> str:
    """``improvement``, ``concern``, ``neither`` (special cause in a measure with no better direction) or
    ``common cause``, from the point's most important rule and the measure's polarity."""
    rule = main_rule(signal)
    if rule is None:
        return COMMON_CAUSE
    if lower_is_better is None:
        return NEITHER
    return side_reading(signal[rule] in UP, lower_is_better)


def side_reading(went_up: bool, lower_is_better: bool) -> str:
    """``improvement`` or ``concern``: a special cause on the high side is an improvement when higher is better."""
    return IMPROVEMENT if went_up != lower_is_better else CONCERN


def reading(chart: XmR, lower_is_better: bool | None) -> tuple[str, str]:
    """The latest quarter read as Making Data Count reads it: (``improvement`` | ``concern`` | ``common cause`` |
    ``neither``, a plain-English sentence). ``lower_is_better``: the measure's polarity; None when neither
    direction is better."""
    last = chart.signals[-1]
    kind = point_reading(last, lower_is_better)
    if kind == COMMON_CAUSE:
        return kind, ("Common cause variation: the latest quarter is within the process limits and part of no "
                      "unusual pattern, so there is no evidence of a real change.")
    rule = main_rule(last)
    where = f"the latest quarter is {_PLACES[rule][last[rule]]}"
    others = [_PLACES[r][last[r]] for r in RULES if r in last and r != rule]
    also = f", and also {' and '.join(others)}" if others else ""
    if kind == NEITHER:
        return kind, f"Special cause variation: {where}{also}; neither direction is better for this measure."
    better = "lower" if lower_is_better else "higher"
    word = "improvement" if kind == IMPROVEMENT else "concern"
    return kind, f"Special cause variation of {word}: {where}{also}; {better} is better for this measure."
