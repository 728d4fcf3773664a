"""Parallel sub-agents written inline in the session's file: each call gets the Task of its own agent.

Claude Code 2.0.24-2.0.27 writes a Task's sub-agent inline (`isSidechain: true`) with no
`agentId`, and several Tasks run at once. The real case is `real/case2-inline-sidechains/` (the
city-of-perla session, 2.0.26): five Task calls in five consecutive assistant lines, then the five
sub-agents' chains, each starting with a line (`parentUuid: null`) whose text is exactly one Task's
`prompt`, their first lines within 60 ms of each other. The old rule (the latest started Task still
running) gave every one of those calls to the fifth Task.

That file is the session as a logging hook saved it (`logs/chat.json`, one JSON array): the tests
write its elements one per line, unchanged, which is the transcript it copies. The expected parent
of each call is worked out here from the raw elements (its chain followed to the first line, whose
text is matched to a Task's prompt), not by the code under test.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.helpers.claude_files import array_as_jsonl, write_lines
from tests.helpers.db import stored_calls
from tooltrack.ingest import claude, ingest_file
from tooltrack.ingest.items import IngestOptions, LogPart

PERLA = "real/case2-inline-sidechains/city-of-perla-chat-2.0.26-five-parallel-tasks.json"
SESSION = "e0e8f604-f94c-4000-b81e-a4f8f39b1f99"
#: The fifth Task call: the latest started, the old rule's answer for every sidechain call.
LAST_TASK = "toolu_01DqKg3JGEvMgt36yo8m8J54"


def _elements(fixtures_dir: Path) -> list[dict[str, Any]]:
    elements = json.loads((fixtures_dir / PERLA).read_text(encoding="utf-8"))
    assert isinstance(elements, list)
    return elements


def _blocks(element: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    content = (element.get("message") or {}).get("content")
    return [b for b in content if isinstance(b, dict) and b.get("type") == kind] if isinstance(content, list) else []


def expected_parents(elements: list[dict[str, Any]]) -> dict[str, str]:
    """Sidechain tool_use id -> the Task whose prompt is its chain's first line, from the raw lines."""
    by_uuid = {e["uuid"]: e for e in elements if "uuid" in e}
    task_of_prompt = {
        b["input"]["prompt"]: b["id"] for e in elements for b in _blocks(e, "tool_use") if b["name"] == "Task"
    }
    parents: dict[str, str] = {}
    for element in elements:
        if not element.get("isSidechain"):
            continue
        root = element
        while root.get("parentUuid") is not None:
            root = by_uuid[root["parentUuid"]]
        prompt = root["message"]["content"]
        for block in _blocks(element, "tool_use"):
            parents[block["id"]] = task_of_prompt[prompt]
    return parents


def _parents(engine: Engine) -> dict[str, str | None]:
    calls = stored_calls(engine)
    assert len(calls) == len({c.call_id for c in calls})
    return {c.call_id: c.parent_call_id for c in calls}


