"""The redaction patterns against a corpus of realistic commands, URLs and messages.

`secrets_corpus.jsonl` (beside this file; tests/helpers/corpus.py reads it) holds one case a line:
a text, the secret substrings planted in it (none for texts that must come through unchanged), and
for the forms the patterns are known not to catch, a `gap` saying why (those are strict xfails:
when a pattern starts to catch one, the test says so and the case moves to the caught ones).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import Engine, String, cast, select

from tests.helpers.corpus import CAUGHT, CLEAN, CORPUS
from tooltrack.core.redaction import MARKER, redact_text, redact_value
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository
from tooltrack.store.schema import task_logs


def _params() -> list[Any]:
    params = []
    for number, case in enumerate(CORPUS, start=1):
        marks = [pytest.mark.xfail(strict=True, reason=case["gap"])] if case.get("gap") else []
        params.append(pytest.param(case, id=f"line{number}", marks=marks))
    return params


@pytest.mark.parametrize("case", _params())
def test_each_corpus_text(case: dict[str, Any]) -> None:
    redacted = redact_text(case["text"])
    for secret in case["secrets"]:
        assert secret not in redacted
    if case["secrets"]:
        assert MARKER in redacted
    else:
        assert redacted == case["text"]  # no false positive on ordinary commands and paths


def test_corpus_is_substantial() -> None:
    assert len(CAUGHT) >= 30 and len(CLEAN) >= 10


def _log_full_of(texts: list[str], number: int) -> TaskLogCreate:
    """One task log that puts every text into every field the store keeps text in."""
    calls = []
    for i, text in enumerate(texts):
        calls.append({
            "tool_name": ("Bash", "WebFetch", "Read", "Grep", "mcp__vault__read")[i % 5],
            "duration_ms": 10 + i,
            "success": i % 3 != 0,
            "command": text,
            "url": text,
            "file_path": text,
            "pattern": text,
            "error_message": text,
            "parameters": {"input": text, "nested": [{"value": text}]},
        })  # fmt: skip
    return TaskLogCreate.model_validate({
        "adw_id": f"secrets-{number}",
        "phase_name": "Build",
        "phase_status": "failed",
        "log_message": " | ".join(texts),
        "error_message": texts[0],
        "tool_calls": calls,
    })  # fmt: skip


def test_no_caught_secret_reaches_a_stored_row(engine: Engine) -> None:
    texts = [case["text"] for case in CAUGHT]
    # Several logs so the error-message cut (a bounded length) never hides a missed secret.
    logs = [_log_full_of(texts[i : i + 3], i) for i in range(0, len(texts), 3)]
    TaskLogRepository(engine).create_many(logs)
    with engine.connect() as connection:
        rows = connection.execute(
            select(task_logs.c.log_message, task_logs.c.error_message, cast(task_logs.c.tool_calls, String))
        ).all()
    assert len(rows) == len(logs)
    stored = "\n".join(str(value) for row in rows for value in row)
    leaked = [secret for case in CAUGHT for secret in case["secrets"] if secret in stored]
    assert leaked == []
    assert stored.count(MARKER) >= len(CAUGHT)


def test_parameter_values_under_secret_looking_keys_are_redacted() -> None:
    parameters = {
        "env": {"DATABASE_PASSWORD": "PlainPw-1", "PATH": "/usr/bin"},
        "api_key": "KeyVal-2",
        "x-api-key": "HdrVal-3",
        "headers": {"Authorization": "Basic Zm9vOmJhcg-4", "X-Api-Key": "HdrVal-5"},
        "token_count": 12,
        "max_tokens": 4096,
        "password_length": 16,
    }
    redacted = redact_value(parameters)
    text = json.dumps(redacted)
    assert not any(value in text for value in ("PlainPw-1", "KeyVal-2", "HdrVal-3", "Zm9vOmJhcg-4", "HdrVal-5"))
    # Look-alike keys keep their values: counts and sizes are what the analytics need.
    assert (redacted["token_count"], redacted["max_tokens"], redacted["password_length"]) == (12, 4096, 16)
    assert redacted["env"]["PATH"] == "/usr/bin"
