"""Ingest throughput with run identity and cost attribution, beside another checkout's (before).

    nice python bench/bench_ingest_cost.py [--before /work/main] [--copies 40] [--calls 200000] [--repeat 3]

Builds two inputs once, in a temporary folder:

1. transcripts: every real transcript fixture (tests/fixtures/claude-transcripts, real/case1-resume,
   real/case3 main sessions, real/case7 transcripts), `--copies` times, each copy in a folder of
   its own with its session ids, tool_use ids and message ids renamed (so no copy repeats another:
   every call is stored, every message priced);
2. a tooltrack JSONL file of `--calls` demo-shaped calls (bench/bench_ingest.py's generator).

Then, alternating the two checkouts (this one, and `--before` with its own `.venv`), each ingests
each input into a fresh SQLite database in a child process of its own (`ingest_file` per file,
rollups on); each figure is the best of `--repeat` runs. It prints calls a second and MB a second
of wall-clock time for both, and the ratio of wall-clock and of CPU time (the process's, all
threads: on a loaded shared machine the steadier of the two). SQLite, so that the PostgreSQL
server other work shares does not decide the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
SOURCES = [
    *sorted((FIXTURES / "claude-transcripts").glob("*.jsonl")),
    *sorted((FIXTURES / "real/case1-resume").rglob("*.jsonl")),
    *sorted((FIXTURES / "real/case3-subagent-files/omarchy-backup-v2.1.97/projects").rglob("????????-*.jsonl")),
    *sorted((FIXTURES / "real/case7-usage-init-mcp-compact/transcripts").glob("*.jsonl")),
]

CHILD = r"""
import json, sys, time, tempfile
from pathlib import Path
from tooltrack.store import make_engine, upgrade
from tooltrack.ingest import ingest_file
paths = [Path(p) for p in json.loads(Path(sys.argv[1]).read_text())]
folder = tempfile.mkdtemp()
engine = make_engine(f"sqlite:///{folder}/bench.db")
upgrade(engine)
start, cpu = time.perf_counter(), time.process_time()
calls = 0
for path in paths:
    calls += ingest_file(engine, path).tool_calls_stored
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "calls": calls}))
"""


def make_transcripts(target: Path, copies: int) -> list[Path]:
    """`copies` renamed copies of every source transcript, a folder per copy."""
    made = []
    for copy in range(copies):
        folder = target / f"copy{copy}"
        folder.mkdir(parents=True)
        renames: dict[str, str] = {}
        for source in SOURCES:
            text = source.read_text(encoding="utf-8")
            for old in set(re.findall(r'"sessionId":"([^"]+)"', text)):
                renames.setdefault(old, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{copy}:{old}")))
            for old, new in renames.items():
                text = text.replace(old, new)
            text = text.replace('"toolu_', f'"toolu_c{copy}x').replace('"msg_', f'"msg_c{copy}x')
            name = renames.get(source.stem, source.stem)
            path = folder / f"{name}.jsonl"
            path.write_text(text, encoding="utf-8")
            made.append(path)
    return made


def make_jsonl(target: Path, calls: int) -> list[Path]:
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_ingest import call_pool, write_jsonl

    path = target / "tooltrack.jsonl"
    write_jsonl(path, calls, 100, call_pool(5000))
    return [path]


def run(tree: Path, paths_file: Path) -> dict[str, float]:
    python = tree / ".venv" / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run(
        [str(python), "-c", CHILD, str(paths_file)], cwd=tree, env=env, check=True, capture_output=True, text=True
    ).stdout
    result: dict[str, float] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, default=Path("/work/main"))
    parser.add_argument("--copies", type=int, default=40)
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        base = Path(work)
        inputs = {
            "transcripts": make_transcripts(base / "transcripts", args.copies),
            "tooltrack JSONL": make_jsonl(base, args.calls),
        }
        print(f"before: {args.before} ({_head(args.before)}); after: {ROOT} ({_head(ROOT)}); load {_load()}")
        print("| input | MB | calls | before calls/s | after calls/s | after / before | CPU s before / after ", end="")
        print("| CPU after / before |")
        print("|---|---|---|---|---|---|---|---|")
        for name, paths in inputs.items():
            paths_file = base / f"{name.replace(' ', '_')}.json"
            paths_file.write_text(json.dumps([str(p) for p in paths]))
            size = sum(p.stat().st_size for p in paths) / 1e6
            best = {"before": float("inf"), "after": float("inf")}
            cpu = {"before": float("inf"), "after": float("inf")}
            calls = {}
            for _ in range(args.repeat):
                for label, tree in (("before", args.before), ("after", ROOT)):
                    result = run(tree, paths_file)
                    best[label] = min(best[label], result["seconds"])
                    cpu[label] = min(cpu[label], result["cpu"])
                    calls[label] = int(result["calls"])
            rate = {k: calls[k] / best[k] for k in best}
            cells = [f"{rate[k]:,.0f} ({size / best[k]:.2f} MB/s)" for k in ("before", "after")]
            ratio = rate["after"] / rate["before"]
            cpus = f"{cpu['before']:.2f} / {cpu['after']:.2f}"
            cpu_ratio = cpu["before"] / cpu["after"]  # throughput ratio: the inverse of the time ratio
            row = [name, f"{size:.1f}", f"{calls['after']:,}", *cells, f"{ratio:.1%}", cpus, f"{cpu_ratio:.1%}"]
            print("| " + " | ".join(row) + " |")


def _head(tree: Path) -> str:
    found = subprocess.run(["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    return found.stdout.strip()


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
