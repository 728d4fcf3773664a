"""Running the Alembic migrations from code (the CLI, tests, the dashboard).

The scripts are the top-level `migrations/` folder of the repository, installed as the package
`tooltrack.store.migrations` (pyproject.toml maps it), so they are found the same way in the
source tree (editable install) and in an installed wheel. The Alembic configuration is built here:
`alembic.ini` is only for running `alembic` by hand from the source tree.

A database migrated by a newer tooltrack is at a revision these migrations do not know; Alembic
would fail on it with "Can't locate revision" deep in a traceback. `upgrade` and `downgrade` refuse
it first, touching nothing, with `DatabaseAheadOfCode` saying to upgrade tooltrack: the one place
that compares a database's revision with this code's (the CLI and the dashboard show its message).

One migration runs at a time: `upgrade` and `downgrade` take the database's migration lock
(`DatabaseDialect.lock_migrations`: an advisory lock on PostgreSQL, the write lock on SQLite) before
they read the revision, and hold it until their transaction ends. Several processes started at
once on a new database (three ingests, an API and a dashboard) used to run 0001 side by side and
all but one failed (`relation "task_logs" already exists`); now one migrates and the others wait,
then find the database at head and do nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

from tooltrack.store.dialects import dialect_of
from tooltrack.store.engine import describe
from tooltrack.store.errors import is_busy
from tooltrack.store.upkeep import DERIVED

#: The installed package that holds env.py, script.py.mako and versions/ (the top-level migrations/).
MIGRATIONS_PACKAGE = "tooltrack.store.migrations"
#: How long a migration waits for another one to finish, in seconds. PostgreSQL's advisory lock
#: waits as long as it takes; SQLite's lock gives up after the engine's busy timeout (30 s), and is
#: asked again until this much time has passed (a migration of a large file can take minutes).
MIGRATION_LOCK_WAIT = 900.0
_NOT_INSTALLED = (
    f"tooltrack's migrations ({MIGRATIONS_PACKAGE}) are not installed as files; install tooltrack "
    "with pip (pip install tooltrack, or pip install -e . in its source tree)"
)


def migrations_folder() -> Path:
    """The folder of this code's migration scripts, wherever tooltrack is installed."""
    try:
        folder = Path(str(resources.files(MIGRATIONS_PACKAGE)))
    except ModuleNotFoundError as exc:  # a bare checkout on PYTHONPATH, never installed
        raise FileNotFoundError(_NOT_INSTALLED) from exc
    if not (folder / "env.py").is_file():  # Alembic reads the scripts as files: not from a zip
        raise FileNotFoundError(_NOT_INSTALLED)
    return folder


def alembic_config() -> Config:
    """Alembic's configuration for this code's scripts, with no ini file (the caller passes the connection)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_folder()))
    return config


class RevisionMismatch(RuntimeError):
    """The database is not at this code's head and cannot be brought there from here."""

    def __init__(self, url: str, current: str | None, heads: Sequence[str]) -> None:
        self.url, self.current, self.heads = url, current, tuple(heads)
        super().__init__(self.message())

    def message(self, escape: Callable[[str], str] = str) -> str:
        """What to tell the user; `escape` makes the URL and revisions literal (the dashboard's Markdown)."""
        current = self.current or "none (no tables yet)"
        return f"The database at {escape(self.url)} is at revision {escape(current)}, {self._advice(escape)}"

    def _advice(self, escape: Callable[[str], str]) -> str:
        raise NotImplementedError


class DatabaseAheadOfCode(RevisionMismatch):
    """A newer tooltrack migrated the database: this code's migrations do not know its revision."""

    def _advice(self, escape: Callable[[str], str]) -> str:
        return f"newer than this tooltrack (head {escape(', '.join(self.heads))}): upgrade tooltrack."


class DatabaseBehindHead(RevisionMismatch):
    """The database needs migrations that this login is not allowed to run."""

    def _advice(self, escape: Callable[[str], str]) -> str:
        return f"head is {escape(', '.join(self.heads))}: its owner must run `tooltrack db upgrade`."


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database up to `revision` (default: the newest).

    At the newest revision, derived tables a migration reshaped (and left empty) are rebuilt from
    `task_logs` in the same transaction (`Registry.rebuild_stale`), so nobody reads empty rollups.
    Raises DatabaseAheadOfCode, before changing anything, when a newer tooltrack migrated it.
    """

    def migrate(config: Config) -> None:
        command.upgrade(config, revision)
        connection: Connection = config.attributes["connection"]
        if _revision_on(connection) in head_revisions():
            DERIVED.rebuild_stale(connection)

    _run(engine, migrate)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, lambda config: command.downgrade(config, revision))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return _revision_on(connection)


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    """This code's migration scripts, read once (they do not change while the process runs)."""
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> list[str]:
    return list(_scripts().get_heads())


def known_revisions() -> set[str]:
    """Every revision in this code's migrations."""
    return {script.revision for script in _scripts().walk_revisions()}


def refuse_if_ahead(engine: Engine, current: str | None) -> None:
    """Raise DatabaseAheadOfCode when `current` (the database's revision) is not one of this code's."""
    if current is not None and current not in known_revisions():
        raise DatabaseAheadOfCode(describe(engine), current, head_revisions())


def _run(engine: Engine, action: Callable[[Config], object], wait: float = MIGRATION_LOCK_WAIT) -> None:
    config = alembic_config()
    deadline = time.monotonic() + wait
    while True:
        locked = False
        try:
            with engine.begin() as connection:
                # The lock first: the revision read below must be the one the previous migration left.
                dialect_of(connection).lock_migrations(connection)
                locked = True
                refuse_if_ahead(engine, _revision_on(connection))
                config.attributes["connection"] = connection
                action(config)
                return
        except Exception as error:
            # Busy before the lock was ours (SQLite: the lock itself, or setting WAL on a new file
            # while another process migrates it): ask again. Once migrating, errors are the caller's.
            if locked or not is_busy(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _revision_on(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
