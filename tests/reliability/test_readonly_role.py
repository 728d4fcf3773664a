"""The dashboard can run on a read-only database login: it reads everything and can write nothing.

PostgreSQL: `scripts/readonly-role.sql` is run with psql exactly as docs/security.md says, then
the test connects as the new role. SQLite: the read-only equivalent is opening the file with
`mode=ro`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from tests.helpers.db import run_readonly_role_script, url_of
from tests.helpers.logs import make_log
from tooltrack.store import TaskLogRepository, make_engine, upgrade
from tooltrack.store.migrate import current_revision, head_revisions

INSUFFICIENT_PRIVILEGE = "42501"
READ_ONLY_TRANSACTION = "25006"


def _sqlstate(exc: DBAPIError) -> str | None:
    return getattr(exc.orig, "sqlstate", None)


@pytest.fixture
def readonly_engine(postgresql_only: Engine) -> Iterator[tuple[Engine, Engine]]:
    """(owner engine with data, engine logged in as a fresh read-only role on the same database)."""
    owner = postgresql_only
    TaskLogRepository(owner).create_many([make_log(i) for i in range(12)])
    role = f"tooltrack_ro_{uuid.uuid4().hex[:8]}"
    password = uuid.uuid4().hex
    run_readonly_role_script(url_of(owner), role, password)
    # Run it twice: the script must be idempotent (docs tell users to rerun it after migrations).
    run_readonly_role_script(url_of(owner), role, password)
    reader = make_engine(owner.url.set(username=role, password=password).render_as_string(hide_password=False))
    try:
        yield owner, reader
    finally:
        reader.dispose()
        with owner.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))  # its grants and default privileges
            connection.commit()
        admin = create_engine(owner.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_readonly_role_reads_everything_the_dashboard_needs(readonly_engine: tuple[Engine, Engine]) -> None:
    owner, reader = readonly_engine
    # The dashboard's get_engine() runs upgrade(): at head it must be a harmless no-op.
    upgrade(reader)
    assert current_revision(reader) == head_revisions()[0]

    as_owner, as_reader = TaskLogRepository(owner), TaskLogRepository(reader)
    assert as_reader.count() == as_owner.count() == 12
    assert as_reader.data_version() == as_owner.data_version()
    assert as_reader.list_by_adw_id("rel-1") == as_owner.list_by_adw_id("rel-1")
    first_id = as_owner.list_by_adw_id("rel-0")[0].id
    assert as_reader.get(first_id) == as_owner.get(first_id)
    # Every table (rollups included) is readable.
    with reader.connect() as connection:
        for table in inspect(owner).get_table_names():
            connection.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()


WRITES = [
    "INSERT INTO task_logs (adw_id, phase_name, phase_status) VALUES ('x', 'Plan', 'completed')",
    "UPDATE task_logs SET log_message = 'changed'",
    "DELETE FROM task_logs",
    "TRUNCATE task_logs",
    "UPDATE alembic_version SET version_num = '0001'",
    "CREATE TABLE public.planted (id int)",
    "ALTER TABLE task_logs ADD COLUMN planted text",
    "DROP TABLE task_logs",
    "CREATE INDEX planted ON task_logs (log_message)",
    "SELECT nextval(pg_get_serial_sequence('task_logs', 'id'))",
]


@pytest.mark.parametrize("session_read_only", [True, False], ids=["as-configured", "read-only-switched-off"])
def test_readonly_role_cannot_write(readonly_engine: tuple[Engine, Engine], session_read_only: bool) -> None:
    owner, reader = readonly_engine
    before = TaskLogRepository(owner).data_version()
    for statement in WRITES:
        with reader.connect() as connection:
            if not session_read_only:
                # The role may switch its own default off; the missing privileges still hold.
                connection.execute(text("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE"))
                connection.commit()
            with pytest.raises(DBAPIError) as caught:
                connection.execute(text(statement))
            expected = (
                {READ_ONLY_TRANSACTION, INSUFFICIENT_PRIVILEGE} if session_read_only else {INSUFFICIENT_PRIVILEGE}
            )
            assert _sqlstate(caught.value) in expected, statement
    with pytest.raises(DBAPIError):
        TaskLogRepository(reader).create(make_log(99))
    assert TaskLogRepository(owner).data_version() == before


def test_readonly_role_behind_head_gets_a_clear_error(postgresql_only: Engine, tmp_path: Path) -> None:
    """A read-only login cannot migrate a database whose migrations have not run yet.

    `upgrade()` itself raises a permission error (pinned here); the dashboard turns it into an
    `st.error` saying who must run `tooltrack db upgrade` (tooltrack/dashboard/data.py, tested in
    tests/dashboard/test_readonly.py).
    """
    server = postgresql_only.url
    name = f"{server.database}_ro_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    role = f"tooltrack_ro_{uuid.uuid4().hex[:8]}"
    owner = make_engine(server.set(database=name).render_as_string(hide_password=False))
    try:
        behind = head_revisions()[0]
        upgrade(owner, "0003" if behind != "0003" else "0002")
        run_readonly_role_script(url_of(owner), role, "pw")
        reader = make_engine(owner.url.set(username=role, password="pw").render_as_string(hide_password=False))
        with pytest.raises(DBAPIError) as caught:
            upgrade(reader)
        assert _sqlstate(caught.value) in {READ_ONLY_TRANSACTION, INSUFFICIENT_PRIVILEGE}
        reader.dispose()
        assert current_revision(owner) != behind
    finally:
        owner.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_sqlite_opened_read_only_reads_and_cannot_write(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only (PostgreSQL has the role tests above)")
    TaskLogRepository(engine).create_many([make_log(i) for i in range(5)])
    path = make_url(url_of(engine)).database
    # Run in an empty folder: make_engine once created a stray `file:` folder for such a URL here.
    monkeypatch.chdir(tmp_path)
    reader = make_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        upgrade(reader)
        assert TaskLogRepository(reader).count() == 5
        with pytest.raises(DBAPIError, match="readonly"):
            TaskLogRepository(reader).create(make_log(99))
        with reader.connect() as connection, pytest.raises(DBAPIError, match="readonly"):
            connection.execute(text("DELETE FROM task_logs"))
    finally:
        reader.dispose()
    assert TaskLogRepository(engine).count() == 5
    assert list(tmp_path.iterdir()) == []  # no stray `file:` folder
