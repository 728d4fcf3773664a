"""The pieces every analytics question is built from: filters as SQL, bounds on arguments, windows.

Each answer module (the service's summary and failures, `runs`, `costs`, `mcp`, `repeated`) builds
its SQL from these, so a filter means the same thing on every page and endpoint.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Final

from sqlalchemy import Connection, Table, func, select

from tooltrack.analytics.filters import Filters, today_utc
from tooltrack.analytics.results import Window
from tooltrack.store import PICO, tool_daily

MAX_LIMIT: Final = 1000
MAX_OFFSET: Final = 1_000_000
#: The filters beside the window, and the column of a rollup table each one narrows.
FILTER_COLUMNS: Final = {
    "workflow_template": "workflow_template",
    "phase": "phase_name",
    "project": "project",
    "model": "model",
    "agent": "agent",
}


def bounded(name: str, value: int, low: int, high: int) -> int:
    """Bounds checks for the service's own arguments (the API validates before it gets here)."""
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}, not {value!r}")
    return value


def where(table: Table, filters: Filters, *, by_tool: bool = True, day: str = "day") -> list[Any]:
    """The window and every filter as conditions on a derived table (its columns: see FILTER_COLUMNS).

    A filter whose column the table lacks (e.g. `phase` on the runs) is the caller's to handle.
    """
    first, last = filters.window()
    conditions: list[Any] = [table.c[day] >= first, table.c[day] <= last]
    for field, column in FILTER_COLUMNS.items():
        value = getattr(filters, field)
        if value is not None and column in table.c:
            conditions.append(table.c[column] == value)
    if by_tool and filters.tool is not None and "tool_name" in table.c:
        conditions.append(table.c.tool_name == filters.tool)
    return conditions


def data_days(connection: Connection) -> tuple[date, date] | None:
    """The first and last UTC day with any tool call stored, or None for an empty database."""
    first, last = connection.execute(select(func.min(tool_daily.c.day), func.max(tool_daily.c.day))).one()
    if first is None:
        return None
    return as_date(first), as_date(last)


def window_of(connection: Connection, filters: Filters) -> Window:
    """The window an answer reports: the filters' days, or for `all_time` the days with data."""
    if filters.all_time:
        found = data_days(connection)
        today = today_utc()
        first, last = found if found is not None else (today, today)
        return Window(start=first, end=last)
    first, last = filters.window()
    return Window(start=first, end=last)


def as_int(value: Any) -> int:
    return int(value or 0)


def as_date(value: Any) -> date:
    """Dates read from SQLite aggregates (MAX/MIN lose the column type) come back as text."""
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def usd(pico: Any) -> float:
    """Whole pico-dollars (the rollups' unit) as dollars."""
    return as_int(pico) / PICO


def template_out(value: str | None) -> str | None:
    """A rollup's "" (no template) as the answers spell it: None."""
    return value or None
