"""Derived structures kept in step with `task_logs` (rollups and the like).

`task_logs.tool_calls` is the single source of truth. Anything derived from it registers a
maintainer here; the store's write path calls every maintainer inside the same transaction as the
insert, with only the rows that were really inserted (duplicates skipped), so a derived table can
never count a log twice or miss one that was committed.
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

_maintainers: dict[str, tuple[Maintainer, Rebuilder]] = {}


def register(name: str, *, on_insert: Maintainer, rebuild: Rebuilder) -> None:
    """Add a derived structure: `on_insert` for new rows, `rebuild` to recompute from scratch."""
    _maintainers[name] = (on_insert, rebuild)


def after_insert(connection: Connection, inserted: Sequence[InsertedLog]) -> None:
    """Called by the store in the insert's own transaction."""
    if not inserted:
        return
    for on_insert, _ in _maintainers.values():
        on_insert(connection, inserted)


def rebuild_all(connection: Connection) -> list[str]:
    """Recompute every derived structure from `task_logs`; returns the names rebuilt."""
    for _, rebuild in _maintainers.values():
        rebuild(connection)
    return list(_maintainers)
