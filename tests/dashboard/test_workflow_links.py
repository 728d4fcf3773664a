"""The dashboard's links to a workflow run whose adw_id holds `/` (`feat/issue-42`) open that run.

The Failures page links each failing call to the drill-down (tooltrack/dashboard/formatting.py
builds the link); the link is followed as a browser would (its query decoded) and the Workflow
page must show that run, not an empty one or a prefix of it. Run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tooltrack.dashboard.formatting import workflow_href
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

IDS = ["feat/issue-42", "a/b?c=d&e#f", "x y/+z", "feat"]


def _store(engine: Engine) -> None:
    """Each run: one phase with one failing Bash call (its own command) and `index + 1` reads."""
    logs = [
        TaskLogCreate.model_validate(
            {
                "adw_id": adw_id,
                "phase_name": "Build",
                "phase_status": "failed",
                "tool_calls": [
                    {"tool_name": "Bash", "success": False, "command": f"false {index}", "error_message": "boom"},
                    *({"tool_name": "Read", "success": True, "file_path": f"/r{i}"} for i in range(index + 1)),
                ],
            }
        )
        for index, adw_id in enumerate(IDS)
    ]
    TaskLogRepository(engine).create_many(logs)


@pytest.mark.parametrize("adw_id", IDS)
def test_workflow_href_keeps_the_id_whole(adw_id: str) -> None:
    link = urlsplit(workflow_href(adw_id))
    assert (link.scheme, link.netloc, link.path) == ("", "", "workflow")
    assert parse_qs(link.query) == {"adw_id": [adw_id]}


def test_a_failures_link_opens_the_run_it_names(app_env: Engine, open_page: OpenPage) -> None:
    _store(app_env)
    at = open_page("failures", {"days": "all"})
    assert not at.exception, [e.message for e in at.exception]
    [frame] = [table.value for table in at.dataframe if "Drill-down" in table.value.columns]
    links = dict(zip(frame["Workflow"], frame["Drill-down"], strict=True))
    assert set(links) == set(IDS)
    for adw_id, link in links.items():
        query = {key: values[0] for key, values in parse_qs(urlsplit(link).query).items()}
        page = open_page("workflow", query)
        assert not page.exception, [e.message for e in page.exception]
        assert not page.warning, [w.value for w in page.warning]
        assert page.text_input[0].value == adw_id
        metrics = {metric.label: metric.value for metric in page.metric}
        assert (metrics["Phases"], metrics["Tool calls"], metrics["Failed calls"]) == (
            "1",
            str(IDS.index(adw_id) + 2),
            "1",
        ), adw_id
