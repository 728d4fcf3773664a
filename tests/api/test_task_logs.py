"""POST and GET of task logs through the real app, on both databases."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.sample_data import task_log

URL = "/api/v1/observability/task-logs"


def payload(**overrides: Any) -> dict[str, Any]:
    return task_log(**overrides).model_dump(mode="json", exclude_none=True)


def test_post_creates_then_reports_the_existing_id(client: Any) -> None:
    first = client.post(URL, json=payload())
    assert first.status_code == 201
    body = first.json()
    assert body["status"] == "created" and isinstance(body["id"], int)
    again = client.post(URL, json=payload())
    assert again.status_code == 200
    calls = len(payload()["tool_calls"])
    assert body["tool_calls_stored"] == calls and body["tool_calls_repeated"] == 0
    assert again.json() == {"id": body["id"], "status": "exists", "tool_calls_stored": 0, "tool_calls_repeated": calls}
    listed = client.get(URL, params={"adw_id": "abc123"}).json()
    assert listed["count"] == 1


def test_the_specification_example_body_is_accepted(client: Any) -> None:
    body = {
        "adw_id": "abc123",
        "issue_number": 42,
        "phase_name": "Build",
        "phase_number": 3,
        "phase_status": "completed",
        "log_message": "Build phase completed",
        "tool_calls": [
            {
                "tool_name": "Bash",
                "command": "pytest tests/",
                "duration_ms": 1250,
                "success": True,
                "exit_code": 0,
                "timestamp": "2025-12-18T10:00:00Z",
            }
        ],
    }
    response = client.post(URL, json=body)
    assert response.status_code == 201
    stored = client.get(f"{URL}/{response.json()['id']}").json()
    assert stored["tool_calls"][0]["command"] == "pytest tests/"
    assert stored["tool_calls"][0]["timestamp"].startswith("2025-12-18T10:00:00")


def test_get_one_log_round_trips_every_field(client: Any) -> None:
    sent = payload()
    created = client.post(URL, json=sent).json()
    got = client.get(f"{URL}/{created['id']}").json()
    assert got["id"] == created["id"]
    assert [{k: v for k, v in call.items() if v is not None} for call in got["tool_calls"]] == sent["tool_calls"]
    keys = ("adw_id", "phase_name", "cost_usd")
    assert {k: got[k] for k in keys} == {k: sent[k] for k in keys}
    assert client.get(f"{URL}/999999").status_code == 404
    assert client.get(f"{URL}/0").status_code == 422


def test_list_by_adw_id_in_phase_order(client: Any) -> None:
    for number, phase in ((2, "Build"), (1, "Plan")):
        client.post(URL, json=payload(adw_id="run-9", phase_name=phase, phase_number=number))
    client.post(URL, json=payload(adw_id="other"))
    listed = client.get(URL, params={"adw_id": "run-9"}).json()
    assert [log["phase_name"] for log in listed["task_logs"]] == ["Plan", "Build"]
    assert client.get(URL).status_code == 422  # adw_id is required


def test_bad_bodies_get_422_naming_each_field(client: Any) -> None:
    body = payload()
    del body["phase_name"]
    body["tool_calls"][3]["duration_ms"] = -5
    body["tool_calls"][0]["success"] = "perhaps"
    body["surprise"] = 1
    response = client.post(URL, json=body)
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["detail"]}
    assert fields == {"phase_name", "tool_calls[3].duration_ms", "tool_calls[0].success", "surprise"}
    assert "tool_calls[3].duration_ms" in response.json()["message"]
    assert client.get(URL, params={"adw_id": "abc123"}).json()["count"] == 0  # nothing stored


def test_malformed_json_is_422(client: Any) -> None:
    response = client.post(URL, content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 422


def test_token_is_required_for_writes_when_set(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", "s3cret-token")
    assert client.post(URL, json=payload()).status_code == 401
    wrong = client.post(URL, json=payload(), headers={"Authorization": "Bearer s3cret-tokeN"})
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "Bearer"
    # A bad body without the token is still 401: nothing about the body is told to a stranger.
    assert client.post(URL, json={"x": 1}).status_code == 401
    right = client.post(URL, json=payload(), headers={"Authorization": "Bearer s3cret-token"})
    assert right.status_code == 201
    assert client.get(f"{URL}/{right.json()['id']}").status_code == 200  # reads stay open


def test_oversized_bodies_are_refused(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    big = b'{"adw_id": "' + b"x" * (17 * 1024 * 1024) + b'"}'
    response = client.post(URL, content=big, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_streamed_bodies_over_the_limit_are_refused(make_client: Any) -> None:
    small = make_client(max_body=5000)

    async def chunks() -> Any:  # no Content-Length: the limit must be counted as the body arrives
        for _ in range(10):
            yield b" " * 1000

    assert small.post(URL, content=chunks(), headers={"content-type": "application/json"}).status_code == 413
    assert small.post(URL, json=payload(tool_calls=[])).status_code == 201


def test_openapi_lists_every_endpoint(client: Any) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/observability/task-logs",
        "/api/v1/observability/task-logs/{task_log_id}",
        "/api/v1/tool-analytics/summary",
        "/api/v1/tool-analytics/redundancy/{adw_id}",
        "/api/v1/tool-analytics/sequences",
        "/api/v1/tool-analytics/failures",
    } <= set(paths)
    assert client.get("/docs").status_code == 200
