"""What an agent did after each failing call, and how long it took to get going again.

For every failing call that matches the filters (the rows of `derived_failed_calls`, so the window
and filters mean what they mean on the Failures page), the calls that followed it in the same task
log and by the same agent (the session's own calls, or one sub-agent's: `parent_call_id`) decide:

- the *outcome*, from the agent's next call (calls issued in the same turn as the failure, its
  parallel siblings, and cancelled calls are not a reaction to it and are passed over):
  `retried` (the same tool with the same input, `input_key`), `changed_input` (the same tool with
  another input), `switched_tool` (another tool), `gave_up` (the agent made no further call);
- *recovery*: the first later call of the agent that succeeded with the failed tool, or with the
  tool it switched to. `calls_to_recovery` counts the agent's calls from the failure to that one
  (1: the very next call worked); `seconds_to_recovery` is the time from the failure's start to
  that call's start, when both have a timestamp.

Only the task logs that hold a matching failure are read (by primary key, in batches), so the
answer covers every matching failure, not a sample.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import orjson
from sqlalchemy import Connection, select

from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import where, window_of
from tooltrack.analytics.results import RecoveryGroup, RecoveryReport
from tooltrack.core import call_time, is_cancelled
from tooltrack.store import failed_calls, task_logs

#: The outcomes, in the order the answers list them.
OUTCOMES: Final = ("retried", "changed_input", "switched_tool", "gave_up")
#: The fields of a stored call that say what it was asked to do (the rest is what came back).
INPUT_FIELDS: Final = (
    "command",
    "file_path",
    "offset",
    "limit",
    "pattern",
    "url",
    "subagent_type",
    "replace_all",
    "old_string_length",
    "new_string_length",
    "parameters",
)
#: Task logs read per query (by primary key).
BATCH: Final = 500
#: Groups (error kind x tool) an answer lists at most, most failures first.
MAX_GROUPS: Final = 500


def input_key(call: dict[str, Any]) -> bytes:
    """What the call was asked to do, as comparable bytes: two calls with equal keys are the same call."""
    fields = {name: call[name] for name in INPUT_FIELDS if call.get(name) is not None}
    return orjson.dumps(fields, option=orjson.OPT_SORT_KEYS)


@dataclass(frozen=True, slots=True)
class Recovery:
    """What followed one failing call."""

    outcome: str
    recovered: bool
    calls_to_recovery: int | None
    seconds_to_recovery: float | None


def _moment(call: dict[str, Any]) -> datetime | None:
    if not call.get("timestamp"):
        return None
    sentinel = datetime.min
    moment = call_time(call, sentinel)
    return None if moment is sentinel else moment


def recovery_of(calls: Sequence[dict[str, Any]], index: int) -> Recovery:
    """What the agent did after `calls[index]` failed (see the module for the definitions)."""
    failed = calls[index]
    agent = failed.get("parent_call_id")
    turn = failed.get("turn_id")
    tool = failed.get("tool_name")
    later = (
        call
        for call in calls[index + 1 :]
        if call.get("parent_call_id") == agent
        and not is_cancelled(call)
        and not (turn is not None and call.get("turn_id") == turn)
    )
    outcome = "gave_up"
    wanted = {tool}
    for position, call in enumerate(later, start=1):
        if position == 1:
            if call.get("tool_name") != tool:
                outcome = "switched_tool"
                wanted.add(call.get("tool_name"))
            elif input_key(call) == input_key(failed):
                outcome = "retried"
            else:
                outcome = "changed_input"
        if call.get("tool_name") in wanted and call.get("success"):
            start, end = _moment(failed), _moment(call)
            seconds = (end - start).total_seconds() if start is not None and end is not None else None
            return Recovery(outcome, True, position, None if seconds is None else max(seconds, 0.0))
    return Recovery(outcome, False, None, None)


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


class _Tally:
    """The figures of one group while the failures are walked."""

    def __init__(self) -> None:
        self.failures = 0
        self.outcomes: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self.recovered_by: dict[str, int] = dict.fromkeys(OUTCOMES, 0)
        self.calls: list[int] = []
        self.seconds: list[float] = []

    def add(self, recovery: Recovery) -> None:
        self.failures += 1
        self.outcomes[recovery.outcome] += 1
        if recovery.recovered:
            self.recovered_by[recovery.outcome] += 1
            self.calls.append(recovery.calls_to_recovery or 0)
            if recovery.seconds_to_recovery is not None:
                self.seconds.append(recovery.seconds_to_recovery)

    def group(self, tool_name: str | None, error_kind: str | None) -> RecoveryGroup:
        recovered = len(self.calls)
        return RecoveryGroup(
            tool_name=tool_name,
            error_kind=error_kind,
            failures=self.failures,
            outcomes=self.outcomes,
            recovered_by_outcome=self.recovered_by,
            recovered=recovered,
            recovery_rate=recovered / self.failures if self.failures else None,
            median_calls_to_recovery=statistics.median(self.calls) if self.calls else None,
            mean_calls_to_recovery=statistics.fmean(self.calls) if self.calls else None,
            timed_recoveries=len(self.seconds),
            median_seconds_to_recovery=statistics.median(self.seconds) if self.seconds else None,
            mean_seconds_to_recovery=statistics.fmean(self.seconds) if self.seconds else None,
        )


def report(connection: Connection, filters: Filters) -> RecoveryReport:
    """Outcomes and recovery of every failure that matches `filters`, per error kind and tool."""
    failed = failed_calls
    rows = connection.execute(
        select(failed.c.task_log_id, failed.c.call_index, failed.c.tool_name, failed.c.error_kind)
        .where(*where(failed, filters))
        .order_by(failed.c.task_log_id, failed.c.call_index)
    ).all()
    by_log: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for row in rows:
        by_log[int(row.task_log_id)].append((int(row.call_index), row.tool_name, row.error_kind))
    overall = _Tally()
    groups: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    for ids in _batches(sorted(by_log)):
        query = select(task_logs.c.id, task_logs.c.tool_calls).where(task_logs.c.id.in_(ids))
        for log_id, calls in connection.execute(query):
            calls = calls or []
            for index, tool_name, error_kind in by_log[int(log_id)]:
                if index >= len(calls):  # pragma: no cover - the rollups are built from these very calls
                    continue
                recovery = recovery_of(calls, index)
                overall.add(recovery)
                groups[(error_kind, tool_name)].add(recovery)
    ordered = sorted(groups.items(), key=lambda item: (-item[1].failures, item[0]))
    return RecoveryReport(
        window=window_of(connection, filters),
        overall=overall.group(None, None),
        groups=[tally.group(tool, kind) for (kind, tool), tally in ordered[:MAX_GROUPS]],
        total_groups=len(groups),
    )
