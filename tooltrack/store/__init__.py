"""Store: task logs in PostgreSQL or SQLite, written idempotently, read as pydantic models."""

from tooltrack.store.engine import describe, make_engine, shared_engine
from tooltrack.store.migrate import upgrade
from tooltrack.store.repository import StoreResult, TaskLogRepository, write_task_logs

__all__ = [
    "StoreResult",
    "TaskLogRepository",
    "describe",
    "make_engine",
    "shared_engine",
    "upgrade",
    "write_task_logs",
]

# Registers the rollups with the derived registry, so every write through the store keeps them.
from tooltrack.store import rollups as _rollups  # noqa: F401  (imported for its registration)
