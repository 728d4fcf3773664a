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

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, cast

from sqlalchemy import Connection, Row, Select, select

from tooltrack.store.schema import derived_state, task_logs


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
    project: str | None = None
    agent: str | None = None
    model: str | None = None
    """The log's main model (the first of its `models`)."""
    phase_status: str | None = None
    outcome: str | None = None
    title: str | None = None
    source: str | None = None
    cost_usd: float | None = None
    tokens_used: int | None = None
    completed_at: datetime | None = None

    @classmethod
    def of(cls, id_: int, created_at: datetime, row: Mapping[str, Any]) -> InsertedLog:
        """A stored row (`to_row`'s or `json_row`'s, times as datetimes or ISO text) as maintainers take it."""
        models = row.get("models")
        return cls(
            id=id_,
            adw_id=row["adw_id"],
            workflow_template=row.get("workflow_template"),
            phase_name=row["phase_name"],
            started_at=_time(row.get("started_at")),
            created_at=created_at,
            tool_calls=row.get("tool_calls") or [],
            project=row.get("project"),
            agent=row.get("agent"),
            model=models[0] if isinstance(models, list) and models else None,
            phase_status=row.get("phase_status"),
            outcome=row.get("outcome"),
            title=row.get("title"),
            source=row.get("source"),
            cost_usd=row.get("cost_usd"),
            tokens_used=row.get("tokens_used"),
            completed_at=_time(row.get("completed_at")),
        )

    @classmethod
    def from_row(cls, row: Row[Any]) -> InsertedLog:
        """A row of `select_logs()` as a maintainer takes it."""
        return cls.of(row.id, row.created_at, cast(Mapping[str, Any], row._mapping))


def _time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


#: The columns of `task_logs` a derived maintainer reads (never the texts a log carries for people).
_UPKEEP_COLUMNS: Final = (
    "id", "adw_id", "workflow_template", "phase_name", "phase_status", "outcome", "title", "source",
    "project", "agent", "models", "started_at", "completed_at", "created_at", "cost_usd", "tokens_used",
    "tool_calls",
)  # fmt: skip


def select_logs() -> Select[Any]:
    """The columns of `task_logs` that make an `InsertedLog`."""
    return select(*(task_logs.c[name] for name in _UPKEEP_COLUMNS))


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
    version: int = 1
    """The shape of the tables it keeps: when `derived_state` records another version for it (a
    migration reshaped them and left them empty), `Registry.rebuild_stale` rebuilds it."""

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
            self._rebuild(connection, maintainer)
        return self.names

    def rebuild_stale(self, connection: Connection) -> list[str]:
        """Rebuild each derived structure whose tables `derived_state` says were built for another
        version than its own (or never); returns the names rebuilt."""
        query = select(derived_state.c.name, derived_state.c.version)
        built = {name: version for name, version in connection.execute(query)}
        # A maintainer without a row (a database made from the metadata, or whose state was emptied)
        # is taken as current: only a migration that reshapes its tables marks it stale.
        stale = [m for m in self._maintainers.values() if built.get(m.name, m.version) != m.version]
        for maintainer in stale:
            self._rebuild(connection, maintainer)
        return [m.name for m in stale]

    @staticmethod
    def _rebuild(connection: Connection, maintainer: Maintainer) -> None:
        maintainer.rebuild(connection)
        connection.execute(derived_state.delete().where(derived_state.c.name == maintainer.name))
        connection.execute(derived_state.insert().values(name=maintainer.name, version=maintainer.version))
