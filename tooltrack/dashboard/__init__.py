"""Dashboard helpers shared by `app.py` and the pages in `pages/`: data, filters, charts, text safety.

The pages are thin: each asks `DashboardData` (cached calls to the analytics service, keyed by the
data version) and draws the answers with `charts`.
"""

from tooltrack.dashboard.data import data_version, get_engine
from tooltrack.dashboard.filter_state import FilterState
from tooltrack.dashboard.ingest_run import IngestOutcome, ingest_uploads
from tooltrack.dashboard.loaders import DashboardData, current_data
from tooltrack.dashboard.text import chart_label, md

__all__ = [
    "DashboardData",
    "FilterState",
    "IngestOutcome",
    "chart_label",
    "current_data",
    "data_version",
    "get_engine",
    "ingest_uploads",
    "md",
]
