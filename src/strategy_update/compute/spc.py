"""Statistical process control: the XmR chart of NHS England's "Making Data Count".

Mean of the points; process limits at mean +/- 2.66 x mean moving range. Special cause rules:
- ``outside``: a point above the upper or below the lower process limit;
- ``shift``: 7 or more points in a row on one side of the mean (a point on the mean breaks the run);
- ``trend``: 7 or more points in a row each higher (or each lower) than the one before;
- ``two_of_three``: 2 of 3 points in a row beyond two-thirds of the way from the mean to a limit,
  on the same side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LIMIT_FACTOR = 2.66
RUN_LENGTH = 7
RULES = {
    "outside": "a point outside the process limits",
    "shift": f"{RUN_LENGTH} points in a row on one side of the mean",
    "trend": f"{RUN_LENGTH} points in a row rising or falling",
    "two_of_three": "2 of 3 points beyond two-thirds of the way to a limit",
}


@dataclass(frozen=True)
class XmR:
    values: tuple[float, ...]
    mean: float
    mean_moving_range: float
    upper: float
    lower: float
    # For each point, the rules it is part of, with the side: e.g. {"outside": "high"}.
    signals: tuple[dict, ...] = field(default_factory=tuple)

    @property
    def upper_two_thirds(self) -> float:
        return self.mean + 2 / 3 * (self.upper - self.mean)

    @property
    def lower_two_thirds(self) -> float:
        return self.mean - 2 / 3 * (self.mean - self.lower)


def moving_ranges(values: list[float]) -> list[float]:
    return [abs(b - a) for a, b in zip(values, values[1:])]


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


def xmr(values: list[float]) -> XmR:
    """Limits and special-cause signals for a series of at least two points."""
    values = [float(v) for v in values]
    if len(values) < 2:
        raise ValueError("an XmR chart needs at least two points")
    mean = sum(values) / len(values)
    ranges = moving_ranges(values)
    mr_bar = sum(ranges) / len(ranges)
    upper, lower = mean + LIMIT_FACTOR * mr_bar, mean - LIMIT_FACTOR * mr_bar
    # Sums of floats carry rounding noise: a constant 0.1 series must not sit "above" its own mean.
    tol = 1e-9 * max(1.0, max(abs(v) for v in values))
    signals: list[dict] = [{} for _ in values]

    for i, v in enumerate(values):
        if v > upper + tol or v < lower - tol:
            signals[i]["outside"] = _direction(_side(v, mean, tol))

    for start, end, sign in _runs([_side(v, mean, tol) for v in values], RUN_LENGTH):
        for i in range(start, end):
            signals[i]["shift"] = _direction(sign)

    # Steps between neighbours: a run of RUN_LENGTH points is RUN_LENGTH - 1 steps the same way.
    steps = [_side(b, a) for a, b in zip(values, values[1:])]  # data against data: no tolerance
    for start, end, sign in _runs(steps, RUN_LENGTH - 1):
        for i in range(start, end + 1):
            signals[i]["trend"] = "rising" if sign > 0 else "falling"

    high_band = mean + 2 / 3 * (upper - mean)
    low_band = mean - 2 / 3 * (mean - lower)
    for start in range(len(values) - 2):
        window = range(start, start + 3)
        for sign, beyond in ((1, lambda x: x > high_band + tol), (-1, lambda x: x < low_band - tol)):
            hits = [i for i in window if beyond(values[i])]
            if len(hits) >= 2:
                for i in hits:
                    signals[i]["two_of_three"] = _direction(sign)

    return XmR(tuple(values), mean, mr_bar, upper, lower, tuple(signals))


def _way(signal: dict) -> str:
    directions = set(signal.values())
    if directions <= {"high", "rising"}:
        return "higher"
    if directions <= {"low", "falling"}:
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
