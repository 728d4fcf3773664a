"""`/api/v1/alerts`: the alert rules' findings, as the Alerts page and `tooltrack alerts` list them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from tooltrack.analytics import MAX_LIMIT, MAX_OFFSET, AlertsPage
from tooltrack.api.deps import FiltersDep, ReadAuth, ServiceDep
from tooltrack.api.transient import RetryingRoute

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"], dependencies=[ReadAuth], route_class=RetryingRoute)

Rule = Literal["loop", "failure_spike", "latency_regression", "new_error_kind", "sensitive_path"]


@router.get("")
def list_alerts(
    filters: FiltersDep,
    service: ServiceDep,
    rule: Annotated[Rule | None, Query(description="Only this rule's alerts.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> AlertsPage:
    """Alerts about the window's days, newest first, with how many there are in all and per rule
    (docs/analytics.md, "Alerts", defines each rule; `delivery` says what the webhook did)."""
    return service.alerts(filters, rule=rule, limit=limit, offset=offset)
