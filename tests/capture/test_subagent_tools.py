"""One definition of the sub-agent tools (Task, and Agent as Claude Code 2.1 names it) for ingest and hook.

The hook must start fast (docs/capture.md): it takes the definition from a module with no imports,
and loads neither the ingest package nor pydantic or SQLAlchemy. Checked in a fresh interpreter,
as Claude Code starts the hook.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.helpers.processes import subprocess_env
from tooltrack.capture import hook_mapping
from tooltrack.core import claude_tools as tools
from tooltrack.core.subagents import SUBAGENT_TOOLS
from tooltrack.ingest import transcript
from tooltrack.models import ToolCallRecord


def test_ingest_and_hook_share_one_definition() -> None:
    assert set(SUBAGENT_TOOLS) == {"Task", "Agent"}
    assert tools.SUBAGENT_TOOLS is SUBAGENT_TOOLS
    assert transcript.SUBAGENT_TOOLS is SUBAGENT_TOOLS
    assert hook_mapping.SUBAGENT_TOOLS is SUBAGENT_TOOLS


@pytest.mark.parametrize("name", sorted(SUBAGENT_TOOLS))
def test_the_hook_maps_task_and_agent_alike(name: str) -> None:
    given = {"description": "Find the config", "prompt": "look around", "subagent_type": "Explore"}
    response = {"status": "completed", "totalTokens": 1234, "content": [{"type": "text", "text": "done"}]}
    fields = {**hook_mapping.input_fields(name, given), **hook_mapping.response_fields(name, given, response)}
    assert fields == {
        "subagent_type": "Explore",
        "parameters": {"description": "Find the config", "prompt": {"bytes": 11}},  # content: its size
        "agent_result": "success",
        "tokens_consumed": 1234,
    }
    ToolCallRecord.model_validate({"tool_name": name, "success": True, **fields})


def test_the_hook_loads_no_ingest_pydantic_or_sqlalchemy() -> None:
    code = (
        "import json, sys, tooltrack.capture.hook\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('pydantic', 'sqlalchemy', 'orjson', 'httpx') or m.startswith('tooltrack.ingest'))))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, env=subprocess_env(), timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert json.loads(result.stdout) == []
    # The check can fail: importing the ingest side does load them.
    code_ingest = code.replace("tooltrack.capture.hook", "tooltrack.ingest.claude")
    result = subprocess.run([sys.executable, "-c", code_ingest], capture_output=True, env=subprocess_env(), timeout=60)
    assert "tooltrack.ingest.claude" in json.loads(result.stdout)
