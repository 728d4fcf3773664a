"""Cost attribution: what each tool call cost, in tokens and dollars, and what no call caused.

The input is the session's model turns in order (`Turn`: the agent that made the request, its
model and usage, the tool_use blocks it issued with their sizes, the size of its text and thinking,
the sizes of the results that the next turn of that agent carries, whether a compact boundary
precedes it). Every token of every turn goes to exactly one owner:

1. *issuing*: a turn's output tokens, shared among its tool_use blocks, its text and its thinking
   by their size (the bytes of each block's JSON); the text and thinking shares are remainder.
2. *result*: the tokens a call's result adds to the next request of its agent. Where the growth
   can be isolated, it is the growth of that request's prompt over the agent's previous one, less
   the previous turn's output (which re-enters as input), shared among the results it carries by
   their size; a result never gets more tokens than its bytes (a token is at least one byte).
   Else (the agent's first turn, or the prompt did not grow) it is estimated: `CHARS_PER_TOKEN`
   bytes a token. These tokens come out of that request's cache writes (5-minute, then 1-hour),
   then its uncached input: the price they are charged at.
3. *rent*: on every later turn of the same agent, until a compact boundary or the end of the
   session, each result still in context pays its tokens again, out of that turn's cache reads
   (and, when the cache expired and the context was written again, out of what is left of the
   writes and input), so a 40 K-token Read kept for 60 turns costs 60 cache reads of 40 K tokens.
4. *sub-agent*: the turns of a sub-agent (its `agent` is the id of the Task call that started it)
   pay for their own calls as above; what is left of them (its prompt, system, text, thinking)
   goes to that Task call.
5. *remainder*, named: `context` (prompt tokens no result or rent claims: system prompt, tool
   definitions, user prompts, earlier replies read again), `text`, `thinking`, `background`
   (usage a run reports that no turn shows) and `unlinked_subagents` (turns of an agent whose Task
   call is not among the turns).

Counts are whole tokens split by largest remainder (`usage.largest_remainder`, ties to the earlier), and money
is whole pico-dollars (tokens x rate, `pricing.Rates`): the parts of all calls plus the remainder
add up exactly, token kind by token kind and pico-dollar by pico-dollar, to the session's total
(`Attribution.check`). An unknown model's tokens are attributed the same way and cost 0; the
model is named in `Attribution.unknown_models`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Final

from tooltrack.core.pricing import FREE, PriceTable, Rates, prices, usd
from tooltrack.core.usage import NO_USAGE, Usage, largest_remainder

#: The agent of the session's own turns (a sub-agent's turns name the id of their Task call).
MAIN_AGENT: Final = "main"
#: Bytes of a tool result's JSON per token, where its tokens cannot be read from the usage. On the
#: real transcripts in tests/fixtures, results of 1 KB and more grew the next prompt by one token
#: per 2.7 bytes (median of 137; quartiles 2.2 and 3.4): `tests/core/test_cost.py` measures it.
CHARS_PER_TOKEN: Final = 3
#: The remainder's names.
CONTEXT: Final = "context"
TEXT: Final = "text"
THINKING: Final = "thinking"
BACKGROUND: Final = "background"
UNLINKED_SUBAGENTS: Final = "unlinked_subagents"
REMAINDER_NAMES: Final = (CONTEXT, TEXT, THINKING, BACKGROUND, UNLINKED_SUBAGENTS)


@dataclass(frozen=True, slots=True)
class ToolUse:
    """A tool_use block a turn issued: the call's id and the bytes of the block's JSON."""

    call_id: str
    size: int


@dataclass(frozen=True, slots=True)
class Turn:
    """One model turn (one API request and its answer), as attribution needs it."""

    agent: str
    """`MAIN_AGENT`, or the id of the Task call whose sub-agent made this request."""
    model: str
    usage: Usage
    tool_uses: tuple[ToolUse, ...] = ()
    text_size: int = 0
    """Bytes of the JSON of the turn's text blocks."""
    thinking_size: int = 0
    """Bytes of the JSON of the turn's thinking blocks."""
    results: tuple[tuple[str, int], ...] = ()
    """(call id, bytes) of each tool result the next turn of this agent carries."""
    compacted: bool = False
    """A compact boundary precedes this turn in its agent's context."""
    when: date | datetime | None = None
    """When the request was made (for the price of that day); None: the newest price."""


