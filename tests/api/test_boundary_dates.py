"""Dates at the edges of the calendar are a 422 naming the parameter, never a 500, on every endpoint.

A window is computed from `start` / `end` / `days` with date arithmetic (its first day, the day
after its last, the period before it), and Python's dates end at 0001-01-01 and 9999-12-31: before
tooltrack/analytics/filters.py bounded them, `summary?end=0001-01-05` (30 days back from 5 January
of year 1) and `summary?start=9999-12-31` raised OverflowError inside the service (500). Every
endpoint that takes the filters is listed, each with every boundary case, on both databases.
"""

from __future__ import annotations

from typing import Any

import pytest

from tooltrack.analytics import EARLIEST_DAY, LATEST_DAY

BASE = "/api/v1/tool-analytics"
FILTERED = [
    "summary",
    "sequences",
    "failures",
    "redundancy-alerts",
    "calls-over-time",
    "slowest-calls",
    "latency-histogram",
]

# (query, the parameters the 422 must name)
BOUNDARY: list[tuple[dict[str, str], set[str]]] = [
    ({"end": "0001-01-05"}, {"end"}),
    ({"start": "9999-12-31"}, {"start"}),
    ({"end": "0001-12-31", "days": "3650"}, {"end"}),
    ({"end": "0001-01-01", "days": "1"}, {"end"}),
    ({"start": "0001-01-01", "end": "0001-01-05"}, {"start", "end"}),
    ({"start": "9999-12-31", "end": "9999-12-31"}, {"start", "end"}),
    ({"start": "9999-12-30", "end": "9999-12-31"}, {"end"}),
    # The end itself is in range, but the 3650 days before it are not.
    ({"end": (EARLIEST_DAY.replace(year=EARLIEST_DAY.year + 1)).isoformat(), "days": "3650"}, {"end"}),
]
# The last windows that fit: answered, with nothing in them.
INSIDE: list[dict[str, str]] = [
    {"start": EARLIEST_DAY.isoformat(), "end": EARLIEST_DAY.isoformat()},
    {"start": LATEST_DAY.isoformat(), "end": LATEST_DAY.isoformat()},
    {"start": LATEST_DAY.isoformat()},
    {"end": LATEST_DAY.isoformat(), "days": "3650"},
]


def _id(query: dict[str, str]) -> str:
    return "&".join(f"{key}={value}" for key, value in query.items())


@pytest.fixture
def stored(client: Any) -> None:
    """One stored log, so a query that reached the database would have rows to look at."""
    body = {"adw_id": "a", "phase_name": "Build", "phase_status": "completed"}
    body["tool_calls"] = [{"tool_name": "Bash", "success": False, "command": "ls", "error_message": "x"}]
    assert client.post("/api/v1/observability/task-logs", json=body).status_code == 201


@pytest.mark.parametrize("endpoint", FILTERED)
@pytest.mark.parametrize(("query", "named"), BOUNDARY, ids=[_id(q) for q, _ in BOUNDARY])
def test_a_date_beyond_the_calendar_is_a_422_naming_it(
    client: Any, stored: None, endpoint: str, query: dict[str, str], named: set[str]
) -> None:
    response = client.get(f"{BASE}/{endpoint}", params=query)
    assert response.status_code == 422, response.text[:300]
    errors = response.json()["detail"]
    assert {e["field"] for e in errors} == named, errors
    assert all(e["in"] == "query" for e in errors)
    # The message says what the bound is, so the caller can fix the request.
    assert all(EARLIEST_DAY.isoformat() in e["message"] or LATEST_DAY.isoformat() in e["message"] for e in errors)


@pytest.mark.parametrize("endpoint", FILTERED)
@pytest.mark.parametrize("query", INSIDE, ids=[_id(q) for q in INSIDE])
def test_the_last_windows_inside_the_bounds_answer(
    client: Any, stored: None, endpoint: str, query: dict[str, str]
) -> None:
    response = client.get(f"{BASE}/{endpoint}", params=query)
    assert response.status_code == 200, response.text[:300]
