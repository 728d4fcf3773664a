"""The derived structures the store keeps beside `task_logs`, in one list.

Every write path (`repository.write_rows`, the COPY path of `bulk`) calls `DERIVED` in the insert's
own transaction, and `tooltrack rollups rebuild` recomputes each from `task_logs`. A new derived
structure is a `Maintainer` added here, and nowhere else.
"""

from __future__ import annotations

from typing import Final

from tooltrack.store import call_alerts, rollups
from tooltrack.store.derived import Registry

# The alerts come after the rollups: a rebuild of the rollups is done before theirs.
DERIVED: Final = Registry([rollups.MAINTAINER, call_alerts.MAINTAINER])
