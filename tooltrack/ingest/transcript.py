"""Format 3: Claude Code session transcripts (`~/.claude/projects/<project>/<session>.jsonl`).

The same messages as stream-json with `timestamp`, `sessionId`, `cwd`, `gitBranch` and
`toolUseResult` on each line; durations come from the timestamps of a call and its result, so
they include any wait for the user's permission (`duration_source = "timestamps"`). Sub-agent
(sidechain) calls are attributed to the Task call that started them. See `tooltrack.ingest.claude`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Final

from tooltrack.ingest.claude import ClaudeLog
from tooltrack.ingest.items import IngestOptions, Item
from tooltrack.ingest.lines import Line

SOURCE: Final = "claude-transcript"


def parse(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
    return ClaudeLog(options, source=SOURCE).parse(lines)
