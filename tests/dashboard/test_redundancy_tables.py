"""The repeated-work table of one run, as the Redundancy page and the workflow drill-down draw it.

Both pages show the analytics service's findings for a run, row for row, in the service's order;
the Redundancy page also says of how many calls each pattern's redundant ones are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import AnalyticsService, Filters, RedundancyFinding

ALL_TIME = {"days": "all"}


def _table_with(at: AppTest, column: str) -> Any:
    [frame] = [table.value for table in at.dataframe if column in table.value.columns]
    return frame


def _expected(findings: list[RedundancyFinding], *, occurrences: bool) -> list[dict[str, object]]:
    rows = []
    for finding in findings:
        row: dict[str, object] = {
            "Pattern": finding.pattern,
            "Target": finding.target,
            "Redundant calls": finding.count,
        }
        if occurrences:
            row["Of calls"] = finding.occurrences
        row |= {
            "Wasted (ms)": finding.wasted_duration_ms,
            "Phases": ", ".join(finding.phases),
            "Suggestion": finding.suggestion,
        }
        rows.append(row)
    return rows


def _worst_run(engine: Engine) -> str:
    alerts = AnalyticsService(engine).redundancy_alerts(Filters(days=3650), limit=20)
    assert alerts, "the demo data has repeated work"
    return alerts[0].adw_id


def test_redundancy_page_lists_the_findings_of_the_chosen_run(demo_env: Engine, open_page: OpenPage) -> None:
    adw_id = _worst_run(demo_env)
    service = AnalyticsService(demo_env)
    detail = service.repeated_work_of_run(adw_id, Filters(all_time=True))
    # Under no filter, the run's repeated work is what the run-wide finder finds in it.
    findings = service.redundancy(adw_id).redundancies
    assert detail.redundant_calls == sum(f.count for f in findings) > 0
    at = open_page("redundancy", ALL_TIME)
    assert not at.exception
    assert at.selectbox(key="redundancy_adw_id").value == adw_id
    frame = _table_with(at, "Of calls")
    assert list(frame.columns) == [
        "Pattern",
        "Target",
        "Redundant calls",
        "Of calls",
        "Wasted (s)",
        "Wasted tokens",
        "Wasted ($)",
        "Phases",
    ]
    assert list(frame["Redundant calls"]) == [t.redundant_calls for t in detail.targets]
    assert list(frame["Of calls"]) == [t.occurrences for t in detail.targets]
    assert list(frame["Wasted tokens"]) == [t.wasted_tokens for t in detail.targets]
    assert sorted(zip(frame["Pattern"], frame["Redundant calls"], strict=True)) == sorted(
        (f.pattern, f.count) for f in findings
    )


def test_workflow_page_lists_the_findings_of_its_run(demo_env: Engine, open_page: OpenPage) -> None:
    adw_id = _worst_run(demo_env)
    findings = AnalyticsService(demo_env).redundancy(adw_id).redundancies
    at = open_page("workflow", {"adw_id": adw_id})
    assert not at.exception
    frame = _table_with(at, "Pattern")
    assert list(frame.columns) == ["Pattern", "Target", "Redundant calls", "Wasted (ms)", "Phases", "Suggestion"]
    assert frame.to_dict("records") == _expected(findings, occurrences=False)
