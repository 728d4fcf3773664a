"""Migrations down and up with data present, on both databases, and exactly one head.

Complements tests/test_migrations.py (which goes down to 0001 and back once): here every
revision is visited in turn, with task logs and their rollups present, and what each step keeps
is checked against what the revision's downgrade says it drops.
"""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select

from tests.helpers.db import stored_count
from tests.helpers.derived_check import differences
from tests.helpers.logs import make_log, make_payload
from tooltrack.models import TaskLogCreate
from tooltrack.store import DERIVED, TaskLogRepository, make_engine
from tooltrack.store.keys import task_log_key
from tooltrack.store.migrate import alembic_config, current_revision, downgrade, head_revisions, upgrade
from tooltrack.store.repository import to_row
from tooltrack.store.schema import task_logs

SAVED_KEYS = "tooltrack_saved_log_keys"

LOGS = 24
CALLS = 6


def _chain() -> list[str]:
    """Revisions from the first to the head, checking the history is one straight line."""
    script = ScriptDirectory.from_config(alembic_config())
    revisions = list(script.walk_revisions("base", "heads"))
    for revision in revisions:
        assert not isinstance(revision.down_revision, tuple), f"{revision.revision} is a merge point"
    return [r.revision for r in reversed(revisions)]


def test_exactly_one_head_and_a_straight_history() -> None:
    chain = _chain()
    assert head_revisions() == [chain[-1]]
    assert len(chain) == len(set(chain)) >= 3


