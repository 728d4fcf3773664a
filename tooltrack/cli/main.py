"""The `tooltrack` command: its group, and the database commands (`db upgrade`, `demo`, `dashboard`)."""

from __future__ import annotations

import errno
import importlib.util
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Final

import click

from tooltrack.cli.alerts import alerts
from tooltrack.cli.capture import hook, replay
from tooltrack.cli.doctor import doctor
from tooltrack.cli.ingest import ingest
from tooltrack.cli.migrate import upgrade_database
from tooltrack.cli.rollups import rollups
from tooltrack.cli.serve import serve
from tooltrack.cli.watch import watch
from tooltrack.store import TaskLogRepository, describe, make_engine

#: The repository's .streamlit/config.toml, as flags for `streamlit run`: Streamlit reads that file
#: from the working folder only, and an installed tooltrack runs from anywhere (flags win over any
#: config file). tests/store/test_wheel.py holds the two equal.
STREAMLIT_SETTINGS: Final = {
    "server.headless": "true",
    "server.maxUploadSize": "200",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "viewer",
    "theme.base": "light",
}


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
    from tooltrack.ingest import seed_demo_data

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
@click.option("--port", default=8501, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--host", default="localhost", show_default=True, help="Address to listen on.")
@click.option("--no-demo", is_flag=True, help="Do not add demo data to an empty database.")
def dashboard(port: int, host: str, no_demo: bool) -> None:
    """Upgrade the database, add demo data if it is empty, and serve the dashboard."""
    from tooltrack.ingest import seed_demo_data

    # Before the database is touched: a busy port used to fail only after migrating and seeding.
    refuse_busy_port(host, port)
    engine = make_engine()
    click.echo(f"database: {describe(engine)}")
    upgrade_database(engine)
    repository = TaskLogRepository(engine)
    if not no_demo and repository.count() == 0:
        stored = seed_demo_data(repository)
        click.echo(f"empty database: added demo data ({stored.task_logs} task logs, {stored.tool_calls} tool calls)")
    app = dashboard_script()
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    settings = [part for name, value in STREAMLIT_SETTINGS.items() for part in (f"--{name}", value)]
    command = [
        sys.executable, "-m", "streamlit", "run", str(app),
        "--server.port", str(port), "--server.address", host, *settings,
    ]  # fmt: skip
    click.echo(f"dashboard: http://{host}:{port}")
    # The user's working folder stays: a relative SQLite path in the URL means the same file.
    raise SystemExit(subprocess.call(command, env=env))


def refuse_busy_port(host: str, port: int) -> None:
    """Stop with a clear message when `host:port` cannot be listened on (in use, or not allowed).

    Binds each address `host` resolves to, as Streamlit will; SO_REUSEADDR, as Streamlit's server
    sets it, so that a port left in TIME_WAIT by a dashboard just stopped is not called busy.
    """
    try:
        addresses = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise click.ClickException(f"cannot listen on {host}: {exc.strerror}") from exc
    for family, kind, protocol, _, address in addresses:
        with socket.socket(family, kind, protocol) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as exc:
                reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"cannot be used ({exc.strerror})"
                raise click.ClickException(
                    f"port {port} on {host} {reason}: pick another with --port (make run PORT=8600)"
                ) from exc


def dashboard_script() -> Path:
    """The dashboard's main script inside the installed package (a wheel has no top-level app.py)."""
    # find_spec locates the dashboard package without importing it (Streamlit and pandas load in
    # the Streamlit process, not in this one).
    spec = importlib.util.find_spec("tooltrack.dashboard")
    origin = spec.origin if spec is not None else None
    app = Path(origin).parent / "entry" / "app.py" if origin else None
    if app is None or not app.is_file():
        raise click.ClickException(f"the dashboard's main script was not found (looked for {app})")
    return app


main.add_command(ingest)
main.add_command(watch)
main.add_command(rollups)
main.add_command(serve)
main.add_command(replay)
main.add_command(hook)
main.add_command(doctor)
main.add_command(alerts)
