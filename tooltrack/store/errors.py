"""Which database errors are transient, and how long to wait before the same work is tried again.

A transient error says nothing about the work itself: the same transaction, run again a moment
later, may well succeed. They are:

- the connection lost or refused (PostgreSQL restarting, a failover, `pg_terminate_backend`, a
  network cut): SQLSTATE class 08, admin / crash shutdown (57P01, 57P02), "the database system is
  starting up" (57P03), a driver error with no SQLSTATE (the socket closed under it), and any
  error SQLAlchemy marks as a disconnect;
- two transactions in each other's way: serialization failure (40001), deadlock detected (40P01),
  lock not available (55P03), and SQLite's "database is locked" / "database table is locked"
  (SQLITE_BUSY, SQLITE_LOCKED) once its busy timeout ran out;
- no room right now: too many connections (53300), the engine's pool exhausted.

Everything else (a constraint violated, bad SQL, a value out of range) is a defect or bad input,
and trying again would only fail again. One place decides, so the API, the ingest and migrations
classify alike: `is_transient(error)` (and `is_busy`, the part of it that is another
transaction in the way), `RetryPolicy` for the waits, `retry_transient` to run work
under it, and `TransientDatabaseError` once the retries are spent.

Retrying a write is safe because every write is idempotent (a task log's `log_key`, a call's
`call_id`): a commit whose answer was lost is found stored by the next attempt, never stored twice.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, TypeVar

from sqlalchemy import exc as sa_exc

T = TypeVar("T")

#: SQLSTATEs (PostgreSQL's error codes) after which the same transaction may succeed.
TRANSIENT_SQLSTATES: Final = frozenset(
    {
        "40001",  # serialization_failure
        "40P01",  # deadlock_detected
        "55P03",  # lock_not_available
        "53300",  # too_many_connections
        "57P01",  # admin_shutdown (pg_terminate_backend, a fast shutdown)
        "57P02",  # crash_shutdown
        "57P03",  # cannot_connect_now (starting up, shutting down, in recovery)
    }
)
#: The transient SQLSTATEs that mean another transaction is in the way (not a lost connection).
BUSY_SQLSTATES: Final = frozenset({"40001", "40P01", "55P03"})
#: SQLSTATE class 08: connection exceptions (connection failure, does not exist, rejected, ...).
CONNECTION_CLASS: Final = "08"
#: SQLite's result codes for "another connection holds the lock" (Python 3.11+ names them).
TRANSIENT_SQLITE_CODES: Final = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_BUSY_SNAPSHOT"})
_SQLITE_LOCKED_MESSAGES: Final = ("database is locked", "database table is locked")


class TransientDatabaseError(RuntimeError):
    """The database kept failing with transient errors until the retries were spent.

    The work was not done, or not known to be done; the same request later may succeed (the API
    answers 503 with Retry-After). The last error is the `__cause__`.
    """

    def __init__(self, attempts: int, last: BaseException, retry_after: float) -> None:
        self.attempts, self.last, self.retry_after = attempts, last, retry_after
        super().__init__(f"the database is unavailable ({describe_error(last)}) after {attempts} attempts")


def _driver_error(error: BaseException) -> BaseException:
    """The driver's own exception inside SQLAlchemy's wrapper (or `error` itself)."""
    if isinstance(error, sa_exc.DBAPIError) and error.orig is not None:
        return error.orig
    return error


def is_transient(error: BaseException) -> bool:
    """Whether `error` (SQLAlchemy's or the driver's own) may go away if the same work is done again."""
    if isinstance(error, sa_exc.TimeoutError):  # QueuePool limit reached: every connection busy
        return True
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True  # SQLAlchemy saw a disconnect and dropped the connection from its pool
    driver = _driver_error(error)
    sqlstate = getattr(driver, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate in TRANSIENT_SQLSTATES or sqlstate.startswith(CONNECTION_CLASS)
    if isinstance(driver, sqlite3.OperationalError):
        name = getattr(driver, "sqlite_errorname", None)
        if name is not None:
            return name in TRANSIENT_SQLITE_CODES
        return str(driver).startswith(_SQLITE_LOCKED_MESSAGES)
    # psycopg's OperationalError without a SQLSTATE: the connection broke under the driver
    # ("server closed the connection unexpectedly", "consuming input failed", refused).
    return any(
        cls.__name__ == "OperationalError" and cls.__module__.split(".")[0] == "psycopg" for cls in type(driver).__mro__
    )


def is_busy(error: BaseException) -> bool:
    """Whether `error` is transient because another transaction holds what this one needs.

    A subset of `is_transient`: worth waiting for as long as the other work may take (a migration
    waiting for another process's migration), where a lost or refused connection is not.
    """
    driver = _driver_error(error)
    sqlstate = getattr(driver, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate:
        return sqlstate in BUSY_SQLSTATES
    return isinstance(driver, sqlite3.OperationalError) and is_transient(driver)


def describe_error(error: BaseException) -> str:
    """One line naming a database error: the driver's class and the first line of its message."""
    driver = _driver_error(error)
    message = str(driver).strip().splitlines()
    return f"{type(driver).__name__}: {message[0] if message else ''}".rstrip(": ")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry work that failed with a transient error.

    At most `attempts` runs in all; before run n+1 a wait of about `first_delay * 2**(n-1)`
    seconds (jittered by +-50 %, so clients cut off together do not come back together); no new
    attempt once `budget` seconds have passed since the first began (SQLite may already have
    waited its whole busy timeout inside one attempt). `retry_after` is what to tell a client
    once they are spent.
    """

    attempts: int = 4
    first_delay: float = 0.05
    budget: float = 5.0
    retry_after: float = 1.0

    def delays(self, started: float, clock: Callable[[], float] = time.monotonic) -> Iterator[float]:
        """The wait before each further attempt, while attempts and the budget last."""
        for attempt in range(1, self.attempts):
            delay = self.first_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.5)  # jitter, not a secret
            if clock() + delay - started > self.budget:
                return
            yield delay

    def spent(self, attempts: int, last: BaseException) -> TransientDatabaseError:
        """The error to raise when `attempts` runs all failed, the last with `last`."""
        return TransientDatabaseError(attempts, last, self.retry_after)


#: The policy of a request: a few quick attempts, well inside a client's timeout.
DEFAULT_POLICY: Final = RetryPolicy()


def retry_transient(
    work: Callable[[], T],
    policy: RetryPolicy = DEFAULT_POLICY,
    *,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """`work()`, run again after a short wait when it fails with a transient error.

    `work` must be a whole transaction (it is run again from its start). Raises
    `TransientDatabaseError` when every attempt failed transiently; any other error at once.
    """
    started = time.monotonic()
    delays = policy.delays(started)
    attempts = 0
    while True:
        attempts += 1
        try:
            return work()
        except Exception as error:
            if not is_transient(error):
                raise
            delay = next(delays, None)
            if delay is None:
                raise policy.spent(attempts, error) from error
        sleep(delay)
