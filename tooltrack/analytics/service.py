"""The analytics service: every question the API and the dashboard ask, answered in one place.

Window-wide answers (summary, over-time series, sequences, histograms) read the rollups that the
store keeps up to date in the insert's own transaction (`tooltrack.store.rollups`); answers about
one workflow run (redundancy, drill-down) read only that run's rows through the `adw_id` index.
"""

from __future__ import annotations

from typing import Final

from sqlalchemy import Engine

from tooltrack.analytics.filters import Filters
from tooltrack.analytics.results import (
    DailyToolPoint,
    DrillDown,
    FailureReport,
    FilterOptions,
    LatencyHistogram,
    RedundancyAlert,
    RedundancyReport,
    SequenceReport,
    SlowCall,
    Summary,
)

MAX_LIMIT: Final = 1000
MAX_OFFSET: Final = 1_000_000
MAX_DRILLDOWN_CALLS: Final = 50_000


class AnalyticsService:
    """Answers about tool calls in one database. Cheap to make: it holds only the engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def summary(self, filters: Filters, *, top_commands: int = 20) -> Summary:
        """Per tool count, success rate, mean/p50/p95/max; top Bash commands; per template and phase."""
        raise NotImplementedError

    def failures(self, filters: Filters, *, limit: int = 100, offset: int = 0) -> FailureReport:
        """Failing calls, newest first, and their error kinds with counts."""
        raise NotImplementedError

    def failure_rate_over_time(self, filters: Filters) -> list[DailyToolPoint]:
        """Per UTC day and tool: calls, failures and the failure rate."""
        raise NotImplementedError

    def calls_over_time(self, filters: Filters) -> list[DailyToolPoint]:
        """Per UTC day and tool: calls, failures and total duration."""
        raise NotImplementedError

    def redundancy(self, adw_id: str) -> RedundancyReport:
        """Re-reads, re-runs and runs of edits in one workflow run."""
        raise NotImplementedError

    def redundancy_alerts(self, filters: Filters, *, limit: int = 20) -> list[RedundancyAlert]:
        """The workflow runs that wasted most time on repeated work in the window."""
        raise NotImplementedError

    def sequences(self, filters: Filters, *, n: int = 3, min_count: int = 10, limit: int = 100) -> SequenceReport:
        """The commonest n-grams of tools in call order, with the transitions a Sankey needs."""
        raise NotImplementedError

    def drilldown(self, adw_id: str, *, max_calls: int = MAX_DRILLDOWN_CALLS) -> DrillDown:
        """Every task log and call of one workflow run, in order (at most `max_calls` calls)."""
        raise NotImplementedError

    def slowest_calls(self, filters: Filters, *, limit: int = 50) -> list[SlowCall]:
        """The slowest calls in the window, slowest first."""
        raise NotImplementedError

    def filter_options(self) -> FilterOptions:
        """The templates, phases and tools present, and the first and last day with data."""
        raise NotImplementedError

    def latency_histogram(self, filters: Filters, tool: str | None = None) -> LatencyHistogram:
        """The latency distribution of `tool` (default: the filters' tool, else all tools)."""
        raise NotImplementedError
