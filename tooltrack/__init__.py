"""tooltrack: tool-call analytics for AI coding agents.

The pipeline, one subpackage a stage: capture -> ingest -> store -> analytics -> api / dashboard.
"""

from tooltrack.models import (
    KNOWN_TOOLS,
    TaskLogCreate,
    TaskLogWithToolCalls,
    ToolCallRecord,
    describe_validation_error,
)

__version__ = "0.1.0"

__all__ = [
    "KNOWN_TOOLS",
    "TaskLogCreate",
    "TaskLogWithToolCalls",
    "ToolCallRecord",
    "__version__",
    "describe_validation_error",
]
