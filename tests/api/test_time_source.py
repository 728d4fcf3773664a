"""A task log's `time_source` (where an approximate time came from) comes back on every read of the API."""

from __future__ import annotations

from typing import Any

from tests.helpers.sample_data import task_log

LOGS = "/api/v1/observability/task-logs"


def test_time_source_is_read_back_by_id_by_run_and_in_the_drilldown(client: Any) -> None:
    undated = task_log(adw_id="run-approx", phase_name="Plan", time_source="file_mtime", log_key="approx-1")
    dated = task_log(adw_id="run-approx", phase_name="Build", log_key="approx-2")
    ids = []
    for log in (undated, dated):
        response = client.post(LOGS, json=log.model_dump(mode="json", exclude_none=True))
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    assert [client.get(f"{LOGS}/{i}").json()["time_source"] for i in ids] == ["file_mtime", None]
    listed = client.get(LOGS, params={"adw_id": "run-approx"}).json()
    body = listed.get("task_logs", listed.get("items", listed))
    assert sorted((log["phase_name"], log["time_source"]) for log in body) == [("Build", None), ("Plan", "file_mtime")]
    drill = client.get("/api/v1/tool-analytics/drilldown/run-approx").json()
    assert {log["phase_name"]: log["time_source"] for log in drill["task_logs"]} == {
        "Plan": "file_mtime",
        "Build": None,
    }


def test_an_unknown_time_source_is_refused(client: Any) -> None:
    body = task_log(adw_id="run-approx").model_dump(mode="json", exclude_none=True) | {"time_source": "guess"}
    response = client.post(LOGS, json=body)
    assert response.status_code == 422 and "time_source" in response.text
