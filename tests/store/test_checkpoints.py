"""Migration 0011 (ingest checkpoints) on a database with rows in place, and the store's checkpoint calls."""

from __future__ import annotations

from sqlalchemy import inspect

from tests.helpers.sample_data import task_log
from tooltrack.store import (
    Checkpoint,
    TaskLogRepository,
    forget_checkpoints,
    load_checkpoints,
    make_engine,
    save_checkpoint,
)
from tooltrack.store.migrate import downgrade, upgrade


def _checkpoint(path: str, offset: int) -> Checkpoint:
    return Checkpoint(
        path=path,
        device=2049,
        inode=2**40 + 7,  # inode and device numbers beyond 32 bits
        size=offset + 10,
        mtime_ns=1_796_150_010_123_456_789,
        resume_offset=offset,
        resume_line=3,
        pending_calls=0,
        head_hash="a" * 32,
        tail_hash="b" * 32,
        format="claude-transcript",
    )


def test_upgrade_to_0011_keeps_rows_and_checkpoints_round_trip(blank_database_url: str) -> None:
    engine = make_engine(blank_database_url)
    # Rows are written by today's code (its derived tables exist only at head), then taken down to 0010.
    upgrade(engine)
    stored = TaskLogRepository(engine).create(task_log(log_key="kept-through-0011"))
    downgrade(engine, "0010")
    assert "ingest_checkpoints" not in inspect(engine).get_table_names()

    upgrade(engine)

    assert TaskLogRepository(engine).get(stored.id) is not None
    long_path = "/home/u/.claude/projects/" + "é" * 2000 + "/session.jsonl"  # past a b-tree entry's limit
    save_checkpoint(engine, _checkpoint("/a.jsonl", 100))
    save_checkpoint(engine, _checkpoint(long_path, 5))
    save_checkpoint(engine, _checkpoint("/a.jsonl", 200))  # replaces the first
    found = load_checkpoints(engine, ["/a.jsonl", long_path, "/never-read.jsonl"])
    assert found == {"/a.jsonl": _checkpoint("/a.jsonl", 200), long_path: _checkpoint(long_path, 5)}
    forget_checkpoints(engine, ["/a.jsonl"])
    assert set(load_checkpoints(engine, ["/a.jsonl", long_path])) == {long_path}

    downgrade(engine, "0010")
    assert "ingest_checkpoints" not in inspect(engine).get_table_names()
    assert TaskLogRepository(engine).get(stored.id) is not None
    engine.dispose()
