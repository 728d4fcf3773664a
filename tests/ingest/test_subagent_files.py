"""Claude Code 2.1 sub-agents in files of their own: `meta.json`'s `toolUseId`, sub-agents of sub-agents, stdin.

Real files: `real/case3-subagent-files/omarchy-backup-v2.1.97/` (a user's committed `~/.claude`,
Claude Code 2.1.97): sessions with `Agent` calls whose results name the sub-agent
(`toolUseResult.agentId`), the sub-agents' `<session>/subagents/agent-<id>.jsonl` and their
`agent-<id>.meta.json`, which in 2.1.97 hold only `agentType` and `description`. Newer versions
(2.1.252, `real/case3-subagent-files/mrmarhvd-v2.1.252-meta-only/`, meta files only) add
`toolUseId` (the Agent call that spawned the sub-agent) and, for a sub-agent spawned by another
sub-agent, `parentAgentId`. No fetchable transcript of that shape exists (real/SOURCES.md), so the
tests below write one from the real 2.1.97 files: whole real lines, changing only what the case
needs (said at each change), and meta files in the exact 2.1.252 key order.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from tests.helpers.claude_files import read_lines, write_lines
from tests.helpers.db import stored_calls, url_of
from tooltrack.ingest import ingest_file, ingest_stream

OMARCHY = "real/case3-subagent-files/omarchy-backup-v2.1.97/projects/-home-vwestberg-Claude"
SESSION = "8fd119a6-9ab8-407b-810f-329cfb6153e0"
AGENT = "a520480fc0182e0d7"
#: The session's Agent call (line 6), whose result (line 7) names AGENT.
AGENT_CALL = "toolu_01KnhSrCGEaF1yqrncbe9Eub"
#: A small real sub-agent file of the other session (5 lines, 2 tool calls), used as a nested agent.
OTHER_AGENT_FILE = "512f6c74-f82f-4adb-9719-4ae90076677c/subagents/agent-a073139c8fe58ba03.jsonl"


def _tool_uses(values: list[dict[str, Any]]) -> list[str]:
    return [
        block["id"]
        for value in values
        if isinstance(content := (value.get("message") or {}).get("content"), list)
        for block in content
        if isinstance(block, dict) and block.get("type") == "tool_use"
    ]


def _parents(engine: Engine) -> dict[str, str | None]:
    calls = stored_calls(engine)
    assert len(calls) == len({c.call_id for c in calls})
    return {c.call_id: c.parent_call_id for c in calls}


def _meta_2_1_252(agent_type: str, description: str, tool_use_id: str, parent_agent: str | None = None) -> str:
    """A meta.json in the shape (and key order) Claude Code 2.1.252 writes (real/SOURCES.md, mrmarhvd)."""
    if parent_agent is None:
        meta: dict[str, Any] = {
            "agentType": agent_type,
            "description": description,
            "toolUseId": tool_use_id,
            "spawnDepth": 1,
            "requestShape": "background",
            "requestNonInteractive": True,
        }
    else:
        meta = {
            "agentType": agent_type,
            "description": description,
            "toolUseId": tool_use_id,
            "parentAgentId": parent_agent,
            "spawnDepth": 1,
            "model": "opus",
        }
    return json.dumps(meta, separators=(",", ":"))


def test_every_sub_agent_call_of_the_real_2_1_97_tree_gets_its_agent_call(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    tree = tmp_path / "projects"
    shutil.copytree(fixtures_dir / OMARCHY, tree / "-home-vwestberg-Claude")
    # Expected, from the raw files: each sub-agent file's calls belong to the Agent call whose
    # result names the file's agent. Side-question agents (agent-aside_question-*) replay the
    # main conversation and were started by no Agent call: left out.
    expected: dict[str, str] = {}
    for session_file in sorted((tree / "-home-vwestberg-Claude").glob("*.jsonl")):
        lines = read_lines(session_file)
        named = {
            block["tool_use_id"]: line["toolUseResult"]["agentId"]
            for line in lines
            if isinstance(line.get("toolUseResult"), dict) and "agentId" in line["toolUseResult"]
            for block in line["message"]["content"]
            if block.get("type") == "tool_result"
        }
        for call_id, agent in named.items():
            agent_file = session_file.with_suffix("") / "subagents" / f"agent-{agent}.jsonl"
            if agent_file.is_file():  # two were left out of the excerpt on purpose (SOURCES.md)
                expected.update(dict.fromkeys(_tool_uses(read_lines(agent_file)), call_id))
    assert len(expected) > 30

    env = dict(os.environ, TOOLTRACK_DATABASE_URL=url_of(engine))
    command = [sys.executable, "-m", "tooltrack.cli", "ingest", str(tree)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
    # The meta.json files beside the sub-agents' files are read with them, not as logs of their own.
    assert "meta.json" not in result.stdout and result.stdout.rstrip().endswith(", 0 with an error")
    assert result.returncode == 0, result.stdout + result.stderr
    parents = _parents(engine)
    assert {call_id: parents[call_id] for call_id in expected} == expected


def _agent_file_alone(fixtures_dir: Path, tmp_path: Path) -> tuple[Path, list[str]]:
    """The real sub-agent file and its real meta.json, copied without the session's file."""
    real = fixtures_dir / OMARCHY / SESSION / "subagents"
    folder = tmp_path / "copied" / SESSION / "subagents"
    folder.mkdir(parents=True)
    agent_file = folder / f"agent-{AGENT}.jsonl"
    shutil.copyfile(real / f"agent-{AGENT}.jsonl", agent_file)
    shutil.copyfile(real / f"agent-{AGENT}.meta.json", folder / f"agent-{AGENT}.meta.json")
    return agent_file, _tool_uses(read_lines(agent_file))


