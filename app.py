"""tooltrack dashboard: `streamlit run app.py` (or `tooltrack dashboard`, which also sets up the database).

The pages live in `tooltrack/dashboard/pages/`, not in a top-level `pages/` folder: Streamlit
(1.67) runs a top-level `pages/` folder as an old-style multipage app, without this script, when
the first visit after start is a deep link such as `/failures?tool=Bash`; st.navigation below is
then ignored until someone opens the home page.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="tooltrack", page_icon=":material/build:", layout="wide")

PAGES = Path(__file__).parent / "tooltrack" / "dashboard" / "pages"

navigation = st.navigation(
    {
        "Tool usage": [
            st.Page(PAGES / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
            st.Page(PAGES / "tools.py", title="Tools and latency", icon=":material/timer:", url_path="tools"),
            st.Page(PAGES / "failures.py", title="Failures", icon=":material/error:", url_path="failures"),
            st.Page(PAGES / "redundancy.py", title="Redundancy", icon=":material/repeat:", url_path="redundancy"),
            st.Page(PAGES / "sequences.py", title="Sequences", icon=":material/account_tree:", url_path="sequences"),
        ],
        "One run": [
            st.Page(PAGES / "workflow.py", title="Workflow drill-down", icon=":material/search:", url_path="workflow"),
        ],
        "Data": [
            st.Page(PAGES / "ingest.py", title="Ingest", icon=":material/upload_file:", url_path="ingest"),
        ],
    }
)
navigation.run()
