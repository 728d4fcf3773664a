"""How numbers read on the dashboard: durations, shares, and changes against the previous period."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import urlencode


def duration(ms: float | None) -> str:
    """A duration for people: `850 ms`, `4.2 s`, `12.5 min`, `3.1 h`; an unknown one is `–`."""
    if ms is None:
        return "–"
    if ms < 1_000:
        return f"{ms:,.0f} ms"
    if ms < 60_000:
        return f"{ms / 1_000:,.1f} s"
    if ms < 3_600_000:
        return f"{ms / 60_000:,.1f} min"
    return f"{ms / 3_600_000:,.1f} h"


def percent(share: float | None) -> str:
    """A share in [0, 1] as `97.3%`; an undefined one (nothing to divide by) is `–`."""
    return "–" if share is None else f"{share:.1%}"


def count_change(now: int, before: int) -> str | None:
    """`+120 (+12.0%)` against the previous period; None when there is nothing to compare."""
    if now == before == 0:
        return None
    change = now - before
    if before == 0:
        return f"{change:+,} (new)"
    return f"{change:+,} ({change / before:+.1%})"


def duration_change(now_ms: float, before_ms: float) -> str | None:
    """The change of a total duration, signed, with its relative size."""
    if now_ms == before_ms == 0:
        return None
    change = now_ms - before_ms
    sign = "+" if change >= 0 else "-"
    relative = "new" if before_ms == 0 else f"{change / before_ms:+.1%}"
    return f"{sign}{duration(abs(change))} ({relative})"


def share_change(now: float | None, before: float | None) -> str | None:
    """The change of a share in percentage points (`+1.2 pp`); None when either side is undefined."""
    if now is None or before is None:
        return None
    return f"{(now - before) * 100:+.1f} pp"


def plural(count: int, noun: str) -> str:
    """`1 task log`, `2 task logs`, `1,000 tool calls`."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def workflow_href(adw_id: str) -> str:
    """A relative link to the workflow drill-down page for `adw_id` (URL-encoded, never a scheme)."""
    return "workflow?" + urlencode({"adw_id": adw_id})


def utc_time(moment: datetime | None) -> datetime | None:
    """An instant as a plain UTC time for a table column headed "(UTC)": no "+00:00" after it."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def dollars(usd: float | None) -> str:
    """Money for people: `$12.34`, small sums with the cents' first significant digits (`$0.0042`)."""
    if usd is None:
        return "–"
    if usd == 0 or abs(usd) >= 1:
        return f"${usd:,.2f}"
    return f"${usd:.2g}" if abs(usd) < 0.01 else f"${usd:.3f}"
