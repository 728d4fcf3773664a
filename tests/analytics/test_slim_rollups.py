"""The slim rollups (migration 0013): the same answers as the full rollups, on both write paths.

Every answer that can read a slim rollup is computed twice on the known data: as the service
answers it, and with the slim rollups switched off (`tooltrack.analytics.slim._slim` answering
None, so every answer reads the full rollups and `derived_redundant_targets` as before 0013). The
two must be equal, field by field, for no filter, for each group filter alone and for pairs.
"""

from __future__ import annotations

import dataclasses
import pickle
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from tests.helpers.derived_check import differences
from tests.helpers.known_data import TODAY, known_logs
from tests.helpers.logs import make_log
from tooltrack.analytics import AnalyticsService, Filters, slim
from tooltrack.store import (
    ROLLUP_TABLES,
    InsertedLog,
    TaskLogRepository,
    command_daily,
    command_slim_daily,
    latency_daily,
    latency_slim_daily,
    log_daily,
    make_engine,
    repeat_daily,
    rollups,
    runs,
    select_logs,
    task_logs,
    tool_daily,
    tool_slim_daily,
)
from tooltrack.store.migrate import downgrade, upgrade

FILTERS = [
    Filters(days=3650),
    Filters(all_time=True),
    Filters(days=40, workflow_template=""),
    Filters(days=40, phase="Build"),
    Filters(days=40, agent=""),
    Filters(days=40, tool="Bash", project="beta"),
    Filters(days=40, workflow_template="adw_patch", project="alpha"),
    Filters(days=40, phase="Test", agent="claude-code"),
    Filters(start=TODAY - timedelta(days=20), end=TODAY, model="claude-haiku-4-5-20251001"),
]


def _answers(service: AnalyticsService, filters: Filters) -> dict[str, Any]:
    return {
        "summary": service.summary(filters).model_dump(),
        "calls_over_time": [p.model_dump() for p in service.calls_over_time(filters)],
        "histogram": service.latency_histogram(filters).model_dump(),
        "histogram_read": service.latency_histogram(filters, "Read").model_dump(),
        "latency_over_time": [p.model_dump() for p in service.latency_over_time(filters)],
        "cost": service.cost(filters, top=5).model_dump(),
        "repeated": service.repeated_work(filters, top=50).model_dump(),
    }


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: f.model_dump_json(exclude_defaults=True))
def test_slim_answers_equal_the_full_rollups_answers(
    stored: Engine, filters: Filters, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = AnalyticsService(stored)
    fast = _answers(service, filters)
    monkeypatch.setattr(slim, "_slim", lambda *args, **kwargs: None)
    full = _answers(service, filters)
    for name, answer in fast.items():
        assert answer == full[name], name
    assert fast["summary"]["total_tool_calls"] > 0 or filters.days == 7


def test_filter_options_equal_the_full_rollups_values(stored: Engine) -> None:
    options = AnalyticsService(stored).filter_options()
    with stored.connect() as connection:

        def values(column: Any) -> list[str]:
            return sorted(v for v in connection.execute(select(column).distinct()).scalars() if v)

        assert options.tools == sorted(connection.execute(select(tool_daily.c.tool_name).distinct()).scalars())
        assert options.projects == values(tool_daily.c.project) == ["alpha", "beta"]
        assert options.models == values(tool_daily.c.model)
        assert options.agents == values(tool_daily.c.agent) == ["claude-code"]


def test_which_table_each_filter_reads() -> None:
    assert slim.tools_for(Filters())[0] is tool_slim_daily
    assert slim.tools_for(Filters(project="a", workflow_template="t", phase="p"))[0] is tool_slim_daily
    assert slim.tools_for(Filters(project="a", model="m"))[0] is tool_daily
    assert slim.latency_for(Filters(phase="p"))[0] is latency_slim_daily
    assert slim.latency_for(Filters(phase="p", project="a"))[0] is latency_daily
    assert slim.commands_for(Filters(model="m"))[0] is command_slim_daily
    assert slim.commands_for(Filters(model="m", agent="a"))[0] is command_daily
    assert slim.repeats_for(Filters(agent="a")) is not None
    assert slim.repeats_for(Filters(agent="a", workflow_template="t")) is None
    assert slim.tool_breakdowns_for(Filters(workflow_template="t")) is not None
    assert slim.tool_breakdowns_for(Filters(project="a")) is None
    assert slim.logs_for(Filters(project="a", model="m")) is not None  # the model does not narrow logs
    assert slim.logs_for(Filters(project="a", agent="b")) is None


def test_every_dimension_counts_every_call_once(stored: Engine) -> None:
    """Each dimension's rows of a slim table add up to all the calls (no call lost or counted twice)."""
    with stored.connect() as connection:
        calls = connection.execute(select(tool_daily.c.calls)).scalars().all()
        total = sum(calls)
        for table, column in (
            (tool_slim_daily, tool_slim_daily.c.calls),
            (latency_slim_daily, latency_slim_daily.c.calls),
            (command_slim_daily, command_slim_daily.c.calls),
            (repeat_daily, repeat_daily.c.redundant_calls),
            (log_daily, log_daily.c.task_logs),
        ):
            sums: dict[str, int] = {}
            for dimension, value in connection.execute(select(table.c.dimension, column)):
                sums[dimension] = sums.get(dimension, 0) + value
            assert len(set(sums.values())) == 1, (table.name, sums)
            if table is tool_slim_daily:
                assert sums[""] == total
            if table is log_daily:
                assert sums[""] == len(connection.execute(select(task_logs.c.id)).scalars().all())


def test_prepared_batches_fill_the_slim_rollups_as_a_rebuild(stored: Engine) -> None:
    """The chunked ingest's way in: `prepare` (pickled, as from a child process) then `apply`."""
    with stored.begin() as connection:
        logs = [InsertedLog.from_row(row) for row in connection.execute(select_logs().order_by(task_logs.c.id))]
        for table in reversed(ROLLUP_TABLES):
            connection.execute(table.delete())
        connection.execute(runs.delete())
        for start in range(0, len(logs), 13):
            chunk = logs[start : start + 13]
            placeholders = [dataclasses.replace(log, id=index) for index, log in enumerate(chunk)]
            batch = pickle.loads(pickle.dumps(rollups.prepare(placeholders)))
            rollups.apply(connection, batch, [log.id for log in chunk])
    assert differences(stored) == {}


def test_upgrading_a_database_with_rows_fills_the_slim_rollups(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        TaskLogRepository(engine).create_many([make_log(i, calls=6) for i in range(12)] + known_logs(runs=4))
        downgrade(engine, "0012")  # the rows stay, the slim rollups go
        upgrade(engine)  # 0013 makes them again, empty; the upgrade rebuilds them
        with engine.connect() as connection:
            for table in (tool_slim_daily, latency_slim_daily, command_slim_daily, repeat_daily, log_daily):
                assert connection.execute(select(table)).first() is not None, table.name
        assert differences(engine) == {}
    finally:
        engine.dispose()
