"""Fixtures for the reliability tests (their helpers are in tests/helpers: processes, db, live_api)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine


@pytest.fixture
def postgresql_only(engine: Engine) -> Iterator[Engine]:
    """The `engine` fixture, skipping its SQLite half (for what exists only on PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    yield engine
