"""`/api/v1/stream`: tool calls as they are stored, as server-sent events (resumable)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Annotated, Final

from fastapi import APIRouter, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse

from tooltrack.analytics import CallFeed, Cursor
from tooltrack.api.deps import FiltersDep, ReadAuth, ServiceDep
from tooltrack.store import TransientDatabaseError

router = APIRouter(prefix="/api/v1/stream", tags=["stream"], dependencies=[ReadAuth])
log = logging.getLogger(__name__)

#: Seconds between two polls of the database when nothing new was stored.
POLL_SECONDS: Final = 0.5
#: A comment line this often keeps proxies from closing a quiet stream.
KEEPALIVE_SECONDS: Final = 15.0
#: What a browser's EventSource waits before it reconnects (ms), sent at the start of a stream.
RETRY_MS: Final = 2000
#: Calls sent per poll at most (the next poll goes on from there).
PER_POLL: Final = 1000

_EXAMPLE: Final = 'id: 42:0\nevent: tool_call\ndata: {"cursor": "42:0", "tool_name": "Bash", "success": true, ...}\n\n'


def _cursor(last_event_id: str | None, after: str | None) -> Cursor | None:
    chosen, where = (last_event_id, ("header", "last-event-id")) if last_event_id else (after, ("query", "after"))
    if not chosen:
        return None
    try:
        return Cursor.parse(chosen)
    except ValueError as exc:
        raise RequestValidationError([{"type": "value_error", "loc": where, "msg": str(exc), "input": chosen}]) from exc


async def _events(request: Request, feed: CallFeed, interval: float) -> AsyncIterator[str]:
    yield f"retry: {RETRY_MS}\n: after {feed.cursor}\n\n"
    quiet_since = time.monotonic()
    while not await request.is_disconnected():
        try:
            calls = await run_in_threadpool(feed.poll, PER_POLL)
        except TransientDatabaseError as exc:  # the database is restarting: try again at the next poll
            log.warning("stream poll failed, retrying: %s", exc)
            calls = []
        for call in calls:
            yield f"id: {call.cursor}\nevent: tool_call\ndata: {call.model_dump_json()}\n\n"
        if calls:
            quiet_since = time.monotonic()
            if len(calls) == PER_POLL:
                continue  # more are waiting
        elif time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
            yield ": keep-alive\n\n"
            quiet_since = time.monotonic()
        await asyncio.sleep(interval)


@router.get(
    "/tool-calls",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {"example": _EXAMPLE}}}},
)
async def tool_calls(
    request: Request,
    filters: FiltersDep,
    service: ServiceDep,
    last_event_id: Annotated[
        str | None, Header(max_length=60, description="Resume after this event id (EventSource sends it).")
    ] = None,
    after: Annotated[
        str | None, Query(max_length=60, description="Resume after this cursor (`<task log id>:<call index>`).")
    ] = None,
    interval: Annotated[float, Query(ge=0.1, le=10.0, description="Seconds between polls when idle.")] = POLL_SECONDS,
) -> StreamingResponse:
    """New tool calls as they are stored, one `tool_call` event each (its data: a LiveCall), with the
    reads' filters. The event id is the call's cursor: a client that reconnects with `Last-Event-ID`
    (or `?after=`) gets exactly the calls stored after it; without one, the stream starts now."""
    cursor = _cursor(last_event_id, after)
    feed = await run_in_threadpool(service.call_feed, filters, cursor)
    return StreamingResponse(
        _events(request, feed, interval),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
