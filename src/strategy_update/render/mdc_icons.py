"""Making Data Count's icons, drawn by the project to the same meaning as NHS England's (small inline SVGs, not the
NHS image files): variation (common cause; special cause of improvement, of concern, or neither, on the high or the
low side) and, where a measure has a target, assurance (the target consistently met, consistently missed, or met
and missed at random).

Each icon is followed by its words, which are its text alternative: the picture is hidden from screen readers
(``aria-hidden``) because the words beside it say the same, and the words stay in the page's text, so the PDF,
which leaves raw HTML out, prints them where the website shows the icon. The colours are the control charts' own
(``charts.READING_COLOURS``), and the shapes differ too, so nothing depends on colour alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from strategy_update.compute import spc
from strategy_update.render.charts import DARK_BLUE, ORANGE, READING_COLOURS, TURQUOISE

COMMON_GREY = "#505A5F"
SIZE = 28  # px: about two lines of text


@dataclass(frozen=True)
class Icon:
    kind: str  # spc.COMMON_CAUSE, spc.IMPROVEMENT, spc.CONCERN, spc.NEITHER; or PASS, FAIL, HIT_AND_MISS
    side: str = ""  # "high" or "low" for a special cause
    words: str = ""  # the text alternative, shown beside the icon

    @property
    def colour(self) -> str:
        return {spc.COMMON_CAUSE: COMMON_GREY, PASS: TURQUOISE, FAIL: ORANGE, HIT_AND_MISS: COMMON_GREY}.get(
            self.kind, READING_COLOURS.get(self.kind, DARK_BLUE))


PASS, FAIL, HIT_AND_MISS = "consistently met", "consistently missed", "hit and miss"


def variation(chart: spc.XmR | None, lower_is_better: bool | None) -> Icon | None:
    """The latest quarter's variation icon (None without a control chart): common cause, or a special cause read
    by the measure's direction (a measure with no better direction: neither), on the side its main rule points."""
    if chart is None:
        return None
    last = chart.signals[-1]
    kind = spc.point_reading(last, lower_is_better)
    if kind == spc.COMMON_CAUSE:
        return Icon(kind, words="Common cause variation")
    side = "high" if last[spc.main_rule(last)] in spc.UP else "low"
    reading = {spc.IMPROVEMENT: "improvement", spc.CONCERN: "concern", spc.NEITHER: "neither better nor worse"}[kind]
    return Icon(kind, side, f"Special cause ({side}): {reading}")


def assurance(chart: spc.XmR | None, target: float | None, lower_is_better: bool | None) -> Icon | None:
    """Whether the process, as its latest limits describe it, will meet the target (None without a target, a chart
    or a better direction): consistently met when the whole range between the limits is on the target's good side,
    consistently missed when it is all on the other side, hit and miss when the target lies between the limits."""
    if chart is None or target is None or lower_is_better is None:
        return None
    good_side_all = chart.upper <= target if lower_is_better else chart.lower >= target
    bad_side_all = chart.lower > target if lower_is_better else chart.upper < target
    if good_side_all:
        return Icon(PASS, words="Assurance: the target will be met consistently")
    if bad_side_all:
        return Icon(FAIL, words="Assurance: the target will be missed consistently")
    return Icon(HIT_AND_MISS, words="Assurance: the target will be met and missed at random")


# --- drawing (viewBox 0 0 32 32): a disc in the reading's colour, with a white sign ---------------------------
_SIGNS = {
    "high": '<path d="M16 5 L26 16 H20 V27 H12 V16 H6 Z" fill="#FFFFFF"/>',  # an arrow up
    "low": '<path d="M16 27 L26 16 H20 V5 H12 V16 H6 Z" fill="#FFFFFF"/>',  # an arrow down
    spc.COMMON_CAUSE: '<path d="M5 16 q2.75 -6 5.5 0 t5.5 0 t5.5 0 t5.5 0" fill="none" stroke="#FFFFFF" '
                      'stroke-width="3" stroke-linecap="round"/>',  # ups and downs within the limits
    PASS: '<path d="M8.5 16.5 L14 22 L24 10.5" fill="none" stroke="#FFFFFF" stroke-width="3.5" '
          'stroke-linecap="round" stroke-linejoin="round"/>',  # a tick
    FAIL: '<path d="M10 10 L22 22 M22 10 L10 22" fill="none" stroke="#FFFFFF" stroke-width="3.5" '
          'stroke-linecap="round"/>',  # a cross
    HIT_AND_MISS: '<path d="M11.5 12 a4.5 4.5 0 1 1 6.5 4 c-1.5 0.8 -2 1.8 -2 3.5" fill="none" stroke="#FFFFFF" '
                  'stroke-width="3" stroke-linecap="round"/><circle cx="16" cy="24.5" r="2" fill="#FFFFFF"/>',
}


def svg(icon: Icon) -> str:
    """The icon as inline SVG, hidden from assistive technology (its words are beside it). It holds no text: the
    PDF keeps the text of raw HTML, which would print the words twice."""
    sign = _SIGNS[icon.side or icon.kind]
    return (f'<svg class="mdc-icon" width="{SIZE}" height="{SIZE}" viewBox="0 0 32 32" aria-hidden="true" '
            f'focusable="false" style="vertical-align: middle"><circle cx="16" cy="16" r="16" '
            f'fill="{icon.colour}"/>{sign}</svg>')


def labelled(icon: Icon | None) -> str:
    """The icon and its words, for a Markdown cell or paragraph ('' for no icon): the words are plain text, so
    they are read and printed."""
    return f"{svg(icon)} {icon.words}" if icon is not None else ""

