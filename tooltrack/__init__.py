"""tooltrack: tool-call analytics for AI coding agents.

The pipeline, one subpackage a stage: capture -> ingest -> store -> analytics -> api / dashboard.

Public names load on first use (PEP 562): `tooltrack hook` runs on every tool call of an agent and
imports `tooltrack.capture.*`, which must not pay ~100 ms for pydantic each time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tooltrack.capture import ToolCallTracker, log_task_completion
    from tooltrack.models import (
        KNOWN_TOOLS,
        TaskLogCreate,
        TaskLogWithToolCalls,
        ToolCallRecord,
        describe_validation_error,
    )

from tooltrack.core import VERSION as __version__

_EXPORTS = {
    "KNOWN_TOOLS": "tooltrack.models",
    "TaskLogCreate": "tooltrack.models",
    "TaskLogWithToolCalls": "tooltrack.models",
    "ToolCallRecord": "tooltrack.models",
    "ToolCallTracker": "tooltrack.capture",
    "describe_validation_error": "tooltrack.models",
    "log_task_completion": "tooltrack.capture",
}

__all__ = [
    "KNOWN_TOOLS",
    "TaskLogCreate",
    "TaskLogWithToolCalls",
    "ToolCallRecord",
    "ToolCallTracker",
    "__version__",
    "describe_validation_error",
    "log_task_completion",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tooltrack' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
