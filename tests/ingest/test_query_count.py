"""The ingest's duplicate checks cost the same whatever the database holds.

Every duplicate check of an ingest is served by an index or by call identity (`tooltrack.store.identity`:
the keys of a batch looked up through the unique `log_key` index, its call ids claimed through the
primary key of `tool_call_ids`), in a fixed number of statements per batch. Before call identity
the check ran once per task log as `adw_id = ... OR log_key LIKE 'claude:<session>:%'`, which no
index serves and whose cost grew with every log stored.

The same real files are ingested into a database holding 10 stored logs and one holding 1,000:
the statements sent must be the same in number, and the database's own plan for each statement
that reads `task_logs` or `tool_call_ids` must use an index (SQLite: no `SCAN` of them; PostgreSQL,
with sequential scans priced out: no `Seq Scan` on them), so no lookup grows with what is stored.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from tests.helpers.sample_data import task_log
from tooltrack.ingest import ingest_files
from tooltrack.store import TaskLogRepository, metadata

SOURCES = (
    "claude-transcripts/spotter-tool_heavy-v2.1.38.jsonl",
    "claude-transcripts/spotter-errors-hooks-v2.1.39.jsonl",
    "claude-transcripts/viewer-sample-v1.0.108.jsonl",
    "real/case3-subagent-files/spotter-v2.1.39/ae4a77f8-aedd-4bc1-888f-c94edc91af04.jsonl",
    "claude-stream-json/review-node.jsonl",
)


@contextmanager
def _statements(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def count(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _empty(engine: Engine) -> None:
    with engine.begin() as connection:
        for table in reversed(metadata.sorted_tables):
            connection.execute(table.delete())


def _fill(engine: Engine, logs: int) -> None:
    """`logs` stored task logs (each with calls that have ids), as earlier runs would have left."""
    repository = TaskLogRepository(engine)
    for start in range(0, logs, 250):
        repository.create_many(
            [task_log(log_key=f"earlier-{n}", adw_id=f"earlier-run-{n}") for n in range(start, min(logs, start + 250))]
        )


def _ingest_counted(engine: Engine, files: list[Path]) -> list[tuple[str, Any]]:
    with _statements(engine) as sent:
        reports = list(ingest_files(engine, files, reread=True))
    assert all(r.error is None for r in reports) and sum(r.tool_calls_stored for r in reports) >= 20
    return sent


def test_the_statements_of_an_ingest_do_not_grow_with_the_logs_stored(
    engine: Engine, fixtures_dir: Path, tmp_path: Path
) -> None:
    files = []
    for source in SOURCES:
        target = tmp_path / "projects" / Path(source).name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fixtures_dir / source, target)
        files.append(target)

    _fill(engine, 10)
    few = _ingest_counted(engine, files)
    _empty(engine)
    _fill(engine, 1000)
    many = _ingest_counted(engine, files)

    assert len(many) == len(few), f"{len(few)} statements with 10 logs stored, {len(many)} with 1,000"
    # A fixed number per file and batch, not per log: these files make 20-odd task logs.
    assert len(few) <= 40 * len(files)
    lookups = {
        statement: parameters
        for statement, parameters in many
        if statement.lstrip().upper().startswith("SELECT") and re.search(r"\b(task_logs|tool_call_ids)\b", statement)
    }
    assert lookups  # the keys and call ids of each batch are looked up
    for statement, parameters in lookups.items():
        plan = _plan(engine, statement, parameters)
        assert not re.search(r"(SCAN|Seq Scan on) (task_logs|tool_call_ids)\b", plan), f"{statement}\n{plan}"


def _plan(engine: Engine, statement: str, parameters: Any) -> str:
    """The database's plan for a statement the ingest sent (with the parameters it sent)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(str(row[-1]) for row in rows)
        connection.exec_driver_sql("SET enable_seqscan = off")  # an index that can serve it is used
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(str(row[0]) for row in rows)
