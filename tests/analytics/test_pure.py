"""The pure pieces: histogram accuracy, command names, error kinds, filter windows."""

from __future__ import annotations

import math
import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from tooltrack.analytics import Filters
from tooltrack.core.commands import normalise_command
from tooltrack.core.error_kinds import error_kind
from tooltrack.core.histogram import ALPHA, bucket_bounds, bucket_of, bucket_value, exact_percentile, percentiles


def _sorted_exact(values: list[int], q: float) -> float:
    """Nearest rank, written out again here independently of the module."""
    ordered = sorted(values)
    return ordered[math.ceil(q * len(ordered)) - 1]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
def test_percentiles_from_buckets_are_within_five_percent(seed: int, q: float) -> None:
    rng = random.Random(seed)
    values = [max(1, int(rng.lognormvariate(math.log(rng.choice([40, 900, 45_000])), 1.3))) for _ in range(20_000)]
    counts: dict[int, int] = {}
    for value in values:
        counts[bucket_of(value)] = counts.get(bucket_of(value), 0) + 1
    (estimate,) = percentiles(counts.items(), [q])
    exact = _sorted_exact(values, q)
    assert exact == exact_percentile(values, q)
    assert estimate is not None and abs(estimate - exact) / exact <= 0.05
    assert abs(estimate - exact) / exact <= ALPHA + 1e-9  # the construction's own, tighter bound


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_every_value_lies_in_its_bucket_and_near_its_representative(value: int) -> None:
    bucket = bucket_of(value)
    lower, upper = bucket_bounds(bucket)
    if value == 0:
        assert bucket_value(bucket) == 0
        return
    assert lower < value <= upper * (1 + 1e-12)
    assert abs(bucket_value(bucket) - value) / value <= ALPHA + 1e-9


def test_histograms_merge_by_adding_counts() -> None:
    a, b = [5, 50, 500, 5000], [7, 70, 700]
    merged = percentiles([(bucket_of(v), 1) for v in a] + [(bucket_of(v), 1) for v in b], [0.5])[0]
    exact = exact_percentile(a + b, 0.5)
    assert merged is not None and exact is not None and abs(merged - exact) / exact <= ALPHA + 1e-9
    assert percentiles([], [0.5]) == [None]


@pytest.mark.parametrize(
    ("command", "name"),
    [
        ("pytest tests/ -x", "pytest"),
        ("uv run pytest tests/", "pytest"),
        ("python -m pytest -q", "pytest"),
        ("git commit -m 'feat: x'", "git commit"),
        ("git -C repo status", "git status"),
        ("npm run build", "npm run build"),
        ("npm test", "npm test"),
        ("cd app && npm run lint", "npm run lint"),
        ("FOO=1 BAR=2 make test", "make test"),
        ("sudo -u me docker compose up -d", "docker compose"),
        ("time uv run --frozen ruff check .", "ruff check"),
        ("ls -la app/server", "ls"),
        ("./node_modules/.bin/jest --watch", "jest"),
        ("gh pr create --fill", "gh pr"),
        ("uv sync", "uv sync"),
        ("echo 'unbalanced", "echo"),
        ("cat a.txt | grep x", "cat"),
        ("", "(empty)"),
    ],
)
def test_commands_are_named_by_program_and_subcommand(command: str, name: str) -> None:
    assert normalise_command(command) == name


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("Exit code 1\nFAILED tests/test_routes.py::test_export", "Exit code 1"),
        ("Exit code 127\nnpm: command not found", "Exit code 127"),
        ("Command timed out after 120000ms", "Command timed out after Nms"),
        ("File /home/u/app/x.py does not exist.", "File <path> does not exist."),
        ("String 'foo' not found in file", "String '…' not found in file"),
        ("Request failed with status code 404", "Request failed with status code N"),
        (None, "(no message)"),
        ("   ", "(no message)"),
    ],
)
def test_error_kinds(message: str | None, kind: str) -> None:
    assert error_kind(message) == kind


def test_filter_windows() -> None:
    today = date(2026, 3, 10)
    assert Filters(days=1).window(today) == (today, today)
    assert Filters(days=30).window(today) == (today - timedelta(days=29), today)
    explicit = Filters(start=date(2026, 1, 1), end=date(2026, 1, 31))
    assert explicit.window(today) == (date(2026, 1, 1), date(2026, 1, 31))
    assert explicit.previous_period(today).window(today) == (date(2025, 12, 1), date(2025, 12, 31))
    assert Filters(days=7).time_range(today)[1].date() == today + timedelta(days=1)
    with pytest.raises(ValidationError, match="after end"):
        Filters(start=date(2026, 2, 1), end=date(2026, 1, 1))
    with pytest.raises(ValidationError):
        Filters(days=4000)
    with pytest.raises(ValidationError):
        Filters(tool="x" * 1000)
    with pytest.raises(ValidationError):
        Filters(bogus=1)  # type: ignore[call-arg]
