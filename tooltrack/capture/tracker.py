"""`ToolCallTracker`: record tool calls as workflow code makes them, cheaply and never failing.

Recording stores a plain dict under a lock (about a microsecond); validation through
`ToolCallRecord` happens once, when the calls are read for the task log (`get_tool_calls()`).
A field that does not validate is logged and kept in `parameters["invalid_fields"]`, and an unknown
field goes into `parameters`, so the rest of the record is never lost and the workflow never sees
an exception from tracking.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import shlex
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, ParamSpec, TypeVar

from pydantic import ValidationError

from tooltrack.capture.client import warn_if_unusable_token
from tooltrack.core import INT64_MAX, INT64_MIN, storable_text
from tooltrack.models import MAX_TEXT, ToolCallRecord, describe_validation_error

logger = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

#: Fields a record may carry directly; anything else goes into `parameters`.
RECORD_FIELDS = frozenset(ToolCallRecord.model_fields)


def _count_lines(output: str | bytes | None) -> int | None:
    if output is None:
        return None
    if isinstance(output, bytes):
        return len(output.splitlines())
    return len(output.splitlines())


def _error_text(exc: BaseException) -> str:
    text = str(exc)
    return (f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:MAX_TEXT]


def _safe_text(value: Any, limit: int = 2000) -> str:
    """`str(value)` made storable, or something describing it when even `str` fails.

    The text lands in `parameters["invalid_fields"]`, which must validate: a NUL or a lone
    surrogate copied there unchanged would make the last step of `clean_tool_call` raise.
    """
    try:
        return storable_text(str(value), limit)
    except Exception:
        return f"<unprintable {type(value).__name__}>"


def _storable(value: Any) -> Any:
    """`value` (plain JSON data) with every key and string made storable, and every number the store
    cannot hold (an integer beyond 64 bits, NaN, Infinity) as its text: kept, not refused.

    Text, not the float the hook's shared mapping makes of such an integer: the mapping matches
    what ingest's orjson reads from a Claude Code file, the tracker has no such twin, and text
    keeps an identifier of 20 digits exact."""
    if isinstance(value, str):
        return storable_text(value)
    if isinstance(value, dict):
        return {storable_text(key): _storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_storable(item) for item in value]
    if type(value) is int and not INT64_MIN <= value <= INT64_MAX:
        return str(value)
    if type(value) is float and value - value != 0:
        return str(value)  # nan, inf, -inf: as the hook's mapping spells them
    return value


def _jsonable(value: Any) -> Any:
    """A JSON-safe, storable copy of a parameter value (objects become their string form).

    Keys json cannot take (a tuple) or a value that contains itself leave the whole value as text.
    """
    try:
        plain = json.loads(json.dumps(value, default=_safe_text))
    except (TypeError, ValueError, RecursionError):
        return _safe_text(value)
    return _storable(plain)


def clean_tool_call(raw: Mapping[str, Any]) -> dict[str, Any]:
    """One tool call as a valid ToolCallRecord dict (JSON form, empty fields left out).

    Never raises: unknown keys move into `parameters`, values that do not validate move into
    `parameters["invalid_fields"]` (as text) with a warning, and a missing tool name or success
    flag gets "unknown" / False.
    """
    try:
        return ToolCallRecord.model_validate(raw).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        first_error = exc
    except Exception as exc:  # a value pydantic could not even look at
        first_error = exc  # type: ignore[assignment]
    data = dict(raw)
    parameters = data.get("parameters") if isinstance(data.get("parameters"), Mapping) else {}
    parameters = dict(parameters or {})
    invalid: dict[str, str] = {}
    if "parameters" in data and not isinstance(data["parameters"], Mapping):
        invalid["parameters"] = _safe_text(data.pop("parameters"))
    for key in [k for k in data if k not in RECORD_FIELDS]:
        parameters[str(key)] = data.pop(key)
    if isinstance(first_error, ValidationError):
        for error in first_error.errors():
            name = error["loc"][0] if error["loc"] else None
            if isinstance(name, str) and name in data and name != "parameters":
                invalid[name] = _safe_text(data.pop(name))
    if not isinstance(data.get("tool_name"), str) or not data["tool_name"].strip():
        data["tool_name"] = "unknown"
    if not isinstance(data.get("success"), bool):
        data["success"] = False  # unknown is not a success; the given value is in invalid_fields
    if invalid:
        parameters["invalid_fields"] = invalid
    data["parameters"] = _jsonable(parameters) if parameters else None
    reason = describe_validation_error(first_error) if isinstance(first_error, ValidationError) else str(first_error)
    logger.warning("tool call %r kept with invalid fields moved to parameters: %s", data["tool_name"], reason)
    try:
        return ToolCallRecord.model_validate(data).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:  # e.g. a bad value pydantic coerced past the first look
        logger.warning("tool call %r reduced to its essentials: %s", data["tool_name"], describe_validation_error(exc))
        essentials = {"tool_name": _safe_text(data["tool_name"], 200) or "unknown", "success": data["success"]}
        essentials["parameters"] = _jsonable({"invalid_fields": {_safe_text(k): _safe_text(v) for k, v in raw.items()}})
        return ToolCallRecord.model_validate(essentials).model_dump(mode="json", exclude_none=True)


class TrackedCall:
    """One timed block: a context manager (and, through `ToolCallTracker.track`, a decorator).

    Inside the block, `fields` can be filled in (`call.fields["exit_code"] = 2`) and `success` set
    to False for a failure that raised nothing. An exception is recorded with its message and
    re-raised untouched.
    """

    __slots__ = ("_start", "_started_at", "fields", "success", "tool_name", "tracker")

    def __init__(self, tracker: ToolCallTracker, tool_name: str, fields: dict[str, Any]) -> None:
        self.tracker = tracker
        self.tool_name = tool_name
        self.fields = fields
        self.success: bool | None = None
        self._start = 0.0
        self._started_at = 0.0

    def __enter__(self) -> TrackedCall:
        self._started_at = time.time()
        self._start = time.perf_counter()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        duration_ms = round((time.perf_counter() - self._start) * 1000)
        fields = dict(self.fields)
        if exc is not None:
            fields.setdefault("error_message", _error_text(exc))
            if isinstance(exc, KeyboardInterrupt):
                fields.setdefault("outcome", "interrupted")
        success = exc is None and self.success is not False
        fields.setdefault("timestamp", self._started_at)
        fields.setdefault("duration_source", "measured")
        self.tracker.record_tool_call(self.tool_name, duration_ms, success, **fields)
        return False  # never swallow the workflow's exception


class _Track:
    """What `tracker.track(...)` returns: usable as `with` block or as a decorator."""

    __slots__ = ("_active", "fields", "tool_name", "tracker")

    def __init__(self, tracker: ToolCallTracker, tool_name: str, fields: dict[str, Any]) -> None:
        self.tracker = tracker
        self.tool_name = tool_name
        self.fields = fields
        self._active: TrackedCall | None = None

    def __enter__(self) -> TrackedCall:
        self._active = TrackedCall(self.tracker, self.tool_name, dict(self.fields))
        return self._active.__enter__()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        active, self._active = self._active, None
        return active.__exit__(exc_type, exc, tb) if active else False

    def __call__(self, func: Callable[P, R]) -> Callable[P, R]:
        # A fresh TrackedCall per call, so recursion and threads each time their own call.
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
                with TrackedCall(self.tracker, self.tool_name, dict(self.fields)):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with TrackedCall(self.tracker, self.tool_name, dict(self.fields)):
                return func(*args, **kwargs)

        return wrapper


class ToolCallTracker:
    """Collects the tool calls of one phase, for `log_task_completion(tool_calls=tracker)`.

    Thread-safe: calls may be recorded from several threads at once.
    """

    def __init__(self) -> None:
        self._calls: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._warned: set[str] = set()
        self.started_at = time.time()
        # Said at the start of the phase, not at its end: a token no request can carry means this
        # phase's log will wait in the spool (once per token value, see the client).
        warn_if_unusable_token()

    # Recording -------------------------------------------------------------------------------

    def record_tool_call(self, tool_name: str, duration_ms: int | float | None, success: bool, **fields: Any) -> None:
        """Record one call. Never raises; see `clean_tool_call` for what happens to bad fields.

        `timestamp` defaults to the call's start (now minus `duration_ms`), timezone-aware UTC.
        """
        try:
            if type(duration_ms) is float:
                duration_ms = round(duration_ms)
            call = {"tool_name": tool_name, "duration_ms": duration_ms, "success": success}
            extra: dict[str, Any] | None = None
            for key, value in fields.items():
                if key in RECORD_FIELDS:
                    call[key] = value
                else:
                    if extra is None:
                        extra = {}
                    extra[key] = value
            if extra:
                self._keep_extra(call, extra)
            if "timestamp" not in call:
                elapsed = duration_ms / 1000 if type(duration_ms) is int else 0
                call["timestamp"] = time.time() - elapsed  # seconds since the epoch: validated to UTC later
            with self._lock:
                self._calls.append(call)
        except Exception:
            logger.exception("could not record a %r tool call", tool_name)

    def _keep_extra(self, call: dict[str, Any], extra: dict[str, Any]) -> None:
        parameters = call.get("parameters")
        call["parameters"] = {**parameters, **extra} if isinstance(parameters, dict) else extra
        new = extra.keys() - self._warned
        if new:
            self._warned.update(new)
            logger.info("fields %s are not ToolCallRecord fields: kept in parameters", sorted(new))

    def track(self, tool_name: str, **fields: Any) -> _Track:
        """Time a block or a function: `with tracker.track("Bash", command="make"):` or `@tracker.track("Read")`."""
        return _Track(self, tool_name, fields)

    # Helpers that fill the tool-specific fields -------------------------------------------------

    def record_subprocess(
        self,
        result: subprocess.CompletedProcess[Any],
        duration_ms: int | float,
        *,
        tool_name: str = "Bash",
        **fields: Any,
    ) -> None:
        """Record a finished subprocess: command, exit code, stdout/stderr line counts."""
        args = result.args
        command = args if isinstance(args, str) else shlex.join(str(a) for a in args)
        ok = result.returncode == 0
        if not ok and "error_message" not in fields:
            stderr = result.stderr.decode(errors="replace") if isinstance(result.stderr, bytes) else result.stderr
            tail = (stderr or "").strip().splitlines()[-3:]
            fields["error_message"] = "\n".join([f"Exit code {result.returncode}", *tail])[:MAX_TEXT]
        fields.setdefault("duration_source", "measured")
        self.record_tool_call(
            tool_name,
            duration_ms,
            ok,
            command=command[:MAX_TEXT],
            exit_code=result.returncode,
            stdout_lines=_count_lines(result.stdout),
            stderr_lines=_count_lines(result.stderr),
            **fields,
        )

    def run_subprocess(
        self, args: str | Sequence[str], *, tool_name: str = "Bash", **kwargs: Any
    ) -> subprocess.CompletedProcess[Any]:
        """`subprocess.run(args, capture_output=True, text=True, **kwargs)`, timed and recorded.

        A process that cannot start (or times out) is recorded as a failure and the exception
        re-raised, as `subprocess.run` would.
        """
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        started_at = time.time()
        start = time.perf_counter()
        try:
            result = subprocess.run(args, **kwargs)  # the caller decides `check`
        except BaseException as exc:
            command = args if isinstance(args, str) else shlex.join(str(a) for a in args)
            self.record_tool_call(
                tool_name,
                round((time.perf_counter() - start) * 1000),
                False,
                command=command[:MAX_TEXT],
                error_message=_error_text(exc),
                timestamp=started_at,
                duration_source="measured",
            )
            raise
        self.record_subprocess(
            result, round((time.perf_counter() - start) * 1000), tool_name=tool_name, timestamp=started_at
        )
        return result

    def read_file(
        self, path: str | Path, *, encoding: str = "utf-8", offset: int | None = None, limit: int | None = None
    ) -> str:
        """Read a text file (lines `offset`.. `offset+limit`, 0-based, when given), recorded as Read."""
        with self.track("Read", file_path=str(path), offset=offset, limit=limit) as call:
            text = Path(path).read_text(encoding=encoding)
            if offset is not None or limit is not None:
                lines = text.splitlines(keepends=True)
                first = offset or 0
                text = "".join(lines[first : None if limit is None else first + limit])
            call.fields["lines_read"] = len(text.splitlines())
            call.fields["file_size_bytes"] = len(text.encode(encoding))
        return text

    def write_file(self, path: str | Path, content: str, *, encoding: str = "utf-8") -> int:
        """Write a text file, recorded as Write (bytes written, whether the file is new)."""
        target = Path(path)
        with self.track("Write", file_path=str(path), created_new_file=not target.exists()) as call:
            data = content.encode(encoding)
            target.write_bytes(data)
            call.fields["bytes_written"] = len(data)
        return len(data)

    # Reading -----------------------------------------------------------------------------------

    def raw_calls(self) -> list[dict[str, Any]]:
        """The calls as recorded (not validated), oldest first."""
        with self._lock:
            return [dict(call) for call in self._calls]

    def get_tool_calls(self) -> list[dict[str, Any]]:
        """The calls as valid ToolCallRecord dicts (JSON form), oldest first."""
        return [clean_tool_call(call) for call in self.raw_calls()]

    def records(self) -> list[ToolCallRecord]:
        """The calls as ToolCallRecord models."""
        return [ToolCallRecord.model_validate(call) for call in self.get_tool_calls()]

    def clear(self) -> None:
        """Forget the recorded calls (e.g. after logging a phase, to reuse the tracker)."""
        with self._lock:
            self._calls.clear()
        self.started_at = time.time()

    def __len__(self) -> int:
        return len(self._calls)