@dataclass(slots=True)
class Part:
    """Tokens by kind and their exact cost in pico-dollars: one part of a call's cost, or of the remainder."""

    input: int = 0
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0
    pico: int = 0

    @property
    def tokens(self) -> int:
        return self.input + self.output + self.cache_write_5m + self.cache_write_1h + self.cache_read

    @property
    def usage(self) -> Usage:
        return Usage(self.input, self.output, self.cache_write_5m, self.cache_write_1h, self.cache_read)

    @property
    def usd(self) -> Decimal:
        return usd(self.pico)

    def add(self, other: Part) -> None:
        """Add `other` into this part."""
        self.input += other.input
        self.output += other.output
        self.cache_write_5m += other.cache_write_5m
        self.cache_write_1h += other.cache_write_1h
        self.cache_read += other.cache_read
        self.pico += other.pico

    def add_usage(self, usage: Usage, rates: Rates) -> None:
        """Add a usage, priced at `rates`."""
        self.input += usage.input
        self.output += usage.output
        self.cache_write_5m += usage.cache_write_5m
        self.cache_write_1h += usage.cache_write_1h
        self.cache_read += usage.cache_read
        self.pico += rates.cost(usage.input, usage.output, usage.cache_write_5m, usage.cache_write_1h, usage.cache_read)


def total_of(parts: Iterable[Part]) -> Part:
    """The sum of parts."""
    whole = Part()
    for part in parts:
        whole.add(part)
    return whole


@dataclass(slots=True)
class CallCost:
    """What one tool call cost, in four parts (see the module's docstring)."""

    call_id: str
    agent: str
    """The agent whose turn issued the call (or carried its result, if its tool_use is not among the turns)."""
    issuing: Part = field(default_factory=Part)
    result: Part = field(default_factory=Part)
    rent: Part = field(default_factory=Part)
    subagent: Part = field(default_factory=Part)
    """For a Task call: what its sub-agent's turns cost beyond their own calls."""
    rent_turns: int = 0
    """Later turns on which the result paid rent."""
    result_estimated: bool = False
    """The result's tokens were estimated from its size (`CHARS_PER_TOKEN`), not read from the next turn."""

    @property
    def total(self) -> Part:
        return total_of((self.issuing, self.result, self.rent, self.subagent))


@dataclass(slots=True)
class Attribution:
    """Per call costs, the named remainder, and the session total they add up to."""

    calls: dict[str, CallCost]
    remainder: dict[str, Part]
    total: Part
    """The session's computed cost: every turn's usage at its price, and the background usage."""
    unknown_models: dict[str, Usage]
    """Tokens of turns whose model has no price (they count here at 0 dollars)."""
    by_model: dict[str, Part]
    """The total, per model (each turn priced on its own, so a long-context turn pays its own rates)."""

    def check(self) -> None:
        """Raise `AssertionError` unless calls and remainder add up exactly to the total (tokens and pico)."""
        parts = [p for c in self.calls.values() for p in (c.issuing, c.result, c.rent, c.subagent)]
        added = total_of([*parts, *self.remainder.values()])
        if added != self.total:
            raise AssertionError(f"attributed parts {added} do not add up to the session total {self.total}")


#: The slow clocks' fixed point: a turn's share per token of context is kept as a multiple of 2^-48.
_SCALE: Final = 1 << 48
#: What the slow clocks keep: each token kind rent can come out of, then pico-dollars.
_SLOW: Final = ("cache_read", "cache_write_5m", "cache_write_1h", "input", "pico")


