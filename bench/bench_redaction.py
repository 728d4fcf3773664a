"""Redaction cost per tool call, on rows shaped as the bulk ingest path redacts them.

    python bench/bench_redaction.py [--calls 200000] [--per-log 100] [--repeat 5] [--against FILE]

Builds task log rows the way `tooltrack.store.bulk.keyed_row` gets them (the demo generator's calls,
via bench_ingest's `call_pool`, in logs of `--per-log` calls, dumped to JSON-ready values) and
times `redact_row` over them: the best of `--repeat` passes, each on fresh copies (the copying is
not timed), printed as µs per tool call. Then the same rows with one call in 100 running a text of
the secrets corpus (tests/reliability/secrets_corpus.jsonl) as its command: an ordinary look-alike
(`git log -p`, `export MAX_TOKENS=4096`: trigger words, nothing to redact), or a planted secret
(every row then has something to replace). Last, `redact_text` alone on each corpus text.

`--against FILE` times another version of `redaction.py` on the same rows for a before/after:

    git show <commit>:tooltrack/core/redaction.py > /tmp/redaction_before.py
    python bench/bench_redaction.py --against /tmp/redaction_before.py

Times are CPU time of this process (`time.process_time`), best of the passes, so other work on a
shared machine disturbs them less than wall-clock (caches are still shared).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import random
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from bench_ingest import call_pool

import tooltrack.core.redaction as current
from tooltrack.models import TaskLogCreate

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "reliability" / "secrets_corpus.jsonl"


def build_rows(calls: int, per_log: int, seed: int = 5) -> list[dict[str, Any]]:
    """Rows as `keyed_row` hands them to `redact_row` (validated, dumped to JSON-ready values)."""
    pool = call_pool(min(calls, 50_000))
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    written = 0
    while written < calls:
        n = min(per_log, calls - written)
        first = rng.randrange(0, max(1, len(pool) - n))
        log = TaskLogCreate.model_validate({
            "adw_id": f"bench-{len(rows) // 5:06d}",
            "workflow_template": "adw_sdlc",
            "phase_name": ["Plan", "Build", "Test", "Review", "Document"][len(rows) % 5],
            "phase_number": len(rows) % 5 + 1,
            "phase_status": "completed",
            "log_message": "phase completed",
            "started_at": "2026-10-01T10:00:00Z",
            "tokens_used": 50_000 + len(rows),
            "tool_calls": pool[first : first + n],
            "source": "bench",
        })  # fmt: skip
        rows.append(log.model_dump(mode="json", exclude_none=True, exclude={"log_key"}))
        written += n
    return rows


def plant(rows: list[dict[str, Any]], texts: list[str], every: int = 100) -> list[dict[str, Any]]:
    """A copy of `rows` in which every `every`-th call runs one of `texts` as its command."""
    planted: list[dict[str, Any]] = orjson.loads(orjson.dumps(rows))
    calls = [call for row in planted for call in row["tool_calls"]]
    for number, call in enumerate(calls[::every]):
        call["command"] = texts[number % len(texts)]
    return planted


def load_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"redaction_{path.stem}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_rows(module: ModuleType, rows: list[dict[str, Any]], repeat: int) -> float:
    """Best seconds for one `redact_row` pass over fresh copies of `rows`."""
    frozen = orjson.dumps(rows)
    best = float("inf")
    for _ in range(repeat):
        copies = orjson.loads(frozen)  # redact_row works in place: each pass gets untouched rows
        redact_row = module.redact_row
        started = time.process_time()
        for row in copies:
            redact_row(row)
        best = min(best, time.process_time() - started)
    return best


def time_texts(module: ModuleType, texts: list[str], repeat: int, rounds: int = 200) -> float:
    """Best seconds for `rounds` passes of `redact_text` over `texts`."""
    redact_text = module.redact_text
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(rounds):
            for text in texts:
                redact_text(text)
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--per-log", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another redaction.py to time on the same rows")
    args = parser.parse_args()

    rows = build_rows(args.calls, args.per_log)
    calls = sum(len(row["tool_calls"]) for row in rows)
    corpus = [json.loads(line) for line in CORPUS.read_text().splitlines() if line.strip()]
    texts = [case["text"] for case in corpus]
    print(f"data: {calls:,} tool calls in {len(rows):,} task logs (demo-shaped); corpus: {len(texts)} texts")
    datasets = {
        "demo rows": rows,
        "1 call in 100 a look-alike": plant(rows, [case["text"] for case in corpus if not case["secrets"]]),
        "1 call in 100 a planted secret": plant(rows, [case["text"] for case in corpus if case["secrets"]]),
    }

    versions = [("current", current)]
    if args.against:
        versions.insert(0, (f"against {args.against}", load_module(args.against)))
    for label, module in versions:
        print(f"{label}:")
        for name, data in datasets.items():
            seconds = time_rows(module, data, args.repeat)
            print(f"  redact_row, {name + ':':32} {seconds / calls * 1e6:6.3f} µs per tool call")
        text_seconds = time_texts(module, texts, args.repeat)
        print(f"  redact_text, each corpus text alone:    {text_seconds / (200 * len(texts)) * 1e6:6.2f} µs per text")


if __name__ == "__main__":
    main()
