"""`tooltrack serve`: the REST API under uvicorn."""

from __future__ import annotations

import click

from tooltrack.cli.migrate import upgrade_database
from tooltrack.store import describe, make_engine


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
def serve(host: str, port: int) -> None:
    """Upgrade the database (TOOLTRACK_DATABASE_URL, else SQLite) and serve the REST API."""
    import uvicorn

    from tooltrack.api import create_app

    engine = make_engine()
    try:
        app = create_app(engine)  # first: a token no client can send is said before anything starts
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"database: {describe(engine)}")
    upgrade_database(engine)
    click.echo(f"API: http://{host}:{port}/docs")
    uvicorn.run(app, host=host, port=port)
