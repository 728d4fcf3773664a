"""Secret forms that used to leak (issue 14 item 1), with the reliability corpus: the redaction probe.

`redaction_forms.jsonl` (beside this file) holds one form a line: a realistic text, the secrets
planted in it, and the form it stands for (Slack and Discord webhooks, Azure `AccountKey=`, quoted
option values, secret-looking option names, PyPI / Hugging Face / Stripe test / webhook /
SendGrid / DigitalOcean / Slack app tokens, `@` inside a URL password, PGP and SSH2 private key
blocks, `gh secret set`, curl cookies, Go `:=`, Ruby / PHP `=>`, XML elements and `key`/`value`
attributes), and variants of the known forms in quotes, JSON, YAML, env files and command lines.
Together with the secrets of `tests/reliability/secrets_corpus.jsonl` this is the probe measured
in docs/security.md; every secret in it must be gone after `redact_text`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers.redaction_probe import CORPUS_SECRETS, FORMS, GAPS, PROBE
from tooltrack.core import redaction
from tooltrack.core.redaction import MARKER, NEEDLES, REDACTION_PATTERNS, redact_text, secret_name


def test_the_probe_is_substantial() -> None:
    assert len(PROBE) >= 116
    assert len({case["text"] for case in PROBE}) == len(PROBE)
    for case in FORMS:
        assert case["secrets"] and all(secret in case["text"] for secret in case["secrets"]), case


@pytest.mark.parametrize("case", PROBE, ids=lambda case: case.get("form", "corpus"))
def test_each_form_is_redacted(case: dict[str, Any]) -> None:
    redacted = redact_text(case["text"])
    leaked = [secret for secret in case["secrets"] if secret in redacted]
    assert leaked == [], redacted
    assert MARKER in redacted


def test_no_corpus_case_is_a_known_gap_any_more() -> None:
    """Every secret of the reliability corpus is caught (its `gap` cases would be strict xfails there)."""
    assert all(not case.get("gap") for case in CORPUS_SECRETS)


# Only the value goes: what surrounds a secret stays readable.
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('apiKey := "Go-Planted-1"', f"apiKey := {MARKER}"),
        (
            "opts = { :password => 'Rb-Planted-2', :user => 'app' }",
            f"opts = {{ :password => {MARKER}, :user => 'app' }}",
        ),
        ("<password>Xml-Planted-3</password>", f"<password>{MARKER}</password>"),
        ('<add key="ApiKey" value="Net-Planted-4" />', f'<add key="ApiKey" value="{MARKER}" />'),
        ("psql postgres://app:p@ss@db:5432/app", f"psql postgres://app:{MARKER}@db:5432/app"),
        (
            "curl https://hooks.slack.com/services/T000/B000/XXXXPlanted",
            f"curl https://hooks.slack.com/services/{MARKER}",
        ),
        (
            "https://discord.com/api/webhooks/123456789/abcPlanted-def",
            f"https://discord.com/api/webhooks/123456789/{MARKER}",
        ),
        ("gh secret set NAME --body Gh-Planted-5 --repo a/b", f"gh secret set NAME --body {MARKER} --repo a/b"),
        ("curl -b 'sessionid=Ck-Planted-6' https://h", f"curl -b {MARKER} https://h"),
        ("curl -b cookies.txt https://h", "curl -b cookies.txt https://h"),
        ("run --password 'two words' --verbose", f"run --password {MARKER} --verbose"),
        ("run --client-secret Cs-Planted-7 -v", f"run --client-secret {MARKER} -v"),
        ("run --password-file /run/secrets/pw", "run --password-file /run/secrets/pw"),
        ("twine upload -u deploy -p Tw-Planted-8 dist/*", f"twine upload -u deploy -p {MARKER} dist/*"),
        (
            "AccountName=acme;AccountKey=Az+Planted/9==;EndpointSuffix=core.windows.net",
            f"AccountName=acme;AccountKey={MARKER};EndpointSuffix=core.windows.net",
        ),
    ],
)
def test_only_the_value_goes(text: str, expected: str) -> None:
    assert redact_text(text) == expected


def test_a_pgp_private_key_block_goes_whole() -> None:
    block = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBGPlanted\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----"
    assert redact_text(f"gpg --import <<EOF\n{block}\nEOF") == f"gpg --import <<EOF\n{MARKER}\nEOF"


# Names the newer forms rely on: `secret_name` decides them all.
@pytest.mark.parametrize(
    "name", ["AccountKey", "AZURE_STORAGE_KEY", "srcstorepass", "keypass", "passout", "DD_APP_KEY", "LICENSE_KEY"]
)
def test_newer_secret_names(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize(
    "name",
    [
        "token.py",
        "secrets.yaml",
        "signature_version",
        "secret_store",
        "token_provider",
        "secret_arn",
        "password_hash_alg",
    ],
)
def test_names_that_describe_or_are_files(name: str) -> None:
    assert not secret_name(name)


# The gates: each needle is found from its anchor character, and found exactly.
FILLER = "ls -la src/ && echo done; cat README.md | wc -l"


@pytest.mark.parametrize("needle", NEEDLES)
def test_every_needle_opens_the_gates(needle: str) -> None:
    text = f"{FILLER} {needle} {FILLER}"
    assert any(gate.search(text) for gate in redaction._GATES)
    assert redaction._NEEDLE_SEARCH.search(text)
    assert not any(gate.search(FILLER) for gate in redaction._GATES)


@pytest.mark.parametrize("case", PROBE, ids=lambda case: case.get("form", "corpus"))
def test_the_finder_runs_every_pattern_a_text_needs(case: dict[str, Any]) -> None:
    lowered = case["text"].lower()
    needed = {i for i, (_, needles, _, _) in enumerate(REDACTION_PATTERNS) if any(n in lowered for n in needles)}
    found = set(redaction._NEEDLE_FINDER.findall(lowered))
    runs = {i for anchored in found for i in redaction._PATTERNS_FOR[anchored]}
    assert needed <= runs


# Known gaps (`redaction_gaps.jsonl`, each with why): strict xfails, so closing one shows at once.


@pytest.mark.parametrize(
    "case", [pytest.param(case, marks=pytest.mark.xfail(strict=True, reason=case["gap"])) for case in GAPS]
)
def test_known_gaps(case: dict[str, Any]) -> None:
    redacted = redact_text(case["text"])
    assert not any(secret in redacted for secret in case["secrets"])
