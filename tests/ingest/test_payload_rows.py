"""The bulk ingest's dict validator agrees with the models: same rows, same errors, same keys.

`payload_rows.validate_row` must accept exactly what `TaskLogCreate` accepts and give exactly its
`model_dump(mode="json", exclude_none=True)`; otherwise a file ingested in bulk and the same log
posted to the API would be stored differently or twice.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_serializer, field_validator
from sqlalchemy import Engine, text

from tests.helpers.hostile import json_values
from tests.helpers.logs import make_payload
from tests.helpers.sample_data import task_log
from tooltrack.ingest import ingest_file, payload_rows
from tooltrack.ingest import pipeline as ingest_pipeline
from tooltrack.ingest.payload_rows import validate_row
from tooltrack.models import TaskLogCreate
from tooltrack.store import bulk
from tooltrack.store.bulk import keyed_row
from tooltrack.store.dialects import dialect_of
from tooltrack.store.keys import task_log_key


def _through_the_model(data: bytes) -> dict[str, Any]:
    return TaskLogCreate.model_validate_json(data).model_dump(mode="json", exclude_none=True)


def _outcome(validate: Any, data: bytes) -> Any:
    try:
        return ("ok", validate(data))
    except ValidationError as exc:
        return ("error", [(e["loc"], e["type"], e["msg"]) for e in exc.errors()])


def test_every_field_of_every_tool_gives_the_model_dump() -> None:
    data = task_log().model_dump_json().encode()
    row = validate_row(data)
    assert row == _through_the_model(data)
    assert len(row["tool_calls"]) == len(task_log().tool_calls) > 5


def test_missing_tool_calls_default_to_an_empty_list_like_the_model() -> None:
    data = json.dumps({"adw_id": "a", "phase_name": "Plan", "phase_status": "completed"}).encode()
    assert (
        validate_row(data)
        == _through_the_model(data)
        == {
            "adw_id": "a",
            "phase_name": "Plan",
            "phase_status": "completed",
            "tool_calls": [],
        }
    )


def test_the_content_key_is_the_models_key() -> None:
    for i in range(1, 6, 2):  # odd logs carry no client key: the content hash decides
        data = orjson.dumps(make_payload(i, calls=7))
        assert keyed_row(validate_row(data))["log_key"] == task_log_key(TaskLogCreate.model_validate_json(data))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    index=st.integers(0, 50),
    calls=st.integers(0, 4),
    where=st.sampled_from(["log", "call"]),
    field=st.text(max_size=20) | st.sampled_from(["duration_ms", "timestamp", "tool_name", "parameters", "exit_code"]),
    value=json_values,
)
def test_mutated_payloads_get_the_same_answer_both_ways(
    index: int, calls: int, where: str, field: str, value: Any
) -> None:
    payload = make_payload(index, calls=calls)
    target = payload["tool_calls"][0] if where == "call" and payload["tool_calls"] else payload
    target[field] = value
    try:
        data = orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:  # not JSON at all (e.g. an integer beyond 64 bits): nothing to compare
        data = json.dumps(payload).encode()
    assert _outcome(validate_row, data) == _outcome(_through_the_model, data)


def test_a_big_file_is_stored_in_bounded_transactions_two_at_once_on_postgresql(
    engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "logs.jsonl"
    path.write_bytes(b"".join(orjson.dumps(make_payload(i, calls=3, namespace="batches")) + b"\n" for i in range(25)))
    monkeypatch.setattr(ingest_pipeline, "BATCH_LOGS", 10)
    sizes: list[int] = []
    writers: set[str] = set()
    original = bulk.write_prepared

    def counting(connection: Any, batch: bulk.PreparedBatch) -> Any:
        sizes.append(len(batch.rows))
        writers.add(threading.current_thread().name)
        time.sleep(0.2)  # a slow database: the next batch is taken by the other writer, if there is one
        return original(connection, batch)

    monkeypatch.setattr(ingest_pipeline, "write_prepared", counting)
    report = ingest_file(engine, path)
    assert report.ok and report.task_logs_stored == 25 and report.tool_calls_stored == 75
    # At most one batch (10 logs) per transaction; two writers split each batch between them by key.
    assert sum(sizes) == 25 and max(sizes) <= 10
    if engine.dialect.name != "postgresql":
        assert sizes == [10, 10, 5]
    # PostgreSQL writes two batches at once on two connections; SQLite (one write lock) one.
    assert len(writers) == dialect_of(engine).concurrent_writers == (2 if engine.dialect.name == "postgresql" else 1)


def test_an_error_in_one_log_costs_only_its_line(
    engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not only database errors: whatever fails while storing one log is that line's rejection."""
    from tooltrack.store import DERIVED

    path = tmp_path / "logs.jsonl"
    payloads = [make_payload(i, calls=2, namespace="faulty") for i in range(6)]
    payloads[3]["adw_id"] = "explodes"
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in payloads))
    original = DERIVED.after_insert

    def faulty(connection: Any, inserted: Any) -> None:
        if any(log.adw_id == "explodes" for log in inserted):
            raise TypeError("a maintainer cannot take this log")
        original(connection, inserted)

    monkeypatch.setattr(DERIVED, "after_insert", faulty)
    report = ingest_file(engine, path)
    assert report.task_logs_stored == 5 and report.tool_calls_stored == 10
    assert [(r.line, r.reason) for r in report.rejected] == [
        (4, "could not be stored: TypeError: a maintainer cannot take this log")
    ]
    assert ingest_file(engine, path).task_logs_stored == 0  # the five are stored, once


