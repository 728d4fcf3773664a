"""Plotly figures for the pages, built from the analytics service's answers.

Every label that comes from the data goes through `chart_label`, because Plotly interprets a few
HTML tags in text: a tool called `<b>x</b>` must show those characters, not bold text.

A tool has one colour on every chart (`tool_colours`): the tools every agent has get fixed
colours, any other tool a colour picked by a stable hash of its name, and the tools drawn
together never share one. Latency is drawn on log axes whose ticks are durations (`1 ms`,
`200 ms`, `5 s`, `2 min`) at proportional positions, never Plotly's bare mantissas ("2 … 9, 10k").
"""

from __future__ import annotations

import colorsys
import math
import zlib
from collections import Counter
from collections.abc import Iterable
from datetime import timedelta
from typing import Final

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from tooltrack.analytics import (
    DailyLatencyPoint,
    DailyToolPoint,
    DrillDown,
    ErrorKind,
    HistogramBucket,
    LatencyHistogram,
    RedundancyAlert,
    ToolStats,
    Transition,
)
from tooltrack.core import PERCENTILE_ERROR, bucket_bounds, bucket_of
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

# -- colours -----------------------------------------------------------------------------------

#: The tools every Claude Code agent has, each in its own fixed colour: Read is this blue on every
#: chart of every page and every database. Red and green are left out: they mean failure and success.
KNOWN_TOOL_COLOURS: Final[dict[str, str]] = {
    "Read": "#4C78A8",
    "Grep": "#72B7B2",
    "Glob": "#9ECAE9",
    "LS": "#2F7F99",
    "Edit": "#F58518",
    "MultiEdit": "#FFBF79",
    "Write": "#B279A2",
    "NotebookEdit": "#D6A5C9",
    "Bash": "#9D755D",
    "BashOutput": "#D8B5A5",
    "KillShell": "#5C4033",
    "WebFetch": "#FF9DA6",
    "WebSearch": "#C7519C",
    "Task": "#5E3C99",
    "Agent": "#8073AC",
    "TodoWrite": "#EECA3B",
    "ExitPlanMode": "#B6992D",
    "SlashCommand": "#1F4E79",
    "Skill": "#3E6E8E",
}
#: Colours for every other tool (MCP tools, tools added later), chosen by a stable hash of the
#: name; none of them is a known tool's colour.
HASHED_PALETTE: Final[tuple[str, ...]] = (
    "#393B79",
    "#5254A3",
    "#637939",
    "#8CA252",
    "#8C6D31",
    "#BD9E39",
    "#843C39",
    "#AD494A",
    "#7B4173",
    "#A55194",
    "#006D77",
    "#17BECF",
)
#: The "Other" series (tools beyond MAX_SERIES summed together): neutral, so it reads as no tool.
OTHER_COLOUR: Final = "#BDBDBD"
#: Success-rate bars in tables (a Streamlit column colour): success reads as green, never as red.
SUCCESS_COLOUR: Final = "green"
#: Failure counts drawn without a tool (the error kinds chart).
FAILURE_COLOUR: Final = "#C44E52"
#: Things that are not tools (wasted time per run, the all-tools histogram).
NEUTRAL_COLOUR: Final = "#6B7B8C"
#: The percentile series of the per-tool latency chart: greys, so they are not read as tools.
PERCENTILE_COLOURS: Final = {"p50": "#B8C2CC", "p95": "#4A5560"}


def _hashed_slot(name: str) -> int:
    # crc32, not hash(): Python salts str hashes per process, and a colour must not change on restart.
    return zlib.crc32(name.encode("utf-8")) % len(HASHED_PALETTE)


def tool_colour(name: str) -> str:
    """The colour of one tool: its fixed colour, else the palette colour its name hashes to.

    Charts that draw several tools use `tool_colours`, which keeps these colours but moves a
    hashed tool off a colour another tool of the same view already has.
    """
    if name == OTHER:
        return OTHER_COLOUR
    return KNOWN_TOOL_COLOURS.get(name) or HASHED_PALETTE[_hashed_slot(name)]


