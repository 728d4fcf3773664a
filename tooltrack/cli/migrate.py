"""Migrating the database from a command: a database it cannot migrate is one line, not a traceback.

Shared by every command that upgrades before it works (`tooltrack db upgrade`, `demo`,
`dashboard`, `ingest`, `serve`, `rollups`), so they all say the same thing the same way.
"""

from __future__ import annotations

import click
from alembic.util import CommandError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from tooltrack.store import DatabaseAheadOfCode, describe
from tooltrack.store import upgrade as upgrade_store


def upgrade_database(engine: Engine, revision: str = "head") -> None:
    """Migrate for a command; exit 1 with one line when the database cannot be migrated.

    Ahead of this code (a newer tooltrack migrated it): say to upgrade tooltrack. An Alembic error
    (say `--revision` names no revision) is shown as Alembic words it. A database that cannot be
    reached or refuses the change: the URL (password hidden) and the driver's first line.
    """
    try:
        upgrade_store(engine, revision)
    except DatabaseAheadOfCode as exc:
        raise click.ClickException(exc.message()) from exc
    except CommandError as exc:
        raise click.ClickException(f"cannot migrate to {revision!r}: {exc}") from exc
    except DBAPIError as exc:
        reason = (str(exc.orig or exc).strip().splitlines() or ["?"])[0][:300]
        raise click.ClickException(f"cannot use the database at {describe(engine)}: {reason}") from exc
