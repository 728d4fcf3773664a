"""What a Claude Code session cost, and each of its tool calls: the ingest's side of cost attribution.

`SessionTurns` collects a session's model turns while `ClaudeLog` reads its lines: each assistant
message once (`core.usage.UsageFolder`: message id + request id, the largest figures over the
lines that repeat it), with the agent that made it (the main chain, a stream-json sub-agent's
`parent_tool_use_id`, or a transcript sidechain's agent, resolved to its Task call at the end),
the bytes of its tool_use, text and thinking blocks, the sizes of the tool results its agent's
next turn carries, compact boundaries, and the `result` line's account. `price` then runs
`core.cost.attribute` over them (with `core.usage.reconcile` where a `result` line gives the run's
own figures) and gives each call its parts (`costs_of`), the session's total and the remainder
(`SessionCost`, which the report carries: docs/analytics.md "Cost: what each tool call cost").
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

import orjson

from tooltrack.core import (
    REMAINDER_NAMES,
    Attribution,
    CallCost,
    MessageUsage,
    RunFigures,
    ToolUse,
    Turn,
    UsageFolder,
    attribute,
    check_run,
    reconcile,
    usd,
)

#: Pico-dollars in a dollar (`core.pricing`'s unit).
PICO_PER_USD: Final = 10**12
#: Prefix of a transcript sidechain's agent until it is resolved to its Task call.
SIDECHAIN: Final = "sidechain:"


def _size(block: Any) -> int:
    """Bytes of a content block's compact JSON: what attribution shares a turn's output by."""
    try:
        return len(orjson.dumps(block))
    except TypeError:
        return 0


@dataclass(slots=True)
class _Draft:
    """One model turn as it is read: its API message, its agent and the sizes of what it holds."""

    message: MessageUsage
    agent: str
    when: datetime | None
    compacted: bool
    tool_uses: dict[str, int] = field(default_factory=dict)
    text: int = 0
    thinking: int = 0
    results: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SessionCost:
    """What one session (or one stream-json run) cost, as computed, beside its own figure.

    Parts in pico-dollars: `calls_pico` (every attributed call) plus the `remainder` add up exactly to
    `total_pico`. `reported_usd` is the `result` line's `total_cost_usd`, where there is one.
    """

    session_id: str
    turns: int
    calls: int
    total_pico: int
    total_tokens: int
    calls_pico: int
    parts_pico: Mapping[str, int]
    """issuing / result / rent / subagent, summed over the calls."""
    remainder: Mapping[str, int]
    """Pico-dollars per remainder name (`core.cost.REMAINDER_NAMES`)."""
    reported_usd: Decimal | None = None
    unknown_models: tuple[str, ...] = ()
    unstored_pico: int = 0
    """The part of `calls_pico` of calls not stored with this log (repeated lines, rejected calls)."""

    @property
    def total_usd(self) -> Decimal:
        return usd(self.total_pico)

    @property
    def difference(self) -> Decimal | None:
        """(computed - reported) / reported, where the run reports a cost other than 0."""
        if self.reported_usd is None or self.reported_usd == 0:
            return None
        return (self.total_usd - self.reported_usd) / self.reported_usd

    def describe(self) -> str:
        """One line for the report and the task log's message."""
        text = f"computed cost ${self.total_usd:.6f} ({self.total_tokens:,} tokens, {self.turns} turns)"
        text += f"; calls ${usd(self.calls_pico):.6f}, remainder " + ", ".join(
            f"{name} ${usd(pico):.6f}" for name, pico in self.remainder.items() if pico
        )
        if self.unstored_pico:
            text += f" (${usd(self.unstored_pico):.6f} of it on calls not stored with this log)"
        if self.reported_usd is not None:
            diff = self.difference
            text += f"; the run reports ${self.reported_usd:.6f}"
            text += f" (computed {diff:+.2%})" if diff is not None else ""
        if self.unknown_models:
            text += f"; no price for {', '.join(self.unknown_models)}: their tokens are kept without cost"
        return text


@dataclass(slots=True)
class Priced:
    """A session's attribution and what the ingest stores of it."""

    attribution: Attribution
    models: dict[str, str]
    """Call id -> the model of the turn that issued it."""
    unknown: frozenset[str]
    summary: SessionCost


