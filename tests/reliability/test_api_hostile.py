"""Hostile bodies against the real API (uvicorn on 127.0.0.1): never a 500, bodies bounded.

Every POST answers 201 (stored), 200 (stored before) or 422 (naming the bad field); a body that
is not JSON text at all (invalid UTF-8, nesting beyond the parser's limit) gets FastAPI's 400.
Values the model must refuse because the database or orjson cannot take them (NUL, lone
surrogates, integers beyond the columns or 64 bits, `parameters` deeper than 32 levels, NaN in
`parameters`) get an ordinary 422; the fuzzer allows no 500 at all. Known defects of reads (see
hostile.py) are xfailed case by case with the reason.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, inspect

from tests.helpers.hostile import KNOWN_CAUSES, json_values
from tests.helpers.live_api import LiveAPI
from tests.helpers.logs import make_payload

POST = "/api/v1/observability/task-logs"
OK = {200, 201, 422}
NOT_JSON = {400, 422}
BASE: dict[str, Any] = {"adw_id": "hostile", "phase_name": "Build", "phase_status": "completed"}


def _call(**fields: Any) -> dict[str, Any]:
    return {"tool_name": "Bash", "success": True, **fields}


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


def _with_params(raw: bytes) -> bytes:
    return (
        b'{"adw_id":"h","phase_name":"B","phase_status":"c","tool_calls":[{"tool_name":"X","success":true,"parameters":{"x":'
        + raw
        + b"}}]}"
    )


def _body(value: dict[str, Any]) -> bytes:
    return json.dumps(value).encode()


# (id, body, acceptable statuses, known cause when it fails with 500)
CASES: list[tuple[str, bytes, set[int], str | None]] = [
    (
        "timestamps-without-zone",
        _body({**BASE, "started_at": "2026-03-01T10:00:00", "tool_calls": [_call(timestamp="2026-03-01T10:00:01")]}),
        {201},
        None,
    ),
    ("nan-cost", b'{"adw_id":"h","phase_name":"B","phase_status":"c","cost_usd":NaN}', {422}, None),
    (
        "infinite-duration",
        b'{"adw_id":"h","phase_name":"B","phase_status":"c","duration_seconds":Infinity}',
        {422},
        None,
    ),
    (
        "nan-call-duration",
        b'{"adw_id":"h","phase_name":"B","phase_status":"c","tool_calls":[{"tool_name":"X","success":true,"duration_ms":NaN}]}',
        {422},
        None,
    ),
    ("nan-in-parameters", _with_params(b"NaN"), {422}, None),
    ("infinity-in-parameters", _with_params(b"-Infinity"), {422}, None),
    ("negative-call-duration", _body({**BASE, "tool_calls": [_call(duration_ms=-5)]}), {422}, None),
    ("negative-task-duration", _body({**BASE, "duration_seconds": -1.5}), {422}, None),
    ("invalid-utf8", b'{"adw_id":"h\xff\xfe","phase_name":"B","phase_status":"c"}', NOT_JSON, None),
    ("lone-surrogate-field", b'{"adw_id":"h\\ud800","phase_name":"B","phase_status":"c"}', {422}, None),
    ("lone-surrogate-parameters", _with_params(b'"\\udfff"'), {422}, None),
    ("lone-surrogate-parameter-key", _with_params(b'{"\\ud800":1}'), {422}, None),
    ("nul-in-log-message", _body({**BASE, "log_message": "a\x00b"}), {422}, None),
    ("nul-in-adw-id", _body({**BASE, "adw_id": "a\x00b"}), {422}, None),
    ("nul-in-command", _body({**BASE, "tool_calls": [_call(command="ls\x00-la")]}), {422}, None),
    ("nul-in-parameters", _body({**BASE, "tool_calls": [_call(parameters={"x": "a\x00b"})]}), {422}, None),
    ("nul-in-parameter-key", _body({**BASE, "tool_calls": [_call(parameters={"a\x00": 1})]}), {422}, None),
    ("tokens-beyond-int32", _body({**BASE, "tokens_used": 2**40}), {422}, None),
    ("tokens-at-int32-max", _body({**BASE, "tokens_used": 2**31 - 1}), {201}, None),
    ("phase-number-beyond-int32", _body({**BASE, "phase_number": 2**31}), {422}, None),
    ("issue-number-beyond-int64", _body({**BASE, "issue_number": 2**70}), {422}, None),
    ("exit-code-beyond-int64", _body({**BASE, "tool_calls": [_call(exit_code=2**70)]}), {422}, None),
    ("exit-code-int64-min", _body({**BASE, "tool_calls": [_call(exit_code=-(2**63))]}), {201}, None),
    ("duration-beyond-int64", _body({**BASE, "tool_calls": [_call(duration_ms=2**63)]}), {422}, None),
    # 2**63-1 fits a column but not the rollups' sums: it would block every later write of its group.
    ("duration-int64-max", _body({**BASE, "tool_calls": [_call(duration_ms=2**63 - 1)] * 3}), {422}, None),
    ("int-beyond-int64-in-parameters", _body({**BASE, "tool_calls": [_call(parameters={"n": 2**70})]}), {422}, None),
    ("int64-max-in-parameters", _body({**BASE, "tool_calls": [_call(parameters={"n": 2**63 - 1})]}), {201}, None),
    ("parameters-32-deep", _with_params(_nested(31)), {201}, None),
    ("parameters-33-deep", _with_params(_nested(32)), {422}, None),
    ("parameters-300-deep", _with_params(_nested(300)), {422}, None),
    ("time-before-year-1-in-utc", _body({**BASE, "started_at": "0001-01-01T00:00:00+05:00"}), {422}, None),
    ("parameters-5000-deep", _with_params(_nested(5000)), NOT_JSON, None),
    ("brackets-100k-deep", _with_params(b"[" * 100_000 + b"]" * 100_000), NOT_JSON, None),
    ("oversized-command", _body({**BASE, "tool_calls": [_call(command="x" * 20_001)]}), {422}, None),
    ("oversized-tool-name", _body({**BASE, "tool_calls": [_call(tool_name="T" * 201)]}), {422}, None),
    ("oversized-adw-id", _body({**BASE, "adw_id": "a" * 201}), {422}, None),
    ("huge-parameter-key", _body({**BASE, "tool_calls": [_call(parameters={"k" * 100_000: 1})]}), {201, 422}, None),
    ("ten-thousand-calls", _body({**BASE, "tool_calls": [_call(duration_ms=i) for i in range(10_000)]}), {201}, None),
    ("unknown-field", _body({**BASE, "admin": True}), {422}, None),
    ("tool-calls-not-a-list", _body({**BASE, "tool_calls": {"a": 1}}), {422}, None),
    ("blank-tool-name", _body({**BASE, "tool_calls": [_call(tool_name="   ")]}), {422}, None),
    ("array-body", b"[1,2,3]", {422}, None),
    ("empty-body", b"", {422}, None),
    ("not-json", b"adw_id=1&phase_name=B", {422}, None),
    ("float-for-int", _body({**BASE, "issue_number": 4.5}), {422}, None),
    ("bool-for-string", _body({**BASE, "adw_id": True}), {422}, None),
]


@pytest.mark.parametrize(("body", "expected", "cause"), [pytest.param(*c[1:], id=c[0]) for c in CASES])
def test_hostile_body(live_api: LiveAPI, engine: Engine, body: bytes, expected: set[int], cause: str | None) -> None:
    with httpx.Client(base_url=live_api.url, timeout=60) as client:
        response = client.post(POST, content=body, headers={"content-type": "application/json"})
        if response.status_code == 500 and cause is not None:
            pytest.xfail(f"known: {KNOWN_CAUSES[cause]}")
        assert response.status_code in expected, response.text[:500]
        if response.status_code == 422:
            detail = response.json()["detail"]
            assert detail and all(item["field"] for item in detail)
        # The server is still up and the table intact.
        assert client.get("/healthz").status_code == 200
    assert "task_logs" in inspect(engine).get_table_names()


def test_html_and_sql_in_names_are_stored_verbatim_and_returned_as_json(live_api: LiveAPI, engine: Engine) -> None:
    hostile_tool = "<script>alert('x')</script>'); DROP TABLE task_logs; --"
    hostile_adw = '"><img src=x onerror=alert(1)>'
    body = {
        **BASE,
        "adw_id": hostile_adw,
        "workflow_template": "<b>bold</b>",
        "tool_calls": [_call(tool_name=hostile_tool, command="echo '<i>' && rm -rf / ; --", duration_ms=5)],
    }
    with httpx.Client(base_url=live_api.url, timeout=60) as client:
        created = client.post(POST, json=body)
        assert created.status_code == 201
        got = client.get(f"{POST}/{created.json()['id']}")
        assert got.headers["content-type"].startswith("application/json")
        stored = got.json()
        assert stored["adw_id"] == hostile_adw and stored["workflow_template"] == "<b>bold</b>"
        assert stored["tool_calls"][0]["tool_name"] == hostile_tool
        listed = client.get(POST, params={"adw_id": hostile_adw}).json()
        assert listed["count"] == 1
        summary = client.get("/api/v1/tool-analytics/summary", params={"days": 3650})
        assert summary.status_code == 200 and summary.headers["content-type"].startswith("application/json")
        assert hostile_tool in summary.text or json.dumps(hostile_tool)[1:-1] in summary.text
    assert "task_logs" in inspect(engine).get_table_names()


FIELDS = [*make_payload(0), "tool_calls[0]"]
CALL_FIELDS = [*make_payload(0)["tool_calls"][0], "command", "parameters", "exit_code", "file_path", "url"]


@st.composite
def hostile_bodies(draw: st.DrawFn) -> tuple[bytes, Any]:
    """A valid payload with some fields replaced by arbitrary JSON, or arbitrary JSON, or bytes."""
    kind = draw(st.sampled_from(["mutated", "mutated", "mutated", "json", "bytes"]))
    if kind == "bytes":
        raw = draw(st.binary(max_size=200))
        return raw, None
    if kind == "json":
        document = draw(json_values)
    else:
        document = make_payload(draw(st.integers(0, 10_000)), calls=2, namespace="fuzz")
        for _ in range(draw(st.integers(1, 4))):
            value = draw(json_values)
            if draw(st.booleans()):
                document[draw(st.sampled_from(FIELDS))] = value
            else:
                calls = document.get("tool_calls")
                call = calls[0] if isinstance(calls, list) and calls else None  # an earlier draw may have emptied it
                if isinstance(call, dict):
                    call[draw(st.sampled_from(CALL_FIELDS))] = value
    return json.dumps(document, allow_nan=True).encode(), document


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(case=hostile_bodies())
def test_fuzzed_bodies_never_get_a_500(live_api: LiveAPI, engine: Engine, case: tuple[bytes, Any]) -> None:
    body, document = case
    with httpx.Client(base_url=live_api.url, timeout=60) as client:
        response = client.post(POST, content=body, headers={"content-type": "application/json"})
        allowed = OK | ({400} if document is None else set())
        assert response.status_code in allowed, (response.status_code, response.text[:300], body[:300])
        if response.status_code in (200, 201):
            again = client.post(POST, content=body, headers={"content-type": "application/json"})
            assert (again.status_code, again.json()["id"]) == (200, response.json()["id"])
            assert client.get(f"{POST}/{response.json()['id']}").status_code == 200


READS: list[tuple[str, dict[str, Any], set[int], str | None]] = [
    (f"{POST}/0", {}, {404, 422}, None),
    (f"{POST}/-1", {}, {404, 422}, None),
    (f"{POST}/abc", {}, {422}, None),
    (f"{POST}/2147483648", {}, {404, 422}, None),
    (f"{POST}/9223372036854775807", {}, {404, 422}, None),
    (f"{POST}/9223372036854775808", {}, {404, 422}, None),
    (f"{POST}/{'9' * 5000}", {}, {404, 422}, None),
    (POST, {"adw_id": "' OR 1=1 --"}, {200}, None),
    (POST, {"adw_id": "x" * 5000}, {422}, None),
    (POST, {"adw_id": "a", "limit": 10**12}, {422}, None),
    ("/api/v1/tool-analytics/summary", {"days": 0}, {422}, None),
    ("/api/v1/tool-analytics/summary", {"days": 10**9}, {422}, None),
    ("/api/v1/tool-analytics/summary", {"days": "30; DROP TABLE task_logs"}, {422}, None),
    ("/api/v1/tool-analytics/summary", {"tool": "<script>", "phase": "' OR '1'='1"}, {200}, None),
    ("/api/v1/tool-analytics/summary", {"start": "2026-02-30"}, {422}, None),
    ("/api/v1/tool-analytics/summary", {"start": "2026-03-10", "end": "2026-03-01"}, {200, 422}, None),
    ("/api/v1/tool-analytics/sequences", {"min_count": -1}, {422}, None),
    ("/api/v1/tool-analytics/sequences", {"min_count": 10**12}, {200, 422}, None),
    ("/api/v1/tool-analytics/failures", {"limit": 10**9}, {422}, None),
    ("/api/v1/tool-analytics/redundancy/" + "%00", {}, {422}, None),
    ("/api/v1/tool-analytics/summary", {"tool": "a\x00b"}, {422}, None),
    (POST, {"adw_id": "a\x00b"}, {422}, None),
    ("/api/v1/tool-analytics/redundancy/" + "x" * 5000, {}, {200, 404, 422}, None),
]


@pytest.mark.parametrize(
    ("path", "params", "expected", "cause"), [pytest.param(*r, id=f"read{n}") for n, r in enumerate(READS)]
)
def test_hostile_reads(
    live_api: LiveAPI, engine: Engine, path: str, params: dict[str, Any], expected: set[int], cause: str | None
) -> None:
    with httpx.Client(base_url=live_api.url, timeout=60) as client:
        client.post(POST, json=make_payload(1, namespace="reads"))
        response = client.get(path, params=params)
        if response.status_code == 500 and cause is not None:
            pytest.xfail(f"known: {KNOWN_CAUSES[cause]}")
        assert response.status_code in expected, response.text[:300]
    assert "task_logs" in inspect(engine).get_table_names()
