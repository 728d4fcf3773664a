"""The `tooltrack` command line. Each stage adds its own commands from its own module."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import click

from tooltrack.migrate_command import upgrade_database
from tooltrack.store import TaskLogRepository, describe, make_engine
from tooltrack.store.migrate import PROJECT_ROOT

#: Commands that live beside the stage they belong to: (module, attribute). A stage that has
#: not been built yet simply has no command.
STAGE_COMMANDS = (
    ("tooltrack.ingest.cli", "ingest"),
    ("tooltrack.analytics.cli", "rollups"),
    ("tooltrack.api.cli", "serve"),
    ("tooltrack.capture.cli", "replay"),
    ("tooltrack.capture.cli", "hook"),
)


@click.group()
@click.version_option(package_name="tooltrack")
def main() -> None:
    """Tool-call analytics for AI coding agents."""


@main.group()
def db() -> None:
    """The database: migrations."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Alembic revision to upgrade to.")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the tables (TOOLTRACK_DATABASE_URL, else the SQLite default)."""
    engine = make_engine()
    click.echo(f"database: {describe(engine)}")
    upgrade_database(engine, revision)
    click.echo(f"upgraded to {revision}")


@main.command()
@click.option("--workflows", default=300, show_default=True, help="How many workflow runs to make.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same data).")
@click.option("--force", is_flag=True, help="Add demo data even when the database is not empty.")
def demo(workflows: int, seed: int, force: bool) -> None:
    """Fill an empty database with realistic demo data."""
    from tooltrack.demo import seed_demo_data

    engine = make_engine()
    click.echo(f"database: {describe(engine)}")
    upgrade_database(engine)
    repository = TaskLogRepository(engine)
    if repository.count() and not force:
        click.echo("the database already holds task logs; nothing added (use --force to add anyway)")
        return
    stored = seed_demo_data(repository, workflows=workflows, seed=seed)
    click.echo(f"stored {stored.task_logs} task logs with {stored.tool_calls} tool calls for {workflows} workflows")


@main.command()
@click.option("--port", default=8501, show_default=True)
@click.option("--host", default="localhost", show_default=True)
@click.option("--no-demo", is_flag=True, help="Do not add demo data to an empty database.")
def dashboard(port: int, host: str, no_demo: bool) -> None:
    """Upgrade the database, add demo data if it is empty, and serve the dashboard."""
    from tooltrack.demo import seed_demo_data

    engine = make_engine()
    click.echo(f"database: {describe(engine)}")
    upgrade_database(engine)
    repository = TaskLogRepository(engine)
    if not no_demo and repository.count() == 0:
        stored = seed_demo_data(repository)
        click.echo(f"empty database: added demo data ({stored.task_logs} task logs, {stored.tool_calls} tool calls)")
    app = PROJECT_ROOT / "app.py"
    if not app.exists():
        raise click.ClickException(f"the dashboard's app.py was not found at {app}")
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.port", str(port), "--server.address", host, "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    click.echo(f"dashboard: http://{host}:{port}")
    raise SystemExit(subprocess.call(command, env=env, cwd=Path(app).parent))


def _add_stage_commands() -> None:
    for module_name, attribute in STAGE_COMMANDS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            # Only a stage that is not there at all is skipped; a broken import inside one is an error.
            if exc.name is None or not module_name.startswith(exc.name):
                raise
            continue
        main.add_command(getattr(module, attribute))


_add_stage_commands()

if __name__ == "__main__":
    main()
