"""Secrets never reach the database: the one documented set of redaction rules.

Every way into the database (REST API, tracker, hook, ingest, demo) goes through the store's write
path, which calls `redact_row` on each task log. It replaces secrets by `MARKER` in the texts a
task log keeps (commands, file paths, urls, search patterns, error and log messages, and every
string inside `parameters`), then cuts error messages to `ERROR_MESSAGE_LIMIT` characters, and
cuts back any text the marker made longer than its bound (`MAX_TEXT`; a `parameters` string, which
has no bound of its own, to its own length): what is stored always reads back.

The text patterns, in the order they run (each has a test in `tests/ingest/test_redaction.py`; the
forms and look-alikes they were measured on are in `tests/ingest/redaction_forms.jsonl` and
`redaction_lookalikes.jsonl`):

========================  =========================================================================
name                      what it replaces
========================  =========================================================================
private_key               a private key block: PEM (`-----BEGIN ... PRIVATE KEY-----`), PGP
                          (`PRIVATE KEY BLOCK`), SSH2 (`---- BEGIN ... ----`), to its END line or
                          the end of the text; a PuTTY key's `Private-Lines`
webhook_url               Slack webhook URLs after `/services/` (`/workflows/`, `/triggers/`),
                          Discord's after the webhook id
url_password              the password of credentials in a URL, `@` included: `postgres://u:p@ss@host`
url_signature             a pre-signed URL's `sig=` (Azure SAS), `X-Amz-Signature=`, `X-Goog-Signature=`
authorization             an `Authorization: [SCHEME] VALUE` / `authorization=VALUE` value: after a
                          scheme anything of 6 characters or more, else a credential-shaped one
bearer                    a credential-shaped value after a bare `Bearer` / `Basic` / `Token`: a digit,
                          an inner capital, `+/=`, or 20 characters (not `Basic option selection`)
anthropic_openai          `sk-...` keys (Anthropic `sk-ant-...`, OpenAI `sk-proj-...`, `sk-...`)
github                    `ghp_` / `gho_` / `ghu_` / `ghs_` / `ghr_` tokens and `github_pat_...`
gitlab                    `glpat-`, `gldt-`, `glrt-`, `glcbt-`, ... tokens and `GR1348941...`
slack                     `xox?-` tokens (bot, user, app, refresh) and `xapp-` app tokens
aws_access_key            AWS access key ids (`AKIA...` / `ASIA...`, 20 characters)
google_api_key            Google API keys (`AIza...`), OAuth tokens (`ya29.`), client secrets (`GOCSPX-`)
stripe                    `sk_live_` / `rk_live_` / `sk_test_` / `rk_test_` keys, `whsec_` webhook secrets
npm                       `npm_...` tokens
pypi                      PyPI upload tokens (`pypi-...`)
huggingface               Hugging Face tokens (`hf_...`)
sendgrid                  SendGrid keys (`SG.<id>.<secret>`)
digitalocean              DigitalOcean tokens (`dop_v1_`, `doo_v1_`, `dor_v1_`)
vault                     HashiCorp Vault tokens (`hvs.`, `hvb.`, `hvr.`)
prefixed_token            Shopify, Atlassian, Linear, Notion, Postman, Databricks, Supabase, Grafana,
                          New Relic, Sentry, Square tokens and age secret keys, by prefix
telegram                  a Telegram bot token in an `api.telegram.org/bot...` URL
jwt                       JSON Web Tokens (`eyJ...` header . payload . signature)
mysql_password            mysql's attached password: `mysql -u root -pVALUE` (mysql, mysqldump, mariadb, ...)
curl_user                 the password of `curl -u user:VALUE` / `--user user:VALUE` / `--proxy-user`
curl_cookie               `curl -b` / `--cookie` cookies (`name=value`); a cookie jar's file name stays
config_set                `NAME VALUE` after `config set` / `configure set` / `git config [--global]`
                          when NAME looks secret: `aws configure set aws_secret_access_key VALUE`
docker_login              `docker login -p VALUE` / `--password VALUE` (podman, nerdctl, buildah,
                          skopeo, oras, helm registry, az, oc, cf, argocd); `--password-stdin` is
                          left alone
vault_login               `vault login TOKEN` (not `vault login -method=...`)
password_flag             `sshpass -p`, `twine -p`, `mongo[sh] -p`, `redis-cli -a`, `sqlcmd -P`,
                          `ldapsearch -w` (and the other ldap tools), `ssh-keygen -N` / `-P`
htpasswd                  the password argument of `htpasswd -b[c] FILE USER PASSWORD`
netrc                     `machine HOST [login USER] password VALUE`
gh_secret                 `gh secret set NAME --body VALUE` / `-b VALUE`, whatever NAME
powershell_secure_string  `ConvertTo-SecureString 'VALUE' -AsPlainText`
cookie_header             a `Cookie:` / `Set-Cookie:` header's value, whole
xml_element               `<NAME>VALUE</NAME>` when NAME looks secret: `<password>`, `<ApiKey>`
name_value                VALUE after a secret-looking name in `<add key="NAME" value="VALUE"/>`,
                          `name: NAME` + `value: VALUE` (Kubernetes, ECS, JSON), `--name N --value V`
secret_assignment         `NAME=value`, `NAME: value`, `"name": "value"`, `NAME = value`, Go's
                          `NAME := value`, Ruby's and PHP's `NAME => value`, when NAME looks secret
secret_option             `--NAME VALUE` / `--NAME=VALUE` / `-NAME VALUE` when NAME looks secret:
                          `--password 'a b'`, `--client-secret`, `--db-password`, `-srcstorepass`
========================  =========================================================================

Whether a name looks secret is decided in one place, `secret_name` (used by `config_set`,
`secret_assignment`, `secret_option`, `xml_element`, `name_value` and for the keys of
`parameters`): the name is cut into words (`apiKey`, `X-Api-Key`, `aws_secret_access_key`,
`PGPASSWORD`) and it looks secret when a word is a secret word (password, passwd, passphrase,
secret, token, credential(s), authorization, keytool's storepass / keypass, openssl's passin /
passout, or a word ending in one of them; `auth`, `pass`, `pwd` and `cookie` only as the last
word; `key` after api, access, secret, private, session, signing, encryption, master, auth,
account, storage, service, role, license, app, jwt or hmac) and no word after it says the value is
about the secret rather than the secret (count, length, max, type, url, file, path, name, id,
expires, version, header, ..., or a file's extension: `token.py:42:` in grep output). Plural
`tokens` is not a secret word: it counts a model's tokens. So `api_key`, `DB_PASSWORD`,
`Authorization`, `X-Api-Key`, `accessToken`, `SECRET_KEY_BASE`, Azure's `AccountKey` look secret;
`token_count`, `max_tokens`, `password_length`, `token_url`, `private_key_path` do not. An option
whose first word is a switch's (`--ask-vault-password`, `--no-password`, `--with-token`) takes no
secret.

What a value says nothing secret about is kept after any name (`_says_nothing`): an empty value
(`API_KEY=` at the end of a line, `API_KEY= cmd` in the shell, `"api_key": ""`), null / none /
true / false, a reference (`$VAR`, `${VAR}`, `${VAR:?message}`, `$(cmd)`, `{{ template }}`,
`${{ secrets.X }}`, `<placeholder>`), a mask (`****`) and a path (`./x`, `~/.ssh/id_rsa`,
`/run/secrets/db`). A value never runs across a line break.

Keys of `parameters`: a scalar (string or number; not a boolean, null or empty string) under a key
that looks secret is replaced whole by `MARKER`, in dicts at any depth (`{"headers": {"X-Api-Key":
"..."}}`); a list under such a key has each scalar replaced; a dict under it is walked as usual.

Speed: this runs on every string of every stored tool call (bulk ingest stores well over 100 K
calls/s). Each pattern lists lower-case words ("needles") that every text it can change contains;
the patterns are compiled with `re.ASCII`, so case-insensitive matching folds only A-Z and
`str.lower` finds the needles exactly. `redact_row` joins all the texts of a row (about 2 KB for
100 calls, `parameters`' strings included) and looks for the needles in it once: one small
expression per "anchor" character (`_GATES`), each needle looked for from its rarest character
with a look-behind for the rest (`token` by its `k`: the engine skips to each `k` in C, and `k`s
are few); one expression for all (`_NEEDLE_SEARCH`) on short texts. A row without any needle
(nearly all of them) runs no pattern at all. Only the texts holding a needle go further, and one
scan (`_NEEDLE_FINDER`) tells which patterns they need. A replacement inserts `[REDACTED]`, which
holds no needle, and a pattern that asks `secret_name` changes nothing without one of the name
stems, so skipping a pattern never changes the result (a property test checks it).
`bench/bench_redaction.py` measures it, and compares detect-secrets (see docs/security.md for why
the maintained scanner is the patterns' yardstick in the tests, not a second pass at run time).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable
from functools import lru_cache
from itertools import accumulate
from typing import Any, Final

from tooltrack.core.bounds import ERROR_MESSAGE_LIMIT, MAX_TEXT, bound_error

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
    # keytool's -storepass / -keypass (and -srcstorepass, ...), openssl's -passin / -passout
    "storepass",
    "keypass",
    "passin",
    "passout",
)
#: Words that are secret as a name's last word only (`basic_auth`, not `auth_method`).
_LAST_WORDS: Final = frozenset({"auth", "pass", "pwd", "cookie", "cookies"})
#: `key` is secret after one of these (`api_key`, `SECRET_KEY_BASE`, Azure's `AccountKey`), not
#: alone (`cache_key`, `primary_key`).
_KEY_QUALIFIERS: Final = frozenset({
    "api", "access", "secret", "private", "priv", "session", "signing", "encryption", "master", "auth",
    "account", "storage", "service", "role", "license", "app", "jwt", "hmac",
})  # fmt: skip
#: A word after the secret word that says the value describes the secret: `token_count`; or that
#: the name is a file's (`token.py:42:` in grep output, `secrets.yaml`).
_DESCRIBING_WORDS: Final = frozenset({
    "count", "counts", "length", "len", "size", "limit", "limits", "max", "min", "type", "types",
    "kind", "format", "url", "uri", "endpoint", "host", "file", "files", "path", "dir", "name",
    "names", "id", "ids", "env", "var", "expires", "expiry", "expiration", "ttl", "used", "usage",
    "budget", "policy", "prompt", "hint", "stdin", "helper", "required", "enabled", "field", "mode",
    "version", "method", "algorithm", "alg", "header", "prefix", "scheme", "location", "store",
    "provider", "backend", "manager", "strategy", "rotation", "ref", "reference", "arn",
    "py", "js", "ts", "rb", "go", "java", "json", "yaml", "yml", "toml", "txt", "md", "cfg", "ini",
    "conf", "sh", "pem", "crt", "example", "sample", "template", "tmpl", "bak",
})  # fmt: skip
#: An option whose first word is one of these is a switch, not a secret's value: `--ask-vault-password`.
_SWITCH_WORDS: Final = frozenset({
    "ask", "prompt", "no", "with", "show", "skip", "reset", "forgot", "generate", "require", "allow",
    "enable", "disable",
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


# --- Values that say nothing secret -----------------------------------------------------------------

#: A value that only refers to one kept elsewhere: `$VAR`, `${VAR}`, `${VAR:?message}` (not
#: `${VAR:-default}`: the default may be a password), `$(cmd ...`, `{{ template }}`, GitHub's
#: `${{ secrets.X }}`, `%(name)s`, `<placeholder>`, a mask (`****`), or a path (`./x`, `~/.ssh/id`,
#: `/run/...`).
#: Base64 never starts with `.` or `~`, nor (but once in 16 M) with a system directory.
_NOT_A_SECRET = re.compile(
    r"\$[A-Za-z_][A-Za-z0-9_]*|\$\{[A-Za-z_][A-Za-z0-9_]*(?::?\?[^}]*)?\}?|\$\(.*|\$?\{\{.*|%\([A-Za-z_]+\)s"
    r"|<[^<>]*>|\*+"
    r"|(?:~|\.\.?)/.*|/(?:etc|run|tmp|var|home|usr|opt|mnt|dev|srv|root|proc|Users|workspace)/.*",
    re.ASCII | re.S,
)
_EMPTY_WORDS: Final = frozenset({"null", "none", "nil", "undefined", "true", "false", "~"})
_QUOTES: Final = "\"'`\\"


def _says_nothing(value: str) -> bool:
    """Whether `value` (quoted or not) is empty, a null or boolean, a reference, a mask or a path."""
    inner = value.strip(_QUOTES)
    return not inner or inner.lower() in _EMPTY_WORDS or _NOT_A_SECRET.fullmatch(inner) is not None


#: How a credential looks, beside prose: a digit, an inner capital (`abcDEF`), base64's `+/=`, or
#: 20 characters and more. `Basic option`, `token expired`, `Token authentication` do not.
_CREDENTIAL_SHAPE = re.compile(r"(?=.{6}).*?(?:[0-9+/=]|[a-z][A-Z])|.{20}", re.ASCII | re.S)


def _credential_shaped(value: str) -> bool:
    return _CREDENTIAL_SHAPE.match(value) is not None


# --- Text patterns --------------------------------------------------------------------------------

#: A value on a command line: quoted, or up to the next space or quote.
_VALUE = r"(?:\"[^\"]*\"|'[^']*'|[^\s\"']+)"
#: The stems every name `secret_name` accepts contains (its words, `_STRONG_WORDS`, `_LAST_WORDS`
#: and `key`): the needles of every pattern that asks it, so skipping one never misses a secret.
_NAME_STEMS: Final = ("secret", "token", "pass", "pwd", "key", "credential", "auth", "cookie")


def _name(characters: str, *, whole_run: bool = True) -> str:
    """A candidate name (`secret_name` decides): a run of `characters` holding one of the stems.

    Taken whole and possessively (`++`): `[chars]*stem[chars]*` would try every split of a long
    run at every word boundary in it, and 2,000 characters of `key.key.key...` took 15 s (a
    20,000-character command, hours). With `whole_run`, only where a run begins.
    """
    start = f"(?<![{characters}])" if whole_run else ""
    return rf"{start}(?=[{characters}]*?(?:{'|'.join(_NAME_STEMS)}))(?P<name>[{characters}]++)"


#: Candidate names for `secret_assignment` and the like: `api_key`, `config.password`, `X-Api-Key`.
_NAME_CANDIDATE = _name("A-Za-z0-9_.-")
#: Candidate option names, after their dashes (`--client-secret`, `-srcstorepass`).
_OPTION_CANDIDATE = _name("A-Za-z0-9_-", whole_run=False)
#: Between a name and its value: `:=` (Go), `=>` (Ruby, PHP), `:` (YAML, JSON, headers),
#: ` = ` (Python, TOML, INI), or `=` with the value right after it. `NAME= value` and `NAME=` at
#: the end of a line are empty assignments (the shell's, an env file's): nothing follows them.
_SEPARATOR = r"(?:[ \t]*(?::=|=>|:)[ \t]*|[ \t]+=[ \t]*|=)(?![=>])"
#: An assigned value: escaped-quoted (JSON inside a JSON string), quoted (no line breaks), or bare.
_ASSIGNED = r"(?:\\\"[^\"\n]*?\\\"|\"[^\"\n]*\"|'[^'\n]*'|`[^`\n]*`|[^\s\"'`&;,)}\]]+)"

#: GitLab's token prefixes: personal, deploy, feed, OAuth app, runner, CI job, incoming mail,
#: trigger, agent, OAuth application secret.
_GITLAB_PREFIXES: Final = ("glpat", "gldt", "glft", "glsoat", "glrt", "glcbt", "glimt", "glptt", "glagent", "gloas")
#: The prefixes of `prefixed_token`, lower case.
_PREFIXED_TOKEN_NEEDLES: Final = (
    "shpat_", "shpss_", "shpca_", "shppa_", "atatt3", "lin_api_", "ntn_", "pmak-", "dapi", "sbp_", "glsa_", "glc_",
    "nrak-", "sntrys_", "sntryu_", "sq0atp-", "sq0csp-", "age-secret-key-1",
)  # fmt: skip

Replacement = str | Callable[[re.Match[str]], str]


def _compile(expression: str, flags: int = 0) -> re.Pattern[str]:
    # re.ASCII: case-insensitive matching folds only A-Z, exactly what str.lower does for the
    # needles, so a text without a pattern's needle can never match it.
    return re.compile(expression, flags | re.ASCII)


def _if_secret(match: re.Match[str]) -> str:
    """The match with its `value` replaced when its `name` looks secret and the value says something."""
    value = match["value"]
    if secret_name(match["name"]) and not _says_nothing(value):
        return match["keep"] + MARKER
    return match[0]


#: A bare value that is code: a call (`getpass.getpass(prompt=...`).
_CALL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\(", re.ASCII)


def _assignment(match: re.Match[str]) -> str:
    """`_if_secret`, except for code (`password = getpass(...)`), a URL's `host:port`, prose after
    `Authorization:` (only a credential-shaped value goes) and a `Cookie:` header without cookies."""
    text, start, value = match.string, match.start(), match["value"]
    if _CALL.match(value) or text[max(0, start - 2) : start] == "//":
        return match[0]
    name = match["name"].lower()
    if name.endswith("authorization") and not _credential_shaped(value.strip(_QUOTES)):
        return match[0]
    if name in ("cookie", "cookies", "set-cookie") and "=" not in value:  # `cookie_header` decided
        return match[0]
    return _if_secret(match)


def _secret_option(match: re.Match[str]) -> str:
    """`--NAME VALUE` / `--NAME=VALUE` with the value replaced when NAME names a secret value.

    Kept: switches (`--ask-vault-password`, `--no-password`: the next word is the next option or an
    argument), values that are the next option (`-x`), a redirection (`< file`), a reference or a
    path (`_says_nothing`), and a cookie option's file (curl's `--cookie jar.txt`; a cookie itself
    is `name=value`).
    """
    name, value = match["name"], match["value"]
    words = [word.lower() for word in _NAME_WORD.findall(name)]
    if not secret_name(name) or not words or words[0] in _SWITCH_WORDS:
        return match[0]
    if value[0] in "-<>|" and match["sep"] != "=":
        return match[0]
    if _says_nothing(value) or (words[-1].startswith("cookie") and "=" not in value):
        return match[0]
    return match["keep"] + MARKER


def _credential(match: re.Match[str]) -> str:
    """A bare `Bearer` / `Basic` / `Token` value, replaced only when it looks like a credential."""
    return match["keep"] + MARKER if _credential_shaped(match["value"]) else match[0]


def _authorization(match: re.Match[str]) -> str:
    """An `Authorization` value: after a scheme anything of 6 characters or more, alone a credential shape."""
    value = match["value"]
    if (len(value) >= 6 if match["scheme"] else _credential_shaped(value)) and not _says_nothing(value):
        return match["keep"] + MARKER
    return match[0]


def _cookie_string(match: re.Match[str]) -> str:
    """A cookie string (`name=value; ...`), replaced whole; a file name (no `=`) is kept."""
    return match["keep"] + MARKER if "=" in match["value"] else match[0]


def _quoted_inner(match: re.Match[str]) -> str:
    """The value between its quotes replaced, when `name` looks secret (XML attributes stay quoted)."""
    if secret_name(match["name"]) and not _says_nothing(match["value"]):
        return match["keep"] + MARKER
    return match[0]


def _value_unless_nothing(match: re.Match[str]) -> str:
    """The `value` replaced unless it says nothing (`ssh-keygen -N ''`, `-p "$PASSWORD"`)."""
    return match[0] if _says_nothing(match["value"]) else match["keep"] + MARKER


def _keep_first(match: re.Match[str]) -> str:
    """The first group that matched (a URL's kept part), then `MARKER`."""
    return next(group for group in match.groups() if group is not None) + MARKER


#: The rest of a shell command after its program, to the next pipe, `;`, `&` or line end;
#: possessive, so that a failed look is not tried again from every later place in the command.
_REST_OF_COMMAND = r"[^|;&\n]*+"


def _command(program: str, argument: str, replacement: Replacement) -> tuple[re.Pattern[str], Replacement]:
    """An expression for `program`'s command and a replacement that runs `argument` over its arguments.

    Linear in the text: `program[^|;&\n]*?argument` tried each occurrence of the program to the end
    of its command, so 20,000 characters of `mysql mysql ...` took half a second.
    """
    arguments = _compile(argument)

    def in_arguments(match: re.Match[str]) -> str:
        return match["program"] + arguments.sub(replacement, match["rest"])

    return _compile(rf"(?P<program>{program})(?P<rest>{_REST_OF_COMMAND})"), in_arguments


#: Programs whose password follows a one-letter flag, and that flag. Case-sensitive: sqlcmd's -p is
#: not its password, -P is; redis-cli's -a needs a space after it.
_PASSWORD_FLAGS: Final = {
    "sshpass": "-p", "twine": "-p", "mongo": "-p", "mongosh": "-p", "mongodump": "-p", "mongorestore": "-p",
    "mongoexport": "-p", "mongoimport": "-p", "redis-cli": "-a(?=\\s)", "sqlcmd": "-P", "ldapsearch": "-w",
    "ldapmodify": "-w", "ldapadd": "-w", "ldapdelete": "-w", "ldappasswd": "-w", "ldapwhoami": "-w",
    "ldapcompare": "-w", "ssh-keygen": "-[NP]",
}  # fmt: skip
_FLAG_VALUES: Final = {
    program: _compile(rf"(?P<keep>\s{flag}[ \t]*)(?!\[REDACTED\]|-)(?P<value>{_VALUE})")
    for program, flag in _PASSWORD_FLAGS.items()
}


def _password_flag(match: re.Match[str]) -> str:
    """The values of the program's password flag in its command (`_PASSWORD_FLAGS`)."""
    return match["program"] + _FLAG_VALUES[match["program"]].sub(_value_unless_nothing, match["rest"])


#: (name, needles, expression, replacement), applied in this order. Needles are lower case, and
#: every text an expression can change contains one of its needles (case-insensitively).
REDACTION_PATTERNS: Final[tuple[tuple[str, tuple[str, ...], re.Pattern[str], Replacement], ...]] = (
    (
        # PEM (RSA, EC, OPENSSH, ENCRYPTED, ...), PGP's `PRIVATE KEY BLOCK`, SSH2's `---- BEGIN ... ----`;
        # to the end of the text when the END line was cut off. PuTTY keys: their private lines.
        "private_key",
        ("private key", "private-lines"),
        _compile(
            r"-{4,5} ?BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}.*?"
            r"(?:-{4,5} ?END [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)? ?-{4,5}|\Z)"
            r"|\bPrivate-Lines: *[0-9]+(?:\r?\n[A-Za-z0-9+/=]+)+",
            re.S,
        ),
        MARKER,
    ),
    (
        # The URL is the credential: Slack's after /services/ (or /workflows/, /triggers/),
        # Discord's after the webhook's id.
        "webhook_url",
        ("hooks.slack.com", "/webhooks/"),
        _compile(
            r"(\bhttps?://hooks\.slack\.com/(?:services|workflows|triggers)/)(?!\[REDACTED\])[A-Za-z0-9_/-]+"
            r"|(\bhttps?://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/(?:v[0-9]+/)?webhooks/[0-9]+/)"
            r"(?!\[REDACTED\])[A-Za-z0-9_-]+",
            re.I,
        ),
        _keep_first,
    ),
    (
        # Greedy up to the last `@` before the path: a password may hold `@` (`u:p@ss@host`).
        "url_password",
        ("@",),
        # (The scheme only where a run of its characters begins, and taken whole: linear in the text.)
        _compile(r"((?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*+://[^/\s:@\"']*:)(?!\[REDACTED\])[^/\s\"']+(@)"),
        rf"\1{MARKER}\2",
    ),
    (
        # A pre-signed URL's signature (Azure SAS `sig=`, S3's `X-Amz-Signature=`, GCS's).
        "url_signature",
        ("sig=", "signature="),
        _compile(r"([?&](?:sig|signature|x-amz-signature|x-goog-signature)=)(?!\[REDACTED\])[^&\s\"'#]+", re.I),
        rf"\1{MARKER}",
    ),
    (
        "authorization",
        ("authorization",),
        _compile(
            r"(?P<keep>\bauthorization[\"']?[ \t]*[:=][ \t]*[\"']?"
            r"(?:(?P<scheme>bearer|basic|token|digest|bot|negotiate|apikey|sso-key)[ \t]+)?)"
            r"(?!\[REDACTED\])(?P<value>[^\s\"',;]+)",
            re.I,
        ),
        _authorization,
    ),
    (
        # Outside an Authorization header (prose says `Basic option`), only a credential-shaped value.
        "bearer",
        ("bearer", "basic", "token"),
        _compile(r"(?P<keep>\b(?:bearer|basic|token)[ \t]+)(?!\[REDACTED\])(?P<value>[A-Za-z0-9._~+/=-]{6,})", re.I),
        _credential,
    ),
    ("anthropic_openai", ("sk-",), _compile(r"\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}"), MARKER),
    (
        "github",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),  # not "gh": `gh pr create` is everywhere
        _compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"),
        MARKER,
    ),
    (
        # Personal, deploy, feed, OAuth, runner, CI job, incoming-mail, trigger, agent tokens.
        "gitlab",
        (*(f"{prefix}-" for prefix in _GITLAB_PREFIXES), "gr1348941"),
        _compile(rf"\b(?:(?:{'|'.join(_GITLAB_PREFIXES)})-|GR1348941)[A-Za-z0-9_-]{{20,}}"),
        MARKER,
    ),
    ("slack", ("xox", "xapp-"), _compile(r"\b(?:xox[a-z]|xapp)-[A-Za-z0-9-]{10,}"), MARKER),
    ("aws_access_key", ("akia", "asia"), _compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), MARKER),
    (
        # API keys, OAuth access tokens (`ya29.`), OAuth client secrets (`GOCSPX-`).
        "google_api_key",
        ("aiza", "ya29.", "gocspx-"),
        _compile(r"\b(?:AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,}|GOCSPX-[0-9A-Za-z_-]{20,})"),
        MARKER,
    ),
    (
        "stripe",
        ("k_live_", "k_test_", "whsec_"),
        _compile(r"\b(?:[rs]k_(?:live|test)_[0-9A-Za-z]{16,}|whsec_[0-9A-Za-z]{20,})"),
        MARKER,
    ),
    ("npm", ("npm_",), _compile(r"\bnpm_[A-Za-z0-9]{36}\b"), MARKER),
    ("pypi", ("pypi-",), _compile(r"\bpypi-[A-Za-z0-9_-]{50,}"), MARKER),
    ("huggingface", ("hf_",), _compile(r"\bhf_[A-Za-z0-9]{30,}\b"), MARKER),
    ("sendgrid", ("sg.",), _compile(r"\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"), MARKER),
    ("digitalocean", ("dop_v1_", "doo_v1_", "dor_v1_"), _compile(r"\bdo[opr]_v1_[a-f0-9]{64}\b"), MARKER),
    ("vault", ("hvs.", "hvb.", "hvr."), _compile(r"\bhv[sbr]\.[A-Za-z0-9_-]{24,}"), MARKER),
    (
        # Other services' tokens with a prefix of their own: Shopify, Atlassian, Linear, Notion,
        # Postman, Databricks, Supabase, Grafana, New Relic, Sentry, Square, age. (Not Doppler's `dp.st.`:
        # a gate on `.` alone costs as much as all of these.)
        "prefixed_token",
        _PREFIXED_TOKEN_NEEDLES,
        _compile(
            r"\b(?:shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}|ATATT3[A-Za-z0-9_=-]{50,}|lin_api_[A-Za-z0-9]{32,}"
            r"|ntn_[A-Za-z0-9]{40,}|PMAK-[a-f0-9]{24}-[a-f0-9]{34}|dapi[a-f0-9]{32}(?:-[0-9])?|sbp_[a-f0-9]{40}"
            r"|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,}={0,2}|NRAK-[A-Z0-9]{27}"
            r"|sntry[su]_[A-Za-z0-9+/=_-]{40,}|sq0(?:atp|csp)-[A-Za-z0-9_-]{22,}"
            r"|AGE-SECRET-KEY-1[0-9A-Z]{58})"
        ),
        MARKER,
    ),
    (
        "telegram",
        ("telegram",),
        _compile(r"(\bapi\.telegram\.org/(?:file/)?bot)(?!\[REDACTED\])[0-9]{6,12}:[A-Za-z0-9_-]{30,}", re.I),
        rf"\1{MARKER}",
    ),
    ("jwt", ("eyj",), _compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), MARKER),
    (
        # Case-sensitive: -P is mysql's port. `-p` then a space prompts for the password (kept).
        "mysql_password",
        ("mysql", "mariadb"),
        *_command(
            r"\b(?:mysql(?:dump|admin|import|check|show|slap|sh)?|mariadb(?:-dump|-admin|dump|admin)?)\b",
            rf"(\s-p)(?!\[REDACTED\]){_VALUE}",
            rf"\1{MARKER}",
        ),
    ),
    (
        # Only `user:password` values: `curl -u deploy` (curl then prompts) is kept.
        "curl_user",
        ("curl",),
        *_command(
            r"\bcurl\b",
            r"(\s(?:-u|-U|--user|--proxy-user)(?:\s*=\s*|\s*)[\"']?[^\s:\"']*:)(?!\[REDACTED\])[^\s\"']+",
            rf"\1{MARKER}",
        ),
    ),
    (
        # curl's `-b` / `--cookie`: cookies (`name=value`) go, a cookie jar's file name stays.
        "curl_cookie",
        ("curl",),
        *_command(
            r"\bcurl\b",
            rf"(?P<keep>\s(?:-b|--cookie)(?:[ \t]*=[ \t]*|[ \t]+))(?!\[REDACTED\])(?P<value>{_VALUE})",
            _cookie_string,
        ),
    ),
    (
        # After `set` (aws, npm, yarn), or a dotted git name: not `kubectl config set-credentials NAME`.
        "config_set",
        ("config",),
        _compile(
            r"(?P<keep>\bconfig(?:ure)?\s+(?:--(?:global|local|system)\s+)*"
            r"(?:set\s+(?:--profile[\s=]+[^\s\"']+\s+)?|(?=[^\s=\"']*\.))"
            rf"(?P<name>[^\s=\"']+)\s+)(?!\[REDACTED\])(?P<value>{_VALUE})",
            re.I,
        ),
        _if_secret,
    ),
    (
        # `-p` / `--password` after `docker login` (and the other registries' and clouds' logins);
        # `--password-stdin` is left alone.
        "docker_login",
        ("login",),
        *_command(
            r"\b(?:docker|podman|nerdctl|buildah|skopeo|oras|helm\s+registry|az|oc|cf|argocd)\s+login\b",
            rf"(\s(?:-p\s*|--password(?:\s*=\s*|\s+)))(?!\[REDACTED\]|-){_VALUE}",
            rf"\1{MARKER}",
        ),
    ),
    (
        "vault_login",
        ("vault",),
        _compile(rf"(\bvault\s+login\s+)(?!\[REDACTED\]|-){_VALUE}"),
        rf"\1{MARKER}",
    ),
    (
        # Programs whose password (or passphrase) follows a one-letter flag (`_PASSWORD_FLAGS`).
        "password_flag",
        ("sshpass", "twine", "mongo", "redis-cli", "sqlcmd", "ldap", "ssh-keygen"),
        _compile(rf"(?P<program>\b(?:{'|'.join(_PASSWORD_FLAGS)})\b)(?P<rest>{_REST_OF_COMMAND})"),
        _password_flag,
    ),
    (
        # `htpasswd -b[c] FILE USER PASSWORD` (batch mode takes the password as an argument).
        "htpasswd",
        ("htpasswd",),
        _compile(
            r"(?P<keep>\bhtpasswd\s+(?:-[A-Za-z]+\s+)*-[A-Za-z]*b[A-Za-z]*\s+(?:-[A-Za-z]+\s+)*"
            rf"[^\s-]\S*\s+\S+\s+)(?!\[REDACTED\])(?P<value>{_VALUE})"
        ),
        _value_unless_nothing,
    ),
    (
        # A .netrc entry: `machine HOST login USER password PASSWORD` (on one line or several).
        "netrc",
        ("machine",),
        _compile(
            r"(?P<keep>\bmachine\s+\S+(?:\s+login\s+\S+)?\s+password\s+)(?!\[REDACTED\])"
            rf"(?P<value>{_VALUE})"
        ),
        _value_unless_nothing,
    ),
    (
        # The value of a repository or environment secret, whatever its name.
        "gh_secret",
        ("secret",),
        *_command(
            r"\bgh[ \t]+secret[ \t]+set\b",
            rf"(\s(?:-b|--body)(?:[ \t]*=[ \t]*|[ \t]*))(?!\[REDACTED\]|-){_VALUE}",
            rf"\1{MARKER}",
        ),
    ),
    (
        "powershell_secure_string",
        ("securestring",),
        _compile(
            rf"(\bConvertTo-SecureString(?:[ \t]+-(?:AsPlainText|Force|String)\b)*[ \t]+)(?!\[REDACTED\]|-|\$){_VALUE}",
            re.I,
        ),
        rf"\1{MARKER}",
    ),
    (
        # A `Cookie:` / `Set-Cookie:` header's value, whole (its cookies, whatever their names).
        "cookie_header",
        ("cookie",),
        _compile(
            r"(?P<keep>\b(?:set-)?cookie[\"']?[ \t]*:[ \t]*)(?!\[REDACTED\])"
            r"(?P<value>\"[^\"\n]*\"|'[^'\n]*'|[^\r\n\"']+)",
            re.I,
        ),
        _cookie_string,
    ),
    (
        # `<password>VALUE</password>`, `<ApiKey>VALUE</ApiKey>`.
        "xml_element",
        _NAME_STEMS,
        _compile(
            rf"(?P<keep><{_NAME_CANDIDATE}(?:\s[^<>]*)?>)(?!\[REDACTED\])(?P<value>[^<]+)(?=</(?P=name)>)",
            re.I,
        ),
        _if_secret,
    ),
    (
        # A name, then its value: `<add key="ApiKey" value="..."/>`, Kubernetes' and ECS's
        # `name: DB_PASSWORD` / `value: ...` (also in JSON), `--name /app/api_key --value ...`
        # (aws ssm put-parameter). The value's quotes stay.
        "name_value",
        _NAME_STEMS,
        _compile(
            r"(?P<keep>(?:\b(?:key|name)[\"']?[ \t]*[:=]|--name[ \t]*=?)[ \t]*(?P<q>[\"']?)"
            rf"{_name('A-Za-z0-9_./-', whole_run=False)}(?P=q)"
            r"[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?"
            r"(?:[\"']?value[\"']?[ \t]*[:=][ \t]*|--value(?:[ \t]*=[ \t]*|[ \t]+))[\"']?)"
            r"(?!\[REDACTED\])(?P<value>[^\s\"'<>,;}\]]+)",
            re.I,
        ),
        _quoted_inner,
    ),
    (
        "secret_assignment",
        _NAME_STEMS,
        _compile(
            rf"(?P<keep>{_NAME_CANDIDATE}(?:\\?[\"'\]])?{_SEPARATOR})"
            rf"(?!\[REDACTED\])(?P<value>{_ASSIGNED})",
            re.I,
        ),
        _assignment,
    ),
    (
        "secret_option",
        _NAME_STEMS,
        _compile(
            rf"(?P<keep>(?<![^\s\"'(])--?{_OPTION_CANDIDATE}(?P<sep>=|[ \t]+))"
            rf"(?!\[REDACTED\])(?P<value>{_VALUE})",
            re.I,
        ),
        _secret_option,
    ),
)


