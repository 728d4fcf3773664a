"""Engines, one per URL, configured for their dialect."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url

from tooltrack.config import database_url
from tooltrack.store.dialects import configure_engine, engine_options


def make_engine(url: str | None = None) -> Engine:
    """A new engine for `url` (default: the configured database). SQLite folders are created."""
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database and parsed.database != ":memory:":
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **engine_options(url))
    configure_engine(engine)
    return engine


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process (the API and the CLI share it)."""
    return make_engine(url)


def describe(engine: Engine) -> str:
    """The URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)
