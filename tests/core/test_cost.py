"""Cost attribution: the worked example of docs/analytics.md, the sum rule on real sessions, rent, sub-agents."""

from __future__ import annotations

import statistics
from dataclasses import replace
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.helpers.turns import FIXTURES, Session, fixture_logs, read_session, subagent_files
from tooltrack.core import (
    CHARS_PER_TOKEN,
    MAIN_AGENT,
    UNKNOWN_MODEL,
    Attribution,
    ToolUse,
    Turn,
    Usage,
    attribute,
    builtin_prices,
    cost_of,
    reconcile,
)

SONNET = "claude-sonnet-4-5-20250929"
CASE7 = FIXTURES / "real/case7-usage-init-mcp-compact/transcripts"
OMARCHY = FIXTURES / "real/case3-subagent-files/omarchy-backup-v2.1.97/projects/-home-vwestberg-Claude"


def worked_example() -> list[Turn]:
    """The session of docs/analytics.md, "Cost: what each call cost" (numbers worked out by hand there)."""
    return [
        Turn(MAIN_AGENT, SONNET, Usage(input=3, cache_write_5m=12_000, output=100),
             tool_uses=(ToolUse("read", 300),), text_size=100, results=(("read", 60_000),)),
        Turn(MAIN_AGENT, SONNET, Usage(input=3, cache_write_5m=20_097, cache_read=12_003, output=50),
             tool_uses=(ToolUse("bash", 200),), results=(("bash", 300),)),
        Turn(MAIN_AGENT, SONNET, Usage(input=3, cache_write_5m=147, cache_read=32_103, output=40), text_size=120),
        Turn(MAIN_AGENT, SONNET, Usage(input=3, cache_write_5m=500, cache_read=32_250, output=30), text_size=90),
        Turn(MAIN_AGENT, SONNET, Usage(input=3, cache_write_5m=4_000, output=20), text_size=60, compacted=True),
    ]  # fmt: skip


def test_the_worked_example_of_the_docs() -> None:
    result = attribute(worked_example())
    result.check()
    read, bash = result.calls["read"], result.calls["bash"]
    # Read: 75 of turn 1's 100 output tokens (300 of 400 bytes), 20 000 tokens written to cache on
    # turn 2 (the prompt grew by 32 103 - 12 003 - 100), and 20 000 cache reads on turns 3 and 4.
    assert read.issuing.usage == Usage(output=75)
    assert read.result.usage == Usage(cache_write_5m=20_000)
    assert read.rent.usage == Usage(cache_read=40_000) and read.rent_turns == 2
    assert (read.issuing.usd, read.result.usd, read.rent.usd) == (
        Decimal("0.001125"),
        Decimal("0.075"),
        Decimal("0.012"),
    )
    assert read.total.usd == Decimal("0.088125")
    assert bash.issuing.usage == Usage(output=50)
    assert bash.result.usage == Usage(cache_write_5m=100)  # 32 253 - 32 103 - 50
    assert bash.rent.usage == Usage(cache_read=100) and bash.rent_turns == 1
    assert bash.total.usd == Decimal("0.001155")
    assert result.remainder["text"].usage == Usage(output=25 + 40 + 30 + 20)
    assert result.remainder["context"].usd == Decimal("0.0733368")
    assert result.total.usd == Decimal("0.1643418")
    assert not read.result_estimated and not bash.result_estimated


def session_of(path: Path) -> tuple[Session, list[Turn], dict[str, Usage] | None]:
    """A fixture's turns, with its run's account laid over them where it has one."""
    session = read_session(path, subagent_files(path))
    if session.figures is None:
        return session, session.turns, None
    weights = [sum(u.size for u in t.tool_uses) + t.text_size + t.thinking_size for t in session.turns]
    done = reconcile([(t.model, t.usage, w) for t, w in zip(session.turns, weights, strict=True)], session.figures)
    turns = [replace(t, usage=u) for t, u in zip(session.turns, done.usages, strict=True)]
    return session, turns, dict(done.background)


LOGS = [p for p in fixture_logs() if read_session(p).turns]


