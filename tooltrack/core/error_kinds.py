"""Error messages grouped into kinds: the first line, with the parts that vary taken out.

`Exit code 1\nFAILED tests/x.py::test_a` -> `Exit code 1`; `Command timed out after 120000ms`
-> `Command timed out after Nms`; `File /a/b.py does not exist` -> `File <path> does not exist`.
Exit codes stay (1 and 127 are different problems); other numbers, quoted text and paths become
placeholders.
"""

from __future__ import annotations

import re
from typing import Final

MAX_KIND: Final = 160
NO_MESSAGE: Final = "(no message)"

_EXIT_CODE: Final = re.compile(r"^(exit code|exit status|exited with code)\s+(-?\d+)", re.IGNORECASE)
_QUOTED: Final = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_PATH: Final = re.compile(r"(?:[A-Za-z]:)?(?:[\w.~-]*/)+[\w.-]+/?")
_HEX: Final = re.compile(r"\b0x[0-9a-fA-F]+\b|\b[0-9a-f]{12,}\b")
_NUMBER: Final = re.compile(r"\d+")
_SPACES: Final = re.compile(r"\s+")


def error_kind(message: str | None) -> str:
    """The kind a failure's message belongs to."""
    if not message or not message.strip():
        return NO_MESSAGE
    first = message.strip().splitlines()[0].strip()
    exit_code = _EXIT_CODE.match(first)
    if exit_code:
        return f"Exit code {exit_code.group(2)}"
    kind = _QUOTED.sub("'…'", first)
    kind = _PATH.sub("<path>", kind)
    kind = _HEX.sub("<id>", kind)
    kind = _NUMBER.sub("N", kind)
    kind = _SPACES.sub(" ", kind).strip()
    return kind[:MAX_KIND] or NO_MESSAGE
