"""Redaction keeps every bound: a text stored after redaction is never longer than its field allows.

`[REDACTED]` is longer than a short secret, so redacting a text already at its bound used to push
it past (issue 14 item 3): a 20,000-character command ending in `-pX` was stored at 20,007
characters, and every read of that run then failed validation (500) on both databases.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import anyio.from_thread
import pytest
from sqlalchemy import Engine

from tests.helpers.api_client import AppClient
from tooltrack.api import create_app
from tooltrack.api.deps import get_engine
from tooltrack.core import ERROR_MESSAGE_LIMIT, MARKER, MAX_TEXT, TRUNCATION_MARK, redact_row, redact_text

URL = "/api/v1/observability/task-logs"
#: A short secret in a form the patterns know: `[REDACTED]` is longer than `X1`.
SHORT_SECRET_TAIL = " -pX1"
SHORT_SECRET_COMMAND = "mysql -u root" + SHORT_SECRET_TAIL


def _at_bound(limit: int, tail: str = SHORT_SECRET_TAIL) -> str:
    """A text of exactly `limit` characters that ends in `mysql ... -pX1`."""
    head = "mysql -u root --database shop "
    return head + "x" * (limit - len(head) - len(tail)) + tail


@pytest.fixture
def api(engine: Engine) -> Iterator[AppClient]:
    with anyio.from_thread.start_blocking_portal() as portal:
        app = create_app()
        app.dependency_overrides[get_engine] = lambda: engine
        client = AppClient(app, portal)
        yield client
        client.close()


def test_a_command_at_the_bound_ending_in_a_short_secret_reads_back(api: AppClient) -> None:
    command = _at_bound(MAX_TEXT)
    assert len(command) == MAX_TEXT and command.endswith("-pX1")
    body = {
        "adw_id": "bounded-run",
        "phase_name": "Build",
        "phase_status": "failed",
        "log_message": _at_bound(MAX_TEXT),
        "error_message": _at_bound(MAX_TEXT),
        "tool_calls": [
            {
                "tool_name": "Bash",
                "success": False,
                "command": command,
                "error_message": _at_bound(MAX_TEXT),
            },
            {"tool_name": "WebFetch", "success": True, "url": _at_bound(MAX_TEXT)},
            {"tool_name": "Grep", "success": True, "pattern": _at_bound(MAX_TEXT), "file_path": _at_bound(MAX_TEXT)},
            {"tool_name": "mcp__db__query", "success": True, "parameters": {"sql": _at_bound(MAX_TEXT)}},
        ],
    }
    created = api.post(URL, json=body)
    assert created.status_code == 201, created.text[:300]

    one = api.get(f"{URL}/{created.json()['id']}")
    assert one.status_code == 200, one.text[:300]
    by_run = api.get(URL, params={"adw_id": "bounded-run"})
    assert by_run.status_code == 200, by_run.text[:300]
    [listed] = by_run.json()["task_logs"]
    assert listed == one.json()

    log = one.json()
    bash, fetch, grep, mcp = log["tool_calls"]
    texts = {
        "log_message": log["log_message"],
        "command": bash["command"],
        "url": fetch["url"],
        "pattern": grep["pattern"],
        "file_path": grep["file_path"],
        "parameters.sql": mcp["parameters"]["sql"],
    }
    for field, stored in texts.items():
        assert len(stored) <= MAX_TEXT, field
        assert "X1" not in stored[-40:], field  # the secret went before the cut
    for stored in (log["error_message"], bash["error_message"]):
        assert len(stored) == ERROR_MESSAGE_LIMIT and stored.endswith(TRUNCATION_MARK)


@pytest.mark.parametrize("field", ["command", "file_path", "url", "pattern"])
def test_each_call_field_stays_within_max_text(field: str) -> None:
    row = redact_row({"tool_calls": [{"tool_name": "Bash", field: _at_bound(MAX_TEXT)}]})
    stored = row["tool_calls"][0][field]
    assert len(stored) == MAX_TEXT
    assert stored.endswith(TRUNCATION_MARK)
    assert "X1" not in stored


def test_the_log_message_stays_within_max_text() -> None:
    row = redact_row({"log_message": _at_bound(MAX_TEXT), "tool_calls": []})
    assert len(row["log_message"]) == MAX_TEXT and "X1" not in row["log_message"]


@pytest.mark.parametrize("where", ["log", "call"])
def test_error_messages_stay_within_their_limit(where: str) -> None:
    message = _at_bound(ERROR_MESSAGE_LIMIT)
    row: dict[str, Any] = {"tool_calls": [{"tool_name": "Bash", "error_message": message}]}
    if where == "log":
        row = {"error_message": message, "tool_calls": []}
    redact_row(row)
    stored = row["error_message"] if where == "log" else row["tool_calls"][0]["error_message"]
    assert len(stored) == ERROR_MESSAGE_LIMIT
    assert "X1" not in stored


def test_a_secret_across_the_error_message_cut_is_still_redacted() -> None:
    """Redaction runs on the whole message, then the cut: a token the cut would halve still goes."""
    token = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
    # The cut keeps 18 characters of the token: too few for the pattern to know it afterwards.
    keep = ERROR_MESSAGE_LIMIT - len(TRUNCATION_MARK)
    message = "E" * (keep - 19) + " " + token + " and more output"
    row = redact_row({"error_message": message, "tool_calls": []})
    assert len(row["error_message"]) <= ERROR_MESSAGE_LIMIT
    assert token[:12] not in row["error_message"] and MARKER in row["error_message"]


def test_parameter_strings_never_grow_past_their_bound() -> None:
    """`parameters` strings have no bound of their own: one may not grow past MAX_TEXT, or its own length."""
    at_bound = _at_bound(MAX_TEXT)
    longer = _at_bound(MAX_TEXT + 500)  # the models let a parameters string be longer
    short = SHORT_SECRET_COMMAND  # short texts may grow: only the bound matters
    row = redact_row({
        "tool_calls": [
            {"tool_name": "mcp__x", "parameters": {"a": at_bound, "deep": [{"b": longer}], "c": short}},
        ]
    })  # fmt: skip
    parameters = row["tool_calls"][0]["parameters"]
    assert len(parameters["a"]) == MAX_TEXT and "X1" not in parameters["a"]
    assert len(parameters["deep"][0]["b"]) == len(longer) and "X1" not in parameters["deep"][0]["b"]
    assert parameters["c"] == f"mysql -u root -p{MARKER}"


def test_texts_within_their_bound_are_not_cut() -> None:
    command = "x" * (MAX_TEXT - 40) + " " + SHORT_SECRET_COMMAND
    row = redact_row({"tool_calls": [{"tool_name": "Bash", "command": command}]})
    assert row["tool_calls"][0]["command"] == "x" * (MAX_TEXT - 40) + f" mysql -u root -p{MARKER}"


# Time is a bound too: a hostile text at MAX_TEXT must not hold a writer for long. Before, 2,000
# characters of `key.key.key...` took 6 s (the name was tried at every split, at every boundary:
# cubic), and 20,000 of `mysql mysql ...` half a second (every occurrence scanned to the command's
# end); each of these now takes a few milliseconds.
HOSTILE = {
    "dotted names": "key." * (MAX_TEXT // 4),
    "dashed names": "a-key-" * (MAX_TEXT // 6),
    "assignments": "key=" * (MAX_TEXT // 4),
    "a program again and again": "mysql " * (MAX_TEXT // 6),
    "curl options": "curl -b " * (MAX_TEXT // 8),
    "gh secret set": "gh secret set " * (MAX_TEXT // 14),
    "schemes without a password": "key." * (MAX_TEXT // 4 - 1) + "a@b",
    "xml names": "<password>" * (MAX_TEXT // 10),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_text_at_the_bound_is_redacted_quickly(name: str) -> None:
    text = HOSTILE[name][:MAX_TEXT]
    started = time.process_time()
    redact_text(text)
    assert time.process_time() - started < 0.25  # a few ms here; 50 times that on a busy machine
