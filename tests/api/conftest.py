"""A client on the real app, with the test `engine` (SQLite and PostgreSQL) behind it.

Requests go through httpx's ASGITransport (no server, no Starlette TestClient, which is
deprecated in favour of a package this project does not use), driven from sync tests through an
anyio blocking portal. Only the engine dependency is swapped for the test's.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio.from_thread
import pytest
from sqlalchemy import Engine

from tests.helpers.api_client import AppClient
from tooltrack.api import create_app
from tooltrack.api.deps import get_engine


@pytest.fixture
def make_client(engine: Engine) -> Iterator[Any]:
    """Make clients on apps built by `create_app(**options)` over the test engine."""
    clients: list[AppClient] = []
    with anyio.from_thread.start_blocking_portal() as portal:

        def make(**options: Any) -> AppClient:
            app = create_app(**options)
            app.dependency_overrides[get_engine] = lambda: engine
            clients.append(AppClient(app, portal))
            return clients[-1]

        yield make
        for client in clients:
            client.close()


@pytest.fixture
def client(make_client: Any) -> AppClient:
    return make_client()
