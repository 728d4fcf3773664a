"""Every difference between PostgreSQL and SQLite lives here: one class per database.

`dialect_of(bind)` gives the `DatabaseDialect` of an engine, a connection, a SQLAlchemy dialect or
a URL; `make_engine` asks for it first, so a database tooltrack does not support is refused when
the engine is made, not half-way through a write. The rest of the code asks the chosen class for a
column's storage, a statement or a limit, each difference a named method or attribute, and never
checks the dialect's name itself. A third database is one more subclass here.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar, Final

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    DateTime,
    Dialect,
    Engine,
    Float,
    Integer,
    Table,
    Text,
    TypeDecorator,
    bindparam,
    cast,
    event,
    func,
    literal,
    literal_column,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.types import TypeEngine

#: The advisory lock key migrations take on PostgreSQL (any constant; this is "tooltrak" in ASCII).
MIGRATION_LOCK_KEY: Final = 0x746F6F6C7472616B


class UnsupportedDatabase(ValueError):
    """A database URL names a database tooltrack has no dialect class for."""


def dumps_json(value: Any) -> str:
    return orjson.dumps(value).decode()


class DatabaseDialect(ABC):
    """What tooltrack does differently on one database."""

    #: SQLAlchemy's name for the database (`Dialect.name`, a URL's backend name).
    name: ClassVar[str]
    #: How many bound parameters one statement may carry.
    max_bind_params: ClassVar[int]
    #: How many write transactions of one bulk ingest are worth running at once.
    concurrent_writers: ClassVar[int]
    #: Migrations: GIN indexes on JSON documents, column comments, per-table storage parameters
    #: (fillfactor, TOAST compression), and whether ALTER TABLE needs Alembic's batch mode (a copy).
    gin_indexes: ClassVar[bool] = False
    column_comments: ClassVar[bool] = False
    storage_parameters: ClassVar[bool] = False
    batch_migrations: ClassVar[bool] = False

    # -- engines ---------------------------------------------------------------------------------

    def engine_options(self) -> dict[str, Any]:
        """Keyword arguments for `create_engine`."""
        return {"json_serializer": dumps_json, "json_deserializer": orjson.loads}

    def configure(self, engine: Engine) -> None:  # noqa: B027  (most databases need nothing)
        """Per-connection settings, installed once on a new engine."""

    def folder_to_create(self, url: URL) -> Path | None:
        """A folder the database's files need before the first connection (None: nothing to make)."""
        return None

    # -- values ----------------------------------------------------------------------------------

    @abstractmethod
    def stored_timestamp(self, value: datetime) -> datetime:
        """A UTC-aware timestamp as this database's timestamp column takes it."""

    # -- statements ------------------------------------------------------------------------------

    @abstractmethod
    def insert(self, table: Table) -> Any:
        """The INSERT construct that supports `on_conflict_do_nothing` / `_do_update` and `.excluded`."""

    def bulk_insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
        """An INSERT of `rows` (dicts with the same keys) into `table`, and the parameters to run it with.

        The statement supports `on_conflict_do_*` and `.excluded`. By default: executemany over
        the rows (SQLite's loop is in C).
        """
        return self.insert(table), list(rows)

    def supports_copy(self, driver: str) -> bool:
        """Whether the bulk COPY path (`store/bulk.py`) can run through the driver `driver`."""
        return False

    @abstractmethod
    def lock_migrations(self, connection: Connection) -> None:
        """Take the lock that lets one migration run at a time, held until `connection`'s transaction ends.

        Called first in the transaction a migration runs in (`tooltrack.store.migrate`): a second
        process waits here, then finds the database already migrated.
        """

    # -- reading JSON arrays in SQL --------------------------------------------------------------

    @abstractmethod
    def json_elements(self, column: Any) -> Any:
        """A table-valued function yielding one row (column `value`) per element of a JSON array."""

    @abstractmethod
    def json_text(self, element: Any, key: str) -> Any:
        """The element's field `key` as text (NULL when missing)."""

    @abstractmethod
    def json_number(self, element: Any, key: str) -> Any:
        """The element's field `key` as a number."""

    @abstractmethod
    def json_bool(self, element: Any, key: str) -> Any:
        """The element's field `key` as 1 (true) / 0 (false) / NULL."""

    @abstractmethod
    def seconds_between(self, start: Any, end: Any) -> Any:
        """The seconds from timestamp `start` to timestamp `end`, as a number (for sorting by duration)."""

    def write_horizon(self, connection: Connection) -> tuple[int, int] | None:
        """(oldest write transaction still running in this database, next transaction id to be
        given out), as 64-bit ids, for a reader that follows `task_logs.id` as it grows
        (tooltrack.analytics.live): an id missing below a visible one may still be in a running
        transaction's hands. None where writes are serialised, so that an id once passed by a
        visible one is never filled in later."""
        return None

    def last_id(self, connection: Connection, table: Table) -> int:
        """The last value `table.id` has handed out (committed or not; 0 when none)."""
        return int(connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one())


