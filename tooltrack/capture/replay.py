"""`tooltrack replay`: send the spool to the API; remove only what the API accepted.

Hand-over without losing appends: holding the spool's lock, replay renames the spool to
`<spool>.inflight-<time>` (appenders that were waiting notice the rename and start a new spool
file), then posts each line of the in-flight file without holding any lock the workflow needs.
Lines the API accepted (201 or 200) are done; lines it refused as invalid (422, 413) or that
cannot be sent at all (not JSON, NaN or Infinity, a lone surrogate) go to the dead-letter file with
the reason; a refusal that names single calls costs only those calls (dead-lettered as a log of
their own), the rest of the line is sent; every other line is appended back to the spool; only then
is the in-flight file deleted. A crash at any point leaves the in-flight file, which the next replay
sends first: lines sent twice carry the same `log_key` and are stored once.

A replay always finishes: an error on one line (even a bug) keeps that line for the next replay
and is reported, and the lines after it are still sent. Every line kept says why in `problems`.

Before that, hook sessions that went quiet are closed into the spool, so calls of a session that
never sent Stop reach the database too (a call still waiting for its PostToolUse only once
`unfinished_after` has passed since its PreToolUse, see `hook_sessions`).

The fallback spool (`spool.fallback_dir()`, where capture writes when the spool's folder cannot be
written) is sent the same way, after the spool.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from tooltrack.capture.client import PostResult, SetAside
from tooltrack.capture.files import locked_fd
from tooltrack.capture.hook_sessions import UNFINISHED_GRACE_SECONDS, flush_stale_sessions
from tooltrack.capture.spool import Spool, dumps_line


class Poster(Protocol):
    """What replay sends through: a `TaskLogClient`, or the API's hook writer storing in its own database."""

    @property
    def base_url(self) -> str: ...

    def post(self, payload: dict[str, Any], *, set_aside: SetAside | None = None) -> PostResult: ...


#: A hook session with no event for this long is taken as ended.
DEFAULT_QUIET_SECONDS = 3600.0
#: Fallback notices (one per session, see `hook`) are forgotten after this long.
NOTICE_SECONDS = 7 * 24 * 3600.0


@dataclass
class ReplayReport:
    """What one replay did, line by line counted."""

    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    kept: int = 0
    sessions_closed: int = 0
    calls_set_aside: int = 0
    """Calls the API refused one by one (dead-lettered) while the rest of their log was sent."""
    problems: list[str] = field(default_factory=list)
    spools: list[Path] = field(default_factory=list)
    """The spool files this replay sent (the spool, then the fallback spool when it held anything)."""

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


def _stops_the_rest(result: PostResult) -> bool:
    """The API is down or refuses us as a whole: keep the rest without waiting on each."""
    code = result.http_status
    return code is None or code >= 500 or code in (401, 403, 404, 405, 407)


def _send_line(
    line: bytes, origin: str, spool: Spool, client: Poster, report: ReplayReport, state: dict[str, Any]
) -> bytes | None:
    """Send one spool line; the line to put back in the spool (None when it is done with)."""
    try:
        payload = json.loads(line)
        if not isinstance(payload, dict):
            raise ValueError(f"a JSON {type(payload).__name__}, not an object")
    except ValueError as exc:  # also a line that is not UTF-8
        spool.dead_letter(f"not a JSON payload: {exc}", raw_line=line.decode("utf-8", "replace"), origin=origin)
        report.rejected += 1
        return None

    def set_aside(part: dict[str, Any], reason: str, status: int | None) -> None:
        spool.dead_letter(reason, payload=part, status=status, origin=origin)
        report.calls_set_aside += len(part.get("tool_calls") or [])

    result = client.post(payload, set_aside=set_aside)
    sent = result.sent
    if result.status == "created":
        report.created += 1
    elif result.status == "duplicate":
        report.duplicates += 1
    elif result.status == "rejected":
        spool.dead_letter(result.reason, payload=sent or payload, status=result.http_status, origin=origin)
        report.rejected += 1
    else:
        report.problems.append(f"{client.base_url}: {result.reason}")
        if _stops_the_rest(result):
            state["unreachable"] = True
        # What is kept is what is left to send: after calls were set aside, the line without them.
        return line if sent is None else dumps_line(sent)
    return None


