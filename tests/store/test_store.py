"""The repository on both databases: round trips, idempotency, bulk, ordering."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from tests.helpers.sample_data import T0, one_of_each_tool, task_log
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository, make_engine, upgrade


def test_every_field_of_every_tool_round_trips(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    log = task_log()
    result = repository.create(log)
    assert result.created

    stored = repository.get(result.id)
    assert stored is not None
    assert stored.tool_calls == one_of_each_tool()
    sent = log.model_dump(exclude={"log_key"})
    read = stored.model_dump(exclude={"id", "log_key", "captured_at", "created_at"})
    assert read == sent
    assert stored.created_at is not None and stored.created_at.tzinfo is not None


def test_storing_the_same_log_twice_stores_it_once(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    first = repository.create(task_log())
    second = repository.create(task_log())
    assert (second.id, second.log_key, second.created) == (first.id, first.log_key, False)
    assert (second.calls_stored, second.calls_repeated) == (0, first.calls_stored) and first.calls_stored > 0
    assert repository.count() == 1


def test_client_log_key_wins_over_content(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    a = repository.create(task_log(log_key="run-1/Build"))
    b = repository.create(task_log(log_key="run-1/Build", log_message="changed"))
    assert (a.created, b.created, a.id) == (True, False, b.id)
    stored = repository.get(a.id)
    assert stored is not None and stored.log_message == "Build phase completed"


def test_create_many_reports_duplicates_in_order(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    existing = repository.create(task_log(adw_id="run-0"))
    logs = [task_log(adw_id=f"run-{i}") for i in range(5)] + [task_log(adw_id="run-3")]
    results = repository.create_many(logs)
    assert [r.created for r in results] == [False, True, True, True, True, False]
    assert results[0].id == existing.id
    assert results[5].id == results[3].id
    assert repository.count() == 5


def test_create_many_splits_large_batches(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    logs = [TaskLogCreate(adw_id=f"bulk-{i}", phase_name="Plan", phase_status="completed") for i in range(4500)]
    results = repository.create_many(logs)
    assert sum(r.created for r in results) == 4500
    assert len({r.id for r in results}) == 4500
    assert repository.count() == 4500


def test_list_by_adw_id_in_phase_order(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    for number, phase in [(3, "Test"), (1, "Plan"), (2, "Build")]:
        repository.create(task_log(phase_name=phase, phase_number=number))
    repository.create(task_log(adw_id="other"))
    logs = repository.list_by_adw_id("abc123")
    assert [log.phase_name for log in logs] == ["Plan", "Build", "Test"]
    assert repository.list_by_adw_id("missing") == []


def test_get_missing_returns_none(engine: Engine) -> None:
    assert TaskLogRepository(engine).get(999_999) is None


def test_tool_calls_are_stored_without_empty_fields(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    result = repository.create(task_log())
    with engine.connect() as connection:
        raw = connection.execute(
            text("SELECT tool_calls FROM task_logs WHERE id = :id"), {"id": result.id}
        ).scalar_one()
    calls = raw if isinstance(raw, list) else __import__("json").loads(raw)
    assert calls[1] == {
        "tool_name": "Read",
        "duration_ms": 80,
        "success": True,
        "timestamp": "2026-11-20T10:00:00.123000Z",
        "tokens_consumed": 450,
        "cache_hit": True,
        "context_size_before": 45000,
        "file_path": "app/server/routes.py",
        "lines_read": 250,
        "file_size_bytes": 12500,
        "offset": 10,
        "limit": 200,
        "call_id": "toolu_01",
        "turn_id": "msg_01",
        "outcome": "ok",
        "duration_source": "measured",
    }
    assert T0.isoformat().startswith("2026-11-20T10:00:00.123")


def test_data_version_changes_with_every_insert(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    before = repository.data_version()
    repository.create(task_log())
    after = repository.data_version()
    assert before == (0, 0) and after[1] == 1 and after != before


def test_sqlite_uri_url_creates_no_folder_and_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`sqlite:///file:/path?mode=ro&uri=true` is a URI, not a path: no stray `file:` folder (SQLite only)."""
    path = tmp_path / "data" / "nested" / "tooltrack.db"
    writer = make_engine(f"sqlite:///{path}")  # a plain path: its missing folders are created
    try:
        upgrade(writer)
        stored = TaskLogRepository(writer).create(task_log())
    finally:
        writer.dispose()
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)

    reader = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        assert TaskLogRepository(reader).get(stored.id) is not None
        with pytest.raises(DBAPIError, match="readonly"), reader.begin() as connection:
            connection.execute(text("DELETE FROM task_logs"))
    finally:
        reader.dispose()
    assert list(workdir.iterdir()) == []
    assert sorted(p.name for p in path.parent.iterdir() if p.suffix == ".db") == ["tooltrack.db"]
