"""MCP servers as a dimension: calls, failures, latency and cost per server, loaded against used.

A tool named `mcp__<server>__<tool>` belongs to `<server>`. Calls, failures, cost and the latency
histogram come from the rollups (their tool rows, grouped by server); which servers a session had
loaded comes from its task log (`mcp_servers`, from stream-json's `system`/`init` line), so a
server that sessions load but never call shows up as unused.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, and_, func, select

from tooltrack.analytics.costs import mcp_server
from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import as_int, usd, where, window_of
from tooltrack.analytics.results import McpReport, McpServerStats
from tooltrack.core import percentiles
from tooltrack.store import latency_daily, task_logs, tool_daily


def report(connection: Connection, filters: Filters) -> McpReport:
    """Every MCP server called or loaded in the window (with the filters), most called first."""
    t, lat = tool_daily, latency_daily
    mcp = t.c.tool_name.like("mcp\\_\\_%", escape="\\")
    rows = connection.execute(
        select(
            t.c.tool_name,
            func.sum(t.c.calls).label("calls"),
            func.sum(t.c.failures).label("failures"),
            func.sum(t.c.cancelled).label("cancelled"),
            func.max(t.c.max_duration_ms).label("maximum"),
            func.sum(t.c.cost_pico).label("pico"),
        )
        .where(*where(t, filters), mcp)
        .group_by(t.c.tool_name)
    ).all()
    buckets = connection.execute(
        select(lat.c.tool_name, lat.c.bucket, func.sum(lat.c.calls).label("calls"))
        .where(*where(lat, filters), lat.c.tool_name.like("mcp\\_\\_%", escape="\\"))
        .group_by(lat.c.tool_name, lat.c.bucket)
    ).all()
    stats: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"tools": set(), "calls": 0, "failures": 0, "cancelled": 0, "max": None, "pico": 0, "buckets": {}}
    )
    for row in rows:
        server = mcp_server(row.tool_name)
        if server is None:
            continue
        entry = stats[server]
        entry["tools"].add(row.tool_name)
        entry["calls"] += as_int(row.calls)
        entry["failures"] += as_int(row.failures)
        entry["cancelled"] += as_int(row.cancelled)
        entry["pico"] += as_int(row.pico)
        if row.maximum is not None:
            entry["max"] = max(entry["max"] or 0, int(row.maximum))
    for bucket_row in buckets:
        server = mcp_server(bucket_row.tool_name)
        if server is not None:
            merged = stats[server]["buckets"]
            merged[int(bucket_row.bucket)] = merged.get(int(bucket_row.bucket), 0) + as_int(bucket_row.calls)
    loaded, used = _sessions(connection, filters)
    for server in loaded:
        stats[server]  # a loaded server with no call still gets its row
    servers = []
    for server, entry in stats.items():
        p50, p95 = percentiles(sorted(entry["buckets"].items()), (0.5, 0.95), ceiling=entry["max"])
        decided = entry["calls"] - entry["cancelled"]
        servers.append(
            McpServerStats(
                server=server,
                tools=sorted(entry["tools"]),
                calls=entry["calls"],
                failures=entry["failures"],
                success_rate=(decided - entry["failures"]) / decided if decided > 0 else None,
                p50_duration_ms=p50,
                p95_duration_ms=p95,
                cost_usd=usd(entry["pico"]),
                sessions_loaded=loaded.get(server, 0),
                sessions_used=used.get(server, 0),
            )
        )
    servers.sort(key=lambda s: (-s.calls, -s.sessions_loaded, s.server))
    return McpReport(
        window=window_of(connection, filters),
        servers=servers,
        unused=sorted(s.server for s in servers if s.calls == 0 and s.sessions_loaded > 0),
    )


def _sessions(connection: Connection, filters: Filters) -> tuple[dict[str, int], dict[str, int]]:
    """Per server: the task logs of the window that had it loaded, and of those, the ones that called it.

    Reads only task logs that list servers (`mcp_servers` is set where the source said), their
    list and their calls' tool names."""
    start, end = filters.time_range()
    moment = func.coalesce(task_logs.c.started_at, task_logs.c.created_at)
    conditions = [task_logs.c.mcp_servers.is_not(None), moment >= start, moment < end]
    for field, column in (("workflow_template", "workflow_template"), ("phase", "phase_name"), ("project", "project")):
        value = getattr(filters, field)
        if value is not None:
            conditions.append(task_logs.c[column] == value)
    loaded: dict[str, int] = defaultdict(int)
    used: dict[str, int] = defaultdict(int)
    query = select(task_logs.c.mcp_servers, task_logs.c.tool_calls).where(and_(*conditions))
    for servers, calls in connection.execution_options(yield_per=500).execute(query):
        called = {mcp_server(str(call.get("tool_name") or "")) for call in calls or []}
        for server in servers or []:
            loaded[server] += 1
            if server in called:
                used[server] += 1
    return loaded, used
