"""tooltrack's patterns against a maintained scanner (detect-secrets 1.5, a dev dependency).

The scanner is the yardstick, not a run-time pass (docs/security.md has the measurements): on the
redaction probe it finds nothing that tooltrack's redaction leaves, and each look-alike it flags
is one the patterns rightly keep (git SHAs, digests, a variable's name).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.redaction_probe import ALL_CLEAN, GAPS, PROBE
from tooltrack.core import redact_text

scanner = pytest.importorskip("tests.ingest.detect_secrets_pass", reason="detect-secrets is a dev dependency")


@pytest.mark.parametrize("case", PROBE, ids=lambda case: case.get("form", "corpus"))
def test_the_scanner_finds_nothing_in_what_is_stored(case: dict[str, Any]) -> None:
    assert scanner.secrets_in(redact_text(case["text"])) == set()


def test_the_scanner_alone_misses_forms_the_patterns_catch() -> None:
    """Why the patterns stay: the scanner alone lets most of the probe's secrets through."""
    missed = [case for case in PROBE if any(secret in scanner.redact(case["text"]) for secret in case["secrets"])]
    assert len(missed) > len(PROBE) // 3


def test_the_scanner_flags_look_alikes_the_patterns_keep() -> None:
    flagged = {text: scanner.secrets_in(text) for text in ALL_CLEAN}
    flagged = {text: found for text, found in flagged.items() if found}
    assert "git show 9fceb02d0ae598e95dc970b74767f19372d61af8 --stat" in flagged
    assert all(redact_text(text) == text for text in flagged)


def test_what_the_scanner_would_add_is_in_the_known_gaps() -> None:
    """Its catches beyond the patterns: random-looking strings by entropy, bare tokens by shape."""
    caught = [
        case["text"] for case in GAPS if not any(secret in scanner.redact(case["text"]) for secret in case["secrets"])
    ]
    assert '{"value": "9f8e7d6c5b4a39281706f5e4d3c2b1a0e1d2c3b4"}' in caught  # entropy, no name
    assert "MAILCHIMP=0123456789abcdef0123456789abcdef-us12 ./sync" in caught  # shape
    assert "PIN=482913 ./unlock.sh" not in caught  # neither a shape nor entropy
