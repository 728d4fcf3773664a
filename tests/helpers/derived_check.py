"""Do the derived tables (rollups) agree with `task_logs` recomputed from scratch?

Inside one transaction that is rolled back: read every derived table, run every registered
`rebuild` (which recomputes from `task_logs` alone), read them again and compare. The database is
left as it was. Used by the load test, the migration tests and `bench/bench_load.py`.
"""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Engine, Table, select

from tooltrack.store import DERIVED, DERIVED_TABLES


def derived_tables() -> list[Table]:
    """Every derived table of the store's schema (the rollups and the runs)."""
    return list(DERIVED_TABLES)


def _normal(value: Any) -> Any:
    # Sums of floats may differ in their last bits with the order they were added in.
    if isinstance(value, float):
        return round(value, 6) if math.isfinite(value) else value
    return value


def _snapshot(connection: Any, table: Table) -> list[tuple[Any, ...]]:
    rows = connection.execute(select(table)).all()
    return sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)


def differences(engine: Engine, *, limit: int = 5) -> dict[str, str]:
    """Per derived table whose contents differ from a rebuild: a short description. Empty when all agree."""
    found: dict[str, str] = {}
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            before = {table.name: _snapshot(connection, table) for table in derived_tables()}
            DERIVED.rebuild_all(connection)
            after = {table.name: _snapshot(connection, table) for table in derived_tables()}
        finally:
            transaction.rollback()
    for name, rows in before.items():
        rebuilt = after[name]
        if rows != rebuilt:
            only_kept = [r for r in rows if r not in rebuilt][:limit]
            only_rebuilt = [r for r in rebuilt if r not in rows][:limit]
            found[name] = (
                f"{len(rows)} rows kept vs {len(rebuilt)} rebuilt; only kept: {only_kept}; only rebuilt: {only_rebuilt}"
            )
    return found
