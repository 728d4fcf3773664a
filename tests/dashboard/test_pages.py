"""What the pages show: figures checked against hand counts over the stored logs and against the service.

All-time views are checked against plain-Python counts over the demo logs the test stored; views
over a moving window are checked against the analytics service (the dashboard must not compute
its own numbers).
"""

from __future__ import annotations

import json
from collections import Counter
from itertools import pairwise

from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.dashboard.formatting import duration, percent, workflow_href
from tooltrack.dashboard.page import EMPTY_DATABASE, NO_MATCH
from tooltrack.models import TaskLogCreate, ToolCallRecord

ALL_TIME = {"days": "all"}


def calls_of(logs: list[TaskLogCreate]) -> list[ToolCallRecord]:
    return [call for log in logs for call in log.tool_calls]


def metrics(at: object) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}  # type: ignore[attr-defined]


def chart_specs(at: object) -> list[dict[str, object]]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]  # type: ignore[attr-defined]


# --- Overview ----------------------------------------------------------------------------------


def test_overview_all_time_matches_hand_counts(
    demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage
) -> None:
    calls = calls_of(demo_logs)
    at = open_page("overview", ALL_TIME)
    shown = metrics(at)
    assert shown["Tool calls"] == f"{len(calls):,}"
    assert shown["Success rate"] == percent(sum(c.success for c in calls) / len(calls))
    assert shown["Total tool time"] == duration(sum(c.duration_ms or 0 for c in calls))
    assert shown["Workflows"] == f"{len({log.adw_id for log in demo_logs}):,}"
    assert any(c.value.startswith(f"{len(demo_logs):,} task logs") for c in at.caption)
    assert at.get("plotly_chart"), "calls over time by tool"


