"""Child processes for the tests: their environment, and the reliability workers' protocol.

A child must import `tests` (the workers live in tests/helpers/workers.py) and the checkout's
`tooltrack`, so its PYTHONPATH starts with the project root.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.helpers.paths import ROOT

PYTHON = sys.executable


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment for a child process: this one (with the test's TOOLTRACK_* paths) plus `extra`."""
    env = dict(os.environ)
    env.update(extra)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def worker_env() -> dict[str, str]:
    """This environment without the user's database URL (a worker is told its URL on the command line)."""
    env = {k: v for k, v in os.environ.items() if k != "TOOLTRACK_DATABASE_URL"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_worker(*args: str) -> subprocess.Popen[str]:
    """Start `python -m tests.helpers.workers ARGS` with line-buffered JSON on stdout."""
    return subprocess.Popen(
        [PYTHON, "-m", "tests.helpers.workers", *args],
        cwd=ROOT,
        env=worker_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish_worker(process: subprocess.Popen[str], timeout: float = 300) -> dict[str, object]:
    """Wait for a worker and return its last JSON line; fail with its stderr if it crashed."""
    out, err = process.communicate(timeout=timeout)
    lines = [line for line in out.splitlines() if line.strip()]
    if process.returncode != 0 or not lines:
        pytest.fail(f"worker exited {process.returncode}:\n{out}\n{err[-4000:]}")
    return json.loads(lines[-1])


def read_line(process: subprocess.Popen[str]) -> dict[str, object]:
    """The worker's next JSON line (blocks); fails when the worker ended instead."""
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        err = process.stderr.read() if process.stderr else ""
        pytest.fail(f"worker ended early (exit {process.wait()}):\n{err[-4000:]}")
    return json.loads(line)
