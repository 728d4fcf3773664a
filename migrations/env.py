"""Alembic environment: the URL comes from tooltrack's settings, or from the caller.

Online: `tooltrack db upgrade` passes an open connection in `config.attributes["connection"]`;
`alembic upgrade head` by hand uses TOOLTRACK_DATABASE_URL (or the SQLite default).
Offline (`alembic upgrade head --sql`): plain SQL for PostgreSQL unless TOOLTRACK_DATABASE_URL
names another database, for teams that apply SQL by hand.
"""

from __future__ import annotations

import os
from logging.config import fileConfig

from alembic import context

from tooltrack.core import DATABASE_URL_ENV, database_url
from tooltrack.store import dialect_of, make_engine, metadata

config = context.config
if config.config_file_name is not None and not config.attributes.get("connection"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = metadata


def run_migrations_offline() -> None:
    url = os.environ.get(DATABASE_URL_ENV) or "postgresql://"
    context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run_on(connection)
        return
    engine = make_engine(database_url())
    try:
        with engine.connect() as connection:
            _run_on(connection)
    finally:
        engine.dispose()


def _run_on(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=dialect_of(connection).batch_migrations,  # type: ignore[arg-type]
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
