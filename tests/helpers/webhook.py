"""A real local HTTP server standing in for a Slack webhook: it records every body posted to it,
and can answer the first N posts with an error (or every post, or slowly)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str = ""
    fail_first: int = 0
    """Answer this many posts with 500 before answering 200."""
    always_fail: bool = False
    bodies: list[dict[str, Any]] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        """The alert key of every body received, in order (received twice: listed twice)."""
        return [body["alert"]["key"] for body in self.bodies]


@contextmanager
def webhook_receiver(*, fail_first: int = 0, always_fail: bool = False, delay: float = 0.0) -> Iterator[Receiver]:
    receiver = Receiver(fail_first=fail_first, always_fail=always_fail)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if delay:
                time.sleep(delay)
            with receiver.lock:
                receiver.bodies.append(body)
                failing = receiver.always_fail or len(receiver.bodies) <= receiver.fail_first
                status = 500 if failing else 200
                receiver.statuses.append(status)
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status == 200 else b"error")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/XXXX"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
