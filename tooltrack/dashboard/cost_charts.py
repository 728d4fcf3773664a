"""The Cost page's charts: spend per day, stacked by tool and by MCP server.

A tool keeps the colour it has on every other chart (`charts.tool_colours`); MCP servers take
colours the same way (a stable hash of the name, none repeated within the chart). Days without
spend are drawn as zero (the service leaves them out of its list, which is sparse).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from tooltrack.analytics import DailyCost, Window
from tooltrack.dashboard.charts import MAX_LABEL, MAX_SERIES, OTHER, tool_colours
from tooltrack.dashboard.text import chart_label, shorten

_LAYOUT: Final = {"margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "legend_title_text": ""}
#: Windows longer than this are drawn from the first day with spend, not from the window's start.
LONG_WINDOW_DAYS: Final = 120


def _label(name: str) -> str:
    return chart_label(shorten(name, MAX_LABEL))


def _days(points: list[DailyCost], window: Window) -> list[date]:
    start = window.start
    if (window.end - start).days > LONG_WINDOW_DAYS and points:
        start = min(point.day for point in points)  # "all time" starts at the data, not in 2016
    return [start + timedelta(days=n) for n in range((window.end - start).days + 1)]


def spend_per_day(points: list[DailyCost], window: Window, *, title: str, what: str) -> go.Figure:
    """Dollars per UTC day, stacked by `what` (a tool or an MCP server): the costliest MAX_SERIES
    names of the window, the rest as "Other"; days without spend at zero."""
    totals: dict[str, float] = {}
    for point in points:
        totals[point.name] = totals.get(point.name, 0.0) + point.cost_usd
    top = sorted(totals, key=lambda name: (-totals[name], name))[:MAX_SERIES]
    names = [*top, OTHER] if len(totals) > len(top) else top
    frame = pd.DataFrame(
        [{"Day": p.day, what: p.name if p.name in top else OTHER, "Cost ($)": p.cost_usd} for p in points],
        columns=["Day", what, "Cost ($)"],
    )
    grid = pd.MultiIndex.from_product([_days(points, window), names], names=["Day", what])
    frame = frame.groupby(["Day", what])["Cost ($)"].sum().reindex(grid, fill_value=0.0).reset_index()
    frame[what] = frame[what].map(lambda name: OTHER if name == OTHER else _label(name))
    colours = {(OTHER if name == OTHER else _label(name)): colour for name, colour in tool_colours(names).items()}
    order = [OTHER if name == OTHER else _label(name) for name in names]
    figure = px.bar(
        frame, x="Day", y="Cost ($)", color=what, color_discrete_map=colours, category_orders={what: order},
        title=title,
    )  # fmt: skip
    figure.update_xaxes(tickformat="%b %d", title_text="")
    figure.update_yaxes(tickprefix="$", title_text="Cost (USD)")
    return figure.update_layout(**_LAYOUT)
