"""What a format parser yields, and the options every parser takes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from tooltrack.ingest.lines import Line
from tooltrack.ingest.report import Note, RejectedLine, Tally
from tooltrack.models import TaskLogCreate, ToolCallRecord, field_type

#: Each option and the TaskLogCreate field it fills on every log of the file.
OPTION_FIELDS: Final = {"adw_id": "adw_id", "phase": "phase_name", "workflow_template": "workflow_template"}


_OPTION_RULES: Final = {
    option: TypeAdapter(field_type(TaskLogCreate, field)) for option, field in OPTION_FIELDS.items()
}

#: Log keys of task logs made from agent sessions start with this and the session id.
SESSION_KEY_PREFIX: Final = "claude:"

#: Phase name when neither the path nor an option gives one.
DEFAULT_PHASE = "session"


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """What the user told us about the file (CLI options or the upload form).

    Checked by the models' own rules when made (ValueError naming the option): a parser copies
    these onto every log it yields, some (tooltrack JSONL) without validating the log again.
    """

    name: str = "-"
    adw_id: str | None = None
    phase: str | None = None
    workflow_template: str | None = None
    resumed_at_line: int = 0
    """Lines of the file read before (a read resumed from a checkpoint starts after them); 0: read whole."""

    def __post_init__(self) -> None:
        for option, rule in _OPTION_RULES.items():
            value = getattr(self, option)
            if value is None:
                continue
            try:
                rule.validate_python(value)
            except ValidationError as exc:
                raise ValueError(f"option {option} {value[:40]!r}: {exc.errors()[0]['msg']}") from None

    def overrides(self) -> dict[str, str]:
        """The log fields the given options set, by TaskLogCreate field name."""
        return {field: value for option, field in OPTION_FIELDS.items() if (value := getattr(self, option))}


@dataclass(frozen=True, slots=True)
class LogPart:
    """A task log ready to store; its calls already stored (by call id) are left out by the store."""

    log: TaskLogCreate
    line: int


@dataclass(frozen=True, slots=True)
class RowPart:
    """A task log already validated into its JSON form (`payload_rows.validate_row`), ready to key and store.

    What the tooltrack JSONL parser yields: a bulk file's logs never become model instances.
    """

    row: dict[str, Any]
    line: int


@dataclass(frozen=True, slots=True)
class ResumeAt:
    """Where a later read of the grown file must start so that the calls still running at its end
    (not stored yet, see `tooltrack.ingest.claude`) are read again with their results: the line of
    the first of them. A parser that yields none can be read on from the end of its last line."""

    line: int


Item = LogPart | RowPart | RejectedLine | Note | Tally | ResumeAt
Parser = Callable[[Iterator[Line], IngestOptions], Iterator[Item]]


def part_key(session_id: str, kind: str, calls: Sequence[ToolCallRecord]) -> str:
    """The log key of a part of an agent session: `claude:<session>:<kind>:<digest of its call ids>`.

    The same calls give the same key whichever file or upload they come from, so reading a file
    again finds its parts stored; calls stored before are left out by the store either way
    (call identity, `tooltrack.store`)."""
    ids = "\n".join(sorted(call.call_id or "" for call in calls))
    digest = hashlib.sha256(ids.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"{SESSION_KEY_PREFIX}{session_id}:{kind}:{digest}"


def adw_layout(name: str) -> tuple[str, str] | None:
    """(adw_id, agent name) when `name` is `.../agents/<adw_id>/<agent_name>/<file>.jsonl`."""
    parts = PurePath(name).parts
    if len(parts) >= 4 and parts[-4] == "agents" and parts[-1].endswith(".jsonl"):
        return parts[-3], parts[-2]
    return None
