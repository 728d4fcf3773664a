"""Secrets never reach the database: the one documented set of redaction rules.

Every way into the database (REST API, tracker, hook, ingest, demo) goes through the store's write
path, which calls `redact_row` on each task log. It replaces secrets by `MARKER` in the texts a
task log keeps (commands, file paths, urls, search patterns, error and log messages, and every
string inside `parameters`) and cuts error messages to `ERROR_MESSAGE_LIMIT` characters.

The text patterns, in the order they run (each has a test in `tests/ingest/test_redaction.py`):

==================  ===============================================================================
name                what it replaces
==================  ===============================================================================
private_key         a PEM private key block (`-----BEGIN ... PRIVATE KEY----- ... -----END ...`)
url_password        the password of credentials in a URL: `https://user:PASSWORD@host`
bearer              the value after `Bearer` / `Basic` / `Token` (HTTP Authorization schemes)
authorization       any other `Authorization: VALUE` / `authorization=VALUE`
anthropic_openai    `sk-...` keys (Anthropic `sk-ant-...`, OpenAI `sk-proj-...`, `sk-...`)
github              `ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` tokens and `github_pat_...`
gitlab              `glpat-...` personal access tokens
slack               `xoxb-` / `xoxp-` / `xoxa-` / `xoxr-` / `xoxs-` tokens
aws_access_key      AWS access key ids (`AKIA...` / `ASIA...`, 20 characters)
google_api_key      Google API keys (`AIza...`)
stripe              `sk_live_` / `rk_live_` keys
npm                 `npm_...` tokens
jwt                 JSON Web Tokens (`eyJ...` header . payload . signature)
mysql_password      mysql's attached password: `mysql -u root -pVALUE` (mysql, mysqldump, mariadb, ...)
curl_user           the password of `curl -u user:VALUE` / `--user user:VALUE` / `--proxy-user`
config_set          `NAME VALUE` after `config set` / `configure set` / `git config [--global]`
                    when NAME looks secret: `aws configure set aws_secret_access_key VALUE`
docker_login        `docker login -p VALUE` / `--password VALUE` (podman, nerdctl, helm registry, ...);
                    `--password-stdin` is left alone
sshpass             `sshpass -p VALUE`
secret_assignment   `NAME=value` / `NAME: value` / `"name": "value"` when NAME looks secret
secret_option       command-line options: `--password VALUE`, `--token=VALUE`, `--api-key VALUE`
==================  ===============================================================================

Whether a name looks secret is decided in one place, `secret_name` (used by `config_set`,
`secret_assignment` and for the keys of `parameters`): the name is cut into words (`apiKey`,
`X-Api-Key`, `aws_secret_access_key`, `PGPASSWORD`) and it looks secret when a word is a secret
word (password, passwd, passphrase, secret, token, credential(s), authorization, or a word ending
in one of them; `auth`, `pass`, `pwd` and `cookie` only as the last word; `key` after api, access,
secret, private, session, signing, encryption, master or auth) and no word after it says the value
is about the secret rather than the secret (count, length, max, type, url, file, path, name, id,
expires, ...). Plural `tokens` is not a secret word: it counts a model's tokens. So `api_key`,
`DB_PASSWORD`, `Authorization`, `X-Api-Key`, `accessToken`, `SECRET_KEY_BASE` look secret;
`token_count`, `max_tokens`, `password_length`, `token_url`, `private_key_path` do not.

Keys of `parameters`: a scalar (string or number; not a boolean, null or empty string) under a key
that looks secret is replaced whole by `MARKER`, in dicts at any depth (`{"headers": {"X-Api-Key":
"..."}}`); a list under such a key has each scalar replaced; a dict under it is walked as usual.

Speed: this runs on every string of every stored tool call (bulk ingest stores well over 100 K
calls/s). Each pattern lists lower-case words ("needles") that every text it can match contains;
the patterns are compiled with `re.ASCII`, so case-insensitive matching folds only A-Z and
`str.lower` finds the needles exactly. `redact_row` joins all the texts of a row (about 2 KB for
100 calls, `parameters`' strings included) and looks for the needles in it once (one small
expression per first letter, `_GATES`; one expression for all, `_NEEDLE_SEARCH`, on short texts);
a row without any needle (nearly all of them) runs no pattern at all. Only the texts holding a
needle go further, and through only the patterns whose needles they hold. A replacement inserts
`[REDACTED]`, which holds no needle, so skipping a pattern never changes the result (a property
test checks it). `bench/bench_redaction.py` measures it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import accumulate
from typing import Any, Final

from tooltrack.core.bounds import ERROR_MESSAGE_LIMIT, bound_error

MARKER: Final = "[REDACTED]"

#: Fields of a stored tool call that may carry a secret.
CALL_TEXT_FIELDS: Final = ("command", "file_path", "url", "pattern", "error_message")
#: Fields of a task log row that may carry a secret.
LOG_TEXT_FIELDS: Final = ("log_message", "error_message")

# --- Secret-looking names -----------------------------------------------------------------------

#: Words of a name: `X-Api-Key` -> X, Api, Key; `accessToken` -> access, Token; `APIKey` -> API, Key.
_NAME_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
#: A word that makes a name secret wherever it stands (and any word ending in one of them).
_STRONG_WORDS: Final = (
    "password",
    "passwords",
    "passwd",
    "passphrase",
    "secret",
    "secrets",
    "token",
    "credential",
    "credentials",
    "authorization",
    "apikey",
    "accesskey",
    "secretkey",
    "privatekey",
    "sessionkey",
)
#: Words that are secret as a name's last word only (`basic_auth`, not `auth_method`).
_LAST_WORDS: Final = frozenset({"auth", "pass", "pwd", "cookie", "cookies"})
#: `key` is secret after one of these (`api_key`, `SECRET_KEY_BASE`), not alone (`cache_key`).
_KEY_QUALIFIERS: Final = frozenset(
    {"api", "access", "secret", "private", "session", "signing", "encryption", "master", "auth"}
)
#: A word after the secret word that says the value describes the secret: `token_count`.
_DESCRIBING_WORDS: Final = frozenset({
    "count", "counts", "length", "len", "size", "limit", "limits", "max", "min", "type", "types",
    "kind", "format", "url", "uri", "endpoint", "host", "file", "files", "path", "dir", "name",
    "names", "id", "ids", "env", "var", "expires", "expiry", "expiration", "ttl", "used", "usage",
    "budget", "policy", "prompt", "hint", "stdin", "helper", "required", "enabled", "field", "mode",
})  # fmt: skip


@lru_cache(maxsize=8192)
def secret_name(name: str) -> bool:
    """Whether `name` (a key, variable or option name) names a secret value (see the module doc)."""
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    for index in range(len(words) - 1, -1, -1):
        word = words[index]
        if (
            word.endswith(_STRONG_WORDS)
            or (word in _LAST_WORDS and index == len(words) - 1)
            or (word in ("key", "keys") and index > 0 and words[index - 1] in _KEY_QUALIFIERS)
        ):
            return not any(after in _DESCRIBING_WORDS for after in words[index + 1 :])
    return False


# --- Text patterns --------------------------------------------------------------------------------

#: A value on a command line: quoted, or up to the next space or quote.
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"']+)"
#: Candidate names for `secret_assignment` (the stems `secret_name` can accept); it decides.
_NAME_CANDIDATE = r"[A-Za-z0-9_.-]*(?:secret|token|pass|pwd|key|credential|auth|cookie)[A-Za-z0-9_.-]*"
#: One shell command: the program name up to the next pipe, `;`, `&` or line end.
_SAME_COMMAND = r"[^|;&\n]*?"

Replacement = str | Callable[[re.Match[str]], str]


def _compile(expression: str, flags: int = 0) -> re.Pattern[str]:
    # re.ASCII: case-insensitive matching folds only A-Z, exactly what str.lower does for the
    # needles, so a text without a pattern's needle can never match it.
    return re.compile(expression, flags | re.ASCII)


def _if_secret_name(match: re.Match[str]) -> str:
    """The match with its value replaced when its `name` group looks secret, else unchanged."""
    if secret_name(match["name"]):
        return match["keep"] + MARKER
    return match[0]


#: (name, needles, expression, replacement), applied in this order. Needles are lower case, and
#: every text an expression can match contains one of its needles (case-insensitively).
REDACTION_PATTERNS: Final[tuple[tuple[str, tuple[str, ...], re.Pattern[str], Replacement], ...]] = (
    (
        "private_key",
        ("private key",),
        _compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S),
        MARKER,
    ),
    (
        "url_password",
        ("@",),
        _compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@\"']*:)[^/\s@\"']+(@)"),
        rf"\1{MARKER}\2",
    ),
    (
        "bearer",
        ("bearer", "basic", "token"),
        _compile(r"(\b(?:bearer|basic|token)\s+)[A-Za-z0-9._~+/=-]{6,}", re.I),
        rf"\1{MARKER}",
    ),
    (
        "authorization",
        ("authorization",),
        _compile(r"(\bauthorization[\"']?\s*[:=]\s*[\"']?)(?!bearer\b|basic\b|token\b|\[REDACTED\])[^\s\"',;]+", re.I),
        rf"\1{MARKER}",
    ),
    ("anthropic_openai", ("sk-",), _compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"), MARKER),
    (
        "github",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),  # not "gh": `gh pr create` is everywhere
        _compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        MARKER,
    ),
    ("gitlab", ("glpat-",), _compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), MARKER),
    ("slack", ("xox",), _compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), MARKER),
    ("aws_access_key", ("akia", "asia"), _compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MARKER),
    ("google_api_key", ("aiza",), _compile(r"\bAIza[0-9A-Za-z_-]{35}"), MARKER),
    ("stripe", ("_live_",), _compile(r"\b[rs]k_live_[0-9A-Za-z]{16,}"), MARKER),
    ("npm", ("npm_",), _compile(r"\bnpm_[A-Za-z0-9]{36}\b"), MARKER),
    ("jwt", ("eyj",), _compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MARKER),
    (
        # Case-sensitive: -P is mysql's port. `-p` then a space prompts for the password (kept).
        "mysql_password",
        ("mysql", "mariadb"),
        _compile(
            r"(\b(?:mysql(?:dump|admin|import|check|show|slap|sh)?|mariadb(?:-dump|-admin|dump|admin)?)\b"
            rf"{_SAME_COMMAND}\s-p)(?!\[REDACTED\]){_VALUE}"
        ),
        rf"\1{MARKER}",
    ),
    (
        # Only `user:password` values: `curl -u deploy` (curl then prompts) is kept.
        "curl_user",
        ("curl",),
        _compile(
            rf"(\bcurl\b{_SAME_COMMAND}\s(?:-u|-U|--user|--proxy-user)(?:\s*=\s*|\s*)[\"']?[^\s:\"']*:)"
            r"(?!\[REDACTED\])[^\s\"']+"
        ),
        rf"\1{MARKER}",
    ),
    (
        # After `set` (aws, npm, yarn), or a dotted git name: not `kubectl config set-credentials NAME`.
        "config_set",
        ("config",),
        _compile(
            r"(?P<keep>\bconfig(?:ure)?\s+(?:--(?:global|local|system)\s+)*"
            r"(?:set\s+(?:--profile[\s=]+[^\s\"']+\s+)?|(?=[^\s=\"']*\.))"
            rf"(?P<name>[^\s=\"']+)\s+)(?!\[REDACTED\]){_VALUE}",
            re.I,
        ),
        _if_secret_name,
    ),
    (
        "docker_login",
        ("login",),
        _compile(
            r"(\b(?:docker|podman|nerdctl|buildah|skopeo|oras|helm\s+registry)\s+login\b"
            rf"{_SAME_COMMAND}\s(?:-p\s*|--password(?:\s*=\s*|\s+)))(?!\[REDACTED\]){_VALUE}"
        ),
        rf"\1{MARKER}",
    ),
    (
        "sshpass",
        ("sshpass",),
        _compile(rf"(\bsshpass\b{_SAME_COMMAND}\s-p\s*)(?!\[REDACTED\]){_VALUE}"),
        rf"\1{MARKER}",
    ),
    (
        "secret_assignment",
        ("secret", "token", "pass", "pwd", "key", "credential", "auth", "cookie"),
        _compile(
            rf"(?P<keep>\b(?P<name>{_NAME_CANDIDATE})[\"']?\s*[=:]\s*)"
            r"(?!\[REDACTED\])(?:\"[^\"]*\"|'[^']*'|[^\s\"'&;,)}\]]+)",
            re.I,
        ),
        _if_secret_name,
    ),
    (
        "secret_option",
        ("pass", "token", "key", "secret"),
        _compile(
            r"(\s--?(?:password|passwd|pass|token|api-key|apikey|secret|auth-token)(?:=|\s+))(?!\[REDACTED\])[^\s\"']+",
            re.I,
        ),
        rf"\1{MARKER}",
    ),
)


def _minimal(needles: Iterable[str]) -> tuple[str, ...]:
    """The needles without those containing another one (`authorization` goes when `auth` is there)."""
    unique = set(needles)
    return tuple(sorted(n for n in unique if not any(other != n and other in n for other in unique)))


#: Every text one of the patterns can match contains one of these (lower case).
NEEDLES: Final = _minimal(needle for _, needles, _, _ in REDACTION_PATTERNS for needle in needles)


def _trie(needles: Iterable[str]) -> str:
    """An alternation of `needles` factored on shared beginnings: `b(?:asic|earer)|key|...`."""
    by_first: dict[str, list[str]] = {}
    for needle in needles:
        by_first.setdefault(needle[:1], []).append(needle[1:])
    parts = []
    for first, rests in sorted(by_first.items()):
        if len(rests) == 1:  # also where a needle ends: `_minimal` left no longer one beside it
            parts.append(re.escape(first + rests[0]))
        else:
            parts.append(f"{re.escape(first)}(?:{_trie(rests)})")
    return "|".join(parts)


#: The needles, looked for in one go. Cheapest on short texts (a call or two); on a long text
#: the engine tries the alternatives at most positions, and `_GATES` cost less.
_NEEDLE_SEARCH: Final = re.compile(_trie(NEEDLES))
#: One expression per first letter of the needles (`basic|bearer`). With a literal first
#: character the regex engine skips along the text to that character in C, so each costs about
#: one fast scan: on the benchmark rows (2 KB for 100 calls) the 15 of them cost about half of
#: `_NEEDLE_SEARCH`, and less than `needle in text` for each of the 31 needles.
_GATES: Final = tuple(
    re.compile(_trie([needle for needle in NEEDLES if needle[0] == first]))
    for first in sorted({needle[0] for needle in NEEDLES})
)
#: Below this many characters, `_NEEDLE_SEARCH` is cheaper than the gates (measured crossover ~100).
_SHORT: Final = 100


def _holds_needle(lowered: str, needles: tuple[str, ...]) -> bool:
    return any(needle in lowered for needle in needles)


def _apply_patterns(text: str) -> str:
    """`text` through every pattern whose needles it holds (case-insensitively)."""
    lowered = text.lower()
    for _, needles, pattern, replacement in REDACTION_PATTERNS:
        if _holds_needle(lowered, needles):
            text = pattern.sub(replacement, text)
    return text


def _texts_holding(texts: list[str], lowered: str, gates: list[re.Pattern[str]]) -> set[int]:
    """Indexes of the texts in which one of `gates` matches; `lowered` is `"\\n".join(texts).lower()`.

    Found from the matches' positions in `lowered`, so a needle in a few texts of a large row
    costs a few lookups, not one per text. When lower-casing changed the length (a few non-ASCII
    letters do), positions do not map back and each text is looked at instead.
    """
    if len(lowered) != sum(map(len, texts)) + len(texts) - 1:
        return {i for i, text in enumerate(texts) if any(gate.search(text.lower()) for gate in gates)}
    ends = list(accumulate(len(text) + 1 for text in texts))  # each text's end, its separator included
    found: set[int] = set()
    for gate in gates:
        match = gate.search(lowered)
        while match:
            index = bisect_right(ends, match.start())
            found.add(index)
            match = gate.search(lowered, ends[index])  # on to the next text
    return found


def _redactions(texts: list[str]) -> dict[str, str]:
    """{text: redacted text} for those of `texts` that change (usually none).

    One look for the needles in all the texts at once, joined (no needle holds a newline, so
    none is found across two texts): a row of 100 calls costs a few fast scans, and no pattern
    runs unless a needle turns up.
    """
    if not texts:
        return {}
    lowered = "\n".join(texts).lower()
    if len(lowered) < _SHORT:
        gates = [_NEEDLE_SEARCH] if _NEEDLE_SEARCH.search(lowered) else []
    else:
        gates = [gate for gate in _GATES if gate.search(lowered)]
    if not gates:
        return {}
    changed: dict[str, str] = {}
    for index in _texts_holding(texts, lowered, gates):
        text = texts[index]
        if text not in changed:
            changed[text] = _apply_patterns(text)
    return {text: redacted for text, redacted in changed.items() if redacted != text}


def redact_text(text: str) -> str:
    """`text` with every secret the patterns know replaced by `MARKER`."""
    return _redactions([text]).get(text, text)


# --- Values (`parameters`) ------------------------------------------------------------------------

Collect = Callable[[str], None]


def _by_key(value: Any, collect: Collect) -> Any:
    """A copy of `value` with the values under secret-looking keys replaced (`_secret_value`);
    every other string is kept as it is and passed to `collect`, for the text patterns."""
    if isinstance(value, str):
        collect(value)
        return value
    if isinstance(value, dict):
        return {
            key: _secret_value(item, collect) if isinstance(key, str) and secret_name(key) else _by_key(item, collect)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_by_key(item, collect) for item in value]
    return value  # numbers, booleans and nulls elsewhere carry nothing to redact


def _secret_value(value: Any, collect: Collect) -> Any:
    """A value under a secret-looking key: scalars replaced whole, containers walked."""
    if isinstance(value, str):
        return MARKER if value else value
    if isinstance(value, bool) or value is None:  # a flag or a null says nothing secret
        return value
    if isinstance(value, int | float):
        return MARKER
    if isinstance(value, list):
        return [_secret_value(item, collect) for item in value]
    return _by_key(value, collect)


def _swap(value: Any, changed: dict[str, str]) -> Any:
    """`value` with each string found in `changed` replaced by its redacted form."""
    if isinstance(value, str):
        return changed.get(value, value)
    if isinstance(value, dict):
        return {key: _swap(item, changed) for key, item in value.items()}
    if isinstance(value, list):
        return [_swap(item, changed) for item in value]
    return value


def redact_value(value: Any) -> Any:
    """Redact a JSON-like value (dicts, lists, scalars); returns a new value.

    A value under a key that looks secret (`secret_name`) is replaced whole; every other string
    goes through the text patterns.
    """
    texts: list[str] = []
    value = _by_key(value, texts.append)
    changed = _redactions(texts)
    return _swap(value, changed) if changed else value


# --- Rows -----------------------------------------------------------------------------------------

#: CALL_TEXT_FIELDS but the error message, which is also cut.
_CALL_PLAIN_FIELDS: Final = tuple(field for field in CALL_TEXT_FIELDS if field != "error_message")


def redact_row(row: dict[str, Any]) -> dict[str, Any]:
    """Redact a task log row (column form, `tool_calls` a list of dicts) in place, and return it.

    Every text of the row (parameters' strings included) is gathered first and looked at once
    (`_redactions`); only texts that change are written back.
    """
    texts: list[str] = []
    collect = texts.append
    for field in LOG_TEXT_FIELDS:
        text = row.get(field)
        if text is not None:
            if field == "error_message" and len(text) > ERROR_MESSAGE_LIMIT:
                row[field] = text = bound_error(text)
            collect(text)
    calls: list[dict[str, Any]] = row.get("tool_calls") or []
    for call in calls:
        get = call.get
        for field in _CALL_PLAIN_FIELDS:
            text = get(field)
            if text is not None:
                collect(text)
        error = get("error_message")
        if error is not None:
            if len(error) > ERROR_MESSAGE_LIMIT:
                call["error_message"] = error = bound_error(error)
            collect(error)
        parameters = get("parameters")
        if parameters:
            call["parameters"] = _by_key(parameters, collect)
    changed = _redactions(texts)
    if changed:
        for record, fields in ((row, LOG_TEXT_FIELDS), *((call, CALL_TEXT_FIELDS) for call in calls)):
            for field in fields:
                text = record.get(field)
                if text is not None and text in changed:
                    record[field] = changed[text]
        for call in calls:
            if call.get("parameters"):
                call["parameters"] = _swap(call["parameters"], changed)
    return row


def redact_call(call: dict[str, Any]) -> dict[str, Any]:
    """Redact one stored tool call (a dict as the store writes it) in place, and return it."""
    redact_row({"tool_calls": [call]})
    return call
