"""Helpers for the reliability tests: worker processes and whole-table checks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from tooltrack.store.schema import task_logs

ROOT = Path(__file__).resolve().parents[2]


def url_of(engine: Engine) -> str:
    """The engine's URL with its password, for a child process."""
    return engine.url.render_as_string(hide_password=False)


def worker_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TOOLTRACK_DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_worker(*args: str) -> subprocess.Popen[str]:
    """Start `python -m tests.reliability.workers ARGS` with line-buffered JSON on stdout."""
    return subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.workers", *args],
        cwd=ROOT,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_worker(process: subprocess.Popen[str], timeout: float = 300) -> dict[str, object]:
    """Wait for a worker and return its last JSON line; fail with its stderr if it crashed."""
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.strip()]
    if process.returncode != 0 or not lines:
        pytest.fail(f"worker exited {process.returncode}:\n{out}\n{err[-4000:]}")
    return json.loads(lines[-1])


def read_line(process: subprocess.Popen[str]) -> dict[str, object]:
    """The worker's next JSON line (blocks); fails when the worker ended instead."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        err = process.stderr.read() if process.stderr else ""
        pytest.fail(f"worker ended early (exit {process.wait()}):\n{err[-4000:]}")
    return json.loads(line)


def stored_keys(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(select(task_logs.c.log_key)).scalars())


def stored_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(task_logs)).scalar_one())


@pytest.fixture
def postgresql_only(engine: Engine) -> Iterator[Engine]:
    """The `engine` fixture, skipping its SQLite half (for what exists only on PostgreSQL)."""
    if engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL only")
    yield engine


class LiveAPI:
    """The real API app served by uvicorn on 127.0.0.1 in a thread of this process."""

    def __init__(self, engine: Engine, *, max_body: int | None = None) -> None:
        import socket
        import threading

        import uvicorn

        from tooltrack.api.app import create_app

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            create_app(engine, max_body=max_body), host="127.0.0.1", port=self.port, log_level="critical",
            access_log=False, lifespan="off",
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveAPI:
        import time

        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the API did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def live_api(engine: Engine) -> Iterator[LiveAPI]:
    with LiveAPI(engine) as api:
        yield api
