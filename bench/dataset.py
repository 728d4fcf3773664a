"""The benchmark data set: a PostgreSQL database `tooltrack_bench` with 100 K task logs x 100 calls.

Built once, then reused by every benchmark (`ensure_dataset()` returns its URL): a marker table
records the parameters it was built with, and a database built with other parameters, or whose
build did not finish, is dropped and built again. The size (`TOOLTRACK_BENCH_LOGS`) and the
database's name (`--database`, `TOOLTRACK_BENCH_DATABASE`) can be chosen, so that a 1 M-call set
sits beside the 10 M one (the growth figures of bench/bench_analytics.py).

The mix is shaped on the demo data (tooltrack.ingest.demo): five workflow templates, their phases, the
tool mix of each phase, log-normal latencies per tool, realistic Bash commands and errors, parallel
calls sharing a turn, files read again. Task logs are spread over the last 60 days (so 7 days hold
about 1.2 M calls, as in DESIGN.md's measurements). Every task log is a run of its own (100 K runs
for the Runs page), with a project (a dozen, a few of them busy), an agent, a model, a title and an
outcome, and every call carries its model and an attributed cost (tokens and dollars), so the
project / model / agent filters and the cost figures read realistic rollups. One run,
`bench-big-run`, has 100 task logs of 100 calls (10 K calls) for the redundancy figure. Rows go in with COPY; then
`tooltrack rollups rebuild` computes the rollups from task_logs, as it would for an upgraded database.

    python bench/dataset.py            # build (or report) the data set
    python bench/dataset.py --rebuild  # drop it and build it again
    TOOLTRACK_BENCH_LOGS=10000 python bench/dataset.py --database tooltrack_bench_1m   # a 1 M-call set
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tooltrack.ingest.demo import COMMANDS, ERRORS, FAILURE_RATE, FILES, LATENCY, TEMPLATES, TOOL_MIX
from tooltrack.store import (
    ROLLUP_TABLES,
    InsertedLog,
    make_engine,
    rollups,
    runs,
    select_logs,
    task_logs,
    upgrade,
)
from tooltrack.store.schema import derived_state

SERVER_ENV = "TOOLTRACK_BENCH_SERVER_URL"
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DATABASE_ENV = "TOOLTRACK_BENCH_DATABASE"
DATABASE = os.environ.get(DATABASE_ENV) or "tooltrack_bench"
LOGS = int(os.environ.get("TOOLTRACK_BENCH_LOGS") or 100_000)
#: Processes that compute the rollups side by side (`tooltrack rollups rebuild` uses one: on a
#: shared 2-core machine, one niced process took over an hour for 10 M calls).
REBUILD_PROCESSES = int(os.environ.get("TOOLTRACK_BENCH_REBUILD_PROCESSES") or 4)
CALLS_PER_LOG = 100
DAYS = 60
BIG_RUN = "bench-big-run"
BIG_RUN_LOGS = 100
SEED = 20261125
#: Projects with their weights (a few busy ones, a long tail), agents, and models with a price per
#: million tokens (a blend of input, cache and output: the per-call cost only needs to look real).
_PROJECT_WEIGHTS = (30, 20, 12, 8, 6, 5, 5, 4, 4, 3, 2, 1)
PROJECTS = [(f"project-{name}", weight) for name, weight in zip("abcdefghijkl", _PROJECT_WEIGHTS, strict=True)]
AGENTS = [("claude-code", 80), ("adw", 20)]
MODELS = [("claude-sonnet-4-5", 70, 3.0), ("claude-opus-4-1", 10, 15.0), ("claude-haiku-4-5", 20, 1.0)]

_COLUMNS = (
    "adw_id", "issue_number", "workflow_template", "phase_name", "phase_number", "phase_status",
    "log_message", "error_message", "started_at", "completed_at", "duration_seconds", "tokens_used",
    "cost_usd", "tool_calls", "log_key", "source", "created_at", "captured_at",
    "project", "project_path", "git_branch", "agent", "agent_version", "models", "title", "outcome",
)  # fmt: skip


def server_url() -> str:
    return os.environ.get(SERVER_ENV) or DEFAULT_SERVER


def dataset_url(database: str | None = None) -> str:
    return make_url(server_url()).set(database=database or DATABASE).render_as_string(hide_password=False)


def _parameters() -> str:
    # v2: a run per task log, projects, agents, models and per-call cost.
    return orjson.dumps({"logs": LOGS, "calls": CALLS_PER_LOG, "days": DAYS, "seed": SEED, "v": 2}).decode()


def _ready(database: str) -> bool:
    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": database}).first()
    finally:
        admin.dispose()
    if not exists:
        return False
    engine = create_engine(dataset_url(database))
    try:
        with engine.connect() as connection:
            row = connection.execute(text("SELECT parameters, complete FROM bench_meta")).first()
    except Exception:
        return False
    finally:
        engine.dispose()
    return row is not None and row.parameters == _parameters() and row.complete


class _Generator:
    """Fast generation of realistic calls: choices precomputed per phase, JSON by orjson."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.mix = {phase: (list(m), list(m.values())) for phase, m in TOOL_MIX.items()}
        self.prices = {name: per_million / 1e6 for name, _, per_million in MODELS}

    def calls(self, phase: str, start: datetime, count: int, model: str) -> tuple[list[dict[str, Any]], int, int]:
        """`count` calls of a `phase` from `start` by `model`: the calls, their milliseconds and tokens."""
        rng = self.rng
        price = self.prices[model]
        tools, weights = self.mix[phase]
        names = rng.choices(tools, weights, k=count)
        calls: list[dict[str, Any]] = []
        clock = start
        recent: list[str] = []
        turn = 0
        total_ms = 0
        total_tokens = 0
        for index, tool in enumerate(names):
            if index == 0 or rng.random() > 0.15:  # 15 % of calls run in parallel with the previous one
                turn += 1
            median, spread = LATENCY.get(tool, (200, 0.8))
            success = rng.random() >= FAILURE_RATE.get(tool, 0.0)
            call: dict[str, Any] = {"tool_name": tool, "success": success, "turn_id": f"t{turn}"}
            if tool == "Bash":
                command, typical = rng.choice(COMMANDS)
                duration = max(5, int(rng.lognormvariate(0, 0.5) * typical))
                call["command"] = command
                call["exit_code"] = 0 if success else 1
            else:
                duration = max(1, int(rng.lognormvariate(0, spread) * median))
                if tool == "Read":
                    path = rng.choice(recent) if recent and rng.random() < 0.33 else rng.choice(FILES)
                    recent.append(path)
                    call["file_path"] = path
                elif tool in ("Edit", "MultiEdit", "Write"):
                    call["file_path"] = rng.choice(FILES)
                elif tool in ("Grep", "Glob"):
                    call["pattern"] = "def export"
            if rng.random() < 0.02:
                call["duration_ms"] = None  # imported without timing
            else:
                call["duration_ms"] = duration
                total_ms += duration
            if not success:
                call["error_message"] = rng.choice(ERRORS.get(tool, ["Tool failed"]))
                call["outcome"] = "error"
            else:
                call["outcome"] = "ok"
            call["timestamp"] = clock.isoformat()
            call["model"] = model
            # Attributed tokens: most calls a few thousand, a Read of a big file many more.
            tokens = int(rng.lognormvariate(6.7, 1.0))
            call["cost_tokens"] = tokens
            call["cost_usd"] = round(tokens * price, 6)
            total_tokens += tokens
            clock += timedelta(milliseconds=duration + 50)
            calls.append({k: v for k, v in call.items() if v is not None})
        return calls, total_ms, total_tokens


