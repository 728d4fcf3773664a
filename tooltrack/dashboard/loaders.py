"""Cached calls to the analytics service, one per question a page asks.

Every loader takes the data version first and the database URL second: a new ingest changes the
version, so the next rerun misses the cache and reads fresh answers, without restarting the app.
The service pushes aggregation into SQL and rollups, so what is cached here is already small.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import streamlit as st

from tooltrack.analytics import (
    AlertsPage,
    AnalyticsService,
    CostReport,
    DailyLatencyPoint,
    DailyToolPoint,
    DrillDown,
    FailureReport,
    FilterOptions,
    Filters,
    LatencyHistogram,
    LiveView,
    McpReport,
    RecoveryReport,
    RedundancyAlert,
    RedundancyReport,
    RepeatedWork,
    RunRepeatedWork,
    SequenceReport,
    SlowCall,
    Summary,
)
from tooltrack.core import database_url
from tooltrack.dashboard.data import data_version, get_engine

#: Cached answers live five minutes at most (a `days=N` window moves with the clock).
TTL: Final = 300
#: Enough entries for a handful of filter combinations per page without growing without bound.
ENTRIES: Final = 32
#: The most calls the drill-down shows for one run (its Gantt chart stays usable).
DRILLDOWN_MAX_CALLS: Final = 5_000

Version = tuple[int, int]
#: A failures question's narrowing: error kind, message text, adw_id, sort.
Narrowing = tuple[str | None, str | None, str | None, str]


def _service(url: str) -> AnalyticsService:
    return AnalyticsService(get_engine(url))


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _filter_options(version: Version, url: str) -> FilterOptions:
    return _service(url).filter_options()


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _summary(version: Version, url: str, filters: Filters) -> Summary:
    return _service(url).summary(filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _calls_over_time(version: Version, url: str, filters: Filters) -> list[DailyToolPoint]:
    return _service(url).calls_over_time(filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _failure_rate_over_time(version: Version, url: str, filters: Filters) -> list[DailyToolPoint]:
    return _service(url).failure_rate_over_time(filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _failures(
    version: Version, url: str, filters: Filters, limit: int, offset: int, narrow: Narrowing
) -> FailureReport:
    error_kind, contains, adw_id, sort = narrow
    return _service(url).failures(
        filters, limit=limit, offset=offset, error_kind=error_kind, contains=contains, adw_id=adw_id, sort=sort
    )


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _recovery(version: Version, url: str, filters: Filters) -> RecoveryReport:
    return _service(url).recovery(filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _slowest_calls(version: Version, url: str, filters: Filters, limit: int) -> list[SlowCall]:
    return _service(url).slowest_calls(filters, limit=limit)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _latency_histogram(version: Version, url: str, filters: Filters, tool: str | None) -> LatencyHistogram:
    return _service(url).latency_histogram(filters, tool)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _latency_over_time(version: Version, url: str, filters: Filters) -> list[DailyLatencyPoint]:
    return _service(url).latency_over_time(filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _redundancy_alerts(version: Version, url: str, filters: Filters, limit: int) -> list[RedundancyAlert]:
    return _service(url).redundancy_alerts(filters, limit=limit)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _redundancy(version: Version, url: str, adw_id: str) -> RedundancyReport:
    return _service(url).redundancy(adw_id)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _sequences(version: Version, url: str, filters: Filters, n: int, min_count: int, limit: int) -> SequenceReport:
    return _service(url).sequences(filters, n=n, min_count=min_count, limit=limit)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _drilldown(version: Version, url: str, adw_id: str, max_calls: int) -> DrillDown:
    return _service(url).drilldown(adw_id, max_calls=max_calls)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _alerts(version: Version, url: str, filters: Filters, rule: str | None, limit: int) -> AlertsPage:
    return _service(url).alerts(filters, rule=rule, limit=limit)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _repeated_work(version: Version, url: str, filters: Filters, top: int) -> RepeatedWork:
    return _service(url).repeated_work(filters, top=top)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _repeated_work_of_run(version: Version, url: str, adw_id: str, filters: Filters) -> RunRepeatedWork:
    return _service(url).repeated_work_of_run(adw_id, filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _mcp_servers(version: Version, url: str, filters: Filters) -> McpReport:
    return _service(url).mcp_servers(filters)


@st.cache_data(ttl=TTL, max_entries=ENTRIES, show_spinner=False)
def _cost_report(version: Version, url: str, filters: Filters, top: int) -> CostReport:
    return _service(url).cost(filters, top=top)


@dataclass(frozen=True, slots=True)
class DashboardData:
    """The analytics answers of one database at one data version (what a page run reads from)."""

    url: str
    version: Version

    def filter_options(self) -> FilterOptions:
        return _filter_options(self.version, self.url)

    def summary(self, filters: Filters) -> Summary:
        return _summary(self.version, self.url, filters)

    def calls_over_time(self, filters: Filters) -> list[DailyToolPoint]:
        return _calls_over_time(self.version, self.url, filters)

    def failure_rate_over_time(self, filters: Filters) -> list[DailyToolPoint]:
        return _failure_rate_over_time(self.version, self.url, filters)

    def failures(
        self,
        filters: Filters,
        *,
        limit: int,
        offset: int = 0,
        error_kind: str | None = None,
        contains: str | None = None,
        adw_id: str | None = None,
        sort: str = "newest",
    ) -> FailureReport:
        return _failures(self.version, self.url, filters, limit, offset, (error_kind, contains, adw_id, sort))

    def recovery(self, filters: Filters) -> RecoveryReport:
        return _recovery(self.version, self.url, filters)

    def slowest_calls(self, filters: Filters, *, limit: int) -> list[SlowCall]:
        return _slowest_calls(self.version, self.url, filters, limit)

    def latency_histogram(self, filters: Filters, tool: str | None = None) -> LatencyHistogram:
        return _latency_histogram(self.version, self.url, filters, tool)

    def latency_over_time(self, filters: Filters) -> list[DailyLatencyPoint]:
        return _latency_over_time(self.version, self.url, filters)

    def redundancy_alerts(self, filters: Filters, *, limit: int) -> list[RedundancyAlert]:
        return _redundancy_alerts(self.version, self.url, filters, limit)

    def redundancy(self, adw_id: str) -> RedundancyReport:
        return _redundancy(self.version, self.url, adw_id)

    def sequences(self, filters: Filters, *, n: int, min_count: int, limit: int) -> SequenceReport:
        return _sequences(self.version, self.url, filters, n, min_count, limit)

    def drilldown(self, adw_id: str, *, max_calls: int = DRILLDOWN_MAX_CALLS) -> DrillDown:
        return _drilldown(self.version, self.url, adw_id, max_calls)

    def alerts(self, filters: Filters, *, rule: str | None = None, limit: int) -> AlertsPage:
        return _alerts(self.version, self.url, filters, rule, limit)

    def repeated_work(self, filters: Filters, *, top: int = 20) -> RepeatedWork:
        return _repeated_work(self.version, self.url, filters, top)

    def repeated_work_of_run(self, adw_id: str, filters: Filters) -> RunRepeatedWork:
        return _repeated_work_of_run(self.version, self.url, adw_id, filters)

    def mcp_servers(self, filters: Filters) -> McpReport:
        return _mcp_servers(self.version, self.url, filters)

    def cost_report(self, filters: Filters, *, top: int = 20) -> CostReport:
        return _cost_report(self.version, self.url, filters, top)


def live_view(minutes: int, active_minutes: int) -> LiveView:
    """The last minutes of calls, read uncached on every run of the Live page's fragment (the view
    moves with the clock; it reads only the task logs stored in those minutes)."""
    return _service(database_url()).live_view(Filters(), minutes=minutes, active_minutes=active_minutes)


def current_data() -> DashboardData:
    """The dashboard's database at its current data version (read uncached, once per rerun)."""
    engine = get_engine(database_url())
    return DashboardData(url=engine.url.render_as_string(hide_password=False), version=data_version(engine))
