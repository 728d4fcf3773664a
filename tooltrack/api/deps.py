"""Dependencies of the routes, as `Annotated` aliases (tests override `get_engine`)."""

from __future__ import annotations

import hmac
from datetime import date
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Query, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError
from sqlalchemy import Engine

from tooltrack.analytics import DEFAULT_DAYS, MAX_DAYS, AnalyticsService, Filters
from tooltrack.api.params import NameQuery
from tooltrack.api.settings import api_read_token, api_token
from tooltrack.store import TaskLogRepository, shared_engine


def get_engine(request: Request) -> Engine:
    """The engine given to `create_app`, else the one for TOOLTRACK_DATABASE_URL."""
    engine: Engine | None = getattr(request.app.state, "engine", None)
    return engine if engine is not None else shared_engine()


EngineDep = Annotated[Engine, Depends(get_engine)]


def get_repository(engine: EngineDep) -> TaskLogRepository:
    return TaskLogRepository(engine)


def get_service(engine: EngineDep) -> AnalyticsService:
    return AnalyticsService(engine)


RepositoryDep = Annotated[TaskLogRepository, Depends(get_repository)]
ServiceDep = Annotated[AnalyticsService, Depends(get_service)]

_bearer = HTTPBearer(
    auto_error=False,
    description="Writes need TOOLTRACK_API_TOKEN when it is set; reads need TOOLTRACK_API_READ_TOKEN when it is set.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def _check_token(credentials: HTTPAuthorizationCredentials | None, accepted: list[str], action: str) -> None:
    given = (credentials.credentials if credentials is not None else "").encode()
    # compare_digest: the time taken does not tell how much of the token was right.
    if not any(hmac.compare_digest(given, token.encode()) for token in accepted):
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            detail=f"a valid bearer token is required to {action}",
            headers={"WWW-Authenticate": "Bearer"},
        )


def require_write_token(credentials: Credentials) -> None:
    """Writes need `Authorization: Bearer <TOOLTRACK_API_TOKEN>` when that variable is set."""
    expected = api_token()
    if expected is not None:
        _check_token(credentials, [expected], "write")


def require_read_token(credentials: Credentials) -> None:
    """Reads need `Authorization: Bearer <TOOLTRACK_API_READ_TOKEN>` (or the write token) when it is set."""
    read = api_read_token()
    if read is None:
        return
    write = api_token()
    _check_token(credentials, [read] if write is None else [read, write], "read")


WriteAuth = Annotated[None, Depends(require_write_token)]
ReadAuth = Depends(require_read_token)


def get_filters(
    days: Annotated[int, Query(ge=1, le=MAX_DAYS, description="The last N UTC days, today included.")] = DEFAULT_DAYS,
    start: Annotated[date | None, Query(description="First UTC day (wins over days).")] = None,
    end: Annotated[date | None, Query(description="Last UTC day, included.")] = None,
    workflow_template: NameQuery = None,
    phase: NameQuery = None,
    tool: NameQuery = None,
    project: NameQuery = None,
    model: NameQuery = None,
    agent: NameQuery = None,
    all_time: Annotated[bool, Query(description="Every day with data (wins over days, start and end).")] = False,
    timing: Annotated[
        Literal["all", "exec"],
        Query(
            description="Durations counted in latency figures: all, or exec (measured by the tool, hook or "
            "tracker; leaves out transcript line-timestamp durations, which include waits for the user)."
        ),
    ] = "all",
) -> Filters:
    try:
        return Filters(
            days=days,
            start=start,
            end=end,
            workflow_template=workflow_template,
            phase=phase,
            tool=tool,
            project=project,
            model=model,
            agent=agent,
            all_time=all_time,
            timing=timing,
        )
    except ValidationError as exc:
        raise RequestValidationError(
            [dict(error, loc=("query", *(error["loc"] or ("start",)))) for error in exc.errors()]
        ) from exc


FiltersDep = Annotated[Filters, Depends(get_filters)]
