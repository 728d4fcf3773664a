"""`/api/v1/observability`: storing and reading task logs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Response, status
from pydantic import BaseModel

from tooltrack.api.deps import ReadAuth, RepositoryDep, WriteAuth
from tooltrack.api.params import AdwIdQuery
from tooltrack.api.transient import RetryingRoute
from tooltrack.models import TaskLogCreate, TaskLogWithToolCalls

router = APIRouter(prefix="/api/v1/observability", tags=["observability"], route_class=RetryingRoute)

MAX_LOGS_PER_RUN = 10_000


class TaskLogStored(BaseModel):
    """The answer to a POST: the log's id, whether this request created it, and its calls.

    A call whose `call_id` is stored already (under any task log) is not stored again:
    `tool_calls_repeated` counts them. A log made only of such calls is not stored at all:
    `status` is "exists" and `id` names the task log that owns its first call.
    """

    id: int
    status: Literal["created", "exists"]
    tool_calls_stored: int
    tool_calls_repeated: int


class TaskLogList(BaseModel):
    adw_id: str
    count: int
    task_logs: list[TaskLogWithToolCalls]


@router.post(
    "/task-logs",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {"model": TaskLogStored, "description": "The same log was stored before: its existing id."},
        401: {"description": "TOOLTRACK_API_TOKEN is set and the bearer token is missing or wrong."},
        413: {"description": "The body is larger than TOOLTRACK_API_MAX_BODY_BYTES."},
        503: {"description": "The database is unavailable for the moment: send the same log again after Retry-After."},
    },
)
def create_task_log(log: TaskLogCreate, repository: RepositoryDep, response: Response, _: WriteAuth) -> TaskLogStored:
    """Store one task log with its tool calls. Posting the same log again stores nothing (200, same id);
    calls already stored under another log (by `call_id`) are not stored again."""
    result = repository.create(log)
    if not result.created:
        response.status_code = status.HTTP_200_OK
    return TaskLogStored(
        id=result.id,
        status="created" if result.created else "exists",
        tool_calls_stored=result.calls_stored,
        tool_calls_repeated=result.calls_repeated,
    )


@router.get(
    "/task-logs/{task_log_id}",
    dependencies=[ReadAuth],
    responses={404: {"description": "No task log has this id."}},
)
def get_task_log(
    task_log_id: Annotated[int, Path(ge=1, le=2**31 - 1)], repository: RepositoryDep
) -> TaskLogWithToolCalls:
    """One task log with every tool call."""
    log = repository.get(task_log_id)
    if log is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no task log with id {task_log_id}")
    return log


@router.get("/task-logs", dependencies=[ReadAuth])
def list_task_logs(
    adw_id: AdwIdQuery,
    repository: RepositoryDep,
    limit: Annotated[int, Query(ge=1, le=MAX_LOGS_PER_RUN)] = 1000,
) -> TaskLogList:
    """The task logs of one workflow run, in the order its phases ran."""
    logs = repository.list_by_adw_id(adw_id, limit=limit)
    return TaskLogList(adw_id=adw_id, count=len(logs), task_logs=logs)
