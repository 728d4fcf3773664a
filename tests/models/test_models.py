from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from tooltrack.models import (
    INT32_MAX,
    INT64_MAX,
    INT64_MIN,
    MAX_DURATION_MS,
    MAX_PARAMETERS_DEPTH,
    TaskLogCreate,
    ToolCallRecord,
    describe_validation_error,
)

BASE: dict[str, Any] = {"adw_id": "a1", "phase_name": "Build", "phase_status": "completed"}
NUL_MESSAGE = "text must not contain a NUL character (U+0000)"


def test_any_non_empty_tool_name_is_accepted() -> None:
    for name in ["Glob", "MultiEdit", "TodoWrite", "mcp__github__create_issue", "Bash"]:
        assert ToolCallRecord(tool_name=name, success=True).tool_name == name


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "String should have at least 1 character"), ("   ", "Value error, tool_name must not be blank")],
)
def test_blank_tool_name_is_rejected(name: str, message: str) -> None:
    with pytest.raises(ValidationError) as info:
        ToolCallRecord(tool_name=name, success=True)
    assert describe_validation_error(info.value) == f"tool_name: {message}"


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


# -- what validates can be stored: 422 at the door, never a 500 at the INSERT -------------------


def _error(payload: dict[str, Any]) -> str:
    """The one-line description of why `payload` (a task log) does not validate."""
    with pytest.raises(ValidationError) as info:
        TaskLogCreate.model_validate(payload)
    return describe_validation_error(info.value)


def _log_with_call(**fields: Any) -> dict[str, Any]:
    """A task log whose second tool call has `fields` (so paths show the index)."""
    calls = [{"tool_name": "Read", "success": True}, {"tool_name": "X", "success": True, **fields}]
    return {**BASE, "tool_calls": calls}


def _free_text_fields(model: type[BaseModel], base: dict[str, Any]) -> list[str]:
    """The fields of `model` that take any short text (found by trying one, not by a list)."""
    found = []
    for name in model.model_fields:
        if name in base or name == "tool_calls":
            continue
        try:
            model.model_validate({**base, name: "plain text"})
        except ValidationError:
            continue  # a literal, a number, a timestamp
        found.append(name)
    return found


def test_nul_is_refused_in_every_text_field_with_its_path() -> None:
    call_base = {"tool_name": "X", "success": True}
    log_fields = [*_free_text_fields(TaskLogCreate, BASE), *BASE]
    call_fields = [*_free_text_fields(ToolCallRecord, call_base), "tool_name"]
    # The discovery finds the fields it should (so an empty list cannot pass for a fix).
    assert {"adw_id", "phase_name", "log_message", "log_key", "source"} <= set(log_fields)
    assert {"tool_name", "command", "file_path", "url", "pattern", "error_message", "call_id"} <= set(call_fields)
    for name in log_fields:
        assert _error({**BASE, name: "a\x00b"}) == f"{name}: {NUL_MESSAGE}"
    for name in call_fields:
        assert _error(_log_with_call(**{name: "a\x00b"})) == f"tool_calls[1].{name}: {NUL_MESSAGE}"


@pytest.mark.parametrize("name", ["issue_number", "phase_number", "tokens_used"])
def test_int32_columns_are_bounded(name: str) -> None:
    assert getattr(TaskLogCreate.model_validate({**BASE, name: INT32_MAX}), name) == INT32_MAX
    assert _error({**BASE, name: INT32_MAX + 1}) == f"{name}: Input should be less than or equal to {INT32_MAX}"
    assert _error({**BASE, name: -1}) == f"{name}: Input should be greater than or equal to 0"


def test_duration_is_bounded_so_rollup_sums_cannot_overflow() -> None:
    # The rollups add durations in 64-bit counters; 2**63-1 in one call would block its group.
    assert _accepts("duration_ms", MAX_DURATION_MS)
    assert _error(_log_with_call(duration_ms=MAX_DURATION_MS + 1)) == (
        f"tool_calls[1].duration_ms: Input should be less than or equal to {MAX_DURATION_MS}"
    )


def test_every_int_of_a_tool_call_is_within_64_bits() -> None:
    ints = [
        name
        for name in ToolCallRecord.model_fields
        if name != "http_status" and _accepts(name, 7) and not _accepts(name, 7.5)  # not timestamp
    ]
    assert {"duration_ms", "exit_code", "tokens_consumed", "file_size_bytes", "response_size_bytes"} <= set(ints)
    ints.remove("duration_ms")  # bounded tighter: see the next test
    for name in ints:
        assert _accepts(name, INT64_MAX)
        assert _error(_log_with_call(**{name: INT64_MAX + 1})) == (
            f"tool_calls[1].{name}: Input should be less than or equal to {INT64_MAX}"
        )
    # exit_code alone may be negative (signals), down to the 64-bit minimum.
    assert _accepts("exit_code", INT64_MIN)
    assert _error(_log_with_call(exit_code=INT64_MIN - 1)) == (
        f"tool_calls[1].exit_code: Input should be greater than or equal to {INT64_MIN}"
    )


