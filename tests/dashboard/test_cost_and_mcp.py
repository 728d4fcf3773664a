"""Cost columns on the Overview and Tools pages, and the MCP servers section (issues 15 and 16,
issue 18 item 3: bucket estimates marked "≈" with their bound in the help).

Every figure is the service's (`cost`, `mcp_servers`) under the page's filters, on both databases.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tests.helpers.known_env import LOADED_SERVERS, store_known
from tooltrack.analytics import AnalyticsService, CostGroup, Filters


@pytest.fixture
def known_env(app_env: Engine) -> Engine:
    store_known(app_env)
    return app_env


def table_with(at: AppTest, *columns: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table with these columns, and its column configuration (what Streamlit was told)."""
    [found] = [t for t in at.dataframe if set(columns) <= set(t.value.columns)]
    return found.value, json.loads(found.proto.columns or "{}")


def costs_of(groups: list[CostGroup]) -> dict[str, float]:
    return {g.name: g.cost_usd for g in groups if g.costed_calls}


def shown_costs(frame: pd.DataFrame, label: str) -> dict[str, float]:
    return {
        str(name): float(cost)
        for name, cost in zip(frame[label], frame["Cost ($)"], strict=True)
        if not (isinstance(cost, float) and math.isnan(cost))
    }


def test_the_tools_page_prices_each_tool(known_env: Engine, open_page: OpenPage) -> None:
    report = AnalyticsService(known_env).cost(Filters(days=7))
    at = open_page("tools", {"days": "7"})
    assert not at.exception, [e.message for e in at.exception]
    frame, config = table_with(at, "Tool", "Cost ($)", "p95 (ms)")
    assert shown_costs(frame, "Tool") == pytest.approx(costs_of(report.by_tool))
    assert sum(shown_costs(frame, "Tool").values()) == pytest.approx(report.total_cost_usd)
    # Percentiles are estimates and say so.
    for column in ("p50 (ms)", "p95 (ms)"):
        assert config[column]["type_config"]["format"].startswith("≈"), config[column]
        assert "±2.5 %" in config[column]["help"]


def test_the_overview_prices_each_template_and_phase(known_env: Engine, open_page: OpenPage) -> None:
    report = AnalyticsService(known_env).cost(Filters())
    at = open_page("overview")
    templates, _ = table_with(at, "Template", "Cost ($)")
    phases, _ = table_with(at, "Phase", "Cost ($)")
    assert shown_costs(templates, "Template") == pytest.approx(costs_of(report.by_workflow_template))
    assert shown_costs(phases, "Phase") == pytest.approx(costs_of(report.by_phase))


def test_mcp_servers_with_their_figures_and_the_ones_never_used(known_env: Engine, open_page: OpenPage) -> None:
    filters = Filters(all_time=True)
    report = AnalyticsService(known_env).mcp_servers(filters)
    assert report.unused == ["idle"] and {s.server for s in report.servers} == set(LOADED_SERVERS)
    at = open_page("tools", {"days": "all"})
    frame, config = table_with(at, "Server", "Sessions loaded")
    assert list(frame["Server"]) == [s.server for s in report.servers]
    assert list(frame["Calls"]) == [s.calls for s in report.servers]
    assert list(frame["Failures"]) == [s.failures for s in report.servers]
    assert list(frame["Sessions loaded"]) == [s.sessions_loaded for s in report.servers]
    assert list(frame["Sessions used"]) == [s.sessions_used for s in report.servers]
    assert list(frame["Cost ($)"]) == pytest.approx([s.cost_usd for s in report.servers])
    p95 = [None if v != v else v for v in frame["p95 (ms)"]]
    assert p95 == [s.p95_duration_ms for s in report.servers]
    assert config["p95 (ms)"]["type_config"]["format"].startswith("≈")
    assert any("Loaded but never called in the period: idle" in w.value for w in at.warning)
