"""One run's repeated work under filters (`repeated_work_of_run`), against a plain-Python count.

The reference runs the core's finder over the run's logs as they were sent, keeping the logs the
filters keep (the window by the log's day, the phase), so the SQL over `derived_redundant_targets`
can fail it. Both databases.
"""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import Engine

from tests.helpers.known_data import log_day
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.core import find_in_log
from tooltrack.models import TaskLogCreate


def expected(logs: list[TaskLogCreate], adw_id: str, filters: Filters) -> Counter[tuple[str, str]]:
    first, last = filters.window()
    counts: Counter[tuple[str, str]] = Counter()
    for log in logs:
        if log.adw_id != adw_id or not first <= log_day(log) <= last:
            continue
        if filters.phase is not None and log.phase_name != filters.phase:
            continue
        calls = [call.model_dump(mode="json", exclude_none=True) for call in log.tool_calls]
        for tally in find_in_log(calls):
            counts[(tally.kind, tally.target)] += tally.count
    return +counts


@pytest.mark.parametrize("filters", [Filters(all_time=True), Filters(days=20, phase="Build")])
def test_a_runs_repeated_work_under_filters(stored: Engine, logs: list[TaskLogCreate], filters: Filters) -> None:
    service = AnalyticsService(stored)
    alerts = {a.adw_id: a for a in service.redundancy_alerts(filters, limit=1000)}
    assert alerts, "the known data has repeated work"
    for adw_id in sorted({log.adw_id for log in logs}):
        report = service.repeated_work_of_run(adw_id, filters)
        found = Counter({(t.kind, t.target): t.redundant_calls for t in report.targets})
        assert found == expected(logs, adw_id, filters), adw_id
        # Its totals are its row of the list of runs.
        alert = alerts.get(adw_id)
        assert report.redundant_calls == (alert.redundant_calls if alert else 0)
        assert report.wasted_duration_ms == (alert.wasted_duration_ms if alert else 0)
        if filters.phase is not None:
            assert all(t.phases == [filters.phase] for t in report.targets)
