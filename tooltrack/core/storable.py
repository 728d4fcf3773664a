"""NUL (U+0000) in text taken from an agent's own logs becomes U+FFFD, so one odd value loses nothing.

`tooltrack.models` refuses NUL in every text (PostgreSQL's text and jsonb cannot hold it): right
for a client's payload (a 422 names the field), wrong for a Claude Code log on disk, where one
command with a NUL would cost the whole session's task log. The mappers that turn agent formats
into records (`tooltrack.ingest.claude`, `hooks`, `otel`, `tooltrack.capture.hook_mapping`) pass
what they take from the source through here. Standard library only: the hook imports it on
every tool call.

`storable_text` also keeps a lone UTF-16 surrogate (valid in JSON as `"\\udc80"`, in Python from a
non-UTF-8 byte in the environment, but not valid Unicode: orjson, pydantic and PostgreSQL refuse it)
as its visible `\\udxxx` escape. The Claude Code hook and the tracker pass text through it.
"""

from __future__ import annotations

from typing import Final, TypeVar

NUL: Final = "\x00"
REPLACEMENT: Final = "\ufffd"
#: How a NUL is written inside JSON text (a raw NUL byte is not valid JSON).
_ESCAPED: Final = "\\u0000"

T = TypeVar("T")


def replace_nul(value: T) -> T:
    """`value` with every NUL in its strings and keys (at any depth) replaced by U+FFFD.

    Returns `value` itself when there is nothing to replace in a string; containers are copied.
    """
    if isinstance(value, str):
        return value.replace(NUL, REPLACEMENT) if NUL in value else value  # type: ignore[return-value]
    if isinstance(value, dict):
        return {replace_nul(k): replace_nul(v) for k, v in value.items()}  # type: ignore[return-value]
    if isinstance(value, list | tuple):
        return [replace_nul(item) for item in value]  # type: ignore[return-value]
    return value


def replace_nul_parsed(raw: bytes | str, value: T) -> T:
    """`value`, parsed from the JSON text `raw`, without NUL: walked only when `raw` has an escaped NUL.

    The check on the raw text is a substring search, so the common clean line costs almost nothing.
    """
    escaped: bytes | str = _ESCAPED.encode() if isinstance(raw, bytes) else _ESCAPED
    return replace_nul(value) if escaped in raw else value  # type: ignore[operator]


def storable_text(text: str, limit: int | None = None) -> str:
    """`text` as the model and the database take it: NUL as U+FFFD, a lone surrogate as its `\\udxxx` escape.

    With `limit`, the result is at most that long: cut before escaping (so a long text is not
    escaped whole) and again after (an escape is six characters where the surrogate was one).
    """
    text = replace_nul(text[:limit])
    if text.isascii():  # the common case: nothing to escape, no encoding round trip
        return text
    escaped = text.encode("utf-8", "backslashreplace").decode()
    return escaped[:limit] if limit is not None and len(escaped) > limit else escaped