def _pick(rng: random.Random, weighted: list[Any]) -> Any:
    return rng.choices(weighted, [entry[1] for entry in weighted])[0]


def _rows(generator: _Generator, now: datetime) -> Any:
    rng = generator.rng
    templates = list(TEMPLATES)
    made = 0
    run = 0
    while made < LOGS:
        big = run == 0
        template = "adw_sdlc" if big else rng.choice(templates)
        phases = TEMPLATES[template]
        # One task log a run (a phase of its template), so 100 K logs are 100 K runs; the big run has many.
        count = BIG_RUN_LOGS if big else 1
        adw_id = BIG_RUN if big else f"bench{run:07d}"
        project = _pick(rng, PROJECTS)[0]
        agent = _pick(rng, AGENTS)[0]
        model = _pick(rng, MODELS)[0]
        start = now - timedelta(seconds=rng.uniform(60, DAYS * 86_400))
        for number in range(1, count + 1):
            if made >= LOGS:
                return
            phase = phases[(number - 1) % len(phases)] if big else rng.choice(phases)
            calls, total_ms, tokens = generator.calls(phase, start, CALLS_PER_LOG, model)
            end = start + timedelta(milliseconds=total_ms + 50 * CALLS_PER_LOG)
            failed = rng.random() < 0.05
            created = end + timedelta(seconds=1)
            cost = round(sum(call["cost_usd"] for call in calls) * rng.uniform(1.2, 1.6), 4)
            yield (
                adw_id, rng.randint(1, 500), template, phase, number, "failed" if failed else "completed",
                f"{phase} phase {'failed' if failed else 'completed'}", "phase failed" if failed else None,
                start, end, (end - start).total_seconds(), int(tokens * 1.4), cost,
                orjson.dumps(calls).decode(), f"bench:{adw_id}:{number}", "bench", created, created,
                project, f"/home/dev/{project}", rng.choice(("main", "main", "feature/export", "fix/login")),
                agent, "2.1.44" if agent == "claude-code" else "1.0", orjson.dumps([model]).decode(),
                f"{template} {phase.lower()} run {run}", "failed" if failed else "completed",
            )  # fmt: skip
            made += 1
            start = end + timedelta(seconds=5)
        run += 1


