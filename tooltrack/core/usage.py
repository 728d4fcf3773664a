"""Usage per model turn: the tokens of one API message, what they cost, and how to count them once.

Claude Code writes each assistant message's `usage` (input, cache writes split into 5-minute and
1-hour, cache reads, output) and `model`, in transcripts and in stream-json. Three facts shape this
module:

- One API message is written over several lines (one per content block: thinking, text, each
  tool_use), each repeating the message's usage. Count the message once, keyed by message id and
  request id (ccusage's key), with the largest figure of each kind: while the message streams its
  earlier lines carry a partial `output_tokens` (2, 2, 178 in a real file). `UsageFolder` does it.
- A 1-hour cache write (`cache_creation.ephemeral_1h_input_tokens`) costs more than a 5-minute one
  (2x input, not 1.25x): `Usage` keeps them apart and `cost_of` prices each at its own rate.
- stream-json's final `result` line is the run's own account (`total_cost_usd`, `modelUsage` per
  model). Its assistant lines can show only the usage at the start of each message (output 1-8
  tokens in Claude Code 2.1.x), and Claude Code's own small requests (a haiku model titling or
  checking commands) show up in `modelUsage` alone. `reconcile` lays the run's figures over the
  turns: the missing output spread over the model's turns, the rest named as background usage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final

from tooltrack.core.pricing import PriceTable, prices, usd

#: `Usage` fields, in the order of `pricing.TOKEN_KINDS`.
USAGE_FIELDS: Final = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")


def _count(value: Any) -> int:
    """A token count as the API writes it; anything else (missing, negative, not a whole number) is 0."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens of one request (or a sum of requests), by kind."""

    input: int = 0
    """Uncached input tokens."""
    output: int = 0
    cache_write_5m: int = 0
    cache_write_1h: int = 0
    cache_read: int = 0

    @property
    def cache_write(self) -> int:
        return self.cache_write_5m + self.cache_write_1h

    @property
    def prompt(self) -> int:
        """Every input token of the request: uncached, written to cache and read from it."""
        return self.input + self.cache_write_5m + self.cache_write_1h + self.cache_read

    @property
    def total(self) -> int:
        return self.prompt + self.output

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input + other.input,
            self.output + other.output,
            self.cache_write_5m + other.cache_write_5m,
            self.cache_write_1h + other.cache_write_1h,
            self.cache_read + other.cache_read,
        )

    def largest(self, other: Usage) -> Usage:
        """The larger figure of each kind: two lines of one streaming message make one usage."""
        return Usage(
            max(self.input, other.input),
            max(self.output, other.output),
            max(self.cache_write_5m, other.cache_write_5m),
            max(self.cache_write_1h, other.cache_write_1h),
            max(self.cache_read, other.cache_read),
        )

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in USAGE_FIELDS}

    @classmethod
    def from_message(cls, usage: Any) -> Usage | None:
        """An assistant message's `usage` object (API spelling, as transcripts and stream-json write it).

        `cache_creation_input_tokens` is the whole cache write; its `cache_creation` split names the
        1-hour part (`ephemeral_1h_input_tokens`) and the rest is 5-minute, so the total is kept
        even where the split does not add up to it. Without a split every write is 5-minute, the
        API's default. None when `usage` is not an object.
        """
        if not isinstance(usage, Mapping):
            return None
        written = _count(usage.get("cache_creation_input_tokens"))
        split = usage.get("cache_creation")
        hour = 0
        if isinstance(split, Mapping):
            hour = _count(split.get("ephemeral_1h_input_tokens"))
            five = _count(split.get("ephemeral_5m_input_tokens"))
            written = max(written, hour + five)  # a split without the total still counts
        return cls(
            input=_count(usage.get("input_tokens")),
            output=_count(usage.get("output_tokens")),
            cache_write_5m=written - hour,
            cache_write_1h=hour,
            cache_read=_count(usage.get("cache_read_input_tokens")),
        )

    @classmethod
    def from_model_usage(cls, figures: Any, *, cache_write_1h: int = 0) -> Usage | None:
        """One model's entry of a `result` line's `modelUsage` (camelCase, no 5-minute / 1-hour split).

        `cache_write_1h` says how much of its cache write was 1-hour, where the caller knows it
        (the result line's `usage.cache_creation`); the rest is 5-minute.
        """
        if not isinstance(figures, Mapping):
            return None
        written = _count(figures.get("cacheCreationInputTokens"))
        hour = min(_count(cache_write_1h), written)
        return cls(
            input=_count(figures.get("inputTokens")),
            output=_count(figures.get("outputTokens")),
            cache_write_5m=written - hour,
            cache_write_1h=hour,
            cache_read=_count(figures.get("cacheReadInputTokens")),
        )


NO_USAGE: Final = Usage()


@dataclass(frozen=True, slots=True)
class Cost:
    """What a usage cost: exact pico-dollars, or nothing known and why (`problem`)."""

    pico: int
    problem: str | None = None
    """None when priced; else why not (`pricing.UNKNOWN_MODEL`, no price on that day)."""

    @property
    def usd(self) -> Decimal:
        return usd(self.pico)


