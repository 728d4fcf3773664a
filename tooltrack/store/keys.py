"""Stable keys that make storing idempotent.

A task log's key is the client's own `log_key` when it sends one, else a hash of its content,
so the same payload posted twice, replayed from a spool or ingested from the same file again
maps to the same row.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from tooltrack.models import TaskLogCreate

KEY_PREFIX = "sha256:"


def content_hash(value: Any) -> str:
    """A hex digest of a JSON-able value, independent of key order."""
    data = orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC)
    return hashlib.sha256(data).hexdigest()


def task_log_key(log: TaskLogCreate) -> str:
    """The key under which `log` is stored: its own log_key, else a content hash."""
    if log.log_key:
        return log.log_key
    payload = log.model_dump(mode="json", exclude_none=True, exclude={"log_key"})
    return KEY_PREFIX + content_hash(payload)