def build(database: str = DATABASE) -> None:
    """Drop and build the data set: COPY the task logs, rebuild the rollups, ANALYZE."""
    admin = create_engine(server_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    admin.dispose()
    engine = make_engine(dataset_url(database))
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE bench_meta (parameters text, complete boolean)"))
        connection.execute(text("INSERT INTO bench_meta VALUES (:p, false)"), {"p": _parameters()})

    started = time.perf_counter()
    now = datetime.now(UTC)
    generator = _Generator(SEED)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY task_logs ({', '.join(_COLUMNS)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for index, row in enumerate(_rows(generator, now), start=1):
                copy.write_row(row)
                if index % 10_000 == 0:
                    print(f"  copied {index} task logs ({time.perf_counter() - started:.0f} s)", flush=True)
        raw.commit()
    finally:
        raw.close()
    print(f"COPY of {LOGS} task logs x {CALLS_PER_LOG} calls: {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    rebuild_rollups(database)
    print(f"rollups rebuild: {time.perf_counter() - started:.1f} s", flush=True)
    engine.dispose()
    finish(database)


def finish(database: str) -> None:
    """VACUUM ANALYZE, then mark the data set complete."""
    engine = make_engine(dataset_url(database))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM ANALYZE"))
    with engine.begin() as connection:
        connection.execute(text("UPDATE bench_meta SET complete = true"))
    engine.dispose()


def _rebuild_part(arguments: tuple[str, int, int]) -> int:
    """The rollups of the task logs with lo < id <= hi, in transactions of one batch each (each writes
    its tables in the store's fixed order, keys sorted, so the parts never deadlock each other)."""
    url, lo, hi = arguments
    engine = make_engine(url)
    query = select_logs().order_by(task_logs.c.id)
    last, done = lo, 0
    batch = rollups.RollupBatch()
    try:
        while True:
            with engine.begin() as connection:
                rows = connection.execute(
                    query.where(task_logs.c.id > last, task_logs.c.id <= hi).limit(rollups.REBUILD_BATCH)
                ).all()
                for row in rows:
                    batch.add(InsertedLog.from_row(row))
                batch.write_rows(connection)
                if not rows or batch.keys > rollups.REBUILD_MAX_KEYS:
                    batch.write_counters(connection)
            if not rows:
                return done
            done += len(rows)
            last = rows[-1].id
    finally:
        engine.dispose()


def rebuild_rollups(database: str, processes: int = REBUILD_PROCESSES) -> None:
    """`tooltrack rollups rebuild`, in `processes` parts side by side (not one transaction: a data
    set is complete only once `bench_meta` says so)."""
    import multiprocessing

    url = dataset_url(database)
    engine = make_engine(url)
    with engine.begin() as connection:
        for table in reversed(ROLLUP_TABLES):
            connection.execute(table.delete())
        connection.execute(runs.delete())
        first, last = connection.execute(text("SELECT min(id) - 1, max(id) FROM task_logs")).one()
    step = max(1, -(-(last - first) // processes))
    parts = [(url, lo, min(lo + step, last)) for lo in range(first, last, step)]
    with multiprocessing.get_context("spawn").Pool(len(parts)) as pool:
        done = sum(pool.map(_rebuild_part, parts))
    with engine.begin() as connection:
        version = DERIVED_VERSION
        connection.execute(derived_state.delete().where(derived_state.c.name == "rollups"))
        connection.execute(derived_state.insert().values(name="rollups", version=version))
    engine.dispose()
    print(f"  rollups of {done} task logs in {len(parts)} parts", flush=True)


DERIVED_VERSION = rollups.MAINTAINER.version


def ensure_dataset(*, rebuild: bool = False, database: str | None = None) -> str:
    """The URL of the benchmark database, building it first when it is missing or stale."""
    name = database or DATABASE
    if rebuild or not _ready(name):
        print(f"building {name}: {LOGS} task logs x {CALLS_PER_LOG} calls (once; later runs reuse it)", flush=True)
        build(name)
    return dataset_url(name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rebuild", action="store_true", help="drop the data set and build it again")
    parser.add_argument("--database", help=f"the database's name (default {DATABASE}; env {DATABASE_ENV})")
    parser.add_argument(
        "--rollups-only", action="store_true", help="compute the rollups again over the stored task logs, then finish"
    )
    args = parser.parse_args()
    if args.rollups_only:
        name = args.database or DATABASE
        started = time.perf_counter()
        rebuild_rollups(name)
        print(f"rollups rebuild: {time.perf_counter() - started:.1f} s", flush=True)
        finish(name)
    url = ensure_dataset(rebuild=args.rebuild, database=args.database)
    print(f"data set ready: {make_url(url).render_as_string(hide_password=True)}")
    sys.exit(0)
