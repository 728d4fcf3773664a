"""Posting task logs to the tooltrack API: a deadline per post, a few retries, a clear verdict.

The verdict says what to do with the payload next: `created` / `duplicate` (the API holds it: done),
`rejected` (the payload itself is wrong: 422, a body too large (413), or JSON that cannot be sent
(NaN, Infinity, a lone surrogate); retrying cannot help, so it goes to the dead-letter file with
the reason) or `failed` (the API could not be reached in time or refused for another reason: keep
it in the spool and try again later). The client never raises for any of these.

`timeout` is the whole post's deadline: connecting, sending, the complete answer and any retries
(`deadline.DeadlineTransport`; httpx's own timeouts apply to each read, so a server that trickles
its answer would hold a post for minutes).

A refusal that names single calls (`tool_calls[3].parameters: ...`) costs only those calls when the
caller passes `set_aside`: they are handed to it (to be dead-lettered) and the rest of the log is
posted again under its own key.

The httpx transport is replaceable (`transport=`, or a whole `http=` client such as FastAPI's
`TestClient`), which is the seam tests use.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Literal

from tooltrack.core import MAX_NAME

if TYPE_CHECKING:  # httpx costs ~50 ms to import: the hook loads this module only when posting
    import httpx

logger = logging.getLogger(__name__)

API_URL_ENV = "TOOLTRACK_API_URL"
API_TOKEN_ENV = "TOOLTRACK_API_TOKEN"
DEFAULT_API_URL = "http://127.0.0.1:8000"
TASK_LOGS_PATH = "/api/v1/observability/task-logs"
HEALTH_PATH = "/healthz"

Verdict = Literal["created", "duplicate", "rejected", "failed"]
#: Called with the calls a refusal named (as a task log of their own), the reason and the HTTP status.
SetAside = Callable[[dict[str, Any], str, "int | None"], None]

#: How many times a log is sent again without the calls a refusal named (each refusal names all
#: the calls it finds, so a second round is already rare).
MAX_SPLITS = 3
_CALL_FIELD = re.compile(r"tool_calls\[(\d+)\]")


class UnusableToken(ValueError):
    """A bearer token that no HTTP request can carry (a character outside visible ASCII)."""


def token_problem(token: str | None, name: str = API_TOKEN_ENV) -> str | None:
    """Why `token` cannot be sent as `Authorization: Bearer <token>`, or None when it can (or is unset).

    A header carries visible ASCII only; a space, a tab or a no-break space pasted with the token
    would make every request fail (or be answered 401 forever). The message names the character
    and its place, never the token.
    """
    if not token:
        return None
    for position, char in enumerate(token, start=1):
        if not "!" <= char <= "~":
            import unicodedata

            described = unicodedata.name(char, "") or ("a control character" if ord(char) < 32 else "")
            what = f"U+{ord(char):04X}" + (f" ({described})" if described else "")
            return (
                f"{name} holds a character an HTTP header cannot carry: {what} at position {position}"
                f" of its {len(token)} characters (pasted with the token?); set it again without it"
            )
    return None


_warned_tokens: set[str] = set()


def warn_if_unusable_token(env: Mapping[str, str] | None = None) -> str | None:
    """Log (once per value) why the environment's API token cannot be used; return the reason."""
    token = (os.environ if env is None else env).get(API_TOKEN_ENV)
    problem = token_problem(token)
    if problem and token not in _warned_tokens:
        _warned_tokens.add(token or "")
        logger.error("%s: task logs go to the spool until it is fixed (then run `tooltrack replay`)", problem)
    return problem


@dataclass(frozen=True, slots=True)
class PostResult:
    """What the API made of one payload."""

    status: Verdict
    id: int | None = None
    http_status: int | None = None
    reason: str = ""
    refused_calls: tuple[int, ...] = ()
    """For a refusal that names single calls only: their places in `tool_calls` (else empty)."""
    sent: dict[str, Any] | None = None
    """When calls were set aside: the payload the verdict is about (the log without them)."""

    @property
    def accepted(self) -> bool:
        """The API holds the payload (newly stored, or stored before)."""
        return self.status in ("created", "duplicate")


