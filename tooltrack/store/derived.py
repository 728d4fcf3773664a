"""Derived structures kept in step with `task_logs` (rollups and the like): the registry.

`task_logs.tool_calls` is the single source of truth. Anything derived from it is a `Maintainer`;
the store's write path calls every maintainer of its `Registry` inside the same transaction as
the insert, with only the rows that were really inserted (duplicates skipped), so a derived table
can never count a log twice or miss one that was committed. The maintainers the store keeps are
listed in one place, `tooltrack.store.upkeep.DERIVED`.

Two ways in, which a maintainer must treat alike: `after_insert` (the rows as inserted), and for
a maintainer that splits its work, `prepare_all` ahead of the insert (pure Python, possibly in a
child process of the bulk ingest) then `apply_prepared` in the insert's transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, select

from tooltrack.store.schema import task_logs


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

    @classmethod
    def from_row(cls, row: Row[Any]) -> InsertedLog:
        """A row of `select_logs()` as a maintainer takes it."""
        return cls(
            id=row.id,
            adw_id=row.adw_id,
            workflow_template=row.workflow_template,
            phase_name=row.phase_name,
            started_at=row.started_at,
            created_at=row.created_at,
            tool_calls=row.tool_calls or [],
        )


def select_logs() -> Select[Any]:
    """The columns of `task_logs` that make an `InsertedLog` (never the texts: only what upkeep reads)."""
    c = task_logs.c
    return select(c.id, c.adw_id, c.workflow_template, c.phase_name, c.started_at, c.created_at, c.tool_calls)


OnInsert = Callable[[Connection, Sequence[InsertedLog]], None]
Rebuild = Callable[[Connection], None]
Prepare = Callable[[Sequence[InsertedLog]], Any]
Apply = Callable[[Connection, Any, Sequence[int]], None]


@dataclass(frozen=True, slots=True)
class Maintainer:
    """One derived structure: `on_insert` for new rows, `rebuild` to recompute it from scratch.

    It may also split `on_insert` in two: `prepare`, pure Python work on logs not stored yet (it
    may run in another process, so its result must pickle), and `apply`, which writes that result
    in the insert's transaction once the ids are known. `apply(c, prepare(logs), ids)` must do
    exactly what `on_insert` does for the same logs with those ids.
    """

    name: str
    on_insert: OnInsert
    rebuild: Rebuild
    prepare: Prepare | None = None
    apply: Apply | None = None

    def __post_init__(self) -> None:
        if (self.prepare is None) != (self.apply is None):
            raise ValueError(f"derived structure {self.name!r}: give both prepare and apply, or neither")

    @property
    def splits(self) -> bool:
        return self.prepare is not None


class Registry:
    """The maintainers the store calls on every insert, in the order they were given."""

    def __init__(self, maintainers: Iterable[Maintainer] = ()) -> None:
        self._maintainers: dict[str, Maintainer] = {}
        for maintainer in maintainers:
            self.register(maintainer)

    @property
    def names(self) -> list[str]:
        return list(self._maintainers)

    def register(self, maintainer: Maintainer) -> None:
        """Add a maintainer, or replace the one of the same name (its split goes with it)."""
        self._maintainers[maintainer.name] = maintainer

    def after_insert(self, connection: Connection, inserted: Sequence[InsertedLog]) -> None:
        """Called by the store in the insert's own transaction."""
        if not inserted:
            return
        for maintainer in self._maintainers.values():
            maintainer.on_insert(connection, inserted)

    def prepare_all(self, logs: Sequence[InsertedLog]) -> dict[str, Any] | None:
        """Every maintainer's `prepare` for logs about to be stored; None when one has no `prepare`.

        The logs are not stored yet: each `id` is a placeholder, an index into the `ids` that
        `apply_prepared` will be given, and each log needs its `started_at`, as its `created_at` is
        not known yet (a log without one goes through `after_insert` once it is stored).
        """
        if not all(m.splits for m in self._maintainers.values()):
            return None
        if any(log.started_at is None for log in logs):
            raise ValueError("prepare_all takes only logs with a started_at")
        return {name: m.prepare(logs) for name, m in self._maintainers.items() if m.prepare is not None}

    def can_apply(self, prepared: dict[str, Any]) -> bool:
        """Whether `prepared` was made by this registry's maintainers (not, say, by a process that
        registered others): when it was not, the caller stores through `after_insert` instead."""
        return prepared.keys() == self._maintainers.keys() and all(m.splits for m in self._maintainers.values())

    def apply_prepared(self, connection: Connection, prepared: dict[str, Any], ids: Sequence[int]) -> None:
        """Write what `prepare_all` made, in the insert's transaction; `ids[p]` is the id of the log
        whose placeholder id was `p`. The second way in besides `after_insert`: a maintainer with a
        split must do the same in both."""
        if not self.can_apply(prepared):
            raise ValueError("prepared by other maintainers than this process registered: use after_insert")
        for name, result in prepared.items():
            apply = self._maintainers[name].apply
            assert apply is not None  # can_apply checked every maintainer splits
            apply(connection, result, ids)

    def rebuild_all(self, connection: Connection) -> list[str]:
        """Recompute every derived structure from `task_logs`; returns the names rebuilt."""
        for maintainer in self._maintainers.values():
            maintainer.rebuild(connection)
        return self.names
