"""The dashboard's pages as the AppTest tests know them, and the type of the `open_page` fixture."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

#: url path -> (page file, title), as app.py's navigation has them.
PAGES: dict[str, tuple[str, str]] = {
    "runs": ("tooltrack/dashboard/pages/runs.py", "Runs"),
    "overview": ("tooltrack/dashboard/pages/overview.py", "Overview"),
    "tools": ("tooltrack/dashboard/pages/tools.py", "Tools and latency"),
    "failures": ("tooltrack/dashboard/pages/failures.py", "Failures"),
    "redundancy": ("tooltrack/dashboard/pages/redundancy.py", "Redundancy"),
    "cost": ("tooltrack/dashboard/pages/cost.py", "Cost"),
    "sequences": ("tooltrack/dashboard/pages/sequences.py", "Sequences"),
    "workflow": ("tooltrack/dashboard/pages/workflow.py", "Workflow drill-down"),
    "ingest": ("tooltrack/dashboard/pages/ingest.py", "Ingest"),
}

#: `open_page(name, query=None)`: the page `name` opened through the navigation, after its run.
OpenPage = Callable[..., AppTest]
