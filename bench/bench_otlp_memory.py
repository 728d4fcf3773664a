"""Memory of ingesting one large OTLP JSON document (a pretty-printed export), and its speed.

    python bench/bench_otlp_memory.py [--mb 139] [--source DIR] [--tracemalloc] [--keep PATH]

1. Writes a pretty-printed OTLP logs document (`{"resourceLogs": [...]}`, indent 2, as
   `json.dumps(..., indent=2)` writes it) of about `--mb` MB, from the records of the real export
   in tests/fixtures/claude-otel (its resource, scope and the attributes of each event kind it
   has: user_prompt, api_request, tool_result), with fresh ids, sequences, costs and sessions:
   per turn a prompt, one to four tool results each after an API request, and one more request
   (about 40 % of the records are tool results; tools Read, Bash, Edit, Grep, Glob, Write, Task).
2. Ingests it into a new SQLite database in a child process (`ingest_file`, format detected)
   and prints the child's peak resident memory (ru_maxrss), its wall and CPU time, and what it
   stored.
   With `--tracemalloc`, the child's Python allocation peak too (slower).
3. `--source DIR` runs the child on another checkout's `tooltrack` (imported from DIR), so the
   same document gives the figure before and after a change.

Figures on a shared machine: run it when nothing else is busy.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "claude-otel" / "otlp_logs_v2.1.226.json"
TOOLS = ["Read"] * 30 + ["Bash"] * 25 + ["Edit"] * 15 + ["Grep"] * 10 + ["Glob"] * 8 + ["Write"] * 7 + ["Task"] * 5

CHILD = """
import json, os, resource, sys, time, tracemalloc
if os.environ.get("BENCH_SOURCE"):  # another checkout's tooltrack, before this venv's editable install
    sys.meta_path = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")]
    sys.path.insert(0, os.environ["BENCH_SOURCE"])
from tooltrack.ingest import ingest_file
from tooltrack.store import make_engine, upgrade
path, url, trace = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
engine = make_engine(url)
upgrade(engine)
if trace:
    tracemalloc.start()
