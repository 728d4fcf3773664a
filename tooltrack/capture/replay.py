"""`tooltrack replay`: send the spool to the API; remove only what the API accepted.

Hand-over without losing appends: holding the spool's lock, replay renames the spool to
`<spool>.inflight-<time>` (appenders that were waiting notice the rename and start a new spool
file), then posts each line of the in-flight file without holding any lock the workflow needs.
Lines the API accepted (201 or 200) are done; lines it refused as invalid (422) go to the
dead-letter file with the reason; every other line is appended back to the spool; only then is the
in-flight file deleted. A crash at any point leaves the in-flight file, which the next replay sends
first: lines sent twice carry the same `log_key` and are stored once.

Before that, hook sessions that went quiet are closed into the spool, so calls of a session that
never sent Stop reach the database too (a call still waiting for its PostToolUse only once
`unfinished_after` has passed since its PreToolUse, see `hook_sessions`).
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.files import locked_fd
from tooltrack.capture.hook_sessions import UNFINISHED_GRACE_SECONDS, flush_stale_sessions
from tooltrack.capture.spool import Spool

#: A hook session with no event for this long is taken as ended.
DEFAULT_QUIET_SECONDS = 3600.0


@dataclass
class ReplayReport:
    """What one replay did, line by line counted."""

    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    kept: int = 0
    sessions_closed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return self.created + self.duplicates


def _inflight_files(spool: Spool) -> list[Path]:
    return sorted(spool.path.parent.glob(f"{spool.path.name}.inflight-*"))


def _take_spool(spool: Spool) -> Path | None:
    """Move the spool's current content aside (under its lock) for sending; None when empty."""
    if not spool.path.exists():
        return None
    with locked_fd(spool.path) as fd:
        if os.fstat(fd).st_size == 0:
            return None
        target = spool.path.with_name(f"{spool.path.name}.inflight-{time.time_ns()}")
        os.rename(spool.path, target)
        return target


def _send_file(path: Path, spool: Spool, client: TaskLogClient, report: ReplayReport, state: dict) -> None:
    kept: list[bytes] = []
    with path.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            if not line.endswith(b"\n"):
                line += b"\n"
            if state["unreachable"]:
                kept.append(line)
                continue
            origin = f"{spool.path.name} line {number}"
            try:
                payload = json.loads(line)
                if not isinstance(payload, dict):
                    raise ValueError(f"a JSON {type(payload).__name__}, not an object")
            except ValueError as exc:
                spool.dead_letter(f"not a JSON payload: {exc}", raw_line=line.decode("utf-8", "replace"), origin=origin)
                report.rejected += 1
                continue
            result = client.post(payload)
            if result.status == "created":
                report.created += 1
            elif result.status == "duplicate":
                report.duplicates += 1
            elif result.status == "rejected":
                spool.dead_letter(result.reason, payload=payload, status=result.http_status, origin=origin)
                report.rejected += 1
            else:
                kept.append(line)
                if result.http_status is None or result.http_status >= 500 or result.http_status in (401, 403, 404):
                    # The API is down or refuses us as a whole: keep the rest without waiting on each.
                    state["unreachable"] = True
                    report.problems.append(f"{client.base_url}: {result.reason}")
    if kept:
        spool.append_raw(kept)
        report.kept += len(kept)
    path.unlink()


def replay_spool(
    spool: Spool,
    client: TaskLogClient,
    *,
    quiet_seconds: float = DEFAULT_QUIET_SECONDS,
    unfinished_after: float = UNFINISHED_GRACE_SECONDS,
    now: Callable[[], float] = time.time,
) -> ReplayReport:
    """Send every spooled payload (and quiet hook sessions) to the API; see the module docstring."""
    report = ReplayReport()
    closed = flush_stale_sessions(spool, quiet_for=quiet_seconds, now=now(), unfinished_after=unfinished_after)
    report.sessions_closed = len(closed)
    lock_path = spool.path.with_name(f".{spool.path.name}.replay.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)  # one replay at a time; appenders are not held up by it
        leftovers = _inflight_files(spool)  # from a replay that crashed: send them first
        taken = _take_spool(spool)
        state = {"unreachable": False}
        for path in [*leftovers, *([taken] if taken else [])]:
            _send_file(path, spool, client, report, state)
    finally:
        os.close(lock_fd)
    return report