def test_the_real_five_parallel_sub_agents_each_get_their_own_task(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    elements = _elements(fixtures_dir)
    expected = expected_parents(elements)
    # What the file holds (SOURCES.md): 55 Bash and 7 Read calls in five chains, one per Task.
    assert len(expected) == 62 and len(set(expected.values())) == 5
    assert sum(parent != LAST_TASK for parent in expected.values()) > 40  # where the old rule was wrong

    report = ingest_file(engine, array_as_jsonl(fixtures_dir / PERLA, tmp_path / f"{SESSION}.jsonl"))
    assert report.ok and report.format == "claude-transcript"
    parents = _parents(engine)
    assert {call_id: parents[call_id] for call_id in expected} == expected
    assert report.parents_guessed == 0
    assert not [n for n in report.notes if "parent_call_id" in n.message]


def test_a_chain_cut_before_its_first_line_is_guessed_and_counted(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    elements = _elements(fixtures_dir)
    expected = expected_parents(elements)
    # The fifth Task's chain starts at element 25 (SOURCES.md): drop that one line, as an excerpt
    # cut there would. Its calls can no longer be matched by their prompt.
    root = elements[25]
    assert root["parentUuid"] is None and root["isSidechain"]
    cut = [e for e in elements if e is not root]
    cut_calls = {b["id"] for e in elements[26:54] if e.get("isSidechain") for b in _blocks(e, "tool_use")}
    assert cut_calls and {expected[c] for c in cut_calls} == {LAST_TASK}

    report = ingest_file(engine, write_lines(tmp_path / f"{SESSION}.jsonl", cut))
    parents = _parents(engine)
    # The other four chains matched their Tasks, so the one Task left running is the guess: right
    # here, but a guess all the same, and the report says how many.
    assert {call_id: parents[call_id] for call_id in expected} == expected
    assert report.parents_guessed == len(cut_calls)
    [note] = [n for n in report.notes if "guessed" in n.message]
    assert note.message.startswith(f"{len(cut_calls)} sub-agent call(s)")


def test_a_task_inside_a_sidechain_is_the_parent_of_its_own_sub_agent(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    """A sub-agent that starts a sub-agent, inline: built from the real lines (see the comments)."""
    elements = _elements(fixtures_dir)
    expected = expected_parents(elements)
    outer_task = "toolu_01FMTMWYs5LyhF7NtrbCcHg9"  # the second Task; its chain is elements 9-23
    assert expected["toolu_015ZTaxS4yfN32YAZb3Jf1kh"] == outer_task
    nested_task, nested_bash = "toolu_01NestedTaskInSidechain0", "toolu_01NestedBashInSidechain0"
    nested_prompt = "Check the saved image's size with file(1) and report it."

    def copy(element: dict[str, Any], **changes: Any) -> dict[str, Any]:
        copied: dict[str, Any] = json.loads(json.dumps(element))
        copied.update(changes)
        return copied

    # Each added line is a copy of a real line of this file; only ids, parents, times and the
    # prompt change. After element 12 (the outer agent's first Bash result):
    task_line = copy(elements[5], isSidechain=True, parentUuid=elements[12]["uuid"], uuid="nested-task-line")
    task_line["message"]["content"][0].update(id=nested_task)  # a real Task tool_use, made by the sub-agent
    task_line["message"]["content"][0]["input"]["prompt"] = nested_prompt
    task_line["timestamp"] = "2025-10-24T15:41:40.000Z"
    root_line = copy(elements[9], uuid="nested-root", timestamp="2025-10-24T15:41:40.100Z")  # a real first line
    root_line["message"]["content"] = nested_prompt
    bash_line = copy(elements[11], parentUuid="nested-root", uuid="nested-bash", timestamp="2025-10-24T15:41:41.000Z")
    bash_line["message"]["content"][0]["id"] = nested_bash
    bash_result = copy(elements[12], parentUuid="nested-bash", uuid="nested-bash-result")
    bash_result["message"]["content"][0]["tool_use_id"] = nested_bash
    bash_result["timestamp"] = "2025-10-24T15:41:41.500Z"
    task_result = copy(elements[24], isSidechain=True, parentUuid="nested-task-line", uuid="nested-task-result")
    task_result["message"]["content"][0]["tool_use_id"] = nested_task  # a real Task result line
    task_result["timestamp"] = "2025-10-24T15:41:42.000Z"
    lines = [*elements[:13], task_line, root_line, bash_line, bash_result, task_result, *elements[13:]]

    report = ingest_file(engine, write_lines(tmp_path / f"{SESSION}.jsonl", lines))
    parents = _parents(engine)
    assert parents[nested_bash] == nested_task  # the Task that started the agent that made it
    assert parents[nested_task] == outer_task  # the nested Task is a call of the outer agent
    assert {call_id: parents[call_id] for call_id in expected} == expected
    assert report.parents_guessed == 0


class _Watched(claude.ClaudeLog):
    """A transcript reader that records the most sidechain lines any session remembered."""

    peak = 0

    def _line_agent(self, session: claude._Session, value: dict[str, Any]) -> str | None:
        agent = super()._line_agent(session, value)
        self.peak = max(self.peak, len(session.chains))
        return agent


def _replicas(elements: list[dict[str, Any]], count: int) -> list[dict[str, Any]]:
    """The real lines `count` times over, each copy with its own uuids and tool ids (one long session)."""
    text = json.dumps(elements)
    ids = {e["uuid"] for e in elements if "uuid" in e}
    ids |= {b["id"] for e in elements for b in _blocks(e, "tool_use")}
    lines: list[dict[str, Any]] = []
    for n in range(count):
        copied = text
        for old in ids:
            copied = copied.replace(f'"{old}"', f'"{old}-{n}"')
        lines.extend(json.loads(copied))
    return lines


def test_memory_for_sidechain_lines_stays_bounded(fixtures_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Smaller bounds, so that a few copies of the real session cross them.
    monkeypatch.setattr(claude, "CHAIN_SWEEP", 500)
    monkeypatch.setattr(claude, "CHAIN_LIMIT", 2000)
    elements = _elements(fixtures_dir)
    expected = expected_parents(elements)
    copies = 12  # 12 x 180 sidechain lines: past the sweep size many times over
    reader = _Watched(IngestOptions(name="-"), source="claude-transcript")
    items = [item for n, value in enumerate(_replicas(elements, copies), 1) for item in reader.feed(n, value)]
    items += list(reader.finish())
    calls = {c.call_id: c.parent_call_id for item in items if isinstance(item, LogPart) for c in item.log.tool_calls}
    for n in range(copies):
        assert {f"{c}-{n}": calls[f"{c}-{n}"] for c in expected} == {
            f"{c}-{n}": f"{p}-{n}" for c, p in expected.items()
        }
    # Finished agents' lines are forgotten: never more than the sweep size plus one agent's lines.
    assert reader.peak <= 500 + 1
    assert len(reader.sessions[SESSION].chains) <= 500


def test_sidechain_lines_of_agents_that_never_finish_are_capped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(claude, "CHAIN_SWEEP", 100)
    monkeypatch.setattr(claude, "CHAIN_LIMIT", 1000)
    reader = _Watched(IngestOptions(name="-"), source="claude-transcript")
    # One sub-agent chain of 5,000 lines whose Task never answers (Claude Code's sidechain line
    # shape, reduced to the fields the chain needs).
    parent = None
    for n in range(5000):
        value = {"type": "progress", "isSidechain": True, "sessionId": SESSION, "uuid": f"u{n}", "parentUuid": parent}
        list(reader.feed(n + 1, value))
        parent = f"u{n}"
    assert reader.peak <= 1000 + 1