started = time.perf_counter()
report = ingest_file(engine, path)
seconds = time.perf_counter() - started
peak = tracemalloc.get_traced_memory()[1] if trace else None
import tooltrack
print(json.dumps({
    "code": tooltrack.__file__, "seconds": seconds, "traced_peak": peak, "format": report.format, "error": report.error,
    "task_logs": report.task_logs_stored, "tool_calls": report.tool_calls_stored,
    "rejected": report.rejected_count, "lines": report.lines,
    "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "cpu_seconds": sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
}))
"""


def _attribute(record: dict[str, Any], key: str, value: str) -> None:
    for attribute in record["attributes"]:
        if attribute["key"] == key:
            attribute["value"] = {"stringValue": value}
            return
    record["attributes"].append({"key": key, "value": {"stringValue": value}})


def write_document(path: Path, megabytes: float, seed: int = 7) -> int:
    """Write the document (see the module); returns how many log records it holds."""
    fixture = json.loads(FIXTURE.read_text())
    resource_logs = fixture["resourceLogs"][0]
    scope_logs = resource_logs["scopeLogs"][0]
    kinds = {record["body"]["stringValue"].removeprefix("claude_code."): record for record in scope_logs["logRecords"]}
    rng = random.Random(seed)
    target = int(megabytes * 1024 * 1024)
    # The document as json.dump(indent=2) writes it, one record at a time: the skeleton around a
    # placeholder, each record indented to the placeholder's column.
    skeleton = {"resourceLogs": [resource_logs | {"scopeLogs": [scope_logs | {"logRecords": ["@RECORDS@"]}]}]}
    head, tail = json.dumps(skeleton, indent=2).split('"@RECORDS@"')
    column = len(head) - head.rindex("\n") - 1
    records = 0
    size = len(head) + len(tail)
    sequence = 0
    session = 0
    with path.open("w") as handle:
        handle.write(head)
        while size < target:
            session += 1
            session_id = f"{session:08x}-bench-4000-8000-{rng.getrandbits(48):012x}"
            for turn in range(rng.randint(5, 40)):
                prompt_id = f"{session:06x}{turn:06x}-prompt"
                tools = [rng.choice(TOOLS) for _ in range(rng.randint(1, 4))]
                plan = ["user_prompt"] + ["api_request", "tool_result"] * len(tools) + ["api_request"]
                tool_iter = iter(tools)
                for kind in plan:
                    sequence += 1
                    record = json.loads(json.dumps(kinds[kind]))
                    _attribute(record, "session.id", session_id)
                    _attribute(record, "event.sequence", str(sequence))
                    _attribute(record, "prompt.id", prompt_id)
                    if kind == "tool_result":
                        _attribute(record, "tool_name", next(tool_iter))
                        _attribute(record, "tool_use_id", f"toolu_bench{sequence:012d}")
                        _attribute(record, "duration_ms", str(rng.randint(1, 9000)))
                        _attribute(record, "success", "true" if rng.random() > 0.08 else "false")
                    elif kind == "api_request":
                        _attribute(record, "cost_usd", f"{rng.random() / 20:.6f}")
                        _attribute(record, "input_tokens", str(rng.randint(1, 5000)))
                        _attribute(record, "output_tokens", str(rng.randint(1, 3000)))
                    text = json.dumps(record, indent=2).replace("\n", "\n" + " " * column)
                    if records:
                        text = ",\n" + " " * column + text
                    handle.write(text)
                    size += len(text)
                    records += 1
        handle.write(tail)
    return records


def measure(path: Path, source: Path | None, trace: bool) -> dict[str, Any]:
    """Ingest `path` in a child process; its figures and its peak resident memory."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ)
        if source is not None:
            env["BENCH_SOURCE"] = str(source.resolve())
        env.pop("TOOLTRACK_DATABASE_URL", None)
        started = time.perf_counter()
        result = subprocess.run(
            [sys.executable, "-c", CHILD, str(path), f"sqlite:///{folder}/bench.db", "1" if trace else "0"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"the child failed:\n{result.stderr}")
    figures: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    figures["wall_seconds"] = wall
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=float, default=139.0, help="size of the document (default 139)")
    parser.add_argument("--source", type=Path, help="a checkout whose tooltrack the child runs")
    parser.add_argument("--tracemalloc", action="store_true", help="also the child's tracemalloc peak (slower)")
    parser.add_argument("--keep", type=Path, help="write the document here and keep it (reused if it exists)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = args.keep or Path(folder) / "otlp.json"
        if not path.exists():
            started = time.perf_counter()
            records = write_document(path, args.mb)
            took = time.perf_counter() - started
            print(f"wrote {path.stat().st_size / 2**20:.1f} MB, {records:,} log records in {took:.1f} s")
        figures = measure(path, args.source, args.tracemalloc)
        size = path.stat().st_size / 2**20
    print(f"code: {figures['code']}")
    print(
        f"document {size:.1f} MB: format {figures['format']}, {figures['tool_calls']:,} tool calls in "
        f"{figures['task_logs']:,} task logs, {figures['rejected']} rejected, error {figures['error']}"
    )
    rate = size / figures["seconds"]
    print(f"ingest: {figures['seconds']:.1f} s ({rate:.1f} MB/s); child wall {figures['wall_seconds']:.1f} s")
    # CPU time says more than wall time on a machine other work shares.
    print(f"CPU time of the child (start-up and migration included): {figures['cpu_seconds']:.1f} s")
    peak = figures["peak_rss_mb"]
    print(f"peak resident memory of the child: {peak:.0f} MB ({peak / size:.2f} x the document)")
    if figures["traced_peak"] is not None:
        print(f"tracemalloc peak (Python allocations while ingesting): {figures['traced_peak'] / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
