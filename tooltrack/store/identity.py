"""Call identity: a tool call is one call wherever it appears, enforced by the database.

A call's `call_id` is the source's own, globally unique id for it (Claude Code's `tool_use` id,
the id the hook or an ingest gives a call its source did not name). Every stored call that has
one holds a row in `tool_call_ids` (primary key `call_id`, and the `log_key` of the task log that
stored it), written in the same transaction as the task log. So the same call reaching the
database again, through any way in (the API, the hook, any ingest, a resumed Claude Code session
that repeats earlier messages under a new session id, two ingests of one folder at once), is not
stored again.

How one write goes (`plan_rows`, then the caller inserts the planned rows):

1. the first row of each log key counts; keys already stored are looked up (one indexed query):
   a row whose key is stored is a duplicate, as it always was, calls and all;
2. every call with a call_id of the other rows is claimed: `INSERT INTO tool_call_ids ... ON
   CONFLICT DO NOTHING RETURNING call_id`, one statement, in call-id order. A concurrent
   transaction that claims the same id waits on the primary key until the first commits, then
   finds it taken: the first transaction that stored a call owns it; sorted claims take their
   locks in one order, so two writers cannot deadlock on them;
3. each row keeps its calls without an id and the calls it claimed (a call id that occurs in two
   rows of one write goes to the first of them);
4. a row that had calls, kept none and has no figures of its own (`OWN_FIGURES`: a run's cost or
   tokens, which no other log holds) is a repeat and is not stored (its result names the log that
   owns its first call); the others are inserted with the calls they kept. When another
   writer stores the same key in between (the row's INSERT finds it), the claims the row made are
   given back (`release_lost`): the row was a duplicate after all, and its calls are free for
   whichever log holds them next.

Calls stored before migration 0006 keep the rows they were stored in; 0006 gives each call id
seen then to the first task log (by id) that holds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sqlalchemy import Connection, delete, select

from tooltrack.store.dialects import dialect_of
from tooltrack.store.schema import task_logs, tool_call_ids

#: Fields that make a log worth storing even when every one of its calls was stored before: the
#: summary of a Claude Code run (its `result` line) read again from another file of the session.
OWN_FIGURES: Final = ("cost_usd", "tokens_used")


@dataclass(slots=True)
class Planned:
    """What becomes of one distinct log key of a write."""

    key: str
    """The key the caller sent (the first row with it)."""
    row: dict[str, Any] | None
    """The row to insert (its calls filtered), None when nothing of it is new."""
    calls_in: int
    """Calls the row held as sent."""
    repeated: int = 0
    """Calls not stored because they were stored before (or earlier in this write)."""
    owner_key: str | None = None
    """For a repeat (a new key whose every call was stored before): the key of the log that owns
    its first call."""


@dataclass(slots=True)
class Plan:
    """A write's rows after call identity: what to insert, and what each key came to."""

    planned: dict[str, Planned] = field(default_factory=dict)
    existing: dict[str, int] = field(default_factory=dict)
    """Keys already stored -> their ids."""

    @property
    def rows(self) -> list[dict[str, Any]]:
        """The rows to insert, distinct keys, none stored yet."""
        return [p.row for p in self.planned.values() if p.row is not None]


def release_lost(connection: Connection, plan: Plan, created: dict[str, int]) -> None:
    """Give back the claims of planned rows whose key a concurrent writer stored between
    `plan_rows` and the insert (they were duplicates after all): no claim may name a log that
    does not hold its call. Does nothing in the usual case."""
    lost = [
        call["call_id"]
        for planned in plan.planned.values()
        if planned.row is not None and planned.row["log_key"] not in created
        for call in planned.row.get("tool_calls") or ()
        if call.get("call_id")
    ]
    if lost:
        planned_keys = [p.key for p in plan.planned.values() if p.row is not None and p.key not in created]
        connection.execute(
            delete(tool_call_ids).where(tool_call_ids.c.call_id.in_(lost), tool_call_ids.c.log_key.in_(planned_keys))
        )


def has_call_ids(row: dict[str, Any]) -> bool:
    return any(call.get("call_id") for call in row.get("tool_calls") or ())


def plan_rows(connection: Connection, rows: Sequence[dict[str, Any]]) -> Plan:
    """Claim the calls of `rows` (keyed, redacted) and decide what to insert (see the module)."""
    firsts: dict[str, dict[str, Any]] = {}
    for row in rows:
        firsts.setdefault(row["log_key"], row)
    plan = Plan(existing=ids_for_keys(connection, list(firsts)))
    wanted: dict[str, str] = {}  # call id -> key of the first row that has it
    for key, row in firsts.items():
        if key not in plan.existing:
            for call in row.get("tool_calls") or ():
                if call.get("call_id"):
                    wanted.setdefault(call["call_id"], key)
    claimed = claim(connection, wanted) if wanted else set()
    for key, row in firsts.items():
        calls = row.get("tool_calls") or []
        if key in plan.existing:
            plan.planned[key] = Planned(key=key, row=None, calls_in=len(calls), repeated=len(calls))
            continue
        # A call with an id is new when this write claimed it for this row; one without an id
        # belongs to its row by the row's (new) key.
        kept = [c for c in calls if not c.get("call_id") or (c["call_id"] in claimed and wanted[c["call_id"]] == key)]
        planned = Planned(key=key, row=None, calls_in=len(calls), repeated=len(calls) - len(kept))
        if kept or not calls or any(row.get(name) is not None for name in OWN_FIGURES):
            planned.row = row if len(kept) == len(calls) else row | {"tool_calls": kept}
        plan.planned[key] = planned
    repeats = [p for p in plan.planned.values() if p.row is None and p.key not in plan.existing]
    if repeats:
        _find_owners(connection, repeats, firsts)
    return plan


def claim(connection: Connection, owners: dict[str, str]) -> set[str]:
    """Claim each call id of `owners` (call id -> owning log key) not claimed yet; the ids claimed.

    One statement, rows in call-id order (see the module on lock order).
    """
    dialect = dialect_of(connection)
    rows = [{"call_id": call_id, "log_key": owners[call_id]} for call_id in sorted(owners)]
    statement, parameters = dialect.bulk_insert(tool_call_ids, rows)
    statement = statement.on_conflict_do_nothing(index_elements=["call_id"]).returning(tool_call_ids.c.call_id)
    return set(connection.execute(statement, parameters).scalars())


def _find_owners(connection: Connection, repeats: list[Planned], firsts: dict[str, dict[str, Any]]) -> None:
    """Fill in `owner_key` of each repeat: the log that stored its first call."""
    first_ids = {p.key: next(c["call_id"] for c in firsts[p.key]["tool_calls"] if c.get("call_id")) for p in repeats}
    query = select(tool_call_ids.c.call_id, tool_call_ids.c.log_key).where(
        tool_call_ids.c.call_id.in_(sorted(set(first_ids.values())))
    )
    owner_of: dict[str, str] = {call_id: key for call_id, key in connection.execute(query)}
    for planned in repeats:
        planned.owner_key = owner_of.get(first_ids[planned.key])


def ids_for_keys(connection: Connection, keys: Sequence[str]) -> dict[str, int]:
    """Log key -> id, for the keys of `keys` already stored (through the unique index)."""
    found: dict[str, int] = {}
    step = dialect_of(connection).max_bind_params
    for start in range(0, len(keys), step):
        query = select(task_logs.c.log_key, task_logs.c.id).where(task_logs.c.log_key.in_(keys[start : start + step]))
        found.update({key: id_ for key, id_ in connection.execute(query)})
    return found
