"""Format 2: Claude Code headless output (`claude -p --output-format stream-json --verbose`).

ADW runs save it as `agents/<adw_id>/<agent_name>/raw_output.jsonl`: in that layout the adw_id
and the phase (the agent name) come from the path. The final `result` line gives the task log's
status, cost, tokens, duration and turns. Pairing and timing: see `tooltrack.ingest.claude`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from tooltrack.ingest.claude import ClaudeLog
from tooltrack.ingest.items import IngestOptions, Item
from tooltrack.ingest.lines import Line

SOURCE: Final = "claude-stream-json"


def parse(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
    return ClaudeLog(options, source=SOURCE).parse(lines)
