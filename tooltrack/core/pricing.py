"""Prices: what a model's tokens cost, from an offline table that ships with tooltrack.

The table (`prices.json` beside this module, package data) holds USD per million tokens for each
model and token kind (`TOKEN_KINDS`), with the days each price holds, and aliases (undated ids, the
family names `opus` / `sonnet` / `haiku` that moved from model to model over time). A user file
named by `TOOLTRACK_PRICES`, in the same shape, overrides or adds models and aliases; a malformed
one is a `PriceFileError` naming the file and the field. Nothing here touches the network.

Rates are kept as whole pico-dollars per token: $1 per million tokens is 10^6 pico-dollars a token,
so every published rate (down to $0.01 / MTok, or $0.125) is an integer and every cost is
tokens x rate with no rounding at all. Sums of costs are exact; `usd` turns pico-dollars into a
`Decimal`.

An unknown model is not an error: `PriceTable.lookup` answers with no price and the problem
(`UNKNOWN_MODEL`), so that callers keep the tokens, give them no cost, and report it.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

#: The token kinds a price names, in the order `Rates` holds them.
TOKEN_KINDS: Final = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
#: The environment variable naming a user price file (same shape as the shipped one).
PRICES_ENV: Final = "TOOLTRACK_PRICES"
#: What a look-up says of a model the table does not know.
UNKNOWN_MODEL: Final = "unknown model"
#: Pico-dollars in a dollar; and in a rate of $1 per million tokens, pico-dollars per token.
PICO_PER_USD: Final = 10**12
PICO_PER_USD_PER_MTOK: Final = 10**6
#: The suffix Claude Code puts on a model name for its 1M-token context variant (`opus[1m]`).
LONG_CONTEXT_SUFFIX: Final = "[1m]"
_BUILTIN: Final = "prices.json"


class PriceFileError(ValueError):
    """A price file that cannot be read: names the file and the field at fault."""


def usd(pico: int) -> Decimal:
    """Pico-dollars as an exact `Decimal` number of dollars."""
    return Decimal(pico).scaleb(-12)


@dataclass(frozen=True, slots=True)
class Rates:
    """What one token of each kind costs, in pico-dollars ($1 per million tokens = 1 000 000)."""

    input: int
    output: int
    cache_write_5m: int
    cache_write_1h: int
    cache_read: int

    def cost(self, input: int, output: int, cache_write_5m: int, cache_write_1h: int, cache_read: int) -> int:
        """Pico-dollars for these token counts."""
        return (
            input * self.input
            + output * self.output
            + cache_write_5m * self.cache_write_5m
            + cache_write_1h * self.cache_write_1h
            + cache_read * self.cache_read
        )

    def per_million(self) -> dict[str, Decimal]:
        """The rates as published: USD per million tokens, per kind."""
        return {kind: Decimal(getattr(self, kind)).scaleb(-6) for kind in TOKEN_KINDS}


#: A price of nothing (`<synthetic>` messages, and the rates of an unknown model: its tokens cost nothing known).
FREE: Final = Rates(0, 0, 0, 0, 0)


@dataclass(frozen=True, slots=True)
class Price:
    """One period of a model's price: from `start` (inclusive) to `end` (exclusive), None = open.

    `long_rates`, where set, apply to a whole request whose prompt (input + cache writes + cache
    reads) is above `long_above` tokens, output included: the vendor's long context pricing.
    """

    model: str
    start: date | None
    end: date | None
    rates: Rates
    long_above: int | None = None
    long_rates: Rates | None = None

    def rates_for(self, prompt_tokens: int) -> Rates:
        """The rates of a request with this many prompt tokens."""
        if self.long_rates is not None and self.long_above is not None and prompt_tokens > self.long_above:
            return self.long_rates
        return self.rates

    def holds_on(self, day: date) -> bool:
        return (self.start is None or self.start <= day) and (self.end is None or day < self.end)


@dataclass(frozen=True, slots=True)
class AliasPeriod:
    """What an alias named from `start` (inclusive) to `end` (exclusive)."""

    start: date | None
    end: date | None
    model: str


@dataclass(frozen=True, slots=True)
class Lookup:
    """The answer for one model name on one day: its price, or why there is none."""

    model: str
    """The name as asked."""
    resolved: str | None
    """The model id the table priced it as (after aliases and the `[1m]` suffix)."""
    price: Price | None
    problem: str | None
    """None when priced; else `UNKNOWN_MODEL`, or that the model has no price on that day."""


def day_of(when: date | datetime | None) -> date | None:
    """The UTC day of a time (a naive datetime is taken as UTC); None stays None."""
    if when is None:
        return None
    if isinstance(when, datetime):
        if when.tzinfo is not None:
            when = when.astimezone(UTC)
        return when.date()
    return when


class PriceTable:
    """Prices per model and period, and aliases: answers `lookup(model, when)`."""

    def __init__(
        self,
        models: Mapping[str, tuple[Price, ...]],
        aliases: Mapping[str, tuple[AliasPeriod, ...]] | None = None,
        *,
        sources: tuple[str, ...] = (),
    ) -> None:
        self.models: dict[str, tuple[Price, ...]] = {
            name: tuple(sorted(periods, key=_start_key)) for name, periods in models.items()
        }
        self.aliases: dict[str, tuple[AliasPeriod, ...]] = {
            name: tuple(sorted(periods, key=_start_key)) for name, periods in (aliases or {}).items()
        }
        self.sources = sources
        # The ingest asks once per turn: the same (model, day) many times over.
        self._cache: dict[tuple[str, date | None], Lookup] = {}

    def merged(self, other: PriceTable) -> PriceTable:
        """This table with `other`'s models and aliases added, `other` winning where both name one."""
        return PriceTable(
            {**self.models, **other.models},
            {**self.aliases, **other.aliases},
            sources=(*self.sources, *other.sources),
        )

    def lookup(self, model: str, when: date | datetime | None = None) -> Lookup:
        """The price of `model` on the day of `when` (None: the newest price)."""
        day = day_of(when)
        key = (model, day)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._lookup(model, day)
        return found

    def price(self, model: str, when: date | datetime | None = None) -> Price | None:
        """`lookup(...).price`."""
        return self.lookup(model, when).price

    def _lookup(self, model: str, day: date | None) -> Lookup:
        name = model.strip()
        if name.endswith(LONG_CONTEXT_SUFFIX) and name not in self.models and name not in self.aliases:
            # `opus[1m]` is the same model with the long window: its rates (and long context tier) are the model's.
            name = name[: -len(LONG_CONTEXT_SUFFIX)]
        seen: set[str] = set()
        while name not in self.models and name in self.aliases and name not in seen:
            seen.add(name)
            target = _pick(self.aliases[name], day)
            if target is None:
                return Lookup(model, None, None, f"alias {name!r} names no model on {day}")
            name = target.model
        periods = self.models.get(name)
        if not periods:
            return Lookup(model, None, None, UNKNOWN_MODEL)
        if day is None:
            # No time known (stream-json without timestamps): the price in force now, the newest one.
            return Lookup(model, name, periods[-1], None)
        for period in periods:
            if period.holds_on(day):
                return Lookup(model, name, period, None)
        if periods[0].start is not None and day < periods[0].start:
            # A clock set before the model's release: the model was in use, so its first price.
            return Lookup(model, name, periods[0], None)
        return Lookup(model, name, None, f"no price for {name!r} on {day}")


