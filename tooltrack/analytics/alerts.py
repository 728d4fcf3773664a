"""Alerts: the baseline rules over the rollups, `tooltrack alerts scan`, and the alerts as listed.

The per-call rules (loop, sensitive path, new error kind) are found by the store as calls are
stored (`tooltrack.store.call_alerts`); the two rules here need whole days of one tool:

- **failure-rate spike**: per tool and UTC day, failures / decided calls (cancelled calls left
  out) from `rollup_tool_daily`. A day with at least `min_calls` decided calls is judged against
  the previous `baseline_days` days that also had `min_calls` (at least `min_baseline_days` of
  them): it fires when its rate is more than `mad_factor` scaled MADs above their median and at
  least `min_increase` above it.
- **latency regression**: per tool and day, the p95 from `rollup_latency_daily`'s histogram
  (within the histogram's 2.5 %), judged the same way against the previous days' p95s, with a
  floor in ms (`min_increase_ms`) and a ratio (`min_ratio`).

Each finding is keyed by rule, tool and day, so scanning again updates the day's figures rather
than adding an alert; the webhook posts an alert once, whatever a later scan changes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, and_, func, select

from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import MAX_LIMIT, MAX_OFFSET, as_date, as_int, bounded, where, window_of
from tooltrack.core import (
    ALERT_RULES,
    FAILURE_SPIKE,
    LATENCY_REGRESSION,
    SEVERITY,
    AlertSettings,
    FailureSpikeSettings,
    LatencyRegressionSettings,
    alert_key,
    baseline_of,
    current_alert_settings,
    exceeds,
    percentiles,
)
from tooltrack.store import (
    ALERTS_MAINTAINER,
    alert_deliveries,
    alerts,
    dialect_of,
    latency_daily,
    tool_daily,
)


class Alert(BaseModel):
    """One finding of an alert rule, as stored once in `derived_alerts`."""

    alert_key: str
    rule: str
    severity: str
    subject: str
    summary: str
    details: dict[str, Any] | None
    occurred_at: datetime
    day: date
    adw_id: str | None
    task_log_id: int | None
    call_index: int | None
    tool_name: str | None
    delivery: str | None
    """What the webhook did with it: sent, pending, sending, suppressed, failed; None: not yet."""


class RuleCount(BaseModel):
    rule: str
    severity: str
    alerts: int


class AlertsPage(BaseModel):
    """Alerts in the window, newest first, and how many there are in all and per rule."""

    start: date
    end: date
    total: int
    by_rule: list[RuleCount]
    """Every rule, with its count in the window (0 for a rule that found nothing)."""
    alerts: list[Alert]
    limit: int
    offset: int


class ScanReport(BaseModel):
    """What `tooltrack alerts scan` found and how long it took."""

    days: int
    """Days judged by the baseline rules."""
    found: dict[str, int]
    """Alerts stored per rule after the scan (in the days scanned for the baseline rules)."""
    seconds: dict[str, float]


#: The end of a day, as the moment a baseline alert is about.
_END_OF_DAY: Final = timedelta(days=1) - timedelta(microseconds=1)


def _moment(day: date, now: datetime) -> datetime:
    end = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + _END_OF_DAY
    return min(end, now)


def _series_judged(
    series: dict[str, dict[date, float]],
    counts: dict[str, dict[date, int]],
    first_day: date,
    *,
    baseline_days: int,
    min_baseline_days: int,
    min_calls: int,
) -> Iterable[tuple[str, date, float, Any]]:
    """(tool, day, value, baseline) for every day from `first_day` with enough calls and baseline."""
    for tool, by_day in series.items():
        enough = {d: v for d, v in by_day.items() if counts[tool][d] >= min_calls}
        for day, value in sorted(enough.items()):
            if day < first_day:
                continue
            earlier = [v for d, v in enough.items() if day - timedelta(days=baseline_days) <= d < day]
            if len(earlier) < max(1, min_baseline_days):
                continue
            baseline = baseline_of(earlier)
            if baseline is not None:
                yield tool, day, value, baseline


def failure_spikes(
    connection: Connection, settings: FailureSpikeSettings, first_day: date, now: datetime
) -> list[dict[str, Any]]:
    """The failure-rate spikes of the days from `first_day` (see the module's docstring)."""
    if not settings.enabled:
        return []
    t = tool_daily
    since = first_day - timedelta(days=settings.baseline_days)
    rows = connection.execute(
        select(
            t.c.tool_name,
            t.c.day,
            func.sum(t.c.calls).label("calls"),
            func.sum(t.c.failures).label("failures"),
            func.sum(t.c.cancelled).label("cancelled"),
        )
        .where(t.c.day >= since)
        .group_by(t.c.tool_name, t.c.day)
    ).all()
    rates: dict[str, dict[date, float]] = defaultdict(dict)
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    failures: dict[tuple[str, date], int] = {}
    for row in rows:
        day = as_date(row.day)
        decided = as_int(row.calls) - as_int(row.cancelled)
        if decided <= 0:
            continue
        rates[row.tool_name][day] = as_int(row.failures) / decided
        counts[row.tool_name][day] = decided
        failures[(row.tool_name, day)] = as_int(row.failures)
    found = []
    for tool, day, rate, baseline in _series_judged(
        rates,
        counts,
        first_day,
        baseline_days=settings.baseline_days,
        min_baseline_days=settings.min_baseline_days,
        min_calls=settings.min_calls,
    ):
        if not exceeds(rate, baseline, mad_factor=settings.mad_factor, min_increase=settings.min_increase):
            continue
        found.append(
            _baseline_row(
                FAILURE_SPIKE,
                tool,
                day,
                now,
                f"{tool} failed {rate:.0%} of {counts[tool][day]} calls on {day} "
                f"(baseline median {baseline.median:.0%} over {baseline.days} days)",
                {
                    "failure_rate": rate,
                    "failures": failures[(tool, day)],
                    "calls": counts[tool][day],
                    "baseline_median": baseline.median,
                    "baseline_mad": baseline.mad,
                    "baseline_days": baseline.days,
                },
            )
        )
    return found


def latency_regressions(
    connection: Connection, settings: LatencyRegressionSettings, first_day: date, now: datetime
) -> list[dict[str, Any]]:
    """The latency regressions of the days from `first_day` (see the module's docstring)."""
    if not settings.enabled:
        return []
    lat = latency_daily
    since = first_day - timedelta(days=settings.baseline_days)
    conditions = [lat.c.day >= since]
    if settings.timing != "all":
        conditions.append(lat.c.timing == settings.timing)
    rows = connection.execute(
        select(lat.c.tool_name, lat.c.day, lat.c.bucket, func.sum(lat.c.calls).label("calls"))
        .where(*conditions)
        .group_by(lat.c.tool_name, lat.c.day, lat.c.bucket)
    ).all()
    # The day's slowest call caps the estimate, as on the latency pages (`latency_over_time`).
    t = tool_daily
    slowest = {
        (row.tool_name, as_date(row.day)): row.maximum
        for row in connection.execute(
            select(t.c.tool_name, t.c.day, func.max(t.c.max_duration_ms).label("maximum"))
            .where(t.c.day >= since)
            .group_by(t.c.tool_name, t.c.day)
        )
    }
    histograms: dict[str, dict[date, list[tuple[int, int]]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        histograms[row.tool_name][as_date(row.day)].append((int(row.bucket), as_int(row.calls)))
    values: dict[str, dict[date, float]] = defaultdict(dict)
    counts: dict[str, dict[date, int]] = defaultdict(dict)
    for tool, by_day in histograms.items():
        for day, buckets in by_day.items():
            [p] = percentiles(buckets, [settings.quantile], ceiling=slowest.get((tool, day)))
            if p is not None:
                values[tool][day] = p
                counts[tool][day] = sum(c for _, c in buckets)
    found = []
    label = f"p{round(settings.quantile * 100)}"
    for tool, day, value, baseline in _series_judged(
        values,
        counts,
        first_day,
        baseline_days=settings.baseline_days,
        min_baseline_days=settings.min_baseline_days,
        min_calls=settings.min_calls,
    ):
        if not exceeds(
            value,
            baseline,
            mad_factor=settings.mad_factor,
            min_increase=settings.min_increase_ms,
            min_ratio=settings.min_ratio,
        ):
            continue
        found.append(
            _baseline_row(
                LATENCY_REGRESSION,
                tool,
                day,
                now,
                f"{tool} {label} was {value / 1000:.1f} s on {day} over {counts[tool][day]} timed calls "
                f"(baseline median {baseline.median / 1000:.1f} s over {baseline.days} days)",
                {
                    "quantile": settings.quantile,
                    "value_ms": value,
                    "timed_calls": counts[tool][day],
                    "baseline_median_ms": baseline.median,
                    "baseline_mad_ms": baseline.mad,
                    "baseline_days": baseline.days,
                    "timing": settings.timing,
                },
            )
        )
    return found


def _baseline_row(
    rule: str, tool: str, day: date, now: datetime, summary: str, details: dict[str, Any]
) -> dict[str, Any]:
    return {
        "alert_key": alert_key(rule, tool, day.isoformat()),
        "rule": rule,
        "severity": SEVERITY[rule],
        "subject": tool,
        "summary": summary,
        "details": details,
        "occurred_at": _moment(day, now),
        "day": day,
        "adw_id": None,
        "task_log_id": None,
        "call_index": None,
        "tool_name": tool,
        "workflow_template": None,
        "project": None,
    }


def _upsert(connection: Connection, rows: list[dict[str, Any]]) -> None:
    """Store baseline findings; a day scanned again gets its figures updated, not a second alert."""
    if not rows:
        return
    statement, parameters = dialect_of(connection).bulk_insert(alerts, sorted(rows, key=lambda r: r["alert_key"]))
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["alert_key"],
        set_={"summary": excluded.summary, "details": excluded.details, "occurred_at": excluded.occurred_at},
    )
    connection.execute(statement, parameters)


def scan(
    engine: Engine,
    *,
    days: int | None = None,
    per_call: bool = True,
    settings: AlertSettings | None = None,
    now: datetime | None = None,
) -> ScanReport:
    """Evaluate every rule over the history: the baseline rules over the last `days` days (all
    days with data when None), and, with `per_call`, the per-call rules over every stored call
    again (what the inserts found, found again: the same keys, so nothing is stored twice)."""
    settings = settings or current_alert_settings()
    now = now or datetime.now(UTC)
    seconds: dict[str, float] = {}
    with engine.begin() as connection:
        if per_call:
            started = time.perf_counter()
            ALERTS_MAINTAINER.rebuild(connection)
            seconds["per_call"] = time.perf_counter() - started
        first = connection.execute(select(func.min(tool_daily.c.day))).scalar()
        today = now.date()
        if days is not None:
            bounded("days", days, 1, 3650)
            first_day = today - timedelta(days=days - 1)
        else:
            first_day = as_date(first) if first is not None else today
        started = time.perf_counter()
        spikes = failure_spikes(connection, settings.failure_spike, first_day, now)
        _upsert(connection, spikes)
        seconds[FAILURE_SPIKE] = time.perf_counter() - started
        started = time.perf_counter()
        slow = latency_regressions(connection, settings.latency_regression, first_day, now)
        _upsert(connection, slow)
        seconds[LATENCY_REGRESSION] = time.perf_counter() - started
        counted = connection.execute(select(alerts.c.rule, func.count()).group_by(alerts.c.rule)).all()
    found = {rule: 0 for rule in ALERT_RULES} | {rule: int(n) for rule, n in counted}
    return ScanReport(days=max(0, (today - first_day).days + 1), found=found, seconds=seconds)


def page(
    connection: Connection, filters: Filters, *, rule: str | None = None, limit: int = 50, offset: int = 0
) -> AlertsPage:
    """Alerts in the window (and filters), newest first, counted over all of them.

    The template, project and tool filters narrow the alerts that name one (a baseline alert is
    about a tool across every run, so a template or project filter leaves it out); phase, model
    and agent do not apply to alerts."""
    bounded("limit", limit, 1, MAX_LIMIT)
    bounded("offset", offset, 0, MAX_OFFSET)
    if rule is not None and rule not in ALERT_RULES:
        raise ValueError(f"rule must be one of {', '.join(ALERT_RULES)}, not {rule!r}")
    a, d = alerts, alert_deliveries
    conditions = where(a, filters)
    counts = {
        r: int(n) for r, n in connection.execute(select(a.c.rule, func.count()).where(*conditions).group_by(a.c.rule))
    }
    if rule is not None:
        conditions.append(a.c.rule == rule)
    query = (
        select(*a.c, d.c.status.label("delivery"))
        .select_from(a.outerjoin(d, and_(d.c.alert_key == a.c.alert_key)))
        .where(*conditions)
        .order_by(a.c.occurred_at.desc(), a.c.alert_key)
        .limit(limit)
        .offset(offset)
    )
    rows = connection.execute(query).all()
    window = window_of(connection, filters)
    return AlertsPage(
        start=window.start,
        end=window.end,
        total=int(counts.get(rule, 0)) if rule is not None else sum(int(n) for n in counts.values()),
        by_rule=[RuleCount(rule=r, severity=SEVERITY[r], alerts=int(counts.get(r, 0))) for r in ALERT_RULES],
        alerts=[Alert.model_validate(row._mapping, from_attributes=False) for row in rows],
        limit=limit,
        offset=offset,
    )
