"""Facts about the real sidechain transcript the sub-agent tests split and edit.

`tests/fixtures/claude-transcripts/sidechain_integrated.jsonl` (Claude Code 2.0.46): three
lines of the session, three of a sub-agent (`isSidechain: true`), whose one tool call (a Grep) was
started by the session's one Task call.
"""

from __future__ import annotations

#: The transcript, relative to the fixtures folder.
FIXTURE = "claude-transcripts/sidechain_integrated.jsonl"
SESSION = "88a8d761-7b9a-4bf1-a8ca-c1febe6bf358"
#: The sub-agent's id, as the session's Task result line and the sidechain lines give it.
AGENT = "e1c84ba5"
#: The session's Task tool_use, parent of the sub-agent's calls.
TASK_ID = "toolu_01JA2mLseQCAW3MdwPE4qWEk"
#: The sub-agent's Grep tool_use.
GREP_ID = "toolu_01BWgwmyj8gGuqFNHMPqqtN2"
