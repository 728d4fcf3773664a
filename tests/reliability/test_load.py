"""Load at CI scale: 8 writers x 50 logs through the real API, some logs posted twice.

The full scale (32 writers, 20 K logs, 2 M tool calls, PostgreSQL) is `bench/bench_load.py`.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from tests.helpers.db import stored_keys
from tests.helpers.derived_check import differences
from tests.helpers.live_api import LiveAPI
from tests.helpers.load import bodies, plan, run_threads
from tests.helpers.logs import make_log
from tooltrack.store.keys import task_log_key
from tooltrack.store.schema import task_logs

WRITERS, LOGS, CALLS = 8, 400, 20
TOKEN = "load-test-token"


@pytest.mark.xfail(
    reason="known defect (open): after concurrent API writers on PostgreSQL, derived_error_kinds (the alerts' "
    "first occurrence of each error kind) differs from a rebuild: which writer's call is first depends on commit order",
    strict=False,
)
def test_concurrent_writers_through_the_api(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", TOKEN)
    indices = plan(WRITERS, LOGS, calls=CALLS, duplicate_every=5, inject_every=20)
    per_writer = [bodies(i, calls=CALLS) for i in indices]
    sent_twice = sum(1 for i in range(LOGS) if i % 5 == 0)
    injected = sum(i.count(-1) for i in indices)
    assert injected > 0 and sent_twice > 0

    with LiveAPI(engine) as api:
        outcome = run_threads(api.url, per_writer, token=TOKEN, seconds=240)

    # No request failed except the injected ones, and each of those got its 422.
    assert outcome.errors == []
    assert dict(outcome.injected_statuses) == {422: injected}
    assert dict(outcome.statuses) == {201: LOGS, 200: sent_twice}
    # Both copies of a log got the same id.
    assert all(len(ids) == 1 for ids in outcome.ids.values()) and len(outcome.ids) == LOGS

    # Exactly the distinct logs are stored, with all their calls.
    assert sorted(stored_keys(engine)) == sorted(
        task_log_key(make_log(i, calls=CALLS, namespace="load")) for i in range(LOGS)
    )
    with engine.connect() as connection:
        total_calls = sum(len(calls or []) for calls in connection.execute(select(task_logs.c.tool_calls)).scalars())
        assert connection.execute(select(func.count()).select_from(task_logs)).scalar_one() == LOGS
    assert total_calls == LOGS * CALLS
    # The rollups written by concurrent inserts equal a rebuild from task_logs.
    assert differences(engine) == {}
