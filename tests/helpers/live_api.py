"""The real API app served by uvicorn on a local port, in a thread of the test process.

Two ways to use it: `with LiveAPI(engine) as api:` for a server that lives as long as a block, or
`start()` / `stop()` for a test that takes the API away and brings it back on the same port
(`is_up()` says whether it answers).
"""

from __future__ import annotations

import socket
import threading
import time

import httpx
import uvicorn
from sqlalchemy import Engine

from tooltrack.api import create_app

START_TIMEOUT = 30.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveAPI:
    """`create_app(engine, max_body=...)` served on 127.0.0.1 at `url`, which can be stopped and started again."""

    def __init__(self, engine: Engine, *, max_body: int | None = None) -> None:
        self.engine = engine
        self.max_body = max_body
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Serve a fresh app on this object's port; returns once uvicorn is listening."""
        config = uvicorn.Config(
            create_app(self.engine, max_body=self.max_body), host="127.0.0.1", port=self.port,
            log_level="warning", access_log=False, lifespan="off", ws="none",
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the API did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        """Shut the server down and wait for its thread (a no-op when it is not running)."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(START_TIMEOUT)
        self._server = self._thread = None

    def is_up(self) -> bool:
        """Whether the API answers its health check right now."""
        try:
            return httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    def __enter__(self) -> LiveAPI:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()
