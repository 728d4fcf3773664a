"""What an analytics question is asked about: a window of UTC days and optional narrowing.

Every analytics answer is over whole UTC days, because the rollups that make them fast are kept
per day. `days=N` means the N days ending today (UTC), today included; `start` / `end` name the
first and last day explicitly (both included) and win over `days`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

# The models' own rule for names (length bound, no NUL): a filter value that no stored name could
# equal is refused here with a clear message, never sent to PostgreSQL, whose text cannot hold NUL.
from tooltrack.models import Name

MAX_DAYS: Final = 3650
DEFAULT_DAYS: Final = 30
#: The first and last day a window may hold. Python's dates run from 0001-01-01 to 9999-12-31, and
#: a window's bounds are computed with date arithmetic: the instant after its last day (so the
#: last day is one short of the calendar's) and the period of equal length before it, at most
#: MAX_DAYS days, that the dashboard compares against (so the first day is MAX_DAYS days after the
#: calendar's). Without them, `end=0001-01-05` or `start=9999-12-31` raised OverflowError (a 500).
EARLIEST_DAY: Final = date.min + timedelta(days=MAX_DAYS)
LATEST_DAY: Final = date.max - timedelta(days=1)
_BOUNDS: Final = {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()}


def today_utc() -> date:
    """The current UTC day (the end of a `days=N` window)."""
    return datetime.now(UTC).date()


class Filters(BaseModel):
    """A date window plus optional template, phase, tool, project, model and agent filters, all validated.

    A workflow template (or project, agent, model) of "" selects what has none. The names take the
    models' `Name` rule: at most `MAX_NAME` characters, no NUL. `all_time` is every day with data
    (it wins over the other window fields, and has no period before it to compare with).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    days: Annotated[int, Field(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS
    start: date | None = None
    end: date | None = None
    workflow_template: Name | None = None
    phase: Name | None = None
    tool: Name | None = None
    project: Name | None = None
    model: Name | None = None
    agent: Name | None = None
    all_time: bool = False
    #: Which durations the latency figures count: "all" (every timed call), or "exec" (execution
    #: only: durations the tool, the hook or the tracker measured, `tooltrack.core.EXECUTION_SOURCES`,
    #: leaving out those taken from transcript line timestamps, which include permission prompts and
    #: user idle time). Counts, failures and cost are the same for both.
    timing: Literal["all", "exec"] = "all"

    @field_validator("start", "end")
    @classmethod
    def _in_the_calendar(cls, value: date | None) -> date | None:
        if value is not None and not EARLIEST_DAY <= value <= LATEST_DAY:
            raise PydanticCustomError(
                "date_out_of_range", "{day} must be a day from {earliest} to {latest}", {"day": str(value), **_BOUNDS}
            )
        return value

    @field_validator("end")
    @classmethod
    def _days_before_end_in_the_calendar(cls, value: date | None, info: ValidationInfo) -> date | None:
        # `end` without `start`: the window is the `days` days up to it. Fields are validated in
        # order, so `info.data` holds `days` and `start` (None when not given; absent when refused).
        days, start = info.data.get("days"), info.data.get("start", EARLIEST_DAY)
        if value is not None and start is None and isinstance(days, int) and (value - EARLIEST_DAY).days + 1 < days:
            raise PydanticCustomError(
                "date_out_of_range",
                "the {days} days ending {day} start before {earliest}: "
                "a window's days must lie from {earliest} to {latest}",
                {"days": days, "day": str(value), **_BOUNDS},
            )
        return value

    @model_validator(mode="after")
    def _window_is_sane(self) -> Filters:
        if self.start is not None and self.end is not None:
            if self.start > self.end:
                raise ValueError(f"start ({self.start}) is after end ({self.end})")
            if (self.end - self.start).days + 1 > MAX_DAYS:
                raise ValueError(f"the window spans more than {MAX_DAYS} days")
        return self

    def window(self, today: date | None = None) -> tuple[date, date]:
        """The first and last UTC day of the window, both included (for `all_time`, every day a
        window may hold: the service narrows that to the days with data when it reports it)."""
        if self.all_time:
            return EARLIEST_DAY, LATEST_DAY
        if self.start is not None and self.end is not None:
            return self.start, self.end
        if self.start is not None:
            # Not `start + days` first: near LATEST_DAY that sum is past the calendar.
            last = today or today_utc()
            if (last - self.start).days >= self.days:
                last = self.start + timedelta(days=self.days - 1)
            return self.start, last
        end = self.end if self.end is not None else (today or today_utc())
        return end - timedelta(days=self.days - 1), end

    def time_range(self, today: date | None = None) -> tuple[datetime, datetime]:
        """The window as UTC instants: [first day 00:00, day after the last day 00:00)."""
        first, last = self.window(today)
        return (
            datetime.combine(first, time.min, tzinfo=UTC),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC),
        )

    @property
    def narrowing(self) -> dict[str, str]:
        """The filters beside the window that are set, by name (for messages and cache keys)."""
        names = ("workflow_template", "phase", "tool", "project", "model", "agent")
        return {name: value for name in names if (value := getattr(self, name)) is not None}

    def previous_period(self, today: date | None = None) -> Filters | None:
        """The same filters over the window of equal length just before this one (for "vs before");
        None for `all_time`, which has nothing before it."""
        if self.all_time:
            return None
        first, last = self.window(today)
        length = (last - first).days + 1
        new_last = first - timedelta(days=1)
        return self.model_copy(update={"start": new_last - timedelta(days=length - 1), "end": new_last, "days": length})
