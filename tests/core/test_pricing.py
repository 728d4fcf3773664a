"""The price table: every model real Claude Code output names, dated prices, aliases, user files, errors."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.turns import FIXTURES, read_log
from tooltrack.core import (
    PRICES_ENV,
    TOKEN_KINDS,
    UNKNOWN_MODEL,
    PriceFileError,
    Usage,
    builtin_prices,
    cost_of,
    load_price_file,
    prices,
    run_figures,
)

#: Where Claude Code's own cost is not the vendor's price: the 2.1.42 ADW run priced
#: claude-sonnet-4-5-20250929 at Opus 4.5/4.6 rates ($5 / $25, i.e. 5/3 of Sonnet 4.5's $3 / $15)
#: on every line of its result (checked below: the ratio is exactly 5/3, token kind by kind).
CLAUDE_CODE_MISPRICED = {("2048-adw-1be417b6-v2.1.42", "claude-sonnet-4-5-20250929"): Decimal(5) / 3}


def _model_names(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["model"]} if isinstance(value.get("model"), str) else set()
        for item in value.values():
            found |= _model_names(item)
        return found
    if isinstance(value, list):
        return set().union(*map(_model_names, value)) if value else set()
    return set()


def fixture_model_names() -> dict[str, set[Path]]:
    """Every `"model"` string in the fixtures (messages, meta.json, settings), with the files naming it."""
    names: dict[str, set[Path]] = {}
    for path in sorted(FIXTURES.rglob("*.json*")):
        text = path.read_text(encoding="utf-8", errors="replace")
        rows: list[Any] = []
        if path.suffix == ".jsonl":
            rows = read_log(path)
        else:
            try:
                rows = [json.loads(text)]
            except ValueError:
                continue
        for name in _model_names(rows):
            names.setdefault(name, set()).add(path)
    return names


def test_the_fixtures_name_the_models_we_expect_to_price() -> None:
    names = fixture_model_names()
    # The collection must have found the kinds of names the brief lists, or the next test proves nothing.
    assert "<synthetic>" in names
    assert any(re.fullmatch(r"claude-[a-z0-9-]+-\d{8}", n) for n in names), "dated ids"
    assert {"opus", "sonnet"} <= set(names), "family aliases from meta.json"
    assert any(n.endswith("[1m]") for n in names), "a 1M-context alias"


@pytest.mark.parametrize("model", sorted(fixture_model_names()))
def test_every_model_in_the_fixtures_has_a_price(model: str) -> None:
    found = builtin_prices().lookup(model)
    assert found.price is not None, (model, found.problem)
    # And on the days the fixtures were written (2024-2026), not only "now".
    for day in (date(2025, 6, 1), date(2025, 12, 1), date(2026, 6, 1)):
        assert builtin_prices().lookup(model, day).problem in (None,), (model, day)


def test_synthetic_messages_cost_nothing() -> None:
    usage = Usage(input=10, output=10, cache_write_5m=10, cache_write_1h=10, cache_read=10)
    assert cost_of("<synthetic>", usage).pico == 0
    assert cost_of("<synthetic>", usage).problem is None  # known and free, not unknown


def test_an_unknown_model_has_no_price_and_says_so() -> None:
    found = builtin_prices().lookup("claude-imaginary-9")
    assert (found.price, found.problem) == (None, UNKNOWN_MODEL)
    cost = cost_of("claude-imaginary-9", Usage(input=1000, output=1000))
    assert (cost.pico, cost.problem) == (0, UNKNOWN_MODEL)


def test_caching_rates_follow_the_vendors_multipliers() -> None:
    """5-minute writes are 1.25x input, 1-hour writes 2x, cache reads at most 0.1x (the vendor's rule).

    Claude Haiku 3 is the vendor's one exception: its table says $0.30 and $0.03 (1.2x, 0.12x).
    """
    checked = 0
    for name, periods in builtin_prices().models.items():
        if name == "claude-3-haiku-20240307":
            continue
        for price in periods:
            for rates in filter(None, (price.rates, price.long_rates)):
                if rates.input == 0:
                    continue
                assert rates.cache_write_5m * 4 == rates.input * 5, name
                assert rates.cache_write_1h == rates.input * 2, name
                assert rates.cache_read * 10 <= rates.input, name
                checked += 1
    assert checked > 20


def test_one_hour_cache_writes_cost_their_own_rate() -> None:
    """The real 1-hour cache write of case7 (opus 4.5): priced at 2x input, not 1.25x."""
    path = (
        FIXTURES
        / "real/case7-usage-init-mcp-compact/transcripts/aistrad-eac6202b-v2.1.20-cache1h-multiline-apierror.jsonl"
    )
    line = next(r for r in read_log(path) if r.get("type") == "assistant")
    usage = Usage.from_message(line["message"]["usage"])
    assert usage is not None and usage.cache_write_1h > 0 and usage.cache_write_5m == 0
    as_5m = Usage(usage.input, usage.output, usage.cache_write_1h, 0, usage.cache_read)
    model = line["message"]["model"]
    rates = builtin_prices().price(model).rates
    difference = cost_of(model, usage).pico - cost_of(model, as_5m).pico
    assert difference == usage.cache_write_1h * (rates.cache_write_1h - rates.cache_write_5m) > 0


def result_lines() -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(FIXTURES.rglob("*.jsonl")):
        for row in read_log(path):
            if row.get("type") == "result" and row.get("modelUsage"):
                found.append((path, row))
    return found


def test_claude_codes_own_costs_are_our_rates() -> None:
    """Every model line of every stream-json result: its costUSD is its tokens at our rates, within 1%.

    The modelUsage tokens are summed over a run's requests; none of these runs had a request over
    a long-context threshold, so base rates apply. Where Claude Code itself priced a model at
    another model's rates, the ratio is pinned exactly (`CLAUDE_CODE_MISPRICED`).
    """
    lines = result_lines()
    assert len(lines) >= 10
    seen_mispriced = set()
    for path, row in lines:
        figures = run_figures(row)
        assert figures is not None
        for model, account in figures.models.items():
            ours = builtin_prices().price(model)
            assert ours is not None, model
            r = ours.rates
            u = account.usage
            pico = r.cost(u.input, u.output, u.cache_write_5m, u.cache_write_1h, u.cache_read)
            computed = Decimal(pico).scaleb(-12)
            assert account.cost_usd is not None
            key = next(((k, m) for k, m in CLAUDE_CODE_MISPRICED if k in str(path) and m == model), None)
            if key is not None:
                seen_mispriced.add(key)
                assert abs(account.cost_usd / computed - CLAUDE_CODE_MISPRICED[key]) < Decimal("1e-9")
            else:
                assert abs(computed - account.cost_usd) <= account.cost_usd / 100, (path, model)
    assert seen_mispriced == set(CLAUDE_CODE_MISPRICED), "a pinned divergence no longer occurs: drop it"


def test_prices_hold_for_their_dates() -> None:
    table = builtin_prices()
    before, after = date(2026, 10, 6), date(2026, 10, 7)
    assert (
        table.price("claude-sonnet-5-5", before).rates.cache_read
        == 2 * table.price("claude-sonnet-5-5", after).rates.cache_read
    )
    # The 1M-context premium of Opus 4.6 held until the window became generally available.
    big = Usage(input=250_000, output=1000)
    assert cost_of("claude-opus-4-6", big, date(2026, 3, 12)).pico == 2 * 5 * 10**6 * 250_000 + 37_500_000 * 1000
    assert cost_of("claude-opus-4-6", big, date(2026, 3, 13)).pico == 5 * 10**6 * 250_000 + 25 * 10**6 * 1000
    # A timestamp before a model's release (a wrong clock) takes its first price, not none.
    assert table.price("claude-sonnet-4-5-20250929", date(2020, 1, 1)) is not None
    # Aware and naive times, and times that are another UTC day.
    late = datetime(2026, 10, 6, 23, 30, tzinfo=timezone(timedelta(hours=-2)))  # 01:30 UTC on the 7th
    assert table.lookup("claude-sonnet-5-5", late).price == table.price("claude-sonnet-5-5", after)
    assert table.lookup("claude-sonnet-5-5", datetime(2026, 10, 6, 23, 30)).price == table.price(
        "claude-sonnet-5-5", before
    )
    assert table.lookup("claude-sonnet-5-5", datetime(2026, 10, 7, tzinfo=UTC)).price.start == after


def test_long_context_rates_apply_to_the_whole_request_above_the_threshold() -> None:
    rates = builtin_prices().price("claude-sonnet-4-5-20250929")
    at = Usage(input=100_000, cache_read=100_000, output=10)
    above = Usage(input=100_001, cache_read=100_000, output=10)
    assert cost_of("claude-sonnet-4-5-20250929", at).pico == rates.rates.cost(100_000, 10, 0, 0, 100_000)
    assert cost_of("claude-sonnet-4-5-20250929", above).pico == rates.long_rates.cost(100_001, 10, 0, 0, 100_000)


@pytest.mark.parametrize(
    ("name", "day", "model"),
    [
        ("claude-sonnet-4", None, "claude-sonnet-4-20250514"),
        ("claude-sonnet-4-5", None, "claude-sonnet-4-5-20250929"),
        ("opus", date(2025, 9, 1), "claude-opus-4-1-20250805"),
        ("opus", date(2026, 3, 1), "claude-opus-4-6"),
        ("opus[1m]", date(2026, 3, 1), "claude-opus-4-6"),
        ("sonnet", date(2025, 10, 1), "claude-sonnet-4-5-20250929"),
        ("haiku", date(2025, 12, 1), "claude-haiku-4-5-20251001"),
        ("claude-opus-4-6[1m]", None, "claude-opus-4-6"),
    ],
)
def test_aliases_resolve_to_a_model(name: str, day: date | None, model: str) -> None:
    assert builtin_prices().lookup(name, day).resolved == model


def test_rates_are_whole_pico_dollars() -> None:
    rates = builtin_prices().price("claude-haiku-5-5").rates
    assert rates.cache_write_5m == 125_000  # $0.125 per million tokens
    assert rates.per_million()["cache_read"] == Decimal("0.01")
    assert tuple(rates.per_million()) == TOKEN_KINDS


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data) if not isinstance(data, str) else data, encoding="utf-8")
    return path


PRICE = {
    "from": None,
    "to": None,
    "input": 1,
    "output": 2,
    "cache_write_5m": 1.25,
    "cache_write_1h": 2,
    "cache_read": 0.1,
}


def test_a_user_file_overrides_and_adds_models(tmp_path: Path) -> None:
    user = _write(
        tmp_path / "prices.json",
        {
            "models": {
                "claude-sonnet-4-5-20250929": {"prices": [PRICE]},
                "my-proxy-model": {"prices": [{**PRICE, "input": 7}]},
            },
            "aliases": {"proxy": "my-proxy-model"},
        },
    )
    table = prices({PRICES_ENV: str(user)})
    assert table.price("claude-sonnet-4-5-20250929").rates.input == 10**6
    assert table.price("proxy").rates.input == 7 * 10**6
    assert table.price("claude-opus-4-6") == builtin_prices().price("claude-opus-4-6")  # the rest stays
    assert prices({}) is builtin_prices()
    # Edited, the file is read again.
    _write(user, {"models": {"my-proxy-model": {"prices": [{**PRICE, "input": 9}]}}})
    os.utime(user, ns=(1, os.stat(user).st_mtime_ns + 10**9))
    assert prices({PRICES_ENV: str(user)}).price("my-proxy-model").rates.input == 9 * 10**6


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ("{not json", "not JSON"),
        ([], "top"),
        ({"modles": {}}, "'modles'"),
        ({"models": {"m": {"prices": []}}}, "models.m.prices"),
        (
            {"models": {"m": {"prices": [{k: v for k, v in PRICE.items() if k != "cache_read"}]}}},
            "models.m.prices[0].cache_read",
        ),
        ({"models": {"m": {"prices": [{**PRICE, "output": -1}]}}}, "models.m.prices[0].output"),
        ({"models": {"m": {"prices": [{**PRICE, "output": "cheap"}]}}}, "models.m.prices[0].output"),
        ({"models": {"m": {"prices": [{**PRICE, "output": True}]}}}, "models.m.prices[0].output"),
        ({"models": {"m": {"prices": [{**PRICE, "input": 0.0000001}]}}}, "models.m.prices[0].input"),
        ({"models": {"m": {"prices": [{**PRICE, "from": "2025-13-01"}]}}}, "models.m.prices[0].from"),
        ({"models": {"m": {"prices": [{**PRICE, "from": "2025-02-01", "to": "2025-01-01"}]}}}, "models.m.prices[0].to"),
        ({"models": {"m": {"prices": [{**PRICE, "chaching": 1}]}}}, "models.m.prices[0].chaching"),
        ({"models": {"m": {"prices": [PRICE, PRICE]}}}, "models.m.prices: periods overlap"),
        ({"models": {"m": {"prices": [{**PRICE, "long_context": {"above_tokens": 0}}]}}}, "long_context.above_tokens"),
        (
            {"models": {"m": {"prices": [{**PRICE, "long_context": {"above_tokens": 5, "input": 1}}]}}},
            "long_context.output",
        ),
        ({"aliases": {"a": [{"from": None, "to": None}]}}, "aliases.a[0].model"),
        ({"aliases": {"a": 3}}, "aliases.a"),
    ],
)
def test_a_malformed_file_names_the_file_and_the_field(tmp_path: Path, data: Any, field: str) -> None:
    path = _write(tmp_path / "bad-prices.json", data)
    with pytest.raises(PriceFileError) as raised:
        prices({PRICES_ENV: str(path)})
    assert str(path) in str(raised.value)
    assert field in str(raised.value)


def test_a_missing_user_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PriceFileError, match=re.escape(str(tmp_path / "nowhere.json"))):
        load_price_file(tmp_path / "nowhere.json")


def test_the_shipped_table_cites_its_sources() -> None:
    sources = " ".join(builtin_prices().sources)
    assert "platform.claude.com/docs/en/about-claude/pricing" in sources
    assert "model_prices_and_context_window" in sources and "litellm" in sources.lower()
