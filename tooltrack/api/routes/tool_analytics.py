"""`/api/v1/tool-analytics`: the analytics service over HTTP (the specification's four and more)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from tooltrack.analytics import (
    MAX_LIMIT,
    MAX_OFFSET,
    CostReport,
    DailyLatencyPoint,
    DailyToolPoint,
    DrillDown,
    FailureReport,
    FilterOptions,
    LatencyHistogram,
    McpReport,
    RecoveryReport,
    RedundancyAlert,
    RedundancyReport,
    RepeatedWork,
    SequenceReport,
    SlowCall,
    Summary,
)
from tooltrack.api.deps import FiltersDep, ReadAuth, ServiceDep
from tooltrack.api.params import AdwIdPath, NameQuery
from tooltrack.api.transient import RetryingRoute

router = APIRouter(
    prefix="/api/v1/tool-analytics", tags=["tool-analytics"], dependencies=[ReadAuth], route_class=RetryingRoute
)

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


@router.get("/summary")
def summary(
    filters: FiltersDep, service: ServiceDep, top_commands: Annotated[int, Query(ge=0, le=MAX_LIMIT)] = 20
) -> Summary:
    """Per tool: count, success rate, mean/p50/p95/max duration; top Bash commands; per template and phase."""
    return service.summary(filters, top_commands=top_commands)


@router.get("/redundancy/{adw_id:path}")
def redundancy(adw_id: AdwIdPath, service: ServiceDep) -> RedundancyReport:
    """Re-reads, re-runs and runs of edits in one workflow run, with the time they wasted."""
    return service.redundancy(adw_id)


@router.get("/sequences")
def sequences(
    filters: FiltersDep,
    service: ServiceDep,
    min_count: Annotated[int, Query(ge=1, le=1_000_000_000)] = 10,
    n: Annotated[int, Query(ge=2, le=3, description="Length of the n-grams: 2 or 3.")] = 3,
    limit: Limit = 100,
) -> SequenceReport:
    """The commonest n-grams of tools in call order, and the transition counts for a Sankey."""
    return service.sequences(filters, n=n, min_count=min_count, limit=limit)


@router.get("/failures")
def failures(
    filters: FiltersDep,
    service: ServiceDep,
    limit: Limit = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    error_kind: NameQuery = None,
    contains: NameQuery = None,
    adw_id: NameQuery = None,
    sort: Annotated[Literal["newest", "oldest", "tool", "kind", "duration"], Query()] = "newest",
) -> FailureReport:
    """Failing calls (newest first, or as sorted) and their error kinds with counts, over every matching
    failure: narrowed by error kind, by text the message contains, by run."""
    return service.failures(
        filters, limit=limit, offset=offset, error_kind=error_kind, contains=contains, adw_id=adw_id, sort=sort
    )


@router.get("/recovery")
def recovery(filters: FiltersDep, service: ServiceDep) -> RecoveryReport:
    """After each matching failure: did the agent retry the same call, change the input, switch tool
    or give up, and how many calls and seconds until it recovered; overall and per error kind and tool."""
    return service.recovery(filters)


@router.get("/cost")
def cost(filters: FiltersDep, service: ServiceDep, top: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20) -> CostReport:
    """What the calls cost (attributed from their sessions' usage): by tool, MCP server, sub-agent type,
    project, model, template, phase and day; the costliest calls and repeats."""
    return service.cost(filters, top=top)


@router.get("/mcp-servers")
def mcp_servers(filters: FiltersDep, service: ServiceDep) -> McpReport:
    """Per MCP server: calls, failures, latency, cost; the sessions that loaded it against those that used it."""
    return service.mcp_servers(filters)


@router.get("/repeated-work")
def repeated_work(
    filters: FiltersDep, service: ServiceDep, top: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 20
) -> RepeatedWork:
    """Repeated work in the window in total (every run, not a top list), by pattern, template and week."""
    return service.repeated_work(filters, top=top)


@router.get("/drilldown/{adw_id:path}")
def drilldown(adw_id: AdwIdPath, service: ServiceDep) -> DrillDown:
    """Every task log and call of one workflow run, in order."""
    return service.drilldown(adw_id)


@router.get("/redundancy-alerts")
def redundancy_alerts(filters: FiltersDep, service: ServiceDep, limit: Limit = 20) -> list[RedundancyAlert]:
    """The workflow runs that wasted most time on repeated work in the window."""
    return service.redundancy_alerts(filters, limit=limit)


@router.get("/calls-over-time")
def calls_over_time(filters: FiltersDep, service: ServiceDep) -> list[DailyToolPoint]:
    """Per UTC day and tool: calls, failures, failure rate and total duration."""
    return service.calls_over_time(filters)


@router.get("/latency-over-time")
def latency_over_time(filters: FiltersDep, service: ServiceDep) -> list[DailyLatencyPoint]:
    """Per UTC day and tool: p50 and p95 estimates (within 2.5 %, never above the day's max)."""
    return service.latency_over_time(filters)


@router.get("/slowest-calls")
def slowest_calls(filters: FiltersDep, service: ServiceDep, limit: Limit = 50) -> list[SlowCall]:
    """The slowest calls in the window."""
    return service.slowest_calls(filters, limit=limit)


@router.get("/latency-histogram")
def latency_histogram(filters: FiltersDep, service: ServiceDep) -> LatencyHistogram:
    """The latency distribution (of the `tool` filter, else of every tool)."""
    return service.latency_histogram(filters)


@router.get("/filter-options")
def filter_options(service: ServiceDep) -> FilterOptions:
    """The templates, phases and tools present, and the first and last day with data."""
    return service.filter_options()
