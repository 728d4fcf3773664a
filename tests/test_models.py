from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from tooltrack.models import TaskLogCreate, ToolCallRecord, describe_validation_error


def test_any_non_empty_tool_name_is_accepted() -> None:
    for name in ["Glob", "MultiEdit", "TodoWrite", "mcp__github__create_issue", "Bash"]:
        assert ToolCallRecord(tool_name=name, success=True).tool_name == name


@pytest.mark.parametrize("name", ["", "   "])
def test_blank_tool_name_is_rejected(name: str) -> None:
    with pytest.raises(ValidationError) as info:
        ToolCallRecord(tool_name=name, success=True)
    assert "tool_name" in describe_validation_error(info.value)


def test_known_tools_are_flagged() -> None:
    assert ToolCallRecord(tool_name="Read", success=True).is_known_tool
    assert not ToolCallRecord(tool_name="Glob", success=True).is_known_tool


def test_error_names_field_and_position() -> None:
    payload = {
        "adw_id": "a1",
        "phase_name": "Build",
        "phase_status": "completed",
        "tool_calls": [{"tool_name": "Read", "success": True}] * 3
        + [{"tool_name": "Bash", "success": True, "duration_ms": -5}],
    }
    with pytest.raises(ValidationError) as info:
        TaskLogCreate.model_validate(payload)
    message = describe_validation_error(info.value)
    assert message.startswith("tool_calls[3].duration_ms:")
    assert "greater than or equal to 0" in message


def test_naive_timestamps_are_taken_as_utc() -> None:
    call = ToolCallRecord(tool_name="Read", success=True, timestamp=datetime(2026, 1, 2, 3, 4, 5))
    assert call.timestamp == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_nan_and_infinity_are_rejected(value: float) -> None:
    with pytest.raises(ValidationError) as info:
        TaskLogCreate(adw_id="a", phase_name="Build", phase_status="completed", cost_usd=value)
    assert "cost_usd" in describe_validation_error(info.value)


def test_unknown_fields_are_named() -> None:
    with pytest.raises(ValidationError) as info:
        ToolCallRecord.model_validate({"tool_name": "Read", "success": True, "colour": "red"})
    assert describe_validation_error(info.value).startswith("colour:")


def test_missing_duration_is_not_zero() -> None:
    assert ToolCallRecord(tool_name="Read", success=True).duration_ms is None
