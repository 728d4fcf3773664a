"""The bounds every stage holds a record to: one definition for the models and the hook alike.

`tooltrack.models` validates against them (a 422 at the door, never a 500 at the INSERT); the hook
and the agent-format mappers, which load no pydantic, cut text to them so that what they build
always validates.
"""

from __future__ import annotations

from typing import Final

#: Upper bounds that keep one hostile record from bloating a row.
MAX_TEXT: Final = 20_000
MAX_NAME: Final = 200

#: Integer columns of `task_logs` on PostgreSQL are 32-bit (issue_number, phase_number, tokens_used).
INT32_MAX: Final = 2**31 - 1
#: Integers inside `tool_calls` are written by orjson, which takes 64-bit integers only.
INT64_MIN: Final = -(2**63)
INT64_MAX: Final = 2**63 - 1
#: The longest a tool call may take, in ms (about 31.7 years). The rollups add durations up in
#: 64-bit counters: with this bound, 9 million calls of the longest duration fit in one group, so
#: one absurd value cannot overflow a counter and block every later write to its group.
MAX_DURATION_MS: Final = 10**12
#: Deepest nesting of containers in `parameters` (the dict itself is level 1). Tool inputs are a
#: few levels deep; the bound keeps far below orjson's 254 and any recursion limit.
MAX_PARAMETERS_DEPTH: Final = 32
#: Error messages are kept for diagnosis but never whole: a failing tool can print anything.
ERROR_MESSAGE_LIMIT: Final = 2000
TRUNCATION_MARK: Final = "…[truncated]"


def bound_error(text: str, limit: int = ERROR_MESSAGE_LIMIT) -> str:
    """An error message cut to `limit` characters (marked when cut)."""
    if len(text) <= limit:
        return text
    return text[: limit - len(TRUNCATION_MARK)] + TRUNCATION_MARK
