"""Many writers posting task logs to the real API at once: the driver of the load test and bench.

A plan gives each writer its requests: every distinct log once, some logs posted a second time by
another writer (so two writers race on one key), and a few deliberately broken bodies (the only
failures allowed: each must get 422). Writers are threads; the benchmark runs several processes of
them so the client side is not held back by one interpreter lock.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Final

import httpx

from tests.helpers.logs import make_payload

POST: Final = "/api/v1/observability/task-logs"


@dataclass(frozen=True, slots=True)
class Planned:
    """One request: the log number (-1 for an injected bad body), and its body."""

    index: int
    body: bytes
    injected: bool = False


@dataclass(slots=True)
class Outcome:
    """What one writer (or all of them, merged) saw."""

    statuses: Counter[int] = field(default_factory=Counter)
    injected_statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    ids: dict[int, set[int]] = field(default_factory=dict)

    def merge(self, other: Outcome) -> None:
        self.statuses.update(other.statuses)
        self.injected_statuses.update(other.injected_statuses)
        self.latencies.extend(other.latencies)
        self.errors.extend(other.errors)
        for index, ids in other.ids.items():
            self.ids.setdefault(index, set()).update(ids)


def plan(
    writers: int, logs: int, *, calls: int, duplicate_every: int = 10, inject_every: int = 200, namespace: str = "load"
) -> list[list[int]]:
    """Log numbers per writer (-1 = an injected bad body). Every `duplicate_every`-th log is sent twice."""
    per_writer: list[list[int]] = [[] for _ in range(writers)]
    for index in range(logs):
        per_writer[index % writers].append(index)
        if duplicate_every and index % duplicate_every == 0:
            # The second copy goes to another writer, near the same position, so the two race.
            per_writer[(index + 1) % writers].append(index)
    for writer, indices in enumerate(per_writer):
        for position in range(inject_every // 2 + writer, len(indices), inject_every):
            indices.insert(position, -1)
    return per_writer


def bodies(indices: list[int], *, calls: int, namespace: str = "load") -> list[Planned]:
    out = []
    for index in indices:
        if index < 0:
            bad = {"adw_id": "", "phase_name": "Build", "phase_status": "completed", "tool_calls": [{"success": "?"}]}
            out.append(Planned(-1, json.dumps(bad).encode(), injected=True))
        else:
            out.append(Planned(index, json.dumps(make_payload(index, calls=calls, namespace=namespace)).encode()))
    return out


def write(base_url: str, requests: list[Planned], *, token: str | None, deadline: float) -> Outcome:
    """Post `requests` one after another; bounded by count and by `deadline` (monotonic time)."""
    outcome = Outcome()
    headers = {"content-type": "application/json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    with httpx.Client(base_url=base_url, timeout=120, headers=headers) as client:
        for request in requests:
            if time.monotonic() > deadline:
                outcome.errors.append("deadline passed before every request was sent")
                break
            started = time.perf_counter()
            try:
                response = client.post(POST, content=request.body)
            except httpx.HTTPError as exc:
                outcome.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            outcome.latencies.append(time.perf_counter() - started)
            if request.injected:
                outcome.injected_statuses[response.status_code] += 1
                continue
            outcome.statuses[response.status_code] += 1
            if response.status_code in (200, 201):
                outcome.ids.setdefault(request.index, set()).add(response.json()["id"])
            else:
                outcome.errors.append(f"{response.status_code}: {response.text[:200]}")
    return outcome


def run_threads(base_url: str, per_writer: list[list[Planned]], *, token: str | None, seconds: float) -> Outcome:
    """One thread per writer, all started together; the merged outcome."""
    deadline = time.monotonic() + seconds
    results: list[Outcome] = [Outcome() for _ in per_writer]
    start = threading.Barrier(len(per_writer))

    def one(slot: int) -> None:
        start.wait()
        results[slot] = write(base_url, per_writer[slot], token=token, deadline=deadline)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(per_writer))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    merged = Outcome()
    for result in results:
        merged.merge(result)
    return merged


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile (no interpolation: a value that was really measured)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, int(-(-fraction * len(ordered) // 1)))
    return ordered[min(rank, len(ordered)) - 1]
