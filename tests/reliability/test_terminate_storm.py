"""The API under a storm of terminated database connections: 201, 200 or 503, never a 500 or a hang-up.

A thread terminates every other backend of the test database (`pg_terminate_backend`, what a
server restart or a failover looks like to the client) in a loop while clients post task logs and
read analytics through a real uvicorn server. Before transient errors were retried inside the
request (tooltrack.store.errors, tooltrack/api/transient.py), such a run answered some requests
with 500 and closed others without an answer. Now every answer is 201 / 200 / 503 (with
Retry-After), and every log answered 201 or 200 is stored exactly once, with its rollups.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

import httpx
from sqlalchemy import Engine, func, select, text

from tests.helpers.db import url_of
from tests.helpers.derived_check import differences
from tests.helpers.live_api import LiveAPI
from tests.helpers.logs import make_payload
from tooltrack.store import make_engine
from tooltrack.store.schema import task_logs

CLIENTS = 4
SECONDS = 8.0
#: Between two rounds of terminations: often enough that most requests meet one, seldom enough
#: that a retry a few tens of milliseconds later can get through.
KILL_EVERY = 0.05
TERMINATE = text(
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


def _killer(url: str, stop: threading.Event, killed: list[int]) -> None:
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            while not stop.is_set():
                killed.append(int(connection.execute(TERMINATE).scalar_one()))
                time.sleep(KILL_EVERY)
    finally:
        engine.dispose()


def _client(base: str, number: int, deadline: float, outcomes: list[tuple[str, str, Any]]) -> None:
    """Post new logs and read them back until `deadline`; record (what, key, status or error) of each."""
    with httpx.Client(base_url=base, timeout=60) as client:
        index = 0
        while time.monotonic() < deadline:
            payload = make_payload(index, calls=6, namespace=f"storm{number}")
            payload["log_key"] = key = f"storm-{number}-{index}"
            requests: list[tuple[str, str, dict[str, Any]]] = [
                ("post", "/api/v1/observability/task-logs", {"json": payload}),
                ("read", f"/api/v1/tool-analytics/drilldown/{payload['adw_id']}", {}),
                ("read", "/api/v1/tool-analytics/summary", {"params": {"days": 3650}}),
                ("read", "/api/v1/observability/task-logs", {"params": {"adw_id": payload["adw_id"]}}),
            ]
            for what, url, options in requests:
                try:
                    response = client.request("POST" if what == "post" else "GET", url, **options)
                except httpx.TransportError as exc:  # the server closed the connection without an answer
                    outcomes.append((what, key, f"{type(exc).__name__}: {exc}"))
                    continue
                if response.status_code == 503:
                    assert response.headers.get("retry-after", "").isdigit(), response.headers
                outcomes.append((what, key, response.status_code))
            index += 1


def _stored(engine: Engine) -> Counter[str]:
    with engine.connect() as connection:
        keys = connection.execute(select(task_logs.c.log_key).where(task_logs.c.log_key.like("storm-%"))).scalars()
        return Counter(keys)


def test_terminated_connections_give_503_at_worst_and_store_once(postgresql_only: Engine) -> None:
    engine = postgresql_only
    stop, killed = threading.Event(), []
    outcomes: list[tuple[str, str, Any]] = []
    with LiveAPI(engine) as api:
        killer = threading.Thread(target=_killer, args=(url_of(engine), stop, killed), daemon=True)
        killer.start()
        deadline = time.monotonic() + SECONDS
        clients = [
            threading.Thread(target=_client, args=(api.url, number, deadline, outcomes)) for number in range(CLIENTS)
        ]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join(120)
        stop.set()
        killer.join(30)

    statuses = Counter((what, status) for what, _, status in outcomes)
    assert sum(killed) > 0 and statuses[("post", 201)] > 0, (sum(killed), statuses)
    wrong = Counter((what, status) for what, _, status in outcomes if status not in (200, 201, 503))
    assert not wrong, (wrong, statuses)

    stored = _stored(engine)
    for what, key, status in outcomes:
        if what == "post":
            # 201: stored by this request; 200: stored by an attempt whose answer was lost;
            # 503: not known to the client, which sends it again (never stored twice).
            assert stored[key] == (1 if status in (200, 201) else stored[key]) and stored[key] <= 1, (key, status)
    assert differences(engine) == {}
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(task_logs)).scalar_one() == sum(stored.values())
