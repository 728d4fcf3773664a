"""Where the dashboard gets its data: one cached engine, and a data version for cache keys.

Every cached loader takes the data version as its first argument, so an ingest (which changes the
version) invalidates every cached frame at the next rerun without restarting the app.
"""

from __future__ import annotations

import streamlit as st
from sqlalchemy import Engine

from tooltrack.config import database_url
from tooltrack.store import TaskLogRepository, make_engine, upgrade


def _dispose(engine: Engine) -> None:
    engine.dispose()


# on_release closes the pool when the cache is cleared, instead of leaving connections to the GC.
@st.cache_resource(show_spinner=False, on_release=_dispose)
def get_engine(url: str | None = None) -> Engine:
    """One engine per database for the app's life, migrated to the newest revision."""
    engine = make_engine(url or database_url())
    upgrade(engine)
    return engine


def data_version(engine: Engine) -> tuple[int, int]:
    """Read uncached on every rerun: it is what makes the cached frames notice new data."""
    return TaskLogRepository(engine).data_version()
