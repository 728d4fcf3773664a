"""The shared filters as plain values, and their form in the URL query (so a view can be shared).

No Streamlit here: `FilterState` parses and writes query parameters and is tested on its own.
Anything odd in a URL (an unknown period, a bad date or one beyond the calendar `Filters` takes, a
name `Filters` refuses: too long, a NUL)
is dropped with a problem message instead of failing the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final, cast

from pydantic import ValidationError

from tooltrack.analytics import MAX_DAYS, Filters

#: The periods offered in the sidebar, in days; "all" and "custom" are the two others.
PERIOD_DAYS: Final = (1, 7, 30, 90, 365)
DEFAULT_DAYS: Final = 30
#: The query keys the filters own; other keys (e.g. `adw_id`) belong to the pages.
QUERY_KEYS: Final = ("days", "start", "end", "template", "phase", "tool", "project", "model", "agent")
#: The query key of each name filter, and the `Filters` field that takes it.
NAME_FIELDS: Final = {
    "template": "workflow_template",
    "phase": "phase",
    "tool": "tool",
    "project": "project",
    "model": "model",
    "agent": "agent",
}


@dataclass(frozen=True, slots=True)
class FilterState:
    """What the sidebar filters say. `days=None` and no dates means all time."""

    days: int | None = DEFAULT_DAYS
    start: date | None = None
    end: date | None = None
    template: str | None = None
    phase: str | None = None
    tool: str | None = None
    project: str | None = None
    model: str | None = None
    agent: str | None = None

    @property
    def period(self) -> str:
        """The sidebar's period choice: a number of days as text, "all" or "custom"."""
        if self.start is not None and self.end is not None:
            return "custom"
        return "all" if self.days is None else str(self.days)

    def to_filters(self) -> Filters:
        """The analytics service's filters for this state ("all time" is every day with data, with no
        period before it to compare against)."""
        if self.start is not None and self.end is not None:
            window: dict[str, object] = {"start": self.start, "end": self.end, "days": (self.end - self.start).days + 1}
        elif self.days is None:
            window = {"all_time": True}
        else:
            window = {"days": self.days}
        names = {field: getattr(self, key) for key, field in NAME_FIELDS.items()}
        return Filters.model_validate({**names, **window})

    def to_query(self) -> dict[str, str]:
        """The query parameters that reproduce this state (defaults left out, to keep URLs short)."""
        query: dict[str, str] = {}
        if self.start is not None and self.end is not None:
            query["start"] = self.start.isoformat()
            query["end"] = self.end.isoformat()
        elif self.days is None:
            query["days"] = "all"
        elif self.days != DEFAULT_DAYS:
            query["days"] = str(self.days)
        for key in NAME_FIELDS:
            value = getattr(self, key)
            if value is not None:
                query[key] = value
        return query

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> tuple[FilterState, list[str]]:
        """The state a URL asks for, and a message for each parameter that had to be ignored."""
        problems: list[str] = []
        state = cls()
        days = params.get("days")
        if days is not None:
            if days == "all":
                state = replace(state, days=None)
            elif days.isdigit() and int(days) in PERIOD_DAYS:
                state = replace(state, days=int(days))
            else:
                problems.append(f"days={days!r} is not one of {', '.join(map(str, PERIOD_DAYS))} or 'all'")
        if "start" in params or "end" in params:
            start, end = _parse_date(params.get("start")), _parse_date(params.get("end"))
            if start is None or end is None:
                problems.append("start and end must both be dates like 2025-01-31")
            elif start > end:
                problems.append(f"start {start} is after end {end}")
            elif (end - start).days + 1 > MAX_DAYS:
                problems.append(f"the date range is longer than {MAX_DAYS} days")
            elif (problem := _range_problem(start, end)) is not None:
                problems.append(problem)
            else:
                state = replace(state, days=None, start=start, end=end)
        names: dict[str, Any] = {}
        for key in NAME_FIELDS:
            value = params.get(key)
            # "" is a real value: the template of task logs that have none.
            problem = None if value is None else _name_problem(key, value)
            if problem is not None:
                problems.append(problem)
                value = None
            names[key] = value
        return replace(state, **cast(dict[str, Any], names)), problems

    def without_unknown(
        self,
        *,
        templates: list[str],
        phases: list[str],
        tools: list[str],
        projects: list[str] | None = None,
        models: list[str] | None = None,
        agents: list[str] | None = None,
    ) -> tuple[FilterState, list[str]]:
        """This state with any name the database does not know dropped (and a message for each).
        A list left out (None) is not checked."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        lists = {
            "template": templates,
            "phase": phases,
            "tool": tools,
            "project": projects,
            "model": models,
            "agent": agents,
        }
        for key, known in lists.items():
            value = getattr(self, key)
            if known is None:
                continue
            if value is not None and value not in known:
                problems.append(f"no data has {key} {value!r}; that filter is off")
                value = None
            values[key] = value
        return replace(self, **cast(dict[str, Any], values)), problems


def _name_problem(key: str, value: str) -> str | None:
    """Why `Filters` refuses `value` for the `key` filter, else None: its rule is the only one."""
    try:
        Filters.model_validate({NAME_FIELDS[key]: value})
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "string_too_long":
            return f"{key} must be at most {error['ctx']['max_length']} characters long"
        return f"{key}: {error['msg']}"
    return None


def _range_problem(start: date, end: date) -> str | None:
    """Why `Filters` refuses the range `start`..`end` (a day beyond its calendar), else None."""
    try:
        Filters(start=start, end=end, days=(end - start).days + 1)
    except ValidationError as exc:
        # One message naming each refused parameter: "start 0001-01-01 and end 0001-01-05 must be ...".
        refused = [f"{error['loc'][0]} {error['ctx']['day']}" for error in exc.errors() if error["loc"]]
        first = exc.errors()[0]
        if refused and first["type"] == "date_out_of_range":
            bounds = f"{first['ctx']['earliest']} to {first['ctx']['latest']}"
            return f"{' and '.join(refused)} {'is' if len(refused) == 1 else 'are'} not a day from {bounds}"
        return str(first["msg"])
    return None


def _parse_date(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
