"""Run identity from real Claude Code files: project, branch, agent and version, models, title,
outcome, MCP servers and tools; a resumed session is the run it resumes (both databases).

Each expected value is read here from the raw lines (the `cwd` of the first line that has one,
its `gitBranch`, `version` / `claude_code_version`, every assistant message's `model`, the
summary line whose `leafUuid` is a line of the file, the `system`/`init` line's lists).
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_logs
from tooltrack.capture.sender import build_task_log
from tooltrack.ingest import ingest_file
from tooltrack.ingest.run_identity import one_line, project_of, prompt_title
from tooltrack.models import TaskLogCreate

REAL = "real"
TRANSCRIPTS = [
    "case1-resume/aistrad-vibelife/e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl",
    "case1-resume/sniffly-ai-music/d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl",
    "case7-usage-init-mcp-compact/transcripts/aistrad-00ef59df-v2.0.74-mcp-playwright.jsonl",
    "case7-usage-init-mcp-compact/transcripts/aistrad-eac6202b-v2.1.20-cache1h-multiline-apierror.jsonl",
]
INITS = [
    "case7-usage-init-mcp-compact/stream-json-init/splitlease-ralph_loop-v2.1.15-init-mcp-servers-needs-auth.jsonl",
    "case7-usage-init-mcp-compact/stream-json-init/pricehawk-planner-v2.0.55-init-mcp-connected.jsonl",
    "case7-usage-init-mcp-compact/stream-json-init/tac-6-test_manual-v2.0.50-init-mcp-failed.jsonl",
]


def raw_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def first(lines: list[dict[str, Any]], key: str) -> Any:
    return next((line[key] for line in lines if isinstance(line.get(key), str) and line[key]), None)


def models_by_messages(lines: list[dict[str, Any]]) -> list[str]:
    """Models by the number of distinct API messages they answered, most first."""
    seen: dict[str, str] = {}
    for line in lines:
        message = line.get("message")
        if line.get("type") == "assistant" and isinstance(message, dict) and message.get("model") != "<synthetic>":
            seen[message.get("id") or str(id(line))] = message["model"]
    return [m for m, _ in Counter(seen.values()).most_common()]


@pytest.mark.parametrize("name", TRANSCRIPTS)
def test_a_transcript_gives_its_identity(engine: Engine, fixtures_dir: Path, name: str) -> None:
    path = fixtures_dir / REAL / name
    lines = raw_lines(path)
    ingest_file(engine, path)
    logs = stored_logs(engine)
    assert logs
    cwd = first(lines, "cwd")
    uuids = {line.get("uuid") for line in lines}
    summaries = [line["summary"] for line in lines if line.get("type") == "summary" and line.get("leafUuid") in uuids]
    for log in logs:
        assert log.project_path == cwd
        assert log.project == cwd.rstrip("/").rsplit("/", 1)[-1]
        assert log.git_branch == first(lines, "gitBranch")
        assert (log.agent, log.agent_version) == ("claude-code", first(lines, "version"))
        assert log.models == models_by_messages(lines)
        assert log.outcome == "completed"
        if summaries:
            assert log.title == summaries[-1]
        else:
            assert log.title and "\n" not in log.title and len(log.title) <= 160


@pytest.mark.parametrize("name", INITS)
def test_stream_json_init_gives_mcp_servers_tools_and_the_result_its_outcome(
    engine: Engine, fixtures_dir: Path, name: str
) -> None:
    path = fixtures_dir / REAL / name
    lines = raw_lines(path)
    init = next(line for line in lines if line.get("subtype") == "init")
    result = next(line for line in lines if line.get("type") == "result")
    ingest_file(engine, path)
    [log] = stored_logs(engine)
    assert log.mcp_servers == [server["name"] for server in init["mcp_servers"]]
    assert log.tools_available == init["tools"]
    assert log.agent_version == init["claude_code_version"]
    failed = result["is_error"] or result["subtype"] != "success"
    assert log.outcome == ("failed" if failed else "completed")
    assert log.project_path == init["cwd"]
    assert log.project == init["cwd"].replace("\\", "/").rsplit("/", 1)[-1]


def test_a_stream_json_run_without_a_result_line_is_interrupted(engine: Engine, fixtures_dir: Path) -> None:
    name = "case6-stream-json-adw/splitlease-code_audit-v2.1.7-task-parent_tool_use_id-truncated.jsonl"
    path = fixtures_dir / REAL / name
    assert '"type":"result"' not in path.read_text(encoding="utf-8").replace(" ", "")
    ingest_file(engine, path)
    assert {log.outcome for log in stored_logs(engine)} == {"interrupted"}


def test_a_resumed_session_continues_the_run_it_resumes_in_either_order(engine: Engine, fixtures_dir: Path) -> None:
    folder = fixtures_dir / REAL / "case1-resume/aistrad-vibelife"
    original, resumed = "e882830e-9e5b-4305-aca5-df6a745a1c48", "5d93f27e-e89b-430e-9aee-9bebfb6a9916"
    ingest_file(engine, folder / f"{resumed}.jsonl")
    ingest_file(engine, folder / f"{original}.jsonl")
    assert {log.adw_id for log in stored_logs(engine)} == {original}
    # Sessions of one folder that resume nothing keep their own ids.
    others = sorted((fixtures_dir / REAL / "case1-resume/sniffly-ai-music").glob("*.jsonl"))
    for path in others:
        ingest_file(engine, path)
    ids = {log.adw_id for log in stored_logs(engine)}
    assert ids == {original} | {p.stem for p in others if '"tool_use"' in p.read_text(encoding="utf-8")}


def test_hook_payloads_give_the_project_and_the_agent(engine: Engine, fixtures_dir: Path) -> None:
    path = fixtures_dir / REAL / "case4-hook-logs-pre-2.0.43/rhema-v2.0.42/post_tool_use.json"
    cwd = json.loads(path.read_text(encoding="utf-8"))[0]["cwd"]
    ingest_file(engine, path)
    [log] = stored_logs(engine)
    assert (log.project, log.project_path, log.agent) == (cwd.rsplit("/", 1)[-1], cwd, "claude-code")


def test_project_is_the_repository_root(tmp_path: Path) -> None:
    repo = tmp_path / "shop"
    (repo / ".git").mkdir(parents=True)
    (repo / "src" / "api").mkdir(parents=True)
    assert project_of(str(repo / "src" / "api")) == ("shop", str(repo / "src" / "api"))
    assert project_of("/elsewhere/app/trees/1be417b6") == ("app", "/elsewhere/app/trees/1be417b6")
    worktree = "/elsewhere/app/.claude/worktrees/fix-login"
    assert project_of(worktree) == ("app", worktree)
    assert project_of("/home/u/trees/garden") == ("garden", "/home/u/trees/garden")  # a folder named trees
    assert project_of("C:\\Users\\me\\tac-6") == ("tac-6", "C:\\Users\\me\\tac-6")
    assert project_of("  ") is None


def test_a_title_is_one_redacted_line() -> None:
    secret = "sk-ant-api03-" + "a" * 90
    title = one_line(f"\n  deploy   with key {secret}\nsecond line")
    assert title is not None and secret not in title and title.startswith("deploy with key ")
    assert len(one_line("x" * 500) or "") == 160
    assert prompt_title({"content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}) is None
    assert prompt_title({"content": "<command-name>/clear</command-name><command-args></command-args>"}) is None
    assert prompt_title({"content": "<command-name>/review</command-name><command-args>PR 12</command-args>"}) == (
        "/review PR 12"
    )


def test_the_tracker_and_the_api_model_take_identity_and_cost_per_call() -> None:
    identity: dict[str, Any] = {
        "project": "shop",
        "project_path": "/src/shop",
        "git_branch": "main",
        "agent": "adw",
        "agent_version": "1.2",
        "models": ["claude-sonnet-4-5"],
        "title": "Fix login",
        "outcome": "failed",
        "mcp_servers": ["github"],
        "tools_available": ["Bash", "mcp__github__create_pr"],
    }
    call = {
        "tool_name": "Read",
        "success": True,
        "model": "claude-sonnet-4-5",
        "cost_usd": 0.5,
        "cost_issuing_usd": 0.1,
        "cost_result_usd": 0.2,
        "cost_rent_usd": 0.2,
        "cost_subagent_usd": 0.0,
        "cost_tokens": 1200,
    }
    payload = build_task_log("run1", None, "build", 1, False, "m", tool_calls=[call], **identity)
    assert {k: payload[k] for k in identity} == identity
    assert {k: payload["tool_calls"][0][k] for k in call} == call
    TaskLogCreate.model_validate(payload)  # what the API takes


def test_tooltrack_jsonl_keeps_identity_and_cost_per_call(engine: Engine, tmp_path: Path) -> None:
    identity: dict[str, Any] = {
        "project": "shop",
        "project_path": "/src/shop",
        "git_branch": "feature/x",
        "agent": "claude-code",
        "agent_version": "2.1.44",
        "models": ["claude-opus-4-5-20251101", "claude-haiku-4-5-20251001"],
        "title": "Fix the login page",
        "outcome": "interrupted",
        "mcp_servers": ["playwright"],
        "tools_available": ["Read", "mcp__playwright__browser_click"],
    }
    call = {"tool_name": "Read", "success": True, "call_id": "c1", "model": "claude-opus-4-5-20251101"}
    call |= {"cost_usd": 0.25, "cost_issuing_usd": 0.05, "cost_result_usd": 0.15, "cost_rent_usd": 0.05}
    call |= {"cost_subagent_usd": 0.0, "cost_tokens": 4000}
    log = {"adw_id": "a1b2c3d4", "phase_name": "build", "phase_status": "completed", "tool_calls": [call], **identity}
    path = tmp_path / "logs.jsonl"
    path.write_text(json.dumps(log) + "\n", encoding="utf-8")
    ingest_file(engine, path)
    [stored] = stored_logs(engine)
    assert {k: getattr(stored, k) for k in identity} == identity
    assert {k: getattr(stored.tool_calls[0], k) for k in call} == call
