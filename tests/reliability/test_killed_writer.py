"""A writer killed with SIGKILL part way through leaves no half-written task log, and a rerun completes.

Runs on SQLite (the WAL ignores an uncommitted transaction's frames) and PostgreSQL (the server
rolls back the dead client's transaction).
"""

from __future__ import annotations

import random
import signal

from sqlalchemy import Engine, func, select

from tests.helpers.db import stored_count, stored_keys, url_of
from tests.helpers.logs import make_log
from tests.helpers.processes import read_line, start_worker
from tooltrack.store import TaskLogRepository
from tooltrack.store.keys import task_log_key
from tooltrack.store.schema import task_logs

CALLS = 20


def _assert_every_row_whole(engine: Engine) -> None:
    """Each stored row is one of the generated logs, complete with all its tool calls."""
    repository = TaskLogRepository(engine)
    with engine.connect() as connection:
        ids = list(connection.execute(select(task_logs.c.id)).scalars())
    for id_ in ids:
        log = repository.get(id_)
        assert log is not None and len(log.tool_calls) == CALLS


def test_killed_inside_the_insert_transaction_leaves_nothing(engine: Engine) -> None:
    count = 1500
    worker = start_worker("write-and-hang", url_of(engine), "--count", str(count), "--calls", str(CALLS))
    try:
        state = read_line(worker)
        # The INSERTs have run; the transaction is open. Another connection sees none of it.
        assert state == {"state": "inserted-not-committed", "rows": count}
        assert stored_count(engine) == 0
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=60) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate()

    assert stored_count(engine) == 0

    # The rerun stores every log once (on PostgreSQL it may wait for the server to notice the
    # dead client and release its locks; it must not fail or duplicate).
    logs = [make_log(i, calls=CALLS) for i in range(count)]
    results = TaskLogRepository(engine).create_many(logs)
    assert sum(r.created for r in results) == count
    assert sorted(stored_keys(engine)) == sorted(task_log_key(log) for log in logs)
    _assert_every_row_whole(engine)


def test_killed_at_a_random_moment_keeps_whole_batches_and_a_rerun_completes(engine: Engine) -> None:
    count, batch = 1200, 100
    worker = start_worker(
        "write-forever", url_of(engine), "--count", str(count), "--batch", str(batch), "--calls", str(CALLS)
    )
    announced = 0
    try:
        assert read_line(worker) == {"state": "started"}
        for _ in range(random.Random().randint(1, 5)):
            announced = int(read_line(worker)["upto"])  # type: ignore[arg-type]
        worker.send_signal(signal.SIGKILL)
        assert worker.wait(timeout=60) == -signal.SIGKILL
    finally:
        if worker.poll() is None:
            worker.kill()
        worker.communicate()

    stored = stored_count(engine)
    # Whatever was committed is whole batches: the announced ones, maybe one more committed
    # just before the kill but not yet announced.
    assert stored in (announced, announced + batch)
    _assert_every_row_whole(engine)

    logs = [make_log(i, calls=CALLS) for i in range(count)]
    results = TaskLogRepository(engine).create_many(logs)
    assert sum(r.created for r in results) == count - stored
    with engine.connect() as connection:
        distinct = connection.execute(select(func.count(task_logs.c.log_key.distinct()))).scalar_one()
    assert stored_count(engine) == distinct == count
    assert set(stored_keys(engine)) == {task_log_key(log) for log in logs}
