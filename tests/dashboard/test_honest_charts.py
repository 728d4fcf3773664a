"""Latency figures that say they are estimates, latency charts on true log axes, one colour per tool.

Issue 18, items 3, 6 and 7, on both databases. Percentiles on the Tools page are the service's,
never above the maximum, and marked as bucket estimates; the latency charts have duration ticks
at proportional places, a histogram with every bucket (empty ones as zero) and p50/p95/p99 lines,
and a p95-per-day trend that is the service's; a tool has the same colour on every chart of every
page, and no two tools of one chart share a colour.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.dashboard import charts
from tooltrack.models import TaskLogCreate

ALL_TIME = {"days": "all"}
FILTERS = Filters(days=3650)
DURATION_TICK = re.compile(r"^\d+(\.\d+)? (ms|s|min|h)$")


def specs(at: AppTest) -> dict[str, dict[str, Any]]:
    """The page's Plotly figures, keyed by their title."""
    found = {}
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)  # type: ignore[attr-defined]
        found[spec["layout"]["title"]["text"]] = spec
    return found


def values(data: Any) -> list[Any]:
    """A trace's x or y as a list: Plotly sends numeric arrays as base64 typed arrays."""
    if isinstance(data, dict) and "bdata" in data:
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"]).tolist()
    return list(data)


def one(found: dict[str, dict[str, Any]], prefix: str) -> dict[str, Any]:
    matches = [spec for title, spec in found.items() if title.startswith(prefix)]
    assert len(matches) == 1, (prefix, list(found))
    return matches[0]


def column_config(at: AppTest, index: int) -> dict[str, Any]:
    return json.loads(at.dataframe[index].proto.columns)  # type: ignore[no-any-return]


def assert_duration_axis(axis: dict[str, Any]) -> None:
    """A log axis whose ticks are durations, at least two, inside the drawn range."""
    assert axis.get("type") == "log", axis
    ticks, texts = values(axis.get("tickvals") or []), axis.get("ticktext")
    assert ticks and texts and len(ticks) == len(texts) >= 2, axis
    assert all(DURATION_TICK.match(text) for text in texts), texts
    low, high = axis["range"]
    assert all(low <= math.log10(v) <= high for v in ticks), (ticks, axis["range"])


# -- item 3: percentiles are estimates, never above the max --------------------------------------


def test_tools_table_percentiles_are_the_services_marked_and_never_above_max(
    demo_env: Engine, open_page: OpenPage
) -> None:
    at = open_page("tools", ALL_TIME)
    assert not at.exception
    summary = AnalyticsService(demo_env).summary(FILTERS)
    frame = at.dataframe[0].value
    assert list(frame["Tool"]) == list(summary.by_tool)
    for _, row in frame.iterrows():
        tool = summary.by_tool[row["Tool"]]
        assert row["p50 (ms)"] == tool.p50_duration_ms and row["p95 (ms)"] == tool.p95_duration_ms
        assert row["p50 (ms)"] <= row["p95 (ms)"] <= row["Max (ms)"], row.to_dict()
    config = column_config(at, 0)
    for column in ("p50 (ms)", "p95 (ms)"):
        shown = json.dumps(config[column], ensure_ascii=False)
        assert "≈" in shown, config[column]
        assert "2.5 %" in config[column]["help"], config[column]
    # The histogram's caption marks its percentiles the same way.
    assert any("p95 ≈" in caption.value for caption in at.caption), [c.value for c in at.caption]


# -- item 7: latency charts on proportional log axes -----------------------------------------