def _field_errors(response: httpx.Response) -> tuple[str, list[tuple[str, str]]]:
    """The API's reason for refusing a payload (`field.path: message; ...`) and each (field, message)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:2000] or "rejected (422)", []
    if not isinstance(body, Mapping):
        return str(body)[:2000], []
    detail = body.get("detail")
    fields: list[tuple[str, str]] = []
    if isinstance(detail, list):  # FastAPI's default shape, or tooltrack's per-field entries
        for item in detail:
            if not isinstance(item, Mapping):
                continue
            where = item.get("field")
            if where is None:
                loc = [part for part in item.get("loc", []) if part != "body"]
                where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
            fields.append((str(where or "(payload)"), str(item.get("message") or item.get("msg") or "invalid")))
    if isinstance(body.get("message"), str) and body["message"]:
        return body["message"], fields  # tooltrack's API sums its field errors up here
    if isinstance(detail, str):
        return detail, fields
    if fields:
        return "; ".join(f"{where}: {message}" for where, message in fields[:10]), fields
    return (str(detail)[:2000] if detail is not None else "rejected (422)"), fields


def _named_calls(fields: list[tuple[str, str]]) -> tuple[int, ...]:
    """The calls a refusal names, when every problem it lists is inside one call; else ()."""
    places = []
    for where, _message in fields:
        match = _CALL_FIELD.match(where)
        if match is None:
            return ()
        places.append(int(match[1]))
    return tuple(sorted(set(places)))


def _json_problem(exc: Exception) -> str:
    if isinstance(exc, UnicodeEncodeError):
        bad = exc.object[exc.start : exc.end] if isinstance(exc.object, str) else ""
        shown = bad.encode("ascii", "backslashreplace").decode()
        return f"holds {shown} (a lone surrogate), which UTF-8 cannot carry"
    if isinstance(exc, RecursionError):
        return "nests too deep to be written as JSON"
    if isinstance(exc, ValueError) and "Out of range float" in str(exc):
        return "holds NaN or Infinity (or a number beyond a float's range), which JSON cannot carry"
    return f"cannot be written as JSON: {exc}"


def encode_json(value: Any) -> bytes:
    """`value` as strict JSON in UTF-8, as the API reads it; ValueError (or a subclass) when it cannot be."""
    try:
        return json.dumps(value, allow_nan=False, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    except (TypeError, RecursionError) as exc:
        raise ValueError(str(exc)) from exc


def _unsendable(payload: Mapping[str, Any]) -> PostResult:
    """The verdict on a payload that cannot be written as JSON: which calls (or which part) hold what."""
    calls = payload.get("tool_calls")
    culprits: list[tuple[int, str]] = []
    if isinstance(calls, list):
        for place, call in enumerate(calls):
            try:
                encode_json(call)
            except (ValueError, RecursionError) as exc:
                culprits.append((place, _json_problem(exc.__cause__ or exc)))  # type: ignore[arg-type]
    rest = {key: value for key, value in payload.items() if key != "tool_calls"}
    try:
        encode_json(rest)
        top_level = None
    except (ValueError, RecursionError) as exc:
        top_level = _json_problem(exc.__cause__ or exc)  # type: ignore[arg-type]
    parts = [f"tool_calls[{place}]: {problem}" for place, problem in culprits[:10]]
    if top_level:
        parts.insert(0, f"(payload): {top_level}")
    reason = "not sent: " + ("; ".join(parts) or "the payload cannot be written as JSON")
    named = tuple(place for place, _ in culprits) if culprits and not top_level else ()
    return PostResult("rejected", reason=reason, refused_calls=named)


def split_calls(payload: Mapping[str, Any], places: tuple[int, ...]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the named calls as a task log of their own, the log without them).

    The log keeps its `log_key`; the set-aside part gets a key of its own derived from it and from
    the calls, so the same refusal always gives the same part (stored once if it is fixed and
    ingested twice) and it never collides with the log it came from.
    """
    calls = list(payload.get("tool_calls") or [])
    chosen = set(places)
    part = {key: value for key, value in payload.items() if key != "tool_calls"}
    part["tool_calls"] = [call for place, call in enumerate(calls) if place in chosen]
    rest = dict(part, tool_calls=[call for place, call in enumerate(calls) if place not in chosen])
    key = payload.get("log_key")
    if isinstance(key, str) and key:
        digest = hashlib.sha256(
            json.dumps(part["tool_calls"], sort_keys=True, default=str).encode("utf-8", "surrogatepass")
        ).hexdigest()[:16]
        suffix = f":refused-{digest}"
        part["log_key"] = key[: MAX_NAME - len(suffix)] + suffix
    return part, rest


