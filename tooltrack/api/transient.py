"""Transient database errors inside a request: tried again a few times, else 503 with Retry-After.

A connection cut under a request (PostgreSQL restarting, `pg_terminate_backend`, a failover), a
serialization failure, a deadlock or SQLite's "database is locked" says nothing about the request:
the same request a moment later may succeed. Before this module such a request answered 500, and
uvicorn closed the connection under the next request sent on it (the client saw a reset). Which
errors count as transient is the store's decision (`tooltrack.store.is_transient`).

Every route of the API's routers is a `RetryingRoute`: the whole request (dependencies, the route,
its answer) runs again after a short wait, under the store's `RetryPolicy`. A write may run again
safely because storing is idempotent (a log's key: an attempt whose commit went through but whose
answer was lost is found stored, 200). When the attempts are spent the route raises
`TransientDatabaseError`, which `transient_error_handler` answers with 503 and Retry-After.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute

from tooltrack.store import DEFAULT_POLICY, RetryPolicy, TransientDatabaseError, describe_error, is_transient

logger = logging.getLogger(__name__)

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class RetryingRoute(APIRoute):
    """A route whose request is run again when it fails with a transient database error."""

    #: Tests swap it for a policy of their own (e.g. fewer attempts).
    policy: RetryPolicy = DEFAULT_POLICY

    def get_route_handler(self) -> Handler:
        handle = super().get_route_handler()
        policy = self.policy

        async def retrying(request: Request) -> Response:
            started = time.monotonic()
            delays = policy.delays(started)
            attempts = 0
            while True:
                attempts += 1
                try:
                    # The body is read once and kept on the request, so a second run parses it again.
                    return await handle(request)
                except Exception as error:
                    if not is_transient(error):
                        raise
                    delay = next(delays, None)
                    if delay is None:
                        raise policy.spent(attempts, error) from error
                    logger.info("%s %s: %s; trying again", request.method, request.url.path, describe_error(error))
                await anyio.sleep(delay)

        return retrying


async def transient_error_handler(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After: the database is unavailable for now, the request may be sent again."""
    assert isinstance(exc, TransientDatabaseError)
    logger.warning("%s %s: %s", request.method, request.url.path, exc)
    return JSONResponse(
        status_code=503,
        content={"detail": "the database is unavailable for the moment; send the request again later"},
        headers={"Retry-After": str(max(1, math.ceil(exc.retry_after)))},
    )
