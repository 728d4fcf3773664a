"""Hostile values for the fuzzers, and the causes of 500s already known and reported.

Every body the model accepts can now be stored (tooltrack/models.py refuses NUL, lone surrogates,
out-of-range integers and over-deep `parameters` with a 422), so the body fuzzers allow no 500 at
all. `KNOWN_CAUSES` names the defects still pinned by an explicit case that xfails with the same
reason, so fixing one shows up at once; docs/reliability.md lists them with the fix each needs.
"""

from __future__ import annotations

from typing import Final

from hypothesis import strategies as st

#: Empty now: the last two (a task log id beyond the int4 column, a NUL in a URL) are fixed.
KNOWN_CAUSES: Final[dict[str, str]] = {}


#: Any JSON value, NaN and infinities included (Python's json writes them; hostile clients do).
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=40),
    st.sampled_from(
        ["", " ", "<script>alert(1)</script>", "'; DROP TABLE task_logs; --", "2026-03-01T10:00:00", "a\x00b", "\udfff"]
    ),
    st.sampled_from([2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63), -(2**63) - 1]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
