"""Engines, one per URL, configured for their dialect."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import URL, make_url

from tooltrack.config import database_url
from tooltrack.store.dialects import configure_engine, engine_options


def make_engine(url: str | None = None) -> Engine:
    """A new engine for `url` (default: the configured database). SQLite folders are created."""
    url = url or database_url()
    parsed = make_url(url)
    folder = _sqlite_folder(parsed)
    if folder is not None:
        folder.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **engine_options(url))
    configure_engine(engine)
    return engine


def _sqlite_folder(url: URL) -> Path | None:
    """The folder of the SQLite file `url` names by a plain path, to create; None for anything else.

    Not `:memory:`, and not a URI (`sqlite:///file:/path/db?mode=ro&uri=true`): there the database
    is `file:/path/db`, which taken as a path would create a stray `file:` folder in the current
    directory; a URI names an existing file (read-only mode, shared cache), so nothing is created.
    """
    database = url.database
    if url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    if database.startswith("file:") or url.query.get("uri") == "true":
        return None
    return Path(database).expanduser().parent


@lru_cache(maxsize=8)
def shared_engine(url: str | None = None) -> Engine:
    """One engine per URL for the life of the process (the API and the CLI share it)."""
    return make_engine(url)


def describe(engine: Engine) -> str:
    """The URL with any password hidden, for messages."""
    return engine.url.render_as_string(hide_password=True)
