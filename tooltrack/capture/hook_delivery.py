"""How the Claude Code hook delivers a closed session when asked to post it, and how it tells the
user that it records in the fallback folder.

Loaded only by a close with `TOOLTRACK_HOOK_POST=1`, or by the first event that falls back: a
PreToolUse or PostToolUse does without it. Standard library only (httpx is loaded when posting).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tooltrack.capture.hook_sessions import Deliver, log_hook_problem
from tooltrack.capture.session_format import session_file
from tooltrack.capture.spool import Spool

if TYPE_CHECKING:
    from tooltrack.capture.client import TaskLogClient


def post_or_spool(spool: Spool, env: Mapping[str, str], *, deadline: float) -> Deliver:
    """Post closed task logs at once, spooling them when that fails.

    One deadline of `deadline` seconds for each post, no retry, and after a post that failed
    the rest of this run's logs go straight to the spool: the agent waits for this hook, so a slow
    API costs it at most one deadline. Calls the API refuses one by one go to the dead-letter file,
    the rest of their log is posted without them. An unusable token is said in the hook's error
    log and the logs are spooled.
    """
    clients: list[TaskLogClient] = []
    failed = False

    def set_aside(part: dict[str, Any], reason: str, status: int | None) -> None:
        spool.dead_letter(reason, payload=part, status=status, origin="hook")

    def connect() -> TaskLogClient | None:
        # Made at the first post, not before: a Stop with nothing finished does without httpx.
        from tooltrack.capture.client import TaskLogClient, UnusableToken  # httpx: only loaded when posting

        try:
            clients.append(TaskLogClient.from_env(env, timeout=deadline, retries=0))
        except UnusableToken as exc:
            log_hook_problem(spool, {"error": f"{exc}: the session's task logs are spooled, not posted"})
            return None
        return clients[0]

    def deliver(payload: dict[str, Any]) -> None:
        nonlocal failed
        client = None if failed else (clients[0] if clients else connect())
        if client is None:
            failed = True
            spool.append(payload)
            return
        result = client.post(payload, set_aside=set_aside)
        sent = result.sent or payload
        if result.status == "rejected":
            spool.dead_letter(result.reason, payload=sent, status=result.http_status, origin="hook")
        elif not result.accepted:
            failed = True
            spool.append(sent)

    return deliver


def notice_fallback(backup: Spool, session_id: str, spool: Spool, problem: OSError) -> None:
    """Say on stderr, once per session, that the session is recorded in the fallback folder.

    Once: a notice file per session in the fallback folder, created exclusively (the first hook
    run to create it speaks). The reason also goes to the hook's error log there.
    """
    notices = backup.path.parent / "notices"
    notices.mkdir(mode=0o700, exist_ok=True)
    try:
        os.close(os.open(notices / session_file(backup, session_id).name, _NOTICE_FLAGS, 0o600))
    except FileExistsError:
        return
    message = (
        f"tooltrack: cannot write the spool folder {spool.path.parent} ({problem}); recording this session in"
        f" {backup.path.parent} instead (`tooltrack replay` sends it, `tooltrack doctor` shows it)"
    )
    sys.stderr.write(message + "\n")
    log_hook_problem(backup, {"error": message, "session_id": session_id})


_NOTICE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL
