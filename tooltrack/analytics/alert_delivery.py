"""Posting alerts to a webhook: once each, with a cool-down, retried with backoff, apart from storing.

The store only writes `derived_alerts`; this reads them afterwards (`tooltrack alerts send`, once
or `--follow` as a background sender, and after `tooltrack alerts scan`), so a slow or failing
webhook never holds up an insert. `alert_deliveries` is the outbox and the record:

- An alert with no delivery row is claimed by inserting its row ("sending"); a second sender's
  insert of the same key does nothing, so two senders never post one alert twice.
- Before posting: an alert about something older than `max_age_hours` is "suppressed" (a scan of
  last year posts nothing); one whose rule and subject were posted less than `cooldown_seconds`
  ago is "suppressed" too (a session reading `.env` twenty times posts once).
- The post is Slack-compatible JSON, `{"text": ...}`. A 2xx answer makes it "sent". Anything else
  (an error status, a timeout, a refused connection) makes it "pending" with `next_attempt_at`
  `backoff_seconds` x 2^(attempts-1) later (at most `max_backoff_seconds`, or the server's
  `Retry-After`), until `max_attempts` posts failed: then "failed", with the last error kept.
- A row left "sending" by a sender that died is taken up again after `STALE_SENDING`.

Rebuilding the alerts (`tooltrack rollups rebuild`, `tooltrack alerts scan`) gives the same keys,
so nothing posted is posted again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import httpx
from sqlalchemy import Connection, Engine, and_, or_, select, update

from tooltrack.core import AlertSettings, WebhookSettings, current_alert_settings
from tooltrack.store import alert_deliveries, alerts, dialect_of

SENDING: Final = "sending"
PENDING: Final = "pending"
SENT: Final = "sent"
SUPPRESSED: Final = "suppressed"
FAILED: Final = "failed"
#: How long a row may stay "sending" before another sender takes it up (its sender died).
STALE_SENDING: Final = timedelta(minutes=5)
#: Alerts claimed per round.
BATCH: Final = 100
MAX_ERROR: Final = 500
_ICONS: Final = {"critical": ":rotating_light:", "warning": ":warning:", "info": ":information_source:"}

#: Posts one body to the webhook; returns (status code, Retry-After seconds or None).
Post = Callable[[str, dict[str, Any], float], tuple[int, float | None]]


def http_post(url: str, body: dict[str, Any], timeout: float) -> tuple[int, float | None]:
    response = httpx.post(url, json=body, timeout=timeout)
    retry_after = response.headers.get("retry-after")
    try:
        wait = float(retry_after) if retry_after else None
    except ValueError:
        wait = None
    return response.status_code, wait


def message(alert: Any) -> dict[str, Any]:
    """The webhook body for one alert: Slack's `text`, and the alert's fields for other receivers."""
    icon = _ICONS.get(alert.severity, "")
    where = f" (run `{alert.adw_id}`)" if alert.adw_id and alert.adw_id not in alert.summary else ""
    text = f"{icon} *tooltrack {alert.rule.replace('_', ' ')}*: {alert.summary}{where}".strip()
    return {
        "text": text,
        "alert": {
            "key": alert.alert_key,
            "rule": alert.rule,
            "severity": alert.severity,
            "subject": alert.subject,
            "occurred_at": alert.occurred_at.isoformat(),
            "adw_id": alert.adw_id,
            "tool_name": alert.tool_name,
        },
    }


@dataclass(slots=True)
class DeliveryReport:
    """What one round (or several) of sending did."""

    sent: int = 0
    suppressed: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: DeliveryReport) -> None:
        self.sent += other.sent
        self.suppressed += other.suppressed
        self.retrying += other.retrying
        self.failed += other.failed
        self.errors.extend(other.errors)


def _now() -> datetime:
    return datetime.now(UTC)


def _claim_new(connection: Connection, now: datetime) -> list[Any]:
    """Alerts never seen by a sender, claimed ("sending"), oldest first."""
    a, d = alerts, alert_deliveries
    rows = connection.execute(
        select(a.c.alert_key, a.c.rule, a.c.subject)
        .select_from(a.outerjoin(d, d.c.alert_key == a.c.alert_key))
        .where(d.c.alert_key.is_(None))
        .order_by(a.c.occurred_at, a.c.alert_key)
        .limit(BATCH)
    ).all()
    if not rows:
        return []
    claims = [
        {
            "alert_key": r.alert_key,
            "rule": r.rule,
            "subject": r.subject,
            "status": SENDING,
            "attempts": 0,
            "next_attempt_at": None,
            "last_error": None,
            "sent_at": None,
            "updated_at": now,
        }
        for r in rows
    ]
    statement, parameters = dialect_of(connection).bulk_insert(d, claims)
    # RETURNING names the rows this sender inserted: another sender's claims are not ours.
    statement = statement.on_conflict_do_nothing(index_elements=["alert_key"]).returning(d.c.alert_key)
    return list(connection.execute(statement, parameters).scalars())


def _claim_due(connection: Connection, now: datetime) -> list[str]:
    """Alerts whose retry is due (or whose sender died), claimed."""
    d = alert_deliveries
    due = or_(
        and_(d.c.status == PENDING, d.c.next_attempt_at <= now),
        and_(d.c.status == SENDING, d.c.updated_at <= now - STALE_SENDING),
    )
    keys = list(connection.execute(select(d.c.alert_key).where(due).order_by(d.c.alert_key).limit(BATCH)).scalars())
    claimed = []
    for key in keys:
        # Claimed only if still due: a concurrent sender's UPDATE makes ours match nothing.
        result = connection.execute(update(d).where(d.c.alert_key == key, due).values(status=SENDING, updated_at=now))
        if result.rowcount == 1:
            claimed.append(key)
    return claimed


def _recently_sent(connection: Connection, rule: str, subject: str, since: datetime, key: str) -> bool:
    d = alert_deliveries
    query = select(d.c.alert_key).where(
        d.c.rule == rule, d.c.subject == subject, d.c.status == SENT, d.c.sent_at > since, d.c.alert_key != key
    )
    return connection.execute(query.limit(1)).first() is not None


def send_round(
    engine: Engine,
    settings: AlertSettings | None = None,
    *,
    post: Post = http_post,
    now: Callable[[], datetime] = _now,
) -> DeliveryReport:
    """Claim the alerts to post (new ones, then due retries) and post each once."""
    webhook = (settings or current_alert_settings()).webhook
    report = DeliveryReport()
    if not webhook.url:
        return report
    moment = now()
    with engine.begin() as connection:
        keys = _claim_new(connection, moment) + _claim_due(connection, moment)
    for key in keys:
        report.add(_deliver(engine, key, webhook, post, now))
    return report


def _deliver(
    engine: Engine, key: str, webhook: WebhookSettings, post: Post, now: Callable[[], datetime]
) -> DeliveryReport:
    report = DeliveryReport()
    d = alert_deliveries
    with engine.connect() as connection:
        alert = connection.execute(select(alerts).where(alerts.c.alert_key == key)).first()
        attempts = connection.execute(select(d.c.attempts).where(d.c.alert_key == key)).scalar_one()
    moment = now()

    def finish(**values: Any) -> None:
        with engine.begin() as connection:
            connection.execute(update(d).where(d.c.alert_key == key).values(updated_at=now(), **values))

    if alert is None:  # rebuilt away since it was claimed
        finish(status=SUPPRESSED, last_error="the alert is no longer stored")
        report.suppressed += 1
        return report
    if alert.occurred_at < moment - timedelta(hours=webhook.max_age_hours):
        finish(status=SUPPRESSED, last_error=f"older than {webhook.max_age_hours:g} h when first seen")
        report.suppressed += 1
        return report
    with engine.connect() as connection:
        cooling = _recently_sent(
            connection, alert.rule, alert.subject, moment - timedelta(seconds=webhook.cooldown_seconds), key
        )
    if cooling:
        finish(status=SUPPRESSED, last_error=f"cool-down: {alert.rule} about {alert.subject} was posted just before")
        report.suppressed += 1
        return report
    try:
        status, retry_after = post(webhook.url, message(alert), webhook.timeout_seconds)
        error = None if 200 <= status < 300 else f"HTTP {status}"
    except (httpx.HTTPError, OSError) as exc:
        retry_after, error = None, f"{type(exc).__name__}: {exc}"
    attempts += 1
    if error is None:
        finish(status=SENT, attempts=attempts, sent_at=now(), last_error=None, next_attempt_at=None)
        report.sent += 1
        return report
    report.errors.append(f"{key}: {error}")
    if attempts >= webhook.max_attempts:
        finish(status=FAILED, attempts=attempts, last_error=error[:MAX_ERROR], next_attempt_at=None)
        report.failed += 1
        return report
    wait = min(webhook.backoff_seconds * 2 ** (attempts - 1), webhook.max_backoff_seconds)
    if retry_after is not None:
        wait = max(wait, min(retry_after, webhook.max_backoff_seconds))
    finish(
        status=PENDING, attempts=attempts, last_error=error[:MAX_ERROR], next_attempt_at=now() + timedelta(seconds=wait)
    )
    report.retrying += 1
    return report


def next_due(engine: Engine) -> datetime | None:
    """When the next retry is due (None: nothing is waiting)."""
    d = alert_deliveries
    with engine.connect() as connection:
        return connection.execute(
            select(d.c.next_attempt_at).where(d.c.status == PENDING).order_by(d.c.next_attempt_at).limit(1)
        ).scalar()


def drain(
    engine: Engine,
    settings: AlertSettings | None = None,
    *,
    timeout: float = 60.0,
    post: Post = http_post,
) -> DeliveryReport:
    """Send rounds until nothing is left to post or retry, or `timeout` seconds have passed."""
    settings = settings or current_alert_settings()
    deadline = time.monotonic() + timeout
    report = DeliveryReport()
    while True:
        report.add(send_round(engine, settings, post=post))
        due = next_due(engine)
        if due is None or not settings.webhook.url:
            return report
        wait = max(0.0, (due - _now()).total_seconds())
        if time.monotonic() + wait > deadline:
            return report
        time.sleep(wait)