class PostgreSQLDialect(DatabaseDialect):
    name = "postgresql"
    # The protocol allows 65535 parameters a statement.
    max_bind_params = 65_000
    # Each transaction runs in its own backend process, so two overlap one's COPY with the other's
    # Python work (measured: 1 M calls with rollups in 21 s with one, 17-18 s with two, no gain
    # from three on 2 cores).
    concurrent_writers = 2
    gin_indexes = True
    column_comments = True
    storage_parameters = True

    def engine_options(self) -> dict[str, Any]:
        return {**super().engine_options(), "pool_pre_ping": True}

    def stored_timestamp(self, value: datetime) -> datetime:
        return value  # timestamptz keeps the zone

    def insert(self, table: Table) -> Any:
        return postgresql.insert(table)

    def bulk_insert(self, table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
        """One `INSERT ... SELECT FROM json_populate_recordset(NULL::<table>, <rows as one JSON text>)`.

        A batch of 10 K rollup rows is one statement, one parameter encoded by orjson in C, one
        round trip. (psycopg's executemany runs the statement once per row, about 30 µs each; one
        array per column through unnest() spends a few µs per value in psycopg's Python list
        dumper.) The rows keep their order, so callers that sort by key still take row locks in
        key order.
        """
        names = list(rows[0])
        # The table's own row type converts every field (dates, timestamps with zone, booleans, NULLs).
        source = func.json_populate_recordset(
            literal_column(f"NULL::{table.name}"), cast(bindparam("rows", type_=Text), postgresql.JSON)
        ).table_valued(*names)
        statement = postgresql.insert(table).from_select(names, select(*(source.c[name] for name in names)))
        return statement, {"rows": orjson.dumps(list(rows)).decode()}

    def supports_copy(self, driver: str) -> bool:
        # COPY goes through psycopg's own protocol support, not SQLAlchemy's.
        return driver == "psycopg"

    def lock_migrations(self, connection: Connection) -> None:
        # A transaction-level advisory lock: released by the commit or rollback, even if the
        # process dies. Without it two processes on a new database both run 0001 (one fails with
        # `relation "task_logs" already exists`). Waits as long as the other migration takes.
        connection.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))

    def json_elements(self, column: Any) -> Any:
        return func.jsonb_array_elements(column).table_valued("value")

    def json_text(self, element: Any, key: str) -> Any:
        return element.c.value.op("->>")(literal(key))

    def json_number(self, element: Any, key: str) -> Any:
        return cast(self.json_text(element, key), Float)

    def json_bool(self, element: Any, key: str) -> Any:
        return cast(cast(self.json_text(element, key), Boolean), Integer)

    def seconds_between(self, start: Any, end: Any) -> Any:
        return func.extract("epoch", end - start)

    def write_horizon(self, connection: Connection) -> tuple[int, int] | None:
        # A sequence hands out ids as inserts run, and transactions commit in any order: id 11 can
        # be visible while 10 is still uncommitted. Only this database's writers can hold one of
        # its ids (the snapshot's own xmin would wait on every database of the server), and
        # pg_stat_activity shows every session's xid to any login. Its xids are 32-bit: they are
        # placed in the epoch of the snapshot's 64-bit xmax.
        row = connection.execute(
            text(
                "SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint,"
                " array(SELECT backend_xid::text::bigint FROM pg_stat_activity"
                " WHERE datname = current_database() AND backend_xid IS NOT NULL AND pid <> pg_backend_pid())"
            )
        ).one()
        following = int(row[0])
        epoch = following >> 32 << 32
        running = [epoch | xid if (epoch | xid) <= following else (epoch | xid) - 2**32 for xid in row[1] or ()]
        return min(running, default=following), following

    def last_id(self, connection: Connection, table: Table) -> int:
        value = connection.execute(
            text("SELECT pg_sequence_last_value(pg_get_serial_sequence(:table, 'id')::regclass)"),
            {"table": table.name},
        ).scalar()
        return int(value or 0)


