"""Task-log payloads validated by the models' own rules straight into plain dicts (bulk ingest).

`TaskLogCreate.model_validate_json(line).model_dump(mode="json", exclude_none=True)` builds one
model instance per tool call and then takes every one apart again; for a 1 GB tooltrack JSONL
file that is most of the Python time. Here the same line is validated against TypedDicts derived
from `TaskLogCreate` and `ToolCallRecord` (each field's annotation with its constraints and
validators, the models' config), so pydantic-core hands back dicts, and one serializer pass gives
the JSON form. The result is exactly `model_dump(mode="json", exclude_none=True)` of the model:
the same accepted lines, the same error paths and messages, the same content keys (tests compare
both on the shared fixtures and on generated payloads).

The derivation relies on the models keeping every rule in `Annotated` metadata (models.py says
so); a validator method would be silently skipped here, so one makes this module fail at import.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final, NotRequired, cast

from pydantic import BaseModel, ConfigDict, TypeAdapter
from typing_extensions import TypedDict

from tooltrack.models import TaskLogCreate, ToolCallRecord, field_type


def _typed_dict_of(model: type[BaseModel], replace: dict[str, Any] | None = None) -> type:
    """A TypedDict with `model`'s fields, rules and config; `replace` swaps a field's type."""
    _refuse_what_would_be_skipped(model)
    fields: dict[str, Any] = {}
    for name, field in model.model_fields.items():
        annotation = field_type(model, name, (replace or {}).get(name))
        fields[name] = annotation if field.is_required() else NotRequired[annotation]
    typed = TypedDict(f"{model.__name__}Dict", fields)  # type: ignore[operator, misc]
    config = model.model_config
    typed.__pydantic_config__ = ConfigDict(  # type: ignore[attr-defined]
        extra=config.get("extra"), allow_inf_nan=config.get("allow_inf_nan", True)
    )
    return cast(type, typed)


#: Model config this derivation carries over; any other key would be silently dropped.
_CARRIED_CONFIG: Final = frozenset({"extra", "allow_inf_nan"})


def _refuse_what_would_be_skipped(model: type[BaseModel]) -> None:
    """Fail at import if `model` uses anything the derived TypedDict would not reproduce."""
    decorators = model.__pydantic_decorators__
    found = [
        kind
        for kind, present in (
            ("validator methods", decorators.field_validators or decorators.model_validators or decorators.validators),
            ("serializers", decorators.field_serializers or decorators.model_serializers),
            ("computed fields", decorators.computed_fields),
            (
                "config " + ", ".join(sorted(set(model.model_config) - _CARRIED_CONFIG)),
                set(model.model_config) - _CARRIED_CONFIG,
            ),
            (
                "aliases or excluded fields",
                any(
                    f.alias or f.validation_alias or f.serialization_alias or f.exclude
                    for f in model.model_fields.values()
                ),
            ),
        )
        if present
    ]
    if found:
        raise TypeError(
            f"{model.__name__} uses {'; '.join(found)}, which the bulk ingest's derived validator would skip: "
            "express rules as Annotated metadata (see tooltrack/models.py) or teach tooltrack/ingest/payload_rows.py"
        )


def _constant(value: Any) -> Callable[[], Any]:
    """A default that is a fixed value, as a factory (one per field, so each keeps its own value)."""
    return lambda: value


def _defaults(model: type[BaseModel]) -> dict[str, Callable[[], Any]]:
    """Fields whose default is not None, which `model_dump` writes and a TypedDict leaves out."""
    found: dict[str, Callable[[], Any]] = {}
    for name, field in model.model_fields.items():
        if field.is_required():
            continue
        if field.default_factory is not None:
            found[name] = field.default_factory  # type: ignore[assignment]
        elif field.default is not None:
            found[name] = _constant(field.default)
    return found


_CALL = _typed_dict_of(ToolCallRecord)
_LOG = _typed_dict_of(TaskLogCreate, {"tool_calls": list[_CALL]})  # type: ignore[valid-type]
_ADAPTER: Final[TypeAdapter[Any]] = TypeAdapter(_LOG)
_validate_json = _ADAPTER.validate_json
_dump = _ADAPTER.dump_python
_LOG_DEFAULTS: Final = _defaults(TaskLogCreate)
if _defaults(ToolCallRecord):  # every call field defaults to None, so nothing needs filling in per call
    raise TypeError("ToolCallRecord gained a non-None default: fill it in in payload_rows.validate_row")


def validate_row(data: bytes | str) -> dict[str, Any]:
    """One JSON task-log payload as `model_dump(mode="json", exclude_none=True)` would give it.

    Raises pydantic's ValidationError, as `TaskLogCreate.model_validate_json` does.
    """
    row: dict[str, Any] = _dump(_validate_json(data), mode="json", exclude_none=True)
    for name, make in _LOG_DEFAULTS.items():
        if name not in row:
            row[name] = make()
    return row
