"""Plotly figures for the pages, built from the analytics service's answers.

Every label that comes from the data goes through `chart_label`, because Plotly interprets a few
HTML tags in text: a tool called `<b>x</b>` must show those characters, not bold text.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Final

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from tooltrack.analytics import (
    DailyToolPoint,
    DrillDown,
    ErrorKind,
    LatencyHistogram,
    RedundancyAlert,
    ToolStats,
    Transition,
)
from tooltrack.dashboard.formatting import duration
from tooltrack.dashboard.text import chart_label, shorten

#: Series beyond this many tools are summed into "Other" so a chart stays readable.
MAX_SERIES: Final = 8
OTHER: Final = "Other"
#: The most Sankey links drawn (the strongest ones); weaker transitions stay in the table.
MAX_LINKS: Final = 40

_LAYOUT: Final = {"margin": {"l": 10, "r": 10, "t": 50, "b": 10}, "legend_title_text": ""}


#: Longest tool name drawn on an axis or in a legend (the tables show names whole).
MAX_LABEL: Final = 32


def _label(name: str) -> str:
    return chart_label(shorten(name, MAX_LABEL))


def _top_tools(points: list[DailyToolPoint], *, by_failures: bool = False) -> set[str]:
    totals: Counter[str] = Counter()
    for point in points:
        totals[point.tool_name] += point.failures if by_failures else point.calls
    return {name for name, total in totals.most_common(MAX_SERIES) if total > 0}


def _days_axis(figure: go.Figure, days: int) -> go.Figure:
    # A date axis over a day or two zooms into hours and milliseconds: show whole days instead.
    if days < 7:
        figure.update_xaxes(type="category")
    else:
        figure.update_xaxes(tickformat="%b %d")
    return figure


def calls_over_time(points: list[DailyToolPoint]) -> go.Figure:
    """Calls per UTC day, stacked by tool (the most used tools; the rest as "Other")."""
    top = _top_tools(points)
    frame = pd.DataFrame(
        [
            {"Day": p.day.isoformat(), "Tool": _label(p.tool_name) if p.tool_name in top else OTHER, "Calls": p.calls}
            for p in points
        ],
        columns=["Day", "Tool", "Calls"],
    )
    frame = frame.groupby(["Day", "Tool"], as_index=False)["Calls"].sum()
    figure = px.bar(frame, x="Day", y="Calls", color="Tool", title="Calls per day by tool")
    return _days_axis(figure, frame["Day"].nunique()).update_layout(**_LAYOUT)


def failure_rate_over_time(points: list[DailyToolPoint]) -> go.Figure:
    """The daily failure rate of the tools that fail most (days without calls are gaps)."""
    top = _top_tools(points, by_failures=True)
    frame = pd.DataFrame(
        [
            {"Day": p.day.isoformat(), "Tool": _label(p.tool_name), "Failure rate": p.failure_rate, "Calls": p.calls}
            for p in points
            if p.tool_name in top and p.failure_rate is not None
        ],
        columns=["Day", "Tool", "Failure rate", "Calls"],
    ).sort_values(["Tool", "Day"])
    figure = px.line(
        frame, x="Day", y="Failure rate", color="Tool", markers=True, hover_data=["Calls"],
        title="Failure rate per tool per day",
    )  # fmt: skip
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _days_axis(figure, frame["Day"].nunique()).update_layout(**_LAYOUT)


def latency_percentiles(tools: list[ToolStats]) -> go.Figure:
    """p50, p95 and max per tool on a log scale (latency spans milliseconds to minutes)."""
    rows = []
    for stats in tools:
        for label, value in (("p50", stats.p50_duration_ms), ("p95", stats.p95_duration_ms)):
            if value is not None:
                rows.append({"Tool": _label(stats.tool_name), "Percentile": label, "Duration (ms)": value})
    frame = pd.DataFrame(rows, columns=["Tool", "Percentile", "Duration (ms)"])
    figure = px.bar(
        frame, x="Tool", y="Duration (ms)", color="Percentile", barmode="group", log_y=True,
        title="Latency per tool (p50 and p95, log scale)",
    )  # fmt: skip
    return figure.update_layout(**_LAYOUT)


def latency_distribution(histogram: LatencyHistogram) -> go.Figure:
    """The latency histogram from the rollups' log-scale buckets, with p50 and p95 marked."""
    frame = pd.DataFrame(
        [
            {
                "Bucket": f"{duration(b.lower_ms)} – {duration(b.upper_ms)}",
                "From (ms)": b.lower_ms,
                "To (ms)": b.upper_ms,
                "Calls": b.count,
            }
            for b in histogram.buckets
        ],
        columns=["Bucket", "From (ms)", "To (ms)", "Calls"],
    )
    name = _label(histogram.tool) if histogram.tool else "all tools"
    figure = px.bar(frame, x="Bucket", y="Calls", hover_data=["From (ms)", "To (ms)"], title=f"Latency of {name}")
    return figure.update_layout(**_LAYOUT, bargap=0.05)


