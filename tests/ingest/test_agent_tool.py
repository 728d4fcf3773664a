"""Claude Code 2.1 calls the sub-agent tool `Agent` (it was `Task`): mapped and linked the same way.

No shared fixture has an `Agent` call, so these tests take the real sidechain transcript
`tests/fixtures/claude-transcripts/sidechain_integrated.jsonl` (Claude Code 2.0.46, see
SOURCES.md there) and rename its one `Task` tool_use to `Agent` in a copy, nothing else changed:
the sub-agent's Grep must get the Agent call as its parent, in one file and split into the 2.1
layout (`<session>/subagents/agent-<id>.jsonl`), and the Agent call must carry the fields a Task
call does (`subagent_type`, `agent_result`).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_calls
from tests.helpers.sidechain import AGENT, FIXTURE, GREP_ID, SESSION, TASK_ID
from tooltrack.core.claude_tools import SUBAGENT_TOOLS, ToolResult, tool_fields
from tooltrack.ingest import ingest_file
from tooltrack.models import ToolCallRecord
from tooltrack.store.schema import metadata


def _renamed_lines(fixtures_dir: Path) -> list[str]:
    """The fixture's lines with the Task tool_use named Agent (the only change)."""
    lines = []
    renamed = 0
    for line in (fixtures_dir / FIXTURE).read_text().splitlines():
        value = json.loads(line)
        for block in value["message"]["content"]:
            if isinstance(block, dict) and block.get("type") == "tool_use" and block.get("name") == "Task":
                block["name"] = "Agent"
                renamed += 1
        lines.append(json.dumps(value))
    assert renamed == 1
    return lines


def _by_id(engine: Engine) -> dict[str, ToolCallRecord]:
    calls = stored_calls(engine)
    assert len(calls) == len({c.call_id for c in calls})
    return {c.call_id: c for c in calls if c.call_id is not None}


def test_subagent_tools_are_task_and_agent() -> None:
    assert set(SUBAGENT_TOOLS) == {"Task", "Agent"}


def test_an_agent_call_links_its_sidechain_calls_and_maps_like_task(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    ingest_file(engine, fixtures_dir / FIXTURE)  # the original, as the reference
    as_task = _by_id(engine)
    assert as_task[GREP_ID].parent_call_id == TASK_ID
    with engine.begin() as connection:  # start again from empty tables for the renamed copy
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())

    copy = tmp_path / f"{SESSION}.jsonl"
    copy.write_text("".join(line + "\n" for line in _renamed_lines(fixtures_dir)))
    report = ingest_file(engine, copy)
    assert report.ok and report.tool_calls_stored == 2
    as_agent = _by_id(engine)
    assert as_agent[GREP_ID].parent_call_id == TASK_ID  # before the fix: None (only "Task" was linked)
    agent = as_agent[TASK_ID]
    assert agent.tool_name == "Agent"
    assert agent.subagent_type == "general-purpose"
    assert agent.agent_result == as_task[TASK_ID].agent_result and agent.agent_result is not None
    # Everything but the name is what the Task call gave.
    assert agent.model_dump(exclude={"tool_name"}) == as_task[TASK_ID].model_dump(exclude={"tool_name"})


def test_the_2_1_layout_links_a_separate_sidechain_file_to_the_agent_call(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    lines = _renamed_lines(fixtures_dir)
    main = [line for line in lines if not json.loads(line).get("isSidechain")]
    side = [line for line in lines if json.loads(line).get("isSidechain")]
    session_file = tmp_path / "project" / f"{SESSION}.jsonl"
    agent_file = tmp_path / "project" / SESSION / "subagents" / f"agent-{AGENT}.jsonl"
    for path, part in ((session_file, main), (agent_file, side)):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(line + "\n" for line in part))
    assert ingest_file(engine, session_file).ok and ingest_file(engine, agent_file).ok
    calls = _by_id(engine)
    assert calls[TASK_ID].tool_name == "Agent" and calls[GREP_ID].parent_call_id == TASK_ID


@pytest.mark.parametrize("name", ["Task", "Agent"])
def test_tool_fields_map_both_names_alike(name: str) -> None:
    done = ToolResult(text="found it", is_error=False, detail={"totalTokens": 1234, "status": "completed"})
    fields = tool_fields(name, {"subagent_type": "Explore", "prompt": "look"}, done)
    assert (fields["subagent_type"], fields["agent_result"], fields["tokens_consumed"]) == ("Explore", "success", 1234)
    assert fields["parameters"] == {"prompt": {"bytes": 4}}  # content: its size, never its text
    failed = tool_fields(name, {"subagent_type": "Explore"}, ToolResult(text="Agent failed", is_error=True))
    assert failed["agent_result"] == "failure"
