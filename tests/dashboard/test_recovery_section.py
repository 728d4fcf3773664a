"""The Failures page's "After a failure" section shows the service's recovery answer, on both databases."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.dashboard import recovery
from tooltrack.dashboard.formatting import percent


def test_recovery_section_matches_the_service(demo_env: Engine, open_page: OpenPage) -> None:
    expected = AnalyticsService(demo_env).recovery(Filters(all_time=True))
    assert expected.overall.failures > 0
    at = open_page("failures", {"days": "all"})
    assert not at.exception, [e.message for e in at.exception]
    assert "After a failure" in [h.value for h in at.subheader]
    shown = {m.label: m.value for m in at.metric}
    assert shown["Retried same call"] == f"{expected.overall.outcomes['retried']:,}"
    assert shown["Gave up"] == f"{expected.overall.outcomes['gave_up']:,}"
    assert shown["Recovered"] == percent(expected.overall.recovery_rate)
    table = at.dataframe[-1].value
    assert list(zip(table["Tool"], table["Error kind"], table["Failures"], strict=True)) == [
        (g.tool_name, g.error_kind, g.failures) for g in expected.groups
    ]
    assert list(table["Switched tool"]) == [g.outcomes["switched_tool"] for g in expected.groups]


def test_many_failures_wait_for_the_toggle(
    demo_env: Engine, open_page: OpenPage, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recovery, "AUTOMATIC_UP_TO", 1)
    at = open_page("failures", {"days": "all"})
    assert "After a failure" in [h.value for h in at.subheader]
    assert "Gave up" not in {m.label for m in at.metric}
    at.toggle(key="failures_recovery").set_value(True).run()
    expected = AnalyticsService(demo_env).recovery(Filters(all_time=True))
    assert {m.label: m.value for m in at.metric}["Gave up"] == f"{expected.overall.outcomes['gave_up']:,}"
