"""`tooltrack alerts`: list the alerts, scan the history for them, post them to the webhook."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import click

from tooltrack.cli.migrate import upgrade_database
from tooltrack.core import ALERT_RULES, AlertSettings, current_alert_settings
from tooltrack.store import describe, make_engine

if TYPE_CHECKING:
    from tooltrack.analytics import DeliveryReport

# The analytics (and the webhook's httpx) load only when an alerts command runs: every other command
# of the CLI, `tooltrack ingest` on each call included, would pay about a second for them.

_DATABASE = click.option(
    "--database-url", default=None, help="Database URL (default: TOOLTRACK_DATABASE_URL, else SQLite)."
)


def _settings() -> AlertSettings:
    try:
        return current_alert_settings()
    except ValueError as exc:  # a rules file or variable that says something wrong
        raise click.ClickException(str(exc)) from exc


@click.group("alerts", invoke_without_command=True)
@click.option("--rule", type=click.Choice(ALERT_RULES), default=None, help="Only this rule's alerts.")
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 3650), help="The last N days.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 1000), help="How many to list.")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON (what GET /api/v1/alerts returns).")
@_DATABASE
@click.pass_context
def alerts(
    context: click.Context, rule: str | None, days: int, limit: int, as_json: bool, database_url: str | None
) -> None:
    """The alerts of the last days, newest first (subcommands: scan, send)."""
    if context.invoked_subcommand is not None:
        return
    engine = make_engine(database_url)
    upgrade_database(engine)
    from tooltrack.analytics import AnalyticsService, Filters

    page = AnalyticsService(engine).alerts(Filters(days=days), rule=rule, limit=limit)
    engine.dispose()
    if as_json:
        click.echo(page.model_dump_json(indent=2))
        return
    counts = ", ".join(f"{c.rule} {c.alerts}" for c in page.by_rule)
    click.echo(f"{page.total} alerts from {page.start} to {page.end} ({counts})")
    for alert in page.alerts:
        delivery = f" [{alert.delivery}]" if alert.delivery else ""
        click.echo(f"{alert.occurred_at:%Y-%m-%d %H:%M} {alert.severity:<8} {alert.rule:<18} {alert.summary}{delivery}")
    if page.total > len(page.alerts):
        click.echo(f"... {page.total - len(page.alerts)} more (--limit, --rule, --days)")


def _report(report: DeliveryReport) -> None:
    click.echo(
        f"webhook: {report.sent} sent, {report.suppressed} suppressed (cool-down or too old), "
        f"{report.retrying} to retry, {report.failed} given up"
    )
    for error in report.errors[:5]:
        click.echo(f"  {error}", err=True)


@alerts.command("scan")
@click.option("--days", default=None, type=click.IntRange(1, 3650), help="Judge only the last N days (default: all).")
@click.option("--baselines-only", is_flag=True, help="Skip finding the per-call alerts again in every stored call.")
@click.option("--no-send", is_flag=True, help="Do not post the new alerts to the webhook.")
@_DATABASE
def scan_command(days: int | None, baselines_only: bool, no_send: bool, database_url: str | None) -> None:
    """Evaluate every rule over the stored history, then post what is new to the webhook."""
    settings = _settings()
    engine = make_engine(database_url)
    click.echo(f"database: {describe(engine)}")
    upgrade_database(engine)
    started = time.perf_counter()
    from tooltrack.analytics import drain, scan

    report = scan(engine, days=days, per_call=not baselines_only, settings=settings)
    found = ", ".join(f"{rule} {n}" for rule, n in report.found.items())
    click.echo(f"scanned {report.days} days in {time.perf_counter() - started:.1f} s: {found}")
    if not no_send and settings.webhook.url:
        _report(drain(engine, settings, timeout=30))
    engine.dispose()


@alerts.command("send")
@click.option("--follow", is_flag=True, help="Keep sending: a background sender that polls every --interval seconds.")
@click.option(
    "--interval", default=5.0, show_default=True, type=click.FloatRange(0.1, 3600), help="Seconds between rounds."
)
@_DATABASE
def send_command(follow: bool, interval: float, database_url: str | None) -> None:
    """Post the alerts not posted yet (and due retries) to the webhook (TOOLTRACK_ALERT_WEBHOOK_URL)."""
    from tooltrack.analytics import drain, send_round

    settings = _settings()
    if not settings.webhook.url:
        raise click.ClickException("no webhook: set TOOLTRACK_ALERT_WEBHOOK_URL or [webhook] url in the rules file")
    engine = make_engine(database_url)
    upgrade_database(engine)
    if not follow:
        _report(drain(engine, settings, timeout=30))
        return
    click.echo(f"sending alerts every {interval:g} s (Ctrl-C to stop)")
    try:
        while True:
            report = send_round(engine, settings)
            if report.sent or report.failed or report.retrying:
                _report(report)
            time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        engine.dispose()
