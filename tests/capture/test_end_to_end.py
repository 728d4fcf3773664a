"""A workflow against the real API, stopped part way: after `tooltrack replay` every call is stored once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine

from tests.helpers.live_api import LiveAPI, free_port
from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack import ToolCallTracker, log_task_completion
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.sender import TaskLogSender
from tooltrack.capture.spool import Spool
from tooltrack.store import TaskLogRepository

PHASES = ["plan", "build", "test", "review", "document", "ship"]


def _run_phase(tracker: ToolCallTracker, workdir: Path, number: int) -> None:
    """Real work, recorded: files written and read, programs run (one of them failing)."""
    source = workdir / f"module_{number}.py"
    tracker.write_file(source, "".join(f"value_{i} = {i}\n" for i in range(number + 2)))
    tracker.read_file(source)
    tracker.run_subprocess([sys.executable, "-c", f"print('phase {number}')"])
    if number % 2 == 0:
        tracker.run_subprocess([sys.executable, "-c", "import sys; sys.exit(2)"])
    with tracker.track("Grep", pattern="value_", file_path=str(workdir)) as call:
        call.fields["files_matched"] = sum("value_" in p.read_text() for p in workdir.glob("*.py"))
    tracker.record_tool_call("mcp__notes__append", 3, True, note=f"phase {number}")


def test_a_workflow_survives_the_api_going_away(engine: Engine, spool: Spool, tmp_path: Path) -> None:
    api = LiveAPI(engine)
    api.start()
    sender = TaskLogSender(TaskLogClient(api.url, retries=1, backoff=0.01, timeout=2), spool)
    recorded: dict[str, list[dict]] = {}
    outcomes: dict[str, str] = {}
    try:
        for number, phase in enumerate(PHASES, start=1):
            if phase == "test":
                api.stop()  # the API goes away for two phases ...
            if phase == "document":
                api.start()  # ... and comes back
            tracker = ToolCallTracker()
            _run_phase(tracker, tmp_path, number)
            recorded[phase] = tracker.get_tool_calls()
            outcomes[phase] = log_task_completion(
                "adw-e2e", 77, phase, number, number % 2 == 1, f"{phase} done", tool_calls=tracker,
                sender=sender, background=phase == "ship",
            )  # fmt: skip
        sender.background().close()  # what atexit does at the end of a workflow process
        assert outcomes == {
            "plan": "created", "build": "created", "test": "spooled", "review": "spooled",
            "document": "created", "ship": "queued",
        }  # fmt: skip
        assert len(spool.path.read_text().splitlines()) == 2

        # The spool is sent by the command a user (or cron) runs.
        command = [PYTHON, "-m", "tooltrack.cli", "replay", "--api-url", api.url]
        result = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(), timeout=120)
        assert result.returncode == 0, result.stderr
        assert "sent 2 task logs (2 new, 0 stored before)" in result.stdout
        again = subprocess.run(command, capture_output=True, text=True, env=subprocess_env(), timeout=120)
        assert "sent 0 task logs" in again.stdout
    finally:
        sender.close()
        api.stop()

    logs = TaskLogRepository(engine).list_by_adw_id("adw-e2e")
    assert [log.phase_name for log in logs] == PHASES  # each phase exactly once, in order
    for log in logs:
        stored = [call.model_dump(mode="json", exclude_none=True) for call in log.tool_calls]
        expected = recorded[log.phase_name]
        # Timestamps come back normalised (Z vs +00:00); compare them as instants.
        for calls in (stored, expected):
            for call in calls:
                call["timestamp"] = json.dumps(call["timestamp"])[:20]
        assert stored == expected
        assert log.phase_status == ("completed" if log.phase_number % 2 == 1 else "failed")
    total = sum(len(log.tool_calls) for log in logs)
    assert total == sum(len(calls) for calls in recorded.values()) == 6 * 5 + 3


BACKGROUND_SCRIPT = """
from tooltrack import ToolCallTracker, log_task_completion
tracker = ToolCallTracker()
tracker.record_tool_call("Bash", 5, True, command="make")
for phase in ("plan", "build", "test"):
    assert log_task_completion("adw-exit", 1, phase, 1, True, "ok", tool_calls=tracker, background=True) == "queued"
# The process ends here at once: the atexit drain must deliver all three.
"""


def test_background_logs_reach_the_api_when_the_process_exits_at_once(
    engine: Engine, live_api: LiveAPI, spool: Spool
) -> None:
    env = subprocess_env(TOOLTRACK_API_URL=live_api.url)
    result = subprocess.run([PYTHON, "-c", BACKGROUND_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    logs = TaskLogRepository(engine).list_by_adw_id("adw-exit")
    assert sorted(log.phase_name for log in logs) == ["build", "plan", "test"]
    assert not spool.path.exists()


def test_background_logs_are_spooled_at_exit_when_the_api_is_down(spool: Spool) -> None:
    env = subprocess_env(TOOLTRACK_API_URL=f"http://127.0.0.1:{free_port()}")
    result = subprocess.run([PYTHON, "-c", BACKGROUND_SCRIPT], capture_output=True, text=True, env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    spooled = [json.loads(line) for line in spool.path.read_text().splitlines()]
    assert sorted(p["phase_name"] for p in spooled) == ["build", "plan", "test"]
