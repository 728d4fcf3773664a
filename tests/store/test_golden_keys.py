"""Content keys pinned to literal values: the store's, the bulk path's and migration 0003's.

A log sent without a `log_key` is stored under "sha256:" + a hash of its content; a re-send is
recognised only if the hash comes out the same, whatever tooltrack version stored the first copy.
So the keys are written here as literals, computed once, and every way of computing one must give
them: `task_log_key` on the model, `keyed_row` on the JSON dump (the bulk ingest), and the copy
frozen inside migration 0003 (which gives old rows their keys), on its own and through a real
upgrade from 0002 on both databases.

If one of these tests fails, stored keys have changed meaning: every log already stored would be
stored a second time when sent again. Do not update a literal to make a test pass.
"""

from __future__ import annotations

import ast
import importlib.util
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from tooltrack.models import TaskLogCreate
from tooltrack.store import JSONDocument, UTCDateTime, keyed_row, make_engine, task_log_key, upgrade

MIGRATION: Final = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0003_idempotency_keys.py"

#: The fewest fields a task log can have.
MINIMAL: Final[dict[str, Any]] = {"adw_id": "golden-minimal", "phase_name": "Plan", "phase_status": "completed"}

#: Every field of a task log but `log_key` (which, when sent, is the key itself).
EVERY_FIELD: Final[dict[str, Any]] = {
    "adw_id": "golden-every-field",
    "issue_number": 4711,
    "workflow_template": "adw_plan_build",
    "phase_name": "Build",
    "phase_number": 2,
    "phase_status": "failed",
    "log_message": "built the parser, tests red",
    "error_message": "pytest exited with 1",
    "started_at": datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC),
    "completed_at": datetime(2026, 3, 2, 9, 4, 30, 250000, tzinfo=UTC),
    "duration_seconds": 270.25,
    "tokens_used": 183_422,
    "cost_usd": 1.875,
    "tool_calls": [
        {"tool_name": "Bash", "success": False, "duration_ms": 4210, "command": "pytest -q", "exit_code": 1}
    ],
    "source": "api",
}

#: The same without `source`: what a 0002 table (no source column) can hold.
EVERY_FIELD_BUT_SOURCE: Final[dict[str, Any]] = {
    **{name: value for name, value in EVERY_FIELD.items() if name != "source"},
    "adw_id": "golden-every-field-but-source",
}

