"""tooltrack dashboard: `streamlit run app.py` (or `tooltrack dashboard`, which also sets up the database)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

st.set_page_config(page_title="tooltrack", page_icon="🛠️", layout="wide")

PAGES = Path(__file__).parent / "pages"

navigation = st.navigation(
    [
        st.Page(PAGES / "overview.py", title="Overview", icon="📊", default=True),
    ]
)
navigation.run()
