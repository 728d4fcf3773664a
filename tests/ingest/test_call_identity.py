"""A tool call is one call wherever it appears: resumed sessions, two ingests at once, the hook
and a transcript of the same session.

Built on real files: `tests/fixtures/real/case1-resume/aistrad-vibelife/` is a session
(`e882830e…`, 12 calls) and its continuation (`5d93f27e…`, a new session id whose first 43 lines
repeat the earlier ones with the same tool_use ids, then 26 new calls): 50 tool_use blocks, 38
distinct ids.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import orjson
from sqlalchemy import Engine

from tests.helpers.db import stored_calls, stored_logs
from tests.helpers.paths import ROOT
from tests.helpers.processes import subprocess_env
from tooltrack.ingest import ingest_file

PAIR = "real/case1-resume/aistrad-vibelife"
ORIGINAL = "e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl"
RESUMED = "5d93f27e-e89b-430e-9aee-9bebfb6a9916.jsonl"


def tool_use_ids(paths: list[Path]) -> Counter[str]:
    """Every tool_use block's id in `paths`, counted, read straight from the JSON."""
    found: Counter[str] = Counter()
    for path in paths:
        for raw in path.read_bytes().splitlines():
            value = orjson.loads(raw)
            message = value.get("message") if isinstance(value, dict) else None
            if isinstance(message, dict) and isinstance(message.get("content"), list):
                found.update(b["id"] for b in message["content"] if isinstance(b, dict) and b.get("type") == "tool_use")
    return found


def test_a_resumed_session_stores_each_call_once(engine: Engine, fixtures_dir: Path) -> None:
    folder = fixtures_dir / PAIR
    written = tool_use_ids(sorted(folder.glob("*.jsonl")))
    assert (sum(written.values()), len(written)) == (50, 38)  # the files as they are
    original = ingest_file(engine, folder / ORIGINAL)
    resumed = ingest_file(engine, folder / RESUMED)
    assert (original.tool_calls_stored, resumed.tool_calls_stored, resumed.duplicate_tool_calls) == (12, 26, 12)
    assert Counter(c.call_id for c in stored_calls(engine)) == Counter(dict.fromkeys(written, 1))
    # The first session that stored a call owns it: the 12 earlier calls stay with e882830e. The
    # continuation is the same run (docs/ingest.md, "Run identity"): its log has e882830e's adw_id.
    by_session = {log.log_message.split(",")[0].split()[-1]: len(log.tool_calls) for log in stored_logs(engine)}
    assert by_session == {ORIGINAL.removesuffix(".jsonl"): 12, RESUMED.removesuffix(".jsonl"): 26}
    assert {log.adw_id for log in stored_logs(engine)} == {ORIGINAL.removesuffix(".jsonl")}


def test_the_continuation_first_owns_the_repeated_calls_and_the_earlier_file_adds_nothing(
    engine: Engine, fixtures_dir: Path
) -> None:
    folder = fixtures_dir / PAIR
    resumed = ingest_file(engine, folder / RESUMED)
    original = ingest_file(engine, folder / ORIGINAL)
    assert (resumed.tool_calls_stored, original.tool_calls_stored, original.duplicate_tool_calls) == (38, 0, 12)
    # A session made only of repeats stores no call; the report says where its calls are. Its log
    # is stored for its cost alone (the continuation leaves the messages it repeats to it).
    assert original.task_logs_stored == 1
    [own] = [log for log in stored_logs(engine) if ORIGINAL.removesuffix(".jsonl") in (log.log_message or "")]
    assert own.tool_calls == [] and own.cost_usd == float(original.costs[0].total_usd) > 0
    again = ingest_file(engine, folder / RESUMED)
    assert (again.tool_calls_stored, again.duplicate_tool_calls) == (0, 38)
    assert len(stored_calls(engine)) == 38


def test_two_ingests_of_one_folder_at_once_store_each_call_once(engine: Engine, fixtures_dir: Path) -> None:
    """Two `tooltrack ingest` processes over the same real folders at the same moment."""
    folders = [fixtures_dir / "real/case1-resume", fixtures_dir / "claude-transcripts"]
    written = tool_use_ids(sorted(p for folder in folders for p in folder.rglob("*.jsonl")))
    env = subprocess_env(TOOLTRACK_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    command = [sys.executable, "-m", "tooltrack.cli", "ingest", *map(str, folders)]
    runs = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    for out, err in outputs:
        assert b"Traceback" not in err, err.decode()
        assert b"database is locked" not in out + err
    stored = Counter(c.call_id for c in stored_calls(engine))
    # The fixture transcripts hold a few malformed lines and calls whose tool_use was trimmed
    # away: what is stored is each parsed call id once, and every call id stored is one written.
    assert set(stored.values()) == {1}
    assert set(stored) <= set(written) and len(stored) >= 38


def test_the_hook_and_a_transcript_of_one_session_store_each_call_once(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    """The hook captured the session live (under TOOLTRACK_ADW_ID); later its transcript is ingested."""
    from tests.helpers.hook import run_hook
    from tooltrack.ingest import ingest_stream

    transcript = (fixtures_dir / "claude-transcripts/representative_messages.jsonl").read_bytes()
    uses = []
    for raw in transcript.splitlines():
        value = orjson.loads(raw)
        message = value.get("message") if isinstance(value, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), list):
            uses += [
                (value["sessionId"], b)
                for b in message["content"]
                if isinstance(b, dict) and b.get("type") == "tool_use"
            ]
    assert uses
    spool_path = tmp_path / "spool" / "task_logs.jsonl"
    env = {"TOOLTRACK_SPOOL": str(spool_path), "TOOLTRACK_HOME": str(tmp_path / "home"), "TOOLTRACK_ADW_ID": "adw-42"}
    session = uses[0][0]
    for _, block in uses:
        for event in ("PreToolUse", "PostToolUse"):
            hook_event = {"hook_event_name": event, "session_id": session, "tool_name": block["name"]}
            hook_event |= {"tool_use_id": block["id"], "tool_input": block["input"], "tool_response": {}}
            run_hook(hook_event, **env)  # checks the hook exits 0 and prints nothing
    run_hook({"hook_event_name": "Stop", "session_id": session}, **env)
    spooled = [json.loads(line) for line in spool_path.read_text().splitlines()]
    assert [c["call_id"] for p in spooled for c in p["tool_calls"]] == [b["id"] for _, b in uses]
    hooked = ingest_file(engine, spool_path)
    assert hooked.tool_calls_stored == len(uses)
    report = ingest_stream(engine, f"{session}.jsonl", io.BytesIO(transcript))
    assert (report.tool_calls_stored, report.duplicate_tool_calls) == (0, len(uses))
    assert Counter(c.call_id for c in stored_calls(engine)) == Counter(dict.fromkeys((b["id"] for _, b in uses), 1))
    assert {log.adw_id for log in stored_logs(engine) if log.tool_calls} == {"adw-42"}
    # The transcript's cost (the hook has none) is stored once, in a log of its own without calls.
    assert [log.cost_usd for log in stored_logs(engine) if not log.tool_calls] == [float(report.costs[0].total_usd)]
