"""Hostile values for the fuzzers, and the causes of 500s already known and reported.

`known_cause` names a known defect a body triggers (so a fuzzer can tell a known 500 from a new
one); each known cause also has its own explicit test case that xfails with the same reason, so
fixing one shows up at once. docs/reliability.md lists them with the fix each needs.
"""

from __future__ import annotations

from typing import Any, Final

from hypothesis import strategies as st

INT32_COLUMNS: Final = ("issue_number", "phase_number", "tokens_used")
INT32_MAX: Final = 2**31 - 1
INT64_MAX: Final = 2**63 - 1
#: orjson refuses to encode containers nested deeper than this.
ORJSON_DEPTH: Final = 254

KNOWN_CAUSES: Final = {
    "nul": "a NUL character in a text: PostgreSQL's text and jsonb cannot hold U+0000",
    "surrogate": "a lone UTF-16 surrogate in `parameters`: not encodable as UTF-8 by orjson or psycopg",
    "int64": "an integer beyond 64 bits in a tool call: orjson cannot encode it, the columns cannot hold it",
    "int32": "issue_number / phase_number / tokens_used beyond 2**31-1: integer columns on PostgreSQL",
    "depth": f"`parameters` nested deeper than {ORJSON_DEPTH} levels: orjson's limit",
    "int32-id": "a task log id beyond 2**31-1 in the URL: the id column is a 32-bit integer on PostgreSQL",
}


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _walk(value: Any) -> Any:
    yield value
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def known_cause(document: Any, dialect: str) -> str | None:
    """The known defect `document` (a parsed body) runs into on `dialect`, or None."""
    for value in _walk(document):
        if isinstance(value, str):
            if "\x00" in value and dialect == "postgresql":
                return "nul"
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
                return "surrogate"
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT64_MAX:
            return "int64"
    if isinstance(document, dict):
        if dialect == "postgresql":
            for column in INT32_COLUMNS:
                value = document.get(column)
                if isinstance(value, int) and not isinstance(value, bool) and abs(value) > INT32_MAX:
                    return "int32"
        if _depth(document) > ORJSON_DEPTH:
            return "depth"
    return None


#: Any JSON value, NaN and infinities included (Python's json writes them; hostile clients do).
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(["", " ", "<script>alert(1)</script>", "'; DROP TABLE task_logs; --", "2026-03-01T10:00:00"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
