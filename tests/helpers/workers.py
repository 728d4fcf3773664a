"""Worker processes for the reliability tests: run as `python -m tests.helpers.workers ...`.

Each command prints one JSON line on stdout describing what it did, so the test that started it
can check the outcome without sharing memory with it. They are separate processes (not threads)
because the tests are about separate processes: separate connections, separate pools, and a
process that can be killed with SIGKILL.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
import traceback
from collections.abc import Sequence

from sqlalchemy import Connection, func, select

from tests.helpers.logs import make_log
from tooltrack.store import DERIVED, InsertedLog, Maintainer, TaskLogRepository, make_engine
from tooltrack.store.schema import task_logs


def _emit(**values: object) -> None:
    sys.stdout.write(json.dumps(values) + "\n")
    sys.stdout.flush()


def write(url: str, indices: Sequence[int], *, batch: int, calls: int, seed: int) -> None:
    """Store the logs `indices` (shuffled) in batches; report what was created and every error."""
    order = list(indices)
    random.Random(seed).shuffle(order)
    engine = make_engine(url)
    repository = TaskLogRepository(engine)
    created = 0
    errors: list[str] = []
    for start in range(0, len(order), batch):
        logs = [make_log(i, calls=calls) for i in order[start : start + batch]]
        for attempt in range(3):
            try:
                created += sum(r.created for r in repository.create_many(logs))
                break
            except Exception as exc:  # reported to the test, which fails on any
                errors.append(f"attempt {attempt}: {type(exc).__name__}: {str(exc).splitlines()[0]}")
    engine.dispose()
    _emit(created=created, errors=errors)


def write_and_hang(url: str, count: int, *, calls: int) -> None:
    """Store `count` logs in one `create_many` and stop inside its transaction, after the INSERTs.

    A derived-structure maintainer (the hook the write path calls in the insert's own
    transaction, before commit) announces itself and then waits to be killed.
    """

    def hang(_connection: Connection, inserted: Sequence[InsertedLog]) -> None:
        _emit(state="inserted-not-committed", rows=len(inserted))
        time.sleep(600)

    DERIVED.register(Maintainer("zz_reliability_hang", on_insert=hang, rebuild=lambda _c: None))
    engine = make_engine(url)
    TaskLogRepository(engine).create_many([make_log(i, calls=calls) for i in range(count)])
    _emit(state="committed")  # never reached: the test kills us first


def write_forever(url: str, count: int, *, batch: int, calls: int) -> None:
    """Store logs 0..count-1 in batches, announcing each commit (killed at some point by the test)."""
    engine = make_engine(url)
    repository = TaskLogRepository(engine)
    _emit(state="started")
    for start in range(0, count, batch):
        repository.create_many([make_log(i, calls=calls) for i in range(start, min(count, start + batch))])
        _emit(state="committed", upto=min(count, start + batch))


def read_loop(url: str, seconds: float, group: int) -> None:
    """Read counts until `seconds` pass: every count seen must be a whole number of groups.

    The writer stores logs in groups of `group` per transaction, so a count that is not a
    multiple of `group` means a reader saw half a transaction.
    """
    engine = make_engine(url)
    deadline = time.monotonic() + seconds
    reads = 0
    errors: list[str] = []
    torn: list[int] = []
    last = 0
    backwards: list[tuple[int, int]] = []
    while time.monotonic() < deadline:
        try:
            with engine.connect() as connection:
                count = int(connection.execute(select(func.count()).select_from(task_logs)).scalar_one())
            reads += 1
            if count % group:
                torn.append(count)
            if count < last:
                backwards.append((last, count))
            last = count
        except Exception as exc:
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
    engine.dispose()
    _emit(reads=reads, errors=errors[:20], torn=torn[:20], backwards=backwards[:20], last=last)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="workers")
    sub = parser.add_subparsers(dest="command", required=True)
    w = sub.add_parser("write")
    w.add_argument("url")
    w.add_argument("--range", required=True, help="start:stop")
    w.add_argument("--batch", type=int, default=50)
    w.add_argument("--calls", type=int, default=5)
    w.add_argument("--seed", type=int, default=0)
    h = sub.add_parser("write-and-hang")
    h.add_argument("url")
    h.add_argument("--count", type=int, required=True)
    h.add_argument("--calls", type=int, default=5)
    f = sub.add_parser("write-forever")
    f.add_argument("url")
    f.add_argument("--count", type=int, required=True)
    f.add_argument("--batch", type=int, default=100)
    f.add_argument("--calls", type=int, default=5)
    r = sub.add_parser("read-loop")
    r.add_argument("url")
    r.add_argument("--seconds", type=float, default=3.0)
    r.add_argument("--group", type=int, default=1)
    args = parser.parse_args(argv)
    try:
        if args.command == "write":
            start, stop = (int(x) for x in args.range.split(":"))
            write(args.url, range(start, stop), batch=args.batch, calls=args.calls, seed=args.seed)
        elif args.command == "write-and-hang":
            write_and_hang(args.url, args.count, calls=args.calls)
        elif args.command == "write-forever":
            write_forever(args.url, args.count, batch=args.batch, calls=args.calls)
        else:
            read_loop(args.url, args.seconds, args.group)
    except Exception:
        _emit(crashed=traceback.format_exc())
        raise


if __name__ == "__main__":
    main()
