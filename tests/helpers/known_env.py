"""The known data set (tests/helpers/known_data.py) stored for the dashboard's AppTest tests."""

from __future__ import annotations

from sqlalchemy import Engine

from tests.helpers.known_data import known_logs
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

#: The MCP servers the known data's sessions list as loaded: `x` is called (`mcp__x__y`), `idle` never.
LOADED_SERVERS = ["x", "idle"]


def store_known(engine: Engine, *, runs: int = 40) -> list[TaskLogCreate]:
    """Store the known logs (every third one listing LOADED_SERVERS as loaded) and return them."""
    logs = [
        log.model_copy(update={"mcp_servers": LOADED_SERVERS}) if index % 3 == 0 else log
        for index, log in enumerate(known_logs(runs=runs))
    ]
    TaskLogRepository(engine).create_many(logs)
    return logs
