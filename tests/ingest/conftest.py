"""Fixtures for the ingest tests (what the database holds afterwards: tests/helpers/db.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def write_lines(tmp_path: Path):  # type: ignore[no-untyped-def]
    """Write bytes lines to a file under tmp_path and return its path."""

    def write(name: str, lines: list[bytes], *, final_newline: bool = True) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        data = b"\n".join(lines) + (b"\n" if final_newline and lines else b"")
        path.write_bytes(data)
        return path

    return write
