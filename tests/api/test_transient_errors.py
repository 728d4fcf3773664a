"""Transient database errors: which they are (tooltrack.store.errors), and the API retrying them.

The PostgreSQL storm of terminated connections is tests/reliability/test_terminate_storm.py; here
SQLite's "database is locked" is made for real (another connection holds the write lock past the
API engine's busy timeout): a lock that goes away while the request retries is a 201, one that
outlasts the retries a 503 with Retry-After and nothing stored. Before the retries both were 500.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg.errors
import pytest
from sqlalchemy import Engine, create_engine, func, select
from sqlalchemy import exc as sa_exc

from tests.helpers.live_api import LiveAPI
from tests.helpers.logs import make_payload
from tooltrack.store import (
    RetryPolicy,
    TransientDatabaseError,
    dialect_of,
    is_busy,
    is_transient,
    retry_transient,
    upgrade,
)
from tooltrack.store.schema import task_logs

POST = "/api/v1/observability/task-logs"


def _wrapped(driver: BaseException) -> sa_exc.DBAPIError:
    """`driver` as SQLAlchemy raises it from a statement."""
    return sa_exc.OperationalError("SELECT 1", {}, driver)  # type: ignore[arg-type]


def _locked(path: Path) -> sqlite3.OperationalError:
    """A real SQLITE_BUSY: a second connection asking for the write lock another one holds."""
    first = sqlite3.connect(path, isolation_level=None)
    first.execute("CREATE TABLE t (x)")
    first.execute("BEGIN IMMEDIATE")
    second = sqlite3.connect(path, timeout=0.01)
    try:
        second.execute("INSERT INTO t VALUES (1)")
    except sqlite3.OperationalError as error:
        return error
    finally:
        second.close()
        first.close()
    raise AssertionError("the second connection got the lock")


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.lookup("40001")("could not serialize access"),
        psycopg.errors.lookup("40P01")("deadlock detected"),
        psycopg.errors.lookup("57P01")("terminating connection due to administrator command"),
        psycopg.errors.lookup("57P03")("the database system is starting up"),
        psycopg.errors.lookup("08006")("connection failure"),
        psycopg.errors.lookup("53300")("too many connections"),
        psycopg.OperationalError("consuming input failed: server closed the connection unexpectedly"),
        sqlite3.OperationalError("database is locked"),
        sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"),
    ],
    ids=lambda error: str(error)[:30],
)
def test_transient_errors_are_transient_bare_and_wrapped(error: Exception) -> None:
    assert is_transient(error)
    if not isinstance(error, sa_exc.SQLAlchemyError):
        assert is_transient(_wrapped(error))


def test_a_real_sqlite_lock_is_transient(tmp_path: Path) -> None:
    error = _locked(tmp_path / "busy.db")
    assert error.sqlite_errorname == "SQLITE_BUSY"
    assert is_transient(error) and is_transient(_wrapped(error))
    assert is_busy(error) and is_busy(_wrapped(error))


@pytest.mark.parametrize(
    ("sqlstate", "busy"),
    [("40001", True), ("40P01", True), ("55P03", True), ("57P01", False), ("08006", False), ("53300", False)],
)
def test_busy_is_another_transaction_in_the_way_not_a_lost_connection(sqlstate: str, busy: bool) -> None:
    error = psycopg.errors.lookup(sqlstate)("x")
    assert is_transient(error) and is_busy(_wrapped(error)) == busy
    assert not is_busy(psycopg.OperationalError("server closed the connection unexpectedly"))


@pytest.mark.parametrize(
    "error",
    [
        psycopg.errors.lookup("23505")("duplicate key value violates unique constraint"),
        psycopg.errors.lookup("54000")("index row size 3240 exceeds btree version 4 maximum 2704"),
        psycopg.errors.lookup("22021")("invalid byte sequence for encoding"),
        psycopg.errors.lookup("42P01")('relation "task_logs" does not exist'),
        sqlite3.OperationalError("no such table: task_logs"),
        sqlite3.IntegrityError("UNIQUE constraint failed: task_logs.log_key"),
        ValueError("not a database error"),
    ],
    ids=lambda error: str(error)[:30],
)
def test_other_errors_are_not(error: Exception) -> None:
    assert not is_transient(error)
    assert not is_transient(_wrapped(error))


def test_retry_transient_runs_again_then_gives_up() -> None:
    waits: list[float] = []
    runs: list[int] = []

    def flaky(failures: int) -> Any:
        def work() -> str:
            runs.append(1)
            if len(runs) <= failures:
                raise _wrapped(psycopg.errors.lookup("40001")("could not serialize access"))
            return "done"

        return work

    policy = RetryPolicy(attempts=4, first_delay=0.01, budget=60)
    assert retry_transient(flaky(3), policy, sleep=waits.append) == "done"
    assert len(runs) == 4 and len(waits) == 3 and waits[0] < waits[-1]

    runs.clear()
    with pytest.raises(TransientDatabaseError) as raised:
        retry_transient(flaky(10), policy, sleep=lambda _: None)
    assert len(runs) == 4 and raised.value.attempts == 4 and is_transient(raised.value.last)

    runs.clear()
    with pytest.raises(sa_exc.IntegrityError):  # not transient: raised at once, never run again

        def broken() -> None:
            runs.append(1)
            raise sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed"))  # type: ignore[arg-type]

        retry_transient(broken, policy, sleep=lambda _: None)
    assert len(runs) == 1


def test_the_budget_stops_retries_that_would_outlast_it() -> None:
    clock = iter([0.0, 10.0])
    delays = list(RetryPolicy(attempts=10, first_delay=0.01, budget=5).delays(0.0, clock=lambda: next(clock)))
    assert len(delays) == 1  # the second wait would start past the budget


@pytest.fixture
def impatient(tmp_path: Path) -> Iterator[Engine]:
    """A migrated SQLite file and an engine on it that waits only 50 ms for a lock (not 30 s)."""
    url = f"sqlite:///{tmp_path / 'locked.db'}"
    dialect = dialect_of(url)
    options = dialect.engine_options()
    options["connect_args"] = {**options["connect_args"], "timeout": 0.05}
    engine = create_engine(url, **options)
    dialect.configure(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


def _hold_write_lock(engine: Engine) -> sqlite3.Connection:
    holder = sqlite3.connect(str(engine.url.database), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    return holder


def _stored(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(task_logs)).scalar_one())


def test_a_lock_released_while_the_request_retries_is_a_201(
    impatient: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="tooltrack.api.transient")
    holder = _hold_write_lock(impatient)
    answers: list[httpx.Response] = []
    with LiveAPI(impatient) as api:
        sender = threading.Thread(target=lambda: answers.append(httpx.post(api.url + POST, json=make_payload(1))))
        sender.start()
        # Release the lock only once the API has met it and is about to try again.
        deadline = time.monotonic() + 30
        while not any("trying again" in r.getMessage() for r in caplog.records) and time.monotonic() < deadline:
            time.sleep(0.005)
        holder.rollback()
        holder.close()
        sender.join(30)
    assert any("database is locked" in r.getMessage() for r in caplog.records), caplog.text
    [answer] = answers
    assert answer.status_code == 201, answer.text
    assert _stored(impatient) == 1


def test_a_lock_that_outlasts_the_retries_is_a_503_with_retry_after(impatient: Engine) -> None:
    holder = _hold_write_lock(impatient)
    try:
        with LiveAPI(impatient) as api:
            answer = httpx.post(api.url + POST, json=make_payload(1), timeout=30)
            assert answer.status_code == 503, answer.text
            assert answer.headers["retry-after"].isdigit() and int(answer.headers["retry-after"]) >= 1
            assert "unavailable" in answer.json()["detail"]
            # Reads do not wait for the writer (WAL): the API still answers them.
            assert httpx.get(api.url + "/api/v1/tool-analytics/summary", timeout=30).status_code == 200
    finally:
        holder.rollback()
        holder.close()
    assert _stored(impatient) == 0