@dataclass(slots=True)
class SessionTurns:
    """The model turns of one session (or stream-json run), collected line by line."""

    folder: UsageFolder = field(default_factory=UsageFolder)
    drafts: list[_Draft] = field(default_factory=list)
    _by_message: dict[int, _Draft] = field(default_factory=dict)
    _last_of_agent: dict[str, _Draft] = field(default_factory=dict)
    _compact_next: set[str] = field(default_factory=set)
    figures: RunFigures | None = None

    def assistant(self, line: Mapping[str, Any], content: Any, agent: str, when: datetime | None) -> bool:
        """An assistant line: True when it starts a new API message (False: a line of one already seen)."""
        entry = self.folder.add(line)
        if entry is None:
            return False
        draft = self._by_message.get(id(entry))
        new = draft is None
        if draft is None:
            draft = _Draft(entry, agent, when, agent in self._compact_next)
            self._compact_next.discard(agent)
            self._by_message[id(entry)] = draft
            self.drafts.append(draft)
            self._last_of_agent[agent] = draft
        if isinstance(content, list):
            for block in content:
                if not isinstance(block, dict):
                    continue
                kind = block.get("type")
                if kind == "tool_use":
                    call_id = block.get("id")
                    if isinstance(call_id, str) and call_id not in draft.tool_uses:
                        draft.tool_uses[call_id] = _size(block)
                elif kind == "text":
                    draft.text += _size(block)
                elif kind in ("thinking", "redacted_thinking"):
                    draft.thinking += _size(block)
        elif isinstance(content, str):
            draft.text += len(content)
        return new

    def result(self, agent: str, call_id: str, size: int) -> None:
        """A tool result in a user line of `agent`: its next turn carries it."""
        last = self._last_of_agent.get(agent)
        if last is not None and call_id not in last.results:
            last.results[call_id] = size

    def compact(self, agent: str) -> None:
        """A compact boundary: the agent's next turn starts from a summary."""
        self._compact_next.add(agent)

    def price(
        self,
        session_id: str,
        resolve: Callable[[str], str],
        *,
        skip: Collection[str] = (),
        when: datetime | None = None,
    ) -> Priced | None:
        """Attribute the session's cost (None when it has no usage at all).

        `resolve` turns a sidechain agent (`SIDECHAIN` + its id) into its Task call's id; `skip`
        holds message keys counted elsewhere (the session a resumed one repeats).
        """
        drafts = [d for d in self.drafts if d.message.key is None or d.message.key not in skip]
        if not drafts and self.figures is None:
            return None
        agents: dict[str, str] = {}
        turns: list[Turn] = []
        models: dict[str, str] = {}
        for d in drafts:
            agent = d.agent
            if agent.startswith(SIDECHAIN):
                found = agents.get(agent)
                if found is None:
                    found = agents[agent] = resolve(agent)
                agent = found
            model = d.message.model
            for call_id in d.tool_uses:
                models.setdefault(call_id, model)
            turns.append(
                Turn(
                    agent=agent,
                    model=model,
                    usage=d.message.usage,
                    tool_uses=tuple(ToolUse(c, s) for c, s in d.tool_uses.items()),
                    text_size=d.text,
                    thinking_size=d.thinking,
                    results=tuple(d.results.items()),
                    compacted=d.compacted,
                    when=d.when,
                )
            )
        background = None
        reported = None
        if self.figures is not None:
            weights = [sum(u.size for u in t.tool_uses) + t.text_size + t.thinking_size for t in turns]
            done = reconcile([(t.model, t.usage, w) for t, w in zip(turns, weights, strict=True)], self.figures)
            turns = [replace(t, usage=u) for t, u in zip(turns, done.usages, strict=True)]
            background = dict(done.background)
            reported = self.figures.total_cost_usd
        result = attribute(turns, background=background, when=when)
        parts = {
            name: sum(getattr(c, name).pico for c in result.calls.values())
            for name in ("issuing", "result", "rent", "subagent")
        }
        summary = SessionCost(
            session_id=session_id,
            turns=len(turns),
            calls=len(result.calls),
            total_pico=result.total.pico,
            total_tokens=result.total.tokens,
            calls_pico=sum(parts.values()),
            parts_pico=parts,
            remainder={name: result.remainder[name].pico for name in REMAINDER_NAMES},
            reported_usd=reported,
            unknown_models=tuple(m or "(none named)" for m in result.unknown_models),
        )
        return Priced(result, models, frozenset(result.unknown_models), summary)

    def checks(self, priced: Priced) -> list[Any]:
        """Computed cost per model beside the run's own figures (`core.usage.check_run`)."""
        if self.figures is None:
            return []
        return check_run({m: p.pico for m, p in priced.attribution.by_model.items()}, self.figures)


def call_fields(cost: CallCost, model: str | None, unknown: frozenset[str]) -> dict[str, Any]:
    """A call's cost fields for its record: dollars per part and its tokens (no dollars for an unknown model)."""
    total = cost.total
    values: dict[str, Any] = {"cost_tokens": total.tokens}
    if model is not None:
        values["model"] = model
    if model in unknown:
        return values
    # pico / 10^12 as a float: `round(x * 10**12)` gives the pico-dollars back below $9,000
    # (2^53 pico-dollars), and it is several times cheaper than through Decimal.
    values.update(
        cost_usd=total.pico / PICO_PER_USD,
        cost_issuing_usd=cost.issuing.pico / PICO_PER_USD,
        cost_result_usd=cost.result.pico / PICO_PER_USD,
        cost_rent_usd=cost.rent.pico / PICO_PER_USD,
        cost_subagent_usd=cost.subagent.pico / PICO_PER_USD,
    )
    return values
