"""Sub-agent (sidechain) transcripts in files of their own: their calls get the Task call that started them.

The shared fixtures hold no separate sidechain file, so these tests split the real transcript
`claude-transcripts/sidechain_integrated.jsonl` (Claude Code 2.0.46): its `isSidechain: true` lines
go into the sub-agent's own file, the other lines stay in the session's file, in the layout Claude
Code uses:

- 2.0.x: `<project>/agent-<agentId>.jsonl` beside `<project>/<sessionId>.jsonl` (written when a
  line has `isSidechain` and `agentId`; documented from the 2.0.55 source in the public repository
  jeremedia/claude-code-log-format, `source-docs/JSONL_LOGGING.md`);
- 2.1.x: `<project>/<sessionId>/subagents/agent-<agentId>.jsonl` (public repositories
  daaain/claude-code-log `test/test_data/minimal_showcase/` and sonnes/chitragupt
  `docs/specs/004-subagents.md`).

The link is the fixture's own: the session's Task result line names the sub-agent
(`"agentId": "e1c84ba5"`, top level in 2.0.46; 2.1.x puts it in `toolUseResult.agentId`), and
the sub-agent's lines carry the same `agentId` and the session's `sessionId`. The fixture's one
sidechain tool call (a Grep, line 4) has `agentId: null` (the fixture was trimmed): its file's
name gives the agent.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls
from tests.helpers.sidechain import AGENT, FIXTURE, GREP_ID, SESSION, TASK_ID
from tooltrack.ingest import ingest_file

LAYOUTS = {
    "2.0-flat": (f"{SESSION}.jsonl", f"agent-{AGENT}.jsonl"),
    "2.1-subagents": (f"{SESSION}.jsonl", f"{SESSION}/subagents/agent-{AGENT}.jsonl"),
}


def _split(fixtures_dir: Path) -> tuple[list[str], list[str]]:
    """The fixture's lines: (the session's own, the sidechain's), each in file order."""
    main: list[str] = []
    side: list[str] = []
    for line in (fixtures_dir / FIXTURE).read_text().splitlines():
        (side if json.loads(line).get("isSidechain") else main).append(line)
    assert len(main) == 3 and len(side) == 3  # what the tests below rely on (see SOURCES.md)
    return main, side


def _write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(line + "\n" for line in lines))
    return path


def _layout(project: Path, layout: str, main: list[str], side: list[str]) -> tuple[Path, Path]:
    session_name, agent_name = LAYOUTS[layout]
    return _write(project / session_name, main), _write(project / agent_name, side)


def _parents(engine: Engine) -> dict[str, str | None]:
    calls = stored_calls(engine)
    assert len(calls) == len({c.call_id for c in calls})  # no call stored twice
    return {c.call_id: c.parent_call_id for c in calls}


def _run_ingest(*paths: Path, engine: Engine) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=engine.url.render_as_string(hide_password=False))
    command = [sys.executable, "-m", "tooltrack.cli", "ingest", *map(str, paths)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)


def test_the_integrated_fixture_links_the_grep_to_its_task(engine: Engine, fixtures_dir: Path) -> None:
    # The reference: the same lines in one file (what the split files must give too).
    ingest_file(engine, fixtures_dir / FIXTURE)
    assert _parents(engine) == {TASK_ID: None, GREP_ID: TASK_ID}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_a_folder_with_the_session_and_its_sidechain_file_links_them(
    engine: Engine, fixtures_dir: Path, tmp_path: Path, layout: str
) -> None:
    main, side = _split(fixtures_dir)
    _layout(tmp_path / "project", layout, main, side)
    result = _run_ingest(tmp_path / "project", engine=engine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 file(s): 2 task logs and 2 tool calls stored" in result.stdout
    assert _parents(engine) == {TASK_ID: None, GREP_ID: TASK_ID}


def test_the_sidechain_file_alone_finds_the_task_in_its_session_file(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    main, side = _split(fixtures_dir)
    _, agent_file = _layout(tmp_path / "project", "2.1-subagents", main, side)
    report = ingest_file(engine, agent_file)
    assert report.ok and report.tool_calls_stored == 1
    assert _parents(engine) == {GREP_ID: TASK_ID}


def test_the_2_1_form_names_the_agent_in_tool_use_result(engine: Engine, fixtures_dir: Path, tmp_path: Path) -> None:
    main, side = _split(fixtures_dir)
    result_line = json.loads(main[1])
    assert result_line["agentId"] == AGENT and result_line["message"]["content"][0]["tool_use_id"] == TASK_ID
    del result_line["agentId"]
    result_line["toolUseResult"] = {"agentId": AGENT, "status": "completed"}
    main[1] = json.dumps(result_line)
    _layout(tmp_path / "project", "2.1-subagents", main, side)
    assert _run_ingest(tmp_path / "project", engine=engine).returncode == 0
    assert _parents(engine) == {TASK_ID: None, GREP_ID: TASK_ID}


def test_without_its_session_file_the_calls_are_stored_and_the_report_says_the_parent_is_unknown(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    _, side = _split(fixtures_dir)
    agent_file = _write(tmp_path / "copied" / f"agent-{AGENT}.jsonl", side)
    report = ingest_file(engine, agent_file)
    assert report.ok and report.tool_calls_stored == 1
    assert _parents(engine) == {GREP_ID: None}
    (note,) = [n for n in report.notes if AGENT in n.message]
    assert note.line == 2  # the Grep call's line in the sidechain file
    assert f"{SESSION}.jsonl" in note.message and "parent_call_id" in note.message


def test_a_session_file_whose_task_result_names_no_agent_leaves_the_parent_unknown(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    main, side = _split(fixtures_dir)
    # The session was cut off before the Task's result (the line that names the agent).
    _layout(tmp_path / "project", "2.0-flat", [main[0]], side)
    result = _run_ingest(tmp_path / "project", engine=engine)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _parents(engine) == {TASK_ID: None, GREP_ID: None}
    assert f"agent {AGENT}" in result.stdout and "no Task result" in result.stdout