class SQLiteDialect(DatabaseDialect):
    name = "sqlite"
    # The default limit is 32766 since SQLite 3.32.
    max_bind_params = 32_000
    # One write lock per database: a second writer only waits.
    concurrent_writers = 1
    # SQLite cannot ALTER most things in place; Alembic's batch mode copies the table when it must.
    batch_migrations = True

    def engine_options(self) -> dict[str, Any]:
        # A web page, an API worker and an ingest may share one file: wait for the lock instead of
        # failing at once with "database is locked".
        return {**super().engine_options(), "connect_args": {"timeout": 30, "check_same_thread": False}}

    def configure(self, engine: Engine) -> None:
        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            # Write to a write-ahead log: readers (the dashboard) keep reading while an ingest writes.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    def folder_to_create(self, url: URL) -> Path | None:
        """The folder of the file a plain path names.

        Not `:memory:`, and not a URI (`sqlite:///file:/path/db?mode=ro&uri=true`): there the
        database is `file:/path/db`, which taken as a path would create a stray `file:` folder in
        the current directory; a URI names an existing file (read-only mode, shared cache).
        """
        database = url.database
        if not database or database == ":memory:" or database.startswith("file:") or url.query.get("uri") == "true":
            return None
        return Path(database).expanduser().parent

    def stored_timestamp(self, value: datetime) -> datetime:
        # No timezone type: naive UTC text, which also keeps string order equal to time order.
        return value.replace(tzinfo=None)

    def insert(self, table: Table) -> Any:
        return sqlite.insert(table)

    def lock_migrations(self, connection: Connection) -> None:
        # Python's sqlite3 begins a transaction only before INSERT / UPDATE / DELETE and runs DDL
        # outside one, so two processes migrating a new file both created alembic_version.
        # BEGIN IMMEDIATE takes the write lock now and makes the whole migration one transaction;
        # a second process waits for the lock (the busy timeout) and then finds it migrated.
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    def json_elements(self, column: Any) -> Any:
        return func.json_each(column).table_valued("value")

    def json_text(self, element: Any, key: str) -> Any:
        return func.json_extract(element.c.value, f"$.{key}")

    def json_number(self, element: Any, key: str) -> Any:
        return cast(func.json_extract(element.c.value, f"$.{key}"), Float)

    def json_bool(self, element: Any, key: str) -> Any:
        # json_extract turns JSON true/false into 1/0 already.
        return func.json_extract(element.c.value, f"$.{key}")

    def seconds_between(self, start: Any, end: Any) -> Any:
        # Timestamps are UTC text here: julianday reads them as days.
        return (func.julianday(end) - func.julianday(start)) * 86_400


DIALECTS: Final[Mapping[str, DatabaseDialect]] = {d.name: d for d in (PostgreSQLDialect(), SQLiteDialect())}

Bind = Engine | Connection | Dialect | URL | str


def dialect_of(bind: Bind) -> DatabaseDialect:
    """The `DatabaseDialect` of an engine, connection, SQLAlchemy dialect, URL or dialect name.

    Raises `UnsupportedDatabase` for a database tooltrack has no class for.
    """
    if isinstance(bind, Engine | Connection):
        name = bind.dialect.name
    elif isinstance(bind, Dialect):
        name = bind.name
    elif isinstance(bind, URL):
        name = bind.get_backend_name()
    elif "://" in bind:
        name = make_url(bind).get_backend_name()
    else:
        name = bind
    try:
        return DIALECTS[name]
    except KeyError:
        raise UnsupportedDatabase(f"tooltrack supports PostgreSQL and SQLite, not {name}") from None


#: JSON on SQLite, JSONB on PostgreSQL (indexable with GIN, compact, parsed once on write).
JSONDocument: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (see `stored_timestamp`)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return dialect_of(dialect).stored_timestamp(value.astimezone(UTC))

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
