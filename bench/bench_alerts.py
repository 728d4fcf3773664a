"""How long the alert rules take on a large database: the baseline rules of `tooltrack alerts scan`
over the rollups, and the per-call rules (what every insert and a scan's per-call pass run) per call.

    python bench/bench_alerts.py [DATABASE_URL] [--logs N]

Read-only: the baseline rules run in a transaction that is rolled back, and the per-call rules are
timed on task logs read back (their `prepare`, the pure-Python part; the rest is one lookup of the
error kinds by key and one INSERT of what was found). Default database: `tooltrack_bench`, the 10 M
call set that `bench/dataset.py` builds (it may be at an older revision: nothing here needs 0012).
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from sqlalchemy import func, select

from tooltrack.analytics.alerts import failure_spikes, latency_regressions
from tooltrack.analytics.queries import as_date
from tooltrack.core import load_settings
from tooltrack.store import InsertedLog, make_engine, rollups, select_logs, task_logs, tool_daily
from tooltrack.store.call_alerts import prepare

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/tooltrack_bench"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--logs", type=int, default=2000, help="task logs to time the per-call rules on")
    args = parser.parse_args()
    engine = make_engine(args.url)
    settings = load_settings()
    now = datetime.now(UTC)
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            first = as_date(connection.execute(select(func.min(tool_daily.c.day))).scalar())
            days = connection.execute(select(func.count(func.distinct(tool_daily.c.day)))).scalar()
            started = time.perf_counter()
            spikes = failure_spikes(connection, settings.failure_spike, first, now)
            spike_s = time.perf_counter() - started
            started = time.perf_counter()
            slow = latency_regressions(connection, settings.latency_regression, first, now)
            latency_s = time.perf_counter() - started
            rows = connection.execute(select_logs().order_by(task_logs.c.id).limit(args.logs)).all()
        finally:
            transaction.rollback()
    logs = [InsertedLog.from_row(row) for row in rows]
    calls = sum(len(log.tool_calls) for log in logs)
    started = time.perf_counter()
    found = prepare(logs, settings)
    alerts_s = time.perf_counter() - started
    started = time.perf_counter()
    rollups.prepare(logs)
    rollups_s = time.perf_counter() - started
    print(f"database: {engine.url.render_as_string()}, {days} days of rollups from {first}")
    print(f"failure-rate spikes over every day: {spike_s:.3f} s ({len(spikes)} found)")
    print(f"latency regressions over every day: {latency_s:.3f} s ({len(slow)} found)")
    print(
        f"per-call rules on {len(logs)} task logs, {calls} calls: {alerts_s:.3f} s "
        f"({calls / alerts_s:,.0f} calls/s, {alerts_s / calls * 1e6:.1f} µs a call; "
        f"{len(found.rows)} loop or path alerts, {len(found.failures)} failures to check for new kinds)"
    )
    print(f"the rollups' prepare on the same logs: {rollups_s:.3f} s ({rollups_s / calls * 1e6:.1f} µs a call)")
    engine.dispose()


if __name__ == "__main__":
    main()