@dataclass(slots=True)
class _Live:
    """A result in an agent's context: it pays rent on every later turn, until it settles."""

    call: CallCost
    tokens: int
    # The agent's clocks when the result came in (see `_Agent`).
    clock_turns: int = 0
    clock_pico: int = 0
    slow_turns: int = 0
    slow_clock: tuple[int, ...] = (0, 0, 0, 0, 0)


@dataclass(slots=True)
class _Agent:
    """What attribution keeps of one agent's context between its turns.

    Rent is kept on clocks, so that a turn costs O(1) however many results are in context:

    - the fast clock counts the turns on which every live result paid its whole tokens out of
      cache reads (the usual turn), and sums the cache-read rate over them: a result's rent is
      its tokens times the clock's advance while it was in context, exact;
    - the slow clocks cover the other turns (the cache expired, or the context shrank below the
      results in it): each adds, per kind, the tokens taken per token of context (fixed point) and
      keeps the exact total taken. When the results settle (compaction, end of session; they all
      leave together) each total is shared among them by tokens x advance, largest remainder.
    """

    prev_prompt: int | None = None
    prev_output: int = 0
    pending: tuple[tuple[str, int], ...] = ()
    live: list[_Live] = field(default_factory=list)
    live_tokens: int = 0
    clock_turns: int = 0
    clock_pico: int = 0
    slow_turns: int = 0
    slow_clock: list[int] = field(default_factory=lambda: [0] * len(_SLOW))
    slow_total: list[int] = field(default_factory=lambda: [0] * len(_SLOW))
    remainder: Part = field(default_factory=Part)
    text: Part = field(default_factory=Part)
    thinking: Part = field(default_factory=Part)

    def enter(self, live: _Live) -> None:
        """A result joins the context: its rent starts from the next turn on."""
        live.clock_turns, live.clock_pico = self.clock_turns, self.clock_pico
        live.slow_turns, live.slow_clock = self.slow_turns, tuple(self.slow_clock)
        self.live.append(live)
        self.live_tokens += live.tokens

    def settle(self) -> None:
        """Rent up to now for every live result, which then leaves the context (compaction, session end)."""
        for live in self.live:
            turns = self.clock_turns - live.clock_turns
            live.call.rent.cache_read += live.tokens * turns
            live.call.rent.pico += live.tokens * (self.clock_pico - live.clock_pico)
            live.call.rent_turns += turns + self.slow_turns - live.slow_turns
        if self.slow_turns and self.live:
            for index, name in enumerate(_SLOW):
                if not self.slow_total[index]:
                    continue
                weights = [live.tokens * (self.slow_clock[index] - live.slow_clock[index]) for live in self.live]
                for live, amount in zip(self.live, largest_remainder(self.slow_total[index], weights), strict=True):
                    setattr(live.call.rent, name, getattr(live.call.rent, name) + amount)
        self.live = []
        self.live_tokens = 0
        self.slow_clock = [0] * len(_SLOW)
        self.slow_total = [0] * len(_SLOW)


#: Order in which new content (a result) is charged: the request's cache writes, then its uncached input.
_NEW_KINDS: Final = ("cache_write_5m", "cache_write_1h", "input")
#: Order in which old content (rent) is charged: cache reads, then what the request wrote again.
_OLD_KINDS: Final = ("cache_read", "cache_write_5m", "cache_write_1h", "input")