def cost_of(model: str, usage: Usage, when: date | datetime | None = None, table: PriceTable | None = None) -> Cost:
    """The cost of one request (one model turn): each token kind at its model's rate on that day.

    A request whose prompt is above a long-context threshold pays the long rates on all its
    tokens. An unknown model costs 0 with `problem` set: its tokens are still its tokens.
    """
    found = (table or prices()).lookup(model, when)
    if found.price is None:
        return Cost(0, found.problem)
    rates = found.price.rates_for(usage.prompt)
    return Cost(rates.cost(usage.input, usage.output, usage.cache_write_5m, usage.cache_write_1h, usage.cache_read))


# -- one API message over several lines ----------------------------------------------------------


def message_key(line: Mapping[str, Any]) -> str | None:
    """The key of the API message an assistant line belongs to: message id and request id.

    `requestId` is on transcript lines; stream-json has none, and its message id alone is the key
    there. None when the line has no message id: such a line counts as a message of its own.
    """
    message = line.get("message")
    message_id = message.get("id") if isinstance(message, Mapping) else None
    if not isinstance(message_id, str) or not message_id:
        return None
    request = line.get("requestId")
    return f"{message_id}:{request}" if isinstance(request, str) and request else message_id


@dataclass(slots=True)
class MessageUsage:
    """One API message: its model, its usage (largest figures over its lines), how many lines wrote it."""

    key: str | None
    model: str
    usage: Usage
    lines: int = 1


@dataclass(slots=True)
class UsageFolder:
    """Folds the assistant lines of a log into one `MessageUsage` per API message, in first-seen order.

    Use one folder for all the files of a session, so that a resumed session repeating earlier
    lines (same message id and request id) counts them once.
    """

    messages: list[MessageUsage] = field(default_factory=list)
    _by_key: dict[str, MessageUsage] = field(default_factory=dict)

    def add(self, line: Mapping[str, Any]) -> MessageUsage | None:
        """Take one line: the message it belongs to (new or already seen), None if it has no usage."""
        message = line.get("message")
        if not isinstance(message, Mapping):
            return None
        usage = Usage.from_message(message.get("usage"))
        if usage is None:
            return None
        key = message_key(line)
        seen = self._by_key.get(key) if key is not None else None
        if seen is not None:
            seen.usage = seen.usage.largest(usage)
            seen.lines += 1
            return seen
        model = message.get("model")
        entry = MessageUsage(key, model if isinstance(model, str) else "", usage)
        self.messages.append(entry)
        if key is not None:
            self._by_key[key] = entry
        return entry

    def by_model(self) -> dict[str, Usage]:
        """The usage of all messages, summed per model."""
        return sum_by_model((m.model, m.usage) for m in self.messages)


def sum_by_model(usages: Iterable[tuple[str, Usage]]) -> dict[str, Usage]:
    """Usages summed per model, in first-seen order."""
    totals: dict[str, Usage] = {}
    for model, usage in usages:
        totals[model] = totals.get(model, NO_USAGE) + usage
    return totals


# -- the run's own account: stream-json's result line --------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


@dataclass(frozen=True, slots=True)
class ModelFigures:
    """One model's line of a run's account: its tokens and the cost Claude Code computed."""

    usage: Usage
    cost_usd: Decimal | None


@dataclass(frozen=True, slots=True)
class RunFigures:
    """A stream-json `result` line's account of the run: `total_cost_usd` and `modelUsage`."""

    total_cost_usd: Decimal | None
    models: Mapping[str, ModelFigures]


def run_figures(line: Mapping[str, Any]) -> RunFigures | None:
    """The account on a `result` line; None for any other line.

    `modelUsage` has no 5-minute / 1-hour split: the 1-hour writes of the line's `usage` (the main
    model's) go to the model with the largest cache write that can hold them.
    """
    if line.get("type") != "result":
        return None
    hour = 0
    usage = line.get("usage")
    if isinstance(usage, Mapping) and isinstance(usage.get("cache_creation"), Mapping):
        hour = _count(usage["cache_creation"].get("ephemeral_1h_input_tokens"))
    entries = line.get("modelUsage")
    entries = entries if isinstance(entries, Mapping) else {}
    writes = {name: _count(f.get("cacheCreationInputTokens")) for name, f in entries.items() if isinstance(f, Mapping)}
    holder = max((n for n in writes if writes[n] >= hour), key=lambda n: writes[n], default=None) if hour else None
    models: dict[str, ModelFigures] = {}
    for name, figures in entries.items():
        found = Usage.from_model_usage(figures, cache_write_1h=hour if name == holder else 0)
        if found is not None and isinstance(name, str):
            models[name] = ModelFigures(found, _decimal(figures.get("costUSD")))
    return RunFigures(_decimal(line.get("total_cost_usd")), models)


@dataclass(frozen=True, slots=True)
class Reconciled:
    """Turn usages with the run's account laid over them.

    `usages`: one per turn, in order, with the output the run reports beyond its lines spread over
    that model's turns. `background`: per model, what the run used beyond every turn (Claude Code's
    own requests, or a whole model no line shows). `over`: per model, what the turns show beyond
    the run's account (kept, to be reported).
    """

    usages: tuple[Usage, ...]
    background: Mapping[str, Usage]
    over: Mapping[str, Usage]


