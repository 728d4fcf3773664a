"""Engines, one per URL, configured for their database."""

from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from tooltrack.core import database_url
from tooltrack.store.dialects import dialect_of


def make_engine(url: str | None = None) -> Engine:
    """A new engine for `url` (default: the configured database); SQLite folders are created.

    Raises `UnsupportedDatabase` for a database tooltrack has no dialect class for.
    """
    url = url or database_url()
    parsed = make_url(url)
    dialect = dialect_of(parsed)
    folder = dialect.folder_to_create(parsed)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **dialect.engine_options())
    dialect.configure(engine)
    return engine


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process (the API and the CLI share it)."""
    return make_engine(url)


def describe(engine: Engine) -> str:
    """The URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)
