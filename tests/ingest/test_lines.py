"""The line reader: lines one at a time, or the rest in blocks of whole lines, alike."""

from __future__ import annotations

import io
import random

import pytest

from tooltrack.ingest import lines
from tooltrack.ingest.lines import Line, LineReader


def one_by_one(data: bytes) -> list[tuple[int, bytes, bool, bool]]:
    return [(line.number, line.data, line.complete, line.too_long) for line in LineReader(io.BytesIO(data))]


def first_then_blocks(data: bytes) -> list[tuple[int, bytes, bool, bool]]:
    """The first line alone, the rest in blocks, each block cut back into its lines."""
    reader = LineReader(io.BytesIO(data))
    each = iter(reader)
    read: list[Line] = [next(each), *each.blocks()]
    out = []
    for line in read:
        parts = line.data.split(b"\n") if not line.too_long else [b""]
        for offset, part in enumerate(parts):
            last = offset == len(parts) - 1
            out.append((line.number + offset, part, line.complete if last else True, line.too_long))
    assert reader.lines == (out[-1][0] if out else 0)
    assert reader.bytes_read == len(data)
    return out


@pytest.mark.parametrize(("block", "limit"), [(7, 20), (64, 20), (5, 5), (1 << 20, 30)])
def test_blocks_give_the_lines_one_by_one_would(monkeypatch: pytest.MonkeyPatch, block: int, limit: int) -> None:
    monkeypatch.setattr(lines, "BLOCK_BYTES", block)
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", limit)
    rng = random.Random(block * 1000 + limit)
    for _ in range(2000):
        parts = [b"x" * rng.choice([0, 1, 3, 5, 6, 8, 19, 20, 21, 30, 45]) for _ in range(rng.randint(1, 8))]
        data = b"\n".join(parts) + (b"\n" if rng.random() < 0.5 else b"")
        if data:
            assert first_then_blocks(data) == one_by_one(data), data
