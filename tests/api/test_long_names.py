"""A task log whose names are the longest that validate is a 201 on both databases, and read back as sent.

Three consecutive tools, the template and the phase, each 200 characters above U+FFFF (800 bytes
of UTF-8): PostgreSQL answered 500 (`index row size 3240 exceeds btree version 4 maximum 2704 for
index "rollup_sequence_daily_pkey"`) and SQLite 201, until the rollups were keyed by a hash of
their names (migration 0007). tests/analytics/test_long_names.py checks every analysis on such names.
"""

from __future__ import annotations

from typing import Any

from tooltrack.core import MAX_NAME


def _name(first: int) -> str:
    """MAX_NAME distinct characters from U+`first` up, each 4 bytes in UTF-8."""
    return "".join(chr(first + 7 * i) for i in range(MAX_NAME))


def test_the_longest_names_are_a_201_and_come_back_as_sent(client: Any) -> None:
    tools = [_name(0x20000 + 5000 * k) for k in range(3)]
    template, phase = _name(0x30000), _name(0x31000)
    command = _name(0x32000) + " --flag"
    body = {
        "adw_id": _name(0x33000),
        "workflow_template": template,
        "phase_name": phase,
        "phase_status": "completed",
        "tool_calls": [
            *({"tool_name": tool, "success": True, "duration_ms": 40_000} for tool in tools),
            {"tool_name": "Bash", "success": False, "command": command, "error_message": "boom", "duration_ms": 3},
        ],
    }
    assert len("".join([template, phase, *tools]).encode()) == 5 * 4 * MAX_NAME
    response = client.post("/api/v1/observability/task-logs", json=body)
    assert response.status_code == 201, response.text[:300]

    base = "/api/v1/tool-analytics"
    summary = client.get(f"{base}/summary", params={"days": 3650}).json()
    assert set(summary["by_tool"]) == {*tools, "Bash"}
    assert [c["command"] for c in summary["top_commands"]] == [_name(0x32000)]
    assert [g["name"] for g in summary["by_phase"]] == [phase]
    assert [g["name"] for g in summary["by_workflow_template"]] == [template]
    sequences = client.get(f"{base}/sequences", params={"days": 3650, "n": 3, "min_count": 1}).json()
    assert sorted(s["tools"] for s in sequences["sequences"]) == sorted([tools, [*tools[1:], "Bash"]])
    slow = client.get(f"{base}/slowest-calls", params={"days": 3650, "tool": tools[2]}).json()
    assert [c["tool_name"] for c in slow] == [tools[2]]
    failures = client.get(f"{base}/failures", params={"days": 3650, "phase": phase}).json()
    assert failures["total"] == 1