def reconcile(turns: Sequence[tuple[str, Usage, int]], figures: RunFigures) -> Reconciled:
    """Lay a run's account over its turns: (model, usage, weight) each, weight = the turn's content size.

    For each model the account names: output tokens it reports beyond its turns are shared among
    that model's turns in proportion to their weight (equally when all weigh 0), so per-turn output
    reads the true total (stream-json lines carry the usage at a message's start); every other gap,
    and the whole of a model no turn used, is that model's background usage. Kinds where the turns
    show more than the account are left as they are and named in `over`. The sum of `usages` and
    `background` equals the account for each kind wherever `over` is empty.
    """
    usages = [usage for _, usage, _ in turns]
    if not figures.models:
        return Reconciled(tuple(usages), {}, {})
    seen = sum_by_model((model, usage) for model, usage, _ in turns)
    background: dict[str, Usage] = {}
    over: dict[str, Usage] = {}
    for model, account in figures.models.items():
        mine = seen.get(model, NO_USAGE)
        indexes = [i for i, (m, _, _) in enumerate(turns) if m == model]
        output_gap = account.usage.output - mine.output
        spread = output_gap if output_gap > 0 and indexes else 0
        if spread:
            weights = [max(turns[i][2], 0) for i in indexes]
            extras = largest_remainder(spread, weights if any(weights) else [1] * len(weights))
            for i, extra in zip(indexes, extras, strict=True):
                u = usages[i]
                usages[i] = Usage(u.input, u.output + extra, u.cache_write_5m, u.cache_write_1h, u.cache_read)
        write_gap = account.usage.cache_write - mine.cache_write
        hour_gap = min(max(account.usage.cache_write_1h - mine.cache_write_1h, 0), max(write_gap, 0))
        extra_usage = Usage(
            input=max(account.usage.input - mine.input, 0),
            output=max(output_gap, 0) - spread,
            cache_write_5m=max(write_gap, 0) - hour_gap,
            cache_write_1h=hour_gap,
            cache_read=max(account.usage.cache_read - mine.cache_read, 0),
        )
        if extra_usage.total:
            background[model] = extra_usage
        beyond = Usage(
            input=max(mine.input - account.usage.input, 0),
            output=max(-output_gap, 0),
            cache_write_5m=max(-write_gap, 0),
            cache_write_1h=0,
            cache_read=max(mine.cache_read - account.usage.cache_read, 0),
        )
        if beyond.total:
            over[model] = beyond
    for model, usage in seen.items():
        if model not in figures.models and usage.total:
            over[model] = usage
    return Reconciled(tuple(usages), background, over)


@dataclass(frozen=True, slots=True)
class CostCheck:
    """Computed cost beside the run's own figure, for one model (or the whole run: `model` None)."""

    model: str | None
    computed_usd: Decimal
    reported_usd: Decimal | None

    @property
    def difference_usd(self) -> Decimal | None:
        return None if self.reported_usd is None else self.computed_usd - self.reported_usd

    @property
    def relative(self) -> Decimal | None:
        """(computed - reported) / reported; None when nothing was reported or it was 0."""
        if self.reported_usd is None or self.reported_usd == 0:
            return None
        return (self.computed_usd - self.reported_usd) / self.reported_usd


def check_run(computed: Mapping[str, int], figures: RunFigures) -> list[CostCheck]:
    """Computed cost per model (pico-dollars, e.g. `Attribution.by_model`) beside the run's own figures.

    One `CostCheck` per model of either side, then the whole run (`model` None) against
    `total_cost_usd`. Price each turn on its own before adding up (a long-context turn has its
    own rates): that is why this takes costs, not usages.
    """
    checks = []
    for model in dict.fromkeys([*computed, *figures.models]):
        reported = figures.models.get(model)
        checks.append(CostCheck(model, usd(computed.get(model, 0)), reported.cost_usd if reported else None))
    checks.append(CostCheck(None, usd(sum(computed.values())), figures.total_cost_usd))
    return checks


def largest_remainder(amount: int, weights: Sequence[int]) -> list[int]:
    """`amount` split in proportion to `weights`, in whole units that add up to it exactly.

    Largest remainder: each gets the floor of its exact share, and the units left over go to the
    largest fractional parts, ties to the earlier weight, so the same input always splits the same
    way. All weights 0 (or none): nothing is split, every share is 0.
    """
    if len(weights) == 1:
        return [amount if weights[0] > 0 else 0]  # the common case, and the hot path of attribution
    whole = sum(weights)
    if whole <= 0 or amount == 0:
        return [0] * len(weights)
    shares = []
    remainders = []  # the fractional part of share i, times `whole`: compared in integers
    for weight in weights:
        share, remainder = divmod(amount * weight, whole)
        shares.append(share)
        remainders.append(remainder)
    left = amount - sum(shares)
    if left:
        # A stable sort, descending: among equal remainders the earlier weight comes first.
        for i in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:left]:
            shares[i] += 1
    return shares
