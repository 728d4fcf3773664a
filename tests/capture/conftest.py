"""Fixtures for the capture tests: a private spool, the real API app (in-process or served)."""

from __future__ import annotations

import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine

from tooltrack.api.app import create_app
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.spool import Spool

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _private_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every spool and data file of a test inside its tmp_path, never the user's folder."""
    monkeypatch.setenv("TOOLTRACK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TOOLTRACK_SPOOL", str(tmp_path / "spool" / "task_logs.jsonl"))
    for name in ("TOOLTRACK_API_URL", "TOOLTRACK_API_TOKEN", "TOOLTRACK_ADW_ID", "TOOLTRACK_PHASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool" / "task_logs.jsonl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveAPI:
    """The real API app served by uvicorn on a local port, which a test can stop and start again."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        config = uvicorn.Config(
            create_app(self.engine), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off", ws="none"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(20)
        self._server = self._thread = None

    def is_up(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False


@pytest.fixture
def live_api(engine: Engine) -> Iterator[LiveAPI]:
    """The real API app over the test database, served on a free local port."""
    api = LiveAPI(engine)
    api.start()
    try:
        yield api
    finally:
        api.stop()


@pytest.fixture
def api_client(live_api: LiveAPI) -> Iterator[TaskLogClient]:
    """A TaskLogClient for the live API (no retries: tests want the first answer)."""
    with TaskLogClient(live_api.url, retries=0) as client:
        yield client


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this one (with the test's TOOLTRACK_* paths) plus `extra`."""
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join([str(PROJECT_ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


PYTHON = sys.executable