@pytest.mark.parametrize("path", LOGS, ids=lambda p: str(p.relative_to(FIXTURES))[-70:])
def test_the_parts_add_up_exactly_to_the_session_cost(path: Path) -> None:
    """On every real transcript and stream-json fixture: calls plus remainder are the total, to the pico-dollar."""
    _, turns, background = session_of(path)
    result = attribute(turns, background=background)
    result.check()
    # The total is an independent computation too: each turn's usage at its price, plus the background.
    independent = sum(cost_of(t.model, t.usage, t.when).pico for t in turns)
    table = builtin_prices()
    independent += sum(table.price(m).rates.cost(*u.as_dict().values()) for m, u in (background or {}).items())
    assert result.total.pico == independent
    assert result.total.usage == sum((t.usage for t in turns), Usage()) + sum((background or {}).values(), Usage())
    # Every issued call has a part; nothing is negative.
    assert {u.call_id for t in turns for u in t.tool_uses} <= set(result.calls)
    for call in result.calls.values():
        for part in (call.issuing, call.result, call.rent, call.subagent):
            assert min(part.usage.as_dict().values()) >= 0 and part.pico >= 0


def the_biggest_read(turns: list[Turn], names: dict[str, str]) -> tuple[int, str]:
    """(index of the issuing turn, call id) of the largest Read result of the main agent."""
    best = max(
        ((i, call_id, size) for i, t in enumerate(turns) if t.agent == MAIN_AGENT
         for call_id, size in t.results if names.get(call_id) == "Read"),
        key=lambda found: found[2],
    )  # fmt: skip
    return best[0], best[1]


