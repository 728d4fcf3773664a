"""Runs: the list an engineer starts from, newest first, paged, sorted and searched in the database.

A run is every task log of one `adw_id` (an ADW workflow's phases, a Claude Code session's parts),
one row of `derived_runs` (tooltrack.store.run_summaries). A run is in a window when its activity overlaps
it (its first day is on or before the window's last, its last day on or after the window's
first). Filters: template, project, agent, model (the run's own), outcome, a search that matches
an adw_id prefix, a word of the title or the project; sorting by any listed column. Paging is
server-side (LIMIT / OFFSET over an indexed order), and the total is counted over every match.
"""

from __future__ import annotations

from typing import Any, Final, Literal

from sqlalchemy import Connection, Select, func, or_, select

from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import MAX_LIMIT, MAX_OFFSET, bounded, template_out, usd, window_of
from tooltrack.analytics.results import RunRow, RunsPage
from tooltrack.store import dialect_of, runs

RunSort = Literal["last_at", "first_at", "calls", "failed_calls", "redundant_calls", "cost", "duration", "adw_id"]
SORTS: Final = ("last_at", "first_at", "calls", "failed_calls", "redundant_calls", "cost", "duration", "adw_id")


def _sort_column(connection: Connection, sort: str) -> Any:
    if sort == "cost":
        return runs.c.cost_pico
    if sort == "duration":
        return dialect_of(connection).seconds_between(runs.c.first_at, runs.c.last_at)
    return runs.c[sort]


OUTCOMES: Final = ("completed", "failed", "interrupted")
MAX_SEARCH: Final = 200


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def conditions(filters: Filters, *, outcome: str | None = None, search: str | None = None) -> list[Any]:
    """The runs a window and filters select (phase and tool narrow task logs and calls, not runs:
    they are ignored here)."""
    first, last = filters.window()
    found: list[Any] = [runs.c.first_day <= last, runs.c.last_day >= first]
    for field in ("workflow_template", "project", "agent", "model"):
        value = getattr(filters, field)
        if value is not None:
            found.append(runs.c[field] == value)
    if outcome is not None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
        found.append(runs.c.outcome == outcome)
    if search:
        if len(search) > MAX_SEARCH or "\x00" in search:
            raise ValueError(f"search must be 1 to {MAX_SEARCH} characters without NUL")
        text = _escape_like(search.strip())
        word = f"%{text.lower()}%"
        found.append(
            or_(
                runs.c.adw_id.like(f"{text}%", escape="\\"),
                func.lower(runs.c.title).like(word, escape="\\"),
                func.lower(runs.c.project).like(word, escape="\\"),
            )
        )
    return found


def page(
    connection: Connection,
    filters: Filters,
    *,
    outcome: str | None = None,
    search: str | None = None,
    sort: str = "last_at",
    descending: bool = True,
    limit: int = 50,
    offset: int = 0,
) -> RunsPage:
    """One page of runs and the total of every run that matches."""
    bounded("limit", limit, 1, MAX_LIMIT)
    bounded("offset", offset, 0, MAX_OFFSET)
    if sort not in SORTS:
        raise ValueError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}")
    where = conditions(filters, outcome=outcome, search=search)
    column = _sort_column(connection, sort)
    order = column.desc() if descending else column.asc()
    tie = runs.c.adw_id.desc() if descending else runs.c.adw_id.asc()
    query: Select[Any] = select(runs).where(*where).order_by(order, tie).limit(limit).offset(offset)
    total = connection.execute(select(func.count()).select_from(runs).where(*where)).scalar_one()
    rows = connection.execute(query).mappings().all()
    return RunsPage(
        window=window_of(connection, filters),
        total=int(total),
        limit=limit,
        offset=offset,
        sort=sort,
        descending=descending,
        runs=[_run(row) for row in rows],
    )


def _run(row: Any) -> RunRow:
    return RunRow(
        adw_id=row["adw_id"],
        title=row["title"],
        workflow_template=template_out(row["workflow_template"]),
        project=row["project"] or None,
        agent=row["agent"] or None,
        model=row["model"] or None,
        outcome=row["outcome"],
        started_at=row["first_at"],
        ended_at=row["last_at"],
        duration_seconds=max(0.0, (row["last_at"] - row["first_at"]).total_seconds()),
        task_logs=int(row["task_logs"]),
        calls=int(row["calls"]),
        failed_calls=int(row["failed_calls"]),
        redundant_calls=int(row["redundant_calls"]),
        cost_usd=usd(row["cost_pico"]) if row["cost_logs"] else None,
        tokens=int(row["tokens"]) or None,
        source=row["source"],
    )


def count(connection: Connection, filters: Filters) -> int:
    """How many runs have activity in the window (with the filters runs carry)."""
    return int(connection.execute(select(func.count()).select_from(runs).where(*conditions(filters))).scalar_one())


def resolve(connection: Connection, prefix: str) -> list[str]:
    """The adw_ids that start with `prefix` (at most 11: more than one means it is not unique)."""
    if not prefix or len(prefix) > MAX_SEARCH or "\x00" in prefix:
        return []
    query = (
        select(runs.c.adw_id)
        .where(runs.c.adw_id.like(f"{_escape_like(prefix)}%", escape="\\"))
        .order_by(runs.c.adw_id)
        .limit(11)
    )
    return list(connection.execute(query).scalars())
