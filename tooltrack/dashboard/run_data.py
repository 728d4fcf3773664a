"""Cached calls to the analytics service for the Runs, drill-down and Cost pages.

Kept beside `loaders` (same keys: the data version first, the database URL second, so an ingest
invalidates them at the next rerun) in a module of their own, one per group of pages. Only what a
page shows is fetched: a page of runs (LIMIT / OFFSET in the database), never the whole list.
"""

from __future__ import annotations

import streamlit as st

from tooltrack.analytics import AnalyticsService, CostReport, Filters, RunsPage
from tooltrack.dashboard.data import get_engine
from tooltrack.dashboard.loaders import ENTRIES, TTL, DashboardData, Version

#: The most expensive calls and costliest repeats the Cost page lists.
COST_TOP = 20


def _service(url: str) -> AnalyticsService:
    return AnalyticsService(get_engine(url))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _runs(
    version: Version,
    url: str,
    filters: Filters,
    outcome: str | None,
    search: str | None,
    sort: str,
    descending: bool,
    limit: int,
    offset: int,
) -> RunsPage:
    return _service(url).runs(
        filters, outcome=outcome, search=search, sort=sort, descending=descending, limit=limit, offset=offset
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _resolve(version: Version, url: str, prefix: str) -> list[str]:
    return _service(url).resolve_run(prefix)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _cost(version: Version, url: str, filters: Filters, top: int) -> CostReport:
    return _service(url).cost(filters, top=top)


def runs(
    data: DashboardData,
    filters: Filters,
    *,
    outcome: str | None = None,
    search: str | None = None,
    sort: str = "last_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> RunsPage:
    """One page of runs and the count of all that match (tooltrack.analytics.runs)."""
    return _runs(data.version, data.url, filters, outcome, search or None, sort, descending, limit, offset)


def resolve_run(data: DashboardData, prefix: str) -> list[str]:
    """The stored adw_ids that `prefix` names (one: it is unique; at most 11)."""
    return _resolve(data.version, data.url, prefix)


def cost(data: DashboardData, filters: Filters, *, top: int = COST_TOP) -> CostReport:
    """Cost by every dimension over the window and filters (tooltrack.analytics.costs)."""
    return _cost(data.version, data.url, filters, top)
