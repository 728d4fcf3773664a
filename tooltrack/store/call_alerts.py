"""The per-call alert rules, evaluated as calls are stored: a derived maintainer (`MAINTAINER`).

Loops and sensitive paths are found in each new task log alone (`tooltrack.core.alert_rules`);
a new error kind needs to know every kind stored before, which `derived_error_kinds` answers by
key. Findings go to `derived_alerts`, keyed by `alert_key`, inserted with ON CONFLICT (the row of
the lowest log id wins), so a finding made twice (two writers, a rebuild, `tooltrack alerts scan`)
is one row, the one a rebuild makes.
Nothing here touches the network: the webhook reads `derived_alerts` afterwards
(`tooltrack.analytics.alert_delivery`), so a slow or failing webhook never slows an insert.

New error kinds, log by log in id order (the same on insert and on rebuild, so the two agree):
the history starts at the earliest activity time of the logs seen so far; a failing call whose
error kind was never seen is new, and fires when it happened at least `warmup_days` after the
history started. `derived_error_kinds` keeps the start as a row of its own (`HISTORY_ROW`).

The baseline rules (failure-rate spike, latency regression) need whole days and are written by
`tooltrack alerts scan`; a rebuild keeps their rows (they are the rollups' to recompute, by a scan).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, case, select

from tooltrack.core import (
    LOOP,
    NEW_ERROR_KIND,
    PER_CALL_RULES,
    SENSITIVE_PATH,
    SEVERITY,
    AlertSettings,
    activity_time,
    alert_key,
    call_anchor,
    call_time,
    current_alert_settings,
    error_kind,
    find_loops,
    is_failed,
    sensitive_paths,
)
from tooltrack.store import derived
from tooltrack.store.dialects import dialect_of
from tooltrack.store.schema import alerts, error_kinds_seen, task_logs

_log = logging.getLogger(__name__)


def _settings() -> AlertSettings:
    """The rules in force; the defaults when the rules file or a variable is wrong: a mistake
    there must never cost the calls being stored (the CLI says what is wrong, `tooltrack alerts`)."""
    try:
        return current_alert_settings()
    except ValueError as exc:
        _log.warning("alert rules: using the defaults: %s", exc)
        return AlertSettings()


#: The `kind_hash` of the row of `derived_error_kinds` whose `first_at` is when the history starts.
HISTORY_ROW: Final = ""
MAX_SUMMARY: Final = 300
MAX_DETAIL: Final = 500
REBUILD_BATCH: Final = 2_000


def _short(text: Any, limit: int = MAX_DETAIL) -> str | None:
    if text is None:
        return None
    text = str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass(slots=True)
class _Failure:
    ref: int
    index: int
    at: datetime
    kind: str
    tool: str
    message: str | None


@dataclass(slots=True)
class Prepared:
    """What `prepare` found in logs not stored yet (ids are placeholders until `apply`)."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    """Loop and sensitive-path alerts, `task_log_id` a placeholder, `alert_key` still to make."""
    logs: list[tuple[int, datetime, dict[str, Any]]] = field(default_factory=list)
    """Each log's placeholder id, activity time and the attributes an alert names, in order."""
    failures: list[_Failure] = field(default_factory=list)


def _base(log: derived.InsertedLog, moment: datetime, call: dict[str, Any], index: int, rule: str) -> dict[str, Any]:
    at = call_time(call, moment)
    return {
        "rule": rule,
        "severity": SEVERITY[rule],
        "occurred_at": at,
        "day": at.date(),
        "adw_id": log.adw_id,
        "task_log_id": log.id,
        "call_index": index,
        "tool_name": str(call.get("tool_name") or ""),
        "workflow_template": log.workflow_template or "",
        "project": log.project or "",
    }


