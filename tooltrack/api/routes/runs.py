"""`/api/v1/runs`: the workflow runs, paged and filtered as the Runs page shows them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from tooltrack.analytics import MAX_LIMIT, MAX_OFFSET, RunsPage
from tooltrack.api.deps import FiltersDep, ReadAuth, ServiceDep
from tooltrack.api.transient import RetryingRoute
from tooltrack.models import Name, RequiredName

router = APIRouter(prefix="/api/v1/runs", tags=["runs"], dependencies=[ReadAuth], route_class=RetryingRoute)

Sort = Literal["last_at", "first_at", "calls", "failed_calls", "redundant_calls", "cost", "duration", "adw_id"]


@router.get("")
def list_runs(
    filters: FiltersDep,
    service: ServiceDep,
    outcome: Annotated[Literal["completed", "failed", "interrupted"] | None, Query()] = None,
    search: Annotated[Name | None, Query(description="An adw_id prefix, a word of the title, or a project.")] = None,
    sort: Annotated[Sort, Query()] = "last_at",
    descending: Annotated[bool, Query()] = True,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> RunsPage:
    """Runs with activity in the window (newest first by default), and how many match in all."""
    return service.runs(
        filters, outcome=outcome, search=search, sort=sort, descending=descending, limit=limit, offset=offset
    )


@router.get("/resolve")
def resolve(
    service: ServiceDep, prefix: Annotated[RequiredName, Query(description="The start of an adw_id.")]
) -> list[str]:
    """The adw_ids that start with `prefix`: one when the prefix names a run unambiguously (at most 11)."""
    return service.resolve_run(prefix)
