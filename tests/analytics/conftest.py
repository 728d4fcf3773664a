"""The known data set stored in each database, in several batches (so rollups add up across inserts)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import known_logs
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository


@pytest.fixture
def logs() -> list[TaskLogCreate]:
    return known_logs()


@pytest.fixture
def stored(engine: Engine, logs: list[TaskLogCreate]) -> Engine:
    repository = TaskLogRepository(engine)
    for start in range(0, len(logs), 17):
        repository.create_many(logs[start : start + 17])
    return engine