def test_the_first_copy_of_a_key_in_the_file_is_the_one_stored(
    engine: Engine, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With two writers, copies of one key still go through one writer in file order."""
    path = tmp_path / "logs.jsonl"
    lines = []
    for i, version in enumerate(["version A", "other 1", "version B", "other 2", "other 3"]):
        payload = make_payload(i, calls=1, namespace="order")
        payload["log_message"] = version
        payload["log_key"] = "the-same-key" if version.startswith("version") else f"order-{i}"
        lines.append(orjson.dumps(payload) + b"\n")
    path.write_bytes(b"".join(lines))
    monkeypatch.setattr(ingest_pipeline, "BATCH_LOGS", 1)  # every line its own batch
    original = bulk.write_prepared

    def slow_first(connection: Any, batch: bulk.PreparedBatch) -> Any:
        if any(row.get("log_message") == "version A" for row in batch.rows):
            time.sleep(0.5)  # the other writer, if it had the later copy, would commit it first
        return original(connection, batch)

    monkeypatch.setattr(ingest_pipeline, "write_prepared", slow_first)
    report = ingest_file(engine, path)
    assert report.task_logs_stored == 4 and report.duplicate_task_logs == 1
    with engine.connect() as connection:
        kept = connection.execute(text("SELECT log_message FROM task_logs WHERE log_key = 'the-same-key'")).scalar_one()
    assert kept == "version A"


class _WithValidatorMethod(BaseModel):
    name: str

    @field_validator("name")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class _WithSerializer(BaseModel):
    name: str

    @field_serializer("name")
    def _shown(self, value: str) -> str:
        return value.lower()


class _WithAlias(BaseModel):
    name: str = Field(alias="Name")


class _WithOtherConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str


@pytest.mark.parametrize(
    ("model", "named"),
    [
        (_WithValidatorMethod, "validator methods"),
        (_WithSerializer, "serializers"),
        (_WithAlias, "aliases or excluded fields"),
        (_WithOtherConfig, "config str_strip_whitespace"),
    ],
)
def test_a_model_feature_the_derivation_would_skip_fails_at_import(model: type[BaseModel], named: str) -> None:
    # Each of these changes what the model accepts or dumps, and a derived TypedDict would not.
    with pytest.raises(TypeError, match=named):
        payload_rows._typed_dict_of(model)
    # ... while the real models pass (the module imported) and derive fine.
    assert payload_rows._typed_dict_of(TaskLogCreate) is not None