@dataclass(frozen=True, slots=True)
class ApiCheck:
    """What `TaskLogClient.check` found: whether the API answers, and what it makes of the token."""

    reachable: bool
    answer: str
    writes: str


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
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        problem = token_problem(token)
        if problem:
            raise UnusableToken(problem)
        import httpx

        from tooltrack.capture.deadline import DeadlineTransport, environment_proxy

        self.timeout = timeout
        self.retries = max(0, retries)
        self.backoff = backoff
        self._sleep = sleep
        self._clock = clock
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if http is None:
            trust_env = True
            if transport is None:
                proxy = environment_proxy(base_url)
                tls = base_url.startswith("https:") or (proxy is not None and proxy.url.scheme == "https")
                context = httpx.create_ssl_context() if tls else None
                transport = DeadlineTransport(proxy=proxy, ssl_context=context)
                trust_env = False  # the transport has taken the environment's proxy: httpx must not route around it
            http = httpx.Client(
                base_url=base_url, timeout=timeout, transport=transport, headers=headers, trust_env=trust_env
            )
        elif headers:
            http.headers.update(headers)
        self._http = http
        self._transport_errors: tuple[type[Exception], ...] = (httpx.TransportError,)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **options: Any) -> TaskLogClient:
        """A client for `TOOLTRACK_API_URL` (default http://127.0.0.1:8000) with `TOOLTRACK_API_TOKEN`.

        Raises `UnusableToken` when the token cannot be sent (see `token_problem`).
        """
        env = os.environ if env is None else env
        options.setdefault("token", env.get(API_TOKEN_ENV) or None)
        return cls(env.get(API_URL_ENV) or DEFAULT_API_URL, **options)

    @property
    def base_url(self) -> str:
        return str(self._http.base_url)

    def post(self, payload: Mapping[str, Any], *, set_aside: SetAside | None = None) -> PostResult:
        """Send one payload within `timeout` seconds in all; retry connection errors, timeouts, 429 and
        5xx with growing waits while time is left.

        With `set_aside`, a refusal that names single calls hands those calls to it and posts the
        rest again (the verdict is then about `PostResult.sent`).
        """
        deadline = self._clock() + self.timeout
        current: Mapping[str, Any] = payload
        for splits in range(MAX_SPLITS + 1):
            result = self._post_with_retries(current, deadline)
            calls = current.get("tool_calls")
            named = result.refused_calls
            if (
                splits == MAX_SPLITS  # the last answer stands: nothing is set aside that is not sent after
                or result.status != "rejected"
                or set_aside is None
                or not named
                or not isinstance(calls, list)
                or len(named) >= len(calls)
            ):
                break
            part, rest = split_calls(current, named)
            shown = ", ".join(f"tool_calls[{place}]" for place in named[:10])
            set_aside(
                part,
                f"{result.reason} (refused: {shown}; the other {len(rest['tool_calls'])} calls of log"
                f" {current.get('log_key') or '(no key)'} were sent without them)",
                result.http_status,
            )
            current = rest
        return result if current is payload else replace(result, sent=dict(current))

    def _post_with_retries(self, payload: Mapping[str, Any], deadline: float) -> PostResult:
        try:
            body = encode_json(payload)
        except ValueError:
            return _unsendable(payload)
        last = PostResult("failed", reason="not sent")
        for attempt in range(self.retries + 1):
            if attempt:
                wait = self.backoff * 2 ** (attempt - 1)
                if self._clock() + wait >= deadline:
                    break  # no time left for another try: the caller keeps the payload for later
                self._sleep(wait)
            last = self._post_once(body, deadline)
            retryable = last.status == "failed" and (last.http_status is None or last.http_status in _RETRY)
            if not retryable:
                return last
        return last

    def _post_once(self, body: bytes, deadline: float) -> PostResult:
        from tooltrack.capture.deadline import DEADLINE

        left = deadline - self._clock()
        if left <= 0:
            return PostResult("failed", reason=f"no answer within the {self.timeout:g} s deadline")
        try:
            response = self._http.post(
                TASK_LOGS_PATH,
                content=body,
                headers={"Content-Type": "application/json"},
                timeout=min(self.timeout, left),
                extensions={DEADLINE: deadline},
            )
        except self._transport_errors as exc:
            if self._clock() >= deadline:
                return PostResult("failed", reason=f"no whole answer within the {self.timeout:g} s deadline ({exc})")
            return PostResult("failed", reason=f"{type(exc).__name__}: {exc}")
        code = response.status_code
        if code in (200, 201):
            try:
                stored_id = int(response.json()["id"])
            except (ValueError, KeyError, TypeError):
                return PostResult("failed", http_status=code, reason=f"unexpected answer: {response.text[:200]}")
            return PostResult("created" if code == 201 else "duplicate", id=stored_id, http_status=code)
        if code == 422:
            reason, fields = _field_errors(response)
            return PostResult("rejected", http_status=code, reason=reason, refused_calls=_named_calls(fields))
        if code == 413:
            return PostResult(
                "rejected",
                http_status=code,
                reason=f"HTTP 413: the API takes no body of {len(body):,} bytes ({response.text[:200]});"
                " `tooltrack ingest` can store it from the dead-letter file's payload",
            )
        return PostResult("failed", http_status=code, reason=f"HTTP {code}: {response.text[:200]}")

    def check(self) -> ApiCheck:
        """Whether the API answers (`/healthz`) and takes this client's token, within `timeout`.

        The token is tried with an empty task log: the API checks the token before the body, so
        401 means the token is refused and 422 that it was accepted (nothing is stored either way).
        """
        from tooltrack.capture.deadline import DEADLINE

        deadline = self._clock() + self.timeout
        started = self._clock()
        try:
            health = self._http.get(HEALTH_PATH, extensions={DEADLINE: deadline})
        except self._transport_errors as exc:
            return ApiCheck(False, f"not reachable: {type(exc).__name__}: {exc}", "unknown (no answer)")
        answer = f"HTTP {health.status_code} from {HEALTH_PATH} in {(self._clock() - started) * 1000:.0f} ms"
        try:
            probe = self._http.post(TASK_LOGS_PATH, content=b"{}", headers={"Content-Type": "application/json"},
                                    extensions={DEADLINE: self._clock() + self.timeout})  # fmt: skip
        except self._transport_errors as exc:
            return ApiCheck(True, answer, f"unknown: {type(exc).__name__}: {exc}")
        with_token = "Authorization" in self._http.headers
        if probe.status_code == 401:
            writes = "refused: the API wants a valid TOOLTRACK_API_TOKEN (HTTP 401)"
        elif probe.status_code == 422:
            writes = "accepted (the API takes this token)" if with_token else "open (the API needs no token)"
        else:
            writes = f"unknown: HTTP {probe.status_code} to an empty task log"
        return ApiCheck(health.status_code == 200, answer, writes)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> TaskLogClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


#: Answers worth asking again after a pause (the server is busy or restarting).
_RETRY = frozenset({408, 425, 429, 500, 502, 503, 504})
