"""The redaction probe and its look-alikes, read once from the data files beside the ingest tests.

- `PROBE`: every secret form that must be gone after `redact_text`: the caught secrets of
  `tests/reliability/secrets_corpus.jsonl` and the forms of `tests/ingest/redaction_forms.jsonl`;
- `GAPS`: forms the patterns are known to miss (`tests/ingest/redaction_gaps.jsonl`), strict xfails;
- `ALL_CLEAN`: texts that must come out unchanged: the look-alikes of
  `tests/ingest/redaction_lookalikes.jsonl` and the clean texts of the reliability corpus.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers.paths import ROOT

INGEST_TESTS = ROOT / "tests" / "ingest"
RELIABILITY_CORPUS = ROOT / "tests" / "reliability" / "secrets_corpus.jsonl"


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


FORMS: list[dict[str, Any]] = jsonl(INGEST_TESTS / "redaction_forms.jsonl")
#: The caught secrets of the reliability corpus (none of its cases has a known gap today).
CORPUS_SECRETS: list[dict[str, Any]] = [case for case in jsonl(RELIABILITY_CORPUS) if case["secrets"]]
PROBE: list[dict[str, Any]] = CORPUS_SECRETS + FORMS
GAPS: list[dict[str, Any]] = jsonl(INGEST_TESTS / "redaction_gaps.jsonl")

LOOKALIKES: list[str] = [case["text"] for case in jsonl(INGEST_TESTS / "redaction_lookalikes.jsonl")]
#: The clean texts of the reliability corpus: these must stay clean too.
CORPUS_CLEAN: list[str] = [case["text"] for case in jsonl(RELIABILITY_CORPUS) if not case["secrets"]]
ALL_CLEAN = LOOKALIKES + CORPUS_CLEAN