def _accepts(name: str, value: Any) -> bool:
    try:
        ToolCallRecord.model_validate({"tool_name": "X", "success": True, name: value})
    except ValidationError:
        return False
    return True


def _nested(levels: int) -> dict[str, Any]:
    """`parameters` with `levels` dicts, the outermost included."""
    value: Any = 1
    for _ in range(levels):
        value = {"a": value}
    return value


class Colour(enum.StrEnum):
    BAD = "red\x00"


@pytest.mark.parametrize(
    ("parameters", "where", "reason"),
    [
        ({"x": {"y": [1, "a\x00b"]}}, "x.y[1]", "contains a NUL character (U+0000), which PostgreSQL cannot store"),
        ({"ok": 1, "k\x00": 1}, "k\\x00", "its key contains a NUL character (U+0000), which PostgreSQL cannot store"),
        ({"x": ["\udfff"]}, "x[0]", "contains a lone UTF-16 surrogate, which is not valid Unicode"),
        ({"\ud800": 1}, "\\ud800", "its key contains a lone UTF-16 surrogate, which is not valid Unicode"),
        ({"n": 2**63}, "n", "is an integer beyond 64 bits"),
        ({"n": [-(2**63) - 1]}, "n[0]", "is an integer beyond 64 bits"),
        ({"f": float("nan")}, "f", "is NaN or Infinity, which JSON cannot hold"),
        ({"f": {"g": float("-inf")}}, "f.g", "is NaN or Infinity, which JSON cannot hold"),
        ({"colour": Colour.BAD}, "colour", "contains a NUL character (U+0000), which PostgreSQL cannot store"),
        ({"tags": ({"a\x00"},)}, "tags[0][0]", "contains a NUL character (U+0000), which PostgreSQL cannot store"),
        (_nested(MAX_PARAMETERS_DEPTH + 1), ".".join(["a"] * MAX_PARAMETERS_DEPTH), "nests deeper than 32 levels"),
    ],
    ids=["nul", "nul-key", "surrogate", "surrogate-key", "int64", "int64-min", "nan", "inf", "enum", "set", "depth"],
)
def test_parameters_must_be_storable_json(parameters: dict[str, Any], where: str, reason: str) -> None:
    assert _error(_log_with_call(parameters=parameters)) == (
        f"tool_calls[1].parameters: cannot be stored: at {where}: {reason}"
    )


def test_storable_parameters_pass_unchanged() -> None:
    parameters = {
        "deep": _nested(MAX_PARAMETERS_DEPTH - 1),
        "limits": [INT64_MIN, INT64_MAX, 1.5, True, None],
        "unicode": {"ключ": "значение ✓", "emoji": "🎉"},
        "escaped": "a\\u0000b",
    }
    call = ToolCallRecord(tool_name="X", success=True, parameters=parameters)
    assert call.parameters == parameters


def test_parameters_from_json_text_are_checked_too() -> None:
    """The bulk path validates JSON text (pydantic-core parses it): the same rules hold."""
    with pytest.raises(ValidationError) as info:
        ToolCallRecord.model_validate_json(b'{"tool_name":"X","success":true,"parameters":{"n":NaN,"s":"x"}}')
    assert describe_validation_error(info.value) == (
        "parameters: cannot be stored: at n: is NaN or Infinity, which JSON cannot hold"
    )
    with pytest.raises(ValidationError) as info:
        ToolCallRecord.model_validate_json(b'{"tool_name":"X","success":true,"parameters":{"s":"a\\u0000"}}')
    assert "at s: contains a NUL character" in describe_validation_error(info.value)


def test_time_out_of_range_in_utc_is_a_validation_error() -> None:
    assert _error({**BASE, "started_at": "0001-01-01T00:00:00+05:00"}) == (
        "started_at: time out of range once converted to UTC"
    )
    assert _error(_log_with_call(timestamp="9999-12-31T23:00:00-05:00")) == (
        "tool_calls[1].timestamp: time out of range once converted to UTC"
    )


def test_every_rule_is_annotated_metadata_so_a_derived_validator_keeps_it() -> None:
    """No validator methods: a TypedDict built from `model_fields` enforces the same rules."""
    for model in (ToolCallRecord, TaskLogCreate):
        decorators = model.__pydantic_decorators__
        assert not decorators.field_validators and not decorators.model_validators
    fields = {
        name: Annotated[f.annotation, *f.metadata] if f.metadata else f.annotation
        for name, f in ToolCallRecord.model_fields.items()
    }
    derived = TypeAdapter(TypedDict("DerivedCall", fields, total=False))  # type: ignore[operator]
    for bad, message in [
        ({"tool_name": "  "}, "tool_name must not be blank"),
        ({"command": "a\x00"}, NUL_MESSAGE),
        ({"exit_code": INT64_MAX + 1}, "less than or equal to"),
        ({"parameters": {"x": "\x00"}}, "cannot be stored: at x"),
    ]:
        with pytest.raises(ValidationError) as info:
            derived.validate_python({"tool_name": "X", "success": True, **bad})
        assert message in describe_validation_error(info.value)
