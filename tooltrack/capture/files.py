"""Appending whole lines to a file shared by several processes, and rewriting it safely.

Hook processes, workflow processes and `tooltrack replay` touch the same files at once. Three rules
keep every line whole and nothing lost:

- an append is one `os.write` of the whole line on an `O_APPEND` descriptor, made while holding an
  exclusive `flock` on that descriptor (O_APPEND alone is atomic on local file systems; the lock also
  covers network file systems and very long lines);
- a rewrite (compaction, hand-over to replay) replaces the file by renaming a new one over it while
  holding the same lock;
- so an appender that waited for the lock checks, once it holds it, that its descriptor still is
  the file at that path, and opens the path again when a rename replaced it meanwhile.

Standard library only: the hook imports this on every tool call, so it must load in microseconds.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_APPEND_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
_RDWR_FLAGS = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
_MODE = 0o600  # spooled payloads hold commands and paths: keep them private to the user


def _is_current(fd: int, path: Path) -> bool:
    """True when `fd` still is the file `path` names (no rename replaced it while we waited)."""
    try:
        on_disk = os.stat(path)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (on_disk.st_dev, on_disk.st_ino) == (mine.st_dev, mine.st_ino)


@contextmanager
def locked_fd(path: Path, flags: int = _RDWR_FLAGS) -> Iterator[int]:
    """An open descriptor on `path` (created if missing) holding its exclusive lock."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(path, flags, _MODE)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            if _is_current(fd, path):
                yield fd
                return
        finally:
            os.close(fd)  # closing releases the lock


def append_line(path: Path, line: bytes, *, sync: bool = False) -> None:
    """Append one line (a trailing newline is added when missing) as a single write."""
    if not line.endswith(b"\n"):
        line += b"\n"
    with locked_fd(path, _APPEND_FLAGS) as fd:
        write_all(fd, line)
        if sync:
            os.fsync(fd)


def write_all(fd: int, data: bytes) -> None:
    """Write all of `data`; a regular file takes it in one write, the loop is for a short write."""
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_all(fd: int) -> bytes:
    """Everything in the file behind `fd`, from its start."""
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def replace_contents(path: Path, data: bytes) -> None:
    """Replace the file at `path` by one holding `data` (call while holding `path`'s lock).

    The new content is written to a temporary file, flushed to disk and renamed over `path`, so a
    crash leaves either the old file or the new one, never half of each.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, _MODE)
    try:
        write_all(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)