def _extra_colour(index: int) -> str:
    # Past the palette (more than 12 unknown tools in one view): hues a golden angle apart.
    hue = (0.11 + index * 0.618034) % 1.0
    red, green, blue = colorsys.hls_to_rgb(hue, 0.42, 0.55)
    return f"#{round(red * 255):02X}{round(green * 255):02X}{round(blue * 255):02X}"


def tool_colours(names: Iterable[str]) -> dict[str, str]:
    """The colour of each tool drawn together in one view: each its `tool_colour`, none repeated.

    Known tools keep their fixed colours. Other tools, in name order, take their hashed colour,
    or when a tool before them took it, the next free palette colour; past the palette, colours
    are made. So a tool keeps its colour from view to view unless two hashed names collide.
    """
    chosen: dict[str, str] = {}
    taken: set[str] = set()
    unknown: list[str] = []
    for name in dict.fromkeys(names):
        if name == OTHER or name in KNOWN_TOOL_COLOURS:
            chosen[name] = tool_colour(name)
            taken.add(chosen[name])
        else:
            unknown.append(name)
    extra = 0
    for name in sorted(unknown):
        slot = _hashed_slot(name)
        free = [HASHED_PALETTE[(slot + step) % len(HASHED_PALETTE)] for step in range(len(HASHED_PALETTE))]
        colour = next((c for c in free if c not in taken), None)
        while colour is None or colour in taken:
            colour = _extra_colour(extra)
            extra += 1
        chosen[name] = colour
        taken.add(colour)
    return chosen


def _label(name: str) -> str:
    return chart_label(shorten(name, MAX_LABEL))


def _label_colours(names: Iterable[str]) -> dict[str, str]:
    """`tool_colours` keyed by the labels the charts draw (shortened, escaped)."""
    return {(_label(name) if name != OTHER else OTHER): colour for name, colour in tool_colours(names).items()}


def _rgba(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red}, {green}, {blue}, {alpha})"


# -- duration axes -----------------------------------------------------------------------------

#: Where a duration axis may put a tick (ms): 1-2-5 steps, then the clock's own (30 s, 30 min, 24 h).
_NICE_MS: Final[tuple[float, ...]] = (
    1, 2, 5, 10, 20, 50, 100, 200, 500,
    1_000, 2_000, 5_000, 10_000, 20_000, 30_000,
    60_000, 120_000, 300_000, 600_000, 1_200_000, 1_800_000,
    3_600_000, 7_200_000, 18_000_000, 36_000_000, 86_400_000,
)  # fmt: skip
#: The ticks kept when the 1-2-5 ticks would crowd an axis (one per power of ten, and the clock's).
_MAJOR_MS: Final = frozenset({1, 10, 100, 1_000, 10_000, 60_000, 600_000, 3_600_000, 36_000_000, 86_400_000})
_MOST_TICKS: Final = 9


def tick_label(ms: float) -> str:
    """A duration tick: `1 ms`, `200 ms`, `5 s`, `2 min`, `1 h` (whole units, as the ticks are)."""
    for unit, size in (("h", 3_600_000), ("min", 60_000), ("s", 1_000)):
        if ms >= size:
            return f"{ms / size:g} {unit}"
    return f"{ms:g} ms"


