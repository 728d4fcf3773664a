"""Redaction cost per tool call, on rows shaped as the bulk ingest path redacts them.

    python bench/bench_redaction.py [--calls 200000] [--per-log 100] [--repeat 5] [--against FILE]

Builds task log rows the way `tooltrack.store.bulk.keyed_row` gets them (the demo generator's calls,
via bench_ingest's `call_pool`, in logs of `--per-log` calls, dumped to JSON-ready values) and
times `redact_row` over them: the best of `--repeat` passes, each on fresh copies (the copying is
not timed), printed as µs per tool call. Then the same rows with one call in 100 running a text of
the secrets corpus (tests/reliability/secrets_corpus.jsonl) as its command: an ordinary look-alike
(`git log -p`, `export MAX_TOKENS=4096`: trigger words, nothing to redact), or a planted secret
(every row then has something to replace). Then `redact_text` alone on each corpus text.

Last, when detect-secrets is installed (a dev dependency), the maintained scanner against the
patterns on the redaction probe (tests/ingest/redaction_forms.jsonl with the corpus's secrets,
tests/ingest/redaction_lookalikes.jsonl with its clean texts): forms caught and look-alikes
changed by the patterns, by detect-secrets alone and by both; and what detect-secrets costs per
tool call, run on every text of the rows, or as a second pass on the texts the patterns' gates
flag (the planted rows). `--no-detect-secrets` leaves it out.

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
import sys
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import orjson
from bench_ingest import call_pool

import tooltrack.core.redaction as current
from tooltrack.models import TaskLogCreate

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "reliability" / "secrets_corpus.jsonl"
FORMS = ROOT / "tests" / "ingest" / "redaction_forms.jsonl"
LOOKALIKES = ROOT / "tests" / "ingest" / "redaction_lookalikes.jsonl"
#: Tool calls of the demo rows that detect-secrets is timed on (it takes ~0.2 ms a text).
SCANNER_SAMPLE = 5_000


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


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


def texts_of(rows: list[dict[str, Any]]) -> list[str]:
    """Every text `redact_row` looks at in `rows`, parameters' strings included."""
    texts: list[str] = []
    for row in rows:
        texts.extend(row[field] for field in current.LOG_TEXT_FIELDS if row.get(field))
        for call in row["tool_calls"]:
            texts.extend(call[field] for field in current.CALL_TEXT_FIELDS if call.get(field))
            texts.extend(strings_in(call.get("parameters")))
    return texts


def seconds_of(function: Any, items: list[str]) -> float:
    started = time.process_time()
    for item in items:
        function(item)
    return time.process_time() - started


def compare_with_detect_secrets(
    rows: list[dict[str, Any]], planted: list[dict[str, Any]], versions: list[tuple[str, ModuleType]]
) -> None:
    """The probe's catches and look-alikes, and the scanner's cost per tool call (see the module doc)."""
    sys.path.insert(0, str(ROOT))
    try:
        from tests.ingest import detect_secrets_pass as scanner
    except ImportError as exc:
        print(f"detect-secrets: not installed ({exc}); pip install -e '.[dev]'")
        return
    corpus = jsonl(CORPUS)
    forms = [case for case in corpus if case["secrets"]] + jsonl(FORMS)
    clean = [case["text"] for case in corpus if not case["secrets"]] + [case["text"] for case in jsonl(LOOKALIKES)]
    ways: dict[str, Any] = {"detect-secrets alone": scanner.redact}
    for label, module in versions:
        ways[f"patterns ({label})"] = module.redact_text
        ways[f"both ({label})"] = lambda text, module=module: scanner.redact(module.redact_text(text))
    print(f"detect-secrets 1.5 on the probe ({len(forms)} forms with secrets, {len(clean)} look-alikes):")
    for name, redact in ways.items():
        caught = sum(not any(secret in redact(case["text"]) for secret in case["secrets"]) for case in forms)
        changed = sum(redact(text) != text for text in clean)
        print(f"  {name + ':':32} {caught:3} forms caught, {changed:3} look-alikes changed")

    sample = rows[: max(1, SCANNER_SAMPLE // max(1, len(rows[0]["tool_calls"])))]
    calls = sum(len(row["tool_calls"]) for row in sample)
    every = seconds_of(scanner.secrets_in, texts_of(sample))
    print(f"  detect-secrets on every text of the demo rows:    {every / calls * 1e6:8.1f} µs per tool call")
    planted_texts = texts_of(planted)
    flagged = [text for text in planted_texts if any(needle in text.lower() for needle in current.NEEDLES)]
    second = seconds_of(scanner.secrets_in, flagged)
    planted_calls = sum(len(row["tool_calls"]) for row in planted)
    print(
        f"  as a second pass on what the gates flag, 1 call in 100 a planted secret: "
        f"{second / planted_calls * 1e6:6.2f} µs per tool call ({len(flagged)} texts, "
        f"{second / max(1, len(flagged)) * 1e6:.0f} µs each)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--per-log", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--against", type=Path, help="another redaction.py to time on the same rows")
    parser.add_argument("--no-detect-secrets", action="store_true", help="leave out the detect-secrets comparison")
    args = parser.parse_args()

    rows = build_rows(args.calls, args.per_log)
    calls = sum(len(row["tool_calls"]) for row in rows)
    corpus = jsonl(CORPUS)
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
    if not args.no_detect_secrets:
        labels = [(label.split()[0], module) for label, module in versions]
        compare_with_detect_secrets(rows, datasets["1 call in 100 a planted secret"], labels)


if __name__ == "__main__":
    main()
