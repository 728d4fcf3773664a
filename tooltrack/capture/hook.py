"""`tooltrack hook`: the command Claude Code runs for PreToolUse / PostToolUse / Stop hooks.

It reads one hook event (JSON) from stdin and, in a few milliseconds, appends what it learnt to the
session's state file (`hook_sessions.py`; the line's format is `session_format.py`); a Stop /
SubagentStop / SessionEnd closes the session's finished calls into one task log in the spool (or
posts it when `TOOLTRACK_HOOK_POST=1`).

Whatever happens it exits 0 and writes nothing to stdout, which Claude Code may read as a
decision; its own errors go to `<spool dir>/hook-errors.log`. When the spool's folder cannot be
written, the session is recorded in the fallback folder (`spool.fallback_dir()`, the system temp
folder per user) and the hook says so on stderr, once per session. It imports only the standard
library (no pydantic, sqlalchemy or httpx unless it posts), so that `python -m
tooltrack.capture.hook` starts about as fast as Python itself.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tooltrack.capture.files import append_line
from tooltrack.capture.hook_mapping import exit_code_from_error, input_fields, response_fields
from tooltrack.capture.session_format import CLOSING_EVENTS, post_line, pre_line, session_file
from tooltrack.capture.spool import Spool
from tooltrack.core import INT32_MAX, MAX_DURATION_MS, MAX_NAME, MAX_TEXT

if TYPE_CHECKING:
    from tooltrack.capture.hook_sessions import Deliver

# `hook_sessions` (closing a session) and `hook_delivery` (posting it, the fallback notice) are
# imported where they are needed: a PreToolUse or PostToolUse, most of the hook's runs, does
# without them (with no bytecode cached, compiling them would cost every tool call).

POST_ENV = "TOOLTRACK_HOOK_POST"
#: Seconds a post of the hook may take in all (connecting, sending, the whole answer).
POST_DEADLINE = 1.0
#: Environment variables that say which workflow run and phase the session's calls belong to.
META_ENV = {
    "adw_id": "TOOLTRACK_ADW_ID",
    "phase_name": "TOOLTRACK_PHASE",
    "phase_number": "TOOLTRACK_PHASE_NUMBER",
    "issue_number": "TOOLTRACK_ISSUE_NUMBER",
    "workflow_template": "TOOLTRACK_WORKFLOW_TEMPLATE",
}


def meta_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """The TOOLTRACK_* workflow meta set in `env` (integers parsed; bad ones ignored)."""
    meta: dict[str, Any] = {}
    for key, variable in META_ENV.items():
        value = env.get(variable)
        if not value:
            continue
        if key in ("phase_number", "issue_number"):
            try:
                number = int(value)
            except ValueError:
                continue
            if 0 <= number <= INT32_MAX:  # the model's bounds: one bad setting must not cost the session
                meta[key] = number
        else:
            meta[key] = value[:MAX_NAME]
    return meta


def _pre_event(event: Mapping[str, Any], received: float, meta: dict[str, Any]) -> bytes:
    tool = str(event.get("tool_name") or "unknown")[:MAX_NAME]
    return pre_line(
        session_id=event.get("session_id"),
        call_id=event.get("tool_use_id"),
        tool=tool,
        at=received,
        fields=input_fields(tool, event.get("tool_input")),
        meta=meta,
    )


def _post_event(event: Mapping[str, Any], received: float, meta: dict[str, Any]) -> bytes:
    tool = str(event.get("tool_name") or "unknown")[:MAX_NAME]
    tool_input = event.get("tool_input")
    fields = input_fields(tool, tool_input)
    for key, value in response_fields(tool, tool_input, event.get("tool_response")).items():
        if key == "parameters" and isinstance(fields.get("parameters"), dict):
            fields["parameters"] = {**fields["parameters"], **value}
        else:
            fields[key] = value
    failed = event.get("hook_event_name") == "PostToolUseFailure"
    response = event.get("tool_response")
    error_text = outcome = None
    if failed:
        error = event.get("error")
        error_text = str(error)[:MAX_TEXT] if error is not None else "the tool call failed"
        outcome = "interrupted" if event.get("is_interrupt") is True else "error"
        if tool == "Bash":
            code = exit_code_from_error(error)
            if code is not None:
                fields["exit_code"] = code
    duration = event.get("duration_ms")
    duration_ms = None
    if isinstance(duration, int | float) and not isinstance(duration, bool) and 0 <= duration <= MAX_DURATION_MS:
        duration_ms = round(duration)
    return post_line(
        session_id=event.get("session_id"),
        call_id=event.get("tool_use_id"),
        tool=tool,
        at=received,
        ok=not failed and not (isinstance(response, Mapping) and response.get("success") is False),
        error=error_text,
        outcome=outcome,
        duration_ms=duration_ms,
        fields=fields,
        meta=meta,
    )


def _record_event(spool: Spool, session_id: str, line: bytes) -> None:
    """Append one event line to the session's state file, in the fallback folder when the spool's cannot be written."""
    try:
        append_line(session_file(spool, session_id), line)
    except OSError as problem:
        backup = spool.fallback_spool()
        if backup is None:
            raise
        append_line(session_file(backup, session_id), line)
        from tooltrack.capture.hook_delivery import notice_fallback

        notice_fallback(backup, session_id, spool, problem)


def handle_event(
    event: Mapping[str, Any],
    *,
    received: float,
    spool: Spool,
    env: Mapping[str, str],
    deliver: Deliver | None = None,
) -> None:
    """Record one hook event (see the module's docstring).

    `deliver` takes each task log a closing event makes (default: the spool, or a post when
    `TOOLTRACK_HOOK_POST=1`); the API's hook endpoint passes one that stores in its database.
    """
    name = event.get("hook_event_name")
    session_id = str(event.get("session_id") or "unknown")
    if name == "PreToolUse":
        _record_event(spool, session_id, _pre_event(event, received, meta_from_env(env)))
    elif name in ("PostToolUse", "PostToolUseFailure"):
        _record_event(spool, session_id, _post_event(event, received, meta_from_env(env)))
    elif name in CLOSING_EVENTS:
        from tooltrack.capture.hook_sessions import close_session

        if deliver is None and env.get(POST_ENV) == "1":
            from tooltrack.capture.hook_delivery import post_or_spool

            deliver = post_or_spool(spool, env, deadline=POST_DEADLINE)
        backup = spool.existing_fallback()
        # The session may have been recorded in the fallback folder (all of it, or since the spool's
        # folder became unwritable): close it there too. Its task log goes to the spool when that
        # can be written again, else beside it.
        failure: BaseException | None = None
        for where in (spool, backup):
            if where is None:
                continue
            try:
                close_session(
                    spool,
                    session_file(where, session_id),
                    reason=str(name),
                    at=received,
                    meta=meta_from_env(env),
                    include_unfinished=name == "SessionEnd",
                    session_id=session_id,
                    deliver=deliver,
                )
            except Exception as exc:  # the other place is still closed; the error is logged after
                failure = failure or exc
        if failure is not None:
            raise failure


def _log_error(spool: Spool | None, raw: bytes) -> None:
    """Write the current exception to the hook's error log; never raise from here."""
    try:
        import traceback

        from tooltrack.capture.hook_sessions import log_hook_problem

        entry = {"input": raw[:300].decode("utf-8", "replace"), "error": traceback.format_exc()}
        log_hook_problem(spool if spool is not None else Spool(), entry)
    except BaseException:  # the hook must exit 0 even when it cannot log
        pass


def main(stdin: Any = None, env: Mapping[str, str] | None = None) -> int:
    """Run one hook event from stdin; always returns 0."""
    received = time.time()
    raw = b""
    spool: Spool | None = None
    try:
        spool = Spool()
        raw = (stdin or sys.stdin.buffer).read()
        event = json.loads(raw)
        if isinstance(event, Mapping):
            handle_event(event, received=received, spool=spool, env=os.environ if env is None else env)
        else:
            raise ValueError("the hook input is not a JSON object")
    except BaseException:  # even KeyboardInterrupt: a tracking hook must never block the agent's tool
        _log_error(spool, raw)
    return 0


if __name__ == "__main__":
    sys.exit(main())
