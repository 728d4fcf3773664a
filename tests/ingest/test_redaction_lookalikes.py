"""Ordinary texts that look like secrets come through redaction unchanged (issue 13 item 9).

`redaction_lookalikes.jsonl` (beside this file) holds one text a line: prose with `Basic`, `Token`
and `Authorization` in it, code, shell commands, URLs without credentials, config keys with empty
values, counters (`token_count=5`), option names that describe a secret (`--password-file /path`),
base64 of non-secrets, UUIDs, git SHAs and file paths with "secret" or "key" in them. With the
clean texts of the reliability corpus, every one must be stored exactly as it was sent.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine

from tests.helpers.db import stored_logs
from tests.helpers.redaction_probe import ALL_CLEAN, LOOKALIKES
from tooltrack.core import redact_row, redact_text
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository


def test_the_look_alike_corpus_is_substantial() -> None:
    assert len(LOOKALIKES) >= 50
    assert len(set(LOOKALIKES)) == len(LOOKALIKES)


# The two reports of issue 13 item 9, as they were seen.
def test_basic_in_prose_is_left_alone() -> None:
    assert redact_text("Pattern 1: Basic option selection") == "Pattern 1: Basic option selection"


def test_an_empty_assignment_does_not_swallow_the_next_line() -> None:
    text = "JINA_API_KEY=\nJINA_MODEL=jina-embeddings-v3\nexport JINA_API_KEY=jina_Planted0123456789abcdef"
    assert redact_text(text) == "JINA_API_KEY=\nJINA_MODEL=jina-embeddings-v3\nexport JINA_API_KEY=[REDACTED]"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # An empty value, then a space: the shell's empty assignment, not `NAME=next word`.
        ("API_TOKEN= ./run.sh --fast", "API_TOKEN= ./run.sh --fast"),
        ('{"api_key": "", "password": null}', '{"api_key": "", "password": null}'),
        ("password:\n  min_length: 12", "password:\n  min_length: 12"),
        # A value after the empty one is still found.
        ("API_KEY=\nDB_PASSWORD=Planted-Pw-1", "API_KEY=\nDB_PASSWORD=[REDACTED]"),
        # A scheme word in prose keeps what follows; a credential-shaped value still goes.
        ("Basic auth is off; Bearer tokens expire", "Basic auth is off; Bearer tokens expire"),
        ("retry with token abcDEF123456ghij", "retry with token [REDACTED]"),
    ],
)
def test_empty_values_and_prose_around_real_ones(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", ALL_CLEAN)
def test_each_look_alike_is_unchanged(text: str) -> None:
    assert redact_text(text) == text


def test_look_alikes_in_every_field_of_a_row_are_unchanged() -> None:
    calls: list[dict[str, Any]] = [
        {"tool_name": "Bash", "command": text, "error_message": text, "parameters": {"input": text, "n": [text]}}
        for text in ALL_CLEAN
    ]
    row = redact_row({"log_message": "\n".join(ALL_CLEAN), "tool_calls": calls})
    assert row["log_message"] == "\n".join(ALL_CLEAN)
    for call, text in zip(row["tool_calls"], ALL_CLEAN, strict=True):
        assert call == {
            "tool_name": "Bash",
            "command": text,
            "error_message": text,
            "parameters": {"input": text, "n": [text]},
        }


def test_look_alikes_are_stored_as_sent(engine: Engine) -> None:
    logs = [
        TaskLogCreate.model_validate(
            {
                "adw_id": "lookalikes",
                "phase_name": "Build",
                "phase_number": number,
                "phase_status": "completed",
                "log_message": text,
                "tool_calls": [
                    {"tool_name": "Bash", "success": False, "command": text, "error_message": text},
                    {"tool_name": "Read", "success": True, "file_path": text},
                    {"tool_name": "mcp__notes__add", "success": True, "parameters": {"body": text}},
                ],
            }
        )
        for number, text in enumerate(ALL_CLEAN)
    ]
    TaskLogRepository(engine).create_many(logs)
    stored = {log.phase_number: log for log in stored_logs(engine)}
    assert len(stored) == len(ALL_CLEAN)
    for number, text in enumerate(ALL_CLEAN):
        log = stored[number]
        bash, read, mcp = log.tool_calls
        assert (log.log_message, bash.command, bash.error_message, read.file_path) == (text, text, text, text)
        assert mcp.parameters == {"body": text}
