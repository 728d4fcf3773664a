"""Secrets never reach the database: the one documented set of redaction patterns.

Every way into the database (REST API, tracker, hook, ingest, demo) goes through the store's write
path, which calls `redact_row` on each task log. It replaces secrets by `MARKER` in the texts a
task log keeps (commands, file paths, urls, search patterns, error and log messages, and every
string inside `parameters`) and cuts error messages to `ERROR_MESSAGE_LIMIT` characters.

The patterns, in the order they run (each has a test in `tests/ingest/test_redaction.py`):

==================  ===============================================================================
name                what it replaces
==================  ===============================================================================
private_key         a PEM private key block (`-----BEGIN ... PRIVATE KEY----- ... -----END ...`)
url_password        the password of credentials in a URL: `https://user:PASSWORD@host`
bearer              the value after `Bearer` / `Basic` / `Token` (HTTP Authorization schemes)
authorization       any other `Authorization: VALUE` / `authorization=VALUE`
anthropic_openai    `sk-...` keys (Anthropic `sk-ant-...`, OpenAI `sk-proj-...`, `sk-...`)
github              `ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` tokens and `github_pat_...`
gitlab              `glpat-...` personal access tokens
slack               `xoxb-` / `xoxp-` / `xoxa-` / `xoxr-` / `xoxs-` tokens
aws_access_key      AWS access key ids (`AKIA...` / `ASIA...`, 20 characters)
google_api_key      Google API keys (`AIza...`)
stripe              `sk_live_` / `rk_live_` keys
npm                 `npm_...` tokens
jwt                 JSON Web Tokens (`eyJ...` header . payload . signature)
secret_assignment   `NAME=value` / `NAME: value` / `"name": "value"` when NAME looks secret
                    (contains secret, token, password, passwd, pwd, api_key, apikey, access_key,
                    private_key, credential, auth_token, client_secret, session_key; any case)
secret_option       command-line options: `--password VALUE`, `--token=VALUE`, `--api-key VALUE`
==================  ===============================================================================

Speed: this runs on every stored tool call (the bulk ingest path stores 150 K calls/s), so each
text is first checked against one cheap trigger expression; only the rare text that contains a
trigger goes through the patterns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

MARKER: Final = "[REDACTED]"
#: Error messages are kept for diagnosis but never whole: a failing tool can print anything.
ERROR_MESSAGE_LIMIT: Final = 2000
TRUNCATION_MARK: Final = "…[truncated]"

#: Fields of a stored tool call that may carry a secret.
CALL_TEXT_FIELDS: Final = ("command", "file_path", "url", "pattern", "error_message")
#: Fields of a task log row that may carry a secret.
LOG_TEXT_FIELDS: Final = ("log_message", "error_message")

_SECRET_NAME = (
    r"[A-Za-z0-9_.-]*(?:secret|token|passw(?:or)?d|passwd|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credential|auth[_-]?token|session[_-]?key)[A-Za-z0-9_.-]*"
)

#: (name, expression, replacement), applied in this order.
PATTERNS: Final[tuple[tuple[str, re.Pattern[str], str], ...]] = (
    (
        "private_key",
        re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S),
        MARKER,
    ),
    ("url_password", re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@\"']*:)[^/\s@\"']+(@)"), rf"\1{MARKER}\2"),
    ("bearer", re.compile(r"(?i)(\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{6,}"), rf"\1{MARKER}"),
    (
        "authorization",
        re.compile(r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?!bearer\b|basic\b|token\b|\[REDACTED\])[^\s\"',;]+"),
        rf"\1{MARKER}",
    ),
    ("anthropic_openai", re.compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"), MARKER),
    ("github", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), MARKER),
    ("gitlab", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), MARKER),
    ("slack", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), MARKER),
    ("aws_access_key", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MARKER),
    ("google_api_key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), MARKER),
    ("stripe", re.compile(r"\b[rs]k_live_[0-9A-Za-z]{16,}"), MARKER),
    ("npm", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), MARKER),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MARKER),
    (
        "secret_assignment",
        re.compile(
            rf"(?i)(\b{_SECRET_NAME}[\"']?\s*[=:]\s*)"
            r"(?!\[REDACTED\])(\"[^\"]*\"|'[^']*'|[^\s\"'&;,)}\]]+)"
        ),
        rf"\1{MARKER}",
    ),
    (
        "secret_option",
        re.compile(
            r"(?i)(\s--?(?:password|passwd|pass|token|api-key|apikey|secret|auth-token)(?:=|\s+))(?!\[REDACTED\])[^\s\"']+"
        ),
        rf"\1{MARKER}",
    ),
)

#: A cheap first look, run on the lower-cased text (five times faster than an IGNORECASE search):
#: a text without any of these cannot match a pattern above.
_TRIGGER = re.compile(
    r"private key|://[^/\s@]*@|bearer|basic|token|authoriz|sk-|gh[pousr]_|github_pat_|glpat-|xox[abprs]-"
    r"|akia|asia|aiza|_live_|npm_|eyj|secret|passw|pwd|api[_-]?key|apikey|access[_-]?key|private[_-]?key"
    r"|credential|session[_-]?key|--pass"
)
_trigger_search: Callable[[str], re.Match[str] | None] = _TRIGGER.search


def redact_text(text: str) -> str:
    """`text` with every secret the patterns know replaced by `MARKER`."""
    if not _trigger_search(text.lower()):
        return text
    for _, pattern, replacement in PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def bound_error(text: str, limit: int = ERROR_MESSAGE_LIMIT) -> str:
    """An error message cut to `limit` characters (marked when cut)."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK


def redact_value(value: Any) -> Any:
    """Redact every string inside a JSON-like value (dicts, lists, scalars); returns a new value."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    return value


def redact_call(call: dict[str, Any]) -> dict[str, Any]:
    """Redact one stored tool call (a dict as the store writes it) in place, and return it."""
    for field in CALL_TEXT_FIELDS:
        text = call.get(field)
        if text is not None:
            if field == "error_message":
                text = bound_error(text)
            call[field] = redact_text(text)
    parameters = call.get("parameters")
    if parameters:
        call["parameters"] = redact_value(parameters)
    return call


def redact_row(row: dict[str, Any]) -> dict[str, Any]:
    """Redact a task log row (column form, `tool_calls` a list of dicts) in place, and return it."""
    for field in LOG_TEXT_FIELDS:
        text = row.get(field)
        if text is not None:
            if field == "error_message":
                text = bound_error(text)
            row[field] = redact_text(text)
    for call in row.get("tool_calls") or ():
        redact_call(call)
    return row
