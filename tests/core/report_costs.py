"""What the fixture sessions cost and how it splits: `python -m tests.core.report_costs` (a table printed).

For each transcript and stream-json fixture with usage: its turns and calls, its computed cost,
the share of each part (issuing, result, rent, sub-agent) and of each remainder; for a stream-json
file with a `result` line, the computed cost beside the run's own (`total_cost_usd` and each
model's `costUSD`): from the lines alone, and with the run's account laid over them (`reconcile`).
"""

from __future__ import annotations

from dataclasses import replace

from tests.helpers.turns import FIXTURES, fixture_logs, read_session, subagent_files
from tooltrack.core import REMAINDER_NAMES, attribute, check_run, reconcile


def main() -> None:
    print(
        "| session | turns | calls | cost | issuing | result | rent | sub-agent | " + " | ".join(REMAINDER_NAMES) + " |"
    )
    print("|---" * (8 + len(REMAINDER_NAMES)) + "|")
    checks = []
    for path in fixture_logs():
        session = read_session(path, subagent_files(path))
        turns = session.turns
        if not turns and session.figures is None:
            continue
        background = None
        lines_only = attribute(turns)
        if session.figures is not None:
            weights = [sum(u.size for u in t.tool_uses) + t.text_size + t.thinking_size for t in turns]
            done = reconcile([(t.model, t.usage, w) for t, w in zip(turns, weights, strict=True)], session.figures)
            turns = [replace(t, usage=u) for t, u in zip(turns, done.usages, strict=True)]
            background = dict(done.background)
        result = attribute(turns, background=background)
        result.check()
        whole = result.total.pico or 1
        parts = [
            sum(getattr(c, name).pico for c in result.calls.values())
            for name in ("issuing", "result", "rent", "subagent")
        ]
        rest = [result.remainder[name].pico for name in REMAINDER_NAMES]
        name = str(path.relative_to(FIXTURES))
        cells = " | ".join(f"{p / whole:.0%}" for p in [*parts, *rest])
        print(f"| {name} | {len(turns)} | {len(result.calls)} | ${result.total.usd:.4f} | {cells} |")
        if session.figures is not None:
            before = check_run({m: p.pico for m, p in lines_only.by_model.items()}, session.figures)
            after = check_run({m: p.pico for m, p in result.by_model.items()}, session.figures)
            checks.append((name, before, after))
    print("\n| run | model | Claude Code's own | lines alone | difference | with the result's account | difference |")
    print("|---|---|---|---|---|---|---|")
    for name, before, after in checks:
        for b, a in zip(before, after, strict=True):
            reported = f"${a.reported_usd:.6f}" if a.reported_usd is not None else "-"
            rb = f"{b.relative:+.2%}" if b.relative is not None else "-"
            ra = f"{a.relative:+.2%}" if a.relative is not None else "-"
            row = [name, a.model or "total", reported, f"${b.computed_usd:.6f}", rb, f"${a.computed_usd:.6f}", ra]
            print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
