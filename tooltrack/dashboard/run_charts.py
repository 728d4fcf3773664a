"""The drill-down's charts: the timeline of one run's calls, and its context growth.

Calls are numbered as in the page's tables (`drilldown_rows`): the hover of a bar says "#12".
Failed calls carry a red cross at their start and cancelled calls (a parallel sibling failed) a
grey ring, so neither hides among the bars; a sub-agent's calls have a lane under their phase.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Final

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from tooltrack.dashboard.charts import MAX_LABEL, tool_colours
from tooltrack.dashboard.drilldown_rows import MAIN, Numbered, lanes
from tooltrack.dashboard.formatting import duration
from tooltrack.dashboard.text import chart_label, shorten

_LAYOUT: Final = {"margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "legend_title_text": ""}
FAILED_MARK: Final = {"symbol": "x", "size": 11, "color": "#C44E52", "line": {"width": 1, "color": "#7A1F22"}}
CANCELLED_MARK: Final = {"symbol": "circle-open", "size": 11, "color": "#6B7B8C", "line": {"width": 2}}
#: Height of one lane of the timeline, so many lanes stay readable.
LANE_PX: Final = 34


def _label(name: str) -> str:
    return chart_label(shorten(name, MAX_LABEL))


def timeline(calls: list[Numbered]) -> go.Figure | None:
    """A Gantt chart of every timed call: a lane per phase and per sub-agent, coloured by tool."""
    timed = [item for item in calls if item.call.timestamp is not None]
    if not timed:
        return None
    rows = []
    for item in timed:
        start = item.call.timestamp
        assert start is not None
        # A call of unknown length gets a sliver, so it still shows where it happened.
        length = item.call.duration_ms if item.call.duration_ms is not None else 1
        rows.append(
            {
                "Lane": chart_label(item.lane),
                "Tool": _label(item.call.tool_name),
                "Start": start,
                "End": start + timedelta(milliseconds=max(length, 1)),
                "#": item.number,
                "Target": chart_label(shorten(item.call.target, 80)),
                "Duration": duration(item.call.duration_ms),
                "Outcome": item.outcome,
            }
        )
    frame = pd.DataFrame(rows)
    colours = {_label(name): colour for name, colour in tool_colours(i.call.tool_name for i in timed).items()}
    figure = px.timeline(
        frame, x_start="Start", x_end="End", y="Lane", color="Tool", color_discrete_map=colours,
        hover_data={"#": True, "Target": True, "Duration": True, "Outcome": True, "Lane": False},
        title="Timeline of tool calls",
    )  # fmt: skip
    for name, mark, test in (
        ("Failed call", FAILED_MARK, lambda i: i.call.failed),
        ("Cancelled call", CANCELLED_MARK, lambda i: i.call.cancelled and not i.call.failed),
    ):
        marked = [item for item in timed if test(item)]
        if marked:
            figure.add_trace(
                go.Scatter(
                    x=[item.call.timestamp for item in marked],
                    y=[chart_label(item.lane) for item in marked],
                    mode="markers",
                    marker=mark,
                    name=name,
                    customdata=[[item.number, _label(item.call.tool_name)] for item in marked],
                    hovertemplate=f"{name} #%{{customdata[0]}}: %{{customdata[1]}}<extra></extra>",
                )
            )
    order = [chart_label(lane) for lane in lanes(timed)]
    figure.update_yaxes(categoryorder="array", categoryarray=order, autorange="reversed", title_text="")
    return figure.update_layout(height=max(320, 140 + LANE_PX * len(order)), **_LAYOUT)


def context_growth(calls: list[Numbered]) -> go.Figure | None:
    """The main agent's context size before each of its calls, by call number across the phases."""
    rows = [
        {
            "#": item.number,
            "Context size (tokens)": size,
            "Phase": chart_label(item.log.phase_name),
            "Tool": _label(item.call.tool_name),
        }
        for item in calls
        if item.agent == MAIN and isinstance(size := item.detail("context_size_before"), int | float)
    ]
    if not rows:
        return None
    figure = px.line(
        pd.DataFrame(rows), x="#", y="Context size (tokens)", color="Phase", hover_data=["Tool"],
        title="Context size growth (main agent)",
    )  # fmt: skip
    figure.update_xaxes(title_text="Call #")
    figure.update_yaxes(tickformat=",")
    return figure.update_layout(**_LAYOUT)
