"""Recovery, the live feed and the stream: what they cost over 10 M calls, and the stream's latency.

Reads the shared data set (`bench/dataset.py`: database `tooltrack_bench`, 100 K task logs x 100
calls) without writing to it, and refuses to run when it is not ready (never builds it):

- recovery over 7 days, 30 days and all time (every matching failure; cold, once each);
- one idle poll of the call feed (nothing new: what a connected stream costs the database every
  `interval`), median of 200;
- the Live page's view of the last 10 minutes.

Then, on a scratch PostgreSQL database made and dropped here: the time from a POST of a task log
returning to its first call arriving on a connected stream (`interval` 0.1 s and the default 0.5 s).

    nice python bench/bench_live.py
"""

from __future__ import annotations

import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from dataset import _ready, dataset_url, server_url  # noqa: E402

from tests.helpers.live_api import LiveAPI  # noqa: E402
from tests.helpers.sse import events  # noqa: E402
from tooltrack.analytics import AnalyticsService, CallFeed, Filters  # noqa: E402
from tooltrack.store import make_engine, upgrade  # noqa: E402


def _timed(label: str, action: object) -> object:
    start = time.perf_counter()
    result = action()  # type: ignore[operator]
    print(f"{label}: {time.perf_counter() - start:.2f} s", flush=True)
    return result


def bench_dataset() -> None:
    if not _ready():
        print("tooltrack_bench is not ready: skipping the 10 M-call figures (build it with bench/dataset.py)")
        return
    engine = make_engine(dataset_url())
    service = AnalyticsService(engine)
    windows = (("7 days", Filters(days=7)), ("30 days", Filters(days=30)), ("all time", Filters(all_time=True)))
    for label, filters in windows:
        report = _timed(f"recovery, {label}", lambda f=filters: service.recovery(f))
        overall = report.overall  # type: ignore[attr-defined]
        print(f"  failures {overall.failures:,}, outcomes {overall.outcomes}, recovered {overall.recovered:,}")
    feed = CallFeed(engine, Filters())
    times = []
    for _ in range(200):
        start = time.perf_counter()
        feed.poll()
        times.append(time.perf_counter() - start)
    print(f"idle feed poll: median {statistics.median(times) * 1000:.2f} ms, max {max(times) * 1000:.2f} ms")
    with engine.connect() as connection:
        plan = connection.execute(
            text("EXPLAIN SELECT id FROM task_logs WHERE id >= 100000000 ORDER BY id LIMIT 200")
        ).scalars()
        print("  plan:", " / ".join(line.strip() for line in plan))
    _timed("live view, last 10 minutes", lambda: service.live_view(Filters(), minutes=10))
    engine.dispose()


def bench_stream_latency() -> None:
    name = f"tooltrack_bench_live_{uuid.uuid4().hex[:6]}"
    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url()).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with LiveAPI(engine) as api, httpx.Client(base_url=api.url, timeout=30) as client:
            for interval in (0.1, 0.5):
                latencies = []
                for round_ in range(20):
                    arrived: list[float] = []
                    with client.stream("GET", "/api/v1/stream/tool-calls", params={"interval": interval}) as stream:
                        found = events(stream.iter_lines())
                        next(found)  # the opening comment: the feed's cursor is set

                        def read(found: object = found, arrived: list[float] = arrived) -> None:
                            for event in found:  # type: ignore[attr-defined]
                                if event.event == "tool_call":
                                    arrived.append(time.perf_counter())
                                    return

                        reader = threading.Thread(target=read)
                        reader.start()
                        time.sleep(interval * (round_ % 7) / 7)  # land anywhere in the poll cycle
                        log = {
                            "adw_id": f"latency-{interval}-{round_}",
                            "phase_name": "build",
                            "phase_status": "completed",
                            "started_at": datetime.now(UTC).isoformat(),
                            "tool_calls": [{"tool_name": "Bash", "success": True}],
                        }
                        client.post("/api/v1/observability/task-logs", json=log).raise_for_status()
                        posted = time.perf_counter()
                        reader.join(30)
                    latencies.append(arrived[0] - posted)
                print(
                    f"stream latency, interval {interval} s: median {statistics.median(latencies) * 1000:.0f} ms, "
                    f"max {max(latencies) * 1000:.0f} ms (20 posts)"
                )
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    bench_dataset()
    bench_stream_latency()
