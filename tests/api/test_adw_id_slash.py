"""A workflow run whose adw_id holds `/` (`feat/issue-42`) is read like any other, on both databases.

Such ids are stored (the models take any text), but before the routes took the rest of the path as
the id (`{adw_id:path}`), `/drilldown/feat/issue-42` and `/redundancy/feat%2Fissue-42` answered
404: the server decodes `%2F` before routing, so the id split the path in two. The plain form and
the encoded one both answer now, for the run asked for and not for a run whose id is a prefix of it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

BASE = "/api/v1/tool-analytics"
IDS = ["feat/issue-42", "a/b/c", "trailing/", "/leading", "feat"]


@pytest.fixture
def stored(client: Any) -> dict[str, int]:
    """Two task logs per adw_id, each with a different number of calls; returns the calls per run."""
    calls: dict[str, int] = {}
    for number, adw_id in enumerate(IDS, start=1):
        for phase in ("Plan", "Build"):
            body = {"adw_id": adw_id, "phase_name": phase, "phase_status": "completed"}
            body["tool_calls"] = [
                {"tool_name": "Read", "success": True, "file_path": "/x.py", "duration_ms": 5} for _ in range(number)
            ]
            assert client.post("/api/v1/observability/task-logs", json=body).status_code == 201
        calls[adw_id] = 2 * number
    return calls


@pytest.mark.parametrize("adw_id", IDS)
@pytest.mark.parametrize("encode", [False, True], ids=["plain", "encoded"])
def test_drilldown_and_redundancy_of_an_id_with_a_slash(
    client: Any, stored: dict[str, int], adw_id: str, encode: bool
) -> None:
    in_path = quote(adw_id, safe="") if encode else adw_id
    drill = client.get(f"{BASE}/drilldown/{in_path}")
    assert drill.status_code == 200, drill.text[:300]
    body = drill.json()
    assert body["adw_id"] == adw_id
    assert [log["phase_name"] for log in body["task_logs"]] == ["Plan", "Build"]
    assert body["tool_calls"] == stored[adw_id]

    redundancy = client.get(f"{BASE}/redundancy/{in_path}")
    assert redundancy.status_code == 200, redundancy.text[:300]
    report = redundancy.json()
    assert (report["adw_id"], report["task_logs"], report["tool_calls"]) == (adw_id, 2, stored[adw_id])
    # The same file read again with nothing written in between: every read after the first.
    assert report["redundant_calls"] == stored[adw_id] - 2


def test_an_id_that_was_never_stored_is_still_empty_not_another_run(client: Any, stored: dict[str, int]) -> None:
    for path in ("feat/issue", "feat%2Fissue-4", "a/b"):
        body = client.get(f"{BASE}/drilldown/{path}").json()
        assert body["task_logs"] == [] and body["tool_calls"] == 0, path
