"""The tools that start a Claude Code sub-agent: `Task`, renamed `Agent` in Claude Code 2.1.

One definition for every reader of Claude Code's tool calls: the ingest mappers (`tooltrack.ingest.
tools`, which map both alike, and `transcript`, which links a sidechain file's calls to them) and
the hook (`tooltrack.capture.hook_mapping`). No imports at all: the hook loads this on every tool
call and must not pay for the ingest package (its redaction patterns, orjson).
"""

from __future__ import annotations

from typing import Final

SUBAGENT_TOOLS: Final = frozenset({"Task", "Agent"})
