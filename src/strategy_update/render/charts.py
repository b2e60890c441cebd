"""Plotly charts in the UK Analysis Function palette. Each returns a figure; nothing is drawn here.

Charts never rely on colour alone: highlighted bars are also hatched, and SPC signals differ by marker shape.
"""

from __future__ import annotations

import textwrap

import plotly.graph_objects as go

from strategy_update.compute.spc import XmR

DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE = "#12436D", "#28A197", "#801650", "#F46A25"
GREY = "#3D3D3D"
FONT = "Arial, Helvetica, sans-serif"
# Chart tool buttons: drawn in dark grey (plotly's default, 30% grey, is too faint for WCAG 1.4.11), and only
# those that make sense here: no box or lasso select, and no "Share chart..." (it uploads the data to a cloud).
MODEBAR = {"color": GREY, "activecolor": DARK_BLUE, "bgcolor": "rgba(255, 255, 255, 0.9)",
           "remove": ["sendChartToCloud", "select2d", "lasso2d"]}

# SPC markers: shape and colour both say which rule a point breaks. A point can break several rules, so the
# markers are drawn largest first (in this order): each one stays visible around the ones drawn over it.
SIGNAL_STYLES = {
    "outside": ("diamond", DARK_PINK, "Outside the process limits", 21),
    "two_of_three": ("square", ORANGE, "2 of 3 beyond two-thirds of the way to a limit", 15),
    "shift": ("triangle-up", TURQUOISE, "7 in a row on one side of the mean", 11),
    "trend": ("star", DARK_PINK, "7 in a row rising or falling", 9),
}
TITLE_WIDTH = 42  # characters a line: titles fit a phone's width (about 360 px)


def _layout(fig: go.Figure, title: str, y_title: str) -> go.Figure:
    """Title at the top, wrapped, and below the chart buttons (always shown on touch screens); the legend at
    the bottom of the figure, below the axis labels however many lines those take."""
    fig.update_layout(
        title={"text": "<br>".join(textwrap.wrap(title, TITLE_WIDTH)), "x": 0, "xanchor": "left",
               "yref": "container", "y": 0.93, "yanchor": "top", "pad": {"t": 30}, "automargin": True,
               "font": {"size": 16}},
        font={"family": FONT, "color": GREY, "size": 13},
        template="simple_white",
        margin={"l": 60, "r": 20, "t": 40, "b": 20},
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        yaxis_title=y_title,
        height=460,
        modebar=MODEBAR,
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(rangemode="tozero", gridcolor="#E5E5E5", showgrid=True)
    return fig


def bar_chart(labels: list[str], values: list[float], highlight: set[str], title: str, unit: str,
              current_name: str, earlier_name: str) -> go.Figure:
    """The series at its native granularity, the current 12 months highlighted (colour and hatching)."""
    fig = go.Figure()
    current = [lab in highlight for lab in labels]
    for is_current, name, colour, pattern in ((False, earlier_name, DARK_BLUE, ""),
                                              (True, current_name, ORANGE, "/")):
        fig.add_bar(
            x=[lab for lab, c in zip(labels, current) if c == is_current],
            y=[v for v, c in zip(values, current) if c == is_current],
            name=name, marker={"color": colour, "pattern": {"shape": pattern}},
            hovertemplate="%{x}: %{y:,}<extra></extra>",
        )
    fig.update_xaxes(categoryorder="array", categoryarray=labels, tickangle=-45)
    return _layout(fig, title, unit.capitalize())


def spc_chart(labels: list[str], chart: XmR, title: str, unit: str) -> go.Figure:
    """XmR chart: the series, its mean and process limits, and special-cause points by shape."""
    fig = go.Figure()
    fig.add_scatter(x=labels, y=list(chart.values), mode="lines+markers", name=unit.capitalize(),
                    line={"color": DARK_BLUE}, marker={"symbol": "circle", "size": 6},
                    hovertemplate="%{x}: %{y:,}<extra></extra>")
    for value, name, dash in ((chart.mean, "Mean", "solid"), (chart.upper, "Upper process limit", "dash"),
                              (chart.lower, "Lower process limit", "dash")):
        fig.add_scatter(x=labels, y=[value] * len(labels), mode="lines", name=name,
                        line={"color": GREY, "dash": dash, "width": 1.5}, hoverinfo="skip")
    for rule, (symbol, colour, name, size) in SIGNAL_STYLES.items():
        points = [(lab, v) for lab, v, s in zip(labels, chart.values, chart.signals) if rule in s]
        if points:
            fig.add_scatter(x=[p[0] for p in points], y=[p[1] for p in points], mode="markers", name=name,
                            marker={"symbol": symbol, "size": size, "color": colour,
                                    "line": {"color": "white", "width": 1}},
                            hovertemplate="%{x}: %{y:,} (" + name + ")<extra></extra>")
    fig.update_xaxes(categoryorder="array", categoryarray=labels, tickangle=-45)
    return _layout(fig, title, unit.capitalize())


def seasonal_chart(series_by_year: dict[str, list[float | None]], period_names: list[str], title: str,
                   unit: str) -> go.Figure:
    """One line per financial year across its quarters (or months); the latest year drawn strongest."""
    palette = [DARK_BLUE, TURQUOISE, DARK_PINK, ORANGE]
    symbols = ["circle", "square", "diamond", "triangle-up", "x"]
    years = list(series_by_year)
    fig = go.Figure()
    for i, year in enumerate(years):
        latest = i == len(years) - 1
        fig.add_scatter(
            x=period_names, y=series_by_year[year], mode="lines+markers", name=year,
            line={"color": palette[(len(years) - 1 - i) % len(palette)], "width": 3.5 if latest else 1.5,
                  "dash": "solid" if latest else ["dot", "dash", "longdash", "dashdot"][i % 4]},
            marker={"symbol": symbols[i % len(symbols)], "size": 8},
            hovertemplate=year + " %{x}: %{y:,}<extra></extra>",
        )
    return _layout(fig, title, unit.capitalize())