def attribute(
    turns: Iterable[Turn],
    *,
    table: PriceTable | None = None,
    background: Mapping[str, Usage] | None = None,
    when: date | datetime | None = None,
) -> Attribution:
    """Attribute a session's cost to its tool calls (see the module's docstring for the rules).

    `background`: per model, usage the run reports that no turn shows (`usage.reconcile`), priced
    on `when`'s day and named as remainder. The result adds up exactly (`Attribution.check`).
    """
    table = table or prices()
    calls: dict[str, CallCost] = {}
    agents: dict[str, _Agent] = {}
    total = Part()
    unknown: dict[str, Usage] = {}
    by_model: dict[str, Part] = {}
    for turn in turns:
        usage = turn.usage
        found = table.lookup(turn.model, turn.when)
        if found.price is None:
            rates = FREE
            unknown[turn.model] = unknown.get(turn.model, NO_USAGE) + usage
        else:
            rates = found.price.rates_for(usage.prompt)
        total.add_usage(usage, rates)
        model_part = by_model.get(turn.model)
        if model_part is None:
            model_part = by_model[turn.model] = Part()
        model_part.add_usage(usage, rates)
        agent = agents.get(turn.agent)
        if agent is None:
            agent = agents[turn.agent] = _Agent()
        if turn.compacted:
            # The context was summarised: what was in it stops paying rent, results not yet sent
            # went into the summary, and the prompt's growth says nothing about them.
            agent.settle()
            agent.pending = ()
            agent.prev_prompt = None
        pools = {
            "input": usage.input,
            "cache_write_5m": usage.cache_write_5m,
            "cache_write_1h": usage.cache_write_1h,
            "cache_read": usage.cache_read,
        }
        # The results this request brings claim its new tokens first; what was in context before
        # pays rent out of the cache reads (or what is left); results arriving now pay from the next turn.
        arriving = _charge_results(agent, turn, pools, rates, calls) if agent.pending else []
        if agent.live:
            _charge_rent(agent, pools, rates)
        for live in arriving:
            agent.enter(live)
        _charge_issuing(agent, turn, rates, calls)
        # What no result or rent claimed is the agent's context: system prompt, tools, prompts, replies.
        rest = agent.remainder
        rest.input += pools["input"]
        rest.cache_write_5m += pools["cache_write_5m"]
        rest.cache_write_1h += pools["cache_write_1h"]
        rest.cache_read += pools["cache_read"]
        rest.pico += rates.cost(
            pools["input"], 0, pools["cache_write_5m"], pools["cache_write_1h"], pools["cache_read"]
        )
        agent.prev_prompt = usage.prompt
        agent.prev_output = usage.output
        agent.pending = turn.results
    remainder = {name: Part() for name in REMAINDER_NAMES}
    for name, agent in agents.items():
        agent.settle()
        task = calls.get(name) if name != MAIN_AGENT else None
        if task is not None:
            for part in (agent.remainder, agent.text, agent.thinking):
                task.subagent.add(part)
        elif name == MAIN_AGENT:
            remainder[CONTEXT].add(agent.remainder)
            remainder[TEXT].add(agent.text)
            remainder[THINKING].add(agent.thinking)
        else:
            for part in (agent.remainder, agent.text, agent.thinking):
                remainder[UNLINKED_SUBAGENTS].add(part)
    for model, extra in (background or {}).items():
        found = table.lookup(model, when)
        if found.price is None:
            unknown[model] = unknown.get(model, NO_USAGE) + extra
        # A sum over requests no line shows: their prompt sizes are unknown, so the base rates.
        rates = FREE if found.price is None else found.price.rates
        remainder[BACKGROUND].add_usage(extra, rates)
        total.add_usage(extra, rates)
        by_model.setdefault(model, Part()).add_usage(extra, rates)
    return Attribution(calls, remainder, total, unknown, by_model)


def _call(calls: dict[str, CallCost], call_id: str, agent: str) -> CallCost:
    found = calls.get(call_id)
    if found is None:
        found = calls[call_id] = CallCost(call_id, agent)
    return found


