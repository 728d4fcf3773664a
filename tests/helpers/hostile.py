"""Hostile values: for the fuzzers, the causes of 500s already known, and HTML for the dashboard.

Every body the model accepts can now be stored (tooltrack/models.py refuses NUL, lone surrogates,
out-of-range integers and over-deep `parameters` with a 422), so the body fuzzers allow no 500 at
all. `KNOWN_CAUSES` names the defects still pinned by an explicit case that xfails with the same
reason, so fixing one shows up at once; docs/reliability.md lists them with the fix each needs.

`hostile_log()` is a workflow run whose tool name and texts are HTML and script, which the browser
tests store to prove that no page renders user text as HTML.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Final

from hypothesis import strategies as st

from tooltrack.models import TaskLogCreate, ToolCallRecord

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

#: A tool name that would run script if any page rendered it as HTML.
HOSTILE_TOOL = '<img src=x onerror="window.__tooltrack_xss=1"><script>window.__tooltrack_xss=1</script>'
HOSTILE_ADW_ID = "xss00001"


def hostile_log() -> TaskLogCreate:
    """A run (adw_id HOSTILE_ADW_ID, started 3 hours ago) of four HOSTILE_TOOL calls, two failing with HTML errors."""
    start = datetime.now(UTC) - timedelta(hours=3)
    calls = [
        ToolCallRecord(
            tool_name=HOSTILE_TOOL,
            duration_ms=120 + i,
            success=i % 2 == 0,
            timestamp=start + timedelta(seconds=10 * i),
            error_message=None if i % 2 == 0 else "<b>bold</b><script>window.__tooltrack_xss=1</script>",
        )
        for i in range(4)
    ]
    return TaskLogCreate(
        adw_id=HOSTILE_ADW_ID,
        workflow_template="<i>template</i>",
        phase_name="Build",
        phase_number=1,
        phase_status="completed",
        started_at=start,
        completed_at=start + timedelta(minutes=1),
        tool_calls=calls,
    )
