"""Every difference between PostgreSQL and SQLite lives here.

The rest of the code asks this module for a column type or a statement and never checks the
dialect itself. When a third database arrives, this is the file that grows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Dialect,
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
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.types import TypeEngine

#: JSON on SQLite, JSONB on PostgreSQL (indexable with GIN, compact, parsed once on write).
JSONDocument: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware.

    PostgreSQL keeps `timestamptz`; SQLite has no timezone type, so values are stored as naive
    UTC text, which also keeps string comparison equal to time comparison there.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def dumps_json(value: Any) -> str:
    return orjson.dumps(value).decode()


def engine_options(url: str) -> dict[str, Any]:
    """Keyword arguments for `create_engine` that suit the URL's dialect."""
    options: dict[str, Any] = {"json_serializer": dumps_json, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        # A web page, an API worker and an ingest may share one file: wait for the lock
        # instead of failing at once with "database is locked".
        options["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        options["pool_pre_ping"] = True
    return options


def configure_engine(engine: Engine) -> None:
    """Per-connection settings that the dialect needs."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # Write to a write-ahead log: readers (the dashboard) keep reading while an ingest writes.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def upsert_insert(dialect_name: str, table: Table) -> Any:
    """The dialect's Insert construct that supports ON CONFLICT (PostgreSQL and SQLite both do)."""
    if dialect_name == "postgresql":
        return postgresql.insert(table)
    if dialect_name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"tooltrack supports PostgreSQL and SQLite, not {dialect_name}")


def bulk_insert(dialect_name: str, table: Table, rows: Sequence[Mapping[str, Any]]) -> tuple[Any, Any]:
    """An INSERT of `rows` (dicts with the same keys) into `table`, and the parameters to run it with.

    The statement supports `on_conflict_do_*` and `.excluded` on both databases. On PostgreSQL it
    is one `INSERT ... SELECT FROM json_populate_recordset(NULL::<table>, <rows as one JSON text>)`:
    a batch of 10 K rollup rows is one statement, one parameter encoded by orjson in C, one round
    trip. (psycopg's executemany runs the statement once per row, about 30 µs each; one array per
    column through unnest() spends a few µs per value in psycopg's Python list dumper.) The rows keep
    their order, so callers that sort by key still take row locks in key order. On SQLite,
    executemany over the same rows (its loop is in C).
    """
    if dialect_name != "postgresql":
        return upsert_insert(dialect_name, table), list(rows)
    names = list(rows[0])
    # The table's own row type converts every field (dates, timestamps with zone, booleans, NULLs).
    source = func.json_populate_recordset(
        literal_column(f"NULL::{table.name}"), cast(bindparam("rows", type_=Text), postgresql.JSON)
    ).table_valued(*names)
    statement = postgresql.insert(table).from_select(names, select(*(source.c[name] for name in names)))
    return statement, {"rows": orjson.dumps(list(rows)).decode()}


def concurrent_writers(dialect_name: str) -> int:
    """How many write transactions of one bulk ingest are worth running at once.

    PostgreSQL runs each in its own backend process, so two overlap one's COPY with the other's
    Python work (measured: 1 M calls with rollups in 21 s with one, 17-18 s with two, no gain
    from three on 2 cores). SQLite has one write lock per database: a second writer only waits.
    """
    return 2 if dialect_name == "postgresql" else 1


def copy_supported(dialect: Dialect) -> bool:
    """Whether `dialect` takes the bulk COPY path (`store/bulk.py`): PostgreSQL through psycopg,
    whose COPY protocol is the driver's own, not SQLAlchemy's."""
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def is_postgresql(dialect_name: str) -> bool:
    """For migrations: GIN indexes and column comments exist only on PostgreSQL."""
    return dialect_name == "postgresql"


def max_bind_params(dialect_name: str) -> int:
    """How many bound parameters one statement may carry."""
    # SQLite's default limit is 32766 since 3.32; PostgreSQL's protocol allows 65535.
    return 32_000 if dialect_name == "sqlite" else 65_000


class QueryComponents:
    """Dialect-specific pieces of analytic queries, one named method per difference."""

    def tool_call_elements(self, column: Any) -> Any:
        """A table-valued function yielding one row (column `value`) per element of a JSON array."""
        raise NotImplementedError

    def json_text(self, element: Any, key: str) -> Any:
        """The element's field `key` as text (NULL when missing)."""
        raise NotImplementedError

    def json_number(self, element: Any, key: str) -> Any:
        """The element's field `key` as a number."""
        raise NotImplementedError

    def json_bool(self, element: Any, key: str) -> Any:
        """The element's field `key` as 1 (true) / 0 (false) / NULL."""
        raise NotImplementedError


class PostgresQueryComponents(QueryComponents):
    def tool_call_elements(self, column: Any) -> Any:
        return func.jsonb_array_elements(column).table_valued("value")

    def json_text(self, element: Any, key: str) -> Any:
        return element.c.value.op("->>")(literal(key))

    def json_number(self, element: Any, key: str) -> Any:
        return cast(self.json_text(element, key), Float)

    def json_bool(self, element: Any, key: str) -> Any:
        return cast(cast(self.json_text(element, key), Boolean), Integer)


class SqliteQueryComponents(QueryComponents):
    def tool_call_elements(self, column: Any) -> Any:
        return func.json_each(column).table_valued("value")

    def json_text(self, element: Any, key: str) -> Any:
        return func.json_extract(element.c.value, f"$.{key}")

    def json_number(self, element: Any, key: str) -> Any:
        return cast(func.json_extract(element.c.value, f"$.{key}"), Float)

    def json_bool(self, element: Any, key: str) -> Any:
        # json_extract turns JSON true/false into 1/0 already.
        return func.json_extract(element.c.value, f"$.{key}")


def query_components(dialect_name: str) -> QueryComponents:
    if dialect_name == "postgresql":
        return PostgresQueryComponents()
    if dialect_name == "sqlite":
        return SqliteQueryComponents()
    raise NotImplementedError(f"tooltrack supports PostgreSQL and SQLite, not {dialect_name}")