def _send_file(path: Path, spool: Spool, client: Poster, report: ReplayReport, state: dict[str, Any]) -> None:
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
            origin = f"{spool.path} line {number}"
            try:
                back = _send_line(line, origin, spool, client, report, state)
            except Exception as exc:  # one line must never stop the replay: keep it, say why, go on
                report.problems.append(f"{origin}: {type(exc).__name__}: {exc} (the line stays in the spool)")
                back = line
            if back is not None:
                kept.append(back)
    if kept:
        try:
            spool.append_raw(kept)
        except OSError as exc:
            # Nowhere to put them back: the in-flight file keeps them (the next replay sends it first).
            report.problems.append(f"{len(kept)} lines could not be put back ({exc}); they stay in {path}")
            report.kept += len(kept)
            return
        report.kept += len(kept)
    path.unlink()


def _replay_one(
    spool: Spool,
    client: Poster,
    report: ReplayReport,
    state: dict[str, Any],
    *,
    quiet_seconds: float,
    unfinished_after: float,
    now: float,
) -> None:
    try:
        closed = flush_stale_sessions(spool, quiet_for=quiet_seconds, now=now, unfinished_after=unfinished_after)
        report.sessions_closed += len(closed)
    except Exception as exc:  # an odd session file must not stop the spool from being sent
        report.problems.append(f"closing quiet hook sessions of {spool.path}: {type(exc).__name__}: {exc}")
    lock_path = spool.path.with_name(f".{spool.path.name}.replay.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock_fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(lock_fd, fcntl.LOCK_EX)  # one replay at a time; appenders are not held up by it
        leftovers = _inflight_files(spool)  # from a replay that crashed: send them first
        taken = _take_spool(spool)
        for path in [*leftovers, *([taken] if taken else [])]:
            _send_file(path, spool, client, report, state)
    finally:
        os.close(lock_fd)
    report.spools.append(spool.path)


def _has_content(spool: Spool) -> bool:
    folder = spool.path.parent
    return (
        (spool.path.exists() and spool.path.stat().st_size > 0)
        or bool(_inflight_files(spool))
        or any((folder / "hook-sessions").glob("*.jsonl"))
    )


def _forget_old_notices(spool: Spool, now: float) -> None:
    notices = spool.path.parent / "notices"
    for notice in notices.glob("*") if notices.is_dir() else ():
        try:
            if now - notice.stat().st_mtime > NOTICE_SECONDS:
                notice.unlink()
        except OSError:
            continue


def replay_spool(
    spool: Spool,
    client: Poster,
    *,
    quiet_seconds: float = DEFAULT_QUIET_SECONDS,
    unfinished_after: float = UNFINISHED_GRACE_SECONDS,
    now: Callable[[], float] = time.time,
    fallback: bool = True,
) -> ReplayReport:
    """Send every spooled payload (and quiet hook sessions) to the API; see the module docstring.

    With `fallback`, the fallback spool is sent too when it holds anything.
    """
    report = ReplayReport()
    state: dict[str, Any] = {"unreachable": False}
    when = now()
    _replay_one(spool, client, report, state, quiet_seconds=quiet_seconds, unfinished_after=unfinished_after, now=when)
    backup = spool.existing_fallback() if fallback else None
    if backup is not None and _has_content(backup):
        # Its refused lines go where the spool's do, so that one dead-letter file holds them all.
        backup = Spool(backup.path, dead_letter=spool.dead_letter_path, fallback=False)
        _replay_one(
            backup, client, report, state, quiet_seconds=quiet_seconds, unfinished_after=unfinished_after, now=when
        )
        _forget_old_notices(backup, when)
    return report
