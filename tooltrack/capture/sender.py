"""`log_task_completion`: send one phase's task log, and never let that break the workflow.

The payload is validated locally, given a client `log_key` (so a retry, a replay or an ingest of
the spool stores it once), and posted with a short timeout and a few retries. When the API cannot
be reached it goes to the spool (`tooltrack replay` sends it later); when the API refuses it as
invalid it goes to the dead-letter file with the reason. With `background=True` a worker thread
posts it and the workflow does not wait; at interpreter exit the worker is drained and whatever it
could not send in time is spooled, so nothing is lost on a normal exit.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import ValidationError

from tooltrack.capture.client import TaskLogClient, UnusableToken, warn_if_unusable_token
from tooltrack.capture.spool import Spool
from tooltrack.capture.tracker import ToolCallTracker, clean_tool_call
from tooltrack.models import TaskLogCreate, ToolCallRecord, describe_validation_error

logger = logging.getLogger(__name__)

Outcome = Literal["created", "duplicate", "spooled", "dead_lettered", "queued", "lost"]
"""What happened to a task log: stored now, stored before, waiting in the spool, refused (kept in the
dead-letter file), handed to the background worker, or (only when even the spool cannot be written)
lost, which is logged as an error."""


class TaskLogSender:
    """Posts payloads with a client, falling back to a spool. `send` never raises."""

    def __init__(self, client: TaskLogClient | None = None, spool: Spool | None = None) -> None:
        self.spool = spool or Spool()
        #: Why this sender cannot post (an unusable TOOLTRACK_API_TOKEN): everything is spooled.
        self.problem: str | None = None
        if client is None:
            try:
                client = TaskLogClient.from_env()
            except UnusableToken as exc:
                # Said once, at start-up; every log is spooled (never lost) until the token is fixed.
                self.problem = warn_if_unusable_token() or str(exc)
        self.client = client
        self._background: BackgroundSender | None = None
        self._background_lock = threading.Lock()

    def background(self) -> BackgroundSender:
        """This sender's worker thread (started on first use, restarted after a close)."""
        with self._background_lock:
            if self._background is None or self._background.closed:
                self._background = BackgroundSender(self)
            return self._background

    def close(self) -> None:
        """Drain the background worker (if one was started), then close the HTTP client."""
        if self._background is not None:
            self._background.close()
        if self.client is not None:
            self.client.close()

    def send(self, payload: dict[str, Any]) -> Outcome:
        """Post `payload`; spool it or dead-letter it when the API does not take it.

        Calls the API refuses one by one are dead-lettered and the rest of the log is posted
        without them (the outcome is then the rest's).
        """
        if self.client is None:
            logger.warning("%s: task log %s spooled", self.problem, payload.get("log_key"))
            return self.keep(payload)

        def set_aside(part: dict[str, Any], reason: str, status: int | None) -> None:
            if self.refuse(part, reason, status=status) == "lost":
                raise OSError("the refused calls could not be kept")  # post nothing rather than lose them

        try:
            result = self.client.post(payload, set_aside=set_aside)
        except Exception as exc:  # a bug, an odd transport, an unwritable dead-letter file: keep the payload
            logger.warning("posting the task log failed unexpectedly: %s", exc)
            return self.keep(payload)
        sent = result.sent or payload
        if result.accepted:
            return result.status  # type: ignore[return-value]
        if result.status == "rejected":
            return self.refuse(sent, result.reason, status=result.http_status)
        logger.warning("the API at %s did not take the task log (%s): spooled", self.client.base_url, result.reason)
        return self.keep(sent)

    def keep(self, payload: dict[str, Any]) -> Outcome:
        """Put the payload in the spool (or its fallback folder) for a later `tooltrack replay`."""
        try:
            written = self.spool.append(payload)
        except Exception:
            logger.exception(
                "could not write the spool %s nor its fallback %s: task log %s lost",
                self.spool.path,
                self.spool.fallback_path,
                payload.get("log_key"),
            )
            return "lost"
        if written != self.spool.path:
            logger.warning(
                "the spool %s cannot be written (%s): task log kept in %s instead; `tooltrack replay` sends it",
                self.spool.path,
                self.spool.fallback_reason,
                written,
            )
        return "spooled"

    def refuse(self, payload: Any, reason: str, *, status: int | None = None) -> Outcome:
        """Keep an invalid payload in the dead-letter file (or its fallback), with the reason."""
        logger.error("task log rejected: %s (kept in %s)", reason, self.spool.dead_letter_path)
        try:
            self.spool.dead_letter(reason, payload=payload, status=status, origin="log_task_completion")
            return "dead_lettered"
        except Exception:
            logger.exception("could not write the dead-letter file %s", self.spool.dead_letter_path)
            return "lost"


_STOP = object()
#: What a task log cannot go without; any other bad field is dropped with a warning.
_REQUIRED = frozenset({"adw_id", "phase_name", "phase_status", "tool_calls"})


