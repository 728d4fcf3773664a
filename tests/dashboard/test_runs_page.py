"""The Runs page (issue 15) and the way into a run: every figure checked against the service.

A page of runs is the service's page (sorted, filtered and counted in the database); the outcome
filter shows the failed runs; the search takes an id prefix or a word of a title; paging fetches
the page asked for; each run's link opens its drill-down, which takes a unique id prefix, lists
the runs an ambiguous one could be, and keeps its run across a visit to another page. On both
databases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.app_pages import metrics, table_with
from tests.helpers.dashboard import PAGES, OpenPage
from tooltrack.analytics import AnalyticsService, Filters, RunRow
from tooltrack.dashboard.filter_state import FilterState
from tooltrack.dashboard.formatting import workflow_href
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

ALL = {"days": "all"}


def _all_time() -> Filters:
    state, problems = FilterState.from_query(ALL)
    assert not problems
    return state.to_filters()


def _expected(runs: list[RunRow]) -> list[dict[str, object]]:
    return [
        {
            "Run": workflow_href(run.adw_id),
            "Title or template": run.title or run.workflow_template or "",
            "Project": run.project or "",
            "Outcome": run.outcome,
            "Duration (min)": round(run.duration_seconds / 60, 1),
            "Calls": run.calls,
            "Failed": run.failed_calls,
            "Redundant": run.redundant_calls,
            "Cost ($)": run.cost_usd,
        }
        for run in runs
    ]


def _shown(at: AppTest) -> list[dict[str, object]]:
    _, rows = table_with(at, "Run", "Outcome")
    return [{k: v for k, v in row.items() if k != "Started (UTC)"} for row in rows]


def test_runs_newest_first_as_the_service_has_them(demo_env: Engine, open_page: OpenPage) -> None:
    page = AnalyticsService(demo_env).runs(_all_time(), limit=50)
    assert page.total > 0 and any(run.cost_usd for run in page.runs)
    at = open_page("runs", ALL)
    assert not at.exception, [e.message for e in at.exception]
    assert _shown(at) == _expected(page.runs)
    assert any(f"{page.total:,} runs match" in caption.value for caption in at.caption)
    starts = [run.started_at.astimezone(UTC).replace(tzinfo=None) for run in page.runs]
    _, rows = table_with(at, "Run", "Outcome")
    assert [row["Started (UTC)"].to_pydatetime() for row in rows] == starts


def test_failed_runs_filter(demo_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(demo_env)
    failed = service.runs(_all_time(), outcome="failed", limit=50)
    assert failed.total > 0, "the demo data has failed runs"
    at = open_page("runs", ALL)
    at = at.selectbox(key="runs_outcome").select("failed").run()
    assert not at.exception
    assert _shown(at) == _expected(failed.runs)
    assert {row["Outcome"] for row in _shown(at)} == {"failed"}
    assert at.query_params["outcome"] == "failed"
    assert any(f"{failed.total:,} runs match" in caption.value for caption in at.caption)


def test_search_by_id_prefix_and_by_title_word(demo_env: Engine, open_page: OpenPage) -> None:
    service = AnalyticsService(demo_env)
    first = service.runs(_all_time(), limit=1).runs[0]
    prefix = first.adw_id[:-1]
    at = open_page("runs", ALL)
    at = at.text_input(key="runs_search").input(prefix).run()
    assert not at.exception
    expected = service.runs(_all_time(), search=prefix, limit=50)
    assert _shown(at) == _expected(expected.runs)
    assert all(parse_qs(urlsplit(str(row["Run"])).query)["adw_id"][0].startswith(prefix) for row in _shown(at))

    assert first.title
    word = first.title.split()[-1]
    at = open_page("runs", {**ALL, "q": word})
    expected = service.runs(_all_time(), search=word, limit=50)
    assert expected.total >= 1
    assert _shown(at) == _expected(expected.runs)
    assert all(word.lower() in str(row["Title or template"]).lower() for row in _shown(at))
    assert at.text_input(key="runs_search").value == word


def _many_runs(engine: Engine, count: int) -> None:
    start = datetime.now(UTC) - timedelta(days=2)
    logs = [
        TaskLogCreate(
            adw_id=f"bulk{n:04d}",
            phase_name="Build",
            phase_status="failed" if n % 7 == 0 else "completed",
            started_at=start + timedelta(minutes=n),
            completed_at=start + timedelta(minutes=n, seconds=30 + n),
            title=f"run number {n}",
            tool_calls=[ToolCallRecord(tool_name="Read", success=True, file_path=f"f{i}") for i in range(n % 5 + 1)],
        )
        for n in range(count)
    ]
    TaskLogRepository(engine).create_many(logs)


def test_paging_and_sorting_fetch_the_page_asked_for(app_env: Engine, open_page: OpenPage) -> None:
    _many_runs(app_env, 120)
    service = AnalyticsService(app_env)
    at = open_page("runs", {**ALL, "sort": "calls", "order": "asc", "page": "2"})
    assert not at.exception, [e.message for e in at.exception]
    expected = service.runs(_all_time(), sort="calls", descending=False, limit=50, offset=50)
    assert expected.total == 120
    assert _shown(at) == _expected(expected.runs)
    assert at.number_input(key="runs_page").value == 2
    assert any("runs 51–100 of 120" in caption.value for caption in at.caption)
    # The last page holds the rest; a page beyond it shows the last one.
    at = open_page("runs", {**ALL, "sort": "calls", "order": "asc", "page": "9"})
    assert _shown(at) == _expected(service.runs(_all_time(), sort="calls", descending=False, limit=50, offset=100).runs)
    assert at.query_params["page"] == "3"


def test_a_bad_link_value_is_ignored_with_a_warning(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("runs", {**ALL, "outcome": "exploded", "sort": "nope"})
    assert not at.exception
    assert any("outcome='exploded'" in warning.value for warning in at.warning)
    assert at.selectbox(key="runs_outcome").value == ""


def test_each_row_opens_its_drill_down(demo_env: Engine, open_page: OpenPage) -> None:
    at = open_page("runs", ALL)
    [row, *_] = _shown(at)
    query = {key: values[0] for key, values in parse_qs(urlsplit(str(row["Run"])).query).items()}
    drill = open_page("workflow", query)
    assert not drill.exception
    assert drill.query_params["adw_id"] == query["adw_id"]
    logs = AnalyticsService(demo_env).drilldown(query["adw_id"]).task_logs
    assert metrics(drill)["Phases"] == f"{len(logs):,}"
    assert metrics(drill)["Tool calls"] == f"{sum(log.tool_call_count for log in logs):,}"


def test_drill_down_takes_a_unique_prefix_and_lists_an_ambiguous_ones_runs(
    demo_env: Engine, open_page: OpenPage
) -> None:
    service = AnalyticsService(demo_env)
    full = "c0ffee42-7d1e-4b55-9a3f-2e9b8c1d0a77"  # a Claude Code session id, beside the demo's ids
    TaskLogRepository(demo_env).create(
        TaskLogCreate(adw_id=full, phase_name="session", phase_status="completed", started_at=datetime.now(UTC))
    )
    assert service.resolve_run("c0ffee") == [full]
    at = open_page("workflow", {"adw_id": "c0ffee"})
    assert not at.exception
    assert at.query_params["adw_id"] == full
    assert at.subheader[0].value.replace("\\", "") == f"Run {full}"
    assert metrics(at)["Phases"] == "1"

    common = "demo"  # every demo run's id starts so
    matches = service.resolve_run(common)
    assert len(matches) > 1
    at = open_page("workflow", {"adw_id": common})
    assert not at.exception
    assert at.warning[0].value.replace("\\", "") == f"{common} is the start of more than 10 runs' ids: pick one."
    labels = [link.proto.label.replace("\\", "") for link in at.get("page_link")]
    assert [label.split(" · ")[0] for label in labels] == matches[:10]
    assert not at.metric


def test_drill_down_keeps_its_run_across_a_page_change(demo_env: Engine, open_page: OpenPage) -> None:
    adw_id = AnalyticsService(demo_env).runs(_all_time(), limit=1).runs[0].adw_id
    at = open_page("workflow", {"adw_id": adw_id})
    assert metrics(at)["Phases"]
    at.switch_page(PAGES["runs"][0])
    at.query_params.clear()  # Streamlit empties the address bar's query on a page change
    at.run()
    assert not at.exception
    at.switch_page(PAGES["workflow"][0])
    at.query_params.clear()
    at.run()
    assert not at.exception
    assert at.text_input(key="workflow_adw_id").value == adw_id
    assert at.query_params["adw_id"] == adw_id
    assert metrics(at)["Phases"]
