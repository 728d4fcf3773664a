"""Runs: one row per workflow run (`adw_id`), kept beside the task logs for the Runs page.

A run is every task log of one `adw_id`: an ADW workflow's phases, or a Claude Code session's
parts (a resumed session continues its run where the ingest gives it the same adw_id). Its row
(`derived_runs`) holds what a list of runs sorts and filters by, so that 100,000 runs page at
once: its time span, its attributes, its outcome and its counts. The rollups' maintainer keeps it
(`tooltrack.store.rollups` adds each log's part in the same pass that counts its calls, and writes
it in the insert's own transaction), and rebuilds it from `task_logs` with them.

- Times: the earliest start and the latest end (or start) of its logs' activity times.
- Attributes (template, project, agent, model, title, source): those of its earliest log that has
  each (a log stored later but dated earlier takes over).
- Outcome: "failed" when any of its logs failed (phase status "failed" or outcome "failed"), else
  the latest log's: "interrupted" (outcome interrupted, or phase status "incomplete"/"interrupted")
  or "completed".
- Counts add up: logs, failed logs, calls, failed calls, redundant calls, the logs' own cost
  (`task_logs.cost_usd`, pico-dollars) and tokens.

Concurrent writers add to the same row with `INSERT ... ON CONFLICT DO UPDATE`, each batch's runs
in adw_id order, so they never lose a count or deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, case

from tooltrack.store import derived
from tooltrack.store.dialects import dialect_of
from tooltrack.store.schema import runs

FAILED: Final = "failed"
INTERRUPTED: Final = "interrupted"
COMPLETED: Final = "completed"
OUTCOMES: Final = (COMPLETED, FAILED, INTERRUPTED)
_INTERRUPTED_STATUSES: Final = frozenset({"incomplete", "interrupted", "cancelled"})
_PICO: Final = 10**12


def log_outcome(log: derived.InsertedLog) -> str:
    """The outcome of one task log: its own `outcome` when the source said, else its phase status."""
    if log.outcome in OUTCOMES:
        return log.outcome
    status = (log.phase_status or "").lower()
    if status == FAILED:
        return FAILED
    if status in _INTERRUPTED_STATUSES:
        return INTERRUPTED
    return COMPLETED


@dataclass(slots=True)
class _Run:
    """One run's part of a batch, merged log by log."""

    adw_id: str
    first_at: datetime
    last_at: datetime
    attributes: dict[str, str | None]
    attributes_at: dict[str, datetime]
    latest_outcome: str
    task_logs: int = 0
    failed_logs: int = 0
    calls: int = 0
    failed_calls: int = 0
    redundant_calls: int = 0
    cost_pico: int = 0
    cost_logs: int = 0
    tokens: int = 0

    def row(self) -> dict[str, Any]:
        values: dict[str, str | None] = {name: (value or "") for name, value in self.attributes.items()}
        values["title"] = self.attributes.get("title") or None
        values["source"] = self.attributes.get("source") or None
        return values | {
            "adw_id": self.adw_id,
            "first_at": self.first_at,
            "last_at": self.last_at,
            "first_day": self.first_at.date(),
            "last_day": self.last_at.date(),
            "outcome": FAILED if self.failed_logs else self.latest_outcome,
            "latest_outcome": self.latest_outcome,
            "task_logs": self.task_logs,
            "failed_logs": self.failed_logs,
            "calls": self.calls,
            "failed_calls": self.failed_calls,
            "redundant_calls": self.redundant_calls,
            "cost_pico": self.cost_pico,
            "cost_logs": self.cost_logs,
            "tokens": self.tokens,
        }


#: The run attributes taken from its earliest log that has them.
ATTRIBUTES: Final = ("workflow_template", "project", "agent", "model", "title", "source")