class BackgroundSender:
    """A worker thread that sends payloads from a bounded queue, so the workflow never waits.

    When the queue is full the payload is spooled at once (a local append, not a wait). `close`
    sends what is queued within a deadline and spools the rest; it runs at interpreter exit.
    """

    def __init__(self, sender: TaskLogSender, *, maxsize: int = 1000, drain_seconds: float = 10.0) -> None:
        self.sender = sender
        self.drain_seconds = drain_seconds
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=maxsize)
        self._spool_only = threading.Event()
        self._closed = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="tooltrack-sender", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    @property
    def closed(self) -> bool:
        return self._closed

    def submit(self, payload: dict[str, Any]) -> Outcome:
        with self._lock:  # so that nothing is queued behind the stop marker of a close
            if not self._closed:
                try:
                    self._queue.put_nowait(payload)
                    return "queued"
                except queue.Full:
                    return self.sender.keep(payload)  # a local append
        # Closed: posted here and now, but not under the lock, which other threads' submits take.
        return self.sender.send(payload)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is _STOP:
                    return
                if self._spool_only.is_set():
                    self.sender.keep(item)
                else:
                    self.sender.send(item)
            except Exception:  # send() does not raise; this is a last guard for the thread
                logger.exception("the background sender failed on one task log")
            finally:
                self._queue.task_done()

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything queued so far has been handled; False when `timeout` ran out."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.005)
        return True

    def close(self) -> None:
        """Send what is queued (for up to `drain_seconds`), spool the rest, stop the worker."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._queue.put(_STOP)
        self._thread.join(self.drain_seconds)
        if self._thread.is_alive():
            # Out of time (the API is slow or down): the worker spools the rest instead of posting.
            self._spool_only.set()
            self._thread.join()


_default_sender: TaskLogSender | None = None
_defaults_lock = threading.Lock()


def default_sender() -> TaskLogSender:
    """The sender built from the environment (TOOLTRACK_API_URL, TOOLTRACK_API_TOKEN, TOOLTRACK_SPOOL)."""
    global _default_sender
    with _defaults_lock:
        if _default_sender is None:
            _default_sender = TaskLogSender()
        return _default_sender


def _tool_call_dicts(tool_calls: ToolCallTracker | Iterable[Mapping[str, Any] | ToolCallRecord] | None) -> list[dict]:
    if tool_calls is None:
        return []
    if isinstance(tool_calls, ToolCallTracker):
        return tool_calls.get_tool_calls()
    calls = []
    for call in tool_calls:
        if isinstance(call, ToolCallRecord):
            calls.append(call.model_dump(mode="json", exclude_none=True))
        else:
            calls.append(clean_tool_call(call))
    return calls


def build_task_log(
    adw_id: str,
    issue_number: int | None,
    phase_name: str,
    phase_number: int | None,
    success: bool,
    log_message: str | None,
    error_message: str | None = None,
    tool_calls: ToolCallTracker | Iterable[Mapping[str, Any] | ToolCallRecord] | None = None,
    **fields: Any,
) -> dict[str, Any]:
    """The validated JSON payload of one task log.

    Unknown or invalid optional fields are dropped with a warning; a bad `adw_id`, `phase_name` or
    `phase_status` raises ValidationError.
    """
    data: dict[str, Any] = {
        "adw_id": adw_id,
        "issue_number": issue_number,
        "phase_name": phase_name,
        "phase_number": phase_number,
        "phase_status": "completed" if success else "failed",
        "log_message": log_message,
        "error_message": error_message,
        "source": "tracker",
        "log_key": f"tracker:{uuid.uuid4().hex}",
    }
    if isinstance(tool_calls, ToolCallTracker):
        data["started_at"] = tool_calls.started_at
    data["completed_at"] = time.time()
    data.update(fields)
    data["tool_calls"] = _tool_call_dicts(tool_calls)
    try:
        return TaskLogCreate.model_validate(data).model_dump(mode="json", exclude_none=True)
    except ValidationError as exc:
        # An optional field that is unknown or invalid is dropped (named in the log) so the rest of the
        # phase's record still gets through; a bad required field fails the whole payload.
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"] and str(e["loc"][0]) not in _REQUIRED}
        if not bad or len(bad) < len({str(e["loc"][0]) for e in exc.errors() if e["loc"]}):
            raise
        logger.warning("task log fields dropped: %s", describe_validation_error(exc))
        kept = {key: value for key, value in data.items() if key not in bad}
        return TaskLogCreate.model_validate(kept).model_dump(mode="json", exclude_none=True)


def log_task_completion(
    adw_id: str,
    issue_number: int | None,
    phase_name: str,
    phase_number: int | None,
    success: bool,
    log_message: str | None,
    error_message: str | None = None,
    tool_calls: ToolCallTracker | Iterable[Mapping[str, Any] | ToolCallRecord] | None = None,
    *,
    background: bool = False,
    sender: TaskLogSender | None = None,
    **fields: Any,
) -> Outcome:
    """Log one phase's completion with its tool calls; never raises into the workflow.

    `fields` are further TaskLogCreate fields (workflow_template, started_at, tokens_used,
    cost_usd, log_key, ...). Returns what became of the log (see `Outcome`).
    """
    try:
        try:
            payload = build_task_log(
                adw_id, issue_number, phase_name, phase_number, success, log_message, error_message,
                tool_calls, **fields,
            )  # fmt: skip
        except ValidationError as exc:
            raw: dict[str, Any] = {"adw_id": adw_id, "issue_number": issue_number, "phase_name": phase_name}
            raw |= {"phase_number": phase_number, "success": success, "log_message": log_message}
            raw |= {"error_message": error_message, "tool_calls": _tool_call_dicts(tool_calls), **fields}
            return (sender or default_sender()).refuse(raw, describe_validation_error(exc))
        if background:
            return (sender or default_sender()).background().submit(payload)
        return (sender or default_sender()).send(payload)
    except Exception:
        logger.exception("log_task_completion failed for %s / %s", adw_id, phase_name)
        return "lost"
