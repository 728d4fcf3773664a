"""The FastAPI application: task logs in, analytics out."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine

from tooltrack.api.errors import validation_error_handler
from tooltrack.api.limits import BodySizeLimit
from tooltrack.api.routes import (
    alerts_router,
    hooks_router,
    observability_router,
    runs_router,
    stream_router,
    tool_analytics_router,
)
from tooltrack.api.settings import check_tokens, max_body_bytes
from tooltrack.api.transient import transient_error_handler
from tooltrack.core import VERSION
from tooltrack.store import TransientDatabaseError


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    yield
    writer = getattr(app.state, "hook_writer", None)
    if writer is not None:  # store or spool every hook event still queued before the process ends
        writer.stop()


def create_app(engine: Engine | None = None, *, max_body: int | None = None) -> FastAPI:
    """The API on `engine` (default: TOOLTRACK_DATABASE_URL, resolved at the first request).

    The database must be migrated already (`tooltrack serve` and `tooltrack db upgrade` do it).
    Transient database errors are retried inside the request, then answered 503 with Retry-After.
    OpenAPI is served at /openapi.json, with the interactive docs at /docs. Raises ValueError when
    TOOLTRACK_API_TOKEN or TOOLTRACK_API_READ_TOKEN holds what no HTTP header can carry.
    """
    check_tokens()
    app = FastAPI(
        title="tooltrack",
        version=VERSION,
        summary="Tool-call analytics for AI coding agents.",
        lifespan=_lifespan,
    )
    app.state.engine = engine
    app.add_exception_handler(RequestValidationError, validation_error_handler)
    # Transient database errors are retried inside each request (tooltrack/api/transient.py);
    # the ones that outlast the retries are a 503 with Retry-After, not a 500.
    app.add_exception_handler(TransientDatabaseError, transient_error_handler)
    app.add_middleware(BodySizeLimit, max_bytes=max_body or max_body_bytes())
    app.include_router(observability_router)
    app.include_router(tool_analytics_router)
    app.include_router(runs_router)
    app.include_router(stream_router)
    app.include_router(alerts_router)
    app.include_router(hooks_router)

    @app.get("/healthz", tags=["health"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
