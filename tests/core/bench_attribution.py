"""Speed of cost attribution per tool call: `python -m tests.core.bench_attribution` (figures printed).

Not a test (nothing is timed in the suite): the ingest will call `attribute` once per session, so
what matters is calls attributed per second. Three inputs:

- the real fixtures' turns (every transcript and stream-json file, read once, attributed many times);
- a long synthetic session: 20 000 turns of one agent, 1-3 calls a turn, no compaction, so the
  context holds thousands of results (rent stays O(1) a turn: the clock);
- the worst case for rent: the same session with the cache expired on every turn (every turn on
  the slow clocks, shared among the results when they settle).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable

from tests.helpers.turns import fixture_logs, read_session, subagent_files
from tooltrack.core import MAIN_AGENT, ToolUse, Turn, Usage, attribute, builtin_prices


def synthetic(turns: int, *, expired: bool = False, compact_every: int = 0, seed: int = 7) -> list[Turn]:
    rng = random.Random(seed)
    out: list[Turn] = []
    prompt = 20_000
    for i in range(turns):
        calls = rng.randint(1, 3)
        uses = tuple(ToolUse(f"c{i}-{k}", rng.randint(100, 3_000)) for k in range(calls))
        results = tuple((u.call_id, rng.randint(50, 40_000)) for u in uses)
        compacted = bool(compact_every and i and i % compact_every == 0)
        if compacted:
            prompt = 20_000
        grow = sum(s for _, s in out[-1].results) // 3 if out and not compacted else 0
        fresh = grow + rng.randint(0, 200)
        usage = (
            Usage(input=3, cache_write_5m=prompt + fresh, output=rng.randint(20, 800))
            if expired
            else Usage(input=3, cache_write_5m=fresh, cache_read=prompt, output=rng.randint(20, 800))
        )
        prompt += fresh
        out.append(
            Turn(MAIN_AGENT, "claude-sonnet-4-5-20250929", usage, uses, rng.randint(0, 400), 0, results, compacted)
        )
    return out


def measure(name: str, turns: list[Turn], repeat: int) -> None:
    calls = sum(len(t.tool_uses) for t in turns)
    attribute(turns)  # warm the price look-ups
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for _ in range(repeat):
            attribute(turns)
        best = min(best, (time.perf_counter() - start) / repeat)
    print(
        f"{name:58} {len(turns):>6} turns {calls:>6} calls  {best * 1e3:8.2f} ms/session"
        f"  {best / max(calls, 1) * 1e6:6.2f} us/call  {calls / best:>10,.0f} calls/s"
    )


def main() -> None:
    builtin_prices()
    sessions = [read_session(p, subagent_files(p)).turns for p in fixture_logs()]
    every = [t for s in sessions for t in s]
    runs: list[tuple[str, Callable[[], list[Turn]], int]] = [
        ("real fixtures, all turns as one session", lambda: every, 20),
        ("synthetic, 20 000 turns, cache warm, no compaction", lambda: synthetic(20_000), 3),
        ("synthetic, 20 000 turns, cache expired on every turn", lambda: synthetic(20_000, expired=True), 3),
    ]
    for name, build, repeat in runs:
        measure(name, build(), repeat)
    # Per session, as the ingest calls it: each fixture on its own.
    calls = sum(len(t.tool_uses) for s in sessions for t in s)
    start = time.perf_counter()
    for _ in range(20):
        for s in sessions:
            attribute(s)
    took = (time.perf_counter() - start) / 20
    print(
        f"{'real fixtures, one attribute() per session':58} {len(sessions):>6} sess  {calls:>6} calls"
        f"  {took * 1e3:8.2f} ms total  {took / calls * 1e6:6.2f} us/call  {calls / took:>10,.0f} calls/s"
    )
    # Beside the cheapest thing the ingest does with the same files: json.loads of every line.
    texts = [p.read_text(encoding="utf-8") for p in fixture_logs()]
    start = time.perf_counter()
    for _ in range(5):
        for text in texts:
            if text.lstrip().startswith("["):
                json.loads(text)
            else:
                for line in text.splitlines():
                    json.loads(line)
    parse = (time.perf_counter() - start) / 5
    print(f"json.loads of the same files: {parse * 1e3:.2f} ms; attribution adds {took / parse:.1%} of that")


if __name__ == "__main__":
    main()
