"""Where the dashboard gets its data: one cached engine, and a data version for cache keys.

Every cached loader takes the data version as its first argument, so an ingest (which changes the
version) invalidates every cached frame at the next rerun without restarting the app.

The dashboard may run on a read-only login (docs/security.md). It migrates the database only when
it is behind head; when it is behind and cannot migrate, the page says so and stops. A database
migrated by a newer tooltrack (a revision this code does not know) is never touched: the page
says to upgrade tooltrack and stops.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from tooltrack.core import database_url
from tooltrack.dashboard.text import md
from tooltrack.store import (
    DatabaseBehindHead,
    RevisionMismatch,
    TaskLogRepository,
    current_revision,
    describe,
    head_revisions,
    make_engine,
    refuse_if_ahead,
    upgrade,
)


def _dispose(engine: Engine) -> None:
    engine.dispose()


def get_engine(url: str | None = None) -> Engine:
    """One engine per database for the app's life, at the newest revision.

    When the database is behind and this login cannot migrate it, or ahead of this code, the page
    shows who must do what (`st.error`) and stops; nothing is cached, so the next rerun checks again.
    """
    try:
        return _migrated_engine(url or database_url())
    except RevisionMismatch as exc:
        st.error(exc.message(md))
        st.stop()
        raise  # st.stop() raises; this keeps type checkers and readers sure nothing returns here


# on_release closes the pool when the cache is cleared, instead of leaving connections to the GC.
@st.cache_resource(show_spinner=False, on_release=_dispose)
def _migrated_engine(url: str) -> Engine:
    engine = make_engine(url)
    try:
        upgrade_if_behind(engine)
    except BaseException:
        engine.dispose()
        raise
    return engine


def upgrade_if_behind(engine: Engine) -> None:
    """Upgrade only a database behind head: at head a read-only login must not even try to write.

    Raises DatabaseBehindHead when the upgrade is refused (permission denied, read-only transaction,
    read-only SQLite file), and DatabaseAheadOfCode (`tooltrack.store.migrate`, shared with the CLI),
    before trying anything, when the database is at a revision this code's migrations do not know.
    """
    current = current_revision(engine)
    heads = head_revisions()
    if current in heads:
        return
    refuse_if_ahead(engine, current)  # before upgrade() opens a transaction a read-only login may not get
    try:
        upgrade(engine)
    except DBAPIError as exc:
        raise DatabaseBehindHead(describe(engine), current, heads) from exc


def data_version(engine: Engine) -> tuple[int, int]:
    """Read uncached on every rerun: it is what makes the cached frames notice new data."""
    return TaskLogRepository(engine).data_version()