def _minimal(needles: Iterable[str]) -> tuple[str, ...]:
    """The needles without those containing another one (`authorization` goes when `auth` is there)."""
    unique = set(needles)
    return tuple(sorted(n for n in unique if not any(other != n and other in n for other in unique)))


#: Every text one of the patterns can match contains one of these (lower case).
NEEDLES: Final = _minimal(needle for _, needles, _, _ in REDACTION_PATTERNS for needle in needles)


#: Characters from the most to the least frequent in tool-call texts, lower-cased (measured on the
#: benchmark rows and the Claude Code fixtures); any other character counts as rarer than all.
_BY_FREQUENCY: Final = "etspar/odn.limcyuf-hvg_wxb21j4k03q8=9@z"
#: A needle may be looked for by a character this many places more frequent than its rarest one,
#: when another needle's gate looks for that character anyway (one gate fewer).
_MERGE_SLACK: Final = 8


def _rank(character: str) -> int:
    """How rare `character` is: its place in `_BY_FREQUENCY` (higher is rarer)."""
    place = _BY_FREQUENCY.find(character)
    return len(_BY_FREQUENCY) if place < 0 else place


def _anchors(needles: Iterable[str]) -> dict[str, int]:
    """For each needle, the position of the character its gate looks for first.

    Its rarest character, or, to need fewer gates, one nearly as rare (`_MERGE_SLACK`) that other
    needles' gates look for anyway: the gates with the fewest needles are folded into the others
    while every needle of theirs holds a character one of the others looks for.
    """
    anchor = {needle: max(range(len(needle)), key=lambda i: (_rank(needle[i]), -i)) for needle in needles}
    while True:
        used = {needle[i] for needle, i in anchor.items()}
        sizes = {character: sum(needle[i] == character for needle, i in anchor.items()) for character in used}
        for character in sorted(used, key=lambda c: (sizes[c], c)):
            moves: dict[str, int] = {}
            for needle, i in anchor.items():
                if needle[i] != character:
                    continue
                options = [
                    j
                    for j, other in enumerate(needle)
                    if other in used and other != character and _rank(other) >= _rank(character) - _MERGE_SLACK
                ]
                if not options:
                    break
                moves[needle] = max(options, key=lambda j: (_rank(needle[j]), -j))
            else:
                anchor.update(moves)
                break  # `character` has no gate any more: look again at the rest
        else:
            return anchor


