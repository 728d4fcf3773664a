"""The client's verdicts and retries (httpx.MockTransport), and log_task_completion's fallbacks."""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from tooltrack import ToolCallTracker, log_task_completion
from tooltrack.capture.client import TASK_LOGS_PATH, TaskLogClient
from tooltrack.capture.sender import TaskLogSender
from tooltrack.capture.spool import Spool
from tooltrack.models import TaskLogCreate

Handler = Callable[[httpx.Request], httpx.Response]


class FakeAPI:
    """Answers from a script, one per request, and remembers what it was sent."""

    def __init__(self, *answers: int | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if answer in (200, 201):
            return httpx.Response(answer, json={"id": 7, "status": "created" if answer == 201 else "exists"})
        if answer == 422:
            return httpx.Response(
                422,
                json={
                    "detail": [{"field": "phase_name", "message": "Field required"}],
                    "message": "phase_name: Field required",
                },
            )
        return httpx.Response(answer, text="busy")

    @property
    def bodies(self) -> list[dict]:
        return [json.loads(r.content) for r in self.requests]


def _client(api: FakeAPI, **options) -> TaskLogClient:
    waits: list[float] = []
    client = TaskLogClient("http://api.test", transport=httpx.MockTransport(api), sleep=waits.append, **options)
    client.waits = waits  # type: ignore[attr-defined]
    return client


def test_created_and_duplicate_are_accepted_with_the_id() -> None:
    api = FakeAPI(201, 200)
    client = _client(api, token="s3cret")
    first, second = client.post({"a": 1}), client.post({"a": 1})
    assert (first.status, first.id, first.accepted) == ("created", 7, True)
    assert (second.status, second.accepted) == ("duplicate", True)
    assert api.requests[0].url.path == TASK_LOGS_PATH
    assert api.requests[0].headers["authorization"] == "Bearer s3cret"


def test_server_errors_and_refused_connections_are_retried_with_growing_waits() -> None:
    api = FakeAPI(503, httpx.ConnectError("refused"), 201)
    client = _client(api, retries=2, backoff=0.1)
    result = client.post({"a": 1})
    assert result.status == "created"
    assert len(api.requests) == 3
    assert client.waits == [0.1, 0.2]  # type: ignore[attr-defined]


def test_after_the_last_retry_the_verdict_is_failed() -> None:
    api = FakeAPI(httpx.ConnectTimeout("slow"))
    client = _client(api, retries=2)
    result = client.post({"a": 1})
    assert result.status == "failed" and not result.accepted
    assert "ConnectTimeout" in result.reason
    assert len(api.requests) == 3


def test_invalid_payloads_and_auth_failures_are_not_retried() -> None:
    rejected = _client(api := FakeAPI(422), retries=3).post({"a": 1})
    assert (rejected.status, rejected.reason, len(api.requests)) == ("rejected", "phase_name: Field required", 1)
    unauthorized = _client(api := FakeAPI(401), retries=3).post({"a": 1})
    assert (unauthorized.status, unauthorized.http_status, len(api.requests)) == ("failed", 401, 1)


def _sender(api: FakeAPI, spool: Spool) -> TaskLogSender:
    return TaskLogSender(_client(api, retries=1), spool)


def _spooled(spool: Spool) -> list[dict]:
    return [json.loads(line) for line in spool.path.read_text().splitlines()] if spool.path.exists() else []


def test_log_task_completion_posts_a_valid_payload_with_a_client_key(spool: Spool) -> None:
    api = FakeAPI(201)
    tracker = ToolCallTracker()
    tracker.record_tool_call("Bash", 12, True, command="ls")
    tracker.record_tool_call("Read", 3, True, file_path="a.py", mood="calm")
    outcome = log_task_completion(
        "adw-1", 42, "Build", 3, True, "built", tool_calls=tracker, sender=_sender(api, spool),
        workflow_template="sdlc", tokens_used=900,
    )  # fmt: skip
    assert outcome == "created"
    (body,) = api.bodies
    log = TaskLogCreate.model_validate(body)  # what was sent is a valid TaskLogCreate
    assert (log.adw_id, log.issue_number, log.phase_name, log.phase_number) == ("adw-1", 42, "Build", 3)
    assert (log.phase_status, log.workflow_template, log.tokens_used, log.source) == (
        "completed",
        "sdlc",
        900,
        "tracker",
    )
    assert log.log_key and log.log_key.startswith("tracker:")
    assert [c.tool_name for c in log.tool_calls] == ["Bash", "Read"]
    assert log.tool_calls[1].parameters == {"mood": "calm"}
    assert log.started_at is not None and log.completed_at is not None and log.started_at <= log.completed_at
    assert not spool.path.exists()


def test_an_unreachable_api_sends_the_payload_to_the_spool_and_the_workflow_goes_on(spool: Spool) -> None:
    api = FakeAPI(httpx.ConnectError("refused"))
    outcome = log_task_completion("adw-1", 1, "Test", 4, False, "tests failed", "2 failed", sender=_sender(api, spool))
    assert outcome == "spooled"
    (line,) = _spooled(spool)
    assert line == api.bodies[0]  # the very payload it tried to post, key included
    assert line["phase_status"] == "failed" and line["error_message"] == "2 failed"
    assert len(api.requests) == 2  # one try and one retry


def test_a_payload_the_api_refuses_goes_to_the_dead_letter_file(spool: Spool) -> None:
    api = FakeAPI(422)
    outcome = log_task_completion("adw-1", 1, "Plan", 1, True, "ok", sender=_sender(api, spool))
    assert outcome == "dead_lettered"
    (record,) = [json.loads(line) for line in spool.dead_letter_path.read_text().splitlines()]
    assert record["reason"] == "phase_name: Field required"
    assert record["payload"]["adw_id"] == "adw-1"
    assert not spool.path.exists()


def test_a_payload_invalid_at_the_top_level_is_dead_lettered_without_posting(spool: Spool) -> None:
    api = FakeAPI(201)
    outcome = log_task_completion("", 1, "Plan", 1, True, "ok", sender=_sender(api, spool))
    assert outcome == "dead_lettered"
    assert api.requests == []
    (record,) = [json.loads(line) for line in spool.dead_letter_path.read_text().splitlines()]
    assert record["reason"].startswith("adw_id:")


def test_background_mode_returns_at_once_and_close_sends_everything(spool: Spool) -> None:
    api = FakeAPI(201)
    sender = _sender(api, spool)
    outcomes = [
        log_task_completion("adw-bg", 1, f"P{n}", n, True, "ok", background=True, sender=sender) for n in range(20)
    ]
    assert set(outcomes) == {"queued"}
    sender.background().close()
    assert sorted(b["phase_name"] for b in api.bodies) == sorted(f"P{n}" for n in range(20))
    assert not spool.path.exists()


def test_background_mode_spools_what_it_cannot_send_before_the_deadline(spool: Spool) -> None:
    api = FakeAPI(httpx.ConnectError("refused"))
    sender = _sender(api, spool)
    worker = sender.background()
    worker.drain_seconds = 0.0  # as if the exit deadline ran out at once
    for n in range(5):
        log_task_completion("adw-bg", 1, f"P{n}", n, True, "ok", background=True, sender=sender)
    worker.close()
    assert sorted(p["phase_name"] for p in _spooled(spool)) == [f"P{n}" for n in range(5)]


@pytest.mark.parametrize("answer", [500, 404])
def test_other_failures_spool_too(spool: Spool, answer: int) -> None:
    outcome = log_task_completion("adw-1", 1, "Plan", 1, True, "ok", sender=_sender(FakeAPI(answer), spool))
    assert outcome == "spooled"
    assert len(_spooled(spool)) == 1


def test_a_bad_optional_field_is_dropped_and_the_log_still_sent(spool: Spool, caplog) -> None:
    api = FakeAPI(201)
    outcome = log_task_completion(
        "adw-1", 1, "Plan", 1, True, "ok", sender=_sender(api, spool), tokens_used=-3, colour="blue", cost_usd=0.5
    )
    assert outcome == "created"
    (body,) = api.bodies
    assert "tokens_used" not in body and "colour" not in body and body["cost_usd"] == 0.5
    assert "tokens_used" in caplog.text and "colour" in caplog.text
