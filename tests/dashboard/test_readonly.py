"""The dashboard on a database it cannot use as it is: a clear message, no traceback.

Behind head on a read-only login. PostgreSQL: a database left at 0003 by its owner and a role made
by `scripts/readonly-role.sql`. SQLite: the same database file opened read-only through a URI URL
(`?mode=ro&uri=true`). Once the owner upgrades, the next rerun of the same page works (nothing was
cached in between).

Ahead of this code: a throwaway database at head with a revision stamped into alembic_version
that these migrations do not know, as a newer tooltrack would leave it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit as st
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.helpers.dashboard import OpenPage
from tests.helpers.db import run_readonly_role_script
from tests.helpers.logs import make_log
from tooltrack.store import TaskLogRepository, make_engine, upgrade
from tooltrack.store.migrate import current_revision, head_revisions

BEHIND = "0003"


@dataclass(frozen=True, slots=True)
class ReadOnlySetup:
    owner: Engine
    reader_url: str
    password: str | None


def _clear_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()  # disposes the dashboard's engines (on_release)


@pytest.fixture
def readonly_behind(
    blank_database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ReadOnlySetup]:
    """A database at 0003, and the dashboard pointed at it through a login that cannot write."""
    owner = make_engine(blank_database_url)
    upgrade(owner, BEHIND)
    role: str | None = None
    password: str | None = None
    if owner.dialect.name == "postgresql":
        role, password = f"tooltrack_ro_{uuid.uuid4().hex[:8]}", f"pw-{uuid.uuid4().hex}"
        run_readonly_role_script(blank_database_url, role, password)
        reader_url = owner.url.set(username=role, password=password).render_as_string(hide_password=False)
    else:
        reader_url = f"sqlite:///file:{owner.url.database}?mode=ro&uri=true"
        monkeypatch.chdir(tmp_path)  # where a stray `file:` folder would show up
    monkeypatch.setenv("TOOLTRACK_DATABASE_URL", reader_url)
    _clear_caches()
    try:
        yield ReadOnlySetup(owner, reader_url, password)
    finally:
        _clear_caches()
        if role is not None:
            with owner.connect() as connection:
                connection.execute(text(f'DROP OWNED BY "{role}"'))
                connection.commit()
            admin = create_engine(owner.url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
            admin.dispose()
        owner.dispose()


def test_a_readonly_dashboard_behind_head_says_who_must_upgrade(
    readonly_behind: ReadOnlySetup, open_page: OpenPage
) -> None:
    head = head_revisions()[0]
    assert head != BEHIND

    at = open_page("overview", {"days": "all"})

    assert not at.exception, [e.message for e in at.exception]
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "")  # Markdown escapes of the URL and revisions
    reader_url = make_url(readonly_behind.reader_url).render_as_string(hide_password=True)
    assert f"The database at {reader_url} is at revision {BEHIND}, head is {head}" in message
    assert "its owner must run `tooltrack db upgrade`" in message
    if readonly_behind.password:
        assert readonly_behind.password not in message
    assert not at.metric  # the page stopped: no half page
    assert current_revision(readonly_behind.owner) == BEHIND
    assert not (Path.cwd() / "file:").exists()

    # The owner upgrades; the same session's next rerun reads the database without a word.
    upgrade(readonly_behind.owner)
    TaskLogRepository(readonly_behind.owner).create_many([make_log(i) for i in range(4)])
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    assert [m.label for m in at.metric][:1] == ["Tool calls"]
    assert at.metric[0].value == "20"  # 4 logs of 5 calls


FUTURE = "0099_from_a_newer_tooltrack"


@pytest.fixture
def database_ahead(blank_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """A throwaway database migrated to head, then stamped with a revision this code does not know."""
    owner = make_engine(blank_database_url)
    upgrade(owner)
    with owner.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :future"), {"future": FUTURE})
    monkeypatch.setenv("TOOLTRACK_DATABASE_URL", blank_database_url)
    _clear_caches()
    try:
        yield owner
    finally:
        _clear_caches()
        owner.dispose()


def test_a_dashboard_on_a_database_ahead_of_this_code_says_to_upgrade_tooltrack(
    database_ahead: Engine, open_page: OpenPage
) -> None:
    head = head_revisions()[0]

    at = open_page("overview", {"days": "all"})

    assert not at.exception, [e.message for e in at.exception]  # before: alembic's CommandError
    assert len(at.error) == 1
    message = at.error[0].value.replace("\\", "")  # Markdown escapes of the URL and revisions
    url = database_ahead.url.render_as_string(hide_password=True)
    assert f"The database at {url} is at revision {FUTURE}, newer than this tooltrack (head {head})" in message
    assert message.endswith("upgrade tooltrack.")
    assert not at.metric  # the page stopped: no half page
    assert current_revision(database_ahead) == FUTURE  # not touched

    # Back at a revision this code knows (say the newer tooltrack was rolled back): the next rerun works.
    with database_ahead.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = :head"), {"head": head})
    TaskLogRepository(database_ahead).create_many([make_log(i) for i in range(2)])
    at.run()
    assert not at.exception and not at.error
    assert at.metric[0].value == "10"  # 2 logs of 5 calls
