"""Call identity in the store: a call id already stored, under any task log, is never stored again.

Every way in writes through `write_rows` (the API, the tracker's posts, replay, the hook's
delivery, every ingest) or the bulk COPY path; both are checked here on both databases, and the
database itself holds the rule (`tool_call_ids`), so concurrent writers cannot break it.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, text

from tests.helpers.db import stored_calls, stored_logs
from tooltrack.models import TaskLogCreate
from tooltrack.store import (
    TaskLogRepository,
    bulk_write_task_logs,
    downgrade,
    make_engine,
    task_logs,
    upgrade,
    write_task_logs,
)
from tooltrack.store.schema import tool_call_ids


def log(adw_id: str, call_ids: list[str], **fields: Any) -> TaskLogCreate:
    return TaskLogCreate.model_validate(
        {
            "adw_id": adw_id,
            "phase_name": "session",
            "phase_status": "completed",
            "tool_calls": [
                {"tool_name": "Bash", "success": True, "call_id": c, "command": f"echo {c}"} for c in call_ids
            ],
            **fields,
        }
    )


def ids(engine: Engine) -> Counter[str | None]:
    return Counter(call.call_id for call in stored_calls(engine))


@pytest.mark.parametrize("path", ["rows", "bulk"])
def test_a_call_stored_under_one_log_is_not_stored_under_another(engine: Engine, path: str) -> None:
    write = write_task_logs if path == "rows" else bulk_write_task_logs
    with engine.begin() as connection:
        [first] = write(connection, [log("session-a", ["toolu_1", "toolu_2"])])
    with engine.begin() as connection:
        # A resumed session: a new session id, the earlier calls again, and one new call.
        [second] = write(connection, [log("session-b", ["toolu_1", "toolu_2", "toolu_3"])])
    assert (first.created, first.calls_stored, first.calls_repeated) == (True, 2, 0)
    assert (second.created, second.calls_stored, second.calls_repeated) == (True, 1, 2)
    assert ids(engine) == Counter({"toolu_1": 1, "toolu_2": 1, "toolu_3": 1})
    owners = {log.adw_id: [c.call_id for c in log.tool_calls] for log in stored_logs(engine)}
    assert owners == {"session-a": ["toolu_1", "toolu_2"], "session-b": ["toolu_3"]}


def test_a_log_made_only_of_repeats_is_not_stored_and_names_the_owner(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    first = repository.create(log("session-a", ["toolu_1", "toolu_2"]))
    repeat = repository.create(log("session-b", ["toolu_2", "toolu_1"]))
    assert (repeat.created, repeat.calls_stored, repeat.calls_repeated) == (False, 0, 2)
    assert (repeat.id, repeat.owner_key) == (first.id, first.log_key)
    assert repository.count() == 1


def test_a_log_with_figures_of_its_own_is_stored_even_when_its_calls_were(engine: Engine) -> None:
    """A run's summary (its cost) read again from another file of the session is not lost."""
    repository = TaskLogRepository(engine)
    repository.create(log("session-a", ["toolu_1"]))
    summary = repository.create(log("session-a", ["toolu_1"], cost_usd=0.53, tokens_used=1000, log_key="result"))
    assert (summary.created, summary.calls_stored, summary.calls_repeated) == (True, 0, 1)
    assert sorted((len(s.tool_calls), s.cost_usd) for s in stored_logs(engine)) == [(0, 0.53), (1, None)]


def test_the_same_call_twice_in_one_write_goes_to_the_first_log(engine: Engine) -> None:
    with engine.begin() as connection:
        results = write_task_logs(connection, [log("a", ["toolu_1", "toolu_2"]), log("b", ["toolu_2", "toolu_3"])])
    assert [(r.created, r.calls_stored, r.calls_repeated) for r in results] == [(True, 2, 0), (True, 1, 1)]
    assert ids(engine) == Counter({"toolu_1": 1, "toolu_2": 1, "toolu_3": 1})


def test_calls_without_an_id_belong_to_their_log(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    plain = TaskLogCreate.model_validate(
        {
            "adw_id": "a",
            "phase_name": "p",
            "phase_status": "completed",
            "tool_calls": [{"tool_name": "Read", "success": True}],
        }
    )
    repository.create(plain)
    other = repository.create(plain.model_copy(update={"adw_id": "b"}))
    assert (other.created, other.calls_stored) == (True, 1)  # no id: only the log key says it is the same


def test_deleting_a_log_frees_its_call_ids(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    repository.create(log("session-a", ["toolu_1"]))
    with engine.begin() as connection:
        connection.execute(task_logs.delete())
        assert connection.execute(select(func.count()).select_from(tool_call_ids)).scalar_one() == 0
    again = repository.create(log("session-b", ["toolu_1"]))
    assert (again.created, again.calls_stored) == (True, 1)


def test_concurrent_writers_of_overlapping_sessions_store_each_call_once(engine: Engine) -> None:
    """Eight threads post overlapping logs (each call in three of them) at once: each call once."""
    url = engine.url.render_as_string(hide_password=False)
    errors: list[BaseException] = []
    barrier = threading.Barrier(8)

    def writer(n: int) -> None:
        own = make_engine(url)
        try:
            barrier.wait()
            repository = TaskLogRepository(own)
            for round_ in range(15):
                start = (n + round_) % 12
                calls = [f"toolu_{(start + k) % 30}" for k in range(6)]
                repository.create(log(f"session-{n}-{round_}", calls))
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    counted = ids(engine)
    assert counted and set(counted.values()) == {1}
    with engine.connect() as connection:
        claimed = dict(connection.execute(select(tool_call_ids.c.call_id, tool_call_ids.c.log_key)).all())
    # Every claim names the log that holds the call.
    holders = {c.call_id: s.log_key for s in stored_logs(engine) for c in s.tool_calls}
    assert claimed == holders


def test_migration_0006_gives_each_call_id_to_the_first_log_that_holds_it(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine, "0005")
        rows = [
            {"adw_id": adw, "phase_name": "p", "phase_status": "completed", "log_key": key, "tool_calls": calls}
            for adw, key, calls in (
                ("first", "k1", [{"tool_name": "Bash", "success": True, "call_id": "toolu_1"}]),
                (
                    "second",
                    "k2",
                    [
                        {"tool_name": "Bash", "success": True, "call_id": "toolu_1"},
                        {"tool_name": "Read", "success": True},
                    ],
                ),
                ("third", "k3", [{"tool_name": "Read", "success": True, "call_id": "toolu_2"}]),
            )
        ]
        with engine.begin() as connection:
            for row in rows:  # one at a time, so ids follow the order above
                connection.execute(insert(task_logs).values(**row))
        upgrade(engine)
        with engine.connect() as connection:
            claimed = dict(connection.execute(text("SELECT call_id, log_key FROM tool_call_ids")).all())
        assert claimed == {"toolu_1": "k1", "toolu_2": "k3"}
        repeat = TaskLogRepository(engine).create(log("later", ["toolu_2"]))
        assert (repeat.created, repeat.owner_key) == (False, "k3")
        downgrade(engine, "0005")
        with engine.connect() as connection:
            assert connection.execute(select(func.count()).select_from(task_logs)).scalar_one() == 3
    finally:
        engine.dispose()
