"""Shared fixtures. Every database test runs twice: on SQLite and on a real PostgreSQL.

PostgreSQL: a database made for this run on the server at 127.0.0.1:5432 (or the server named by
TOOLTRACK_TEST_DATABASE_URL), dropped at the end. Under CI (CI=true) an unreachable server fails
the run; elsewhere the PostgreSQL half is skipped with a reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.helpers.live_api import LiveAPI
from tooltrack.store import make_engine, upgrade
from tooltrack.store.schema import metadata

#: Real Claude Code output, kept in the repository (see tests/fixtures/SOURCES.md and real/SOURCES.md).
FIXTURES = Path(__file__).resolve().parent / "fixtures"
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def pytest_configure(config: pytest.Config) -> None:
    # Never let a test touch the user's own database by accident.
    os.environ.pop("TOOLTRACK_DATABASE_URL", None)


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The real log samples in tests/fixtures (read as they are)."""
    if not FIXTURES.is_dir():
        pytest.fail(f"the fixtures are missing: expected them at {FIXTURES}")
    return FIXTURES


def _postgres_server_url() -> str:
    return os.environ.get("TOOLTRACK_TEST_DATABASE_URL") or DEFAULT_PG_SERVER


@pytest.fixture(scope="session")
def postgresql_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run; dropped afterwards."""
    server_url = make_url(_postgres_server_url())
    name = f"tooltrack_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # the server is down or refuses us
        admin.dispose()
        message = f"PostgreSQL at {server_url.render_as_string()} is not reachable: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = server_url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'tooltrack.db'}"


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """The URL of a migrated database of each dialect in turn."""
    url: str = request.getfixturevalue(f"{request.param}_url")
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on an empty, fully migrated database (each test starts from no rows)."""
    engine = make_engine(database_url)
    _empty_all_tables(engine)
    try:
        yield engine
    finally:
        engine.dispose()


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


@pytest.fixture(params=["sqlite", "postgresql"])
def blank_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database with no tables at all (for migration tests), of each dialect in turn."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.db'}"
        return
    server = make_url(request.getfixturevalue("postgresql_url"))
    name = f"{server.database}_blank_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def live_api(engine: Engine) -> Iterator[LiveAPI]:
    """The real API app over the test database, served on a free local port for the test."""
    with LiveAPI(engine) as api:
        yield api