def test_overview_default_window_matches_the_service(demo_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(demo_env)
    filters = Filters(days=30)
    now, before = service.summary(filters), service.summary(filters.previous_period())
    at = open_page("overview")
    shown = {m.label: (m.value, m.delta) for m in at.metric}
    change = now.total_tool_calls - before.total_tool_calls
    assert shown["Tool calls"][0] == f"{now.total_tool_calls:,}"
    assert shown["Tool calls"][1].startswith(f"{change:+,}")
    assert shown["Success rate"][0] == percent(now.overall.success_rate)
    # The by-template table is the service's per-template figures.
    frame = at.dataframe[0].value
    assert list(frame["Calls"]) == [g.count for g in now.by_workflow_template]


def test_filters_from_the_url_narrow_the_figures(
    demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage
) -> None:
    expected = sum(
        1
        for log in demo_logs
        if log.workflow_template == "adw_sdlc"
        for call in log.tool_calls
        if call.tool_name == "Read"
    )
    at = open_page("overview", {**ALL_TIME, "template": "adw_sdlc", "tool": "Read"})
    assert metrics(at)["Tool calls"] == f"{expected:,}"
    sidebar = {box.label: box.value for box in at.sidebar.selectbox}
    assert sidebar == {
        "Period": "all",
        "Workflow template": "adw_sdlc",
        "Phase": None,
        "Tool": "Read",
        "Project": None,
        "Model": None,
        "Agent": None,
    }


def test_a_changed_filter_goes_into_the_url_and_follows_to_other_pages(
    demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage
) -> None:
    at = open_page("overview", ALL_TIME)
    at.sidebar.selectbox(key="filter_tool").select("Bash").run()
    assert at.query_params == {"days": "all", "tool": "Bash"}
    bash_calls = [c for c in calls_of(demo_logs) if c.tool_name == "Bash"]
    assert metrics(at)["Tool calls"] == f"{len(bash_calls):,}"

    # Streamlit clears the query when the user switches pages: the session remembers the filters.
    at.switch_page("tooltrack/dashboard/pages/tools.py")
    at.query_params.clear()
    at.run()
    assert not at.exception
    assert at.query_params == {"days": "all", "tool": "Bash"}
    assert list(at.dataframe[0].value["Tool"]) == ["Bash"]


def test_a_bad_or_unknown_filter_in_the_url_is_ignored_with_a_warning(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("overview", {"days": "13", "tool": "NoSuchTool", "start": "yesterday"})
    assert not at.exception
    warnings = " | ".join(w.value for w in at.sidebar.warning)
    assert "days" in warnings and "NoSuchTool" in warnings and "start and end" in warnings
    assert {box.label: box.value for box in at.sidebar.selectbox}["Tool"] is None
    assert "tool" not in at.query_params


def test_an_empty_filter_result_says_so(demo_env: Engine, open_page: OpenPage) -> None:
    for name in ("overview", "tools", "failures"):
        at = open_page(name, {"start": "2001-01-01", "end": "2001-01-02"})
        assert not at.exception
        assert NO_MATCH in [info.value for info in at.info], name


# --- Tools, failures, redundancy, sequences ----------------------------------------------------


def test_tools_page_counts_and_percentiles(
    demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage
) -> None:
    per_tool = Counter(c.tool_name for c in calls_of(demo_logs))
    at = open_page("tools", ALL_TIME)
    frame = at.dataframe[0].value
    assert dict(zip(frame["Tool"], frame["Calls"], strict=True)) == dict(per_tool)
    summary = AnalyticsService(demo_env).summary(Filters(days=3650))
    assert list(frame["p95 (ms)"]) == [t.p95_duration_ms for t in summary.by_tool.values()]
    commands = at.dataframe[2].value
    assert list(commands["Command"]) == [c.command for c in summary.top_commands]
    assert sum(commands["Runs"]) <= per_tool["Bash"]


def test_failures_page_lists_the_failing_calls(
    demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage
) -> None:
    failing = [(log.adw_id, call) for log in demo_logs for call in log.tool_calls if not call.success]
    at = open_page("failures", ALL_TIME)
    assert metrics(at)["Failed calls"] == f"{len(failing):,}"
    table = at.dataframe[1].value
    assert len(table) == min(100, len(failing))
    assert Counter(table["Tool"]) <= Counter(call.tool_name for _, call in failing)
    assert set(table["Workflow"]) <= {adw_id for adw_id, _ in failing}
    assert list(table["Drill-down"]) == [workflow_href(adw_id) for adw_id in table["Workflow"]]
    # The error-kind filter narrows the table to that kind.
    kind = at.selectbox(key="failures_kind").options[1]
    at.selectbox(key="failures_kind").select(kind).run()
    narrowed = at.dataframe[1].value
    assert len(narrowed) >= 1
    assert {f"{t}: {k}" for t, k in zip(narrowed["Tool"], narrowed["Error kind"], strict=True)} == {kind}
    assert [link.proto.page for link in at.get("page_link")], "a link to the workflow drill-down"


def test_redundancy_page_shows_the_service_alerts(demo_env: Engine, open_page: OpenPage) -> None:
    alerts = AnalyticsService(demo_env).redundancy_alerts(Filters(all_time=True), limit=20)
    at = open_page("redundancy", ALL_TIME)
    [table] = [t.value for t in at.dataframe if "Drill-down" in t.value.columns]
    assert list(table["Workflow"]) == [a.adw_id for a in alerts]
    assert list(table["Redundant calls"]) == [a.redundant_calls for a in alerts]
    report = AnalyticsService(demo_env).redundancy(alerts[0].adw_id)
    assert metrics(at)["Redundant calls"] == f"{report.redundant_calls:,}"


def test_sequences_page_counts_pairs_like_a_hand_count(
    demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage
) -> None:
    pairs: Counter[str] = Counter()
    for log in demo_logs:
        names = [c.tool_name for c in log.tool_calls]
        pairs.update(f"{a}→{b}" for a, b in pairwise(names))
    at = open_page("sequences", ALL_TIME)
    at.select_slider(key="sequences_n").set_value(2).run()
    table = at.dataframe[0].value
    assert len(table) > 0
    assert {s: int(c) for s, c in zip(table["Sequence"], table["Count"], strict=True)} == {
        s: pairs[s] for s in table["Sequence"]
    }
    assert all(count >= 5 for count in table["Count"])
    sankey = [spec for spec in chart_specs(at) if spec["data"][0]["type"] == "sankey"]  # type: ignore[index]
    assert sankey, "a Sankey of transitions"


# --- Workflow drill-down -----------------------------------------------------------------------


def test_workflow_page_from_a_link(demo_env: Engine, demo_logs: list[TaskLogCreate], open_page: OpenPage) -> None:
    adw_id = demo_logs[0].adw_id
    logs = [log for log in demo_logs if log.adw_id == adw_id]
    at = open_page("workflow", {"adw_id": adw_id})
    assert not at.exception
    shown = metrics(at)
    assert shown["Phases"] == str(len(logs))
    assert shown["Tool calls"] == f"{len(calls_of(logs)):,}"
    assert shown["Failed calls"] == str(sum(not c.success for c in calls_of(logs)))
    assert list(at.dataframe[0].value["Phase"]) == [log.phase_name for log in logs]
    kinds = {spec["data"][0]["type"] for spec in chart_specs(at)}  # type: ignore[index]
    assert "bar" in kinds, "the Gantt timeline (px.timeline draws bars)"
    assert "scatter" in kinds, "the context size growth"


def test_workflow_page_unknown_huge_and_empty_ids(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("workflow", {"adw_id": "no-such-run"})
    assert not at.exception
    assert "No workflow run has adw_id" in at.warning[0].value

    at = open_page("workflow", {"adw_id": "x" * 10_000})
    assert not at.exception
    assert "10,000 characters" in at.warning[0].value

    at = open_page("workflow", {"adw_id": "run\x00"})  # PostgreSQL would refuse it in the query
    assert not at.exception
    assert "NUL character" in at.warning[0].value

    at = open_page("workflow")
    assert [i.value for i in at.info] == ["Pick a workflow run or paste its adw_id."]
    at.text_input(key="workflow_adw_id").input("y" * 500).run()
    assert not at.exception
    assert "500 characters" in at.warning[0].value
    at.text_input(key="workflow_adw_id").input("a\x00b").run()
    assert not at.exception
    assert "NUL character" in at.warning[0].value


def test_workflow_page_pick_a_recent_run(demo_env: Engine, open_page: OpenPage) -> None:
    # The picks are the newest runs, each shown with its title.
    newest = AnalyticsService(demo_env).runs(Filters(days=3650), limit=1).runs[0]
    at = open_page("workflow")
    pick = at.selectbox(key="workflow_pick")
    assert pick.options[0] == f"{newest.adw_id} · {newest.title}"
    at = pick.select(newest.adw_id).run()
    assert not at.exception
    assert at.text_input(key="workflow_adw_id").value == newest.adw_id
    assert at.query_params["adw_id"] == newest.adw_id
    assert metrics(at)["Phases"]


def test_empty_database_messages(app_env: Engine, open_page: OpenPage) -> None:
    at = open_page("workflow", {"adw_id": "anything"})
    assert [i.value for i in at.info] == [EMPTY_DATABASE]
