"""tooltrack dashboard: `streamlit run app.py` (or `tooltrack dashboard`, which also sets up the database).

Pages live in `pages/`; each one reads the analytics service through `tooltrack.dashboard`.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="tooltrack", page_icon="🛠️", layout="wide")

PAGES = Path(__file__).parent / "pages"

navigation = st.navigation(
    {
        "Tool usage": [
            st.Page(PAGES / "overview.py", title="Overview", icon="📊", url_path="overview", default=True),
            st.Page(PAGES / "tools.py", title="Tools and latency", icon="⏱️", url_path="tools"),
            st.Page(PAGES / "failures.py", title="Failures", icon="❌", url_path="failures"),
            st.Page(PAGES / "redundancy.py", title="Redundancy", icon="🔁", url_path="redundancy"),
            st.Page(PAGES / "sequences.py", title="Sequences", icon="🔀", url_path="sequences"),
        ],
        "One run": [
            st.Page(PAGES / "workflow.py", title="Workflow drill-down", icon="🔎", url_path="workflow"),
        ],
        "Data": [
            st.Page(PAGES / "ingest.py", title="Ingest", icon="📥", url_path="ingest"),
        ],
    }
)
navigation.run()
