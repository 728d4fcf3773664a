"""`tooltrack ingest PATH...`: store agent logs from files, folders (recursively) or stdin (`-`)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tooltrack.cli.migrate import upgrade_database
from tooltrack.ingest import FileReport, Format, checkpoint_name, expand_paths, ingest_checked, ingest_stream
from tooltrack.store import describe, load_checkpoints, make_engine

#: Files smaller than this get no progress bar.
_BAR_FROM_BYTES = 8 * 1024 * 1024
_SHOWN_REJECTIONS = 20


def _bar_progress(label: str, total: int) -> tuple[Any, Callable[[int, int | None], None]]:
    bar = click.progressbar(length=total, label=label, file=sys.stderr, show_pos=False, show_percent=True)
    state = {"done": 0}

    def progress(done: int, _total: int | None) -> None:
        bar.update(done - state["done"])
        state["done"] = done

    return bar, progress


def _already_stored(calls: int, logs: int) -> str:
    """What was skipped as stored before, in its two units (never one sum of calls and logs)."""
    return f"{calls} tool calls and {logs} task logs already stored"


def _echo_report(report: FileReport) -> None:
    if report.skipped:
        return  # counted in the summary line: an unchanged folder prints one line, not one per file
    status = "ok" if report.ok else ("error" if report.error else "rejected lines")
    click.echo(
        f"{report.name}\n  format: {report.format or '-'}   task logs stored: {report.task_logs_stored}   "
        f"tool calls stored: {report.tool_calls_stored}   "
        f"already stored: {report.duplicate_tool_calls} tool calls, {report.duplicate_task_logs} task logs   "
        f"rejected: {report.rejected_count}   [{status}]"
    )
    if report.error:
        click.echo(f"  error: {report.error}")
    if report.costs:
        computed = sum(c.total_usd for c in report.costs)
        line = f"  cost: ${computed:.4f} computed from usage over {len(report.costs)} session(s)"
        reported = [c.reported_usd for c in report.costs if c.reported_usd is not None]
        if reported:
            line += f" (the runs' own figures: ${sum(reported):.4f} for {len(reported)} of them)"
        click.echo(line)
    for rejected in report.rejected[:_SHOWN_REJECTIONS]:
        click.echo(f"  {rejected.where}: {rejected.reason}")
    if report.rejected_count > _SHOWN_REJECTIONS:
        click.echo(f"  ... and {report.rejected_count - _SHOWN_REJECTIONS} more rejected lines")
    for note in report.notes[:_SHOWN_REJECTIONS]:
        where = note.where if note.line or note.element else "note"
        click.echo(f"  {where}: {note.message}")
    if len(report.notes) > _SHOWN_REJECTIONS:
        click.echo(f"  ... and {len(report.notes) - _SHOWN_REJECTIONS} more notes")


def _non_blank(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not value.strip():
        raise click.BadParameter("must not be blank")
    return value


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True)
@click.option("--adw-id", callback=_non_blank, help="adw_id for every task log (default: from the path or session).")
@click.option("--phase", callback=_non_blank, help="Phase name (default: the agent name from the path, or 'session').")
@click.option("--workflow-template", callback=_non_blank, help="Workflow template to record on the task logs.")
@click.option(
    "--format",
    "format_",
    type=click.Choice(["auto", *[f.value for f in Format]]),
    default="auto",
    show_default=True,
    help="Input format; auto detects it per file.",
)
@click.option(
    "--reread",
    is_flag=True,
    help="Read every file whole, as if it had never been read (its checkpoint is renewed; nothing is stored twice).",
)
def ingest(
    paths: tuple[str, ...],
    adw_id: str | None,
    phase: str | None,
    workflow_template: str | None,
    format_: str,
    reread: bool,
) -> None:
    """Store the tool calls in agent log files (files, folders searched recursively, - for stdin).

    Each file's checkpoint (how far it was read) is kept: a file unchanged since is skipped
    without being opened, one that grew is read from where it was left (docs/ingest.md).
    Exit status 0 when nothing was rejected; 1 otherwise (the good lines are stored either way).
    """
    engine = make_engine()
    click.echo(f"database: {describe(engine)}", err=True)
    upgrade_database(engine)
    options: dict[str, Any] = {
        "adw_id": adw_id,
        "phase": phase,
        "workflow_template": workflow_template,
        "format": format_,
    }
    reports: list[FileReport] = []
    for raw in paths:
        if raw == "-":
            reports.append(ingest_stream(engine, "-", sys.stdin.buffer, **options))
            _echo_report(reports[-1])
            continue
        if not Path(raw).exists():
            reports.append(FileReport(name=raw, error="no such file or folder"))
            _echo_report(reports[-1])
            continue
        files = list(expand_paths([raw]))
        known = {} if reread else load_checkpoints(engine, [checkpoint_name(path) for path in files])
        for path in files:
            checkpoint = known.get(checkpoint_name(path))
            size = path.stat().st_size - (checkpoint.resume_offset if checkpoint else 0) if path.is_file() else 0
            if size >= _BAR_FROM_BYTES:
                bar, progress = _bar_progress(path.name, size)
                with bar:
                    report = ingest_checked(engine, path, checkpoint, progress=progress, **options)
            else:
                report = ingest_checked(engine, path, checkpoint, **options)
            reports.append(report)
            _echo_report(report)
    total_logs = sum(r.task_logs_stored for r in reports)
    total_calls = sum(r.tool_calls_stored for r in reports)
    failed = [r for r in reports if not r.ok]
    already = _already_stored(sum(r.duplicate_tool_calls for r in reports), sum(r.duplicate_task_logs for r in reports))
    skipped = sum(1 for r in reports if r.skipped)
    if skipped:
        click.echo(f"{skipped} file(s) unchanged since they were last read: skipped (--reread reads them again)")
    click.echo(
        f"{len(reports)} file(s): {total_logs} task logs and {total_calls} tool calls stored, {already}, "
        f"{sum(r.rejected_count for r in reports)} lines rejected, {sum(1 for r in reports if r.error)} with an error"
    )
    engine.dispose()
    if failed:
        raise SystemExit(1)
