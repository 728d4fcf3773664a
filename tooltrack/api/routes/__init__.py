"""One router per resource."""

from tooltrack.api.routes.alerts import router as alerts_router
from tooltrack.api.routes.hooks import router as hooks_router
from tooltrack.api.routes.observability import router as observability_router
from tooltrack.api.routes.runs import router as runs_router
from tooltrack.api.routes.stream import router as stream_router
from tooltrack.api.routes.tool_analytics import router as tool_analytics_router

__all__ = [
    "alerts_router",
    "hooks_router",
    "observability_router",
    "runs_router",
    "stream_router",
    "tool_analytics_router",
]
