"""Per-file ingest checkpoints (`ingest_checkpoints`): how far a file was read, and what it looked like.

The ingest (`tooltrack.ingest.checkpoints`) decides from a file's stat and a checkpoint whether the
file is unchanged (skipped, not opened), grown (read on from `resume_offset`), or truncated,
rotated or rewritten (read whole). This module only loads and saves them: a fixed number of
statements for any number of files (`load_checkpoints` takes them in chunks of bound parameters).

A checkpoint is written after the file's batches are committed. A crash in between leaves the
older checkpoint: the next read starts earlier than it could, and call identity
(`tooltrack.store.identity`) stores nothing twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, delete, select

from tooltrack.store.dialects import dialect_of
from tooltrack.store.schema import ingest_checkpoints


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """One file as it was left: its identity and size then, where to read on, and two digests."""

    path: str
    device: int
    inode: int
    size: int
    mtime_ns: int
    resume_offset: int
    """Where the next read starts: the end of the last complete line (or the line of a call still running)."""
    resume_line: int
    """Lines before `resume_offset`."""
    pending_calls: int
    """Calls still running at the end of the file (held back, not stored)."""
    head_hash: str
    """Digest of the file's first bytes (`tooltrack.ingest.checkpoints.CHECK_BYTES`, or fewer before the offset)."""
    tail_hash: str
    """Digest of the bytes just before `resume_offset`."""
    format: str


def path_hash(path: str) -> str:
    """The key of a path's checkpoint: 32 hex digits of its SHA-256."""
    return hashlib.sha256(path.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def load_checkpoints(bind: Engine | Connection, paths: Iterable[str]) -> dict[str, Checkpoint]:
    """Path -> its checkpoint, for the paths of `paths` that have one (one query per few thousand paths)."""
    by_hash = {path_hash(path): path for path in paths}
    hashes = list(by_hash)
    found: dict[str, Checkpoint] = {}
    if not hashes:
        return found
    step = dialect_of(bind).max_bind_params
    columns = [ingest_checkpoints.c[name] for name in Checkpoint.__dataclass_fields__]
    if isinstance(bind, Engine):
        with bind.connect() as connection:
            return load_checkpoints(connection, by_hash.values())
    for start in range(0, len(hashes), step):
        query = select(*columns).where(ingest_checkpoints.c.path_hash.in_(hashes[start : start + step]))
        for row in bind.execute(query):
            checkpoint = Checkpoint(*row)
            found[checkpoint.path] = checkpoint
    return found


def save_checkpoint(bind: Engine | Connection, checkpoint: Checkpoint) -> None:
    """Store `checkpoint` for its path, replacing the one before (one statement)."""
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            save_checkpoint(connection, checkpoint)
            return
    values = asdict(checkpoint) | {"path_hash": path_hash(checkpoint.path), "updated_at": datetime.now(UTC)}
    statement = dialect_of(bind).insert(ingest_checkpoints).values(values)
    statement = statement.on_conflict_do_update(
        index_elements=["path_hash"], set_={k: statement.excluded[k] for k in values if k != "path_hash"}
    )
    bind.execute(statement)


def forget_checkpoints(bind: Engine | Connection, paths: Iterable[str]) -> None:
    """Drop the checkpoints of `paths` (their next ingest reads them whole)."""
    hashes = [path_hash(path) for path in paths]
    if isinstance(bind, Engine):
        with bind.begin() as connection:
            _forget(connection, hashes)
    else:
        _forget(bind, hashes)


def _forget(bind: Connection, hashes: list[str]) -> None:
    step = dialect_of(bind).max_bind_params
    for start in range(0, len(hashes), step):
        bind.execute(delete(ingest_checkpoints).where(ingest_checkpoints.c.path_hash.in_(hashes[start : start + step])))