def prepare(logs: Sequence[derived.InsertedLog], settings: AlertSettings | None = None) -> Prepared:
    """Loops, sensitive paths and failing calls of `logs` (pure Python: may run in another process)."""
    settings = settings or _settings()
    out = Prepared()
    for log in logs:
        moment = activity_time(log.started_at, log.created_at)
        facts = {
            "adw_id": log.adw_id,
            "phase_name": log.phase_name,
            "workflow_template": log.workflow_template or "",
            "project": log.project or "",
        }
        out.logs.append((log.id, moment, facts))
        calls = log.tool_calls
        for loop in find_loops(calls, settings.loop):
            first, last = calls[loop.start], calls[loop.end]
            what = "failing" if loop.failing else "with the same result"
            target = f": {_short(loop.target, 120)}" if loop.target else ""
            out.rows.append(
                _base(log, moment, last, loop.start, LOOP)
                | {
                    "subject": log.adw_id,
                    "summary": _short(
                        f"{loop.tool_name} {loop.repeats} times in a row {what} in {log.adw_id}{target}", MAX_SUMMARY
                    ),
                    "details": {
                        "repeats": loop.repeats,
                        "failing": loop.failing,
                        "target": _short(loop.target),
                        "first_call": loop.start,
                        "last_call": loop.end,
                        "phase_name": log.phase_name,
                        "error_message": _short(first.get("error_message")) if loop.failing else None,
                    },
                    "_call_id": first.get("call_id"),
                    "_suffix": "",
                }
            )
        for index, call in enumerate(calls):
            for path in sensitive_paths(call, settings.sensitive_path):
                tool = str(call.get("tool_name"))
                out.rows.append(
                    _base(log, moment, call, index, SENSITIVE_PATH)
                    | {
                        "subject": path,
                        "summary": _short(f"{tool} touched {path} in {log.adw_id}", MAX_SUMMARY),
                        "details": {
                            "path": _short(path),
                            "command": _short(call.get("command")),
                            "phase_name": log.phase_name,
                        },
                        "_call_id": call.get("call_id"),
                        "_suffix": path,
                    }
                )
            new_kind = settings.new_error_kind
            if new_kind.enabled and is_failed(call) and call.get("outcome") not in new_kind.ignore_outcomes:
                message = call.get("error_message")
                at, tool = call_time(call, moment), str(call.get("tool_name"))
                out.failures.append(_Failure(log.id, index, at, error_kind(message), tool, message))
    return out


class _Kinds:
    """The error kinds seen and the history's start, as the new-kind rule walks the logs in order."""

    def __init__(self, start: datetime | None, seen: set[str]) -> None:
        self.start = start
        self.stored_start = start
        self.seen = seen
        self.new_rows: list[dict[str, Any]] = []

    def walk(self, prepared: Prepared, ids: Sequence[int], settings: AlertSettings) -> list[dict[str, Any]]:
        """Walk the prepared logs in order; the new-kind alerts found."""
        found: list[dict[str, Any]] = []
        failures: dict[int, list[_Failure]] = {}
        for failure in prepared.failures:
            failures.setdefault(failure.ref, []).append(failure)
        warmup = settings.new_error_kind.warmup_days
        for ref, moment, log in prepared.logs:
            if self.start is None or moment < self.start:
                self.start = moment
            for failure in failures.get(ref, ()):
                if failure.kind in self.seen:
                    continue
                self.seen.add(failure.kind)
                log_id = ids[ref]
                self.new_rows.append(
                    {
                        "kind_hash": alert_key(NEW_ERROR_KIND, failure.kind),
                        "kind": failure.kind,
                        "first_at": failure.at,
                        "adw_id": log["adw_id"],
                        "task_log_id": log_id,
                        "call_index": failure.index,
                        "tool_name": failure.tool,
                    }
                )
                if (failure.at.date() - self.start.date()).days < warmup:
                    continue
                found.append(
                    {
                        "alert_key": alert_key(NEW_ERROR_KIND, failure.kind),
                        "rule": NEW_ERROR_KIND,
                        "severity": SEVERITY[NEW_ERROR_KIND],
                        "subject": failure.kind,
                        "summary": _short(f"New error kind from {failure.tool}: {failure.kind}", MAX_SUMMARY),
                        "details": {
                            "kind": failure.kind,
                            "error_message": _short(failure.message),
                            "history_start": self.start.isoformat(),
                            "phase_name": log["phase_name"],
                        },
                        "occurred_at": failure.at,
                        "day": failure.at.date(),
                        "adw_id": log["adw_id"],
                        "task_log_id": log_id,
                        "call_index": failure.index,
                        "tool_name": failure.tool,
                        "workflow_template": log["workflow_template"],
                        "project": log["project"],
                    }
                )
        return found


def _keyed(prepared: Prepared, ids: Sequence[int]) -> list[dict[str, Any]]:
    rows = []
    for row in prepared.rows:
        row = dict(row)
        log_id = ids[row["task_log_id"]]
        anchor = call_anchor({"call_id": row.pop("_call_id")}, log_id, row["call_index"])
        row["task_log_id"] = log_id
        row["alert_key"] = alert_key(row["rule"], row["subject"], anchor, row.pop("_suffix"))
        rows.append(row)
    return rows