def duration_axis(low_ms: float, high_ms: float) -> dict[str, object]:
    """A log axis over [low_ms, high_ms] with duration ticks at their proportional places.

    The range widens to the nice ticks on either side of the data, so even one value (one tool,
    every call alike) gets a labelled tick below and above it.
    """
    low, high = max(min(low_ms, high_ms), 1e-3), max(low_ms, high_ms, 1e-3)
    below = max((t for t in _NICE_MS if t <= low), default=min(low, _NICE_MS[0]))
    above = min((t for t in _NICE_MS if t >= high * 1.0001), default=high * 2)
    ticks = [t for t in _NICE_MS if below <= t <= above]
    if len(ticks) > _MOST_TICKS:
        ticks = [t for t in ticks if t in _MAJOR_MS] or ticks[:: math.ceil(len(ticks) / _MOST_TICKS)]
    # A little air beyond the outer ticks, so their labels and the data's ends are not cut.
    pad = 0.04 * max(math.log10(above) - math.log10(below), 1.0)
    return {
        "type": "log",
        "range": [math.log10(below) - pad, math.log10(above) + pad],
        "tickmode": "array",
        "tickvals": ticks,
        "ticktext": [tick_label(t) for t in ticks],
        "minor": {"showgrid": False},
    }


def estimate(ms: float | None) -> str:
    """A percentile estimate for people: `≈ 1.2 s` (bucket estimates are within ±2.5 %)."""
    return "–" if ms is None else f"≈ {duration(ms)}"


#: The help text of every column of percentile estimates.
PERCENTILE_HELP: Final = (
    f"≈: estimated from log-scale latency buckets, within ±{PERCENTILE_ERROR * 100:g} % of the exact "
    "value (nearest rank), never above the slowest call. Tools whose percentile falls in the same "
    "bucket show the same figure."
)


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
    colours = _label_colours([*sorted(top), OTHER])
    figure = px.bar(
        frame, x="Day", y="Calls", color="Tool", color_discrete_map=colours, title="Calls per day by tool",
        category_orders={"Tool": _legend_order(frame, "Calls")},
    )  # fmt: skip
    return _days_axis(figure, frame["Day"].nunique()).update_layout(**_LAYOUT)


def _legend_order(frame: pd.DataFrame, value: str) -> list[str]:
    """Tools by their total, largest first, "Other" last (the order of the stack and the legend)."""
    totals = frame.groupby("Tool")[value].sum().sort_values(ascending=False)
    return [name for name in totals.index if name != OTHER] + ([OTHER] if OTHER in totals.index else [])


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
        color_discrete_map=_label_colours(sorted(top)), title="Failure rate per tool per day",
    )  # fmt: skip
    figure.update_yaxes(tickformat=".0%", rangemode="tozero")
    return _days_axis(figure, frame["Day"].nunique()).update_layout(**_LAYOUT)


def latency_percentiles(tools: list[ToolStats]) -> go.Figure:
    """p50 and p95 per tool as bars, the slowest call as a mark, on a log axis of durations."""
    timed = [t for t in tools if t.p50_duration_ms is not None]
    labels = [_label(t.tool_name) for t in timed]
    figure = go.Figure()
    for name in ("p50", "p95"):
        values = [t.p50_duration_ms if name == "p50" else t.p95_duration_ms for t in timed]
        figure.add_bar(
            x=labels, y=values, name=f"{name} (≈)", marker_color=PERCENTILE_COLOURS[name],
            customdata=[estimate(v) for v in values],
            hovertemplate=f"%{{x}}<br>{name} %{{customdata}}<extra></extra>",
        )  # fmt: skip
    maxima = [t.max_duration_ms for t in timed]
    figure.add_scatter(
        x=labels, y=maxima, name="max", mode="markers",
        marker={"symbol": "line-ew-open", "size": 18, "color": "#111111", "line": {"width": 3, "color": "#111111"}},
        customdata=[duration(v) for v in maxima], hovertemplate="%{x}<br>max %{customdata}<extra></extra>",
    )  # fmt: skip
    shown = (v for t in timed for v in (t.p50_duration_ms, t.p95_duration_ms, t.max_duration_ms))
    extent = [float(v) for v in shown if v]
    if extent:
        figure.update_yaxes(**duration_axis(min(extent), max(extent)), title_text="Duration")
    figure.update_xaxes(type="category", title_text="")
    return figure.update_layout(barmode="group", title_text="Latency per tool (p50, p95, max; log scale)", **_LAYOUT)


