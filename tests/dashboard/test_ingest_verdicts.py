"""The Ingest page's verdicts agree and are coloured by severity; a new submit clears the old
results; the runs an upload stored are listed with their span and a link (issue 18, item 9).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from tests.helpers.dashboard import OpenPage
from tooltrack.dashboard.formatting import workflow_href
from tooltrack.dashboard.ingest_run import IngestOutcome
from tooltrack.models import TaskLogCreate, ToolCallRecord

BOXES = ("success", "info", "warning", "error")


def log(adw_id: str, started: datetime, calls: int = 3) -> TaskLogCreate:
    return TaskLogCreate(
        adw_id=adw_id,
        workflow_template="adw_upload",
        phase_name="Build",
        phase_status="completed",
        started_at=started,
        completed_at=started + timedelta(minutes=5),
        tool_calls=[
            ToolCallRecord(tool_name="Read", duration_ms=10, success=True, timestamp=started, file_path=f"{adw_id}{i}")
            for i in range(calls)
        ],
    )


def jsonl(*logs: TaskLogCreate) -> bytes:
    return ("\n".join(item.model_dump_json(exclude_none=True) for item in logs) + "\n").encode()


def upload(at: AppTest, files: list[tuple[str, bytes]]) -> AppTest:
    at.file_uploader(key="ingest_files").set_value([(name, data, "application/jsonl") for name, data in files])
    at.button[0].click()
    return at.run()


def boxes(at: AppTest) -> list[tuple[str, str]]:
    """Every coloured box on the page, in order: (severity, text)."""
    found = [(kind, box.value) for kind in BOXES for box in getattr(at, kind)]
    return sorted(found, key=lambda item: [b.value for kind in BOXES for b in getattr(at, kind)].index(item[1]))


def per_file(at: AppTest) -> pd.DataFrame:
    [frame] = [t.value for t in at.dataframe if "Verdict" in t.value.columns]
    return frame


ICON = {"success": "✅", "info": "ℹ️", "warning": "⚠️", "error": "❌"}


def test_four_failed_files_of_five_are_an_error_and_every_verdict_agrees(app_env: Engine, open_page: OpenPage) -> None:
    now = datetime.now(UTC) - timedelta(hours=1)
    files = [(f"bad{n}.jsonl", b"\xff\xfe not a log\n") for n in range(4)] + [("good.jsonl", jsonl(log("ok1", now)))]
    at = upload(open_page("ingest"), files)
    assert not at.exception, [e.message for e in at.exception]
    assert at.error, "the summary is red when files failed"
    summary = at.error[0].value
    assert "4 of 5 files" in summary.replace("\\", ""), summary
    assert not at.info, "not a blue box"
    frame = per_file(at)
    verdicts = dict(zip(frame["File"], frame["Verdict"], strict=True))
    # One box per file, in the colour its table row shows.
    for name, verdict in verdicts.items():
        [severity] = [kind for kind, text in boxes(at) if text.replace("\\", "").startswith(f"{name}:")]
        assert verdict.startswith(ICON[severity]), (name, verdict, severity)
    assert verdicts["good.jsonl"] == "✅ stored"


def test_a_reupload_says_already_stored_everywhere(app_env: Engine, open_page: OpenPage) -> None:
    data = jsonl(log("again1", datetime.now(UTC) - timedelta(hours=2)))
    at = upload(open_page("ingest"), [("same.jsonl", data)])
    assert at.success and "Stored 1 task log with 3 tool calls" in at.success[0].value
    at = upload(at, [("same.jsonl", data)])
    assert not at.success, [b.value for b in at.success]
    [summary] = [b.value for b in at.info]
    assert summary.startswith("Nothing new was stored") and "already stored" in summary
    assert list(per_file(at)["Verdict"]) == ["ℹ️ already stored"]


def test_a_new_submit_clears_the_old_results(app_env: Engine, open_page: OpenPage) -> None:
    at = upload(open_page("ingest"), [("one.jsonl", jsonl(log("clear1", datetime.now(UTC))))])
    assert per_file(at)["File"].tolist() == ["one.jsonl"]
    at.button[0].click().run()  # submit again, with no file chosen
    assert [w.value for w in at.warning] == ["Choose one or more files first."]
    assert not [t for t in at.dataframe if "Verdict" in t.value.columns], "the old results are gone"
    assert not at.success


def test_the_runs_stored_are_listed_with_their_span_a_link_and_a_warning(app_env: Engine, open_page: OpenPage) -> None:
    recent = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    old = recent - timedelta(days=100)
    at = upload(
        open_page("ingest"),
        [("runs.jsonl", jsonl(log("recent1", recent), log("old1", old), log("old1", old + timedelta(hours=1))))],
    )
    assert not at.exception, [e.message for e in at.exception]
    [frame] = [t.value for t in at.dataframe if "Open" in t.value.columns]
    rows = {row["Workflow"]: row for row in frame.to_dict("records")}
    assert set(rows) == {"recent1", "old1"}
    assert rows["old1"]["Open"] == workflow_href("old1") == "workflow?adw_id=old1"
    assert pd.Timestamp(rows["old1"]["From (UTC)"]) == pd.Timestamp(old.replace(tzinfo=None))
    assert pd.Timestamp(rows["old1"]["To (UTC)"]) == pd.Timestamp(
        (old + timedelta(hours=1, minutes=5)).replace(tzinfo=None)
    )
    assert rows["old1"]["Task logs"] == 2
    assert (rows["recent1"]["In the period"], rows["old1"]["In the period"]) == (True, False)
    warning = " ".join(w.value for w in at.warning).replace("\\", "")
    assert "1 of these 2 runs lie outside the period" in warning and "Last 30 days" in warning


def test_severity_follows_the_outcome() -> None:
    def outcome(**fields: object) -> IngestOutcome:
        base: dict[str, object] = {
            "name": "f",
            "format": "x",
            "task_logs_stored": 0,
            "tool_calls_stored": 0,
            "duplicates": 0,
            "rejected_count": 0,
        }
        return IngestOutcome(**(base | fields))  # type: ignore[arg-type]

    assert outcome(error="boom").severity == "error"
    assert outcome(rejected_count=2).severity == "error"  # every line rejected, nothing stored
    assert outcome(rejected_count=2, tool_calls_stored=3, task_logs_stored=1).severity == "warning"
    assert outcome().severity == "warning"  # nothing in the file
    assert outcome(duplicate_tool_calls=3).severity == "info"
    assert outcome(tool_calls_stored=3).severity == "success"
