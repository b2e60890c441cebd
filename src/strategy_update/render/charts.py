"""Plotly charts in the UK Analysis Function palette. Each returns a figure; nothing is drawn here.

Charts never rely on colour alone: highlighted bars are also hatched, and SPC signals differ by marker shape.
"""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go
import plotly.io as pio

from strategy_update.compute import spc
from strategy_update.compute.spc import XmR

DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE = "#12436D", "#28A197", "#801650", "#F46A25"
GREY = "#3D3D3D"
FONT = "Arial, Helvetica, sans-serif"
# No chart tool buttons (modebar): chart_images.CHART_CONFIG switches them off, as they covered the titles on phones.

# SPC markers: one per point. Its shape says which rule it breaks (the most important, if several); its colour and
# fill whether that is an improvement (hollow), a concern (solid) or neither (hollow with a dot) for the measure
# (Making Data Count's reading). The legend names both, so nothing depends on colour alone.
SIGNAL_SHAPES = {"outside": ("diamond", "outside the process limits", 12),  # size: the shapes look alike in size
                 "shift": ("triangle-up", "7 in a row on one side of the mean", 13),
                 "trend": ("star", "7 in a row rising or falling", 14),
                 "two_of_three": ("square", "2 of 3 close to a process limit", 10)}
SPC_HEIGHT = 560
LEGEND_WIDTH = 40  # characters a line of a legend entry: fits a phone's width
READING_COLOURS = {"improvement": TURQUOISE, "concern": ORANGE, "neither": DARK_PINK}
READING_FILLS = {"improvement": "-open", "concern": "", "neither": "-open-dot"}  # plotly symbol suffixes
BASELINE_FILL = "#EBEBEB"
TITLE_WIDTH = 42  # characters a line: titles fit a phone's width (about 360 px)
# Every chart's template. As plotly's default it is attached to each figure when the figure is made, without being
# validated again; set on each figure (update_layout(template=...)) it is validated every time, about 15 ms a chart.
pio.templates.default = "simple_white"


