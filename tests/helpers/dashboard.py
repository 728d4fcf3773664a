"""The dashboard's pages as the AppTest tests know them, and the type of the `open_page` fixture."""

from __future__ import annotations

from collections.abc import Callable

from streamlit.testing.v1 import AppTest

#: url path -> (page file, title), as app.py's navigation has them.
PAGES: dict[str, tuple[str, str]] = {
    "runs": ("tooltrack/dashboard/pages/runs.py", "Runs"),
    "overview": ("tooltrack/dashboard/pages/overview.py", "Overview"),
    "live": ("tooltrack/dashboard/pages/live.py", "Live"),
    "tools": ("tooltrack/dashboard/pages/tools.py", "Tools and latency"),
    "failures": ("tooltrack/dashboard/pages/failures.py", "Failures"),
    "redundancy": ("tooltrack/dashboard/pages/redundancy.py", "Redundancy"),
    "cost": ("tooltrack/dashboard/pages/cost.py", "Cost"),
    "sequences": ("tooltrack/dashboard/pages/sequences.py", "Sequences"),
    "alerts": ("tooltrack/dashboard/pages/alerts.py", "Alerts"),
    "workflow": ("tooltrack/dashboard/pages/workflow.py", "Workflow drill-down"),
    "ingest": ("tooltrack/dashboard/pages/ingest.py", "Ingest"),
}

#: `open_page(name, query=None)`: the page `name` opened through the navigation, after its run.
OpenPage = Callable[..., AppTest]


def rerun_fragments(at: AppTest) -> AppTest:
    """Run only the fragments the last run registered, as a `run_every` timer does in a browser.

    AppTest has no call for it (1.67): its runner builds the run's `RerunData` itself, so for this
    one run it gets the fragment ids as well, and the script runner then runs those fragments and
    not the page. The elements afterwards are the fragments' alone.
    """
    from unittest import mock

    from streamlit.runtime.scriptrunner_utils.script_requests import RerunData
    from streamlit.testing.v1 import local_script_runner

    fragment_ids = list(at._fragment_storage._fragments)
    assert fragment_ids, "the last run registered no fragment"

    def fragment_rerun(**fields: object) -> RerunData:
        return RerunData(**fields, fragment_id_queue=fragment_ids, is_auto_rerun=True)  # type: ignore[arg-type]

    with mock.patch.object(local_script_runner, "RerunData", fragment_rerun):
        return at.run()
