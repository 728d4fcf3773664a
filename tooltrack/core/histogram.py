"""A mergeable log-scale latency histogram: percentiles within a known relative error.

Bucket i (i >= 1) holds durations in (GAMMA**(i-1), GAMMA**i] ms and stands for the value
2 * GAMMA**i / (GAMMA + 1), which is within ALPHA (relative) of every value in the bucket (the
DDSketch construction). Bucket 0 holds 1 ms (and anything under it above 0), bucket -1 holds 0 ms.
Counts per bucket add up, so histograms of days, templates and phases merge by summing, in SQL.

Percentiles use the nearest-rank definition: the p-th percentile of n values is the value of rank
ceil(p * n) in ascending order. Its estimate is the representative of the bucket holding that rank,
so it is within ALPHA of the exact nearest-rank percentile, and then held inside the observed
range: the representative of the top bucket can lie above the slowest call (every call 1000 ms
gives a representative of 1018.5 ms), so a caller that knows the maximum passes it as `ceiling`.
Clamping keeps the ALPHA bound, since the exact percentile lies between the minimum and the maximum.

The lowest non-empty bucket's lower bound is a sound floor (every value in it lies above it) but
never binds: each bucket's representative lies above its lower bound. Only a true minimum would
raise an estimate that reads below the fastest call (at most ALPHA below it), and the rollups keep
no minimum; `floor` is there for the caller that has one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Final

ALPHA: Final = 0.025
GAMMA: Final = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA: Final = math.log(GAMMA)
ZERO_BUCKET: Final = -1
#: The relative error bound of every percentile estimate, for the help texts that state it.
PERCENTILE_ERROR: Final = ALPHA


def bucket_of(duration_ms: float) -> int:
    """The bucket a duration falls in."""
    if duration_ms <= 0:
        return ZERO_BUCKET
    if duration_ms <= 1:
        return 0
    return math.ceil(math.log(duration_ms) / _LOG_GAMMA)


def bucket_bounds(bucket: int) -> tuple[float, float]:
    """(lower, upper] in ms of a bucket."""
    if bucket == ZERO_BUCKET:
        return 0.0, 0.0
    if bucket == 0:
        return 0.0, 1.0
    return GAMMA ** (bucket - 1), GAMMA**bucket


def bucket_value(bucket: int) -> float:
    """The value that stands for every duration in the bucket."""
    if bucket == ZERO_BUCKET:
        return 0.0
    return 2 * GAMMA**bucket / (GAMMA + 1)


def percentiles(
    counts: Iterable[tuple[int, int]],
    quantiles: Iterable[float],
    *,
    floor: float | None = None,
    ceiling: float | None = None,
) -> list[float | None]:
    """Nearest-rank percentiles from (bucket, count) pairs (any order; repeats are summed).

    `floor` and `ceiling` are the observed minimum and maximum, when known: no estimate reads
    outside them.
    """
    merged: dict[int, int] = {}
    for bucket, count in counts:
        merged[bucket] = merged.get(bucket, 0) + int(count)
    ordered = sorted((b, c) for b, c in merged.items() if c > 0)
    total = sum(c for _, c in ordered)
    answers: list[float | None] = []
    for q in quantiles:
        if total == 0:
            answers.append(None)
            continue
        rank = max(1, math.ceil(q * total))
        seen = 0
        for bucket, count in ordered:
            seen += count
            if seen >= rank:
                answers.append(clamp(bucket_value(bucket), floor, ceiling))
                break
    return answers


def clamp(value: float, floor: float | None = None, ceiling: float | None = None) -> float:
    """`value` held between `floor` and `ceiling` (either may be unknown)."""
    if ceiling is not None and value > ceiling:
        value = float(ceiling)
    if floor is not None and value < floor:
        value = float(floor)
    return value


def exact_percentile(values: Iterable[float], q: float) -> float | None:
    """The nearest-rank percentile of raw values (the reference the histogram is held to)."""
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[max(1, math.ceil(q * len(ordered))) - 1]
