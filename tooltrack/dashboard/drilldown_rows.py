"""The drill-down's calls as the page shows them: one run-wide numbering, sub-agents under their Task.

Numbers run from 1 over the whole run in call order (phase by phase, each phase's calls in their
stored order), the same in every table, in the timeline and in the context chart, so "#12" names
one call everywhere on the page. A call a sub-agent made (`parent_call_id` names a Task call of
the run) is shown under that Task: in the call table right after it (and after its earlier
sub-agent calls), on the timeline in a lane of its own under the phase. No Streamlit here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tooltrack.analytics import DrillDown, DrillDownCall, DrillDownLog

MAIN: Final = "main"


@dataclass(frozen=True, slots=True)
class Numbered:
    """One call of the run with its run-wide number and where it belongs."""

    number: int
    log: DrillDownLog
    call: DrillDownCall
    task: int | None
    """The number of the Task call whose sub-agent made this call; None for the main agent's."""
    subagent: str | None
    """That Task's sub-agent type, when the Task says."""

    @property
    def agent(self) -> str:
        """`main`, or `Explore (#12)`: the sub-agent and the number of its Task."""
        if self.task is None:
            return MAIN
        return f"{self.subagent or 'sub-agent'} (#{self.task})"

    @property
    def lane(self) -> str:
        """The timeline row: the phase, or the phase's lane of one Task's sub-agent."""
        if self.task is None:
            return self.log.phase_name
        return f"{self.log.phase_name} › #{self.task} {self.subagent or 'sub-agent'}"

    @property
    def outcome(self) -> str:
        return self.call.outcome or ("cancelled" if self.call.cancelled else "ok" if self.call.success else "error")

    def detail(self, name: str) -> object:
        return self.call.details.get(name)


def numbered(drill: DrillDown) -> list[Numbered]:
    """Every call of the run in call order, numbered from 1, each knowing the Task it ran under."""
    made: list[Numbered] = []
    tasks: dict[str, Numbered] = {}
    for log in drill.task_logs:
        for call in log.calls:
            parent = call.details.get("parent_call_id")
            task = tasks.get(parent) if isinstance(parent, str) else None
            item = Numbered(
                number=len(made) + 1,
                log=log,
                call=call,
                task=None if task is None else task.number,
                subagent=None if task is None else _subagent_type(task.call),
            )
            made.append(item)
            call_id = call.details.get("call_id")
            if isinstance(call_id, str):
                tasks.setdefault(call_id, item)
    return made


def _subagent_type(call: DrillDownCall) -> str | None:
    kind = call.details.get("subagent_type")
    return str(kind) if kind else None


def nested(calls: list[Numbered]) -> list[Numbered]:
    """The calls in table order: each main-agent call in turn, each Task followed by the calls of
    its sub-agent (in their own order, themselves nested when a sub-agent started a Task)."""
    children: dict[int, list[Numbered]] = {}
    roots: list[Numbered] = []
    for item in calls:
        if item.task is None:
            roots.append(item)
        else:
            children.setdefault(item.task, []).append(item)
    ordered: list[Numbered] = []

    def visit(item: Numbered) -> None:
        ordered.append(item)
        for child in children.get(item.number, []):
            visit(child)

    for root in roots:
        visit(root)
    return ordered


def lanes(calls: list[Numbered]) -> list[str]:
    """The timeline's rows, top to bottom: each phase, then the lanes of its Tasks' sub-agents."""
    order: dict[str, list[str]] = {}
    for item in calls:
        order.setdefault(item.log.phase_name, [])
        if item.task is not None and item.lane not in order[item.log.phase_name]:
            order[item.log.phase_name].append(item.lane)
    return [lane for phase, subs in order.items() for lane in (phase, *subs)]
