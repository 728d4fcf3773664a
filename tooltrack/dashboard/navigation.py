"""The dashboard's pages and their navigation: what every Streamlit main script of tooltrack runs.

Two main scripts call `run()`: `tooltrack/dashboard/entry/app.py`, inside the installed package
(what `tooltrack dashboard` serves, from a wheel as from the source tree), and the top-level
`app.py` of the repository (`streamlit run app.py`). Neither sits beside a `pages/` folder, on
purpose: Streamlit (1.67) runs a `pages/` folder beside the main script as an old-style multipage
app, without the main script, when the first visit after start is a deep link such as
`/failures?tool=Bash`; st.navigation below is then ignored until someone opens the home page. So
the page scripts live in `tooltrack/dashboard/pages/` and the packaged main script in a folder of
its own (Streamlit also puts the main script's folder on sys.path: that one holds nothing else).
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import streamlit as st

#: The page scripts. Absolute, so links to a page work whichever main script is running.
PAGES: Final = Path(__file__).resolve().parent / "pages"


#: What follows the page's own title in the browser tab ("Failures · tooltrack").
APP_NAME: Final = "tooltrack"


def run() -> None:
    """Set up the page and run the page the visitor asked for (the Overview by default)."""
    st.set_page_config(page_title=APP_NAME, page_icon=":material/build:", layout="wide")
    navigation = st.navigation(
        {
            # The engineer's starting point: find the run, then open it.
            "Runs": [
                st.Page(PAGES / "runs.py", title="Runs", icon=":material/list:", url_path="runs"),
                st.Page(
                    PAGES / "workflow.py", title="Workflow drill-down", icon=":material/search:", url_path="workflow"
                ),
            ],
            "Tool usage": [
                st.Page(PAGES / "overview.py", title="Overview", icon=":material/monitoring:", default=True),
                st.Page(PAGES / "live.py", title="Live", icon=":material/sensors:", url_path="live"),
                st.Page(PAGES / "tools.py", title="Tools and latency", icon=":material/timer:", url_path="tools"),
                st.Page(PAGES / "failures.py", title="Failures", icon=":material/error:", url_path="failures"),
                st.Page(PAGES / "redundancy.py", title="Redundancy", icon=":material/repeat:", url_path="redundancy"),
                st.Page(PAGES / "cost.py", title="Cost", icon=":material/payments:", url_path="cost"),
                st.Page(
                    PAGES / "sequences.py", title="Sequences", icon=":material/account_tree:", url_path="sequences"
                ),
                st.Page(PAGES / "alerts.py", title="Alerts", icon=":material/notifications:", url_path="alerts"),
            ],
            "Data": [
                st.Page(PAGES / "ingest.py", title="Ingest", icon=":material/upload_file:", url_path="ingest"),
            ],
        }
    )
    # Each tab says which page it shows: set_page_config calls add up, and this one runs after
    # st.navigation has picked the page (the first call's fixed title named every tab alike).
    st.set_page_config(page_title=f"{navigation.title} · {APP_NAME}")
    navigation.run()