def _start_key(period: Price | AliasPeriod) -> date:
    return period.start or date.min


def _pick(periods: tuple[AliasPeriod, ...], day: date | None) -> AliasPeriod | None:
    if not periods:
        return None
    if day is None:
        return periods[-1]
    for period in periods:
        if (period.start is None or period.start <= day) and (period.end is None or day < period.end):
            return period
    return periods[0] if periods[0].start is not None and day < periods[0].start else None


# -- reading price files --------------------------------------------------------------------------


def parse_prices(data: Any, *, source: str) -> PriceTable:
    """A price table from the parsed JSON of a price file (numbers as `Decimal`); `source` names it in errors."""
    if not isinstance(data, dict):
        raise PriceFileError(f"{source}: expected a JSON object at the top, got {type(data).__name__}")
    unknown = sorted(k for k in data if not k.startswith("_") and k not in ("models", "aliases"))
    if unknown:
        raise PriceFileError(f"{source}: unknown top-level field {unknown[0]!r} (expected 'models', 'aliases')")
    models_data = data.get("models", {})
    if not isinstance(models_data, dict):
        raise PriceFileError(f"{source}: models: expected an object of model name -> entry")
    models: dict[str, tuple[Price, ...]] = {}
    for name, entry in models_data.items():
        if name.startswith("_"):
            continue
        where = f"models.{name}"
        if not name.strip():
            raise PriceFileError(f"{source}: {where}: a model name must not be empty")
        if not isinstance(entry, dict) or not isinstance(entry.get("prices"), list) or not entry["prices"]:
            raise PriceFileError(f"{source}: {where}.prices: expected a non-empty list of price periods")
        periods = tuple(
            _price(name, period, source, f"{where}.prices[{i}]") for i, period in enumerate(entry["prices"])
        )
        _check_overlaps(periods, source, f"{where}.prices")
        models[name] = periods
    aliases_data = data.get("aliases", {})
    if not isinstance(aliases_data, dict):
        raise PriceFileError(f"{source}: aliases: expected an object of alias -> model id or periods")
    aliases: dict[str, tuple[AliasPeriod, ...]] = {}
    for name, target in aliases_data.items():
        if name.startswith("_"):
            continue
        aliases[name] = _alias(target, source, f"aliases.{name}")
    sources = data.get("_sources", ())
    return PriceTable(models, aliases, sources=tuple(str(s) for s in sources) if isinstance(sources, list) else ())


