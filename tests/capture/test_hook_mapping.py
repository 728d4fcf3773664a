"""Mapping hook payloads onto ToolCallRecord fields, checked against Claude Code's own payloads."""

from __future__ import annotations

import json
from pathlib import Path

from tooltrack import models
from tooltrack.capture import hook_mapping
from tooltrack.capture.hook_mapping import exit_code_from_error, input_fields, response_fields
from tooltrack.models import ToolCallRecord


def _load(fixtures_dir: Path, name: str):
    return json.loads((fixtures_dir / "claude-hooks" / name).read_text())


def test_the_bounds_equal_the_models() -> None:
    assert hook_mapping.MAX_TEXT == models.MAX_TEXT
    assert hook_mapping.MAX_NAME == models.MAX_NAME


def test_real_post_tool_use_payloads(fixtures_dir: Path) -> None:
    bash, read = _load(fixtures_dir, "post_tool_use_log.json")
    bash_fields = {
        **input_fields("Bash", bash["tool_input"]),
        **response_fields("Bash", bash["tool_input"], bash["tool_response"]),
    }
    stdout = bash["tool_response"]["stdout"]
    assert bash_fields == {
        "command": bash["tool_input"]["command"],
        "stdout_lines": stdout.count("\n") + 1,  # no trailing newline: the last line counts too
        "stderr_lines": 0,
        "exit_code": 0,
    }
    read_fields = {
        **input_fields("Read", read["tool_input"]),
        **response_fields("Read", read["tool_input"], read["tool_response"]),
    }
    content = read["tool_response"]["file"]["content"]
    assert read_fields == {
        "file_path": read["tool_input"]["file_path"],
        "offset": 1,
        "limit": 80,
        "lines_read": 80,
        "file_size_bytes": len(content.encode()),
    }
    for tool, fields in (("Bash", bash_fields), ("Read", read_fields)):
        ToolCallRecord(tool_name=tool, success=True, **fields)


def test_docs_payloads(fixtures_dir: Path) -> None:
    write = _load(fixtures_dir, "docs_PostToolUse.json")
    fields = {
        **input_fields("Write", write["tool_input"]),
        **response_fields("Write", write["tool_input"], write["tool_response"]),
    }
    assert fields == {"file_path": "/path/to/file.txt", "bytes_written": len(b"file content")}
    failure = _load(fixtures_dir, "docs_PostToolUseFailure.json")
    assert exit_code_from_error(failure["error"]) == 1
    # Inputs without a field of their own stay in `parameters` (ingest kept them, the hook dropped them).
    assert input_fields("Bash", failure["tool_input"]) == {
        "command": "npm test",
        "parameters": {"description": "Run test suite"},
    }


def test_other_tools_by_their_documented_shapes() -> None:
    edit_input = {"file_path": "a.py", "old_string": "x = 1\n", "new_string": "x = 2\ny = 3\n", "replace_all": False}
    patch = [{"oldStart": 1, "lines": [" keep", "-x = 1", "+x = 2", "+y = 3"]}]
    assert {**input_fields("Edit", edit_input), **response_fields("Edit", edit_input, {"structuredPatch": patch})} == {
        "file_path": "a.py",
        "old_string_length": 6,
        "new_string_length": 12,
        "replace_all": False,
        "lines_changed": 2,  # one line replaced, one added
    }
    grep_input = {"pattern": "TODO", "path": "src", "output_mode": "count"}
    assert {
        **input_fields("Grep", grep_input),
        **response_fields("Grep", grep_input, {"numFiles": 4, "numMatches": 9}),
    } == {
        "pattern": "TODO",
        "file_path": "src",
        "files_matched": 4,
        "total_matches": 9,
        "parameters": {"output_mode": "count"},
    }
    fetch = {"url": "https://example.com", "prompt": "summarise"}
    assert response_fields("WebFetch", fetch, {"code": 200, "bytes": 5120, "durationMs": 300}) == {
        "http_status": 200,
        "response_size_bytes": 5120,
    }
    task = {"subagent_type": "general-purpose", "description": "look around", "prompt": "..."}
    assert input_fields("Task", task) == {
        "subagent_type": "general-purpose",
        "parameters": {"description": "look around", "prompt": {"bytes": 3}},  # the prompt is content
    }
    assert response_fields("Task", task, {"status": "completed", "totalTokens": 1234}) == {
        "agent_result": "success",
        "tokens_consumed": 1234,
    }
    # Todo texts and notebook sources are content: their size, never their text (issue 14).
    todo = {"todos": [{"content": "x" * 5000, "status": "pending"}]}
    assert input_fields("TodoWrite", todo)["parameters"] == {"todos": {"items": 1}}
    notebook = {"notebook_path": "/a.ipynb", "new_source": "x" * 5000, "cell_id": "c1"}
    assert input_fields("NotebookEdit", notebook) == {
        "file_path": "/a.ipynb",
        "parameters": {"new_source": {"bytes": 5000}, "cell_id": "c1"},
    }
    mcp = {"path": "/a", "content": "secret file text", "options": {"text": "typed"}}
    assert input_fields("mcp__fs__write_file", mcp)["parameters"] == {
        "path": "/a",
        "content": {"bytes": 16},
        "options": {"text": {"bytes": 5}},
    }


def test_an_interrupted_bash_call_is_not_a_success() -> None:
    fields = response_fields("Bash", {"command": "sleep 100"}, {"stdout": "", "stderr": "", "interrupted": True})
    assert fields["success"] is False and fields["outcome"] == "interrupted"
    assert "exit_code" not in fields


def test_odd_shapes_do_not_break_the_mapping() -> None:
    assert input_fields("Read", "not a dict") == {}
    assert response_fields("Read", None, ["a", "list"]) == {}
    # A value of the wrong type gets no field, and is kept where nothing is lost: `parameters`.
    assert input_fields("Edit", {"old_string": 5}) == {"parameters": {"old_string": 5}}
    assert response_fields("WebFetch", {}, {"code": 99999}) == {}
    huge = {f"k{n}": "v" * 1900 for n in range(40)}
    params = input_fields("mcp__x__y", huge)["parameters"]
    assert len(json.dumps(params)) <= hook_mapping.MAX_PARAMETERS_JSON
    assert set(params) == set(huge)
