"""Length-prefixed frames over a pipe: how `tooltrack.ingest.chunks` talks to its child process.

A frame is an 8-byte little-endian length and that many bytes (a pickle, both ways).
"""

from __future__ import annotations

from typing import BinaryIO, Final

HEADER: Final = 8


def read_frame(stream: BinaryIO) -> bytes | None:
    """One frame's payload; None at the end of the stream (a frame cut short counts as the end)."""
    header = stream.read(HEADER)
    if len(header) < HEADER:
        return None
    size = int.from_bytes(header, "little")
    payload = stream.read(size)
    return payload if len(payload) == size else None


def write_frame(stream: BinaryIO, payload: bytes) -> None:
    stream.write(len(payload).to_bytes(HEADER, "little"))
    stream.write(payload)
    stream.flush()
