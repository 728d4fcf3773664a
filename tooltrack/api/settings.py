"""The API's settings, read from the environment when a request needs them."""

from __future__ import annotations

import os
from typing import Final

API_TOKEN_ENV: Final = "TOOLTRACK_API_TOKEN"
READ_TOKEN_ENV: Final = "TOOLTRACK_API_READ_TOKEN"
MAX_BODY_ENV: Final = "TOOLTRACK_API_MAX_BODY_BYTES"
#: A task log of 10 K calls is about 5 MB of JSON; anything far beyond that is a mistake or an attack.
DEFAULT_MAX_BODY_BYTES: Final = 16 * 1024 * 1024


def api_token() -> str | None:
    """The bearer token writes need, or None when writes are open (read on each request)."""
    return os.environ.get(API_TOKEN_ENV) or None


def api_read_token() -> str | None:
    """The bearer token reads need, or None when reads are open (read on each request)."""
    return os.environ.get(READ_TOKEN_ENV) or None


def check_tokens() -> None:
    """Refuse to start with a token no client can send (a no-break space pasted with it, say).

    Such a token makes every write answered 401 for ever, since no HTTP header can carry it: say
    so at start-up, naming the variable and the character (never the token).
    """
    from tooltrack.capture import token_problem  # the one rule for what a bearer token may hold

    for name in (API_TOKEN_ENV, READ_TOKEN_ENV):
        problem = token_problem(os.environ.get(name), name)
        if problem:
            raise ValueError(problem)


def max_body_bytes() -> int:
    value = os.environ.get(MAX_BODY_ENV)
    if not value:
        return DEFAULT_MAX_BODY_BYTES
    try:
        return max(1, int(value))
    except ValueError as exc:
        raise ValueError(f"{MAX_BODY_ENV} must be a number of bytes, not {value!r}") from exc
