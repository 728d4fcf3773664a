"""Load: 32 writers post 20 K task logs (2 M tool calls) to the real API on PostgreSQL at once.

Some logs are posted twice by two writers racing on the same key, and a few deliberately broken
bodies are injected (each must get 422). Afterwards: exactly the distinct logs are stored, every
rollup table equals a rebuild from `task_logs` (computed in a rolled-back transaction), and the
total of calls in the rollups equals plain SQL over `task_logs`. Prints requests/s and latency
percentiles. Traffic goes to 127.0.0.1 only; the run is bounded in requests and in time.

    python bench/bench_load.py                      # full scale
    python bench/bench_load.py --logs 2000 --calls 20   # a quick look

The API runs as `uvicorn --factory tooltrack.api.app:create_app --workers N` on a throwaway
database (created, dropped at the end) on the server at TOOLTRACK_BENCH_SERVER_URL (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.helpers.derived_check import differences  # noqa: E402
from tests.helpers.load import Outcome, bodies, percentile, plan, run_threads  # noqa: E402
from tests.helpers.logs import make_log  # noqa: E402
from tooltrack.store import make_engine, upgrade  # noqa: E402
from tooltrack.store.keys import task_log_key  # noqa: E402
from tooltrack.store.schema import task_logs  # noqa: E402

SERVER = os.environ.get("TOOLTRACK_BENCH_SERVER_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
TOKEN = "bench-load-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _client_process(args: tuple[str, list[list[int]], int, float]) -> Outcome:
    base_url, indices, calls, seconds = args
    per_writer = [bodies(i, calls=calls) for i in indices]
    return run_threads(base_url, per_writer, token=TOKEN, seconds=seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=32)
    parser.add_argument("--logs", type=int, default=20_000)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--client-processes", type=int, default=4)
    parser.add_argument("--api-workers", type=int, default=2)
    parser.add_argument("--duplicate-every", type=int, default=10)
    parser.add_argument("--inject-every", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=1800, help="bound on the posting phase")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()

    name = f"tooltrack_load_{uuid.uuid4().hex[:8]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(SERVER).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    port = _free_port()
    env = {**os.environ, "TOOLTRACK_DATABASE_URL": url, "TOOLTRACK_API_TOKEN": TOKEN, "PYTHONPATH": str(ROOT)}
    api = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "tooltrack.api.app:create_app", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(args.api_workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            print("the API did not start", file=sys.stderr)
            return 1

        indices = plan(args.writers, args.logs, calls=args.calls, duplicate_every=args.duplicate_every,
                       inject_every=args.inject_every)  # fmt: skip
        groups = [indices[p :: args.client_processes] for p in range(args.client_processes)]
        sent_twice = sum(1 for i in range(args.logs) if args.duplicate_every and i % args.duplicate_every == 0)
        injected = sum(i.count(-1) for i in indices)
        requests = sum(len(i) for i in indices)
        print(f"{args.writers} writers in {args.client_processes} client processes -> uvicorn x{args.api_workers} "
              f"-> PostgreSQL; {args.logs} logs x {args.calls} calls = {args.logs * args.calls:,} calls; "
              f"{sent_twice} logs posted twice; {injected} injected bad bodies; {requests} requests",
              flush=True)  # fmt: skip
        context = multiprocessing.get_context("spawn")
        with context.Pool(args.client_processes) as pool:
            started = time.perf_counter()
            outcomes = pool.map(_client_process, [(base_url, g, args.calls, args.seconds) for g in groups])
            elapsed = time.perf_counter() - started
        outcome = Outcome()
        for one in outcomes:
            outcome.merge(one)
        # Generating the bodies happens inside the timed window; it is small beside the posting.
        done = len(outcome.latencies)
        print(f"posting: {done} requests in {elapsed:.1f} s = {done / elapsed:,.0f} requests/s "
              f"({args.logs * args.calls / elapsed:,.0f} tool calls/s stored)")  # fmt: skip
        print("latency: p50 {:.1f} ms, p95 {:.1f} ms, p99 {:.1f} ms, max {:.1f} ms".format(
            *(1000 * percentile(outcome.latencies, q) for q in (0.5, 0.95, 0.99, 1.0))))  # fmt: skip
        print(f"statuses: {dict(outcome.statuses)}; injected: {dict(outcome.injected_statuses)}; "
              f"errors: {len(outcome.errors)} {outcome.errors[:5]}")  # fmt: skip

        failures = []
        if outcome.errors:
            failures.append(f"{len(outcome.errors)} requests failed for a reason not injected")
        if dict(outcome.statuses) != {201: args.logs, 200: sent_twice}:
            failures.append(f"statuses {dict(outcome.statuses)} != 201 x {args.logs}, 200 x {sent_twice}")
        if dict(outcome.injected_statuses) != ({422: injected} if injected else {}):
            failures.append(f"injected statuses {dict(outcome.injected_statuses)}")
        started = time.perf_counter()
        with engine.connect() as connection:
            keys = set(connection.execute(select(task_logs.c.log_key)).scalars())
            count = connection.execute(select(func.count()).select_from(task_logs)).scalar_one()
            calls_sql = connection.execute(
                text("SELECT coalesce(sum(jsonb_array_length(tool_calls)), 0) FROM task_logs")
            ).scalar_one()
            calls_rollup = connection.execute(
                text("SELECT coalesce(sum(calls), 0) FROM rollup_tool_daily")
            ).scalar_one()
        expected = {task_log_key(make_log(i, calls=args.calls, namespace="load")) for i in range(args.logs)}
        print(f"stored: {count} task logs ({len(keys & expected)} of {len(expected)} expected keys), "
              f"{calls_sql:,} tool calls in task_logs, {calls_rollup:,} in rollup_tool_daily")  # fmt: skip
        if count != args.logs or keys != expected:
            failures.append("the stored logs are not exactly the distinct logs sent")
        if calls_sql != args.logs * args.calls or calls_rollup != calls_sql:
            failures.append("tool-call totals disagree")
        diff = differences(engine)
        print(f"rollups vs a rebuild from task_logs: {diff or 'identical'} "
              f"(checked in {time.perf_counter() - started:.1f} s)")  # fmt: skip
        if diff:
            failures.append("rollups differ from a rebuild")
        print("RESULT:", "ok" if not failures else "; ".join(failures))
        return 1 if failures else 0
    finally:
        api.terminate()
        try:
            api.wait(timeout=30)
        except subprocess.TimeoutExpired:
            api.kill()
        engine.dispose()
        if not args.keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    raise SystemExit(main())
