"""Access: write token, read token, bounded bodies and uploads.

Writes need `Authorization: Bearer $TOOLTRACK_API_TOKEN` when it is set; reads can be protected
by a second token, `TOOLTRACK_API_READ_TOKEN`; request bodies are bounded (413) in the API and
uploads in the dashboard's `.streamlit/config.toml`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_count
from tests.helpers.live_api import LiveAPI
from tests.helpers.logs import make_payload
from tests.helpers.paths import ROOT
from tooltrack.api.settings import DEFAULT_MAX_BODY_BYTES

POST = "/api/v1/observability/task-logs"
WRITE_TOKEN = "write-token-0123456789abcdef"
READ_TOKEN = "read-token-fedcba9876543210"
READ_PATHS = [
    "/api/v1/observability/task-logs?adw_id=rel-0",
    "/api/v1/tool-analytics/summary?days=3650",
    "/api/v1/tool-analytics/failures",
    "/api/v1/tool-analytics/sequences?days=3650&min_count=1",
    "/api/v1/tool-analytics/redundancy/rel-0",
]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_writes_need_the_token_when_one_is_set(
    live_api: LiveAPI, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOOLTRACK_API_TOKEN", WRITE_TOKEN)
    with httpx.Client(base_url=live_api.url, timeout=30) as client:
        for headers in (
            {},
            {"Authorization": "Bearer"},
            _bearer("wrong"),
            _bearer(WRITE_TOKEN[:-1]),
            {"Authorization": WRITE_TOKEN},
        ):
            response = client.post(POST, json=make_payload(0), headers=headers)
            assert response.status_code == 401, headers
            assert response.headers.get("www-authenticate", "").lower().startswith("bearer")
        # Refused before the body is even validated: an invalid body without a token is 401 too.
        assert client.post(POST, json={"nonsense": 1}).status_code == 401
        assert stored_count(engine) == 0
        assert client.post(POST, json=make_payload(0), headers=_bearer(WRITE_TOKEN)).status_code == 201
    assert stored_count(engine) == 1


@pytest.fixture
def read_protected(live_api: LiveAPI, monkeypatch: pytest.MonkeyPatch) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live_api.url, timeout=30) as client:
        assert client.post(POST, json=make_payload(0)).status_code == 201
        monkeypatch.setenv("TOOLTRACK_API_TOKEN", WRITE_TOKEN)
        monkeypatch.setenv("TOOLTRACK_API_READ_TOKEN", READ_TOKEN)
        yield client


@pytest.mark.parametrize("path", READ_PATHS)
def test_reads_can_be_protected_by_a_second_token(read_protected: httpx.Client, path: str) -> None:
    client = read_protected
    assert client.get(path, headers=_bearer(READ_TOKEN)).status_code == 200
    unauthenticated = client.get(path)
    assert unauthenticated.status_code == 401
    assert client.get(path, headers=_bearer("wrong")).status_code == 401
    # The write token is not a read token... and the read token cannot write.
    assert client.post(POST, json=make_payload(1), headers=_bearer(READ_TOKEN)).status_code == 401


def test_health_needs_no_token(read_protected: httpx.Client) -> None:
    assert read_protected.get("/healthz").status_code == 200


def test_oversized_bodies_get_413(engine: Engine) -> None:
    limit = 4096
    small = make_payload(0, calls=1)
    big = make_payload(1, calls=60)
    assert (
        len(httpx.Request("POST", "http://x", json=small).content)
        < limit
        < len(httpx.Request("POST", "http://x", json=big).content)
    )
    with LiveAPI(engine, max_body=limit) as api, httpx.Client(base_url=api.url, timeout=30) as client:
        assert client.post(POST, json=small).status_code == 201
        # Declared too large: refused from the header, before reading.
        assert client.post(POST, json=big).status_code == 413
        # Streamed without a length (chunked): refused while reading.
        body = httpx.Request("POST", "http://x", json=big).content
        chunks = (body[i : i + 1000] for i in range(0, len(body), 1000))
        response = client.post(POST, content=chunks, headers={"content-type": "application/json"})
        assert response.status_code == 413
    assert stored_count(engine) == 1


def test_default_body_limit_is_bounded() -> None:
    assert 1 << 20 <= DEFAULT_MAX_BODY_BYTES <= 64 << 20


def test_dashboard_uploads_are_bounded() -> None:
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    size_mb = config["server"]["maxUploadSize"]
    assert isinstance(size_mb, int) and 1 <= size_mb <= 1024
