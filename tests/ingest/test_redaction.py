"""Each secret pattern is redacted in what is stored, whatever the way into the database."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from tests.helpers.db import stored_logs
from tooltrack.core.redaction import (
    ERROR_MESSAGE_LIMIT,
    MARKER,
    NEEDLES,
    REDACTION_PATTERNS,
    redact_call,
    redact_row,
    redact_text,
    redact_value,
    secret_name,
)
from tooltrack.ingest import ingest_stream
from tooltrack.models import TaskLogCreate, ToolCallRecord
from tooltrack.store import TaskLogRepository

# pattern name -> (a text with a secret in it, the secret). Fake values shaped like real ones.
CASES: dict[str, tuple[str, str]] = {
    "private_key": (
        "echo '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAq7\n-----END RSA PRIVATE KEY-----' > k",
        "MIIEowIBAAKCAQEAq7",
    ),
    "url_password": ("git clone https://deploy:hunter2pass@git.example.com/x.git", "hunter2pass"),
    "bearer": ("curl -H 'Authorization: Bearer abcDEF123456ghij' https://api.example.com", "abcDEF123456ghij"),
    "authorization": ("http GET api.example.com Authorization:xyzzy-opaque-987", "xyzzy-opaque-987"),
    "anthropic_openai": ("claude --key sk-ant-api03-AbCdEfGhIjKlMnOpQrSt", "sk-ant-api03-AbCdEfGhIjKlMnOpQrSt"),
    "github": (
        "gh auth login --with-token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
    ),
    "gitlab": ("glab auth glpat-abcdefghij0123456789", "glpat-abcdefghij0123456789"),
    "slack": ("post xoxb-123456789012-abcdefABCDEF to channel", "xoxb-123456789012-abcdefABCDEF"),
    "aws_access_key": ("aws s3 ls # key AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    "google_api_key": ("maps?key=AIzaSyA1234567890abcdefghijklmnopqrstuv", "AIzaSyA1234567890abcdefghijklmnopqrstuv"),
    "stripe": ("stripe charge sk_live_abcdefghijklmnop1234", "sk_live_abcdefghijklmnop1234"),
    "npm": (
        "npm config set //registry/:_authToken npm_abcdefghijklmnopqrstuvwxyz0123456789",
        "npm_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    "jwt": (
        "token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P",
        "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9P",
    ),
    "secret_assignment": ("DATABASE_PASSWORD=correct-horse-battery ./manage.py migrate", "correct-horse-battery"),
    "secret_option": ("mysql -u root --password s3cr3t-v4lue -e 'select 1'", "s3cr3t-v4lue"),
    "mysql_password": ("mysql -h db.internal -u root -pAttachedPw-2024 shop", "AttachedPw-2024"),
    "curl_user": ("curl -fsS -u deploy:CurlPw-8899 https://ci.example.com/api/json", "CurlPw-8899"),
    "config_set": (
        "aws configure set aws_secret_access_key AwsSecret0123456789abcdefghijklmn",
        "AwsSecret0123456789abcdefghijklmn",
    ),
    "docker_login": ("docker login -u ci -p DockerPw-3344 registry.example.com", "DockerPw-3344"),
    "password_flag": ("sshpass -p SshPw-5566 ssh deploy@web1 uptime", "SshPw-5566"),
    "webhook_url": ("curl -d @msg.json https://hooks.slack.com/services/T0A/B0B/HookPw5566xyz", "HookPw5566xyz"),
    "url_signature": (
        "az storage blob download --blob-url 'https://a.blob.core.windows.net/c/f?sv=1&sig=SasSig%2B55'",
        "SasSig",
    ),
    "prefixed_token": (
        "SHOPIFY=shpat_0123456789abcdef0123456789abcdef ./sync",
        "shpat_0123456789abcdef0123456789abcdef",
    ),
    "pypi": ("twine upload -u __token__ -p pypi-AgEIcHlwaS5vcmc" + "x" * 60 + " dist/*", "pypi-AgEIcHlwaS5vcmc"),
    "huggingface": ("login('hf_abcdefghijklmnopqrstuvwxyz01234567')", "hf_abcdefghijklmnopqrstuvwxyz01234567"),
    "sendgrid": (
        "SendGridAPIClient('SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')",
        "SG.abcdef",
    ),
    "digitalocean": ("doctl auth init -t dop_v1_" + "0a" * 32, "dop_v1_0a0a"),
    "vault": ("vault kv get -address https://v:8200 secret/app # hvs.CAESIabcdefghij0123456789AB", "hvs.CAESI"),
    "telegram": ("curl https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe", "AAHdqTcvCH1v"),
    "curl_cookie": ("curl -b 'sessionid=CookiePw-77' https://app.example.com/", "CookiePw-77"),
    "vault_login": ("vault login s.VaultLegacyTok42", "VaultLegacyTok42"),
    "htpasswd": ("htpasswd -bc .htpasswd admin HtPw-88", "HtPw-88"),
    "netrc": ("machine api.example.com login ops password NetrcPw-99", "NetrcPw-99"),
    "gh_secret": ("gh secret set DEPLOY_HOOK --body GhBody-11 --repo acme/app", "GhBody-11"),
    "powershell_secure_string": ("ConvertTo-SecureString 'PsPw-22' -AsPlainText -Force", "PsPw-22"),
    "cookie_header": ("wget --header='Cookie: theme=dark; auth_session=HdrCookie-33' https://h/", "HdrCookie-33"),
    "xml_element": ("<server><username>ci</username><password>XmlPw-44</password></server>", "XmlPw-44"),
    "name_value": ("env:\n  - name: DB_PASSWORD\n    value: K8sPw-55", "K8sPw-55"),
}


def test_every_pattern_has_a_case() -> None:
    assert sorted(CASES) == sorted(name for name, _, _, _ in REDACTION_PATTERNS)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pattern_alone(name: str) -> None:
    text_, secret = CASES[name]
    redacted = redact_text(text_)
    assert secret not in redacted
    assert MARKER in redacted


@pytest.mark.parametrize(
    "clean",
    ["pytest tests/ -x -q", "cat src/tokenizer.py", "git commit -m 'fix author name'", "https://example.com/a?b=c"],
)
def test_ordinary_text_is_left_alone(clean: str) -> None:
    assert redact_text(clean) == clean


def _log_with(secret_text: str) -> TaskLogCreate:
    """A task log carrying `secret_text` in every field the store redacts."""
    return TaskLogCreate(
        adw_id="redact",
        phase_name="Build",
        phase_status="failed",
        log_message=f"ran {secret_text}",
        error_message=f"failed: {secret_text}",
        tool_calls=[
            ToolCallRecord(tool_name="Bash", success=False, command=secret_text, error_message=secret_text),
            ToolCallRecord(tool_name="WebFetch", success=True, url=f"https://x.example.com/?q={secret_text}"),
            ToolCallRecord(tool_name="Grep", success=True, pattern=secret_text, file_path=secret_text),
            ToolCallRecord(
                tool_name="mcp__db__query",
                success=True,
                parameters={"sql": secret_text, "nested": [{"v": secret_text}]},
            ),
        ],
    )


def _raw_rows(engine: Engine) -> str:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT log_message, error_message, tool_calls FROM task_logs")).all()
    return repr(rows)


@pytest.mark.parametrize("name", sorted(CASES))
def test_store_write_path_redacts(engine: Engine, name: str) -> None:
    text_, secret = CASES[name]
    TaskLogRepository(engine).create(_log_with(text_))
    raw = _raw_rows(engine)
    assert secret not in raw
    assert MARKER in raw


@pytest.mark.parametrize("name", ["github", "secret_assignment", "url_password", "bearer"])
def test_ingest_bulk_path_redacts(engine: Engine, name: str) -> None:
    text_, secret = CASES[name]
    line = orjson.dumps(_log_with(text_).model_dump(mode="json", exclude_none=True)) + b"\n"
    report = ingest_stream(engine, "-", io.BytesIO(line))
    assert report.ok and report.task_logs_stored == 1
    raw = _raw_rows(engine)
    assert secret not in raw and MARKER in raw


def test_transcript_secrets_are_redacted(engine: Engine, write_lines) -> None:  # type: ignore[no-untyped-def]
    use = {
        "type": "assistant",
        "sessionId": "s-1",
        "timestamp": "2026-01-01T00:00:00Z",
        "message": {
            "id": "m1",
            "role": "assistant",
            "content": [
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "Bash",
                    "input": {
                        "command": "curl -u admin:pa55word https://h.example.com",
                        "env": "API_TOKEN=t0k3n-value",
                    },
                }
            ],
        },
    }
    result = {
        "type": "user",
        "sessionId": "s-1",
        "timestamp": "2026-01-01T00:00:01Z",
        "message": {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_1",
                    "is_error": True,
                    "content": "Exit code 22\nAuthorization: Bearer leakedtoken123",
                }
            ],
        },
    }
    ingest_stream(engine, "t.jsonl", io.BytesIO(orjson.dumps(use) + b"\n" + orjson.dumps(result) + b"\n"))
    raw = _raw_rows(engine)
    for secret in ("t0k3n-value", "leakedtoken123"):
        assert secret not in raw
    [log] = stored_logs(engine)
    assert log.tool_calls[0].exit_code == 22


def test_error_messages_are_cut(engine: Engine) -> None:
    long = "E" * (ERROR_MESSAGE_LIMIT * 3)
    log = TaskLogCreate(
        adw_id="long",
        phase_name="Test",
        phase_status="failed",
        error_message=long,
        tool_calls=[ToolCallRecord(tool_name="Bash", success=False, error_message=long)],
    )
    TaskLogRepository(engine).create(log)
    [stored] = stored_logs(engine)
    assert stored.error_message is not None and len(stored.error_message) == ERROR_MESSAGE_LIMIT
    assert stored.tool_calls[0].error_message is not None
    assert len(stored.tool_calls[0].error_message) == ERROR_MESSAGE_LIMIT


# --- Command lines: each new form, and the look-alikes that must come through unchanged ----------

SECRET_COMMANDS: list[tuple[str, str]] = [
    ("mysql -uroot -pS3cret-Attached shop", "S3cret-Attached"),
    ("mysqldump -u app -p'Pw With Spaces' shop > dump.sql", "Pw With Spaces"),
    ('docker exec -i db mariadb -u app -p"MariaPw-1" app < seed.sql', "MariaPw-1"),
    ("mysql --user=root --password=LongForm-77 shop", "LongForm-77"),
    ("mysql -u root --password LongFormSpace-78 shop", "LongFormSpace-78"),
    ("curl -u deploy:CurlPw-1 https://ci.example.com", "CurlPw-1"),
    ("curl --user deploy:CurlPw-2 https://ci.example.com", "CurlPw-2"),
    ("curl --user=deploy:CurlPw-3 https://ci.example.com", "CurlPw-3"),
    ("curl -udeploy:CurlPw-4 https://ci.example.com", "CurlPw-4"),
    ("curl -sS -u 'deploy:CurlPw-5' https://ci.example.com", "CurlPw-5"),
    ("curl -x proxy:3128 --proxy-user px:ProxyPw-6 https://ci.example.com", "ProxyPw-6"),
    ("aws configure set aws_secret_access_key AwsSecretVal-6", "AwsSecretVal-6"),
    ("aws configure set profile.dev.aws_session_token SessTok-7 --profile dev", "SessTok-7"),
    ("aws configure set --profile dev aws_secret_access_key AwsProfileVal-7", "AwsProfileVal-7"),
    ("npm config set //registry.npmjs.org/:_authToken NpmCfg-8", "NpmCfg-8"),
    ("git config --global github.token GitCfg-9", "GitCfg-9"),
    ("docker login -u ci -p DockerPw-10 registry.example.com", "DockerPw-10"),
    ("docker login -u ci -pDockerPw-11 registry.example.com", "DockerPw-11"),
    ("docker login --username ci --password DockerPw-12 registry.example.com", "DockerPw-12"),
    ("docker login --username ci --password=DockerPw-13 registry.example.com", "DockerPw-13"),
    ("podman login -u ci -p PodmanPw-14 quay.io", "PodmanPw-14"),
    ("helm registry login registry.example.com -u ci -p HelmPw-15", "HelmPw-15"),
    ("export SIGNING_KEY=SignVal-16 && make release", "SignVal-16"),
    ("sshpass -p'Ssh Pw 17' rsync -a dist/ deploy@web1:/srv/app", "Ssh Pw 17"),
]

LOOK_ALIKE_COMMANDS = [
    "mysql -u root -p shop",  # -p then a space: mysql prompts for the password
    "mysql -h db.internal -P 3306 -u app shop",  # -P is the port
    "mysql --protocol=tcp -u app shop",
    "mysql -u app shop | grep -pv TODO",  # a -p of the next command in the pipe
    "grep -p -n TODO src/app.py",
    "git log -p --follow src/auth/session.py",
    "pytest -p no:cacheprovider -q tests/",
    "ps -u root -o pid,cmd",
    "mkdir -p build/keys",
    "git push -u origin feature/tokens",
    "curl -u deploy https://ci.example.com/api/json",  # no password: curl prompts
    "curl -s https://api.example.com/health | jq .status",
    "echo $CR_PAT | docker login ghcr.io -u ci --password-stdin",
    "docker run -p 8080:80 nginx",
    "aws configure set region eu-west-1",
    "git config --global user.name 'Ada Lovelace'",
    "git config credential.helper store",
    "kubectl config set-credentials admin --client-certificate=admin.crt",
    "kubectl config use-context prod-token-cluster",
    "npm config set registry https://registry.npmjs.org/",
    "python eval.py --max-tokens 4096",
    "export MAX_TOKENS=4096 TOKEN_COUNT=12 PASSWORD_MIN_LENGTH=12 DB_PASSWORD_FILE=/run/secrets/db",
    "gh pr create --fill --title 'Load the API key lazily'",
    "sshpass -f ~/.ssh/pw.txt ssh deploy@web1 uptime",
]


@pytest.mark.parametrize(("command", "secret"), SECRET_COMMANDS)
def test_command_line_secret_forms(command: str, secret: str) -> None:
    redacted = redact_text(command)
    assert secret not in redacted
    assert MARKER in redacted


@pytest.mark.parametrize("command", LOOK_ALIKE_COMMANDS)
def test_command_line_look_alikes_are_left_alone(command: str) -> None:
    assert redact_text(command) == command


def test_only_the_value_goes() -> None:
    assert redact_text("mysql -uroot -pX1y2 shop") == f"mysql -uroot -p{MARKER} shop"
    assert redact_text("curl -u deploy:pw-9 https://h") == f"curl -u deploy:{MARKER} https://h"
    assert redact_text("aws configure set aws_secret_access_key v4l") == (
        f"aws configure set aws_secret_access_key {MARKER}"
    )
    assert redact_text("docker login -u ci -p pw-1 r.io") == f"docker login -u ci -p {MARKER} r.io"


# --- Secret-looking names (keys of parameters, NAME=value, config set NAME value) -----------------

SECRET_KEYS = [
    "api_key", "apiKey", "API_KEY", "APIKey", "x-api-key", "X-Api-Key", "password", "DB_PASSWORD",
    "PGPASSWORD", "passwd", "pwd", "MYSQL_PWD", "Authorization", "proxy-authorization", "access_token",
    "accessToken", "refresh_token", "token", "GITHUB_TOKEN", "client_secret", "clientSecret", "secret",
    "aws_secret_access_key", "private_key", "privateKey", "SECRET_KEY_BASE", "session_key", "credentials",
    "basic_auth", "Cookie", "Set-Cookie", "passphrase", "db_password_prod", "password2", "encryption_key",
]  # fmt: skip
LOOK_ALIKE_KEYS = [
    "token_count", "max_tokens", "password_length", "password_min_length", "tokens_used", "prompt_tokens",
    "maxTokens", "tokenizer", "author", "auth_method", "secret_name", "secretName", "token_type", "token_url",
    "private_key_path", "password_file", "api_key_env", "cache_key", "primary_key", "key", "keys",
    "aws_access_key_id", "passed", "bypass", "keyboard", "monkey", "url", "query", "todos", "credential.helper",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET_KEYS)
def test_secret_looking_names(name: str) -> None:
    assert secret_name(name)


@pytest.mark.parametrize("name", LOOK_ALIKE_KEYS)
def test_look_alike_names(name: str) -> None:
    assert not secret_name(name)


#: A tool's input with secrets under keys, look-alike keys beside them, and what must be stored.
KEYED_PARAMETERS: dict[str, Any] = {
    "api_key": "KeyVal-1",
    "password": "hunter2",
    "Authorization": "Basic xyz",
    "headers": {"X-Api-Key": "HdrVal-2", "Accept": "application/json"},
    "env": {"DATABASE_PASSWORD": "PlainPw-3", "HOME": "/home/ci", "MAX_TOKENS": "4096"},
    "pin_password": 123456,
    "secrets": ["ListSecret-4", "ListSecret-5"],
    "credentials": {"user": "ops", "password": "NestedPw-6", "expires": 3600},
    "use_token": True,
    "token": None,
    "client_secret": "",
    "token_count": 12,
    "max_tokens": 4096,
    "password_length": 16,
    "query": "select 1 -- token abcdefgh123",
}
KEYED_EXPECTED: dict[str, Any] = {
    "api_key": MARKER,
    "password": MARKER,
    "Authorization": MARKER,
    "headers": {"X-Api-Key": MARKER, "Accept": "application/json"},
    "env": {"DATABASE_PASSWORD": MARKER, "HOME": "/home/ci", "MAX_TOKENS": "4096"},
    "pin_password": MARKER,
    "secrets": [MARKER, MARKER],
    "credentials": {"user": "ops", "password": MARKER, "expires": 3600},
    "use_token": True,  # a flag, a null and an empty string say nothing secret
    "token": None,
    "client_secret": "",
    "token_count": 12,
    "max_tokens": 4096,
    "password_length": 16,
    "query": f"select 1 -- token {MARKER}",  # other strings still go through the text patterns
}


def test_values_under_secret_keys() -> None:
    assert redact_value(KEYED_PARAMETERS) == KEYED_EXPECTED
    assert redact_value([KEYED_PARAMETERS, "plain"]) == [KEYED_EXPECTED, "plain"]


def _keyed_log(adw_id: str) -> TaskLogCreate:
    return TaskLogCreate(
        adw_id=adw_id,
        phase_name="Build",
        phase_status="completed",
        tool_calls=[
            ToolCallRecord(tool_name="Read", success=True, file_path="src/app.py"),
            ToolCallRecord(tool_name="mcp__api__call", success=True, parameters=KEYED_PARAMETERS),
        ],
    )


def _stored_parameters(engine: Engine) -> list[dict[str, Any] | None]:
    return [call.parameters for log in stored_logs(engine) for call in log.tool_calls]


def test_parameters_by_key_stored_through_ingest(engine: Engine) -> None:
    line = orjson.dumps(_keyed_log("keyed-ingest").model_dump(mode="json", exclude_none=True)) + b"\n"
    report = ingest_stream(engine, "keyed.jsonl", io.BytesIO(line))
    assert report.ok and report.task_logs_stored == 1
    assert _stored_parameters(engine) == [None, KEYED_EXPECTED]
    raw = _raw_rows(engine)
    for secret in ("KeyVal-1", "hunter2", "xyz", "HdrVal-2", "PlainPw-3", "123456", "ListSecret", "NestedPw-6"):
        assert secret not in raw


def test_parameters_by_key_stored_through_the_write_path(engine: Engine) -> None:
    TaskLogRepository(engine).create(_keyed_log("keyed-api"))
    assert _stored_parameters(engine) == [None, KEYED_EXPECTED]


def test_parameters_by_key_from_a_claude_code_stream(engine: Engine) -> None:
    session = "5e55e55e-0000-4000-8000-00000000abcd"
    use = {
        "type": "tool_use",
        "id": "toolu_keyed",
        "name": "mcp__weather__forecast",
        "input": {"city": "Berlin", "apiKey": "StreamKey-77", "max_tokens": 256},
    }
    result = {"type": "tool_result", "tool_use_id": "toolu_keyed", "content": "sunny"}
    lines = [
        {"type": "system", "subtype": "init", "session_id": session, "cwd": "/repo"},
        {"type": "assistant", "session_id": session, "message": {"id": "msg_k", "content": [use]}},
        {"type": "user", "session_id": session, "message": {"role": "user", "content": [result]}},
    ]
    data = b"".join(orjson.dumps(line) + b"\n" for line in lines)
    report = ingest_stream(engine, "raw_output.jsonl", io.BytesIO(data), adw_id="keyed-stream", phase="Build")
    assert report.ok, report
    assert _stored_parameters(engine) == [{"city": "Berlin", "apiKey": MARKER, "max_tokens": 256}]
    assert "StreamKey-77" not in _raw_rows(engine)


# --- The row path: one look at all the texts of a row, the same result as each text alone ---------


def _all_patterns(text_: str) -> str:
    """`text_` through every pattern, with no needle check: what the needles must never change."""
    for _, _, pattern, replacement in REDACTION_PATTERNS:
        text_ = pattern.sub(replacement, text_)
    return text_


def test_needles_are_safe_to_skip_on() -> None:
    for needle in NEEDLES:
        assert needle == needle.lower() and needle
        # A replacement inserts the marker: it must not bring a needle a skipped pattern lacks.
        assert needle not in MARKER.lower() and not set(needle) & set("[]\n")
    for _, needles, _, _ in REDACTION_PATTERNS:
        assert all(any(minimal in needle for minimal in NEEDLES) for needle in needles)


#: Pieces of realistic texts: trigger words in several cases, separators, values, letters whose
#: lower case is longer (İ) or that case-fold to ASCII (the Kelvin sign, the long s).
_PIECES = [
    *(text_ for text_, _ in CASES.values()),
    *(command for command, _ in SECRET_COMMANDS),
    *LOOK_ALIKE_COMMANDS,
    "token", "TOKEN", "Bearer", "basic", "api_key", "X-Api-Key", "password", "PaSsWoRd", "pwd", "secret",
    "auth", "cookie", "credential", "curl", "mysql", "login", "config", "set", "-p", "-u", "--user",
    "--password", "=", ": ", ":", "@", "://", "'", '"', " ", "  ", "\n", "\t", "/", ",", "abc123def",
    "sk-", "ghp_", "AKIA", "eyJ", "İ", "\u212a", "\u017f", "ß", "é", "[REDACTED]", "docker", "aws",
]  # fmt: skip
_texts = st.lists(st.sampled_from(_PIECES), max_size=8).map("".join)


@settings(max_examples=400, deadline=None)
@given(_texts)
def test_needles_never_change_the_result(text_: str) -> None:
    assert redact_text(text_) == _all_patterns(text_)


@settings(max_examples=150, deadline=None)
@given(st.lists(_texts, min_size=1, max_size=12), _texts)
def test_a_row_gets_what_each_text_gets_alone(texts: list[str], message: str) -> None:
    calls: list[dict[str, Any]] = [{"tool_name": "Bash", "command": text_} for text_ in texts]
    calls.append({"tool_name": "mcp__x", "parameters": {"q": texts[0], "deep": [{"v": texts[-1]}], "n": 3}})
    row = redact_row({"log_message": message, "tool_calls": calls})
    assert row["log_message"] == _all_patterns(message)
    assert [call["command"] for call in row["tool_calls"][:-1]] == [_all_patterns(text_) for text_ in texts]
    assert row["tool_calls"][-1]["parameters"] == {
        "q": _all_patterns(texts[0]),
        "deep": [{"v": _all_patterns(texts[-1])}],
        "n": 3,
    }


@pytest.mark.parametrize("odd_path", ["src/istanbul.py", "src/İstanbul.py"])  # İ lower-cases to 2 characters
def test_one_secret_among_many_texts(odd_path: str) -> None:
    calls: list[dict[str, Any]] = [{"tool_name": "Read", "file_path": f"src/module_{i}.py"} for i in range(200)]
    calls[3]["file_path"] = odd_path
    calls[137]["command"] = "curl -u deploy:RowPw-1 https://h"
    calls[5]["error_message"] = "E" * (ERROR_MESSAGE_LIMIT * 2)
    row = redact_row({"log_message": "done", "tool_calls": calls})
    assert row["tool_calls"][137]["command"] == f"curl -u deploy:{MARKER} https://h"
    assert len(row["tool_calls"][5]["error_message"]) == ERROR_MESSAGE_LIMIT
    paths = [f"src/module_{i}.py" for i in range(200)]
    paths[3] = odd_path
    assert [call["file_path"] for call in row["tool_calls"]] == paths


def test_redact_call() -> None:
    call = {"tool_name": "Bash", "command": "mysql -pCallPw-1 db", "parameters": {"token": "T-1", "n": 2}}
    assert redact_call(call) is call
    assert call == {"tool_name": "Bash", "command": f"mysql -p{MARKER} db", "parameters": {"token": MARKER, "n": 2}}
