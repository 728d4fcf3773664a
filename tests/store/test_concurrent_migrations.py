"""Several processes migrating one new database at once all succeed, on both databases.

Three ingests started together on a new PostgreSQL database used to fail with `relation
"task_logs" already exists`: each saw no tables and ran 0001. `tooltrack.store.migrate` now takes a
lock for the whole run (an advisory lock on PostgreSQL, the write lock on SQLite), so one process
migrates and the others find the database at head. Each child waits for a common start time, so
the runs overlap; every one must exit 0 and the database must end at head with each table once.
"""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import inspect

from tests.helpers.paths import ROOT
from tests.helpers.processes import subprocess_env
from tooltrack.store import current_revision, head_revisions, make_engine, metadata

PROCESSES = 4
CHILD = """
import sys, time
from tooltrack.store import make_engine, upgrade
url, start = sys.argv[1], float(sys.argv[2])
engine = make_engine(url)
time.sleep(max(0.0, start - time.time()))
upgrade(engine)
engine.dispose()
"""


def _error_line(stderr: str) -> str:
    """The line of a child's traceback that names the exception (SQLAlchemy adds a link after it)."""
    lines = [line for line in stderr.splitlines() if "Error" in line and not line.startswith(" ")]
    return lines[-1] if lines else stderr[-500:]


@pytest.mark.parametrize("attempt", range(3))
def test_processes_migrating_a_new_database_at_once_all_succeed(blank_database_url: str, attempt: int) -> None:
    # Far enough ahead that every child has imported tooltrack before the start.
    start = time.time() + 4.0
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, blank_database_url, str(start)],
            cwd=ROOT,
            env=subprocess_env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(PROCESSES)
    ]
    results = [(child.wait(timeout=300), child.communicate()[1]) for child in children]
    failed = [_error_line(err) for code, err in results if code != 0]
    assert not failed, failed

    engine = make_engine(blank_database_url)
    try:
        assert current_revision(engine) == head_revisions()[0]
        assert set(metadata.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
