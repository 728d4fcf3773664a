"""The cost report names the models the price table does not know, with their tokens ("no price").

Their calls are attributed as any other (tooltrack.core.cost) and cost 0: without the names, a page
would show their tokens as free. Checked against the stored calls, on both databases.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from tooltrack.analytics import AnalyticsService, Filters
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

UNKNOWN = "acme-local-coder-v2"
KNOWN = "claude-sonnet-4-5-20250929"


def _log(adw_id: str, model: str, cost: float, tokens: list[int]) -> TaskLogCreate:
    when = datetime.now(UTC) - timedelta(days=1)
    calls = [
        ToolCallRecord(
            tool_name="Read",
            success=True,
            timestamp=when,
            file_path=f"f{n}.py",
            model=model,
            cost_usd=cost,
            cost_tokens=count,
        )
        for n, count in enumerate(tokens)
    ]
    return TaskLogCreate(
        adw_id=adw_id, phase_name="Build", phase_status="completed", started_at=when, tool_calls=calls, models=[model]
    )


def test_models_without_a_price_are_named_with_their_tokens(engine: Engine) -> None:
    repository = TaskLogRepository(engine)
    repository.create(_log("priced", KNOWN, 0.02, [1_000, 2_000]))
    repository.create(_log("unpriced", UNKNOWN, 0.0, [3_000, 4_500, 500]))
    report = AnalyticsService(engine).cost(Filters(days=7))
    assert [group.name for group in report.unpriced_models] == [UNKNOWN]
    [unpriced] = report.unpriced_models
    assert (unpriced.calls, unpriced.tokens, unpriced.cost_usd) == (3, 8_000, 0.0)
    assert report.unpriced_tokens == 8_000
    assert report.total_tokens == 11_000  # the tokens count; only their dollars are unknown
