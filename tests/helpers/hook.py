"""`tooltrack hook` run as Claude Code runs it: a subprocess fed one event on stdin."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass

from tests.helpers.processes import PYTHON, subprocess_env

HOOK = [PYTHON, "-m", "tooltrack.capture.hook"]


@dataclass
class HookRun:
    """One run of the hook: when it started and ended (wall clock), and what it did."""

    started: float
    ended: float
    result: subprocess.CompletedProcess[bytes]


def run_hook(event: dict | bytes, command: list[str] = HOOK, **env: str) -> HookRun:
    """Run the hook on `event` (a dict sent as JSON, or raw bytes) with `env` added to the environment."""
    data = event if isinstance(event, bytes) else json.dumps(event).encode()
    started = time.time()
    result = subprocess.run(command, input=data, capture_output=True, env=subprocess_env(**env), timeout=60)
    ended = time.time()
    # A hook must exit 0 and print nothing Claude Code could read as a decision.
    assert result.returncode == 0
    assert result.stdout == b""
    return HookRun(started, ended, result)