#: Each needle from its anchor character on (`ken` for `token`, `key` for `key`).
_ANCHORED: Final = {needle: needle[i:] for needle, i in _anchors(NEEDLES).items()}


def _gate_expressions() -> list[str]:
    """One expression per anchor character: `k(?:en(?<=token)|ey|ie(?<=cookie))`.

    Each starts with a literal character, so the regex engine skips along the text to its next
    occurrence in C; choosing rare characters (`k` for `token`, not `t`) makes that skip long and
    the attempts few, and the look-behind then checks the whole needle at once. Within a gate the
    longest rests come first, so that `_NEEDLE_FINDER` reports the longest needle at a place.
    """
    by_anchor: dict[str, list[str]] = {}
    for needle, anchored in sorted(_ANCHORED.items(), key=lambda item: (-len(item[1]), item[0])):
        behind = f"(?<={re.escape(needle)})" if anchored != needle else ""
        by_anchor.setdefault(anchored[0], []).append(re.escape(anchored[1:]) + behind)
    return [
        re.escape(anchor) + (rests[0] if len(rests) == 1 else f"(?:{'|'.join(rests)})")
        for anchor, rests in sorted(by_anchor.items())
    ]


#: The gates (see `_gate_expressions`): a text holds a needle exactly when one of them matches.
#: On the benchmark rows (2 KB for 100 calls) the 17 of them cost a little less than the 15 gates
#: by first letter did for the 31 needles before, and about a fifth of `needle in text` for each.
_GATES: Final = tuple(re.compile(expression) for expression in _gate_expressions())
#: The gates in one expression: cheaper than the gates one by one on short texts (a few calls).
_NEEDLE_SEARCH: Final = re.compile("|".join(_gate_expressions()))
#: Below this many characters, `_NEEDLE_SEARCH` is cheaper than the gates (measured crossover ~1,200).
_SHORT: Final = 1000
#: Every needle in a text, overlaps included, each as its `_ANCHORED` form: one scan instead of a
#: `needle in text` for each of the patterns' needles (a text that holds one runs only its patterns).
_NEEDLE_FINDER: Final = re.compile(f"(?=({'|'.join(_gate_expressions())}))")