def figure(title: str, y_title: str, *, xaxis: dict | None = None, **layout) -> go.Figure:
    """An empty figure in every chart's frame: the title at the top, wrapped; the legend at the bottom of the figure,
    below the axis labels however many lines those take. ``xaxis`` adds to the x axis's settings; other keywords
    replace the frame's (``height``). The frame is given as the figure is made: updating a made figure's layout
    (``update_layout``) validates it again, about 15 ms a chart against 2."""
    frame = {
        "title": {"text": "<br>".join(textwrap.wrap(title, TITLE_WIDTH)), "x": 0, "xanchor": "left",
                  "yref": "container", "y": 0.93, "yanchor": "top", "pad": {"t": 30}, "automargin": True,
                  "font": {"size": 16}},
        "font": {"family": FONT, "color": GREY, "size": 13},
        "margin": {"l": 60, "r": 20, "t": 40, "b": 20},
        "legend": {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        "xaxis": {"automargin": True, **(xaxis or {})},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero", "gridcolor": "#E5E5E5", "showgrid": True},
        "height": 460,
    }
    return go.Figure(layout={**frame, **layout})


def category_axis(labels: list[str]) -> dict:
    """An x axis of categories in the order given, labelled at a slant (quarters, months)."""
    return {"categoryorder": "array", "categoryarray": labels, "tickangle": -45}


def bar_chart(labels: list[str], values: list[float], highlight: set[str], title: str, unit: str,
              current_name: str, earlier_name: str) -> go.Figure:
    """The series at its native granularity, the current 12 months highlighted (colour and hatching)."""
    fig = figure(title, unit.capitalize(), xaxis=category_axis(labels))
    current = [lab in highlight for lab in labels]
    for is_current, name, colour, pattern in ((False, earlier_name, DARK_BLUE, ""),
                                              (True, current_name, ORANGE, "/")):
        fig.add_bar(
            x=[lab for lab, c in zip(labels, current) if c == is_current],
            y=[v for v, c in zip(values, current) if c == is_current],
            name=name, marker={"color": colour, "pattern": {"shape": pattern}},
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    return fig


def _limit_lines(fig: go.Figure, labels: list[str], chart: XmR) -> None:
    """The mean and process limits of each segment (one legend entry each, however many step changes)."""
    for k, seg in enumerate(chart.parts):
        x = labels[seg.start:seg.end]
        for group, name, dash, values in (("mean", "Mean", "solid", [seg.mean]),
                                          ("limits", "Process limits", "dash", [seg.upper, seg.lower])):
            for j, value in enumerate(values):
                fig.add_scatter(x=x, y=[value] * len(x), mode="lines", name=name, legendgroup=group,
                                showlegend=k == 0 and j == 0, line={"color": GREY, "dash": dash, "width": 1.5},
                                hoverinfo="skip")


def _baseline_and_steps(fig: go.Figure, labels: list[str], chart: XmR) -> None:
    """A shaded band behind each baseline (the quarters its limits come from) and a dotted line at each step
    change; the legend explains both (labels inside the plot would cover points on a phone)."""
    for seg in chart.parts:
        fig.add_vrect(x0=seg.start - 0.5, x1=seg.baseline_end - 0.5, fillcolor=BASELINE_FILL, opacity=1,
                      line_width=0, layer="below")
    first = chart.parts[0]
    name = (f"Baseline: limits set from {labels[first.start]} to {labels[first.baseline_end - 1]}"
            if not chart.steps else "Baseline: the quarters that set each segment's limits")
    # Legend entries only (no point is drawn: y is None), on the chart's first quarter to keep the axis categorical.
    fig.add_scatter(x=labels[:1], y=[None], mode="markers", name="<br>".join(textwrap.wrap(name, LEGEND_WIDTH)),
                    hoverinfo="skip", marker={"symbol": "square", "size": 14, "color": BASELINE_FILL,
                                              "line": {"color": GREY, "width": 1}})
    for seg in chart.steps:
        fig.add_vline(x=seg.start - 0.5, line={"color": DARK_PINK, "dash": "dot", "width": 2})
        words = f"Step change from {labels[seg.start]}: {seg.reason}"
        fig.add_scatter(x=labels[:1], y=[None], mode="lines", name="<br>".join(textwrap.wrap(words, LEGEND_WIDTH)),
                        hoverinfo="skip", line={"color": DARK_PINK, "dash": "dot", "width": 2})


def spc_chart(labels: list[str], chart: XmR, title: str, unit: str,
              lower_is_better: bool | None = True) -> go.Figure:
    """XmR chart: the series, the mean and process limits of each segment with its baseline shaded, step changes,
    and one marker per point (see SIGNAL_SHAPES and READING_COLOURS)."""
    # Taller than the other charts: on a phone its legend (one line an entry) would squash the plot.
    fig = figure(title, unit.capitalize(), xaxis=category_axis(labels), height=SPC_HEIGHT)
    fig.add_scatter(x=labels, y=list(chart.values), mode="lines", name=unit.capitalize(), showlegend=False,
                    line={"color": DARK_BLUE}, hoverinfo="skip")
    _limit_lines(fig, labels, chart)
    _baseline_and_steps(fig, labels, chart)
    groups: dict[tuple[str, str], list[int]] = {}
    for i, signal in enumerate(chart.signals):
        rule = spc.main_rule(signal)
        groups.setdefault((spc.point_reading(signal, lower_is_better), rule or ""), []).append(i)
    kinds, rules = [spc.COMMON_CAUSE, spc.IMPROVEMENT, spc.CONCERN, spc.NEITHER], ["", *spc.RULES]
    for (kind, rule), points in sorted(groups.items(), key=lambda g: (kinds.index(g[0][0]), rules.index(g[0][1]))):
        if kind == spc.COMMON_CAUSE:
            name, marker = f"{unit.capitalize()}: common cause", {"symbol": "circle", "size": 6, "color": DARK_BLUE}
        else:
            symbol, words, size = SIGNAL_SHAPES[rule]
            name = f"{'Special cause' if kind == spc.NEITHER else kind.capitalize()}: {words}"
            solid = not READING_FILLS[kind]
            marker = {"symbol": symbol + READING_FILLS[kind], "size": size, "color": READING_COLOURS[kind],
                      "line": {"color": "white" if solid else READING_COLOURS[kind], "width": 1 if solid else 2}}
        notes = [f" ({kind}: {signal_words(chart.signals[i])})" if kind != spc.COMMON_CAUSE else "" for i in points]
        fig.add_scatter(x=[labels[i] for i in points], y=[chart.values[i] for i in points], mode="markers",
                        name=name, marker=marker, customdata=notes,
                        hovertemplate="%{x}: %{y:,}%{customdata}<extra></extra>")
    return fig


def signal_words(signal: dict) -> str:
    return "; ".join(spc.RULES[r] for r in spc.RULES if r in signal)


def seasonal_chart(series_by_year: dict[str, list[float | None]], period_names: list[str], title: str,
                   unit: str) -> go.Figure:
    """One line per financial year across its quarters (or months); the latest year drawn strongest."""
    palette = [DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE]
    symbols = ["circle", "square", "diamond", "triangle-up", "x"]
    years = list(series_by_year)
    fig = figure(title, unit.capitalize())
    for i, year in enumerate(years):
        latest = i == len(years) - 1
        fig.add_scatter(
            x=period_names, y=series_by_year[year], mode="lines+markers", name=year,
            line={"color": palette[(len(years) - 1 - i) % len(palette)], "width": 3.5 if latest else 1.5,
                  "dash": "solid" if latest else ["dot", "dash", "longdash", "dashdot"][i % 4]},
            marker={"symbol": symbols[i % len(symbols)], "size": 8},
            hovertemplate=year + " %{x}: %{y:,}<extra></extra>",
        )
    return fig


# --- on paper ---------------------------------------------------------------------------------------
# The PDF sets a measure's two charts side by side, each about 8.4 cm wide: drawn 400 px wide, the type prints at
# 7-8 pt (12-14 px); scale 2 gives about 300 dpi. The website keeps the charts as drawn above.
PRINT_SIZE = {"width": 400, "height": 400, "scale": 2}
PRINT_TITLE_WIDTH = 56  # characters a line of the title at 14 px across 400 px
PRINT_TITLE_LINE = 17  # px: a line of the title
MAX_PRINT_TICKS = 8  # more categories than this and only each year's first quarter is labelled, level
MAX_LEVEL_TICKS = 4  # up to 4 categories are labelled level, on two lines
PRINT_FONT = f"FreeSans, {FONT}"  # the PDF's sans serif (Debian's fonts-freefont-otf), which Typst has: Arial is not


def for_print(fig: go.Figure) -> go.Figure:
    """A copy of ``fig`` for a half-page-wide picture: a tighter frame, the legend in smaller type, quarter axes
    labelled once a year (level, on two lines) instead of every quarter at a slant, and a few long labels level."""
    out = go.Figure(fig)
    title = textwrap.wrap((out.layout.title.text or "").replace("<br>", " "), PRINT_TITLE_WIDTH)
    out.update_layout(
        width=PRINT_SIZE["width"], height=PRINT_SIZE["height"],
        # Plotly centres a title of several lines on where one line would go: y moves it down by half the others.
        title={"text": "<br>".join(title), "yanchor": "top",
               "y": 1 - (4 + PRINT_TITLE_LINE * (len(title) - 1) / 2) / PRINT_SIZE["height"],
               "pad": {"t": 0, "b": 0}, "automargin": False, "font": {"size": 14}},
        font={"size": 12, "family": PRINT_FONT},
        margin={"l": 50, "r": 10, "t": PRINT_TITLE_LINE * len(title) + 18, "b": 0},
        legend={"font": {"size": 11}, "tracegroupgap": 0})
    categories = list(out.layout.xaxis.categoryarray or [])
    if len(categories) > MAX_PRINT_TICKS:
        step = 4 if all(c.endswith(("Q1", "Q2", "Q3", "Q4")) for c in categories) else len(categories) // 5 or 1
        first = next((i for i, c in enumerate(categories) if c.endswith("Q1")), 0) if step == 4 else 0
        shown = categories[first::step]
        out.update_xaxes(tickmode="array", tickvals=shown, ticktext=[c.replace(" ", "<br>", 1) for c in shown],
                         tickangle=0)
    elif 0 < len(categories) <= MAX_LEVEL_TICKS:  # a few long labels ("Apr 2019-Mar 2020"): level, wrapped
        out.update_xaxes(tickmode="array", tickvals=categories, tickangle=0,
                         ticktext=[_two_lines(c) for c in categories])
    return out


def _two_lines(label: str) -> str:
    """``Apr 2019-Mar 2020`` -> ``Apr 2019-<br>Mar 2020``: a span at its dash, other labels at their middle space."""
    if "-" in label:
        return label.replace("-", "-<br>", 1)
    words = label.split()
    return " ".join(words[:len(words) // 2]) + "<br>" + " ".join(words[len(words) // 2:]) if len(words) > 1 else label
