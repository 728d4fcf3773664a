"""JSON lines or one JSON document: how the hook payload and OTLP formats read their files.

Such a file holds either one JSON value per line (each value, or the reason it is not one, goes
with its own line number) or one value spread over many lines: a pretty-printed payload, an
OTLP/HTTP body, a JSON array. The first non-blank line decides. When it is not a whole JSON value
the file is one document: it is buffered, up to `MAX_DOCUMENT_BYTES`, parsed once at the end and
reported at that first line. JSON lines are never held whole, so in that shape memory does not
grow with the file. Values are parsed by `loads_agent_json` (a NUL becomes U+FFFD).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any, Final

import orjson

from tooltrack.ingest.items import Item
from tooltrack.ingest.lines import Line, json_problem, loads_agent_json
from tooltrack.ingest.report import RejectedLine

#: A file that is one document (not JSON lines) is parsed whole; a larger one is refused.
MAX_DOCUMENT_BYTES: Final = 512 * 1024 * 1024

#: What a format does with one parsed value: (the line it is reported at, the value) -> its items.
Feed = Callable[[int, Any], Iterable[Item]]


def read_json_values(
    lines: Iterable[Line],
    feed: Feed,
    *,
    too_large: str,
    malformed: str,
    arrays_whole: bool = False,
) -> Iterator[Item]:
    """Each JSON value of `lines` handed to `feed`, and a `RejectedLine` for what is not JSON.

    `too_large` is the reason given (at line 0, the whole file) for a document over
    `MAX_DOCUMENT_BYTES`, with `{mb}` standing for the limit in MB; `malformed` starts the reason
    for a document that does not parse. With `arrays_whole`, a first line that opens a JSON
    array makes the file one document even when that line is a whole value.
    """
    buffered: list[bytes] = []
    first_number: int | None = None
    whole = False
    size = 0
    for line in lines:
        if not line.data.strip():
            continue
        if first_number is None:
            first_number = line.number
            whole = arrays_whole and line.data.lstrip().startswith(b"[")
            if not whole:
                try:
                    value = loads_agent_json(line.data)
                except orjson.JSONDecodeError:
                    whole = True  # the first line of a document spread over many
                else:
                    yield from feed(line.number, value)
                    continue
        if whole:
            # The limit is read here, not bound at import, so that a test can lower it.
            size += len(line.data) + 1
            if size > MAX_DOCUMENT_BYTES:
                yield RejectedLine(0, too_large.format(mb=MAX_DOCUMENT_BYTES // 2**20))
                return
            buffered.append(line.data)
            continue
        try:
            value = loads_agent_json(line.data)
        except orjson.JSONDecodeError as exc:
            yield RejectedLine(line.number, json_problem(line, exc))
            continue
        yield from feed(line.number, value)
    if whole and first_number is not None:
        try:
            value = loads_agent_json(b"\n".join(buffered))
        except orjson.JSONDecodeError as exc:
            yield RejectedLine(first_number, f"{malformed}: {exc}")
            return
        yield from feed(first_number, value)
