"""Each secret pattern is redacted in what is stored, whatever the way into the database."""

from __future__ import annotations

import io

import orjson
import pytest
from sqlalchemy import Engine, text

from tests.ingest.conftest import stored_logs
from tooltrack.ingest import ingest_stream
from tooltrack.ingest.redaction import ERROR_MESSAGE_LIMIT, MARKER, PATTERNS, redact_text
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

# pattern name -> (a text with a secret in it, the secret). Fake values shaped like real ones.
CASES: dict[str, tuple[str, str]] = {
    "private_key": (
        "echo '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq7\n-----END RSA PRIVATE KEY-----' > k",
        "MIIEowIBAAKCAQEAq7",
    ),
    "url_password": ("git clone https://deploy:hunter2pass@git.example.com/x.git", "hunter2pass"),
    "bearer": ("curl -H 'Authorization: Bearer abcDEF123456ghij' https://api.example.com", "abcDEF123456ghij"),
    "authorization": ("http GET api.example.com Authorization:xyzzy-opaque-987", "xyzzy-opaque-987"),
    "anthropic_openai": ("claude --key sk-ant-api03-AbCdEfGhIjKlMnOpQrSt", "sk-ant-api03-AbCdEfGhIjKlMnOpQrSt"),
    "github": (
        "gh auth login --with-token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    "gitlab": ("glab auth glpat-abcdefghij0123456789", "glpat-abcdefghij0123456789"),
    "slack": ("post xoxb-123456789012-abcdefABCDEF to channel", "xoxb-123456789012-abcdefABCDEF"),
    "aws_access_key": ("aws s3 ls # key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "google_api_key": ("maps?key=AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    "stripe": ("stripe charge sk_live_abcdefghijklmnop1234", "sk_live_abcdefghijklmnop1234"),
    "npm": (
        "npm config set //registry/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    "jwt": (
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P",
    ),
    "secret_assignment": ("DATABASE_PASSWORD=correct-horse-battery ./manage.py migrate", "correct-horse-battery"),
    "secret_option": ("mysql -u root --password s3cr3t-v4lue -e 'select 1'", "s3cr3t-v4lue"),
}


def test_every_pattern_has_a_case() -> None:
    assert sorted(CASES) == sorted(name for name, _, _ in PATTERNS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pattern_alone(name: str) -> None:
    text_, secret = CASES[name]
    redacted = redact_text(text_)
    assert secret not in redacted
    assert MARKER in redacted


@pytest.mark.parametrize(
    "clean",
    ["pytest tests/ -x -q", "cat src/tokenizer.py", "git commit -m 'fix author name'", "https://example.com/a?b=c"],
)
def test_ordinary_text_is_left_alone(clean: str) -> None:
    assert redact_text(clean) == clean


def _log_with(secret_text: str) -> TaskLogCreate:
    """A task log carrying `secret_text` in every field the store redacts."""
    return TaskLogCreate(
        adw_id="redact",
        phase_name="Build",
        phase_status="failed",
        log_message=f"ran {secret_text}",
        error_message=f"failed: {secret_text}",
        tool_calls=[
            ToolCallRecord(tool_name="Bash", success=False, command=secret_text, error_message=secret_text),
            ToolCallRecord(tool_name="WebFetch", success=True, url=f"https://x.example.com/?q={secret_text}"),
            ToolCallRecord(tool_name="Grep", success=True, pattern=secret_text, file_path=secret_text),
            ToolCallRecord(
                tool_name="mcp__db__query",
                success=True,
                parameters={"sql": secret_text, "nested": [{"v": secret_text}]},
            ),
        ],
    )


def _raw_rows(engine: Engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT log_message, error_message, tool_calls FROM task_logs")).all()
    return repr(rows)


@pytest.mark.parametrize("name", sorted(CASES))
def test_store_write_path_redacts(engine: Engine, name: str) -> None:
    text_, secret = CASES[name]
    TaskLogRepository(engine).create(_log_with(text_))
    raw = _raw_rows(engine)
    assert secret not in raw
    assert MARKER in raw


@pytest.mark.parametrize("name", ["github", "secret_assignment", "url_password", "bearer"])
def test_ingest_bulk_path_redacts(engine: Engine, name: str) -> None:
    text_, secret = CASES[name]
    line = orjson.dumps(_log_with(text_).model_dump(mode="json", exclude_none=True)) + b"\n"
    report = ingest_stream(engine, "-", io.BytesIO(line))
    assert report.ok and report.task_logs_stored == 1
    raw = _raw_rows(engine)
    assert secret not in raw and MARKER in raw


def test_transcript_secrets_are_redacted(engine: Engine, write_lines) -> None:  # type: ignore[no-untyped-def]
    use = {
        "type": "assistant",
        "sessionId": "s-1",
        "timestamp": "2026-01-01T00:00:00Z",
        "message": {
            "id": "m1",
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "Bash",
                    "input": {
                        "command": "curl -u admin:pa55word https://h.example.com",
                        "env": "API_TOKEN=t0k3n-value",
                    },
                }
            ],
        },
    }
    result = {
        "type": "user",
        "sessionId": "s-1",
        "timestamp": "2026-01-01T00:00:01Z",
        "message": {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "is_error": True,
                    "content": "Exit code 22\nAuthorization: Bearer leakedtoken123",
                }
            ],
        },
    }
    ingest_stream(engine, "t.jsonl", io.BytesIO(orjson.dumps(use) + b"\n" + orjson.dumps(result) + b"\n"))
    raw = _raw_rows(engine)
    for secret in ("t0k3n-value", "leakedtoken123"):
        assert secret not in raw
    [log] = stored_logs(engine)
    assert log.tool_calls[0].exit_code == 22


def test_error_messages_are_cut(engine: Engine) -> None:
    long = "E" * (ERROR_MESSAGE_LIMIT * 3)
    log = TaskLogCreate(
        adw_id="long",
        phase_name="Test",
        phase_status="failed",
        error_message=long,
        tool_calls=[ToolCallRecord(tool_name="Bash", success=False, error_message=long)],
    )
    TaskLogRepository(engine).create(log)
    [stored] = stored_logs(engine)
    assert stored.error_message is not None and len(stored.error_message) == ERROR_MESSAGE_LIMIT
    assert stored.tool_calls[0].error_message is not None
    assert len(stored.tool_calls[0].error_message) == ERROR_MESSAGE_LIMIT
