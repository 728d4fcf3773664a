"""Ingest of a `~/.claude/projects`-like folder of real transcripts, beside a bare orjson parse of it.

    python bench/bench_transcripts.py [--mb 500] [--file-kb 500] [--folder DIR] [--server URL]
                                      [--database NAME] [--repeat 3] [--skip-postgresql]

1. Generates (afresh each run) a folder of about `--mb` MB of
   transcripts made of the real Claude Code sessions in tests/fixtures (claude-transcripts and the
   real/ cases 1, 3 and 7, sub-agent files left out): each file is renamed copies of them, one
   after the other, up to about `--file-kb` KB (a resumed session holds several session ids
   too). Every copy gets its own session id, message uuids, tool_use ids and message ids (each id
   mapped through a digest of the id and the copy's number), so no two copies share a call.
2. Times, in one run: a bare orjson parse of every line of every file (the floor); the first
   ingest into an empty SQLite database; the re-ingest with nothing new (every file skipped by
   its checkpoint: `--repeat` runs, the median), in process and as `tooltrack ingest` (a new
   process, its imports and the migration check included); the same two on PostgreSQL (a database
   `--database` made for the run and dropped after it); then an ingest after lines were appended
   to 50 files (read from their checkpoints), on each database.
3. Prints the table of the issue: time, MB/s, and the factor against the floor.

Figures are wall-clock on a shared machine: run it with `nice`, once, when little else runs.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import orjson
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tooltrack.ingest import FileReport, expand_paths, ingest_files
from tooltrack.store import make_engine, upgrade

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SOURCE_FOLDERS = (
    "claude-transcripts",
    "real/case1-resume",
    "real/case3-subagent-files",
    "real/case7-usage-init-mcp-compact/transcripts",
)
DEFAULT_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
#: The ids a copy renames: uuids (sessionId, uuid, parentUuid, ...), tool_use ids, message ids.
_IDS = re.compile(
    rb"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|toolu_[A-Za-z0-9]{8,40}|msg_[A-Za-z0-9]{8,40})"
)
APPENDED_FILES = 50


def sources() -> list[Path]:
    """The real session transcripts copied (sub-agent files, which need their session's folder, left out)."""
    found = []
    for folder in SOURCE_FOLDERS:
        for path in sorted((FIXTURES / folder).rglob("*.jsonl")):
            if not path.name.startswith("agent-") and "subagents" not in path.parts:
                found.append(path)
    return found


class Template:
    """A source file cut into literal bytes and ids, so that a renamed copy is one join."""

    def __init__(self, path: Path) -> None:
        data = path.read_bytes()
        if not data.endswith(b"\n"):
            data += b"\n"
        self.parts = _IDS.split(data)  # literal, id, literal, id, ...
        self.size = len(data)

    def copy(self, number: int) -> bytes:
        salt = b":%d" % number
        mapped: dict[bytes, bytes] = {}
        out = []
        for index, part in enumerate(self.parts):
            if index % 2 == 0:
                out.append(part)
                continue
            new = mapped.get(part)
            if new is None:
                new = mapped[part] = _renamed(part, salt)
            out.append(new)
        return b"".join(out)


def _renamed(identifier: bytes, salt: bytes) -> bytes:
    digest = hashlib.blake2b(identifier + salt, digest_size=16).hexdigest().encode()
    if identifier.startswith((b"toolu_", b"msg_")):
        prefix, _, rest = identifier.partition(b"_")
        return prefix + b"_" + digest[: max(len(rest), 24)]
    return b"-".join((digest[:8], digest[8:12], digest[12:16], digest[16:20], digest[20:32]))


def generate(folder: Path, megabytes: int, file_kb: int) -> tuple[int, int]:
    """Write the folder afresh (a run appends to its files); the files and bytes written."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    templates = [Template(path) for path in sources()]
    total = files = copy = 0
    while total < megabytes * 1024 * 1024:
        parts: list[bytes] = []
        size = 0
        while size < file_kb * 1024:
            copy += 1
            data = templates[copy % len(templates)].copy(copy)
            parts.append(data)
            size += len(data)
        project = folder / f"-home-user-project-{files % 40:02d}"
        project.mkdir(exist_ok=True)
        session = _renamed(b"00000000-0000-0000-0000-000000000000", b":file%d" % files).decode()
        (project / f"{session}.jsonl").write_bytes(b"".join(parts))
        total += size
        files += 1
    return files, total


def parse_floor(paths: list[Path]) -> float:
    """Seconds to read every file and orjson-parse every line (nothing else)."""
    started = time.perf_counter()
    loads = orjson.loads
    for path in paths:
        for line in path.read_bytes().splitlines():
            if line:
                loads(line)
    return time.perf_counter() - started


def ingest_all(url: str, paths: list[Path]) -> tuple[float, list[FileReport]]:
    """Seconds of `ingest_files` over `paths` in this process; the reports carry the CPU seconds
    it took in this process as `cpu_seconds` (the writer threads' included)."""
    engine = make_engine(url)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        reports = list(ingest_files(engine, paths))
        _CPU.append(time.process_time() - cpu)
        return time.perf_counter() - started, reports
    finally:
        engine.dispose()


#: CPU seconds of each `ingest_all`, in order (on a loaded machine wall time is mostly waiting).
_CPU: list[float] = []


def cli_ingest(url: str, folder: Path, cpu: list[float]) -> float:
    """Seconds of `tooltrack ingest FOLDER` as a user runs it (a new process); its CPU seconds
    (user and system) are added to `cpu` (on a loaded machine the wall time is mostly waiting)."""
    env = dict(os.environ, TOOLTRACK_DATABASE_URL=url)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "tooltrack.cli", "ingest", str(folder)], env=env, check=False, capture_output=True
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return seconds


def median(action: Callable[[], float], runs: int) -> float:
    return statistics.median(action() for _ in range(runs))


def append_lines(paths: list[Path], number: int) -> int:
    """Append a renamed copy of a source session to each of `paths`; the bytes added."""
    templates = [Template(path) for path in sources()]
    added = 0
    for index, path in enumerate(paths):
        data = templates[index % len(templates)].copy(10_000_000 + number * 1000 + index)
        with path.open("ab") as handle:
            handle.write(data)
        added += len(data)
    return added


def summary(reports: list[FileReport]) -> str:
    """What the ingest stored and skipped, with the CPU time of the last `ingest_all`."""
    calls = sum(r.tool_calls_stored for r in reports)
    repeated = sum(r.duplicate_tool_calls for r in reports)
    skipped = sum(1 for r in reports if r.skipped)
    errors = sum(1 for r in reports if r.error)
    cpu = f"CPU {_CPU[-1]:.2f} s; " if _CPU else ""
    return f"{cpu}{calls:,} calls stored, {repeated:,} already stored, {skipped} files skipped, {errors} errors"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0], formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--mb", type=int, default=500, help="size of the generated folder (MB)")
    parser.add_argument("--file-kb", type=int, default=500, help="about how large each file is (KB)")
    parser.add_argument("--folder", type=Path, help="where the folder is generated (default: a folder in /tmp)")
    parser.add_argument("--server", default=os.environ.get("TOOLTRACK_BENCH_SERVER_URL") or DEFAULT_SERVER)
    parser.add_argument(
        "--database", default="tooltrack_bench_transcripts", help="PostgreSQL database made and dropped"
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each no-op re-ingest (the median is shown)")
    parser.add_argument("--skip-postgresql", action="store_true")
    args = parser.parse_args(argv)

    folder = args.folder or Path(tempfile.gettempdir()) / f"tooltrack-bench-transcripts-{args.mb}mb"
    files, size = generate(folder, args.mb, args.file_kb)
    paths = list(expand_paths([folder]))
    mb = size / 1024 / 1024
    print(f"folder: {folder}: {files:,} files, {mb:,.0f} MB (renamed copies of {len(sources())} real sessions)")
    rows: list[tuple[str, float, float | None, str]] = []
    floor = min(parse_floor(paths) for _ in range(2))
    rows.append(("bare orjson parse of every line (floor)", floor, mb, ""))

    databases: list[tuple[str, str]] = []
    work = Path(tempfile.mkdtemp(prefix="tooltrack-bench-transcripts-"))
    databases.append(("SQLite", f"sqlite:///{work / 'bench.db'}"))
    admin = None
    if not args.skip_postgresql:
        server = make_url(args.server)
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{args.database}"'))
        databases.append(("PostgreSQL", server.set(database=args.database).render_as_string(hide_password=False)))
    try:
        for label, url in databases:
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            seconds, reports = ingest_all(url, paths)
            rows.append((f"{label}, first ingest", seconds, mb, summary(reports)))
            noop_reports: list[FileReport] = []

            def noop(url: str = url, into: list[FileReport] = noop_reports, paths: list[Path] = paths) -> float:
                seconds, reports = ingest_all(url, paths)
                into[:] = reports
                return seconds

            rows.append((f"{label}, second ingest, nothing new", median(noop, args.repeat), mb, summary(noop_reports)))
            cpu: list[float] = []
            cli = median(lambda url=url, cpu=cpu: cli_ingest(url, folder, cpu), args.repeat)  # type: ignore[misc]
            rows.append(
                (
                    f"{label}, second ingest, nothing new, `tooltrack ingest` (new process)",
                    cli,
                    mb,
                    f"CPU {statistics.median(cpu):.2f} s (imports, migration check, stat of every file)",
                )
            )
            grown = paths[:: max(1, len(paths) // APPENDED_FILES)][:APPENDED_FILES]
            added = append_lines(grown, len(rows))
            seconds, reports = ingest_all(url, paths)
            read = sum(r.bytes_read for r in reports)
            rows.append(
                (
                    f"{label}, {len(grown)} files grown by {added / 1024 / 1024:.1f} MB",
                    seconds,
                    None,
                    f"{read / 1024 / 1024:.1f} MB read; " + summary(reports),
                )
            )
            # The grown files back to their first size is not needed: the next database reads
            # the folder as it is now (its first ingest is of the grown folder).
            paths = list(expand_paths([folder]))
            mb = sum(p.stat().st_size for p in paths) / 1024 / 1024
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{args.database}" WITH (FORCE)'))
            admin.dispose()

    print(f"\n| what | time | MB/s | vs the bare parse ({floor:.2f} s) | |")
    print("|---|---|---|---|---|")
    for label, seconds, size_mb, note in rows:
        rate = f"{size_mb / seconds:,.0f}" if size_mb else "-"
        factor = "1.0x" if label.startswith("bare") else f"{seconds / floor:.2f}x"
        print(f"| {label} | {seconds:.2f} s | {rate} | {factor} | {note} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