def _of(log: derived.InsertedLog, start: datetime, failed: int, redundant: int) -> _Run:
    end = max(start, log.completed_at) if log.completed_at is not None else start
    outcome = log_outcome(log)
    attributes = {name: getattr(log, name) for name in ATTRIBUTES}
    return _Run(
        adw_id=log.adw_id,
        first_at=start,
        last_at=end,
        attributes=attributes,
        attributes_at={name: start for name, value in attributes.items() if value},
        latest_outcome=outcome,
        task_logs=1,
        failed_logs=1 if outcome == FAILED else 0,
        calls=len(log.tool_calls),
        failed_calls=failed,
        redundant_calls=redundant,
        cost_pico=round(log.cost_usd * _PICO) if log.cost_usd else 0,
        cost_logs=1 if log.cost_usd is not None else 0,
        tokens=log.tokens_used or 0,
    )


def _merge(run: _Run, other: _Run) -> None:
    for name, value in other.attributes.items():
        when = other.attributes_at.get(name)
        if value and (name not in run.attributes_at or (when is not None and when < run.attributes_at[name])):
            run.attributes[name] = value
            run.attributes_at[name] = when or other.first_at
    if other.last_at >= run.last_at:
        run.latest_outcome = other.latest_outcome
    run.first_at = min(run.first_at, other.first_at)
    run.last_at = max(run.last_at, other.last_at)
    for counter in (
        "task_logs",
        "failed_logs",
        "calls",
        "failed_calls",
        "redundant_calls",
        "cost_pico",
        "cost_logs",
        "tokens",
    ):
        setattr(run, counter, getattr(run, counter) + getattr(other, counter))


class RunParts:
    """The runs of a batch of task logs, merged by adw_id (pure Python: may run in another process)."""

    def __init__(self) -> None:
        self.merged: dict[str, _Run] = {}

    def add(self, log: derived.InsertedLog, start: datetime, *, failed: int, redundant: int) -> None:
        """Add one log whose activity starts at `start`, with `failed` and `redundant` calls."""
        part = _of(log, start, failed, redundant)
        found = self.merged.get(log.adw_id)
        if found is None:
            self.merged[log.adw_id] = part
        else:
            _merge(found, part)

    def write(self, connection: Connection) -> None:
        """Add the runs to `derived_runs` (in adw_id order, see the module), then forget them."""
        write(connection, self.merged)
        self.merged = {}


_COUNTERS: Final = (
    "task_logs",
    "failed_logs",
    "calls",
    "failed_calls",
    "redundant_calls",
    "cost_pico",
    "cost_logs",
    "tokens",
)


def write(connection: Connection, merged: dict[str, _Run]) -> None:
    """Add a batch's runs to `derived_runs` (in adw_id order, see the module)."""
    if not merged:
        return
    dialect = dialect_of(connection)
    rows = [merged[adw_id].row() for adw_id in sorted(merged)]
    statement, parameters = dialect.bulk_insert(runs, rows)
    new = statement.excluded
    c = runs.c
    earlier = new.first_at < c.first_at
    later = new.last_at >= c.last_at
    updates: dict[str, Any] = {name: c[name] + new[name] for name in _COUNTERS}
    updates["first_at"] = case((earlier, new.first_at), else_=c.first_at)
    updates["first_day"] = case((earlier, new.first_day), else_=c.first_day)
    updates["last_at"] = case((later, new.last_at), else_=c.last_at)
    updates["last_day"] = case((later, new.last_day), else_=c.last_day)
    updates["latest_outcome"] = case((later, new.latest_outcome), else_=c.latest_outcome)
    updates["outcome"] = case(
        ((c.failed_logs + new.failed_logs) > 0, FAILED), (later, new.latest_outcome), else_=c.outcome
    )
    for name in ATTRIBUTES:
        blank = "" if name not in ("title", "source") else None
        # An attribute the run lacks, or one from a log dated earlier than its first, is taken.
        missing = c[name].is_(None) if blank is None else c[name] == ""
        present = new[name].is_not(None) if blank is None else new[name] != ""
        updates[name] = case(((missing | earlier) & present, new[name]), else_=c[name])
    connection.execute(statement.on_conflict_do_update(index_elements=[c.adw_id], set_=updates), parameters)
