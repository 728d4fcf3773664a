"""What the agent waits per tool call for each way of capturing Claude Code's calls.

Each tool call is two hook events (PreToolUse and PostToolUse); the figures are per event and per
tool call (the two added), p50 and p99, in milliseconds:

(a) the HTTP hook: real `tooltrack serve` (a uvicorn subprocess over a real SQLite file or a fresh
    PostgreSQL database), posted to as Claude Code's `"type": "http"` hook does it, the time from
    sending the request to having the whole answer. Two clients: a kept-alive connection with a
    minimal HTTP/1.1 client on a raw socket (the endpoint's own answer time), and a new TCP
    connection per event (a client that does not keep connections). Both also "with the database
    busy": a second process writes task logs of 200 calls into the same database as fast as it
    can the whole time. After each run the database is checked to hold every call once.
(b) the async command hook (`"async": true`): Claude Code spawns the process, writes the event to
    its stdin and goes on without waiting for it. What it waits is the spawn and the write; timed
    here as `subprocess.Popen` + write + close of stdin (Node's spawn does the same system calls).
    The process then runs for its usual ~30 ms beside the agent (not waited for; its wall time is
    printed too, and the next spawn waits for it so they do not pile up).
(c) the command hook today (`tooltrack-hook`, synchronous): spawn to exit, as Claude Code waits.

Usage: nice python bench/bench_hook_overhead.py [--calls 1500] [--hook-runs 60] [--database sqlite|postgresql|both]
PostgreSQL: a database `tooltrack_hookbench_<random>` on TOOLTRACK_BENCH_PG (default
postgresql+psycopg://postgres@127.0.0.1:5432/postgres), dropped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PYTHON = sys.executable
HOOK_SCRIPT = Path(PYTHON).with_name("tooltrack-hook")
HOOK_PATH = "/api/v1/hooks/claude-code"
FIXTURES = ROOT / "tests" / "fixtures" / "claude-hooks"
PG_SERVER = os.environ.get("TOOLTRACK_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def summary(samples: list[float]) -> str:
    return f"{pct(samples, 0.5):7.2f} {pct(samples, 0.99):7.2f}"


def events(calls: int, run: str) -> Iterator[bytes]:
    """Real hook payloads (a Bash call's Pre- and PostToolUse) with ids of their own, a Stop every 25 calls."""
    post = json.loads((FIXTURES / "post_tool_use_log.json").read_text())[0]
    pre = json.loads((FIXTURES / "docs_PreToolUse.json").read_text())
    pre = {**pre, "tool_input": post["tool_input"]}
    for n in range(calls):
        session = f"bench-{run}-{n // 25}"
        call_id = f"toolu_bench_{run}_{n:06d}"
        yield json.dumps({**pre, "session_id": session, "tool_use_id": call_id}).encode()
        yield json.dumps({**post, "session_id": session, "tool_use_id": call_id}).encode()
        if n % 25 == 24:
            yield json.dumps({"session_id": session, "hook_event_name": "Stop", "stop_hook_active": False}).encode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request_bytes(port: int, body: bytes) -> bytes:
    head = (
        f"POST {HOOK_PATH} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n"
        f"Authorization: Bearer bench-token\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def read_answer(sock: socket.socket) -> bytes:
    """One whole HTTP answer (headers and its Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += sock.recv(65536)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"the endpoint answered {head.splitlines()[0]!r}")
    return head


def route_time(head: bytes) -> float:
    """The route's own time in ms, from its `Server-Timing: app;dur=...` header."""
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"server-timing":
            return float(value.split(b"dur=")[1])
    raise RuntimeError("no Server-Timing header in the answer")


def post_kept_alive(port: int, bodies: list[bytes]) -> tuple[list[float], list[float]]:
    samples, routes = [], []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for body in bodies:
            message = request_bytes(port, body)
            start = time.perf_counter()
            sock.sendall(message)
            head = read_answer(sock)
            samples.append((time.perf_counter() - start) * 1000)
            routes.append(route_time(head))
    return samples, routes


def post_new_connection(port: int, bodies: list[bytes]) -> tuple[list[float], list[float]]:
    samples, routes = [], []
    for body in bodies:
        message = request_bytes(port, body)
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(message)
            head = read_answer(sock)
        samples.append((time.perf_counter() - start) * 1000)
        routes.append(route_time(head))
    return samples, routes


def per_call(samples: list[float], bodies: list[bytes]) -> list[float]:
    """Pre + Post of each call (Stops left out: they are per turn, not per tool call)."""
    kinds = [json.loads(b)["hook_event_name"] for b in bodies]
    tool_events = [s for s, k in zip(samples, kinds, strict=True) if k != "Stop"]
    return [tool_events[i] + tool_events[i + 1] for i in range(0, len(tool_events) - 1, 2)]


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'hookbench.db'}"
        return
    from sqlalchemy import create_engine, make_url, text

    name = f"tooltrack_hookbench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


BUSY_WRITER = r"""
import sys, time, uuid
from datetime import UTC, datetime
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository, make_engine
repository = TaskLogRepository(make_engine(sys.argv[1]))
stored = 0
deadline = time.time() + float(sys.argv[2])
while time.time() < deadline:
    run = uuid.uuid4().hex
    calls = [{"tool_name": "Bash", "call_id": f"busy_{run}_{i}", "success": True, "duration_ms": 5,
              "timestamp": datetime.now(UTC).isoformat(), "command": "ls -la"} for i in range(200)]
    log = TaskLogCreate.model_validate({"adw_id": f"busy-{run[:8]}", "phase_name": "load", "phase_status": "completed",
                                        "log_key": f"busy:{run}", "tool_calls": calls})
    try:
        repository.create(log)
        stored += 1
    except Exception as exc:  # a locked SQLite file: the load goes on
        print(f"busy writer: {type(exc).__name__}", file=sys.stderr)
print(stored)
"""


class Server:
    """`tooltrack serve` in a subprocess, as a user runs it."""

    def __init__(self, url: str, folder: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "TOOLTRACK_DATABASE_URL": url,
            "TOOLTRACK_API_TOKEN": "bench-token",
            "TOOLTRACK_HOOK_SPOOL": str(folder / "hook-server" / "task_logs.jsonl"),
            "TOOLTRACK_HOME": str(folder / "home"),
        }
        self.log = (folder / f"serve-{self.port}.log").open("wb")
        self.process = subprocess.Popen(
            [PYTHON, "-m", "tooltrack.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.time() + 120
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if self.process.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"tooltrack serve did not start: see {self.log.name}") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()  # SIGTERM: the writer stores what is queued first
        self.process.wait(60)
        self.log.close()


def stored_calls(url: str, run: str) -> tuple[int, int]:
    """(calls, distinct call ids) stored in the task logs of the run's sessions."""
    from sqlalchemy import select

    from tooltrack.store import make_engine, task_logs

    engine = make_engine(url)
    with engine.connect() as connection:
        query = select(task_logs.c.tool_calls).where(task_logs.c.adw_id.like(f"bench-{run}-%"))
        ids = [call.get("call_id") for (calls,) in connection.execute(query) for call in calls or []]
    engine.dispose()
    return len(ids), len(set(ids))


def bench_http(kind: str, calls: int, folder: Path) -> list[tuple[str, list[float], list[float]]]:
    rows: list[tuple[str, list[float], list[float]]] = []
    with database(kind, folder) as url:
        server = Server(url, folder)
        try:
            warm = list(events(50, f"warm{kind}"))
            post_kept_alive(server.port, warm)
            for busy in (False, True):
                load = None
                if busy:
                    load = subprocess.Popen(
                        [PYTHON, "-c", BUSY_WRITER, url, "600"],
                        env={**os.environ, "PYTHONPATH": str(ROOT)},
                        stdout=subprocess.PIPE,
                        stderr=subprocess.DEVNULL,
                    )
                    time.sleep(3)  # let it get going
                tag = "busy" if busy else "idle"
                for client, post in (("kept-alive", post_kept_alive), ("new connection", post_new_connection)):
                    run = f"{kind}{tag}{client[:3]}{uuid.uuid4().hex[:4]}"
                    bodies = list(events(calls, run))
                    samples, routes = post(server.port, bodies)
                    label = f"(a) HTTP hook, {kind}, {client}, database {'busy' if busy else 'idle'}"
                    rows.append((label, samples, per_call(samples, bodies)))
                    rows.append(("    (the route's own time, Server-Timing)", routes, per_call(routes, bodies)))
                    wait_stored(url, run, calls, label)
                if load is not None:
                    load.terminate()
                    load.wait(60)
        finally:
            server.stop()
    return rows


def wait_stored(url: str, run: str, calls: int, label: str, timeout: float = 120.0) -> None:
    deadline = time.time() + timeout
    while True:
        total, distinct = stored_calls(url, run)
        if total == calls == distinct:
            print(f"   {label}: all {calls} calls stored once", flush=True)
            return
        if time.time() > deadline:
            print(f"   {label}: {total} stored ({distinct} distinct) of {calls} after {timeout:.0f} s", flush=True)
            return
        time.sleep(0.5)


def bench_commands(runs: int, folder: Path) -> list[tuple[str, list[float], list[float]]]:
    env = {
        **os.environ,
        "TOOLTRACK_SPOOL": str(folder / "cmd-spool" / "task_logs.jsonl"),
        "TOOLTRACK_HOME": str(folder / "home"),
    }
    command = [str(HOOK_SCRIPT)] if HOOK_SCRIPT.exists() else [PYTHON, "-m", "tooltrack.capture.hook"]
    bodies = [b for b in events(runs, "cmd") if json.loads(b)["hook_event_name"] != "Stop"]
    spawn: list[float] = []
    background: list[float] = []
    for body in bodies:  # (b) async: what Claude Code waits is the spawn and the write
        start = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, env=env)
        assert process.stdin is not None
        process.stdin.write(body)
        process.stdin.close()
        spawn.append((time.perf_counter() - start) * 1000)
        process.wait()
        background.append((time.perf_counter() - start) * 1000)
    sync: list[float] = []
    for body in bodies:  # (c) synchronous: spawn to exit
        start = time.perf_counter()
        subprocess.run(command, input=body, stdout=subprocess.DEVNULL, env=env, check=True)
        sync.append((time.perf_counter() - start) * 1000)
    name = Path(command[0]).name if len(command) == 1 else "python -m tooltrack.capture.hook"
    return [
        (f"(b) async command hook, spawn + stdin written ({name})", spawn, per_call(spawn, bodies)),
        ("    (the async process's own wall time, not waited for)", background, per_call(background, bodies)),
        (f"(c) command hook today, spawn to exit ({name})", sync, per_call(sync, bodies)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1500, help="tool calls per HTTP run (two events each)")
    parser.add_argument("--hook-runs", type=int, default=60, help="tool calls per command-hook run")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}; {os.cpu_count()} CPUs")
    folder = Path(tempfile.mkdtemp(prefix="tooltrack-hookbench-"))
    rows: list[tuple[str, list[float], list[float]]] = []
    try:
        kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
        for kind in kinds:
            rows += bench_http(kind, args.calls, folder)
        rows += bench_commands(args.hook_runs, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"load after: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f}")
    print()
    print(f"{'what the agent waits (ms)':<78} {'event p50':>9} {'p99':>7}   {'call p50':>8} {'p99':>7}")
    for label, samples, calls in rows:
        print(f"{label:<78} {summary(samples)}   {summary(calls)}")


if __name__ == "__main__":
    main()