def error_kinds(kinds: list[ErrorKind], limit: int = 15) -> go.Figure:
    """The commonest error kinds as horizontal bars, labelled tool: kind."""
    top = sorted(kinds, key=lambda k: k.count, reverse=True)[:limit]
    frame = pd.DataFrame(
        [{"Kind": chart_label(shorten(f"{k.tool_name}: {k.error_kind}", 70)), "Failures": k.count} for k in top],
        columns=["Kind", "Failures"],
    )
    figure = px.bar(frame, x="Failures", y="Kind", orientation="h", title="Commonest error kinds")
    figure.update_yaxes(autorange="reversed", title_text="")
    return figure.update_layout(**_LAYOUT)


def wasted_time(alerts: list[RedundancyAlert]) -> go.Figure:
    """Time lost to repeated work per workflow run, worst first."""
    frame = pd.DataFrame(
        [
            {
                "Workflow": chart_label(a.adw_id),
                "Wasted (s)": a.wasted_duration_ms / 1000,
                "Redundant calls": a.redundant_calls,
            }
            for a in alerts
        ],
        columns=["Workflow", "Wasted (s)", "Redundant calls"],
    )
    figure = px.bar(
        frame, x="Wasted (s)", y="Workflow", orientation="h", hover_data=["Redundant calls"],
        title="Time wasted on repeated work, per workflow run",
    )  # fmt: skip
    figure.update_yaxes(autorange="reversed", title_text="", type="category")
    return figure.update_layout(**_LAYOUT)


def transitions_sankey(transitions: list[Transition]) -> go.Figure:
    """Tool-to-next-tool transitions as a Sankey: callers on the left, the next tool on the right.

    Two columns instead of one node per tool, because transitions loop (Read→Read, Edit→Read→Edit)
    and a Sankey cannot draw cycles.
    """
    links = sorted(transitions, key=lambda t: t.count, reverse=True)[:MAX_LINKS]
    sources = sorted({t.source for t in links})
    targets = sorted({t.target for t in links})
    labels = [_label(s) for s in sources] + [f"→ {_label(t)}" for t in targets]
    source_index = {name: i for i, name in enumerate(sources)}
    target_index = {name: len(sources) + i for i, name in enumerate(targets)}
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={"label": labels, "pad": 12, "thickness": 14},
            link={
                "source": [source_index[t.source] for t in links],
                "target": [target_index[t.target] for t in links],
                "value": [t.count for t in links],
            },
        )
    )
    return figure.update_layout(title_text="Which tool comes next", **_LAYOUT)


def _call_rows(drill: DrillDown) -> list[dict[str, object]]:
    rows = []
    for log in drill.task_logs:
        for call in log.calls:
            if call.timestamp is None:
                continue
            # A call of unknown length gets a sliver, so it still shows where it happened.
            length = call.duration_ms if call.duration_ms is not None else 1
            rows.append(
                {
                    "Phase": chart_label(log.phase_name),
                    "Tool": _label(call.tool_name),
                    "Start": call.timestamp,
                    "End": call.timestamp + timedelta(milliseconds=max(length, 1)),
                    "Call": call.index,
                    "Target": chart_label(shorten(call.target, 80)),
                    "Duration": duration(call.duration_ms),
                    "Failed": call.failed,
                }
            )
    return rows


def timeline(drill: DrillDown) -> go.Figure | None:
    """A Gantt chart of every timed call of the run: one row per phase, coloured by tool."""
    rows = _call_rows(drill)
    if not rows:
        return None
    frame = pd.DataFrame(rows)
    figure = px.timeline(
        frame, x_start="Start", x_end="End", y="Phase", color="Tool",
        hover_data=["Call", "Target", "Duration", "Failed"], title="Timeline of tool calls",
    )  # fmt: skip
    phases = list(dict.fromkeys(chart_label(log.phase_name) for log in drill.task_logs))
    figure.update_yaxes(categoryorder="array", categoryarray=phases, autorange="reversed", title_text="")
    return figure.update_layout(**_LAYOUT)


def context_growth(drill: DrillDown) -> go.Figure | None:
    """The context size before each call, in call order across the run's phases."""
    rows = []
    position = 0
    for log in drill.task_logs:
        for call in log.calls:
            position += 1
            size = call.details.get("context_size_before")
            if isinstance(size, int | float):
                rows.append(
                    {
                        "Call": position,
                        "Context size (tokens)": size,
                        "Phase": chart_label(log.phase_name),
                        "Tool": _label(call.tool_name),
                    }
                )
    if not rows:
        return None
    figure = px.line(
        pd.DataFrame(rows), x="Call", y="Context size (tokens)", color="Phase", hover_data=["Tool"],
        title="Context size growth",
    )  # fmt: skip
    return figure.update_layout(**_LAYOUT)
