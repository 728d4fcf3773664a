"""Derived structures kept in step with `task_logs` (rollups and the like).

`task_logs.tool_calls` is the single source of truth. Anything derived from it registers a
maintainer here; the store's write path calls every maintainer inside the same transaction as the
insert, with only the rows that were really inserted (duplicates skipped), so a derived table can
never count a log twice or miss one that was committed.

Two ways in, which a maintainer must treat alike: `after_insert` (the rows as inserted), and for
a maintainer that splits its work, `prepare_all` ahead of the insert (pure Python, possibly in a
child process of the bulk ingest) then `apply_prepared` in the insert's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection


@dataclass(frozen=True, slots=True)
class InsertedLog:
    """What a maintainer needs of one newly stored task log."""

    id: int
    adw_id: str
    workflow_template: str | None
    phase_name: str
    started_at: datetime | None
    created_at: datetime
    tool_calls: list[dict[str, Any]]


Maintainer = Callable[[Connection, Sequence[InsertedLog]], None]
Rebuilder = Callable[[Connection], None]
Preparer = Callable[[Sequence[InsertedLog]], Any]
Applier = Callable[[Connection, Any, Sequence[int]], None]

_maintainers: dict[str, tuple[Maintainer, Rebuilder]] = {}
_split: dict[str, tuple[Preparer, Applier]] = {}


def register(
    name: str,
    *,
    on_insert: Maintainer,
    rebuild: Rebuilder,
    prepare: Preparer | None = None,
    apply: Applier | None = None,
) -> None:
    """Add a derived structure: `on_insert` for new rows, `rebuild` to recompute from scratch.

    A maintainer may also split `on_insert` in two: `prepare`, pure Python work on logs not stored
    yet (it may run in another process, so its result must pickle), and `apply`, which writes that
    result in the insert's transaction once the ids are known. `apply(c, prepare(logs), ids)` must
    do exactly what `on_insert` does for the same logs with those ids.
    """
    if (prepare is None) != (apply is None):
        raise ValueError(f"derived structure {name!r}: give both prepare and apply, or neither")
    _maintainers[name] = (on_insert, rebuild)
    _split.pop(name, None)  # registered again without a split: never the old one
    if prepare is not None and apply is not None:
        _split[name] = (prepare, apply)


def after_insert(connection: Connection, inserted: Sequence[InsertedLog]) -> None:
    """Called by the store in the insert's own transaction."""
    if not inserted:
        return
    for on_insert, _ in _maintainers.values():
        on_insert(connection, inserted)


def prepare_all(logs: Sequence[InsertedLog]) -> dict[str, Any] | None:
    """Every maintainer's `prepare` for logs about to be stored; None when one has no `prepare`.

    The logs are not stored yet: each `id` is a placeholder, an index into the `ids` that
    `apply_prepared` will be given, and each log needs its `started_at`, as its `created_at` is
    not known yet (a log without one goes through `after_insert` once it is stored).
    """
    if _split.keys() != _maintainers.keys():
        return None
    if any(log.started_at is None for log in logs):
        raise ValueError("prepare_all takes only logs with a started_at")
    return {name: prepare(logs) for name, (prepare, _) in _split.items()}


def can_apply(prepared: dict[str, Any]) -> bool:
    """Whether `prepared` was made by this process's maintainers (not, say, by a process that
    registered others): when it was not, the caller stores through `after_insert` instead."""
    return prepared.keys() == _maintainers.keys() == _split.keys()


def apply_prepared(connection: Connection, prepared: dict[str, Any], ids: Sequence[int]) -> None:
    """Write what `prepare_all` made, in the insert's transaction; `ids[p]` is the id of the log
    whose placeholder id was `p`. The second way in besides `after_insert`: a maintainer with a
    split must do the same in both."""
    if not can_apply(prepared):
        raise ValueError("prepared by other maintainers than this process registered: use after_insert")
    for name, result in prepared.items():
        _split[name][1](connection, result, ids)


def rebuild_all(connection: Connection) -> list[str]:
    """Recompute every derived structure from `task_logs`; returns the names rebuilt."""
    for _, rebuild in _maintainers.values():
        rebuild(connection)
    return list(_maintainers)