def test_a_big_reads_rent_grows_with_later_turns_and_stops_at_a_compact_boundary() -> None:
    path = FIXTURES / "real/case1-resume/sniffly-ai-music/d3ad4cdc-5657-435d-98fa-0035d53e383d.jsonl"
    session = read_session(path)
    turns = session.turns
    at, read = the_biggest_read(turns, session.tool_names)
    later = [i for i in range(at + 2, len(turns)) if turns[i].agent == MAIN_AGENT]
    assert len(later) >= 10, "the Read stays in context for many turns"
    rents = [attribute(turns[: i + 1]).calls[read].rent for i in later]
    tokens = [r.cache_read + r.cache_write_5m + r.cache_write_1h + r.input for r in rents]
    assert all(b > a for a, b in pairwise(tokens)), "every later turn pays rent again"
    result_tokens = attribute(turns[: at + 2]).calls[read].result.tokens
    assert result_tokens > 0 and tokens[0] == result_tokens  # one turn of rent: the result's tokens once
    # A compact boundary halfway: the rent stops there.
    cut = later[len(later) // 2]
    compacted = [replace(t, compacted=True) if i == cut else t for i, t in enumerate(turns)]
    whole = attribute(compacted)
    whole.check()
    assert whole.calls[read].rent == attribute(turns[:cut]).calls[read].rent
    assert whole.calls[read].rent.pico < attribute(turns).calls[read].rent.pico


def test_rent_after_the_cache_expired_is_charged_at_the_write_rate() -> None:
    """A later turn that read nothing from the cache wrote the context again: rent comes from the writes."""
    turns = worked_example()[:3]
    expired = replace(turns[2], usage=Usage(input=3, cache_write_5m=32_250, output=40))
    result = attribute([*turns[:2], expired])
    result.check()
    assert result.calls["read"].rent.usage == Usage(cache_write_5m=20_000)
    assert result.calls["read"].rent_turns == 1


def test_results_the_growth_cannot_isolate_are_estimated_from_their_size() -> None:
    first, second = worked_example()[:2]
    first = replace(first, results=(("read", 6_001),))
    # The next prompt is smaller than the last one (the context was cut): no growth to read.
    shrunk = replace(second, usage=Usage(input=3, cache_write_5m=10_000, cache_read=0, output=50))
    result = attribute([first, shrunk])
    result.check()
    read = result.calls["read"]
    assert read.result_estimated
    assert read.result.usage == Usage(cache_write_5m=-(-6_001 // CHARS_PER_TOKEN)) == Usage(cache_write_5m=2_001)
    # An estimate bigger than what the request wrote is cut to it.
    huge = attribute([replace(first, results=(("read", 90_000),)), shrunk])
    assert huge.calls["read"].result.usage == Usage(input=3, cache_write_5m=10_000)


def test_a_result_never_gets_more_tokens_than_its_bytes() -> None:
    turns = worked_example()[:2]
    tiny = replace(turns[0], results=(("read", 50),))
    result = attribute([tiny, turns[1]])
    assert result.calls["read"].result.tokens == 50
    assert result.remainder["context"].cache_write_5m == 12_000 + 20_097 - 50


@pytest.mark.parametrize(
    "path",
    [
        FIXTURES / "real/case2-inline-sidechains/city-of-perla-chat-2.0.26-five-parallel-tasks.json",
        FIXTURES / "claude-stream-json/adw-2048-task-subagent-truncated.jsonl",
        FIXTURES / "real/case6-stream-json-adw/splitlease-code_audit-v2.1.7-task-parent_tool_use_id-truncated.jsonl",
        OMARCHY / "512f6c74-f82f-4adb-9719-4ae90076677c.jsonl",
    ],
    ids=lambda p: p.name[:40],
)
def test_sidechain_turns_count_toward_their_task(path: Path) -> None:
    session = read_session(path, subagent_files(path))
    turns = session.turns
    tasks = {t.agent for t in turns if t.agent != MAIN_AGENT and session.tool_names.get(t.agent) in ("Task", "Agent")}
    assert tasks, "the fixture has sub-agent turns linked to their Task"
    result = attribute(turns)
    result.check()
    for task in tasks:
        mine = [t for t in turns if t.agent == task]
        cost = sum(cost_of(t.model, t.usage, t.when).pico for t in mine)
        own_calls = [c for c in result.calls.values() if c.agent == task]
        spent = sum(p.pico for c in own_calls for p in (c.issuing, c.result, c.rent, c.subagent))
        assert result.calls[task].subagent.pico == cost - spent > 0
    # None of it is in the session's remainder: that holds the main agent's own turns only.
    main = [t for t in turns if t.agent == MAIN_AGENT]
    main_calls = [c for c in result.calls.values() if c.agent == MAIN_AGENT]
    main_spent = sum(p.pico for c in main_calls for p in (c.issuing, c.result, c.rent))
    named = sum(result.remainder[n].pico for n in ("context", "text", "thinking"))
    assert named == sum(cost_of(t.model, t.usage, t.when).pico for t in main) - main_spent


def test_a_message_spread_over_several_lines_is_one_turn() -> None:
    path = CASE7 / "aistrad-warmup-agent-a247586-v2.1.4-growing-output-tokens.jsonl"
    session = read_session(path)
    assert session.lines_per_message == [3]
    (turn,) = session.turns
    result = attribute(session.turns)
    result.check()
    assert result.total.output == turn.usage.output == 178
    assert sum(c.issuing.output for c in result.calls.values()) + result.remainder["unlinked_subagents"].output == 178
    assert result.total.pico == cost_of(turn.model, turn.usage).pico  # once, not three times


def test_unknown_models_keep_their_tokens_and_cost_nothing() -> None:
    path = FIXTURES / "real/case7-usage-init-mcp-compact/transcripts/aistrad-00ef59df-v2.0.74-mcp-playwright.jsonl"
    turns = read_session(path).turns
    odd = [replace(t, model="claude-imaginary-9") if i % 2 else t for i, t in enumerate(turns)]
    result = attribute(odd)
    result.check()
    assert builtin_prices().lookup("claude-imaginary-9").problem == UNKNOWN_MODEL
    assert result.unknown_models == {"claude-imaginary-9": sum((t.usage for t in odd[1::2]), Usage())}
    assert result.total.usage == sum((t.usage for t in turns), Usage())  # every token still counted
    assert result.total.pico == sum(cost_of(t.model, t.usage).pico for t in odd[::2])
    priced_nothing = [c for t in odd[1::2] for u in t.tool_uses if (c := result.calls[u.call_id]).issuing.output]
    assert priced_nothing and all(c.issuing.pico == 0 for c in priced_nothing)


def test_attribution_is_deterministic() -> None:
    path = FIXTURES / "real/case1-resume/aistrad-vibelife/5d93f27e-e89b-430e-9aee-9bebfb6a9916.jsonl"
    turns = read_session(path).turns
    first, second = attribute(turns), attribute(list(turns))
    assert first == second


def test_the_bytes_per_token_estimate_matches_the_fixtures(capsys: pytest.CaptureFixture[str]) -> None:
    """`CHARS_PER_TOKEN` is what real results cost: bytes of result JSON per token of prompt growth."""
    ratios = []
    for path in LOGS:
        session = read_session(path, subagent_files(path))
        last: dict[str, Turn] = {}
        for turn in session.turns:
            before = last.get(turn.agent)
            if before is not None and not turn.compacted and before.results:
                growth = turn.usage.prompt - before.usage.prompt - before.usage.output
                size = sum(s for _, s in before.results)
                if size >= 1000 and growth > 0:
                    ratios.append(size / growth)
            last[turn.agent] = turn
    quartiles = statistics.quantiles(ratios, n=4)
    with capsys.disabled():
        print(f"\nbytes per token over {len(ratios)} results of 1 KB and more: quartiles {quartiles}")
    assert len(ratios) > 50
    assert quartiles[0] <= CHARS_PER_TOKEN <= quartiles[2]


usages = st.builds(
    Usage,
    input=st.integers(0, 50),
    output=st.integers(0, 3000),
    cache_write_5m=st.integers(0, 30_000),
    cache_write_1h=st.integers(0, 3000),
    cache_read=st.integers(0, 250_000),
)
calls = st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 90_000)), max_size=4)
turns = st.lists(
    st.builds(
        lambda agent, model, usage, uses, text, thinking, results, compacted: Turn(
            agent, model, usage, tuple(ToolUse(f"{agent}-{c}", s) for c, s in uses), text, thinking,
            tuple((f"{agent}-{c}", s) for c, s in results), compacted,
        ),
        st.sampled_from([MAIN_AGENT, "main-a", "main-b"]),
        st.sampled_from([SONNET, "claude-opus-4-6", "<synthetic>", "claude-imaginary-9"]),
        usages, calls, st.integers(0, 5000), st.integers(0, 5000), calls, st.booleans(),
    ),
    max_size=25,
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(turns, st.dictionaries(st.sampled_from([SONNET, "claude-imaginary-9"]), usages, max_size=2))
def test_the_sum_rule_holds_for_any_sequence_of_turns(turns: list[Turn], background: dict[str, Usage]) -> None:
    result: Attribution = attribute(turns, background=background)
    result.check()
    for call in result.calls.values():
        assert call.result.pico >= 0 and call.rent.tokens >= 0


def test_rent_on_expired_turns_is_shared_by_the_results_in_context() -> None:
    """Two results in context, the cache expired twice, then the context shrank below them."""
    turns = worked_example()[:3]
    expired = Usage(input=3, cache_write_5m=32_600, output=30)
    shrunk = Usage(input=3, cache_write_5m=2_000, cache_read=8_000, output=30)  # 10 003 < 20 100 in context
    later = [replace(turns[2], usage=expired), replace(turns[2], usage=expired, text_size=90),
             replace(turns[2], usage=shrunk)]  # fmt: skip
    result = attribute([*turns[:2], *later])
    result.check()
    read, bash = result.calls["read"], result.calls["bash"]
    # Turn 3 brought Bash's result: the prompt grew by 32 603 - 32 103 - 50 = 450, cut to its 300 bytes.
    assert bash.result.usage == Usage(cache_write_5m=300)
    # Turns 3 and 4 read nothing from the cache: the context was written again, and the results in
    # it paid their whole tokens out of those writes (Read on both, Bash from turn 4 on).
    # Turn 5 had 10 003 tokens for the 20 300 of results in context: shared 20 000 : 300.
    assert read.rent.cache_write_5m == 20_000 * 2 + round(2_000 * 20_000 / 20_300)
    assert read.rent.cache_read == round(8_000 * 20_000 / 20_300)
    assert bash.rent.tokens == 300 + 10_003 - round(10_003 * 20_000 / 20_300)
    assert (read.rent_turns, bash.rent_turns) == (3, 2)
    # Its dollars are shared the same way: within a token's price of its tokens at the rates.
    priced = read.rent.cache_write_5m * 3_750_000 + read.rent.cache_read * 300_000 + read.rent.input * 3_000_000
    assert abs(read.rent.pico - priced) <= 3_750_000


#: (run folder, model) where Claude Code's own costUSD is 5/3 of the vendor's price: the 2.1.42 ADW
#: run priced claude-sonnet-4-5-20250929 at Opus rates (tests/core/test_pricing.py pins it too).
MISPRICED_BY_CLAUDE_CODE = {("2048-adw-1be417b6-v2.1.42", "claude-sonnet-4-5-20250929"): Decimal(5) / 3}
WITH_ACCOUNT = [p for p in LOGS if read_session(p).figures is not None]


@pytest.mark.parametrize("path", WITH_ACCOUNT, ids=lambda p: str(p.relative_to(FIXTURES))[-70:])
def test_the_computed_cost_agrees_with_the_runs_own_within_one_percent(path: Path) -> None:
    session, turns, background = session_of(path)
    assert session.figures is not None
    result = attribute(turns, background=background)
    for model, account in session.figures.models.items():
        assert account.cost_usd is not None
        computed = result.by_model[model].usd
        pinned = next((r for (run, m), r in MISPRICED_BY_CLAUDE_CODE.items() if run in str(path) and m == model), None)
        if pinned is None:
            assert abs(computed - account.cost_usd) <= account.cost_usd / 100, (model, computed, account.cost_usd)
        else:
            assert abs(account.cost_usd / computed - pinned) < Decimal("1e-9")
    assert len(WITH_ACCOUNT) >= 10