#: The most bins a latency histogram draws: wider spans merge neighbouring buckets.
MAX_BINS: Final = 60
_PERCENTILE_LINES: Final = (("p50", "dash"), ("p95", "dashdot"), ("p99", "dot"))


def latency_distribution(histogram: LatencyHistogram) -> go.Figure:
    """The latency histogram on a proportional log axis, with p50, p95 and p99 marked as lines.

    Every bucket between the fastest and the slowest is drawn, empty ones as zero: a bin's width on
    the axis is its real width. Spans of more than MAX_BINS buckets merge neighbours (counts add
    up exactly, the buckets being adjacent). Calls of 0 ms have no place on a log axis: the figure's
    title says how many there are.
    """
    zero = sum(b.count for b in histogram.buckets if b.upper_ms <= 0)
    timed = sorted((b for b in histogram.buckets if b.upper_ms > 0), key=lambda b: b.upper_ms)
    name = _label(histogram.tool) if histogram.tool else "all tools"
    title = f"Latency of {name}" + (f" ({zero:,} calls of 0 ms not drawn)" if zero else "")
    figure = go.Figure()
    if not timed:
        return figure.update_layout(title_text=title, **_LAYOUT)
    bins = _bins(timed)
    colour = tool_colour(histogram.tool) if histogram.tool else NEUTRAL_COLOUR
    edges = [low for low, _, _ in bins] + [bins[-1][1]]
    counts = [count for _, _, count in bins]
    figure.add_scatter(
        x=edges, y=[*counts, counts[-1]], mode="lines", line={"shape": "hv", "color": colour, "width": 1},
        fill="tozeroy", fillcolor=_rgba(colour, 0.55), name="calls",
        customdata=[f"{duration(low)} – {duration(high)}" for low, high, _ in bins] + [""],
        hovertemplate="%{customdata}: %{y:,} calls<extra></extra>",
    )  # fmt: skip
    top = max(counts) * 1.08
    values = {"p50": histogram.p50_duration_ms, "p95": histogram.p95_duration_ms, "p99": histogram.p99_duration_ms}
    for label, dash in _PERCENTILE_LINES:
        value = values[label]
        if value is None or value <= 0:
            continue
        figure.add_scatter(
            x=[value, value], y=[0, top], mode="lines", name=f"{label} {estimate(value)}",
            line={"color": "#222222", "dash": dash, "width": 1.5},
            hovertemplate=f"{label} {estimate(value)}<extra></extra>",
        )  # fmt: skip
    figure.update_xaxes(**duration_axis(edges[0], edges[-1]), title_text="Duration (log scale)")
    figure.update_yaxes(title_text="Calls", rangemode="tozero")
    return figure.update_layout(title_text=title, hovermode="closest", **_LAYOUT)


def _bins(buckets: list[HistogramBucket]) -> list[tuple[float, float, int]]:
    """(lower, upper, count) of every bucket from the fastest to the slowest, empty ones included."""
    # A bucket's index from its midpoint: its edges sit on powers of GAMMA, where float error
    # could land bucket_of in the neighbour.
    counts = {bucket_of((b.lower_ms + b.upper_ms) / 2): b.count for b in buckets}
    first, last = min(counts), max(counts)
    width = max(1, math.ceil((last - first + 1) / MAX_BINS))
    bins = []
    for start in range(first, last + 1, width):
        members = range(start, min(start + width, last + 1))
        lower, upper = bucket_bounds(members[0])[0], bucket_bounds(members[-1])[1]
        if lower <= 0:  # the bucket of 1 ms and below: drawn as wide as the bucket above it
            lower = upper / bucket_bounds(1)[1]
        bins.append((lower, upper, sum(counts.get(b, 0) for b in members)))
    return bins


