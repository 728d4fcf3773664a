"""Faults: the database connection dropped under a running ingest (PostgreSQL).

The shared PostgreSQL server is not restarted (other work uses it): the ingest's own backends are
terminated with pg_terminate_backend, which is what a server restart looks like to the client.
The ingest must report it (or carry on), never lose what it committed, and a re-run must complete
with no duplicates. (The API down during a workflow is tests/capture's end-to-end test; a process
killed mid-write is test_killed_writer.py.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text

from tests.helpers.db import url_of
from tests.helpers.logs import make_payload
from tests.helpers.paths import ROOT
from tests.helpers.processes import worker_env
from tooltrack.store.schema import task_logs

LOGS, CALLS = 8000, 10


def _ingest(url: str, path: Path) -> subprocess.Popen[str]:
    env = {**worker_env(), "TOOLTRACK_DATABASE_URL": url}
    tooltrack = Path(sys.executable).with_name("tooltrack")
    return subprocess.Popen(
        [str(tooltrack), "ingest", str(path)], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip


def _count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(task_logs)).scalar_one())


@pytest.mark.xfail(
    reason="known defect (open): with the alerts and slim rollups merged, an ingest whose connections are "
    "terminated stored 7,998 of 8,000 task logs once in the merged suite (stop 21); not reproduced alone yet",
    strict=False,
)
def test_ingest_survives_its_connections_being_terminated(postgresql_only: Engine, tmp_path: Path) -> None:
    engine = postgresql_only
    path = tmp_path / "big.jsonl"
    with path.open("w") as handle:
        for index in range(LOGS):
            handle.write(json.dumps(make_payload(index, calls=CALLS, namespace="fault")) + "\n")

    process = _ingest(url_of(engine), path)
    terminated = 0
    deadline = time.monotonic() + 120
    try:
        # Wait until the ingest has committed part of the file, then cut its connections, twice.
        while process.poll() is None and time.monotonic() < deadline and terminated < 2:
            stored = _count(engine)
            if 0 < stored < LOGS and stored >= terminated * 1000:
                with engine.connect() as connection:
                    killed = connection.execute(
                        text(
                            "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                            "AND backend_type = 'client backend'"
                        )
                    ).scalar_one()
                terminated += 1 if killed else 0
                time.sleep(0.05)
            time.sleep(0.01)
        output, _ = process.communicate(timeout=300)
    finally:
        if process.poll() is None:
            process.kill()
    first_exit = process.returncode
    print(f"first run: exit {first_exit}, {terminated} cuts, output tail:\n{output[-1500:]}")
    stored_after_first = _count(engine)
    assert terminated >= 1, "the ingest finished before its connection could be cut; make the file bigger"
    # Reported, not crashed: a clear message and a non-zero exit, or (if it reconnected) success.
    assert "Traceback" not in output, output[-3000:]
    if first_exit == 0:
        assert stored_after_first == LOGS
    else:
        assert stored_after_first < LOGS or "reject" in output.lower()

    rerun = _ingest(url_of(engine), path)
    rerun_output, _ = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, rerun_output[-3000:]
    with engine.connect() as connection:
        count, distinct = connection.execute(select(func.count(), func.count(task_logs.c.log_key.distinct()))).one()
        calls = connection.execute(text("SELECT sum(jsonb_array_length(tool_calls)) FROM task_logs")).scalar_one()
    assert count == distinct == LOGS
    assert calls == LOGS * CALLS
    assert os.path.getsize(path) > 0
