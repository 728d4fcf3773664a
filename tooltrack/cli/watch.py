"""`tooltrack watch [PATH...]`: follow agent log folders and store new calls as they are written."""

from __future__ import annotations

import signal
import sys
import threading
from datetime import datetime
from pathlib import Path
from types import FrameType

import click

from tooltrack.cli.migrate import upgrade_database
from tooltrack.ingest import CLAUDE_PROJECTS, INTERVAL_SECONDS, SETTLE_SECONDS, FileReport, Watcher
from tooltrack.store import describe, make_engine


def _echo(report: FileReport) -> None:
    """One line per file that gave something to say: calls stored, rejected lines, an error."""
    said = report.tool_calls_stored or report.task_logs_stored or report.rejected_count or report.error
    if report.skipped or not said:
        return
    when = datetime.now().strftime("%H:%M:%S")
    line = f"{when} {report.name}: {report.tool_calls_stored} tool calls in {report.task_logs_stored} task logs stored"
    if report.duplicate_tool_calls:
        line += f", {report.duplicate_tool_calls} already stored"
    if report.calls_pending:
        line += f", {report.calls_pending} still running"
    click.echo(line)
    for rejected in report.rejected[:5]:
        click.echo(f"  {rejected.where}: {rejected.reason}")
    if report.error:
        click.echo(f"  error: {report.error}")


@click.command("watch")
@click.argument("paths", nargs=-1)
@click.option(
    "--interval",
    type=click.FloatRange(min=0.05),
    default=INTERVAL_SECONDS,
    show_default=True,
    help="Seconds between polls.",
)
@click.option(
    "--settle",
    type=click.FloatRange(min=0.0),
    default=SETTLE_SECONDS,
    show_default=True,
    help="Seconds a last line without a line break is waited for before it is read as it is.",
)
@click.option("--once", is_flag=True, help="Poll once (read what is new) and exit.")
def watch(paths: tuple[str, ...], interval: float, settle: float, once: bool) -> None:
    """Follow agent log folders (default ~/.claude/projects; also ADW agents/ folders) and store
    new tool calls as they are written, from per-file checkpoints: a restart goes on where it
    stopped, truncated and rotated files are read whole, nothing is stored twice (docs/ingest.md)."""
    roots = [Path(p).expanduser() for p in paths] or [CLAUDE_PROJECTS.expanduser()]
    missing = [str(root) for root in roots if not root.exists()]
    if missing:
        raise click.ClickException(f"no such file or folder: {', '.join(missing)}")
    engine = make_engine()
    click.echo(f"database: {describe(engine)}", err=True)
    upgrade_database(engine)
    watcher = Watcher(engine, roots, interval=interval, settle=settle, on_report=_echo)
    if once:
        watcher.poll()
        engine.dispose()
        return
    stop = threading.Event()

    def _stop(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _stop)
    click.echo(f"watching {', '.join(map(str, roots))} every {interval:g} s (Ctrl-C stops)", err=True)
    try:
        watcher.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()
    sys.stdout.flush()
