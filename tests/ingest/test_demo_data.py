"""The demo data's failures are ones a reader believes: each message fits its command and its figures.

Issue 18, item 10: `git add -A` failed with a pytest AssertionError, `git status` with "npm:
command not found", a 120 s timeout was recorded as 1 s, a failed Test phase had no failing call.
The rules below read the generated logs as a reader would; bench/dataset.py builds its data set
from the demo's tables, so it is run here too.
"""

from __future__ import annotations

import importlib.util
import random
import re
from datetime import UTC, datetime
from types import ModuleType

import pytest

from tests.helpers.paths import ROOT
from tooltrack.ingest.demo import TEMPLATES, generate_workflow
from tooltrack.models import TaskLogCreate, ToolCallRecord

START = datetime(2026, 10, 1, 9, tzinfo=UTC)
EXIT_CODE = re.compile(r"^Exit code (\d+)\n")
NOT_FOUND = re.compile(r"(?:^|: )(\S+): command not found", re.MULTILINE)
#: Claude Code's Bash timeout, in either spelling: "after 120000ms" or "after 2m 0.0s".
TIMED_OUT = re.compile(r"^Command timed out after (?:(\d+)ms|(?:(\d+)m )?(\d+(?:\.\d+)?)s)$")


@pytest.fixture(scope="module")
def logs() -> list[TaskLogCreate]:
    rng = random.Random(2026)
    made: list[TaskLogCreate] = []
    for index in range(400):
        template = rng.choice(list(TEMPLATES))
        made.extend(generate_workflow(rng, f"believe{index:04d}", template, START))
    return made


def _failed_bash(logs: list[TaskLogCreate]) -> list[ToolCallRecord]:
    return [c for log in logs for c in log.tool_calls if c.tool_name == "Bash" and not c.success]


def _program(command: str) -> str:
    words = command.split()
    return words[2] if words[:2] == ["uv", "run"] else words[0]


def test_every_bash_failure_fits_its_command(logs: list[TaskLogCreate]) -> None:
    failures = _failed_bash(logs)
    assert len(failures) > 100
    for call in failures:
        command, message = call.command or "", call.error_message or ""
        where = (command, message, call.exit_code, call.duration_ms)
        timed_out = TIMED_OUT.match(message)
        if timed_out:
            # Killed by the Bash tool's timeout: no exit code, and it ran at least that long.
            ms, minutes, seconds = timed_out.groups()
            limit_s = int(ms) / 1000 if ms else int(minutes or 0) * 60 + float(seconds)
            assert call.exit_code is None, where
            assert call.duration_ms is not None and call.duration_ms >= limit_s * 1000, where
            continue
        code = EXIT_CODE.match(message)
        assert code, where
        assert call.exit_code == int(code.group(1)) != 0, where
        for missing in NOT_FOUND.findall(message):
            assert missing == _program(command), where
        if "FAILED tests/" in message or "AssertionError" in message or " passed in " in message:
            assert "pytest" in command, where
        if "fatal:" in message:
            assert command.startswith(("git ", "gh ")), where
        if "error TS" in message or "eslint" in message or "FAIL  src/" in message:
            assert command.startswith("npm "), where
    # Several commands fail, in several ways, and some time out.
    assert len({c.command for c in failures}) >= 8
    assert len({c.error_message for c in failures}) >= 10
    assert any(TIMED_OUT.match(c.error_message or "") for c in failures)


def test_commands_that_succeed_have_exit_code_zero_and_no_error(logs: list[TaskLogCreate]) -> None:
    for log in logs:
        for call in log.tool_calls:
            if call.tool_name == "Bash" and call.success:
                assert call.exit_code == 0 and call.error_message is None, call
                assert call.duration_ms is not None and call.duration_ms < 120_000, call


def test_a_failed_test_phase_has_the_failing_test_run_it_reports(logs: list[TaskLogCreate]) -> None:
    failed = [log for log in logs if log.phase_status == "failed"]
    assert failed, "some Test phases fail"
    for log in failed:
        assert log.phase_name == "Test"
        runs = [c for c in log.tool_calls if c.tool_name == "Bash" and "pytest" in (c.command or "")]
        assert runs and not runs[-1].success, log.error_message
        # The phase's error names what its last test run reported.
        counted = re.search(r"(\d+ failed)", runs[-1].error_message or "")
        assert counted and counted.group(1) in (log.error_message or ""), (log.error_message, runs[-1].error_message)


def test_other_tools_fail_consistently(logs: list[TaskLogCreate]) -> None:
    calls = [c for log in logs for c in log.tool_calls]
    for call in calls:
        if call.tool_name == "WebFetch":
            if call.success:
                assert call.http_status == 200, call
            else:
                assert call.http_status is not None and str(call.http_status) in (call.error_message or ""), call
        if call.tool_name in ("Edit", "MultiEdit") and not call.success:
            assert call.lines_changed is None, call  # a failed edit changed nothing
        if call.tool_name == "Read" and not call.success:
            assert call.lines_read is None and call.file_size_bytes is None, call


def _bench_dataset() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_dataset", ROOT / "bench" / "dataset.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_benchmark_data_set_still_builds_from_the_demo_tables() -> None:
    generator = _bench_dataset()._Generator(3)
    for phase in ("Plan", "Build", "Test", "Review", "Document"):
        calls, total_ms, tokens = generator.calls(phase, START, 200, "claude-sonnet-4-5")
        assert len(calls) == 200 and total_ms > 0 and tokens > 0
        assert all(isinstance(c["tool_name"], str) for c in calls)
        assert all(c.get("error_message") for c in calls if not c["success"])
