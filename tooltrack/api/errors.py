"""422 answers that name each bad field as a path: `tool_calls[3].duration_ms`."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from tooltrack.models import error_location

_SOURCES = ("body", "query", "path", "header")


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per problem: the field path (without FastAPI's "body"/"query" prefix), where, why."""
    described = []
    for error in errors:
        loc = tuple(error.get("loc", ()))
        where = loc[0] if loc and loc[0] in _SOURCES else "body"
        path = loc[1:] if loc and loc[0] in _SOURCES else loc
        described.append(
            {
                "field": error_location(tuple(path)),
                "in": where,
                "message": error.get("msg", "invalid"),
                "type": error.get("type", "value_error"),
            }
        )
    return described


async def validation_error_handler(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = field_errors(list(exc.errors()))
    summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors[:10])
    return JSONResponse(
        status_code=422,
        content=jsonable_encoder({"detail": errors, "message": summary}),
    )
