"""Fixtures for the capture tests: a private spool, and a client on the served API (`live_api`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.live_api import LiveAPI
from tooltrack.capture.client import TaskLogClient
from tooltrack.capture.spool import Spool


@pytest.fixture(autouse=True)
def _private_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep every spool and data file of a test inside its tmp_path, never the user's folder."""
    monkeypatch.setenv("TOOLTRACK_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TOOLTRACK_SPOOL", str(tmp_path / "spool" / "task_logs.jsonl"))
    # The fallback spool lives in the system temp folder ($TMPDIR/tooltrack-<uid>): a private one.
    (tmp_path / "tmp").mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp_path / "tmp"))
    for name in ("TOOLTRACK_API_URL", "TOOLTRACK_API_TOKEN", "TOOLTRACK_ADW_ID", "TOOLTRACK_PHASE"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    return Spool(tmp_path / "spool" / "task_logs.jsonl")


@pytest.fixture
def api_client(live_api: LiveAPI) -> Iterator[TaskLogClient]:
    """A TaskLogClient for the live API (no retries: tests want the first answer)."""
    with TaskLogClient(live_api.url, retries=0) as client:
        yield client
