"""The spool keeps whole lines when several processes append at once, and loses none to a replay's hand-over."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

from tests.helpers.processes import PYTHON, subprocess_env
from tooltrack.capture.replay import _take_spool
from tooltrack.capture.spool import Spool, dead_letter_path, default_spool_path

# A writer process: appends `count` payloads of `size` characters, each naming its writer and number.
WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from tooltrack.capture.spool import Spool
    path, writer, count, size = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    spool = Spool(Path(path))
    for n in range(count):
        filler = (writer * size)[: size + n % 97]  # lengths vary, most far above PIPE_BUF (4096)
        spool.append({"adw_id": writer, "n": n, "filler": filler})
    """
)


def _start_writer(path: Path, writer: str, count: int, size: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [PYTHON, "-c", WRITER, str(path), writer, str(count), str(size)], env=subprocess_env(), stderr=subprocess.PIPE
    )


def _check_lines(data: bytes) -> list[dict]:
    """Every line must be a whole payload whose filler matches its writer and number."""
    payloads = []
    for line in data.splitlines():
        payload = json.loads(line)  # a torn or interleaved line fails here
        writer, n = payload["adw_id"], payload["n"]
        assert payload["filler"] == (writer * 70_000)[: 70_000 + n % 97]
        payloads.append(payload)
    return payloads


def test_two_processes_appending_at_once_leave_only_whole_lines(spool: Spool) -> None:
    count, size = 150, 70_000
    writers = [_start_writer(spool.path, name, count, size) for name in ("A", "B")]
    for process in writers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    payloads = _check_lines(spool.path.read_bytes())
    assert len(payloads) == 2 * count
    for name in ("A", "B"):
        # Each writer's own lines arrive complete and in its own order.
        assert [p["n"] for p in payloads if p["adw_id"] == name] == list(range(count))


def test_taking_the_spool_while_others_append_loses_no_line(spool: Spool) -> None:
    count = 400
    writers = [_start_writer(spool.path, name, count, 70_000) for name in ("A", "B")]
    collected = b""
    while any(p.poll() is None for p in writers):
        taken = _take_spool(spool)  # what replay does: rename the spool away under its lock
        if taken is not None:
            collected += taken.read_bytes()
            taken.unlink()
    for process in writers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err.decode()
    if spool.path.exists():
        collected += spool.path.read_bytes()
    payloads = _check_lines(collected)
    assert sorted((p["adw_id"], p["n"]) for p in payloads) == sorted(
        (name, n) for name in ("A", "B") for n in range(count)
    )


def test_default_locations_follow_the_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("TOOLTRACK_SPOOL")
    monkeypatch.setenv("TOOLTRACK_HOME", str(tmp_path / "data"))
    assert default_spool_path() == tmp_path / "data" / "spool" / "task_logs.jsonl"
    monkeypatch.setenv("TOOLTRACK_SPOOL", str(tmp_path / "elsewhere.jsonl"))
    assert Spool().path == tmp_path / "elsewhere.jsonl"
    assert dead_letter_path(tmp_path / "elsewhere.jsonl") == tmp_path / "elsewhere.rejected.jsonl"


def test_dead_letter_keeps_the_payload_and_the_reason(spool: Spool) -> None:
    spool.dead_letter("phase_name: Field required", payload={"adw_id": "x"}, status=422, origin="test")
    spool.dead_letter("not JSON", raw_line="{oops", origin="spool line 3")
    records = [json.loads(line) for line in spool.dead_letter_path.read_text().splitlines()]
    assert records[0]["payload"] == {"adw_id": "x"}
    assert records[0]["reason"] == "phase_name: Field required"
    assert records[0]["status"] == 422
    assert records[1]["line"] == "{oops"
    assert records[1]["origin"] == "spool line 3"
    assert records[0]["rejected_at"].endswith("+00:00")
