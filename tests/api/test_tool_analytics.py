"""Every analytics endpoint through the real app, on both databases.

The known data set goes in through the POST endpoint itself; answers are compared with the
plain-Python reference (tests/analytics/known_data.py) and with the service they are served from.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import failed, known_logs, ngrams, per_tool
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.models import TaskLogCreate

BASE = "/api/v1/tool-analytics"


@pytest.fixture
def logs(client: Any) -> list[TaskLogCreate]:
    logs = known_logs(seed=3, runs=12)
    for log in logs:
        response = client.post("/api/v1/observability/task-logs", json=log.model_dump(mode="json"))
        assert response.status_code == 201, response.text
    return logs


def test_summary_has_the_specification_shape_and_the_reference_figures(client: Any, logs: list[TaskLogCreate]) -> None:
    body = client.get(f"{BASE}/summary", params={"days": 3650}).json()
    expected = per_tool(logs)
    assert body["total_tool_calls"] == sum(e["count"] for e in expected.values())
    for tool, want in expected.items():
        got = body["by_tool"][tool]
        assert (got["count"], got["failures"], got["cancelled"]) == (want["count"], want["failures"], want["cancelled"])
        assert got["avg_duration_ms"] == pytest.approx(want["avg_duration_ms"])
        assert got["success_rate"] == pytest.approx(want["success_rate"])
        assert got["max_duration_ms"] == want["max_duration_ms"]
        assert "p95_duration_ms" in got and "p50_duration_ms" in got
    assert {c["command"] for c in body["top_commands"]} >= {"pytest", "git commit"}
    assert body["by_workflow_template"] and body["by_phase"]


def test_summary_filters_and_their_validation(client: Any, logs: list[TaskLogCreate]) -> None:
    body = client.get(f"{BASE}/summary", params={"days": 3650, "tool": "Read", "phase": "Plan"}).json()
    reads = [c for log in logs if log.phase_name == "Plan" for c in log.tool_calls if c.tool_name == "Read"]
    assert list(body["by_tool"]) == ["Read"] and body["total_tool_calls"] == len(reads)
    for params, field in (
        ({"days": 0}, "days"),
        ({"days": 3651}, "days"),
        ({"days": "ten"}, "days"),
        ({"start": "2026-02-01", "end": "2026-01-01"}, "start"),
        ({"tool": "x" * 500}, "tool"),
    ):
        response = client.get(f"{BASE}/summary", params=params)
        assert response.status_code == 422, params
        assert [e["field"] for e in response.json()["detail"]] == [field]
        assert response.json()["detail"][0]["in"] == "query"


def test_sequences_endpoint(client: Any, logs: list[TaskLogCreate]) -> None:
    body = client.get(f"{BASE}/sequences", params={"days": 3650, "min_count": 4}).json()
    expected = {g: e for g, e in ngrams(logs, 3).items() if e["count"] >= 4}
    assert {s["sequence"]: s["count"] for s in body["sequences"]} == {
        "→".join(g): e["count"] for g, e in expected.items()
    }
    assert body["n"] == 3 and body["min_count"] == 4
    pairs = {g: e["count"] for g, e in ngrams(logs, 2).items() if e["count"] >= 4}
    assert {(t["source"], t["target"]): t["count"] for t in body["transitions"]} == pairs
    two = client.get(f"{BASE}/sequences", params={"days": 3650, "min_count": 4, "n": 2}).json()
    assert all(len(s["tools"]) == 2 for s in two["sequences"])
    assert client.get(f"{BASE}/sequences", params={"n": 4}).status_code == 422
    assert client.get(f"{BASE}/sequences", params={"min_count": 0}).status_code == 422


def test_failures_endpoint(client: Any, logs: list[TaskLogCreate]) -> None:
    body = client.get(f"{BASE}/failures", params={"days": 3650, "limit": 1000}).json()
    expected = Counter((log.adw_id, c.tool_name) for log in logs for c in log.tool_calls if failed(c))
    assert body["total"] == sum(expected.values())
    assert Counter((r["adw_id"], r["tool_name"]) for r in body["rows"]) == expected
    assert sum(k["count"] for k in body["kinds"]) == body["total"]
    page = client.get(f"{BASE}/failures", params={"days": 3650, "limit": 2, "offset": 1}).json()
    assert page["rows"] == body["rows"][1:3]
    assert client.get(f"{BASE}/failures", params={"limit": 5000}).status_code == 422
    assert client.get(f"{BASE}/failures", params={"offset": -1}).status_code == 422


def test_redundancy_endpoint_matches_the_service(client: Any, logs: list[TaskLogCreate], engine: Engine) -> None:
    body = client.get(f"{BASE}/redundancy/run-001").json()
    assert body == AnalyticsService(engine).redundancy("run-001").model_dump(mode="json")
    for finding in body["redundancies"]:
        assert {"pattern", "count", "total_duration_ms", "suggestion"} <= set(finding)
    assert client.get(f"{BASE}/redundancy/{'x' * 300}").status_code == 422


def test_the_other_endpoints_match_the_service(client: Any, logs: list[TaskLogCreate], engine: Engine) -> None:
    service = AnalyticsService(engine)
    filters = Filters(days=3650)
    adw_id = logs[0].adw_id
    drill = client.get(f"{BASE}/drilldown/{adw_id}").json()
    assert drill == service.drilldown(adw_id).model_dump(mode="json")
    assert drill["tool_calls"] == sum(len(log.tool_calls) for log in logs if log.adw_id == adw_id)
    checks = {
        "redundancy-alerts": service.redundancy_alerts(filters),
        "calls-over-time": service.calls_over_time(filters),
        "slowest-calls": service.slowest_calls(filters),
        "filter-options": service.filter_options(),
    }
    for path, expected in checks.items():
        got = client.get(f"{BASE}/{path}", params={"days": 3650}).json()
        want = (
            [e.model_dump(mode="json") for e in expected]
            if isinstance(expected, list)
            else expected.model_dump(mode="json")
        )
        assert got == want, path
    histogram = client.get(f"{BASE}/latency-histogram", params={"days": 3650, "tool": "Bash"}).json()
    assert histogram["count"] == per_tool(logs)["Bash"]["timed_count"]
