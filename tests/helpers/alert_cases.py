"""Planted alert cases built from real Claude Code calls: a real session's calls, one of them
repeated, renamed or pointed elsewhere, stored as a task log of its own.

`real_calls` ingests a fixture (tests/fixtures, as it is) and reads back the calls the store kept;
`planted_log` wraps calls (as dicts) in a task log dated where the test needs it.
"""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from tests.helpers.db import stored_logs
from tooltrack.ingest import ingest_file
from tooltrack.models import TaskLogCreate
from tooltrack.store import alerts


def real_calls(engine: Engine, fixture: Path) -> tuple[list[dict[str, Any]], datetime]:
    """Ingest `fixture` and return its stored calls (as dicts) and the earliest log start."""
    report = ingest_file(engine, fixture)
    assert report.error is None, report.error
    logs = stored_logs(engine)
    assert logs, f"{fixture} stored nothing"
    calls = [call.model_dump(exclude_none=True) for log in logs for call in log.tool_calls]
    starts = [moment for log in logs if (moment := log.started_at or log.created_at) is not None]
    assert starts, f"{fixture}: no log has a time"
    return calls, min(starts)


def renamed(call: dict[str, Any], suffix: str, **changes: Any) -> dict[str, Any]:
    """A copy of a real call with its own call id (so the store keeps it) and `changes` applied,
    undated (it happens when the planted log does) and in a turn of its own."""
    out = copy.deepcopy(call)
    out.pop("turn_id", None)
    out.pop("timestamp", None)
    out |= changes
    out["call_id"] = f"{call.get('call_id') or 'call'}-{suffix}"
    return out


def planted_log(adw_id: str, calls: list[dict[str, Any]], started_at: datetime) -> TaskLogCreate:
    """A task log of `calls` for workflow run `adw_id`, starting at `started_at`."""
    return TaskLogCreate.model_validate(
        {
            "adw_id": adw_id,
            "phase_name": "planted",
            "phase_status": "completed",
            "started_at": started_at.isoformat(),
            "tool_calls": calls,
            "source": "test",
        }
    )


def alert_rows(engine: Engine, rule: str | None = None) -> list[Any]:
    """Every stored alert (of `rule`), oldest first."""
    query = select(alerts).order_by(alerts.c.occurred_at, alerts.c.alert_key)
    if rule is not None:
        query = query.where(alerts.c.rule == rule)
    with engine.connect() as connection:
        return list(connection.execute(query))
