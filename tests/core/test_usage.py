"""Usage per model turn: reading `usage`, folding the lines of one message, a run's own account."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.helpers.turns import FIXTURES, read_log, read_session
from tooltrack.core import (
    Usage,
    UsageFolder,
    attribute,
    check_run,
    largest_remainder,
    message_key,
    reconcile,
    run_figures,
    sum_by_model,
)

CASE7 = FIXTURES / "real/case7-usage-init-mcp-compact/transcripts"
WARMUP = CASE7 / "aistrad-warmup-agent-a247586-v2.1.4-growing-output-tokens.jsonl"
CACHE_1H = CASE7 / "aistrad-eac6202b-v2.1.20-cache1h-multiline-apierror.jsonl"
SPOTTER = sorted((FIXTURES / "claude-transcripts").glob("spotter-*.jsonl"))


def assistant_lines(path: Path) -> list[dict]:
    return [r for r in read_log(path) if r.get("type") == "assistant"]


def test_usage_reads_the_api_spelling_with_its_one_hour_split() -> None:
    line = assistant_lines(CACHE_1H)[0]
    raw = line["message"]["usage"]
    usage = Usage.from_message(raw)
    assert usage is not None
    assert usage.cache_write_1h == raw["cache_creation"]["ephemeral_1h_input_tokens"] > 0
    assert usage.cache_write == raw["cache_creation_input_tokens"]
    assert usage.prompt == raw["input_tokens"] + raw["cache_creation_input_tokens"] + raw["cache_read_input_tokens"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"input_tokens": 3, "cache_creation_input_tokens": 10, "output_tokens": 2}, Usage(3, 2, 10, 0, 0)),
        ({"cache_creation": {"ephemeral_5m_input_tokens": 4, "ephemeral_1h_input_tokens": 6}}, Usage(0, 0, 4, 6, 0)),
        # The total wins where the split does not add up to it: the rest is 5-minute.
        ({"cache_creation_input_tokens": 12, "cache_creation": {"ephemeral_1h_input_tokens": 6}}, Usage(0, 0, 6, 6, 0)),
        ({"input_tokens": -5, "output_tokens": True, "cache_read_input_tokens": "9"}, Usage()),
    ],
)
def test_usage_from_odd_usage_objects(raw: dict, expected: Usage) -> None:
    assert Usage.from_message(raw) == expected


def test_a_message_over_several_lines_is_counted_once_with_its_largest_figures() -> None:
    """The warmup sub-agent: one message over three lines, output_tokens 2, 2, 178."""
    lines = assistant_lines(WARMUP)
    outputs = [line["message"]["usage"]["output_tokens"] for line in lines]
    assert len(lines) == 3 and outputs[-1] > outputs[0]
    folder = UsageFolder()
    entries = {id(folder.add(line)) for line in lines}
    assert len(entries) == 1 and len(folder.messages) == 1
    (message,) = folder.messages
    assert message.lines == 3
    assert message.usage.output == max(outputs)
    assert message.usage.cache_read == lines[0]["message"]["usage"]["cache_read_input_tokens"]


@pytest.mark.parametrize("path", [WARMUP, CACHE_1H, *SPOTTER], ids=lambda p: p.name[:40])
def test_folding_counts_each_api_message_once(path: Path) -> None:
    lines = assistant_lines(path)
    keys = Counter(message_key(line) for line in lines)
    assert max(keys.values()) > 1, "the file has messages written over several lines"
    folder = UsageFolder()
    for line in lines:
        folder.add(line)
    assert [m.key for m in folder.messages] == list(keys)
    assert [m.lines for m in folder.messages] == list(keys.values())
    naive = sum((Usage.from_message(line["message"]["usage"]) for line in lines), Usage())
    folded = sum((m.usage for m in folder.messages), Usage())
    assert folded.cache_read < naive.cache_read  # repeating lines would count the context again
    for message in folder.messages:
        mine = [Usage.from_message(line["message"]["usage"]) for line in lines if message_key(line) == message.key]
        assert message.usage.output == max(u.output for u in mine)


def test_the_message_key_is_message_id_and_request_id() -> None:
    base = {"type": "assistant", "message": {"id": "msg_1", "model": "m", "usage": {"output_tokens": 1}}}
    assert message_key({**base, "requestId": "req_1"}) == "msg_1:req_1"
    assert message_key(base) == "msg_1"  # stream-json has no requestId
    folder = UsageFolder()
    folder.add({**base, "requestId": "req_1"})
    folder.add({**base, "requestId": "req_2"})  # another request: another message
    folder.add({"type": "assistant", "message": {"model": "m", "usage": {"output_tokens": 5}}})  # no id: its own
    folder.add({"type": "assistant", "message": {"model": "m", "usage": {"output_tokens": 5}}})
    assert len(folder.messages) == 4
    assert folder.by_model() == {"m": Usage(output=12)}
    assert folder.add({"type": "assistant", "message": {"id": "x"}}) is None  # no usage: not a turn


def test_a_resumed_session_repeating_lines_counts_them_once() -> None:
    """case1: the continuation repeats 43 lines of the original (same message id and request id)."""
    folder = "real/case1-resume/aistrad-vibelife"
    original = FIXTURES / folder / "e882830e-9e5b-4305-aca5-df6a745a1c48.jsonl"
    resumed = FIXTURES / folder / "5d93f27e-e89b-430e-9aee-9bebfb6a9916.jsonl"
    alone = UsageFolder()
    for line in assistant_lines(resumed):
        alone.add(line)
    both = UsageFolder()
    for line in assistant_lines(original) + assistant_lines(resumed):
        both.add(line)
    first = UsageFolder()
    for line in assistant_lines(original):
        first.add(line)
    assert first.messages, "the original has messages of its own"
    # Every message of the original is repeated in the continuation: one folder counts it once.
    assert len(both.messages) == len(alone.messages)
    assert both.by_model() == alone.by_model()


# -- the run's own account -------------------------------------------------------------------------


def stream_json_with_results() -> list[Path]:
    return [p for p in sorted(FIXTURES.rglob("*.jsonl")) if '"modelUsage"' in p.read_text(encoding="utf-8")]


@pytest.mark.parametrize("path", stream_json_with_results(), ids=lambda p: str(p.relative_to(FIXTURES))[-60:])
def test_reconciled_turns_add_up_to_the_runs_account(path: Path) -> None:
    session = read_session(path)
    assert session.figures is not None
    turns = session.turns
    weights = [sum(u.size for u in t.tool_uses) + t.text_size + t.thinking_size for t in turns]
    done = reconcile([(t.model, t.usage, w) for t, w in zip(turns, weights, strict=True)], session.figures)
    assert done.over == {}, "no fixture shows more than its run reports"
    seen = sum_by_model((t.model, u) for t, u in zip(turns, done.usages, strict=True))
    for model, account in session.figures.models.items():
        got = seen.get(model, Usage()) + done.background.get(model, Usage())
        assert got == account.usage, model
    # Only output moved into the turns; every other kind of each turn is as its lines said.
    for turn, usage in zip(turns, done.usages, strict=True):
        assert replace(usage, output=0) == replace(turn.usage, output=0)
        assert usage.output >= turn.usage.output


def test_stream_json_lines_carry_only_a_messages_starting_output() -> None:
    """Claude Code 2.1.42 writes each message's usage as it started: its result line has the true output."""
    run = FIXTURES / "real/case6-stream-json-adw/2048-adw-1be417b6-v2.1.42/sdlc_implementor/raw_output.jsonl"
    session = read_session(run)
    assert session.figures is not None
    lines = sum((t.usage for t in session.turns), Usage())
    account = session.figures.models["claude-opus-4-6"].usage
    assert (lines.input, lines.cache_write, lines.cache_read) == (
        account.input,
        account.cache_write,
        account.cache_read,
    )
    assert lines.output * 10 < account.output


