"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from pathlib import Path

DATABASE_URL_ENV = "TOOLTRACK_DATABASE_URL"


def default_data_dir() -> Path:
    """The user's data folder for tooltrack (XDG on Linux, the usual places elsewhere)."""
    override = os.environ.get("TOOLTRACK_HOME")
    if override:
        return Path(override)
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg) if xdg else Path.home() / ".local" / "share"
    return base / "tooltrack"


def default_database_url() -> str:
    """The embedded default: an SQLite file under the user's data folder."""
    return f"sqlite:///{default_data_dir() / 'tooltrack.db'}"


def database_url() -> str:
    """`TOOLTRACK_DATABASE_URL` when set, else the embedded SQLite default."""
    return os.environ.get(DATABASE_URL_ENV) or default_database_url()
