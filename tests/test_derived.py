"""The derived registry's two ways in: `after_insert`, and `prepare_all` then `apply_prepared`."""

from __future__ import annotations

from typing import Any

import pytest

from tooltrack.store import derived


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> None:
    """A registry of this test's own, the real one put back afterwards."""
    monkeypatch.setattr(derived, "_maintainers", {})
    monkeypatch.setattr(derived, "_split", {})


def nothing(*args: Any) -> None:
    return None


def test_a_split_needs_both_halves(registry: None) -> None:
    with pytest.raises(ValueError, match="give both prepare and apply"):
        derived.register("half", on_insert=nothing, rebuild=nothing, prepare=nothing)
    assert derived._maintainers == {}  # nothing registered by the refused call


def test_registering_again_without_a_split_forgets_the_old_split(registry: None) -> None:
    derived.register("counts", on_insert=nothing, rebuild=nothing, prepare=lambda logs: len(logs), apply=nothing)
    assert derived.prepare_all([]) == {"counts": 0}
    derived.register("counts", on_insert=nothing, rebuild=nothing)
    assert derived.prepare_all([]) is None  # the new on_insert is the only way in now


def test_prepared_work_only_applies_where_the_same_maintainers_are(registry: None) -> None:
    derived.register("counts", on_insert=nothing, rebuild=nothing, prepare=lambda logs: len(logs), apply=nothing)
    prepared = derived.prepare_all([])
    assert prepared is not None and derived.can_apply(prepared)
    derived.register("other", on_insert=nothing, rebuild=nothing, prepare=nothing, apply=nothing)
    assert not derived.can_apply(prepared)  # made before "other" was registered
    with pytest.raises(ValueError, match="use after_insert"):
        derived.apply_prepared(None, prepared, [])  # type: ignore[arg-type]
