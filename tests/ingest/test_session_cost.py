"""What Claude Code sessions cost, per call, from the real fixtures (both databases).

For every real transcript and stream-json fixture with usage, the ingest's computed session cost
is checked against an independent computation written here from the raw lines (each API message
once by message id + request id, its largest figures, 1-hour cache writes at their own rate, at
the shipped price of its model on its day), and against the `result` line's own `total_cost_usd`
where there is one (within 1 %). The stored calls' parts and the report's remainder add up
exactly to the session's total, to the pico-dollar.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_logs
from tests.helpers.turns import read_log
from tooltrack.core import prices
from tooltrack.ingest import ingest_file
from tooltrack.ingest.session_cost import SessionCost

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PICO = 10**12
#: Claude Code 2.1.42 priced claude-sonnet-4-5 at Opus rates on these runs ($5 / $25, docs/analytics.md
#: "Checked against Claude Code's own figures"): their total_cost_usd is 38-40 % above the vendor's price.
MISPRICED_BY_CLAUDE_CODE = ("2048-adw-1be417b6-v2.1.42",)


def fixture_files() -> Iterator[Path]:
    """Every transcript / stream-json fixture with usage (a sub-agent's own file too)."""
    for path in sorted(FIXTURES.rglob("*.json*")):
        if path.name.endswith(".meta.json") or "case8" in str(path) or "hook" in str(path) or "otel" in str(path):
            continue
        if path.name.endswith(("pre_tool_use.json", "post_tool_use.json")):
            continue
        if '"usage"' in path.read_text(encoding="utf-8", errors="replace"):
            yield path


def _time(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def independent_pico(rows: list[dict[str, Any]], skip: set[str] = frozenset()) -> dict[str, int]:  # type: ignore[assignment]
    """Per session id: each API message once at its largest figures, priced kind by kind."""
    messages: dict[Any, dict[str, Any]] = {}
    session = None
    for row in rows:
        session = row.get("sessionId") or row.get("session_id") or session
        message = row.get("message")
        if (
            row.get("type") != "assistant"
            or not isinstance(message, dict)
            or not isinstance(message.get("usage"), dict)
        ):
            continue
        key: Any = (
            f"{message['id']}:{row['requestId']}" if message.get("id") and row.get("requestId") else message.get("id")
        )
        if key in skip:
            continue
        key = key or id(row)
        usage = message["usage"]
        split = usage.get("cache_creation") if isinstance(usage.get("cache_creation"), dict) else {}
        seen = messages.setdefault(
            key, {"session": session, "model": message.get("model"), "when": _time(row.get("timestamp"))}
        )
        for name, value in (
            ("input", usage.get("input_tokens")),
            ("output", usage.get("output_tokens")),
            ("read", usage.get("cache_read_input_tokens")),
            ("write", usage.get("cache_creation_input_tokens")),
            ("hour", split.get("ephemeral_1h_input_tokens")),
            ("five", split.get("ephemeral_5m_input_tokens")),
        ):
            seen[name] = max(seen.get(name, 0), value if isinstance(value, int) else 0)
    totals: dict[str, int] = {}
    table = prices()
    for m in messages.values():
        write = max(m["write"], m["hour"] + m["five"])
        five, hour = write - m["hour"], m["hour"]
        found = table.lookup(m["model"] or "", m["when"])
        pico = 0
        if found.price is not None:
            r = found.price.rates_for(m["input"] + write + m["read"])
            pico = (
                m["input"] * r.input
                + m["output"] * r.output
                + five * r.cache_write_5m
                + hour * r.cache_write_1h
                + m["read"] * r.cache_read
            )
        totals[str(m["session"])] = totals.get(str(m["session"]), 0) + pico
    return totals


def account_pico(result: dict[str, Any]) -> int:
    """The vendor's price of a result line's `modelUsage` tokens (base rates, newest price)."""
    table = prices()
    total = 0
    hour_left = (result.get("usage") or {}).get("cache_creation", {}).get("ephemeral_1h_input_tokens", 0) or 0
    for model, f in (result.get("modelUsage") or {}).items():
        found = table.lookup(model, None)
        if found.price is None:
            continue
        r = found.price.rates
        write = f.get("cacheCreationInputTokens", 0)
        hour = min(hour_left, write) if write >= hour_left else 0
        hour_left -= hour
        total += (
            f.get("inputTokens", 0) * r.input
            + f.get("outputTokens", 0) * r.output
            + (write - hour) * r.cache_write_5m
            + hour * r.cache_write_1h
            + f.get("cacheReadInputTokens", 0) * r.cache_read
        )
    return total


def resumed_from(path: Path) -> set[str]:
    """Message keys of the session a resumed file repeats (the same folder's file it starts like)."""
    if path.name != "5d93f27e-e89b-430e-9aee-9bebfb6a9916.jsonl":
        return set()
    original = read_log(path.with_name("e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl"))
    return {
        f"{r['message']['id']}:{r['requestId']}"
        for r in original
        if r.get("type") == "assistant" and r.get("requestId")
    }


def pico_of(value: float | None) -> int:
    return round(value * PICO) if value else 0


FILES = list(fixture_files())


def test_the_fixture_set_is_what_it_was() -> None:
    assert len(FILES) >= 30


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_session_cost_is_usage_times_price_and_its_parts_add_up(engine: Engine, path: Path, tmp_path: Path) -> None:
    rows = read_log(path)
    source = str(path)
    if not any("timestamp" in row for row in rows):
        # No time in the lines: the file's own says whether it may still grow (a checkout is new).
        copy = tmp_path / path.name
        copy.write_bytes(path.read_bytes())
        os.utime(copy, (0, 86400 * 365))
        path = copy
    report = ingest_file(engine, path)
    costs: list[SessionCost] = report.costs
    assert costs, report.notes
    results = [r for r in rows if r.get("type") == "result"]
    logs = stored_logs(engine)
    stored_calls = [c for log in logs for c in log.tool_calls]
    for cost in costs:
        # The calls' parts and the named remainder add up exactly to the session's total.
        assert cost.calls_pico + sum(cost.remainder.values()) == cost.total_pico
        assert sum(cost.parts_pico.values()) == cost.calls_pico
    # What the calls stored add up to, to the pico-dollar, and each call's parts to its cost.
    assert sum(pico_of(c.cost_usd) for c in stored_calls) == sum(c.calls_pico - c.unstored_pico for c in costs)
    for call in stored_calls:
        if call.cost_usd is None:
            continue
        parts = (call.cost_issuing_usd, call.cost_result_usd, call.cost_rent_usd, call.cost_subagent_usd)
        assert sum(pico_of(p) for p in parts) == pico_of(call.cost_usd)
        assert call.model and call.cost_tokens is not None
    if not results:
        expected = independent_pico(rows, resumed_from(path))
        got = {c.session_id: c.total_pico for c in costs}
        assert got == {s: p for s, p in expected.items() if s in got}
        assert sum(got.values()) == sum(expected.values())
        # The task logs carry the computed cost (no result line gives the run's own).
        assert sum(pico_of(log.cost_usd) for log in logs) == sum(c.total_pico for c in costs if c.calls or c.turns) or (
            not logs
        )
        return
    for cost in costs:
        assert cost.reported_usd is not None
        result = results.pop(0)
        if not result.get("modelUsage"):
            continue  # nothing to compute from: the difference is reported, not checked
        assert abs(cost.total_pico - account_pico(result)) <= 0.01 * account_pico(result)
        said = f"the run reports ${cost.reported_usd:.6f}"
        assert any(said in (log.log_message or "") for log in logs)
        assert cost.difference is not None
        if not any(name in source for name in MISPRICED_BY_CLAUDE_CODE):
            assert abs(cost.difference) <= 0.01
        # Beyond 1 % the report says so in a note, and only then.
        assert any(said in n.message for n in report.notes) == (abs(cost.difference) > 0.01)


def test_a_one_hour_cache_write_is_priced_at_its_own_rate(engine: Engine) -> None:
    path = (
        FIXTURES
        / "real/case7-usage-init-mcp-compact/transcripts/aistrad-eac6202b-v2.1.20-cache1h-multiline-apierror.jsonl"
    )
    rows = read_log(path)
    hour = sum(
        r["message"]["usage"].get("cache_creation", {}).get("ephemeral_1h_input_tokens", 0)
        for r in rows
        if r.get("type") == "assistant"
    )
    assert hour > 0
    [cost] = ingest_file(engine, path).costs
    as_five_minute = [json.loads(json.dumps(r)) for r in rows]
    for r in as_five_minute:
        if r.get("type") == "assistant":
            r["message"]["usage"].pop("cache_creation", None)
    assert cost.total_pico == sum(independent_pico(rows).values()) > sum(independent_pico(as_five_minute).values())


def test_sidechain_turns_go_to_their_task(engine: Engine) -> None:
    path = FIXTURES / "real/case2-inline-sidechains/city-of-perla-chat-2.0.26-five-parallel-tasks.json"
    [cost] = ingest_file(engine, path).costs
    tasks = [c for c in (c for log in stored_logs(engine) for c in log.tool_calls) if c.tool_name == "Task"]
    assert len(tasks) == 5
    assert all((t.cost_subagent_usd or 0) > 0 for t in tasks)
    assert cost.parts_pico["subagent"] == sum(pico_of(t.cost_subagent_usd) for t in tasks)
    assert cost.remainder["unlinked_subagents"] == 0


def test_an_unknown_model_keeps_its_tokens_without_cost(engine: Engine, tmp_path: Path) -> None:
    source = FIXTURES / "real/case7-usage-init-mcp-compact/transcripts/aistrad-00ef59df-v2.0.74-mcp-playwright.jsonl"
    text = source.read_text(encoding="utf-8").replace('"claude-opus-4-5-20251101"', '"claude-unreleased-9"')
    path = tmp_path / "unknown-model.jsonl"
    path.write_text(text, encoding="utf-8")
    report = ingest_file(engine, path)
    [cost] = report.costs
    assert cost.unknown_models == ("claude-unreleased-9",) and cost.total_pico == 0
    assert any("no price for claude-unreleased-9" in n.message for n in report.notes)
    [log] = stored_logs(engine)
    assert log.cost_usd is None and log.tokens_used and log.tokens_used > 0
    assert all(c.cost_usd is None and c.cost_tokens is not None for c in log.tool_calls)
    assert sum(c.cost_tokens or 0 for c in log.tool_calls) > 0


def test_a_resumed_session_counts_the_messages_it_repeats_once(engine: Engine) -> None:
    folder = FIXTURES / "real/case1-resume/aistrad-vibelife"
    files = sorted(folder.glob("*.jsonl"))
    reports = [ingest_file(engine, p) for p in files]
    computed = sum(c.total_pico for r in reports for c in r.costs)
    # Every API message of the two files once: what ccusage counts for the pair.
    everything = independent_pico([row for p in files for row in read_log(p)])
    assert computed == sum(everything.values())
    assert sum(pico_of(log.cost_usd) for log in stored_logs(engine)) == computed


def test_a_session_without_tool_calls_stores_its_cost(engine: Engine) -> None:
    """Claude Code's compaction agent makes no call; what it cost is still the session's."""
    folder = FIXTURES / "real/case3-subagent-files/spotter-v2.1.39/ae4a77f8-aedd-4bc1-888f-c94edc91af04/subagents"
    path = folder / "agent-acompact-946d2b.jsonl"
    [cost] = ingest_file(engine, path).costs
    assert cost.calls == 0 and cost.total_pico == sum(independent_pico(read_log(path)).values()) > 0
    [log] = stored_logs(engine)
    assert log.tool_calls == [] and pico_of(log.cost_usd) == cost.total_pico
    assert log.tokens_used == cost.total_tokens
