"""The bulk write path (COPY on PostgreSQL) stores exactly what the generic write path stores."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import Engine

from tests.helpers.sample_data import task_log
from tooltrack.models import TaskLogCreate
from tooltrack.store import DERIVED, InsertedLog, TaskLogRepository
from tooltrack.store import bulk as bulk_module
from tooltrack.store.bulk import bulk_write_task_logs, json_row
from tooltrack.store.keys import task_log_key
from tooltrack.store.repository import to_row


def _logs() -> list[TaskLogCreate]:
    tricky = task_log(
        adw_id="tab\there",
        log_message="line one\nline two\\ with a backslash and a \r return, and \u00e9\u4e2d\U0001f680",
        error_message=None,
    )
    return [task_log(adw_id=f"run-{i}") for i in range(3)] + [tricky, task_log(log_key="client-key-1")]


def test_json_row_matches_to_row() -> None:
    for log in _logs():
        row = json_row(log)
        assert row["log_key"] == task_log_key(log)
        reference = to_row(log)
        assert row["tool_calls"] == reference["tool_calls"]
        assert row.get("log_message") == reference["log_message"]


def test_bulk_round_trip_and_duplicates(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[list[int]] = []
    original = DERIVED.after_insert

    def spy(connection, inserted: Sequence[InsertedLog]) -> None:  # type: ignore[no-untyped-def]
        seen.append([log.id for log in inserted])
        original(connection, inserted)

    monkeypatch.setattr(DERIVED, "after_insert", spy)
    repository = TaskLogRepository(engine)
    existing = repository.create(task_log(adw_id="run-1"))
    seen.clear()
    logs = _logs()
    with engine.begin() as connection:
        results = bulk_write_task_logs(connection, [*logs, logs[0]])
    assert [r.created for r in results] == [True, False, True, True, True, False]
    assert results[1].id == existing.id and results[5].id == results[0].id
    # The derived structures saw only the rows really inserted, once each.
    assert sorted(i for batch in seen for i in batch) == sorted(r.id for r in results if r.created)
    for log, result in zip(logs, results, strict=False):
        stored = repository.get(result.id)
        assert stored is not None
        assert stored.model_dump(exclude={"id", "log_key", "captured_at", "created_at"}) == log.model_dump(
            exclude={"log_key"}
        )
        assert stored.log_key == task_log_key(log)
        assert stored.created_at is not None


def test_concurrent_writer_falls_back_to_upsert(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    repository = TaskLogRepository(engine)
    first = repository.create(task_log(adw_id="run-0"))
    # As if another writer stored run-0 between the key lookup and the COPY.
    monkeypatch.setattr(bulk_module, "ids_for_keys", lambda connection, keys: {})
    with engine.begin() as connection:
        results = bulk_write_task_logs(connection, [task_log(adw_id="run-0"), task_log(adw_id="run-9")])
    assert [r.created for r in results] == [False, True]
    assert results[0].id == first.id
    assert repository.count() == 2