def _patterns_for() -> dict[str, tuple[int, ...]]:
    """{anchored needle found: indexes of the patterns to run}.

    A pattern runs when the text holds a needle contained in one of its own (`auth` for
    `authorization`: more often than needed, never less). A found form also stands for the needles
    whose form begins it, which the finder reports no more at that place (`k-` beside `k_live_`).
    """
    runs: dict[str, tuple[int, ...]] = {}
    for found in set(_ANCHORED.values()):
        held = [needle for needle, anchored in _ANCHORED.items() if found.startswith(anchored)]
        runs[found] = tuple(
            index
            for index, (_, needles, _, _) in enumerate(REDACTION_PATTERNS)
            if any(needle in own for needle in held for own in needles)
        )
    return runs


_PATTERNS_FOR: Final = _patterns_for()


def _apply_patterns(text: str) -> str:
    """`text` through every pattern whose needles it holds (case-insensitively), in their order."""
    found = set(_NEEDLE_FINDER.findall(text.lower()))
    for index in sorted({index for anchored in found for index in _PATTERNS_FOR[anchored]}):
        _, _, pattern, replacement = REDACTION_PATTERNS[index]
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


def _within(redacted: str, original: str, bound: int) -> str:
    """`redacted` cut back (marked) when redaction made it longer than `bound` and than `original`.

    `[REDACTED]` is longer than a short secret: a text at its bound would otherwise leave it, and
    the reads that validate it would fail. The cut comes after redaction, so it never halves a
    secret the patterns would have known.
    """
    limit = max(bound, len(original))
    return redacted if len(redacted) <= limit else bound_error(redacted, limit)


