"""Dating task logs whose source has no timestamps: by the best real evidence, never the ingest time.

Stream-json of older Claude Code (the 2.0.x and 2.1.4x runs ADW saved as `raw_output.jsonl`) has
no `timestamp` on any line. Its parser yields such a log with `time_source="unknown"` and no
`started_at` / `completed_at` (`tooltrack.ingest.claude`); here it gets the best time there is,
in this order, and `time_source` says which (`TaskLogBase.time_source`):

1. `"run"`: another task log of the same adw_id, already stored, with its own timestamps
   (`time_source` NULL: e.g. the phase logs the workflow sent through the tracker, or another
   agent's transcript): the earliest start of the same phase, else of the whole run. The log
   starts then. Looked up through the store, once per adw_id and file.
2. `"adw_state"`: a time written in the run's `agents/<adw_id>/adw_state.json` (the ADW layout):
   `started_at`, `start_time`, `created_at` or `timestamp`, the earliest. Some ADW variants write
   one; the tac ADW's own state (the real `tests/fixtures/real/case6-stream-json-adw/` run) holds
   only adw_id, issue_number, branch_name, plan_file and issue_class, so it gives no time. The log
   starts then.
3. `"file_mtime"`: the file's modification time, i.e. when it was last written: the log ends then
   and starts its own duration (the `result` line's `duration_ms`) earlier. A copy or a fresh
   clone has the time of the copy: this is the weakest evidence, and marked as such.
4. Otherwise (standard input, an upload, no such run) it stays `"unknown"` without times.

The report has one note per source used, with the time, so the user sees the log's time is
approximate; the drill-down shows the mark on the log.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import orjson
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError

from tooltrack.ingest.items import Item, LogPart, adw_layout
from tooltrack.ingest.report import Note
from tooltrack.models import TIME_SOURCE_LABELS, TaskLogCreate
from tooltrack.store import task_logs

#: Keys of adw_state.json whose value, when it is an ISO time, dates the run (seen in ADW variants).
STATE_TIME_KEYS: Final = ("started_at", "start_time", "created_at", "timestamp")
#: An adw_state.json is a few hundred bytes; a larger file is not read.
_STATE_LIMIT: Final = 1 << 20


def _iso_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def state_time(path: Path) -> tuple[datetime, str] | None:
    """The earliest time an adw_state.json holds under `STATE_TIME_KEYS`, and its key; else None."""
    try:
        if not path.is_file() or path.stat().st_size > _STATE_LIMIT:
            return None
        value = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return None
    if not isinstance(value, dict):
        return None
    found = [(when, key) for key in STATE_TIME_KEYS if (when := _iso_time(value.get(key))) is not None]
    return min(found) if found else None


@dataclass(slots=True)
class _Evidence:
    when: datetime
    source: str
    starts: bool
    """True when `when` is the log's start, False when it is its end."""
    where: str
    """What the note names: the run, the state file and its key, or nothing (the file itself)."""


@dataclass(slots=True)
class _Used:
    logs: int = 0
    line: int = 0
    first: _Evidence | None = None
    adw_ids: list[str] = field(default_factory=list)


class Dating:
    """Dates the undated task logs of one input named `name` (a path, an upload's name, or "-")."""

    def __init__(self, engine: Engine, name: str) -> None:
        self.engine = engine
        self.name = name
        self._runs: dict[str, dict[str, datetime]] = {}
        self._used: dict[str, _Used] = {}

    def items(self, items: Iterable[Item]) -> Iterator[Item]:
        """`items`, with each undated log dated, then a note per kind of evidence used."""
        for item in items:
            if isinstance(item, LogPart) and item.log.time_source == "unknown":
                item = self._date(item)
            yield item
        yield from self._notes()

    def _date(self, part: LogPart) -> LogPart:
        log = part.log
        found = self._from_run(log) or self._from_state() or self._from_file()
        used = self._used.setdefault(found.source if found else "unknown", _Used(line=part.line))
        used.logs += 1
        if log.adw_id not in used.adw_ids and len(used.adw_ids) < 3:
            used.adw_ids.append(log.adw_id)
        if found is None:
            return part
        used.first = used.first or found
        length = timedelta(seconds=log.duration_seconds or 0.0)
        started, completed = (found.when, found.when + length) if found.starts else (found.when - length, found.when)
        update = {"started_at": started, "completed_at": completed, "time_source": found.source}
        return LogPart(log.model_copy(update=update), part.line)

    def _from_run(self, log: TaskLogCreate) -> _Evidence | None:
        starts = self._run_starts(log.adw_id)
        when = starts.get(log.phase_name) or (min(starts.values()) if starts else None)
        if when is None:
            return None
        return _Evidence(when, "run", True, f"run {log.adw_id}")

    def _run_starts(self, adw_id: str) -> dict[str, datetime]:
        """Phase -> earliest own start of the stored logs of `adw_id` (through the adw_id index)."""
        if adw_id not in self._runs:
            query = (
                select(task_logs.c.phase_name, func.min(task_logs.c.started_at))
                .where(
                    task_logs.c.adw_id == adw_id,
                    task_logs.c.time_source.is_(None),
                    task_logs.c.started_at.is_not(None),
                )
                .group_by(task_logs.c.phase_name)
            )
            try:
                with self.engine.connect() as connection:
                    self._runs[adw_id] = {phase: when for phase, when in connection.execute(query) if when}
            except SQLAlchemyError:  # the store cannot answer: the file's own evidence still dates it
                self._runs[adw_id] = {}
        return self._runs[adw_id]

    def _from_state(self) -> _Evidence | None:
        if adw_layout(self.name) is None:
            return None
        path = Path(self.name).parent.parent / "adw_state.json"
        found = state_time(path)
        return _Evidence(found[0], "adw_state", True, f"{path} ({found[1]})") if found else None

    def _from_file(self) -> _Evidence | None:
        if self.name == "-":
            return None
        try:
            when = datetime.fromtimestamp(Path(self.name).stat().st_mtime, UTC)
        except (OSError, ValueError):
            return None  # an upload's name: no file on disk
        return _Evidence(when, "file_mtime", False, "")

    def _notes(self) -> Iterator[Note]:
        for source, used in self._used.items():
            label = TIME_SOURCE_LABELS[source]
            if used.first is None:
                runs = ", ".join(used.adw_ids)
                yield Note(
                    used.line,
                    f"{used.logs} task log(s) without timestamps and nothing else to date them (no stored "
                    f"log of run {runs} has its own times, no file on disk): time unknown "
                    "(time_source=unknown; dashboards place them when they were stored)",
                )
                continue
            where = f" {used.first.where}," if used.first.where else ""
            edge = "starting" if used.first.starts else "ending"
            yield Note(
                used.line,
                f"{used.logs} task log(s) without timestamps: time approximate, from {label}{where} "
                f"({edge} {used.first.when:%Y-%m-%d %H:%M:%S} UTC; time_source={source})",
            )