def test_check_run_compares_per_model_and_in_total() -> None:
    run = FIXTURES / "real/case6-stream-json-adw/prior-auth-fastlane-sdlc_planner-v2.0.22.jsonl"
    session = read_session(run)
    assert session.figures is not None
    weights = [sum(u.size for u in t.tool_uses) + t.text_size + t.thinking_size for t in session.turns]
    done = reconcile([(t.model, t.usage, w) for t, w in zip(session.turns, weights, strict=True)], session.figures)
    turns = [replace(t, usage=u) for t, u in zip(session.turns, done.usages, strict=True)]
    result = attribute(turns, background=done.background)
    checks = check_run({m: p.pico for m, p in result.by_model.items()}, session.figures)
    assert [c.model for c in checks] == [*dict.fromkeys([*result.by_model, *session.figures.models]), None]
    for check in checks:
        assert check.relative is not None and abs(check.relative) < 0.01, check
    assert checks[-1].reported_usd == session.figures.total_cost_usd


def test_run_figures_is_none_for_other_lines() -> None:
    assert run_figures({"type": "assistant"}) is None
    assert run_figures({"type": "result"}) == run_figures({"type": "result", "modelUsage": "nonsense"})


@given(st.integers(min_value=0, max_value=10**9), st.lists(st.integers(min_value=0, max_value=10**6), max_size=30))
def test_largest_remainder_adds_up_exactly(amount: int, weights: list[int]) -> None:
    shares = largest_remainder(amount, weights)
    assert len(shares) == len(weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == amount
    for share, weight in zip(shares, weights, strict=True):
        exact = amount * weight / sum(weights)
        assert exact - 1 < share < exact + 1
    assert largest_remainder(amount, weights) == shares  # the same split every time


def test_largest_remainder_breaks_ties_toward_the_earlier() -> None:
    assert largest_remainder(1, [1, 1, 1]) == [1, 0, 0]
    assert largest_remainder(2, [1, 1, 1]) == [1, 1, 0]
    assert largest_remainder(10, [0, 3, 0, 1]) == [0, 8, 0, 2]
