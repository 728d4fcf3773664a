"""A NUL (U+0000) in any text a read sends into SQL is a 422 naming the parameter, on both databases.

PostgreSQL's text cannot hold U+0000: before tooltrack/api/params.py these reads answered 500
there (and 200 on SQLite). Every GET with a text parameter is listed, so a new route that takes
text without the shared types fails here once it is added to the list.
"""

from __future__ import annotations

from typing import Any

import pytest

BASE = "/api/v1/tool-analytics"
FILTERED = [
    "summary",
    "sequences",
    "failures",
    "redundancy-alerts",
    "calls-over-time",
    "slowest-calls",
    "latency-histogram",
    "latency-over-time",
]
FILTERS = ["tool", "phase", "workflow_template"]

# (url, query parameters, where the NUL is, the parameter's name)
CASES: list[tuple[str, dict[str, str], str, str]] = [
    (f"{BASE}/redundancy/a%00b", {}, "path", "adw_id"),
    (f"{BASE}/drilldown/a%00b", {}, "path", "adw_id"),
    (f"{BASE}/redundancy/%00", {}, "path", "adw_id"),
    ("/api/v1/observability/task-logs", {"adw_id": "a\x00b"}, "query", "adw_id"),
    *((f"{BASE}/{endpoint}", {name: "a\x00b"}, "query", name) for endpoint in FILTERED for name in FILTERS),
]


@pytest.fixture
def stored(client: Any) -> None:
    """One stored log, so a query that reached the database would have rows to look at."""
    body = {"adw_id": "a", "phase_name": "Build", "phase_status": "completed"}
    body["tool_calls"] = [{"tool_name": "Bash", "success": False, "command": "ls", "error_message": "x"}]
    assert client.post("/api/v1/observability/task-logs", json=body).status_code == 201


@pytest.mark.parametrize(("url", "params", "where", "name"), CASES, ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_nul_in_a_read_parameter_is_a_422_naming_it(
    client: Any, stored: None, url: str, params: dict[str, str], where: str, name: str
) -> None:
    response = client.get(url, params=params)
    assert response.status_code == 422, response.text[:300]
    [error] = response.json()["detail"]
    assert (error["field"], error["in"], error["type"]) == (name, where, "string_nul")
    assert "NUL" in error["message"]


def test_the_same_reads_without_the_nul_still_answer(client: Any, stored: None) -> None:
    for url, params, _, _ in CASES:
        clean_url = url.replace("%00", "-")
        clean = {key: value.replace("\x00", "-") for key, value in params.items()}
        response = client.get(clean_url, params=clean)
        assert response.status_code == 200, (clean_url, clean, response.text[:300])
