"""The secrets corpus (tests/reliability/secrets_corpus.jsonl), read once.

One case a line: a text, the secret substrings planted in it (none for texts that must come
through unchanged), and for the forms the redaction patterns are known not to catch, a `gap`
saying why.
"""

from __future__ import annotations

import json
from typing import Any

from tests.helpers.paths import ROOT

CORPUS_FILE = ROOT / "tests" / "reliability" / "secrets_corpus.jsonl"


def load_corpus() -> list[dict[str, Any]]:
    """Every case of the corpus, in file order."""
    return [json.loads(line) for line in CORPUS_FILE.read_text().splitlines() if line.strip()]


CORPUS = load_corpus()
#: The cases with secrets the patterns catch.
CAUGHT = [case for case in CORPUS if case["secrets"] and not case.get("gap")]
#: The look-alikes: ordinary texts that must come through unchanged.
CLEAN = [case for case in CORPUS if not case["secrets"]]
