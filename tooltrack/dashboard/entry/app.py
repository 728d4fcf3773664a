"""The dashboard's main script inside the installed package: what `tooltrack dashboard` serves.

Alone in its folder on purpose (no `pages/` beside it): see tooltrack/dashboard/navigation.py.
"""

from tooltrack.dashboard.navigation import run

run()