#: Tool calls of several tools: parameters (nulls inside kept), None fields (dropped), naive and
#: aware timestamps (as text and as datetimes), integers given for floats, floats, unicode.
TOOL_CALLS: Final[dict[str, Any]] = {
    "adw_id": "golden-tool-calls-日本",
    "issue_number": 7,
    "phase_name": "Implement",
    "phase_status": "completed",
    "log_message": "déjà vu — 修正 🔧 «ok»",
    "error_message": None,
    "started_at": datetime(2026, 3, 1, 9, 15, 0),  # naive: taken as UTC
    "completed_at": datetime(2026, 3, 1, 14, 46, 1, 500000, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    "duration_seconds": 61,  # an integer for a float: hashed as 61.0
    "cost_usd": 0.1,
    "tokens_used": None,
    "tool_calls": [
        {
            "tool_name": "Bash",
            "success": True,
            "duration_ms": 1200,
            "timestamp": "2026-03-01T09:15:02",  # naive text
            "command": "grep -rn 'ñandú' src/",
            "exit_code": 0,
            "stdout_lines": 3,
            "stderr_lines": None,
            "cache_hit": None,
        },
        {
            "tool_name": "Read",
            "success": True,
            "duration_ms": 15,
            "timestamp": "2026-03-01T10:15:03.250+01:00",  # aware text, not UTC
            "file_path": "src/über/模块.py",
            "lines_read": 120,
            "offset": 0,
            "limit": 2000,
            "tokens_consumed": 0,
        },
        {
            "tool_name": "Edit",
            "success": False,
            "timestamp": datetime(2026, 3, 1, 9, 15, 4, 1),  # naive datetime, one microsecond
            "error_message": "old_string not found",
            "file_path": "src/über/模块.py",
            "old_string_length": 42,
            "new_string_length": 0,
            "replace_all": False,
            "outcome": "error",
        },
        {
            "tool_name": "Grep",
            "success": True,
            "duration_ms": 0,
            "timestamp": datetime(2026, 3, 1, 4, 15, 5, tzinfo=timezone(timedelta(hours=-5))),
            "pattern": r"def \w+\(",
            "files_matched": 4,
            "total_matches": 9,
        },
        {
            "tool_name": "WebFetch",
            "success": True,
            "duration_ms": 830,
            "timestamp": "2026-03-01T09:15:06Z",
            "url": "https://example.org/ドキュメント?q=1",
            "http_status": 200,
            "response_size_bytes": 51_234,
        },
        {
            "tool_name": "Task",
            "success": True,
            "duration_ms": 95_000,
            "timestamp": "2026-03-01T09:15:07.000001Z",
            "subagent_type": "general-purpose",
            "agent_result": "success",
            "call_id": "toolu_01",
            "turn_id": "turn-3",
            "duration_source": "timestamps",
        },
        {
            "tool_name": "mcp__github__get_issue",
            "success": True,
            "duration_ms": 310,
            "timestamp": None,
            "parent_call_id": "toolu_01",
            "parameters": {
                "owner": "acme",
                "issue_number": 12,
                "ratio": 0.5,
                "whole": 1.0,
                "tiny": 2.5e-05,
                "negative": -3,
                "labels": ["bug", None, "🐛"],
                "options": {"state": None, "verbose": True, "ключ": "значение"},
            },
        },
    ],
}

#: name -> (payload, its content key). Computed once with the code of the day they were written.
GOLDEN: Final[dict[str, tuple[dict[str, Any], str]]] = {
    "minimal": (MINIMAL, "sha256:e5bc3f25b2dd2ae288d74ad4ac7d9d8d3851be3609ee90628397af72dff18f6a"),
    "every-field": (EVERY_FIELD, "sha256:1add6f713dc30323bd225ecfa658798d7a4ed488cba5b4a32cde4fdcf07f839c"),
    "every-field-but-source": (
        EVERY_FIELD_BUT_SOURCE,
        "sha256:dfbfb35901cf0d3eae7047a56ed4345325e325d644911863f3be421be71681ae",
    ),
    "tool-calls": (TOOL_CALLS, "sha256:0d1fe35d392dcd4d145f30e61b80846db0bdb4aec3fe88cb6dcfa8560e7295bd"),
}

#: The payloads a 0002 table can hold (it has no source column).
AT_0002: Final = ("minimal", "every-field-but-source", "tool-calls")


@pytest.fixture(scope="module")
def migration() -> ModuleType:
    """Migration 0003 loaded from its file, as Alembic loads it (not entered in sys.modules)."""
    spec = importlib.util.spec_from_file_location("tooltrack_migration_0003", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_literals_are_whole_keys() -> None:
    keys = [key for _, key in GOLDEN.values()]
    assert all(key.startswith("sha256:") and len(key) == 71 and int(key[7:], 16) >= 0 for key in keys)
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("name", GOLDEN)
def test_task_log_key(name: str) -> None:
    payload, key = GOLDEN[name]
    assert task_log_key(TaskLogCreate.model_validate(payload)) == key


@pytest.mark.parametrize("name", GOLDEN)
def test_bulk_keyed_row(name: str) -> None:
    payload, key = GOLDEN[name]
    row = keyed_row(TaskLogCreate.model_validate(payload).model_dump(mode="json", exclude_none=True))
    assert row["log_key"] == key


@pytest.mark.parametrize("name", GOLDEN)
def test_migration_0003_frozen_key(migration: ModuleType, name: str) -> None:
    payload, key = GOLDEN[name]
    assert migration._content_key(payload) == key


def test_a_client_key_is_not_a_content_key(migration: ModuleType) -> None:
    # The bulk path and task_log_key take the client's own key; 0003 never sees one (no column
    # while downgraded), so it hashes the content only.
    payload, key = GOLDEN["minimal"]
    assert task_log_key(TaskLogCreate.model_validate({**payload, "log_key": "client/1"})) == "client/1"
    assert migration._content_key(payload) == key


def _nested(lists: int) -> Any:
    """1 inside `lists` nested lists."""
    value: Any = 1
    for _ in range(lists):
        value = [value]
    return value


#: Rows no task log can come from, for the reason named: 0003 leaves them without a key (NULL).
INVALID: Final[dict[str, dict[str, Any]]] = {
    "blank status": {**MINIMAL, "phase_status": ""},
    "NUL in text": {**MINIMAL, "log_message": "a\x00b"},
    "issue beyond int4": {**MINIMAL, "issue_number": 2**31},
    "negative cost": {**MINIMAL, "cost_usd": -0.5},
    "name too long": {**MINIMAL, "workflow_template": "x" * 201},
    "tool calls not a list": {**MINIMAL, "tool_calls": {"tool_name": "Bash"}},
    "unknown call field": {**MINIMAL, "tool_calls": [{"tool_name": "Bash", "success": True, "colour": "red"}]},
    "blank tool name": {**MINIMAL, "tool_calls": [{"tool_name": "  ", "success": True}]},
    "call time before year 1 in UTC": {
        **MINIMAL,
        "tool_calls": [{"tool_name": "Bash", "success": True, "timestamp": "0001-01-01T00:00:00+05:00"}],
    },
    "unknown outcome": {**MINIMAL, "tool_calls": [{"tool_name": "Bash", "success": True, "outcome": "maybe"}]},
    "parameters too deep": {
        **MINIMAL,
        "tool_calls": [{"tool_name": "X", "success": True, "parameters": {"a": _nested(32)}}],  # level 33
    },
    "lone surrogate in parameters": {
        **MINIMAL,
        "tool_calls": [{"tool_name": "X", "success": True, "parameters": {"a": "\udfff"}}],
    },
    "integer beyond 64 bits in parameters": {
        **MINIMAL,
        "tool_calls": [{"tool_name": "X", "success": True, "parameters": {"a": 2**63}}],
    },
}


@pytest.mark.parametrize("reason", INVALID)
def test_migration_0003_gives_no_key_to_an_invalid_row(migration: ModuleType, reason: str) -> None:
    assert migration._content_key(INVALID[reason]) is None
    # As TaskLogCreate did when 0003 was written (a later change of the models may end this half).
    with pytest.raises(ValidationError):
        TaskLogCreate.model_validate(INVALID[reason])


def test_parameters_at_the_deepest_allowed_level_still_get_a_key(migration: ModuleType) -> None:
    # The parameters dict is level 1, these lists are levels 2..32.
    payload = {**MINIMAL, "tool_calls": [{"tool_name": "X", "success": True, "parameters": {"a": _nested(31)}}]}
    assert migration._content_key(payload) == task_log_key(TaskLogCreate.model_validate(payload))
    assert migration._content_key(payload) is not None


def test_migration_0003_imports_no_models_and_no_key_function() -> None:
    """Only column types come from tooltrack (the store's front): nothing whose later changes
    would change what 0003 does to an old database."""
    tree = ast.parse(MIGRATION.read_text())
    imported = {
        (node.module, alias.name)
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tooltrack")
        for alias in node.names
    }
    plain = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported <= {("tooltrack.store", "JSONDocument"), ("tooltrack.store", "UTCDateTime")}
    assert not {name for name in plain if name.startswith("tooltrack")}


# -- a real upgrade from 0002 --------------------------------------------------------------------

#: task_logs as it is at 0002.
TASK_LOGS_AT_0002: Final = sa.table(
    "task_logs",
    sa.column("id", sa.Integer),
    sa.column("adw_id", sa.Text),
    sa.column("issue_number", sa.Integer),
    sa.column("workflow_template", sa.Text),
    sa.column("phase_name", sa.Text),
    sa.column("phase_number", sa.Integer),
    sa.column("phase_status", sa.Text),
    sa.column("log_message", sa.Text),
    sa.column("error_message", sa.Text),
    sa.column("started_at", UTCDateTime),
    sa.column("completed_at", UTCDateTime),
    sa.column("duration_seconds", sa.Float),
    sa.column("tokens_used", sa.Integer),
    sa.column("cost_usd", sa.Float),
    sa.column("tool_calls", JSONDocument),
)


def _as_sent(payload: dict[str, Any]) -> dict[str, Any]:
    """The row of `payload` with its tool calls just as the client sent them (nulls, offsets, ...)."""
    return {"tool_calls": [_jsonable(call) for call in payload.get("tool_calls", [])], **_columns(payload)}


def _as_stored(payload: dict[str, Any]) -> dict[str, Any]:
    """The row as tooltrack stored it then: the tool calls dumped (no nulls, UTC times ending in Z)."""
    dumped = TaskLogCreate.model_validate(payload).model_dump(mode="json", exclude_none=True)
    return {"tool_calls": dumped["tool_calls"], **_columns(payload)}


def _columns(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in payload.items() if name != "tool_calls"}


def _jsonable(call: dict[str, Any]) -> dict[str, Any]:
    return {name: value.isoformat() if isinstance(value, datetime) else value for name, value in call.items()}


@pytest.mark.parametrize("shape", [_as_sent, _as_stored], ids=["calls-as-sent", "calls-as-stored"])
def test_upgrading_from_0002_gives_old_rows_the_golden_keys(blank_database_url: str, shape: Any) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine, "0002")
        with engine.begin() as connection:
            ids = {
                name: connection.execute(
                    TASK_LOGS_AT_0002.insert().values(shape(GOLDEN[name][0])).returning(TASK_LOGS_AT_0002.c.id)
                ).scalar_one()
                for name in AT_0002
            }

        upgrade(engine, "0003")

        with engine.connect() as connection:
            keys: dict[int, str | None] = {
                id_: key for id_, key in connection.execute(sa.text("SELECT id, log_key FROM task_logs"))
            }
        assert {name: keys[id_] for name, id_ in ids.items()} == {name: GOLDEN[name][1] for name in AT_0002}
    finally:
        engine.dispose()