def _price(model: str, data: Any, source: str, where: str) -> Price:
    if not isinstance(data, dict):
        raise PriceFileError(f"{source}: {where}: expected an object with {', '.join(TOKEN_KINDS)}")
    start, end = _period(data, source, where)
    rates = _rates(data, source, where, extra={"from", "to", "long_context"})
    long_above: int | None = None
    long_rates: Rates | None = None
    long = data.get("long_context")
    if long is not None:
        if not isinstance(long, dict):
            raise PriceFileError(f"{source}: {where}.long_context: expected an object")
        above = long.get("above_tokens")
        if not isinstance(above, int) or isinstance(above, bool) or above <= 0:
            raise PriceFileError(
                f"{source}: {where}.long_context.above_tokens: expected a whole number of tokens > 0, got {above!r}"
            )
        long_above = above
        long_rates = _rates(long, source, f"{where}.long_context", extra={"above_tokens"})
    return Price(model, start, end, rates, long_above, long_rates)


def _rates(data: dict[str, Any], source: str, where: str, *, extra: set[str]) -> Rates:
    unknown = sorted(k for k in data if not k.startswith("_") and k not in TOKEN_KINDS and k not in extra)
    if unknown:
        raise PriceFileError(f"{source}: {where}.{unknown[0]}: unknown field (token kinds: {', '.join(TOKEN_KINDS)})")
    values = []
    for kind in TOKEN_KINDS:
        if kind not in data:
            raise PriceFileError(f"{source}: {where}.{kind}: missing (USD per million tokens)")
        values.append(_rate(data[kind], source, f"{where}.{kind}"))
    return Rates(*values)


def _rate(value: Any, source: str, where: str) -> int:
    """USD per million tokens -> whole pico-dollars per token, refusing what is not a price."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        raise PriceFileError(f"{source}: {where}: expected a number (USD per million tokens), got {value!r}")
    try:
        amount = Decimal(str(value)) if not isinstance(value, Decimal) else value
    except InvalidOperation:
        raise PriceFileError(f"{source}: {where}: expected a number (USD per million tokens), got {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise PriceFileError(f"{source}: {where}: expected a number >= 0 (USD per million tokens), got {value!r}")
    pico = amount * PICO_PER_USD_PER_MTOK
    if pico != pico.to_integral_value():
        raise PriceFileError(f"{source}: {where}: {value!r} has more than 6 decimal places (USD per million tokens)")
    return int(pico)


def _day(value: Any, source: str, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise PriceFileError(f"{source}: {where}: expected a day as YYYY-MM-DD or null, got {value!r}")


def _period(data: dict[str, Any], source: str, where: str) -> tuple[date | None, date | None]:
    start = _day(data.get("from"), source, f"{where}.from")
    end = _day(data.get("to"), source, f"{where}.to")
    if start is not None and end is not None and end <= start:
        raise PriceFileError(f"{source}: {where}.to: {end} is not after 'from' {start}")
    return start, end


def _check_overlaps(periods: tuple[Price | AliasPeriod, ...], source: str, where: str) -> None:
    """Periods of one name must not overlap: each must start on or after the end of the one before."""
    for before, after in pairwise(sorted(periods, key=_start_key)):
        if before.end is None or after.start is None or after.start < before.end:
            raise PriceFileError(
                f"{source}: {where}: periods overlap (each 'from' must be on or after the 'to' before it)"
            )


def _alias(target: Any, source: str, where: str) -> tuple[AliasPeriod, ...]:
    if isinstance(target, str) and target.strip():
        return (AliasPeriod(None, None, target),)
    if not isinstance(target, list) or not target:
        raise PriceFileError(f"{source}: {where}: expected a model id or a non-empty list of {{from, to, model}}")
    periods = []
    for i, item in enumerate(target):
        at = f"{where}[{i}]"
        if not isinstance(item, dict) or not isinstance(item.get("model"), str) or not item["model"].strip():
            raise PriceFileError(f"{source}: {at}.model: expected a model id")
        start, end = _period(item, source, at)
        periods.append(AliasPeriod(start, end, item["model"]))
    result = tuple(periods)
    _check_overlaps(result, source, where)
    return result


def load_price_file(path: str | os.PathLike[str]) -> PriceTable:
    """A price table from a JSON file; `PriceFileError` (naming the file and the field) if it is malformed."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise PriceFileError(f"{source}: cannot read the price file: {exc.strerror or exc}") from None
    try:
        data = json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise PriceFileError(f"{source}: not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    return parse_prices(data, source=source)


@lru_cache(maxsize=1)
def builtin_prices() -> PriceTable:
    """The table shipped with tooltrack (`tooltrack/core/prices.json`)."""
    text = resources.files(__package__).joinpath(_BUILTIN).read_text(encoding="utf-8")
    return parse_prices(json.loads(text, parse_float=Decimal), source=f"tooltrack/core/{_BUILTIN}")


def prices(environ: Mapping[str, str] | None = None) -> PriceTable:
    """The prices in force: the shipped table, with the file `TOOLTRACK_PRICES` names laid over it."""
    path = (os.environ if environ is None else environ).get(PRICES_ENV)
    if not path:
        return builtin_prices()
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        stamp = -1  # the load below reports the file
    return _with_user_file(path, stamp)


@lru_cache(maxsize=4)
def _with_user_file(path: str, stamp: int) -> PriceTable:
    """The shipped table with a user file over it, read again when the file changes (`stamp`)."""
    del stamp  # part of the cache key only
    return builtin_prices().merged(load_price_file(path))
