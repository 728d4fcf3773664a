"""tooltrack dashboard from the source tree: `streamlit run app.py` (`tooltrack dashboard` also sets up the database).

The navigation lives in the package (tooltrack/dashboard/navigation.py), shared with the main
script that an installed tooltrack serves (tooltrack/dashboard/entry/app.py). The pages live in
`tooltrack/dashboard/pages/`, not in a top-level `pages/` folder: Streamlit (1.67) runs a `pages/`
folder beside the main script as an old-style multipage app, without this script, when the first
visit after start is a deep link such as `/failures?tool=Bash`; st.navigation is then ignored
until someone opens the home page.
"""

from tooltrack.dashboard.navigation import run

run()