@pytest.mark.parametrize("target", _chain()[:-1])
def test_down_to_each_revision_and_back_keeps_the_rows(blank_database_url: str, target: str) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        logs = [make_log(i, calls=CALLS) for i in range(LOGS)]
        TaskLogRepository(engine).create_many(logs)
        assert differences(engine) == {}

        downgrade(engine, target)
        assert current_revision(engine) == target
        assert stored_count(engine) == LOGS
        columns = {c["name"] for c in inspect(engine).get_columns("task_logs")}
        assert ("tool_calls" in columns) == (target >= "0002")
        assert ("log_key" in columns) == (target >= "0003")

        upgrade(engine)
        assert current_revision(engine) == head_revisions()[0]
        repository = TaskLogRepository(engine)
        assert repository.count() == LOGS
        stored = {log.log_message: log for run in range(LOGS // 4) for log in repository.list_by_adw_id(f"rel-{run}")}
        assert set(stored) == {log.log_message for log in logs}
        for log in logs:
            kept = stored[log.log_message]
            assert (kept.adw_id, kept.phase_name, kept.started_at) == (log.adw_id, log.phase_name, log.started_at)
            # Below 0002 the tool_calls column is dropped (documented); otherwise every call survives.
            assert kept.tool_calls == (log.tool_calls if target >= "0002" else [])
        # Rollups dropped on the way down come back empty: `tooltrack rollups rebuild` refills
        # them, after which they agree with task_logs again.
        with engine.begin() as connection:
            DERIVED.rebuild_all(connection)
        assert differences(engine) == {}
    finally:
        engine.dispose()


def _keys_by_id(engine: Engine) -> dict[int, tuple[str | None, str | None]]:
    with engine.connect() as connection:
        query = select(task_logs.c.id, task_logs.c.log_key, task_logs.c.source)
        return {row.id: (row.log_key, row.source) for row in connection.execute(query)}


#: The columns of task_logs at 0002 (0001's and tool_calls), all a row could hold then.
_COLUMNS_BEFORE_0003 = frozenset(
    {
        "adw_id", "issue_number", "workflow_template", "phase_name", "phase_number", "phase_status",
        "log_message", "error_message", "started_at", "completed_at", "duration_seconds", "tokens_used",
        "cost_usd", "tool_calls",
    }
)  # fmt: skip


def _store_as_before_0003(engine: Engine, logs: list[TaskLogCreate]) -> list[int]:
    """Store `logs` as tooltrack did before 0003 existed: no key, no source, duplicates kept."""
    rows = [{name: value for name, value in to_row(log).items() if name in _COLUMNS_BEFORE_0003} for log in logs]
    with engine.begin() as connection:
        return [
            connection.execute(task_logs.insert().values(row).returning(task_logs.c.id)).scalar_one() for row in rows
        ]


def _keyless(i: int, namespace: str) -> TaskLogCreate:
    """Log `i` as an old client sent it: no log_key, no source (so its content hash is its key)."""
    payload = make_payload(i, namespace=namespace)
    payload.pop("log_key", None)
    payload.pop("source")
    return TaskLogCreate.model_validate(payload)


@pytest.mark.parametrize("target", ["0002", "0001"])
def test_keys_survive_a_downgrade_below_0003(blank_database_url: str, target: str) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        logs = [make_log(i) for i in range(8)]  # even: client keys, odd: content keys
        first = TaskLogRepository(engine).create_many(logs)
        before = _keys_by_id(engine)
        assert {key for key, _ in before.values()} == {result.log_key for result in first}
        assert {source for _, source in before.values()} == {"api"}
        assert sum(key.startswith("rel/log/") for key, _ in before.values() if key) == 4

        downgrade(engine, target)
        assert "log_key" not in {c["name"] for c in inspect(engine).get_columns("task_logs")}
        upgrade(engine)

        assert _keys_by_id(engine) == before
        assert SAVED_KEYS not in inspect(engine).get_table_names()
        again = TaskLogRepository(engine).create_many(logs)
        assert [(r.id, r.created) for r in again] == [(r.id, False) for r in first]
        assert stored_count(engine) == len(logs)
    finally:
        engine.dispose()


@pytest.mark.parametrize("history", ["downgraded-from-head", "never-at-0003"])
def test_keyless_rows_get_their_content_keys(blank_database_url: str, history: str) -> None:
    engine = make_engine(blank_database_url)
    try:
        at_head = [make_log(0), _keyless(1, "rel")]
        if history == "downgraded-from-head":
            upgrade(engine)
            TaskLogRepository(engine).create_many(at_head)
            downgrade(engine, "0002")
        else:
            upgrade(engine, "0002")
        old = [_keyless(i, "old") for i in range(5)]
        # old[1] stored twice; at_head[1] stored again while downgraded (a re-send to an old server).
        stored_old = [*old, old[1], at_head[1]]
        ids = _store_as_before_0003(engine, stored_old)
        with engine.begin() as connection:  # a row no TaskLogCreate can come from: it keeps no key
            connection.execute(task_logs.insert().values(adw_id="bad", phase_name="Plan", phase_status=""))

        upgrade(engine)

        keys = _keys_by_id(engine)
        assert [keys[id_][0] for id_ in ids[:5]] == [task_log_key(log) for log in old]
        assert keys[ids[5]] == (None, None)  # the second copy of old[1]: the lowest id has the key
        if history == "downgraded-from-head":  # at_head[1]'s restored row keeps its key; the copy none
            assert keys[ids[6]] == (None, None)
            assert sorted(key for key, _ in keys.values() if key) == sorted(task_log_key(log) for log in at_head + old)
        else:
            assert keys[ids[6]][0] == task_log_key(at_head[1])
        assert sum(key is None for key, _ in keys.values()) == (3 if history == "downgraded-from-head" else 2)

        count = stored_count(engine)
        sent_before = stored_old + (at_head if history == "downgraded-from-head" else [])
        results = TaskLogRepository(engine).create_many(sent_before)
        assert not any(result.created for result in results)
        assert stored_count(engine) == count
    finally:
        engine.dispose()


def test_saved_keys_go_back_only_to_their_own_rows(blank_database_url: str) -> None:
    """Below 0001 the table is dropped and its ids are reused: a saved key must not reach a new row."""
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        dropped = [make_log(i) for i in range(4)]
        old_ids = [result.id for result in TaskLogRepository(engine).create_many(dropped)]
        downgrade(engine, "base")
        upgrade(engine, "0002")
        new = [_keyless(i, "new") for i in range(4)]
        ids = _store_as_before_0003(engine, new)
        assert sorted(ids) == sorted(old_ids)  # the same ids again, so only the fingerprint tells them apart

        upgrade(engine)

        keys = _keys_by_id(engine)
        assert [keys[id_] for id_ in ids] == [(task_log_key(log), None) for log in new]
        assert all(result.created for result in TaskLogRepository(engine).create_many(dropped))
    finally:
        engine.dispose()
