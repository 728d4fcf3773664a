"""What a format parser yields, and the options every parser takes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Final

from pydantic import TypeAdapter, ValidationError

from tooltrack.ingest.lines import Line
from tooltrack.ingest.report import Note, RejectedLine
from tooltrack.models import TaskLogCreate, field_type

#: Each option and the TaskLogCreate field it fills on every log of the file.
OPTION_FIELDS: Final = {"adw_id": "adw_id", "phase": "phase_name", "workflow_template": "workflow_template"}


_OPTION_RULES: Final = {
    option: TypeAdapter(field_type(TaskLogCreate, field)) for option, field in OPTION_FIELDS.items()
}

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
class CallScope:
    """Where already-stored copies of a log's tool calls may be: same adw_id or same session.

    `key_prefix` is the start of the log keys of every task log made from one session
    (e.g. ``claude:<session id>:``), so a transcript and a stream-json file of the same session
    find each other's calls even when their adw_ids differ.
    """

    adw_id: str
    key_prefix: str


@dataclass(frozen=True, slots=True)
class LogPart:
    """A task log ready to store. With a `scope`, its calls are first filtered by call_id."""

    log: TaskLogCreate
    line: int
    scope: CallScope | None = None
    plain: TaskLogCreate | None = None
    """For a log carrying a session's summary (cost, tokens): the same calls without it, stored
    instead when the summary is already stored (a session file that grew after its result line)."""


@dataclass(frozen=True, slots=True)
class RowPart:
    """A task log already validated into its JSON form (`payload_rows.validate_row`), ready to key and store.

    What the tooltrack JSONL parser yields: a bulk file's logs never become model instances.
    """

    row: dict[str, Any]
    line: int


Item = LogPart | RowPart | RejectedLine | Note
Parser = Callable[[Iterator[Line], IngestOptions], Iterator[Item]]


def adw_layout(name: str) -> tuple[str, str] | None:
    """(adw_id, agent name) when `name` is `.../agents/<adw_id>/<agent_name>/<file>.jsonl`."""
    parts = PurePath(name).parts
    if len(parts) >= 4 and parts[-4] == "agents" and parts[-1].endswith(".jsonl"):
        return parts[-3], parts[-2]
    return None
