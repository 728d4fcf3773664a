"""User-supplied text (tool names, messages, adw_ids) is shown as text: never HTML, never live Markdown."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import plotly.io
from sqlalchemy import Engine

from tests.helpers.dashboard import OpenPage
from tooltrack.analytics import Transition
from tooltrack.dashboard import charts
from tooltrack.dashboard.text import chart_label, md
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

SCRIPT_TOOL = "<script>alert('tool')</script>"
LINK_ADW = "[click](javascript:alert(1))<img src=x onerror=alert(2)>"


def _hostile_log() -> TaskLogCreate:
    start = datetime.now(UTC) - timedelta(hours=2)
    return TaskLogCreate(
        adw_id=LINK_ADW,
        workflow_template="**bold** <b>template</b>",
        phase_name="<i>Build</i>",
        phase_status="completed",
        started_at=start,
        tool_calls=[
            ToolCallRecord(
                tool_name=SCRIPT_TOOL,
                duration_ms=10 * (i + 1),
                success=i != 1,
                timestamp=start + timedelta(seconds=i),
                error_message=None if i != 1 else "<script>alert('error')</script>",
                context_size_before=1000 + i,
            )
            for i in range(3)
        ],
    )


def _markdown_texts(at: object) -> list[str]:
    kinds = ("markdown", "caption", "subheader", "title", "info", "warning", "success", "error")
    return [element.value for kind in kinds for element in getattr(at, kind)]


def test_md_escapes_markdown_and_html() -> None:
    escaped = md(LINK_ADW)
    assert "<" not in escaped.replace("\\<", "")
    assert "[" not in escaped.replace("\\[", "")
    assert "(" not in escaped.replace("\\(", "")
    # Removing the escapes gives the text back: nothing is lost, only made literal.
    assert escaped.replace("\\", "") == LINK_ADW.replace("\\", "")


def test_chart_labels_become_entities() -> None:
    assert chart_label("<b>x</b> & y") == "&lt;b&gt;x&lt;/b&gt; &amp; y"
    figure = charts.transitions_sankey([Transition(source=SCRIPT_TOOL, target="Read", count=3)])
    spec = plotly.io.to_json(figure)
    assert "<script>" not in json.loads(spec)["data"][0]["node"]["label"][0]


def test_pages_show_hostile_names_as_text(app_env: Engine, open_page: OpenPage) -> None:
    TaskLogRepository(app_env).create(_hostile_log())
    for name, query in (
        ("overview", {}),
        ("tools", {}),
        ("failures", {}),
        ("redundancy", {}),
        ("workflow", {"adw_id": LINK_ADW}),
    ):
        at = open_page(name, query)
        assert not at.exception, (name, [e.message for e in at.exception])
        for text in _markdown_texts(at):
            # Every "<" or "[" that reaches Markdown is escaped.
            assert "<script" not in text.replace("\\<script", ""), (name, text)
            assert "](javascript" not in text, (name, text)
        for chart in at.get("plotly_chart"):
            # Decoded: Plotly's JSON writes "<" as \u003c, which would hide a raw tag from a plain search.
            decoded = json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)
            assert "<script>" not in decoded and "<i>" not in decoded, name
        assert not at.get("html"), "no page renders raw HTML"
    # The tool name itself is still there, as data.
    at = open_page("tools")
    assert SCRIPT_TOOL in list(at.dataframe[0].value["Tool"])
    at = open_page("workflow", {"adw_id": LINK_ADW})
    assert at.subheader[0].value == md(f"Run {LINK_ADW}")