def test_a_2_1_97_meta_json_names_no_task_so_a_lone_sub_agent_file_has_no_parent(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    agent_file, calls = _agent_file_alone(fixtures_dir, tmp_path)
    report = ingest_file(engine, agent_file)
    assert report.ok and _parents(engine) == dict.fromkeys(calls)
    [note] = [n for n in report.notes if "parent_call_id" in n.message]
    assert f"{SESSION}.jsonl was not found" in note.message


def test_a_meta_json_with_tool_use_id_names_the_task_without_the_session_file(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    agent_file, calls = _agent_file_alone(fixtures_dir, tmp_path)
    meta_file = agent_file.with_name(f"agent-{AGENT}.meta.json")
    real_meta = json.loads(meta_file.read_text())
    # The same meta.json as 2.1.252 writes it, with the spawning call's real id (session line 6).
    meta_file.write_text(_meta_2_1_252(real_meta["agentType"], real_meta["description"], AGENT_CALL))
    report = ingest_file(engine, agent_file)
    assert report.ok and report.tool_calls_stored == len(calls)
    assert _parents(engine) == dict.fromkeys(calls, AGENT_CALL)
    assert not [n for n in report.notes if "parent_call_id" in n.message]


def test_a_sub_agent_of_a_sub_agent_gets_the_agent_call_that_started_it(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    real = fixtures_dir / OMARCHY
    project = tmp_path / "projects" / "-home-vwestberg-Claude"
    subagents = project / SESSION / "subagents"
    subagents.mkdir(parents=True)
    shutil.copyfile(real / f"{SESSION}.jsonl", project / f"{SESSION}.jsonl")  # the real session
    session_lines = read_lines(project / f"{SESSION}.jsonl")
    call_line, result_line = session_lines[5], session_lines[6]  # the real Agent call and its result
    assert call_line["message"]["content"][0]["id"] == AGENT_CALL
    nested_agent, nested_call = "a7e51c0ffee5ca1ab", "toolu_01NestedAgentSpawnedByAgent"

    # The outer sub-agent: its real file, with an Agent call of its own after its first Bash result
    # (line 4): a copy of the session's real Agent call line, made a sidechain line of this agent
    # (isSidechain, agentId, parentUuid into its chain, a new uuid and tool_use id), then a copy
    # of the session's real result line for it, naming the nested agent in toolUseResult.agentId.
    outer = read_lines(real / SESSION / "subagents" / f"agent-{AGENT}.jsonl")
    spawn = json.loads(json.dumps(call_line))
    spawn.update(
        isSidechain=True, agentId=AGENT, parentUuid=outer[3]["uuid"], uuid="0b5e11ed-0000-4000-8000-000000000001"
    )
    spawn["message"]["content"][0]["id"] = nested_call
    spawn["timestamp"] = "2026-04-27T13:28:28.500Z"
    answer = json.loads(json.dumps(result_line))
    answer.update(
        isSidechain=True, agentId=AGENT, parentUuid=spawn["uuid"], uuid="0b5e11ed-0000-4000-8000-000000000002"
    )
    answer["message"]["content"][0]["tool_use_id"] = nested_call
    answer["toolUseResult"]["agentId"] = nested_agent
    answer["timestamp"] = "2026-04-27T13:28:28.600Z"
    write_lines(subagents / f"agent-{AGENT}.jsonl", [*outer[:4], spawn, answer, *outer[4:]])
    shutil.copyfile(real / SESSION / "subagents" / f"agent-{AGENT}.meta.json", subagents / f"agent-{AGENT}.meta.json")

    # The nested sub-agent: a real 2.1.97 sub-agent file (of the other session) as its transcript,
    # with this session's id and its own agentId on every line; its meta.json in the 2.1.252
    # nested shape (toolUseId + parentAgentId).
    nested = [dict(line, sessionId=SESSION, agentId=nested_agent) for line in read_lines(real / OTHER_AGENT_FILE)]
    write_lines(subagents / f"agent-{nested_agent}.jsonl", nested)
    meta = _meta_2_1_252("investigator", "Check the VM's network mode", nested_call, parent_agent=AGENT)
    (subagents / f"agent-{nested_agent}.meta.json").write_text(meta)

    for path in sorted(project.rglob("*.jsonl"), reverse=True):  # sub-agents first: order does not matter
        ingest_file(engine, path)
    parents = _parents(engine)
    outer_calls = _tool_uses(outer)
    assert {c: parents[c] for c in outer_calls} == dict.fromkeys(outer_calls, AGENT_CALL)
    assert parents[nested_call] == AGENT_CALL  # the nested Agent call is a call of the outer agent
    nested_calls = _tool_uses(nested)
    assert nested_calls and {c: parents[c] for c in nested_calls} == dict.fromkeys(nested_calls, nested_call)


def test_a_sub_agent_file_read_from_stdin_says_its_parent_is_unknown(engine: Engine, fixtures_dir: Path) -> None:
    data = (fixtures_dir / OMARCHY / SESSION / "subagents" / f"agent-{AGENT}.jsonl").read_bytes()
    report = ingest_stream(engine, "-", io.BytesIO(data))
    calls = _tool_uses([json.loads(line) for line in data.splitlines()])
    assert report.ok and report.tool_calls_stored == len(calls)
    assert _parents(engine) == dict.fromkeys(calls)
    [note] = [n for n in report.notes if "parent_call_id" in n.message]
    assert f"{len(calls)} sidechain call(s) of agent {AGENT}" in note.message
    assert "standard input" in note.message and f"{SESSION}.jsonl" in note.message