def _swap(value: Any, changed: dict[str, str]) -> Any:
    """`value` with each string found in `changed` replaced by its redacted form (within MAX_TEXT)."""
    if isinstance(value, str):
        redacted = changed.get(value)
        return value if redacted is None else _within(redacted, value, MAX_TEXT)
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
    (`_redactions`); only texts that change are written back, cut back to their bound when the
    marker made them longer (`_within`). Error messages are cut to `ERROR_MESSAGE_LIMIT` after
    redaction, so a secret across the cut is still known by its whole shape.
    """
    texts: list[str] = []
    collect = texts.append
    long_errors: list[dict[str, Any]] = []  # records whose error message needs the cut (rare)
    for field in LOG_TEXT_FIELDS:
        text = row.get(field)
        if text is not None:
            if field == "error_message" and len(text) > ERROR_MESSAGE_LIMIT:
                long_errors.append(row)
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
                long_errors.append(call)
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
                    bound = ERROR_MESSAGE_LIMIT if field == "error_message" else MAX_TEXT
                    record[field] = _within(changed[text], "" if field == "error_message" else text, bound)
        for call in calls:
            if call.get("parameters"):
                call["parameters"] = _swap(call["parameters"], changed)
    for record in long_errors:
        record["error_message"] = bound_error(record["error_message"])
    return row


def redact_call(call: dict[str, Any]) -> dict[str, Any]:
    """Redact one stored tool call (a dict as the store writes it) in place, and return it."""
    redact_row({"tool_calls": [call]})
    return call