def _insert_alerts(connection: Connection, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    dialect = dialect_of(connection)
    unique = {row["alert_key"]: row for row in rows}
    ordered = [unique[key] for key in sorted(unique)]
    statement, parameters = dialect.bulk_insert(alerts, ordered)
    # Two writers finding one new error kind at once: the log stored first (lowest id) keeps it,
    # as a rebuild (in id order) would say. Other findings' keys name their call: the same content.
    excluded = statement.excluded
    statement = statement.on_conflict_do_update(
        index_elements=["alert_key"],
        set_={name: excluded[name] for name in ordered[0] if name != "alert_key"},
        where=excluded.task_log_id < alerts.c.task_log_id,
    )
    connection.execute(statement, parameters)


def _write_kinds(connection: Connection, kinds: _Kinds) -> None:
    dialect = dialect_of(connection)
    # Written only when it moves: every insert rewriting one row would make concurrent writers
    # wait for each other's commit on its lock.
    if kinds.start is not None and kinds.start != kinds.stored_start:
        history = {
            "kind_hash": HISTORY_ROW, "kind": "(history start)", "first_at": kinds.start,
            "adw_id": "", "task_log_id": 0, "call_index": 0, "tool_name": "",
        }  # fmt: skip
        statement, parameters = dialect.bulk_insert(error_kinds_seen, [history])
        current, new = error_kinds_seen.c.first_at, statement.excluded.first_at
        statement = statement.on_conflict_do_update(
            index_elements=["kind_hash"], set_={"first_at": case((new < current, new), else_=current)}
        )
        connection.execute(statement, parameters)
        kinds.stored_start = kinds.start
    if kinds.new_rows:
        rows = sorted(kinds.new_rows, key=lambda row: row["kind_hash"])
        statement, parameters = dialect.bulk_insert(error_kinds_seen, rows)
        # Seen first by two writers at once: the first occurrence is the lowest log id's, as on rebuild.
        excluded = statement.excluded
        statement = statement.on_conflict_do_update(
            index_elements=["kind_hash"],
            set_={name: excluded[name] for name in rows[0] if name != "kind_hash"},
            where=excluded.task_log_id < error_kinds_seen.c.task_log_id,
        )
        connection.execute(statement, parameters)
    kinds.new_rows = []


def _seen(connection: Connection, kinds: set[str]) -> tuple[datetime | None, set[str]]:
    """The history's start and which of `kinds` are stored already."""
    hashes = {alert_key(NEW_ERROR_KIND, kind): kind for kind in kinds}
    wanted = [HISTORY_ROW, *sorted(hashes)]
    start: datetime | None = None
    seen: set[str] = set()
    k = error_kinds_seen.c
    for at in range(0, len(wanted), 500):
        query = select(k.kind_hash, k.first_at).where(k.kind_hash.in_(wanted[at : at + 500]))
        for kind_hash, first_at in connection.execute(query):
            if kind_hash == HISTORY_ROW:
                start = first_at
            else:
                seen.add(hashes[kind_hash])
    return start, seen


def apply(
    connection: Connection, prepared: Prepared, ids: Sequence[int], settings: AlertSettings | None = None
) -> None:
    """Write what `prepare` found, in the insert's transaction; `ids[p]` is the id of placeholder `p`."""
    settings = settings or _settings()
    rows = _keyed(prepared, ids)
    if prepared.logs:
        kinds = _Kinds(*_seen(connection, {f.kind for f in prepared.failures}))
        rows += kinds.walk(prepared, ids, settings)
        _write_kinds(connection, kinds)
    _insert_alerts(connection, rows)


class _Identity:
    """`ids` for logs whose ids are real already (on_insert): `ids[i]` is `i`."""

    def __getitem__(self, index: int) -> int:
        return index

    def __len__(self) -> int:  # pragma: no cover - Sequence's shape only
        return 0


def on_insert(connection: Connection, inserted: Sequence[derived.InsertedLog]) -> None:
    """Find the per-call alerts of newly stored task logs (called in the insert's transaction)."""
    settings = _settings()
    apply(connection, prepare(inserted, settings), _Identity(), settings)  # type: ignore[arg-type]


def rebuild(connection: Connection) -> None:
    """Forget the per-call alerts and the kinds seen, and find them again in every task log, in id order."""
    settings = _settings()
    connection.execute(alerts.delete().where(alerts.c.rule.in_(PER_CALL_RULES)))
    connection.execute(error_kinds_seen.delete())
    kinds = _Kinds(None, set())
    query = derived.select_logs().order_by(task_logs.c.id)
    last_id = 0
    while True:
        rows = connection.execute(query.where(task_logs.c.id > last_id).limit(REBUILD_BATCH)).all()
        if not rows:
            break
        prepared = prepare([derived.InsertedLog.from_row(row) for row in rows], settings)
        ids = _Identity()
        found = _keyed(prepared, ids) + kinds.walk(prepared, ids, settings)  # type: ignore[arg-type]
        _insert_alerts(connection, found)
        last_id = rows[-1].id
    _write_kinds(connection, kinds)


MAINTAINER: Final = derived.Maintainer("alerts", on_insert=on_insert, rebuild=rebuild, prepare=prepare, apply=apply)
