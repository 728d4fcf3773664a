"""A local HTTP server that answers every request with a valid 201, one byte every `interval` s:
what a slow API does to a client whose timeouts apply per read (tests/capture/test_slow_api.py,
bench/bench_capture.py)."""

from __future__ import annotations

import socket
import threading
import time

BODY = b'{"id": 1, "status": "created"}'
ANSWER = b"HTTP/1.1 201 Created\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (len(BODY), BODY)


class TricklingServer:
    """A TCP server that takes each request and answers it with a valid HTTP 201, one byte every `interval` s."""

    def __init__(self, interval: float = 0.8) -> None:
        self.interval = interval
        self._socket = socket.socket()
        self._socket.bind(("127.0.0.1", 0))
        self._socket.listen(16)
        self._socket.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        self.connections = 0
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._socket.accept()
            except TimeoutError:
                continue
            self.connections += 1
            worker = threading.Thread(target=self._trickle, args=(connection,), daemon=True)
            self._threads.append(worker)
            worker.start()

    def _trickle(self, connection: socket.socket) -> None:
        with connection:
            connection.settimeout(0.2)
            try:  # take what the client sends (headers and body), then answer slowly
                while connection.recv(65536):
                    pass
            except TimeoutError:
                pass
            except OSError:
                return
            for byte in ANSWER:
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return  # the client gave up: what a deadline does
                if self._stop.wait(self.interval):
                    return

    def wait_for_connection(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.connections == 0:
            assert time.monotonic() < deadline, "nothing connected to the trickling server"
            time.sleep(0.01)

    def close(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(5)
        self._socket.close()
