"""The drill-down marks a phase whose time is approximate (its source had no timestamps) and says from what."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from tests.helpers.claude_files import copy_written
from tests.helpers.dashboard import OpenPage
from tooltrack.ingest import ingest_file

#: Two agents of one real ADW run (Claude Code 2.1.42 stream-json: no timestamps), and one real
#: stream-json output with timestamps (Claude Code 2.1.212), ingested under the same adw_id.
RUN = "real/case6-stream-json-adw/2048-adw-1be417b6-v2.1.42"
WRITTEN = datetime(2026, 2, 14, 9, 45, tzinfo=UTC)


def test_a_phase_dated_by_its_file_says_so_and_a_dated_one_does_not(
    app_env: Engine, open_page: OpenPage, fixtures_dir: Path, tmp_path: Path
) -> None:
    for agent in ("issue_classifier", "branch_generator"):
        path = copy_written(
            fixtures_dir / RUN / agent / "raw_output.jsonl", tmp_path / agent / "raw_output.jsonl", WRITTEN
        )
        ingest_file(app_env, path, adw_id="1be417b6", phase=agent)
    ingest_file(app_env, fixtures_dir / "claude-stream-json/review-node.jsonl", adw_id="1be417b6", phase="review")
    at = open_page("workflow", {"adw_id": "1be417b6"})
    assert not at.exception
    [phases] = [t.value for t in at.dataframe if "Started (UTC)" in t.value.columns]
    plain = phases.astype(object).where(phases.notna(), None)
    marks = dict(zip(plain["Phase"], plain["Time"], strict=True))
    assert marks == {
        "issue_classifier": "time approximate (from the file's modification time)",
        "branch_generator": "time approximate (from the file's modification time)",
        "review": None,
    }
    assert any("2 of 3 phases had no timestamps of their own" in c.value for c in at.caption)