def test_latency_charts_use_duration_ticks_even_for_one_tool(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("tools", {**ALL_TIME, "tool": "Bash"})
    assert not at.exception
    found = specs(at)
    per_tool = one(found, "Latency per tool")
    assert_duration_axis(per_tool["layout"]["yaxis"])
    histogram = one(found, "Latency of")
    assert_duration_axis(histogram["layout"]["xaxis"])


def test_the_histogram_draws_every_bucket_and_marks_the_percentiles(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("tools", {**ALL_TIME, "tool": "Bash"})
    service = AnalyticsService(demo_env).latency_histogram(Filters(days=3650, tool="Bash"), "Bash")
    spec = one(specs(at), "Latency of Bash")
    assert spec["layout"]["xaxis"].get("type") != "category"
    area, *lines = spec["data"]
    edges, counts = values(area["x"]), values(area["y"])[:-1]
    # Adjacent bins from the fastest to the slowest call: no bucket dropped, every call counted.
    assert edges == sorted(edges) and len(set(edges)) == len(edges)
    assert sum(counts) == service.count
    uppers = [b.upper_ms for b in service.buckets]
    assert edges[0] <= min(uppers) and edges[-1] >= max(uppers)
    marked = {line["name"].split()[0]: values(line["x"]) for line in lines}
    assert marked == {
        "p50": [service.p50_duration_ms] * 2,
        "p95": [service.p95_duration_ms] * 2,
        "p99": [service.p99_duration_ms] * 2,
    }
    assert all("≈" in line["name"] for line in lines)


def test_the_p95_trend_per_tool_is_the_services(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("tools", ALL_TIME)
    spec = one(specs(at), "p95 latency per day")
    assert_duration_axis(spec["layout"]["yaxis"])
    expected: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for point in AnalyticsService(demo_env).latency_over_time(FILTERS):
        expected[point.tool_name].append((point.day.isoformat(), point.p95_duration_ms))
    drawn = {t["name"]: list(zip(values(t["x"]), values(t["y"]), strict=True)) for t in spec["data"]}
    assert drawn and len(drawn) <= charts.MAX_SERIES
    for tool, points in drawn.items():
        assert points == expected[tool], tool


# -- item 6: one colour per tool ---------------------------------------------------------------


def _trace_colours(spec: dict[str, Any]) -> dict[str, str]:
    """tool -> colour of a chart's traces (bars, lines, Gantt bars) or Sankey nodes."""
    data = spec["data"]
    if data and data[0]["type"] == "sankey":
        node = data[0]["node"]
        found: dict[str, set[str]] = defaultdict(set)
        for label, colour in zip(node["label"], node["color"], strict=True):
            found[label.removeprefix("→ ")].add(colour)
        assert all(len(colours) == 1 for colours in found.values()), found  # one tool, one colour in the Sankey
        return {label: colours.pop() for label, colours in found.items()}
    colours = {}
    if spec["layout"]["title"]["text"].startswith("Latency of"):
        # The histogram of one tool: its area (the first trace) is in the tool's colour.
        tool = spec["layout"]["title"]["text"].removeprefix("Latency of ").split(" (")[0]
        area = data[0]
        return {tool: area["line"]["color"] if area["type"] == "scatter" else area["marker"]["color"]}
    for trace in data:
        if trace.get("mode") == "markers":
            continue  # the timeline's marks of failed and cancelled calls: not a tool
        colour = (trace.get("marker") or {}).get("color") if trace["type"] == "bar" else trace["line"]["color"]
        colours.setdefault(trace["name"], colour)
        assert colours[trace["name"]] == colour, trace["name"]
    return colours


def test_a_tool_has_one_colour_on_every_chart(
    demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage
) -> None:
    tools = {call.tool_name for log in demo_logs for call in log.tool_calls}
    assert len(tools) >= 11, "enough tools that a 10-colour palette would wrap"
    tools_page = specs(open_page("tools", ALL_TIME))
    views = {
        "calls per day": one(specs(open_page("overview", ALL_TIME)), "Calls per day"),
        "failure rate": one(specs(open_page("failures", ALL_TIME)), "Failure rate"),
        "histogram": one(tools_page, "Latency of"),
        "timeline": one(specs(open_page("workflow", {"adw_id": demo_logs[0].adw_id})), "Timeline"),
    }
    # The trend's own test requires it; here it only adds a view.
    views.update({title: spec for title, spec in tools_page.items() if title.startswith("p95 latency")})
    sequences = open_page("sequences", ALL_TIME)
    sequences.select_slider(key="sequences_n").set_value(2).run()
    sequences.number_input(key="sequences_min_count").set_value(1).run()
    views["sankey"] = one(specs(sequences), "Which tool comes next")
    seen: dict[str, set[str]] = defaultdict(set)
    for view, spec in views.items():
        colours = _trace_colours(spec)
        named = {tool: colour for tool, colour in colours.items() if tool != charts.OTHER}
        assert len(set(named.values())) == len(named), (view, colours)  # no two tools share one
        for tool, colour in named.items():
            seen[tool].add(colour)
    # The Sankey draws the 40 strongest links: at least ten tools, more than Plotly's ten default colours.
    assert len(_trace_colours(views["sankey"])) >= 10
    assert {tool: len(colours) for tool, colours in seen.items() if len(colours) > 1} == {}, seen
    assert seen["Read"] == {charts.KNOWN_TOOL_COLOURS["Read"]}
    assert seen["Bash"] == {charts.KNOWN_TOOL_COLOURS["Bash"]}


def test_success_bars_are_green_not_the_alarm_red(demo_env: Engine, open_page: OpenPage) -> None:
    for name, table in (("overview", 0), ("tools", 0), ("sequences", 0)):
        at = open_page(name, ALL_TIME)
        config = column_config(at, table)["Success rate"]
        assert json.dumps(config).count('"green"') == 1, (name, config)


def test_tool_colours_never_repeat_within_a_view_and_stay_put() -> None:
    names = [f"mcp__server__tool_{i}" for i in range(40)] + ["Read", "Bash", "Edit", "Other"]
    colours = charts.tool_colours(names)
    assert len(set(colours.values())) == len(names)
    assert colours["Read"] == charts.KNOWN_TOOL_COLOURS["Read"] and colours["Other"] == charts.OTHER_COLOUR
    # A tool alone, or beside known tools, has its own colour: the hashed one.
    lone = "mcp__playwright__browser_navigate"
    assert charts.tool_colours([lone])[lone] == charts.tool_colour(lone)
    assert charts.tool_colours([lone, "Read", "Grep", "Task"])[lone] == charts.tool_colour(lone)
    assert charts.tool_colour(lone) not in charts.KNOWN_TOOL_COLOURS.values()
