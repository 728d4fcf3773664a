"""`/api/v1/hooks`: Claude Code's HTTP hooks post their events here.

`POST /api/v1/hooks/claude-code` takes a PreToolUse / PostToolUse / PostToolUseFailure / Stop /
SubagentStop (or SessionEnd) event exactly as Claude Code sends it, and answers 200 with an empty
body at once: Claude Code waits for this answer on every tool call, so the route does no
database work. It checks the bearer token (as every write does), puts the body on the hook
writer's queue (`tooltrack.api.hook_writer`) and returns; the writer stores it through the
command hook's own mapping. An empty 2xx body tells Claude Code nothing (no decision), which is
what a tracking hook must say.

The workflow meta the command hook reads from TOOLTRACK_* variables comes here as headers of
the same names (`X-Tooltrack-Adw-Id: $TOOLTRACK_ADW_ID`, ...), which `tooltrack hook install`
configures with `allowedEnvVars`.
"""

from __future__ import annotations

import threading
import time
from typing import Final

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.datastructures import State
from sqlalchemy import Engine

from tooltrack.api.deps import Credentials, require_write_token
from tooltrack.api.hook_writer import HookWriter, flush_after, max_queue
from tooltrack.capture import HOOK_META_ENV
from tooltrack.store import shared_engine

router = APIRouter(prefix="/api/v1/hooks", tags=["hooks"])

#: Header -> the TOOLTRACK_* variable the command hook reads the same meta from.
META_HEADERS: Final = {f"x-{variable.lower().replace('_', '-')}": variable for variable in HOOK_META_ENV.values()}
_writer_lock = threading.Lock()


def hook_writer(state: State) -> HookWriter:
    """The app's hook writer, made at the first hook event (an app that gets none starts no thread)."""
    writer: HookWriter | None = getattr(state, "hook_writer", None)
    if writer is None:
        with _writer_lock:
            writer = getattr(state, "hook_writer", None)
            if writer is None:

                def engine() -> Engine:
                    chosen = getattr(state, "engine", None)
                    return chosen if chosen is not None else shared_engine()

                writer = HookWriter(engine, max_queue=max_queue(), flush_after=flush_after())
                state.hook_writer = writer
    return writer


@router.post(
    "/claude-code",
    response_class=Response,
    responses={
        200: {"description": "Taken (stored a moment later); the empty body tells Claude Code nothing."},
        400: {"description": "The body is not a JSON object."},
        401: {"description": "TOOLTRACK_API_TOKEN is set and the bearer token is missing or wrong."},
        413: {"description": "The body is larger than TOOLTRACK_API_MAX_BODY_BYTES."},
    },
)
async def claude_code_hook(request: Request, credentials: Credentials) -> Response:
    """One Claude Code hook event, as Claude Code's `"type": "http"` hook posts it. Answers before storing."""
    received, started = time.time(), time.perf_counter()
    require_write_token(credentials)
    body = await request.body()
    if body.lstrip()[:1] != b"{":  # the whole parse is the writer's; this catches a wrong sender at once
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail="the body must be one hook event, a JSON object")
    headers = request.headers
    env = {variable: value for header, variable in META_HEADERS.items() if (value := headers.get(header))}
    hook_writer(request.app.state).submit(body, at=received, env=env)
    # Server-Timing: the route's own time, so a client (the benchmark) can tell it from the network's.
    spent = (time.perf_counter() - started) * 1000
    return Response(status_code=status.HTTP_200_OK, headers={"Server-Timing": f"app;dur={spent:.3f}"})