def _charge_issuing(agent: _Agent, turn: Turn, rates: Rates, calls: dict[str, CallCost]) -> None:
    """The turn's output tokens, shared among its tool_use blocks, text and thinking by size."""
    output = turn.usage.output
    uses = turn.tool_uses
    rate = rates.output
    if len(uses) == 1 and not turn.text_size and not turn.thinking_size:
        shares = [output]  # the common turn: one call and nothing else
        text = thinking = 0
    else:
        weights = [max(use.size, 0) for use in uses]
        weights.append(max(turn.text_size, 0))
        weights.append(max(turn.thinking_size, 0))
        if not any(weights):
            # Nothing sized: the tokens are the reply's (or, with calls only, shared by the calls equally).
            weights = [1] * len(uses) + [0 if uses else 1, 0]
        shares = largest_remainder(output, weights)
        thinking = shares.pop()
        text = shares.pop()
    for use, tokens in zip(uses, shares, strict=True):
        part = _call(calls, use.call_id, turn.agent).issuing
        part.output += tokens
        part.pico += tokens * rate
    if text:
        agent.text.output += text
        agent.text.pico += text * rate
    if thinking:
        agent.thinking.output += thinking
        agent.thinking.pico += thinking * rate


def _charge_results(
    agent: _Agent, turn: Turn, pools: dict[str, int], rates: Rates, calls: dict[str, CallCost]
) -> list[_Live]:
    """The tokens the results of the agent's previous turn add to this request: result cost.

    Returns them as they enter the context; the caller starts their rent clock after this turn's rent.
    """
    pending = agent.pending
    sizes = [max(size, 0) for _, size in pending]
    growth = turn.usage.prompt - agent.prev_prompt - agent.prev_output if agent.prev_prompt is not None else 0
    if growth > 0:
        tokens = [min(t, s) for t, s in zip(largest_remainder(growth, sizes), sizes, strict=True)]
        estimated = False
    else:
        tokens = [-(-s // CHARS_PER_TOKEN) for s in sizes]
        estimated = True
    fresh = pools["cache_write_5m"] + pools["cache_write_1h"] + pools["input"]
    claimed = sum(tokens)
    if claimed > fresh:
        tokens = largest_remainder(fresh, tokens)
        claimed = fresh
    owners = [_call(calls, call_id, turn.agent) for call_id, _ in pending]
    for owner in owners:
        owner.result_estimated = estimated
    _take(pools, _NEW_KINDS, claimed, tokens, [o.result for o in owners], rates)
    return [_Live(owner, count) for owner, count in zip(owners, tokens, strict=True) if count]


def _charge_rent(agent: _Agent, pools: dict[str, int], rates: Rates) -> None:
    """Every result still in the agent's context pays its tokens on this turn: rent."""
    need = agent.live_tokens
    if need <= pools["cache_read"]:
        # The usual turn: the whole context came from the cache. Advance the fast clock.
        pools["cache_read"] -= need
        agent.clock_turns += 1
        agent.clock_pico += rates.cache_read
        return
    # Fewer cache reads than results in context: the cache expired (the context was written
    # again) or the context shrank. Take what the turn has, in order, onto the slow clocks.
    left = min(need, sum(pools[kind] for kind in _OLD_KINDS))
    pico = 0
    for index, kind in enumerate(_OLD_KINDS):
        taken = min(pools[kind], left)
        if not taken:
            continue
        pools[kind] -= taken
        left -= taken
        pico += taken * getattr(rates, kind)
        agent.slow_total[index] += taken
        agent.slow_clock[index] += taken * _SCALE // need
    agent.slow_total[-1] += pico
    agent.slow_clock[-1] += pico * _SCALE // need
    agent.slow_turns += 1


def _take(
    pools: dict[str, int], kinds: tuple[str, ...], claimed: int, counts: list[int], parts: list[Part], rates: Rates
) -> None:
    """Take `claimed` tokens out of `pools` in the order of `kinds`, and give `parts` their `counts` of them.

    Each kind taken is shared among the parts in proportion to their counts, so that every token
    taken lands in exactly one part.
    """
    left = claimed
    for kind in kinds:
        if not left:
            break
        taken = min(pools[kind], left)
        if not taken:
            continue
        pools[kind] -= taken
        left -= taken
        rate = getattr(rates, kind)
        pieces = counts if taken == claimed else largest_remainder(taken, counts)
        for part, piece in zip(parts, pieces, strict=True):
            if piece:
                setattr(part, kind, getattr(part, kind) + piece)
                part.pico += piece * rate
