"""The per-call alert rules, as the store evaluates them on insert, on both databases.

Each rule fires on a case planted from real calls (a fixture's own call repeated, pointed at a
secret, or failing in a new way) and stays silent on real sessions stored as they are. A rebuild
finds exactly what the inserts found.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, inspect, select

from tests.helpers.alert_cases import alert_rows, planted_log, real_calls, renamed
from tests.helpers.derived_check import differences
from tooltrack.core import LOOP, NEW_ERROR_KIND, SENSITIVE_PATH
from tooltrack.ingest import ingest_file
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository, downgrade, error_kinds_seen, make_engine, upgrade

CLEAN_SESSIONS = (
    "claude-transcripts/spotter-tool_heavy-v2.1.38.jsonl",
    "claude-transcripts/representative_messages.jsonl",
    "claude-stream-json/review-node.jsonl",
    "claude-stream-json/adw-2048-sdlc_implementor.jsonl",
    "real/case6-stream-json-adw/tac-6-test_output-v2.0.50.jsonl",
    "real/case6-stream-json-adw/prior-auth-fastlane-sdlc_planner-v2.0.22.jsonl",
)
#: A real ADW planner run (Reads, Bash, Grep): the shapes the planted cases start from.
PLANNER = "real/case6-stream-json-adw/prior-auth-fastlane-sdlc_planner-v2.0.22.jsonl"
#: A real session whose agent ran `git rm --cached .env` (and then a commit whose message names .env).
ENV_SESSION = "real/case5-chat-json/rhema-v2.0.42-chat.json"


@pytest.mark.parametrize("name", CLEAN_SESSIONS)
def test_a_real_session_stored_as_it_is_raises_no_alert(engine: Engine, fixtures_dir: Path, name: str) -> None:
    report = ingest_file(engine, fixtures_dir / name)
    assert report.error is None and report.tool_calls_stored > 0
    assert alert_rows(engine) == []
    assert differences(engine) == {}


def test_the_same_failing_real_call_three_times_in_a_row_is_a_loop(engine: Engine, fixtures_dir: Path) -> None:
    calls, start = real_calls(engine, fixtures_dir / "claude-stream-json/review-node.jsonl")
    failing = next(c for c in calls if not c["success"])
    assert failing["tool_name"] == "Bash" and failing["exit_code"] == 127
    repository = TaskLogRepository(engine)
    # Twice is a retry, not a loop.
    repository.create(planted_log("retry", [renamed(failing, f"r{i}") for i in range(2)], start))
    assert alert_rows(engine, LOOP) == []
    planted = [calls[0], *(renamed(failing, f"l{i}") for i in range(3)), renamed(calls[0], "after")]
    planted[0] = renamed(calls[0], "before")
    repository.create(planted_log("looping", planted, start + timedelta(hours=1)))
    [alert] = alert_rows(engine, LOOP)
    assert (alert.subject, alert.adw_id, alert.tool_name, alert.call_index) == ("looping", "looping", "Bash", 1)
    assert alert.details["repeats"] == 3 and alert.details["failing"] is True
    assert alert.details["target"] == failing["command"]
    # Stored again: the same log is stored once, and so is its alert.
    repository.create(planted_log("looping", planted, start + timedelta(hours=1)))
    assert len(alert_rows(engine, LOOP)) == 1
    assert differences(engine) == {}


def test_the_loop_length_is_a_setting(engine: Engine, fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls, start = real_calls(engine, fixtures_dir / "claude-stream-json/review-node.jsonl")
    failing = next(c for c in calls if not c["success"])
    monkeypatch.setenv("TOOLTRACK_ALERT_LOOP_MIN_REPEATS", "2")
    TaskLogRepository(engine).create(planted_log("retry", [renamed(failing, f"r{i}") for i in range(2)], start))
    [alert] = alert_rows(engine, LOOP)
    assert alert.details["repeats"] == 2


def test_the_same_call_with_the_same_result_is_a_loop_but_parallel_copies_count_once(
    engine: Engine, fixtures_dir: Path
) -> None:
    calls, start = real_calls(engine, fixtures_dir / PLANNER)
    read = next(c for c in calls if c["tool_name"] == "Read" and c["success"])
    repository = TaskLogRepository(engine)
    parallel = [renamed(read, f"p{i}") | {"turn_id": "one-turn"} for i in range(3)]
    repository.create(planted_log("parallel", parallel, start))
    assert alert_rows(engine, LOOP) == []
    repository.create(planted_log("rereading", [renamed(read, f"s{i}") for i in range(4)], start))
    [alert] = alert_rows(engine, LOOP)
    assert alert.subject == "rereading" and alert.details == alert.details | {"repeats": 4, "failing": False}
    # The same Read with a different result (the file changed in between) is not a loop.
    changed = [renamed(read, f"c{i}", lines_read=(read.get("lines_read") or 0) + i) for i in range(3)]
    repository.create(planted_log("changing", changed, start))
    assert [a.subject for a in alert_rows(engine, LOOP)] == ["rereading"]


def test_a_real_session_that_touched_dot_env_raises_one_alert(engine: Engine, fixtures_dir: Path) -> None:
    ingest_file(engine, fixtures_dir / ENV_SESSION)
    rows = alert_rows(engine, SENSITIVE_PATH)
    # `git rm --cached .env`; the commit after it names .env only in its message (a here-document).
    assert [(a.subject, a.tool_name, a.details["command"]) for a in rows] == [(".env", "Bash", "git rm --cached .env")]
    assert rows[0].severity == "critical"


def test_planted_reads_and_writes_of_secrets_are_reported_and_look_alikes_are_not(
    engine: Engine, fixtures_dir: Path
) -> None:
    calls, start = real_calls(engine, fixtures_dir / PLANNER)
    read = next(c for c in calls if c["tool_name"] == "Read")
    bash = next(c for c in calls if c["tool_name"] == "Bash")
    planted = [
        renamed(read, "1", file_path="/home/dev/.ssh/id_rsa"),
        renamed(read, "2", file_path="/srv/app/.env.local"),
        renamed(read, "3", tool_name="Write", file_path="/home/dev/.aws/credentials"),
        renamed(bash, "4", command="cat ~/.ssh/id_ed25519 | pbcopy"),
        renamed(bash, "5", command="export $(grep -v '^#' .env | xargs)"),
        # Look-alikes: shared on purpose, or not a secret at all.
        renamed(read, "6", file_path="/srv/app/.env.example"),
        renamed(read, "7", file_path="/home/dev/.ssh/id_rsa.pub"),
        renamed(bash, "8", command="python -m venv .venv && . .venv/bin/activate"),
        renamed(read, "9", file_path="/srv/app/src/environment.py"),
    ]
    TaskLogRepository(engine).create(planted_log("secrets", planted, start))
    found = sorted((a.call_index, a.subject) for a in alert_rows(engine, SENSITIVE_PATH))
    assert found == [
        (0, "/home/dev/.ssh/id_rsa"),
        (1, "/srv/app/.env.local"),
        (2, "/home/dev/.aws/credentials"),
        (3, "~/.ssh/id_ed25519"),
        (4, ".env"),
    ]
    assert differences(engine) == {}


def test_an_error_kind_never_seen_before_fires_once_history_is_long_enough(engine: Engine, fixtures_dir: Path) -> None:
    calls, start = real_calls(engine, fixtures_dir / "claude-stream-json/review-node.jsonl")
    failing = next(c for c in calls if not c["success"])
    repository = TaskLogRepository(engine)
    odd = "Error: ENOSPC: no space left on device, write"
    # Three days into the history: too soon to call anything new.
    repository.create(planted_log("early", [renamed(failing, "e", error_message=odd)], start + timedelta(days=3)))
    assert alert_rows(engine, NEW_ERROR_KIND) == []
    # Ten days in: the kind seen at day 3 is not new; one never seen is.
    late = [
        renamed(failing, "l1", error_message=odd),
        renamed(failing, "l2", error_message="fatal: unable to access 'https://x/': Could not resolve host: x"),
        renamed(
            failing, "l3", error_message="fatal: unable to access 'https://x/other.git/': Could not resolve host: x"
        ),
    ]
    repository.create(planted_log("late", late, start + timedelta(days=10)))
    [alert] = alert_rows(engine, NEW_ERROR_KIND)
    assert alert.subject == "fatal: unable to access '…': Could not resolve host: x"
    assert (alert.adw_id, alert.call_index) == ("late", 1)
    with engine.connect() as connection:
        kinds = connection.execute(select(func.count()).select_from(error_kinds_seen)).scalar_one()
    assert kinds == 1 + 3  # the history's start, exit code 127, ENOSPC, could not resolve host
    assert differences(engine) == {}


def test_a_rejected_call_is_the_users_doing_not_a_new_error(engine: Engine, fixtures_dir: Path) -> None:
    calls, start = real_calls(engine, fixtures_dir / "claude-stream-json/review-node.jsonl")
    failing = next(c for c in calls if not c["success"])
    rejected = renamed(failing, "x", outcome="rejected", error_message="The user doesn't want to proceed")
    TaskLogRepository(engine).create(planted_log("rejected", [rejected], start + timedelta(days=30)))
    assert alert_rows(engine, NEW_ERROR_KIND) == []


def test_upgrading_from_0011_with_rows_in_place_finds_their_alerts(blank_database_url: str, fixtures_dir: Path) -> None:
    engine = make_engine(blank_database_url)
    try:
        upgrade(engine)
        ingest_file(engine, fixtures_dir / ENV_SESSION)
        downgrade(engine, "0011")
        assert not inspect(engine).has_table("derived_alerts")
        upgrade(engine)
        [alert] = alert_rows(engine, SENSITIVE_PATH)
        assert alert.subject == ".env"
        assert differences(engine) == {}
    finally:
        engine.dispose()


def test_a_broken_rules_file_never_costs_the_calls_being_stored(
    engine: Engine, fixtures_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text("[loop\nmin_repeats = ")
    monkeypatch.setenv("TOOLTRACK_ALERTS_FILE", str(rules))
    report = ingest_file(engine, fixtures_dir / ENV_SESSION)
    assert report.error is None and report.tool_calls_stored > 0
    # Stored, and judged by the default rules.
    assert [a.subject for a in alert_rows(engine, SENSITIVE_PATH)] == [".env"]


def test_two_writers_finding_one_new_kind_at_once_agree_with_a_rebuild(engine: Engine, fixtures_dir: Path) -> None:
    calls, start = real_calls(engine, fixtures_dir / "claude-stream-json/review-node.jsonl")
    failing = next(c for c in calls if not c["success"])
    message = "Error: EACCES: permission denied, open"
    logs = [
        planted_log(
            f"writer-{w}-{i}", [renamed(failing, f"w{w}-{i}", error_message=message)], start + timedelta(days=9)
        )
        for w in range(2)
        for i in range(6)
    ]
    barrier = threading.Barrier(2)

    def write(part: list[TaskLogCreate]) -> None:
        barrier.wait()
        repository = TaskLogRepository(engine)
        for log in part:
            repository.create(log)

    threads = [threading.Thread(target=write, args=(logs[w * 6 : w * 6 + 6],)) for w in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(alert_rows(engine, NEW_ERROR_KIND)) == 1
    assert differences(engine) == {}
