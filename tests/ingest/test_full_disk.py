"""A full disk stops the ingest with one clear message; what was stored before stays stored.

The database is made to refuse writes the way a full disk does, in the writer's own path: on
PostgreSQL a trigger raises SQLSTATE 53100 (disk_full, "could not extend file ... No space left on
device") from the server, through the driver; on SQLite a derived-structure maintainer raises the
driver's own `sqlite3.OperationalError("database or disk is full")` inside the insert's
transaction. Before, every remaining line was retried alone and listed as rejected, each with a
multi-line reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Connection, Engine, text

from tests.helpers.db import stored_logs
from tooltrack.ingest import chunks, ingest_file, pipeline
from tooltrack.store import DERIVED, InsertedLog, Maintainer, dialect_of

#: Logs whose adw_id starts with this find the disk full.
FULL = "full-"


def lines(good: int, refused: int) -> list[bytes]:
    def log(adw_id: str) -> bytes:
        call = {"tool_name": "Bash", "command": f"echo {adw_id}", "success": True, "duration_ms": 4}
        return orjson.dumps(
            {"adw_id": adw_id, "phase_name": "Build", "phase_status": "completed", "tool_calls": [call]}
        )

    return [log(f"run-{n}") for n in range(good)] + [log(f"{FULL}{n}") for n in range(refused)]


@pytest.fixture
def disk_full(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Make every insert of a log whose adw_id starts with `FULL` fail as on a full disk."""
    if dialect_of(engine).name == "postgresql":
        with engine.begin() as connection:
            connection.execute(
                text(
                    "CREATE FUNCTION tooltrack_test_disk_full() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.adw_id LIKE '{FULL}%' THEN RAISE EXCEPTION "
                    "'could not extend file \"base/16384/16385\": No space left on device' "
                    "USING ERRCODE = 'disk_full', HINT = 'Check free disk space.'; "
                    "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER tooltrack_test_disk_full BEFORE INSERT ON task_logs "
                    "FOR EACH ROW EXECUTE FUNCTION tooltrack_test_disk_full()"
                )
            )
        try:
            yield
        finally:
            with engine.begin() as connection:
                connection.execute(text("DROP TRIGGER tooltrack_test_disk_full ON task_logs"))
                connection.execute(text("DROP FUNCTION tooltrack_test_disk_full()"))
        return

    def refuse(_connection: Connection, inserted: Sequence[InsertedLog]) -> None:
        if any(log.adw_id.startswith(FULL) for log in inserted):
            raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setitem(
        DERIVED._maintainers, "zz_test_disk_full", Maintainer("zz_test_disk_full", refuse, lambda _c: None)
    )
    yield


def test_a_full_disk_stops_the_file_with_one_line_and_keeps_what_was_stored(
    engine: Engine, disk_full: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "BATCH_LOGS", 4)  # batches of 4 lines: 3 stored before the disk fills
    path = tmp_path / "spool.jsonl"
    path.write_bytes(b"\n".join(lines(12, 20)) + b"\n")
    report = ingest_file(engine, path)
    assert report.rejected == [] and report.rejected_count == 0
    assert report.error is not None and "\n" not in report.error
    assert report.error.startswith("the database is full (")
    assert any(words in report.error for words in ("database or disk is full", "No space left on device"))
    # The first line of the batch that found the disk full (on PostgreSQL two writers share a
    # batch: either may find it first).
    stopped_at = int(report.error.split("stopped at line ")[1].split(";")[0])
    assert stopped_at in range(13, 17)
    assert not report.ok
    stored = stored_logs(engine)
    assert sorted(log.adw_id for log in stored) == sorted(f"run-{n}" for n in range(12))
    assert report.task_logs_stored == len(stored) == 12


def test_the_error_names_the_driver_and_a_lone_line_is_stopped_too(
    engine: Engine, disk_full: None, tmp_path: Path
) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(lines(0, 1)[0] + b"\n")
    report = ingest_file(engine, path)
    assert report.rejected == []
    assert report.error is not None and report.error.startswith("the database is full (") and "line 1" in report.error


@pytest.mark.parametrize(
    "error",
    [
        sqlite3.OperationalError("database or disk is full"),
        OSError(28, "No space left on device"),
        RuntimeError('could not extend file "base/1/2": No space left on device'),
    ],
)
def test_what_counts_as_a_full_disk(error: BaseException) -> None:
    assert pipeline._storage_full(error) is not None
    wrapped = ValueError("while writing")
    wrapped.__cause__ = error
    assert pipeline._storage_full(wrapped) is not None
    assert pipeline._storage_full(sqlite3.IntegrityError("UNIQUE constraint failed: task_logs.log_key")) is None


def test_a_full_disk_stops_the_copy_path_too(
    engine: Engine, disk_full: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL, a child process preparing COPY batches (a large tooltrack JSONL file's way)."""
    if dialect_of(engine).name != "postgresql":
        pytest.skip("the child process prepares batches for PostgreSQL's COPY only")
    monkeypatch.setattr(chunks, "CHUNK_LINES", 4)  # chunks of 4 lines: 3 stored before the disk fills
    path = tmp_path / "spool.jsonl"
    path.write_bytes(b"\n".join(lines(12, 20)) + b"\n")
    report = ingest_file(engine, path, processes=1)
    assert report.rejected == []
    assert report.error is not None and report.error.startswith("the database is full (") and "\n" not in report.error
    assert sorted(log.adw_id for log in stored_logs(engine)) == sorted(f"run-{n}" for n in range(12))
