"""Starting the dashboard: a port of one's choosing, a busy port refused before anything is written.

Issue 18, item 10: `make run PORT=8600` did nothing with the port, the README did not say how to
pick one, and a busy port failed only after the database had been migrated and seeded. The
command's Streamlit settings hide the "Deploy" button (tests/store/test_wheel.py holds them equal
to .streamlit/config.toml); the browser tests check the page itself.
"""

from __future__ import annotations

import importlib
import re
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.helpers.live_api import free_port
from tests.helpers.paths import ROOT

# The module, not the `main` group that tooltrack.cli re-exports under the same name.
cli_main = importlib.import_module("tooltrack.cli.main")


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The commands `tooltrack dashboard` would start (none is run)."""
    commands: list[list[str]] = []

    def call(command: list[str], **_: object) -> int:
        commands.append(command)
        return 0

    monkeypatch.setattr(cli_main.subprocess, "call", call)
    return commands


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on (127.0.0.1), as another dashboard would."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _dashboard(database: Path, *args: str) -> object:
    runner = CliRunner()
    return runner.invoke(cli_main.main, ["dashboard", *args], env={"TOOLTRACK_DATABASE_URL": f"sqlite:///{database}"})


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_busy_port_is_refused_before_the_database_is_touched(
    tmp_path: Path, started: list[list[str]], busy_port: int, host: str
) -> None:
    database = tmp_path / "never.db"
    result = _dashboard(database, "--host", host, "--port", str(busy_port))
    assert result.exit_code != 0, result.output  # type: ignore[attr-defined]
    assert f"port {busy_port}" in result.output and "--port" in result.output  # type: ignore[attr-defined]
    assert started == []
    assert not database.exists(), "nothing migrated, nothing seeded"


def test_a_free_port_goes_to_streamlit_with_the_settings(tmp_path: Path, started: list[list[str]]) -> None:
    port = free_port()
    result = _dashboard(tmp_path / "empty.db", "--host", "127.0.0.1", "--port", str(port), "--no-demo")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    (command,) = started
    assert command[command.index("--server.port") + 1] == str(port)
    assert command[command.index("--client.toolbarMode") + 1] == "viewer"  # no "Deploy" button


def test_a_port_out_of_range_is_a_usage_error(tmp_path: Path, started: list[list[str]]) -> None:
    result = _dashboard(tmp_path / "never.db", "--port", "70000")
    assert result.exit_code == 2 and started == []  # type: ignore[attr-defined]
    assert not (tmp_path / "never.db").exists()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_takes_a_port() -> None:
    def recipe(*args: str) -> str:
        done = subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        (line,) = [line for line in done.stdout.splitlines() if "tooltrack dashboard" in line]
        return line

    assert re.search(r"--port 8600\b", recipe("PORT=8600"))
    assert re.search(r"--port 8501\b", recipe())


def test_the_readme_says_how_to_pick_a_port() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make run PORT=" in readme
    assert "tooltrack dashboard --port" in readme
