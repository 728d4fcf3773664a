"""The Overview's figures: per-tool counts, mean duration and success rate, and totals."""

from __future__ import annotations

from pydantic import BaseModel
from sqlalchemy import Engine, func, select, true

from tooltrack.store.dialects import query_components
from tooltrack.store.schema import task_logs


class ToolOverview(BaseModel):
    tool_name: str
    calls: int
    mean_duration_ms: float | None
    success_rate: float


class Overview(BaseModel):
    task_logs: int
    workflows: int
    tool_calls: int
    tools: list[ToolOverview]


def overview(engine: Engine) -> Overview:
    """Totals over the whole database (a first view; the summary service adds date ranges)."""
    q = query_components(engine.dialect.name)
    element = q.tool_call_elements(task_logs.c.tool_calls).alias("tc")
    tool = q.json_text(element, "tool_name")
    per_tool = (
        select(
            tool.label("tool_name"),
            func.count().label("calls"),
            func.avg(q.json_number(element, "duration_ms")).label("mean_duration_ms"),
            func.avg(q.json_bool(element, "success")).label("success_rate"),
        )
        .select_from(task_logs)
        .join(element, true())
        .group_by(tool)
        .order_by(func.count().desc())
    )
    totals = select(func.count(), func.count(task_logs.c.adw_id.distinct()))
    with engine.connect() as connection:
        logs, workflows = connection.execute(totals).one()
        tools = [
            ToolOverview(
                tool_name=row.tool_name,
                calls=row.calls,
                mean_duration_ms=float(row.mean_duration_ms) if row.mean_duration_ms is not None else None,
                success_rate=float(row.success_rate or 0.0),
            )
            for row in connection.execute(per_tool)
        ]
    return Overview(task_logs=logs, workflows=workflows, tool_calls=sum(t.calls for t in tools), tools=tools)
