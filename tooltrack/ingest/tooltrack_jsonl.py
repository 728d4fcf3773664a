"""Format 1, tooltrack JSONL: one task log payload (`TaskLogCreate`) per line.

The shape `log_task_completion` posts, the capture spool and hook write, and `tooltrack replay`
reads. A client `log_key` on a line is honoured (the same key is stored once); without one the
store keys the log by its content, so the same line ingested twice is stored once.
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import ValidationError

from tooltrack.ingest.items import IngestOptions, Item, RowPart
from tooltrack.ingest.lines import Line, json_problem
from tooltrack.ingest.payload_rows import validate_row
from tooltrack.ingest.report import RejectedLine
from tooltrack.models import describe_validation_error


def parse(lines: Iterator[Line], options: IngestOptions) -> Iterator[Item]:
    """Validate each line as a task log (parsed and validated in one step by pydantic-core, into dicts)."""
    overrides = options.overrides()
    for line in lines:
        data = line.data
        if not data.strip() or line.too_long:
            if line.too_long:
                yield RejectedLine(line.number, json_problem(line))
            continue
        try:
            row = validate_row(data)
        except ValidationError as exc:
            if exc.errors()[0]["type"] == "json_invalid":
                yield RejectedLine(line.number, json_problem(line, _first_message(exc)))
            else:
                yield RejectedLine(line.number, describe_validation_error(exc))
            continue
        if overrides:
            row.update(overrides)
        yield RowPart(row, line.number)


def _first_message(exc: ValidationError) -> Exception:
    return ValueError(exc.errors()[0]["msg"])
