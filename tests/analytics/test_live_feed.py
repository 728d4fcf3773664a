"""The call feed behind the stream: storing order, filters, exact resumption, and ids that commit late."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from tooltrack.analytics import AnalyticsService, CallFeed, Cursor, Filters
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository, write_task_logs

NOW = datetime.now(UTC).replace(microsecond=0)


def _log(name: str, tools: list[str], *, phase: str = "build", ok: bool = True) -> TaskLogCreate:
    return TaskLogCreate(
        adw_id=f"live-{name}",
        phase_name=phase,
        phase_status="completed",
        started_at=NOW - timedelta(minutes=1),
        tool_calls=[
            ToolCallRecord(
                tool_name=tool,
                success=ok,
                error_message=None if ok else "Exit code 1",
                timestamp=NOW - timedelta(seconds=50 - i),
                call_id=f"{name}-{i}",
                command=f"echo {name} {i}" if tool == "Bash" else None,
            )
            for i, tool in enumerate(tools)
        ],
    )


def _seen(calls: list[Any]) -> list[tuple[str, str]]:
    return [(c.adw_id, c.tool_name) for c in calls]


def test_the_feed_starts_now_and_sends_new_calls_in_storing_order(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    repository.create(_log("old", ["Read"]))
    feed = AnalyticsService(engine).call_feed(Filters())
    assert feed.poll() == []
    repository.create(_log("a", ["Read", "Bash"]))
    repository.create(_log("b", ["Edit"], ok=False))
    calls = feed.poll()
    assert _seen(calls) == [("live-a", "Read"), ("live-a", "Bash"), ("live-b", "Edit")]
    assert calls[2].failed and calls[2].error_kind == "Exit code 1" and calls[0].target is None
    assert calls[1].target == "echo a 1"
    assert [Cursor.parse(c.cursor) for c in calls] == sorted(Cursor.parse(c.cursor) for c in calls)
    assert feed.poll() == []
    # The same log again is stored once, so it is sent once.
    repository.create(_log("a", ["Read", "Bash"]))
    assert feed.poll() == []


def test_resuming_after_any_event_gives_exactly_the_rest(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    start = CallFeed(engine, Filters())
    for name in "abcd":
        repository.create(_log(name, ["Read", "Grep", "Bash"]))
    everything = start.poll()
    assert len(everything) == 12
    for position, event in enumerate(everything):
        resumed = CallFeed(engine, Filters(), Cursor.parse(event.cursor)).poll()
        assert [c.cursor for c in resumed] == [c.cursor for c in everything[position + 1 :]]
    # A small limit stops inside a log and goes on from there.
    feed = CallFeed(engine, Filters(), Cursor.parse(everything[0].cursor))
    pieces = [feed.poll(limit=2) for _ in range(7)]
    assert [c.cursor for piece in pieces for c in piece] == [c.cursor for c in everything[1:]]
    assert all(len(piece) <= 2 for piece in pieces)


def test_the_reads_filters_apply(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    only_bash = CallFeed(engine, Filters(tool="Bash"))
    in_test = CallFeed(engine, Filters(phase="test"))
    long_ago = CallFeed(engine, Filters(start=NOW.date() - timedelta(days=90), end=NOW.date() - timedelta(days=60)))
    repository.create(_log("a", ["Read", "Bash"], phase="build"))
    repository.create(_log("b", ["Bash", "Edit"], phase="test"))
    assert _seen(only_bash.poll()) == [("live-a", "Bash"), ("live-b", "Bash")]
    assert _seen(in_test.poll()) == [("live-b", "Bash"), ("live-b", "Edit")]
    assert long_ago.poll() == []
    assert long_ago.cursor == only_bash.cursor  # it moved past what it did not send


def test_bad_cursors_are_refused() -> None:
    assert Cursor.parse("12:3") == Cursor(12, 3)
    assert str(Cursor.parse("12")) == f"12:{2**31 - 1}"
    for text in ("", "x", "1:y", "-1:0", "1:-2"):
        with pytest.raises(ValueError, match="cursor"):
            Cursor.parse(text)


def test_a_rolled_back_id_is_passed(engine: Engine) -> None:
    feed = CallFeed(engine, Filters())
    with engine.connect() as connection:
        transaction = connection.begin()
        write_task_logs(connection, [_log("lost", ["Read"])])
        transaction.rollback()
    TaskLogRepository(engine).create(_log("kept", ["Bash"]))
    # PostgreSQL: the rolled-back id is a gap; once no older transaction runs, it is passed.
    calls: list[Any] = []
    for _ in range(50):
        calls += feed.poll()
        if calls:
            break
        time.sleep(0.1)
    assert _seen(calls) == [("live-kept", "Bash")]


def _settle_history(engine: Engine) -> None:
    """A first committed log, before the feed starts: the derived tables' one-time rows (the alerts'
    start of history) exist, so two writers below do not meet on them, as on a database in use."""
    TaskLogRepository(engine).create(_log("first", ["Grep"], phase="plan"))


def test_an_id_committed_late_is_sent_in_order_not_skipped(engine: Engine, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite serialises writes: an id below a visible one is never committed later")
    _settle_history(engine)
    feed = CallFeed(engine, Filters(), max_hold_seconds=120)
    with engine.connect() as slow:
        transaction = slow.begin()
        write_task_logs(slow, [_log("slow", ["Read"])])  # takes the lower id, commits last
        # Another phase: the two writers share no rollup counter row (the second would wait on it).
        TaskLogRepository(engine).create(_log("fast", ["Bash"], phase="test"))
        assert feed.poll() == []  # "fast" is visible, but "slow" may still come below it
        assert feed.poll() == []
        transaction.commit()
    assert _seen(feed.poll()) == [("live-slow", "Read"), ("live-fast", "Bash")]


def test_a_gap_held_too_long_is_passed(engine: Engine, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("only PostgreSQL hands out ids out of commit order")
    clock = [0.0]
    _settle_history(engine)
    feed = CallFeed(engine, Filters(), max_hold_seconds=5, clock=lambda: clock[0])
    with engine.connect() as stuck:
        transaction = stuck.begin()
        write_task_logs(stuck, [_log("stuck", ["Read"])])
        TaskLogRepository(engine).create(_log("after", ["Bash"], phase="test"))
        assert feed.poll() == []
        clock[0] = 6.0
        assert _seen(feed.poll()) == [("live-after", "Bash")]
        transaction.rollback()
