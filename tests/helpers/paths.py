"""Where the project is, for tests that run its scripts or read its files."""

from __future__ import annotations

from pathlib import Path

#: The project's root folder (the one holding pyproject.toml).
ROOT = Path(__file__).resolve().parents[2]