def latency_trend(points: list[DailyLatencyPoint]) -> go.Figure:
    """p95 per UTC day for the tools with most timed calls, on a log axis of durations."""
    totals: Counter[str] = Counter()
    for point in points:
        totals[point.tool_name] += point.timed_calls
    top = {name for name, _ in totals.most_common(MAX_SERIES)}
    frame = pd.DataFrame(
        [
            {
                "Day": p.day.isoformat(),
                "Tool": _label(p.tool_name),
                "p95 (ms)": p.p95_duration_ms,
                "p95": estimate(p.p95_duration_ms),
                "p50": estimate(p.p50_duration_ms),
                "Timed calls": p.timed_calls,
            }
            for p in points
            if p.tool_name in top
        ],
        columns=["Day", "Tool", "p95 (ms)", "p95", "p50", "Timed calls"],
    ).sort_values(["Tool", "Day"])
    figure = px.line(
        frame, x="Day", y="p95 (ms)", color="Tool", markers=True, color_discrete_map=_label_colours(sorted(top)),
        hover_data={"p95 (ms)": False, "p95": True, "p50": True, "Timed calls": True},
        category_orders={"Tool": [_label(name) for name, _ in totals.most_common(MAX_SERIES)]},
        title="p95 latency per day, per tool (≈, log scale)",
    )  # fmt: skip
    if not frame.empty:
        figure.update_yaxes(**duration_axis(frame["p95 (ms)"].min(), frame["p95 (ms)"].max()), title_text="p95")
    return _days_axis(figure, frame["Day"].nunique()).update_layout(**_LAYOUT)


def error_kinds(kinds: list[ErrorKind], limit: int = 15) -> go.Figure:
    """The commonest error kinds as horizontal bars, labelled tool: kind."""
    top = sorted(kinds, key=lambda k: k.count, reverse=True)[:limit]
    frame = pd.DataFrame(
        [{"Kind": chart_label(shorten(f"{k.tool_name}: {k.error_kind}", 70)), "Failures": k.count} for k in top],
        columns=["Kind", "Failures"],
    )
    figure = px.bar(
        frame, x="Failures", y="Kind", orientation="h", title="Commonest error kinds",
        color_discrete_sequence=[FAILURE_COLOUR],
    )  # fmt: skip
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
        title="Time wasted on repeated work, per workflow run", color_discrete_sequence=[NEUTRAL_COLOUR],
    )  # fmt: skip
    figure.update_yaxes(autorange="reversed", title_text="", type="category")
    return figure.update_layout(**_LAYOUT)


def transitions_sankey(transitions: list[Transition]) -> go.Figure:
    """Tool-to-next-tool transitions as a Sankey: callers on the left, the next tool on the right.

    Two columns instead of one node per tool, because transitions loop (Read→Read, Edit→Read→Edit)
    and a Sankey cannot draw cycles. A tool's two nodes share its colour; a link takes its
    source's colour, see-through.
    """
    links = sorted(transitions, key=lambda t: t.count, reverse=True)[:MAX_LINKS]
    sources = sorted({t.source for t in links})
    targets = sorted({t.target for t in links})
    colours = tool_colours([*sources, *targets])
    labels = [_label(s) for s in sources] + [f"→ {_label(t)}" for t in targets]
    source_index = {name: i for i, name in enumerate(sources)}
    target_index = {name: len(sources) + i for i, name in enumerate(targets)}
    figure = go.Figure(
        go.Sankey(
            arrangement="snap",
            node={
                "label": labels,
                "pad": 12,
                "thickness": 14,
                "color": [colours[s] for s in sources] + [colours[t] for t in targets],
            },
            link={
                "source": [source_index[t.source] for t in links],
                "target": [target_index[t.target] for t in links],
                "value": [t.count for t in links],
                "color": [_rgba(colours[t.source], 0.35) for t in links],
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
    names = [call.tool_name for log in drill.task_logs for call in log.calls if call.timestamp is not None]
    figure = px.timeline(
        frame, x_start="Start", x_end="End", y="Phase", color="Tool", color_discrete_map=_label_colours(names),
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
