"""`tooltrack rollups ...`: look after the derived tables the analytics read."""

from __future__ import annotations

import time

import click
from sqlalchemy import func, select

from tooltrack.cli.migrate import upgrade_database
from tooltrack.store import DERIVED, ROLLUP_TABLES, describe, make_engine


@click.group("rollups")
def rollups() -> None:
    """The rollups: derived from task_logs.tool_calls, kept up to date on every insert."""


@rollups.command("rebuild")
@click.option("--database-url", default=None, help="Database URL (default: TOOLTRACK_DATABASE_URL, else SQLite).")
def rebuild(database_url: str | None) -> None:
    """Recompute every rollup from task_logs, in one transaction (readers see the old ones until it commits)."""
    engine = make_engine(database_url)
    click.echo(f"database: {describe(engine)}")
    upgrade_database(engine)
    started = time.perf_counter()
    with engine.begin() as connection:
        names = DERIVED.rebuild_all(connection)
        counted = select(func.count())
        counts = {t.name: connection.execute(counted.select_from(t)).scalar_one() for t in ROLLUP_TABLES}
    click.echo(f"rebuilt {', '.join(names)} in {time.perf_counter() - started:.1f} s")
    for name, rows in counts.items():
        click.echo(f"  {name}: {rows} rows")
    engine.dispose()
