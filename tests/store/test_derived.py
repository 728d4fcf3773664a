"""The derived registry's two ways in: `after_insert`, and `prepare_all` then `apply_prepared`."""

from __future__ import annotations

from typing import Any

import pytest

from tooltrack.store import DERIVED, Maintainer, Registry


@pytest.fixture
def registry() -> Registry:
    """A registry of this test's own (the store's own, `DERIVED`, is left as it is)."""
    return Registry()


def nothing(*args: Any) -> None:
    return None


def test_a_split_needs_both_halves(registry: Registry) -> None:
    with pytest.raises(ValueError, match="give both prepare and apply"):
        registry.register(Maintainer("half", on_insert=nothing, rebuild=nothing, prepare=nothing))
    assert registry.names == []  # nothing registered by the refused call


def test_registering_again_without_a_split_forgets_the_old_split(registry: Registry) -> None:
    registry.register(
        Maintainer("counts", on_insert=nothing, rebuild=nothing, prepare=lambda logs: len(logs), apply=nothing)
    )
    assert registry.prepare_all([]) == {"counts": 0}
    registry.register(Maintainer("counts", on_insert=nothing, rebuild=nothing))
    assert registry.prepare_all([]) is None  # the new on_insert is the only way in now


def test_prepared_work_only_applies_where_the_same_maintainers_are(registry: Registry) -> None:
    registry.register(
        Maintainer("counts", on_insert=nothing, rebuild=nothing, prepare=lambda logs: len(logs), apply=nothing)
    )
    prepared = registry.prepare_all([])
    assert prepared is not None and registry.can_apply(prepared)
    registry.register(Maintainer("other", on_insert=nothing, rebuild=nothing, prepare=nothing, apply=nothing))
    assert not registry.can_apply(prepared)  # made before "other" was registered
    with pytest.raises(ValueError, match="use after_insert"):
        registry.apply_prepared(None, prepared, [])  # type: ignore[arg-type]


def test_the_store_keeps_the_rollups() -> None:
    """The one list of derived structures (`tooltrack.store.upkeep`) holds the rollups, then the
    alerts (which read what the rollups wrote), both split for the bulk path."""
    assert DERIVED.names == ["rollups", "alerts"]
    assert DERIVED.prepare_all([]) is not None
