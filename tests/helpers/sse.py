"""Reading server-sent events from a streamed httpx response (the stream endpoint's tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Event:
    """One dispatched event, or (with `comment`) a comment block such as the stream's first."""

    id: str | None = None
    event: str | None = None
    data: list[str] = field(default_factory=list)
    comment: list[str] = field(default_factory=list)

    def json(self) -> Any:
        return json.loads("\n".join(self.data))


def events(lines: Iterator[str]) -> Iterator[Event]:
    """Events as the SSE format splits them: fields until a blank line."""
    current = Event()
    for line in lines:
        if line == "":
            if current.data or current.comment or current.id:
                yield current
            current = Event()
        elif line.startswith(":"):
            current.comment.append(line[1:].strip())
        else:
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if name == "data":
                current.data.append(value)
            elif name in ("id", "event"):
                setattr(current, name, value)


def take(stream: Iterator[Event], count: int) -> list[Event]:
    """The next `count` tool_call events (comments skipped)."""
    found: list[Event] = []
    for event in stream:
        if event.event == "tool_call":
            found.append(event)
            if len(found) == count:
                break
    return found
