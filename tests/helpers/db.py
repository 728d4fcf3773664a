"""What a test database holds, read back whole; and the PostgreSQL read-only role script.

They read the tables (and `TaskLogRepository.get`) directly, not through the ingest or analytics
code a test is checking, so a test comparing the two can fail.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.engine import make_url

from tests.helpers.paths import ROOT
from tooltrack.models import TaskLogWithToolCalls, ToolCallRecord
from tooltrack.store import DERIVED_TABLES, TaskLogRepository
from tooltrack.store.schema import task_logs

#: The script docs/security.md tells users to run with psql to make a read-only login.
READONLY_ROLE_SCRIPT = ROOT / "scripts" / "readonly-role.sql"


def url_of(engine: Engine) -> str:
    """The engine's URL with its password, for a child process."""
    return engine.url.render_as_string(hide_password=False)


def stored_keys(engine: Engine) -> list[str]:
    """The `log_key` of every stored task log (in no particular order)."""
    with engine.connect() as connection:
        return list(connection.execute(select(task_logs.c.log_key)).scalars())


def stored_count(engine: Engine) -> int:
    """How many task logs are stored."""
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(task_logs)).scalar_one())


def stored_logs(engine: Engine) -> list[TaskLogWithToolCalls]:
    """Every stored task log, in insertion order."""
    repository = TaskLogRepository(engine)
    with engine.connect() as connection:
        ids = [id_ for (id_,) in connection.execute(select(task_logs.c.id).order_by(task_logs.c.id))]
    return [log for id_ in ids if (log := repository.get(id_)) is not None]


def stored_calls(engine: Engine) -> list[ToolCallRecord]:
    """Every stored tool call, log by log in insertion order."""
    return [call for log in stored_logs(engine) for call in log.tool_calls]


def tool_counts(engine: Engine) -> Counter[str]:
    """How many stored tool calls each tool name has."""
    return Counter(call.tool_name for call in stored_calls(engine))


def rollup_snapshot(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every rollup table, in a stable order."""
    with engine.connect() as connection:
        return {table.name: sorted(tuple(row) for row in connection.execute(select(table))) for table in DERIVED_TABLES}


def run_readonly_role_script(owner_url: str, role: str, password: str) -> None:
    """Run scripts/readonly-role.sql with psql as the database's owner, as docs/security.md says."""
    psql = shutil.which("psql")
    if psql is None:
        pytest.skip("psql is not installed")
    libpq_url = make_url(owner_url).set(drivername="postgresql").render_as_string(hide_password=False)
    subprocess.run(
        [psql, libpq_url, "-q", "-v", f"ro_role={role}", "-v", f"ro_password={password}",
         "-f", str(READONLY_ROLE_SCRIPT)],
        check=True, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
