"""Cost: where tokens and money went, attributed to tool calls, by every dimension.

Every figure sums the calls' attributed cost (`rollup_tool_daily.cost_pico`, whole pico-dollars,
exact) over the window and filters: by tool, by MCP server (`mcp__<server>__<tool>` belongs to
`<server>`), by sub-agent type (the Task whose sub-agent made the call), by project, model,
template, phase and day. The most expensive calls come from `derived_costly_calls` (every call of
at least COSTLY_CALL_USD), the costliest repeats from `derived_redundant_targets`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, Final

from sqlalchemy import Connection, func, select

from tooltrack.analytics.filters import Filters
from tooltrack.analytics.queries import as_date, as_int, bounded, template_out, usd, where, window_of
from tooltrack.analytics.results import CostGroup, CostlyCall, CostlyTarget, CostReport, DailyCost
from tooltrack.analytics.runs import conditions as run_conditions
from tooltrack.analytics.slim import repeats_for, tool_breakdowns_for
from tooltrack.core import REDUNDANCY_PATTERNS, UNKNOWN_MODEL, prices
from tooltrack.store import costly_calls, redundant_targets, repeat_daily, runs, tool_daily, tool_slim_daily

MCP_PREFIX: Final = "mcp__"
#: The group a call belongs to when it is not an MCP tool, in the per-server breakdown.
NOT_MCP: Final = "(built-in tools)"
MAIN_AGENT: Final = "(main agent)"
NONE: Final = "(none)"


def mcp_server(tool_name: str) -> str | None:
    """The MCP server of a tool named `mcp__<server>__<tool>`, else None."""
    if not tool_name.startswith(MCP_PREFIX):
        return None
    server, _, rest = tool_name[len(MCP_PREFIX) :].partition("__")
    return server if server and rest else None


def _groups(rows: Iterable[Any], name_of: Any) -> list[CostGroup]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for row in rows:
        agg = totals[name_of(row)]
        agg[0] += as_int(row.calls)
        agg[1] += as_int(row.cost_calls)
        agg[2] += as_int(row.cost_tokens)
        agg[3] += as_int(row.cost_pico)
    ordered = sorted(totals.items(), key=lambda item: (-item[1][3], -item[1][0], item[0]))
    return [
        CostGroup(name=name, calls=calls, costed_calls=costed, tokens=tokens, cost_usd=usd(pico))
        for name, (calls, costed, tokens, pico) in ordered
    ]


def _sums(t: Any) -> tuple[Any, ...]:
    return (
        func.sum(t.c.calls).label("calls"),
        func.sum(t.c.cost_calls).label("cost_calls"),
        func.sum(t.c.cost_tokens).label("cost_tokens"),
        func.sum(t.c.cost_pico).label("cost_pico"),
    )


def _breakdowns(connection: Connection, filters: Filters) -> tuple[dict[str, list[Any]], list[Any]]:
    """Rows per breakdown (each row: `name`, calls, cost_calls, cost_tokens, cost_pico; "tool" rows
    also `workflow_template` and `phase_name`), and the rows per day and tool."""
    slim = tool_breakdowns_for(filters)
    if slim is None:
        t = tool_daily
        dims = (t.c.tool_name, t.c.subagent, t.c.project, t.c.model, t.c.workflow_template, t.c.phase_name)
        query = select(*dims, *_sums(t)).where(*where(t, filters)).group_by(*dims)
        rows = connection.execute(query).all()
        daily = list(
            connection.execute(
                select(t.c.day, t.c.tool_name, *_sums(t)).where(*where(t, filters)).group_by(t.c.day, t.c.tool_name)
            )
        )
        by = {name: [(getattr(r, column), r) for r in rows] for name, column in _FULL_NAMES.items()}
        return {name: [_Named(n, r) for n, r in pairs] for name, pairs in by.items()}, daily
    s, base = tool_slim_daily, slim

    def of(dimension: str, *columns: Any) -> list[Any]:
        query = select(*columns, *_sums(s)).where(*base, s.c.dimension == dimension).group_by(*columns)
        return list(connection.execute(query))

    plain = of("", s.c.tool_name, s.c.workflow_template, s.c.phase_name)
    found: dict[str, list[Any]] = {
        "tool": [_Named(r.tool_name, r) for r in plain],
        "workflow_template": [_Named(r.workflow_template, r) for r in plain],
        "phase_name": [_Named(r.phase_name, r) for r in plain],
    }
    for dimension in ("project", "model", "subagent"):
        found[dimension] = [_Named(r.value, r) for r in of(dimension, s.c.value)]
    daily = list(
        connection.execute(
            select(s.c.day, s.c.tool_name, *_sums(s)).where(*base, s.c.dimension == "").group_by(s.c.day, s.c.tool_name)
        )
    )
    return found, daily


#: The breakdowns, and the column of `rollup_tool_daily` each groups by.
_FULL_NAMES: Final = {
    "tool": "tool_name",
    "workflow_template": "workflow_template",
    "phase_name": "phase_name",
    "project": "project",
    "model": "model",
    "subagent": "subagent",
}


class _Named:
    """A row of sums under the name of the group it counts."""

    __slots__ = ("calls", "cost_calls", "cost_pico", "cost_tokens", "name")

    def __init__(self, name: str, row: Any) -> None:
        self.name = name
        self.calls, self.cost_calls, self.cost_tokens, self.cost_pico = (
            row.calls,
            row.cost_calls,
            row.cost_tokens,
            row.cost_pico,
        )


def report(connection: Connection, filters: Filters, *, top: int = 20) -> CostReport:
    """Cost by every dimension over the window and filters (see the module)."""
    bounded("top", top, 1, 1000)
    found, daily = _breakdowns(connection, filters)
    tools = found["tool"]
    by_day_tool = [
        DailyCost(day=as_date(r.day), name=r.tool_name, cost_usd=usd(r.cost_pico), tokens=as_int(r.cost_tokens))
        for r in sorted(daily, key=lambda r: (as_date(r.day), r.tool_name))
        if as_int(r.cost_pico)
    ]
    by_day_server: dict[tuple[Any, str], list[int]] = defaultdict(lambda: [0, 0])
    for r in daily:
        server = mcp_server(r.tool_name)
        if server is not None and as_int(r.cost_pico):
            agg = by_day_server[(as_date(r.day), server)]
            agg[0] += as_int(r.cost_pico)
            agg[1] += as_int(r.cost_tokens)
    runs_cost = connection.execute(
        select(func.coalesce(func.sum(runs.c.cost_pico), 0)).where(*run_conditions(filters))
    ).scalar_one()
    by_model = _groups(found["model"], lambda r: r.name or NONE)
    unpriced = [group for group in by_model if group.name != NONE and not is_priced(group.name)]
    total = _groups(tools, lambda r: "all")
    everything = total[0] if total else CostGroup(name="all", calls=0, costed_calls=0, tokens=0, cost_usd=0.0)
    return CostReport(
        window=window_of(connection, filters),
        total_cost_usd=everything.cost_usd,
        total_tokens=everything.tokens,
        calls=everything.calls,
        costed_calls=everything.costed_calls,
        runs_cost_usd=usd(runs_cost),
        by_tool=_groups(tools, lambda r: r.name),
        by_mcp_server=_groups(tools, lambda r: mcp_server(r.name) or NOT_MCP),
        by_subagent=_groups(found["subagent"], lambda r: r.name or MAIN_AGENT),
        by_project=_groups(found["project"], lambda r: r.name or NONE),
        by_model=by_model,
        by_workflow_template=_groups(found["workflow_template"], lambda r: r.name or NONE),
        by_phase=_groups(found["phase_name"], lambda r: r.name),
        by_day_and_tool=by_day_tool,
        by_day_and_server=[
            DailyCost(day=day, name=server, cost_usd=usd(pico), tokens=tokens)
            for (day, server), (pico, tokens) in sorted(by_day_server.items())
        ],
        costliest_calls=costliest_calls(connection, filters, limit=top),
        costliest_repeats=costliest_repeats(connection, filters, limit=top),
        unpriced_models=unpriced,
        unpriced_tokens=sum(group.tokens for group in unpriced),
    )


def is_priced(model: str) -> bool:
    """Whether the price table (with the user's file, `TOOLTRACK_PRICES`) knows `model` at all."""
    return prices().lookup(model).problem != UNKNOWN_MODEL


def costliest_calls(connection: Connection, filters: Filters, *, limit: int = 20) -> list[CostlyCall]:
    """The most expensive calls of the window (of at least COSTLY_CALL_USD each), costliest first."""
    c = costly_calls
    query = (
        select(c).where(*where(c, filters)).order_by(c.c.cost_pico.desc(), c.c.task_log_id, c.c.call_index).limit(limit)
    )
    return [
        CostlyCall(
            task_log_id=row["task_log_id"],
            call_index=row["call_index"],
            adw_id=row["adw_id"],
            workflow_template=template_out(row["workflow_template"]),
            phase_name=row["phase_name"],
            project=row["project"] or None,
            model=row["model"] or None,
            tool_name=row["tool_name"],
            target=row["target"],
            cost_usd=usd(row["cost_pico"]),
            tokens=as_int(row["cost_tokens"]),
            occurred_at=row["occurred_at"],
        )
        for row in connection.execute(query).mappings()
    ]


def costliest_repeats(connection: Connection, filters: Filters, *, limit: int = 20) -> list[CostlyTarget]:
    """The targets whose repeats cost most over the window (the tool filter does not apply)."""
    conditions = repeats_for(filters)
    if conditions is None:
        return _costliest_repeats_per_log(connection, filters, limit)
    r = repeat_daily
    wasted, ms = func.sum(r.c.wasted_pico), func.sum(r.c.wasted_ms)
    query = (
        select(
            r.c.kind,
            r.c.target,
            func.sum(r.c.task_logs).label("task_logs"),
            func.sum(r.c.redundant_calls).label("calls"),
            ms.label("ms"),
            func.sum(r.c.wasted_tokens).label("tokens"),
            wasted.label("pico"),
        )
        .where(*conditions)
        .group_by(r.c.kind, r.c.target)
        .order_by(wasted.desc(), ms.desc(), r.c.kind, r.c.target)
        .limit(limit)
    )
    rows = connection.execute(query).all()
    # A task log lies in one day, so the days' task-log counts add up to the task logs exactly.
    return [
        CostlyTarget(
            kind=row.kind,
            pattern=REDUNDANCY_PATTERNS[row.kind][0],
            target=row.target,
            task_logs=as_int(row.task_logs),
            redundant_calls=as_int(row.calls),
            wasted_duration_ms=as_int(row.ms),
            wasted_tokens=as_int(row.tokens),
            wasted_cost_usd=usd(row.pico),
        )
        for row in rows
    ]


def _costliest_repeats_per_log(connection: Connection, filters: Filters, limit: int) -> list[CostlyTarget]:
    """`costliest_repeats` over the per-log rows (several group filters: no slim rollup has them)."""
    r = redundant_targets
    wasted = func.sum(r.c.wasted_pico)
    query = (
        select(
            r.c.kind,
            r.c.target,
            # One row per task log, kind and target: the rows are the task logs.
            func.count().label("task_logs"),
            func.sum(r.c.redundant_calls).label("calls"),
            func.sum(r.c.wasted_ms).label("ms"),
            func.sum(r.c.wasted_tokens).label("tokens"),
            wasted.label("pico"),
        )
        .where(*where(r, filters, by_tool=False))
        .group_by(r.c.kind, r.c.target)
        .order_by(wasted.desc(), func.sum(r.c.wasted_ms).desc(), r.c.kind, r.c.target)
        .limit(limit)
    )
    return [
        CostlyTarget(
            kind=row.kind,
            pattern=REDUNDANCY_PATTERNS[row.kind][0],
            target=row.target,
            task_logs=as_int(row.task_logs),
            redundant_calls=as_int(row.calls),
            wasted_duration_ms=as_int(row.ms),
            wasted_tokens=as_int(row.tokens),
            wasted_cost_usd=usd(row.pico),
        )
        for row in connection.execute(query)
    ]
