"""Posting task logs to the tooltrack API: short timeouts, a few retries, a clear verdict.

The verdict says what to do with the payload next: `created` / `duplicate` (the API holds it: done),
`rejected` (422: the payload itself is wrong; retrying cannot help, so it goes to the dead-letter
file with the reason) or `failed` (the API could not be reached or refused for another reason:
keep it in the spool and try again later). The client never raises for any of these.

The httpx transport is replaceable (`transport=`, or a whole `http=` client such as FastAPI's
`TestClient`), which is the seam tests use.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # httpx costs ~50 ms to import: the hook loads this module only when posting
    import httpx

API_URL_ENV = "TOOLTRACK_API_URL"
API_TOKEN_ENV = "TOOLTRACK_API_TOKEN"
DEFAULT_API_URL = "http://127.0.0.1:8000"
TASK_LOGS_PATH = "/api/v1/observability/task-logs"

Verdict = Literal["created", "duplicate", "rejected", "failed"]


@dataclass(frozen=True, slots=True)
class PostResult:
    """What the API made of one payload."""

    status: Verdict
    id: int | None = None
    http_status: int | None = None
    reason: str = ""

    @property
    def accepted(self) -> bool:
        """The API holds the payload (newly stored, or stored before)."""
        return self.status in ("created", "duplicate")


def _describe_422(response: httpx.Response) -> str:
    """The API's reason for refusing a payload: `field.path: message; ...`."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:2000] or "rejected (422)"
    if not isinstance(body, Mapping):
        return str(body)[:2000]
    if isinstance(body.get("message"), str) and body["message"]:
        return body["message"]  # tooltrack's API sums its field errors up here
    detail = body.get("detail")
    if isinstance(detail, str):
        return detail
    if isinstance(detail, list):  # FastAPI's default shape, or tooltrack's per-field entries
        parts = []
        for item in detail[:10]:
            if not isinstance(item, Mapping):
                continue
            where = item.get("field")
            if where is None:
                loc = [part for part in item.get("loc", []) if part != "body"]
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
            parts.append(f"{where or '(payload)'}: {item.get('message') or item.get('msg') or 'invalid'}")
        return "; ".join(parts) or "rejected (422)"
    return str(detail)[:2000]


class TaskLogClient:
    """A small client for `POST /api/v1/observability/task-logs`."""

    def __init__(
        self,
        base_url: str = DEFAULT_API_URL,
        *,
        token: str | None = None,
        timeout: float = 2.0,
        retries: int = 2,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | None = None,
        http: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        import httpx

        self.retries = max(0, retries)
        self.backoff = backoff
        self._sleep = sleep
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if http is None:
            http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport, headers=headers)
        elif headers:
            http.headers.update(headers)
        self._http = http
        self._transport_errors: tuple[type[Exception], ...] = (httpx.TransportError,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> TaskLogClient:
        """A client for `TOOLTRACK_API_URL` (default http://127.0.0.1:8000) with `TOOLTRACK_API_TOKEN`."""
        env = os.environ if env is None else env
        options.setdefault("token", env.get(API_TOKEN_ENV) or None)
        return cls(env.get(API_URL_ENV) or DEFAULT_API_URL, **options)

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    def post(self, payload: Mapping[str, Any]) -> PostResult:
        """Send one payload; retry connection errors, timeouts, 429 and 5xx with growing waits."""
        last = PostResult("failed", reason="not sent")
        for attempt in range(self.retries + 1):
            if attempt:
                self._sleep(self.backoff * 2 ** (attempt - 1))
            last = self._post_once(payload)
            retryable = last.status == "failed" and (last.http_status is None or last.http_status in _RETRY)
            if not retryable:
                return last
        return last

    def _post_once(self, payload: Mapping[str, Any]) -> PostResult:
        try:
            response = self._http.post(TASK_LOGS_PATH, json=payload)
        except self._transport_errors as exc:
            return PostResult("failed", reason=f"{type(exc).__name__}: {exc}")
        code = response.status_code
        if code in (200, 201):
            try:
                body = response.json()
                stored_id = int(body["id"])
            except (ValueError, KeyError, TypeError):
                return PostResult("failed", http_status=code, reason=f"unexpected answer: {response.text[:200]}")
            return PostResult("created" if code == 201 else "duplicate", id=stored_id, http_status=code)
        if code == 422:
            return PostResult("rejected", http_status=code, reason=_describe_422(response))
        return PostResult("failed", http_status=code, reason=f"HTTP {code}: {response.text[:200]}")

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TaskLogClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


#: Answers worth asking again after a pause (the server is busy or restarting).
_RETRY = frozenset({408, 425, 429, 500, 502, 503, 504})
