"""Concurrent readers and writers on one database: nothing lost, nothing twice, no torn reads.

Runs on SQLite (one WAL file shared by threads and processes; "database is locked" must never
surface) and on PostgreSQL.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine, func, select

from tests.helpers.db import stored_count, stored_keys, url_of
from tests.helpers.logs import make_log
from tests.helpers.processes import finish_worker, start_worker
from tooltrack.store import TaskLogRepository
from tooltrack.store.keys import task_log_key
from tooltrack.store.schema import task_logs

GROUP = 7  # logs per transaction: a reader must only ever see whole multiples of it


def test_readers_beside_writers_see_only_whole_transactions(engine: Engine) -> None:
    url = url_of(engine)
    groups_per_writer = 30
    in_thread = range(0, GROUP * groups_per_writer)
    in_process = range(GROUP * groups_per_writer, 2 * GROUP * groups_per_writer)
    repository = TaskLogRepository(engine)
    done = threading.Event()
    thread_errors: list[str] = []
    torn: list[int] = []
    reads = [0, 0]

    def writer() -> None:
        try:
            for start in range(in_thread.start, in_thread.stop, GROUP):
                repository.create_many([make_log(i) for i in range(start, start + GROUP)])
        except Exception as exc:
            thread_errors.append(f"writer: {type(exc).__name__}: {exc}")
        finally:
            done.set()

    def reader(slot: int) -> None:
        last = 0
        while not done.is_set():
            try:
                with engine.connect() as connection:
                    count = int(connection.execute(select(func.count()).select_from(task_logs)).scalar_one())
                    # A second read in the same transaction: a consistent snapshot on both databases.
                    version = TaskLogRepository(engine).data_version()
            except Exception as exc:
                thread_errors.append(f"reader: {type(exc).__name__}: {exc}")
                return
            reads[slot] += 1
            if count % GROUP or version[1] % GROUP:
                torn.append(count)
            if count < last:
                thread_errors.append(f"count went back from {last} to {count}")
            last = count

    reader_process = start_worker("read-loop", url, "--seconds", "4", "--group", str(GROUP))
    writer_process = start_worker(
        "write", url, "--range", f"{in_process.start}:{in_process.stop}", "--batch", str(GROUP), "--seed", "1"
    )
    threads = [threading.Thread(target=writer), *(threading.Thread(target=reader, args=(n,)) for n in range(2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    written = finish_worker(writer_process)
    read = finish_worker(reader_process)

    assert thread_errors == []
    assert written["errors"] == []
    assert read["errors"] == [] and read["torn"] == [] and read["backwards"] == []
    assert torn == []
    assert read["reads"] > 0 and min(reads) > 0
    expected = {task_log_key(make_log(i)) for i in [*in_thread, *in_process]}
    keys = stored_keys(engine)
    assert len(keys) == len(expected) and set(keys) == expected


def test_concurrent_writers_with_overlapping_duplicates_store_each_log_once(engine: Engine) -> None:
    url = url_of(engine)
    # Four processes, overlapping ranges, each in its own shuffled order: every log from 0 to
    # 399 is sent by two to four writers at about the same time.
    ranges = ["0:240", "80:320", "160:400", "0:400"]
    processes = [
        start_worker("write", url, "--range", r, "--batch", "40", "--seed", str(seed)) for seed, r in enumerate(ranges)
    ]
    started = time.monotonic()
    results = [finish_worker(p) for p in processes]
    assert time.monotonic() - started < 300

    # What is stored first (the workers retry a failed batch, as a client would).
    expected = {task_log_key(make_log(i)) for i in range(400)}
    keys = stored_keys(engine)
    assert len(keys) == 400 and set(keys) == expected
    assert stored_count(engine) == 400
    repository = TaskLogRepository(engine)
    calls = sum(len(log.tool_calls) for run in range(100) for log in repository.list_by_adw_id(f"rel-{run}"))
    assert calls == 400 * 5
    # No error at all, deadlocks included: both write paths insert in log_key order, so two
    # transactions holding overlapping keys wait on each other in the same order (docs/reliability.md).
    errors = [error for r in results for error in r["errors"]]
    assert errors == []
    assert sum(int(r["created"]) for r in results) == 400  # each log created by exactly one writer
