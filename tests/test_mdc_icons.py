"""Making Data Count's icons, drawn by the project (issue 31, item 6): the variation icon read by the measure's
direction (a special cause in a "neither" measure gets the neither icon), assurance where a target exists, each
with its words beside it as its text alternative (kept in the page's text, so the PDF has them), on the front
page's at-a-glance table and the national index."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pandas as pd
import pytest

from strategy_update.compute import spc
from strategy_update.core.periods import parse_quarter
from strategy_update.model.publication import Measure
from strategy_update.render import mdc_icons, summary
from strategy_update.render.charts import ORANGE, READING_COLOURS, TURQUOISE

BASELINE = [100, 104, 98, 101, 97, 103, 99, 102, 100, 96, 104, 101]
HIGH, LOW, USUAL = BASELINE + [140], BASELINE + [60], BASELINE + [101]


def chart(values):
    return spc.xmr(values, baseline=len(BASELINE))


@pytest.mark.parametrize("values, direction, kind, side, words", [
    (USUAL, "lower", spc.COMMON_CAUSE, "", "Common cause variation"),
    (HIGH, "lower", spc.CONCERN, "high", "Special cause (high): concern"),
    (LOW, "lower", spc.IMPROVEMENT, "low", "Special cause (low): improvement"),
    (HIGH, "higher", spc.IMPROVEMENT, "high", "Special cause (high): improvement"),
    (LOW, "higher", spc.CONCERN, "low", "Special cause (low): concern"),
    (HIGH, "neither", spc.NEITHER, "high", "Special cause (high): neither better nor worse"),
    (LOW, "neither", spc.NEITHER, "low", "Special cause (low): neither better nor worse")])
def test_the_variation_icon_reads_the_latest_quarter_by_the_measure_s_direction(values, direction, kind, side,
                                                                                 words):
    measure = Measure("m", "M", "home_office", direction=direction, direction_reason="why")
    icon = mdc_icons.variation(chart(values), measure.lower_is_better)
    assert (icon.kind, icon.side, icon.words) == (kind, side, words)
    assert icon.colour == {spc.COMMON_CAUSE: mdc_icons.COMMON_GREY, **READING_COLOURS}[kind]  # the charts' colours


def test_no_chart_no_icon():
    assert mdc_icons.variation(None, True) is None and mdc_icons.labelled(None) == ""


@pytest.mark.parametrize("target, lower_is_better, expected", [
    (200, True, mdc_icons.PASS), (50, True, mdc_icons.FAIL), (100, True, mdc_icons.HIT_AND_MISS),
    (50, False, mdc_icons.PASS), (200, False, mdc_icons.FAIL), (100, False, mdc_icons.HIT_AND_MISS),
    (None, True, None), (100, None, None)])
def test_assurance_compares_the_target_with_the_process_limits(target, lower_is_better, expected):
    found = chart(USUAL)  # limits about 91 to 110
    assert found.lower > 50 and found.upper < 200
    icon = mdc_icons.assurance(found, target, lower_is_better)
    assert (icon.kind if icon else None) == expected
    if icon is not None:
        assert icon.words.startswith("Assurance: the target will be")
        assert icon.colour == {mdc_icons.PASS: TURQUOISE, mdc_icons.FAIL: ORANGE,
                               mdc_icons.HIT_AND_MISS: mdc_icons.COMMON_GREY}[expected]


def test_the_picture_is_hidden_and_holds_no_text_the_words_beside_it_are_its_alternative():
    icon = mdc_icons.variation(chart(HIGH), None)
    cell = mdc_icons.labelled(icon)
    picture, words = cell.split("</svg> ")
    assert 'aria-hidden="true"' in picture and 'focusable="false"' in picture
    assert re.sub(r"<[^>]+>", "", picture) == ""  # no text inside: the PDF drops the tags and keeps text
    assert words == "Special cause (high): neither better nor worse"
    assert "nhs" not in cell.lower() and "<img" not in cell  # drawn by the project, not NHS image files
    # Each reading has its own sign: the shapes differ, not only the colours.
    signs = {mdc_icons.svg(mdc_icons.Icon(kind, side)).split("/>", 1)[1]
             for kind, side in [(spc.COMMON_CAUSE, ""), (spc.NEITHER, "high"), (spc.NEITHER, "low"),
                                (mdc_icons.PASS, ""), (mdc_icons.FAIL, ""), (mdc_icons.HIT_AND_MISS, "")]}
    assert len(signs) == 6


def _figures(values, direction="lower", target=None):
    measure = Measure("rape-offences", "Rape offences", "home_office", direction=direction,
                      direction_reason="why", target=target)
    series = pd.DataFrame({"value": [float(v) for v in values]})
    return SimpleNamespace(measure=measure, chart=chart(values), series=series)


def test_the_at_a_glance_trend_cell_has_the_sparkline_then_each_icon_with_its_words():
    cell = summary.trend_and_icons(_figures(HIGH, target=50))
    sparkline, variation, assurance = cell.split(" <br>")
    assert set(sparkline) <= set(" ▁▂▃▄▅▆▇█") and len(sparkline) == summary.TREND_QUARTERS
    assert variation.endswith("</svg> Special cause (high): concern")
    assert assurance.endswith("</svg> Assurance: the target will be missed consistently")
    # A "neither" measure: the neither icon; no target, no assurance icon.
    cell = summary.trend_and_icons(_figures(HIGH, direction="neither"))
    assert cell.count("<svg") == 1 and cell.endswith("Special cause (high): neither better nor worse")


def spc_rows(force: str, values: list[float]) -> list[dict]:
    """A force's control chart as the results table holds it (compute/results.py: spc_signal per quarter, then the
    mean, mean moving range and limits of the chart)."""
    found, first = chart(values), parse_quarter("2017-18-Q1")
    quarters = [first.shift(i) for i in range(len(values))]
    base = {"force": force, "measure": "rape-offences", "area": ""}
    rows = [{**base, "statistic": "spc_signal", "period": q.id, "period_label": q.short_label, "value": value,
             "text": ";".join(f"{rule}:{side}" for rule, side in found.signals[i].items()), "base_period": ""}
            for i, (q, value) in enumerate(zip(quarters, values))]
    span = "2017-04/{}-{:02d}".format(*quarters[-1].end_month)
    baseline = "2017-04/{}-{:02d}".format(*quarters[len(BASELINE) - 1].end_month)
    for statistic, value in (("spc_mean", found.mean), ("spc_mean_moving_range", found.mean_moving_range),
                             ("spc_upper", found.upper), ("spc_lower", found.lower)):
        rows.append({**base, "statistic": statistic, "period": span, "period_label": "", "value": value, "text": "",
                     "base_period": baseline})
    return rows


def test_the_national_index_shows_each_force_s_variation_icon_beside_its_headline_figure():
    from strategy_update.render.national_page import variation_icons

    results = pd.DataFrame(spc_rows("Kent", HIGH) + spc_rows("Surrey", USUAL))
    measure = Measure("rape-offences", "Rape offences", "home_office", direction="lower")
    icons = variation_icons(results, [measure])
    assert icons[("Kent", "rape-offences")].endswith("</svg> Special cause (high): concern")
    assert icons[("Surrey", "rape-offences")].endswith("</svg> Common cause variation")
