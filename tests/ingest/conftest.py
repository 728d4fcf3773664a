"""Helpers for the ingest tests: what the database holds after an ingest."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from tooltrack.models import TaskLogWithToolCalls, ToolCallRecord
from tooltrack.store import TaskLogRepository
from tooltrack.store.schema import task_logs


def stored_logs(engine: Engine) -> list[TaskLogWithToolCalls]:
    """Every stored task log, in insertion order."""
    repository = TaskLogRepository(engine)
    with engine.connect() as connection:
        ids = [id_ for (id_,) in connection.execute(select(task_logs.c.id).order_by(task_logs.c.id))]
    return [log for id_ in ids if (log := repository.get(id_)) is not None]


def stored_calls(engine: Engine) -> list[ToolCallRecord]:
    return [call for log in stored_logs(engine) for call in log.tool_calls]


def tool_counts(engine: Engine) -> Counter[str]:
    return Counter(call.tool_name for call in stored_calls(engine))


@pytest.fixture
def write_lines(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write bytes lines to a file under tmp_path and return its path."""

    def write(name: str, lines: list[bytes], *, final_newline: bool = True) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
        path.write_bytes(data)
        return path

    return write
