"""Output without timestamps is dated by the best real evidence, never by the ingest, and says which.

The real case: `real/case6-stream-json-adw/2048-adw-1be417b6-v2.1.42/`, one whole ADW run of
Claude Code 2.1.42 (seven agents' `raw_output.jsonl`, no `timestamp` on any line, and the run's
`adw_state.json`, which holds adw_id, issue_number, branch_name, plan_file and issue_class: no
time). Copied into the ADW layout (`agents/<adw_id>/<agent>/raw_output.jsonl`) with the
modification times the run would have left (a copy has the time of the copy).
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.claude_files import copy_written, set_written
from tests.helpers.db import stored_logs
from tooltrack.core import activity_day
from tooltrack.ingest import ingest_file, ingest_stream
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

RUN = "real/case6-stream-json-adw/2048-adw-1be417b6-v2.1.42"
ADW_ID = "1be417b6"
#: The run's agents in the order its ADW ran them (adw_plan_build), and when each file was last
#: written in this test: minutes after the run began (the real run is of 2026-02-14).
AGENTS = {
    "issue_classifier": 0,
    "branch_generator": 1,
    "sdlc_planner": 3,
    "sdlc_planner_committer": 5,
    "sdlc_implementor": 9,
    "sdlc_implementor_committer": 12,
    "pr_creator": 13,
}
BEGAN = datetime(2026, 2, 14, 9, 40, tzinfo=UTC)


def _run(fixtures_dir: Path, tmp_path: Path) -> Path:
    """The real run in the ADW layout, each agent's file written when that agent finished."""
    folder = tmp_path / "agents" / ADW_ID
    for agent, minutes in AGENTS.items():
        copy_written(fixtures_dir / RUN / agent / "raw_output.jsonl", folder / agent / "raw_output.jsonl")
        set_written(folder / agent / "raw_output.jsonl", BEGAN + timedelta(minutes=minutes))
    copy_written(fixtures_dir / RUN / "adw_state.json", folder / "adw_state.json")
    return folder


def test_a_real_undated_run_is_dated_by_its_files_modification_times(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = _run(fixtures_dir, tmp_path)
    today = datetime.now(UTC).date()
    for agent in AGENTS:
        report = ingest_file(engine, folder / agent / "raw_output.jsonl")
        assert report.ok and report.task_logs_stored == 1
        [note] = [n for n in report.notes if "time approximate" in n.message]
        assert "the file's modification time" in note.message and "time_source=file_mtime" in note.message
    logs = stored_logs(engine)
    assert {log.phase_name for log in logs} == set(AGENTS)
    for log in logs:
        written = BEGAN + timedelta(minutes=AGENTS[log.phase_name])
        assert log.time_source == "file_mtime"
        # The file was last written when the run ended: it ends then, and began its duration
        # (the result line's duration_ms) earlier.
        assert log.completed_at == written
        assert log.duration_seconds is not None and log.duration_seconds > 0
        assert log.started_at == written - timedelta(seconds=log.duration_seconds)
        assert activity_day(log.started_at, log.created_at) != today  # not "Today"


def test_another_log_of_the_run_with_its_own_times_dates_it_first(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    folder = _run(fixtures_dir, tmp_path)
    # What the ADW itself sends for its phases through the tracker (log_task_completion): real times.
    repository = TaskLogRepository(engine)
    planner_start = datetime(2026, 2, 14, 9, 41, 30, tzinfo=UTC)
    classifier_start = datetime(2026, 2, 14, 9, 38, 5, tzinfo=UTC)
    for phase, start in (("sdlc_planner", planner_start), ("issue_classifier", classifier_start)):
        repository.create(
            TaskLogCreate(
                adw_id=ADW_ID,
                phase_name=phase,
                phase_status="completed",
                started_at=start,
                completed_at=start + timedelta(minutes=2),
                source="tracker",
            )
        )
    planner = ingest_file(engine, folder / "sdlc_planner" / "raw_output.jsonl", phase="sdlc_planner")
    branch = ingest_file(engine, folder / "branch_generator" / "raw_output.jsonl")
    assert planner.ok and branch.ok
    ingested = {log.phase_name: log for log in stored_logs(engine) if log.source == "claude-stream-json"}
    # The same phase's own start where there is one, else the run's earliest.
    assert ingested["sdlc_planner"].started_at == planner_start
    assert ingested["branch_generator"].started_at == classifier_start
    for log in ingested.values():
        assert log.time_source == "run"
        assert log.completed_at == log.started_at + timedelta(seconds=log.duration_seconds or 0)
    [note] = [n for n in planner.notes if "time approximate" in n.message]
    assert "another task log of the same run" in note.message and f"run {ADW_ID}" in note.message


def test_a_time_in_adw_state_json_dates_the_run(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    folder = _run(fixtures_dir, tmp_path)
    # The real state file, with the two times a documented ADW variant writes into it
    # ("created_at", "updated_at"; the tac state itself has none).
    state = json.loads((folder / "adw_state.json").read_text())
    state |= {"created_at": "2026-02-14T09:39:12Z", "updated_at": "2026-02-14T09:53:40Z"}
    (folder / "adw_state.json").write_text(json.dumps(state, indent=2))
    report = ingest_file(engine, folder / "sdlc_planner" / "raw_output.jsonl")
    [log] = stored_logs(engine)
    assert (log.time_source, log.started_at) == ("adw_state", datetime(2026, 2, 14, 9, 39, 12, tzinfo=UTC))
    [note] = [n for n in report.notes if "time approximate" in n.message]
    assert "adw_state.json (created_at)" in note.message


def test_undated_output_read_from_stdin_is_marked_unknown_not_dated_now(engine: Engine, fixtures_dir: Path) -> None:
    data = (fixtures_dir / RUN / "issue_classifier" / "raw_output.jsonl").read_bytes()
    report = ingest_stream(engine, "-", io.BytesIO(data))
    [log] = stored_logs(engine)
    assert (log.time_source, log.started_at, log.completed_at) == ("unknown", None, None)
    [note] = [n for n in report.notes if "time unknown" in n.message]
    assert note.message.startswith("1 task log(s) without timestamps and nothing else to date them")


@pytest.mark.parametrize(
    "name", ["claude-stream-json/review-node.jsonl", "claude-transcripts/representative_messages.jsonl"]
)
def test_output_with_its_own_timestamps_keeps_them_unmarked(engine: Engine, fixtures_dir: Path, name: str) -> None:
    report = ingest_file(engine, fixtures_dir / name)
    assert not [n for n in report.notes if "time approximate" in n.message or "time unknown" in n.message]
    assert {log.time_source for log in stored_logs(engine)} == {None}
    assert all(log.started_at is not None for log in stored_logs(engine))
