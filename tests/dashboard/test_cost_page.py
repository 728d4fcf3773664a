"""The Cost page (issue 16): every figure is the service's, on both databases.

The headline figures and each breakdown are `AnalyticsService.cost` as it answers; a model the
price table does not know is "no price" with its tokens, never $0; each of the most expensive
calls links to its run's drill-down, opened at that very call.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import numpy as np
from sqlalchemy import Engine

from tests.helpers.app_pages import chart_titled, metrics, table_with
from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, CostGroup, Filters
from tooltrack.dashboard.filter_state import FilterState
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

ALL = {"days": "all"}
UNKNOWN = "acme-local-coder-v2"


def _all_time() -> Filters:
    state, problems = FilterState.from_query(ALL)
    assert not problems
    return state.to_filters()


def _unpriced_run(engine: Engine) -> None:
    when = datetime.now(UTC) - timedelta(days=1)
    calls = [
        ToolCallRecord(
            tool_name="Read", success=True, timestamp=when + timedelta(seconds=n), file_path=f"src/m{n}.py",
            model=UNKNOWN, cost_usd=0.0, cost_tokens=5_000 + n,
        )
        for n in range(4)
    ]  # fmt: skip
    TaskLogRepository(engine).create(
        TaskLogCreate(
            adw_id="local-model-run",
            phase_name="session",
            phase_status="completed",
            started_at=when,
            models=[UNKNOWN],
            tool_calls=calls,
        )
    )


def _rows(groups: list[CostGroup], name: str, unpriced: set[str] = set()) -> list[dict[str, object]]:  # noqa: B006
    rows = []
    for g in groups:
        row: dict[str, object] = {
            name: g.name, "Calls": g.calls, "Calls with cost": g.costed_calls, "Tokens": g.tokens,
            "Cost ($)": None if g.name in unpriced else g.cost_usd,
        }  # fmt: skip
        if unpriced:
            row["Price"] = "no price" if g.name in unpriced else ""
        rows.append(row)
    return rows


def test_cost_page_shows_the_services_figures(demo_env: Engine, open_page: OpenPage) -> None:
    _unpriced_run(demo_env)
    report = AnalyticsService(demo_env).cost(_all_time())
    assert report.total_cost_usd > 0 and report.unpriced_models
    at = open_page("cost", ALL)
    assert not at.exception, [e.message for e in at.exception]
    shown = metrics(at)
    assert shown["Attributed to calls"] == f"${report.total_cost_usd:,.2f}"
    assert shown["Tokens"] == f"{report.total_tokens:,}"
    assert shown["Calls with a cost"] == f"{report.costed_calls:,} of {report.calls:,}"
    assert shown["Runs' own cost"] == f"${report.runs_cost_usd:,.2f}"

    unpriced = {g.name for g in report.unpriced_models}
    assert UNKNOWN in unpriced
    [warning] = [w.value.replace("\\", "") for w in at.warning]
    assert UNKNOWN in warning and f"{report.unpriced_tokens:,} tokens" in warning

    for groups, name in (
        (report.by_tool, "Tool"),
        (report.by_mcp_server, "MCP server"),
        (report.by_subagent, "Sub-agent"),
        (report.by_project, "Project"),
        (report.by_workflow_template, "Template"),
        (report.by_phase, "Phase"),
    ):
        _, rows = table_with(at, name, "Calls with cost")
        assert rows == _rows(groups, name), name
    _, rows = table_with(at, "Model", "Calls with cost")
    assert rows == _rows(report.by_model, "Model", unpriced)
    assert {row["Model"]: row["Price"] for row in rows}[UNKNOWN] == "no price"
    assert {row["Model"]: row["Cost ($)"] for row in rows}[UNKNOWN] is None  # blank, not $0

    _, rows = table_with(at, "Target", "Wasted tokens")
    assert [(r["Target"], r["Wasted tokens"], r["Wasted ($)"]) for r in rows] == [
        (t.target, t.wasted_tokens, t.wasted_cost_usd) for t in report.costliest_repeats
    ]

    # Spend per day: the chart's bars add up to the service's daily figures, per tool.
    spend = chart_titled(at, "Spend per day by tool")
    drawn = sum(sum(_values(trace["y"])) for trace in spend["data"])
    assert round(drawn, 6) == round(sum(p.cost_usd for p in report.by_day_and_tool), 6)


def _values(y: object) -> list[float]:
    """A trace's y values (Plotly writes a numeric array as a typed buffer in its JSON)."""
    if isinstance(y, dict):
        return [float(v) for v in np.frombuffer(base64.b64decode(y["bdata"]), dtype=y["dtype"])]
    return [float(v) for v in y]  # type: ignore[attr-defined]


def test_each_costly_call_opens_its_run_at_that_call(demo_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(demo_env)
    report = service.cost(_all_time())
    assert report.costliest_calls
    at = open_page("cost", ALL)
    _, rows = table_with(at, "Drill-down", "Cost ($)")
    assert [(r["Tool"], r["Cost ($)"], r["Run"]) for r in rows] == [
        (c.tool_name, c.cost_usd, c.adw_id) for c in report.costliest_calls
    ]
    costly = report.costliest_calls[0]
    query = {key: values[0] for key, values in parse_qs(urlsplit(str(rows[0]["Drill-down"])).query).items()}
    drill = open_page("workflow", query)
    assert not drill.exception
    logs = service.drilldown(costly.adw_id).task_logs
    places = [(log.id, call.index) for log in logs for call in log.calls]
    numbers = {place: n for n, place in enumerate(places, start=1)}
    assert drill.selectbox(key="workflow_record").value == numbers[(costly.task_log_id, costly.call_index)]
