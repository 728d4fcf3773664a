"""Names of 200 four-byte characters, the longest that validate, in every rollup key, on both databases.

A PostgreSQL b-tree entry holds at most 2,704 bytes. When the rollup counter tables were keyed by
their text columns, a task log whose template, phase and three consecutive tools each had 200
characters of U+10000 and above (800 bytes of UTF-8 each) was refused on PostgreSQL (`index row
size 3240 exceeds btree version 4 maximum 2704 for index "rollup_sequence_daily_pkey"`, a 500 at
the API) and stored on SQLite. Since migration 0007 they are keyed by a hash of those columns.

The known data set is stored with every template, phase, tool and Bash program renamed to such a
name (some pairs differing only in their last character, so a key cut short would merge them);
the analytics must answer with the names as sent, agree with the plain-Python reference, and the
rollups must equal a rebuild.
"""

from __future__ import annotations

import random

import pytest
from sqlalchemy import Engine

from tests.helpers.derived_check import differences
from tests.helpers.known_data import known_logs, ngrams, per_tool
from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.core import MAX_NAME, normalise_command
from tooltrack.models import TaskLogCreate
from tooltrack.store import TaskLogRepository

ALL = Filters(days=3650)


def _long_names(count: int, seed: int) -> list[str]:
    """`count` names of MAX_NAME random characters above U+FFFF (4 bytes each: no compression helps).

    Every second name is the one before it with only its last character changed.
    """
    rng = random.Random(seed)
    names: list[str] = []
    while len(names) < count:
        if names and len(names) % 2:
            last = names[-1]
            names.append(last[:-1] + chr(0x10000 + (ord(last[-1]) - 0x10000 + 1) % 0x100000))
        else:
            names.append("".join(chr(rng.randrange(0x10000, 0x110000)) for _ in range(MAX_NAME)))
    assert all(len(name) == MAX_NAME and len(name.encode()) == 4 * MAX_NAME for name in names)
    return names


def _renamed(logs: list[TaskLogCreate]) -> list[TaskLogCreate]:
    """`logs` with every name but "Bash" (whose commands are what command rollups count) made long."""
    originals = sorted(
        {log.workflow_template for log in logs if log.workflow_template}
        | {log.phase_name for log in logs}
        | {call.tool_name for log in logs for call in log.tool_calls if call.tool_name != "Bash"}
        | {call.command.split()[0] for log in logs for call in log.tool_calls if call.command}
    )
    long = dict(zip(originals, _long_names(len(originals), seed=14), strict=True))
    renamed = []
    for log in logs:
        calls = []
        for call in log.tool_calls:
            changes: dict[str, object] = {"tool_name": long.get(call.tool_name, call.tool_name)}
            if call.command:
                program, *rest = call.command.split(maxsplit=1)
                changes["command"] = " ".join([long[program], *rest])
            calls.append(call.model_copy(update=changes))
        template = long[log.workflow_template] if log.workflow_template else None
        renamed.append(
            TaskLogCreate.model_validate(
                log.model_dump()
                | {"workflow_template": template, "phase_name": long[log.phase_name]}
                | {"tool_calls": [c.model_dump() for c in calls]}
            )
        )
    return renamed


@pytest.fixture
def logs() -> list[TaskLogCreate]:
    return _renamed(known_logs(seed=5, runs=9))


@pytest.fixture
def stored(engine: Engine, logs: list[TaskLogCreate]) -> Engine:
    TaskLogRepository(engine).create_many(logs)
    return engine


def test_longest_names_are_stored_and_the_rollups_equal_a_rebuild(stored: Engine) -> None:
    assert differences(stored) == {}


def test_summary_names_the_tools_commands_templates_and_phases_as_sent(
    stored: Engine, logs: list[TaskLogCreate]
) -> None:
    summary = AnalyticsService(stored).summary(ALL, top_commands=100)
    expected = per_tool(logs)
    assert {tool: (s.count, s.failures, s.cancelled) for tool, s in summary.by_tool.items()} == {
        tool: (e["count"], e["failures"], e["cancelled"]) for tool, e in expected.items()
    }
    commands = {normalise_command(c.command) for log in logs for c in log.tool_calls if c.command}
    assert {c.command for c in summary.top_commands} == commands
    assert all(len(c.command.encode()) >= 4 * MAX_NAME for c in summary.top_commands)
    assert {g.name for g in summary.by_phase} == {log.phase_name for log in logs}
    templates = {g.name for g in summary.by_workflow_template}
    assert templates - {None, ""} == {log.workflow_template for log in logs if log.workflow_template}


def test_sequences_of_long_names_match_the_reference(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    for n in (2, 3):
        report = service.sequences(ALL, n=n, min_count=1, limit=1000)
        got = {tuple(s.tools): s.count for s in report.sequences}
        assert got == {tools: entry["count"] for tools, entry in ngrams(logs, n).items()}


def test_filters_by_a_long_name_select_it_and_not_its_near_twin(stored: Engine, logs: list[TaskLogCreate]) -> None:
    service = AnalyticsService(stored)
    options = service.filter_options()
    expected = per_tool(logs)
    assert set(options.tools) == set(expected)
    twins = [tool for tool in options.tools if tool != "Bash"]
    for tool in twins:
        summary = service.summary(Filters(days=3650, tool=tool))
        assert list(summary.by_tool) == [tool]
        assert summary.total_tool_calls == expected[tool]["count"]
    phase = options.phases[0]
    calls = sum(len(log.tool_calls) for log in logs if log.phase_name == phase)
    assert service.summary(Filters(days=3650, phase=phase)).total_tool_calls == calls
