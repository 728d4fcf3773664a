"""A deadline for a whole HTTP request: the time a post may take in all, not per socket read.

httpx's timeouts apply to each network operation: a server that trickles its answer (a byte every
0.8 s) never lets a 2 s read timeout fire, and one post took minutes. `DeadlineTransport` is an
httpx transport over httpcore's connection pool whose network backend bounds every operation (the
DNS lookup, connecting, TLS, each write, each read) by the time left before the request's
deadline, so a request ends at its deadline whatever the server does. The deadline travels with
the request (`extensions={DEADLINE: time.monotonic() + seconds}`); connections are still kept
alive and reused between requests.

Proxies named in the environment (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`) are
honoured through the same backend (`environment_proxy`), since httpx would otherwise route such
requests through a transport of its own, without the deadline.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

#: The request extension holding the request's deadline, a `time.monotonic()` value.
DEADLINE = "tooltrack.deadline"

_current = threading.local()  # the deadline of the request this thread is sending, if any


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """`timeout` cut to the time left before this thread's request deadline; `expired` once it passed."""
    deadline: float | None = getattr(_current, "deadline", None)
    if deadline is None:
        return timeout
    left = deadline - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A connection whose every operation ends by the current request's deadline."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> _Stream:
        upgraded = self._stream.start_tls(ssl_context, server_hostname, _bounded(timeout, httpcore.ConnectTimeout))
        return _Stream(upgraded)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


def _is_address(host: str) -> bool:
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
            return True
        except OSError:
            continue
    return False


def _resolve(host: str, port: int, timeout: float | None) -> list[str]:
    """The addresses of `host`, looked up in a helper thread: getaddrinfo takes no timeout, and a
    slow resolver can hang for tens of seconds. A lookup still running at the deadline is left to
    finish on its own (the thread is a daemon)."""
    if _is_address(host):
        return [host]
    found: list[str] = []
    failure: list[BaseException] = []

    def look_up() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            found.extend(dict.fromkeys(str(info[4][0]) for info in infos))
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=look_up, name="tooltrack-resolve", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise httpcore.ConnectTimeout(f"looking up {host} took longer than the request's deadline")
    if failure or not found:
        raise httpcore.ConnectError(f"cannot resolve {host}: {failure[0] if failure else 'no address'}")
    return found


class _Backend(httpcore.NetworkBackend):
    """httpcore's own socket backend, with each step held to the current request's deadline."""

    def __init__(self) -> None:
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = _resolve(host, port, _bounded(timeout, httpcore.ConnectTimeout))
        last: Exception | None = None
        for address in addresses:  # as socket.create_connection does with a name: each address in turn
            try:
                stream = self._sockets.connect_tcp(
                    address, port, _bounded(timeout, httpcore.ConnectTimeout), local_address, socket_options
                )
                return _Stream(stream)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None
    ) -> httpcore.NetworkStream:
        stream = self._sockets.connect_unix_socket(path, _bounded(timeout, httpcore.ConnectTimeout), socket_options)
        return _Stream(stream)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@contextmanager
def _httpx_errors(request: httpx.Request) -> Iterator[None]:
    """httpcore's exceptions as httpx's (the same names), so callers catch `httpx.TransportError`."""
    try:
        yield
    except httpcore.TimeoutException as exc:
        kind = getattr(httpx, type(exc).__name__, httpx.TimeoutException)
        raise kind(str(exc) or "timed out", request=request) from exc
    except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.ProxyError, httpcore.UnsupportedProtocol) as exc:
        kind = getattr(httpx, type(exc).__name__, httpx.TransportError)
        raise kind(str(exc) or type(exc).__name__, request=request) from exc


def environment_proxy(url: str) -> httpx.Proxy | None:
    """The proxy the environment names for `url` (`<scheme>_proxy`, `all_proxy`, minus `no_proxy`), if any."""
    target = httpx.URL(url)
    proxies = urllib.request.getproxies()
    chosen = proxies.get(target.scheme) or proxies.get("all")
    if not chosen or urllib.request.proxy_bypass(target.host):
        return None
    return httpx.Proxy(chosen if "://" in chosen else f"http://{chosen}")


class DeadlineTransport(httpx.BaseTransport):
    """An httpx transport whose requests end by their `DEADLINE` extension (see the module docstring).

    Answers are read whole inside the deadline (task-log answers are a few bytes), so the response
    handed back needs no network any more.
    """

    def __init__(self, *, proxy: httpx.Proxy | None = None, ssl_context: ssl.SSLContext | None = None) -> None:
        # No TLS context unless one is given: building httpx's costs ~15 ms (the CA bundle), which
        # the hook would pay on every post to a plain http:// API.
        backend = _Backend()
        pool: httpcore.ConnectionPool
        if proxy is None:
            pool = httpcore.ConnectionPool(ssl_context=ssl_context, network_backend=backend)
        else:
            proxy_url = httpcore.URL(
                scheme=proxy.url.raw_scheme, host=proxy.url.raw_host, port=proxy.url.port, target=proxy.url.raw_path
            )
            if proxy.url.scheme in ("http", "https"):
                pool = httpcore.HTTPProxy(
                    proxy_url=proxy_url,
                    proxy_auth=proxy.raw_auth,
                    proxy_headers=proxy.headers.raw,
                    ssl_context=ssl_context,
                    proxy_ssl_context=proxy.ssl_context,
                    network_backend=backend,
                )
            else:  # socks5 / socks5h (httpcore needs the socksio package, as httpx does)
                pool = httpcore.SOCKSProxy(
                    proxy_url=proxy_url, proxy_auth=proxy.raw_auth, ssl_context=ssl_context, network_backend=backend
                )
        self._pool = pool

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        deadline = request.extensions.get(DEADLINE)
        extensions = dict(request.extensions)
        if deadline is not None:
            left = max(0.0, deadline - time.monotonic())
            # The pool's wait for a free connection is bounded here: it happens before any socket work.
            timeouts = extensions.get("timeout") or {}
            extensions["timeout"] = {k: left if v is None else min(v, left) for k, v in timeouts.items()} or {
                "connect": left,
                "read": left,
                "write": left,
                "pool": left,
            }
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(
                scheme=request.url.raw_scheme,
                host=request.url.raw_host,
                port=request.url.port,
                target=request.url.raw_path,
            ),
            headers=request.headers.raw,
            content=request.stream,  # type: ignore[arg-type]
            extensions=extensions,
        )
        previous = getattr(_current, "deadline", None)
        _current.deadline = deadline
        try:
            with _httpx_errors(request):
                answer = self._pool.handle_request(core_request)
                try:
                    content = answer.read()
                finally:
                    answer.close()
        finally:
            _current.deadline = previous
        return httpx.Response(
            status_code=answer.status, headers=answer.headers, content=content, extensions=answer.extensions
        )

    def close(self) -> None:
        self._pool.close()
