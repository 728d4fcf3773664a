"""The alert rules' settings and the webhook's: defaults, a TOML rules file, environment overrides.

Every figure a rule uses has a default here (docs/analytics.md, "Alerts", says why each is what
it is). A TOML file changes them per rule, one table per rule (`[loop]`, `[failure_spike]`,
`[latency_regression]`, `[new_error_kind]`, `[sensitive_path]`, `[webhook]`); the file is
`TOOLTRACK_ALERTS_FILE`, else `alerts.toml` in the data folder when it exists. Any single setting
can also be set in the environment as `TOOLTRACK_ALERT_<TABLE>_<KEY>` (upper case, e.g.
`TOOLTRACK_ALERT_LOOP_MIN_REPEATS=4`, `TOOLTRACK_ALERT_WEBHOOK_URL=https://hooks.slack.com/...`;
a list is comma-separated), which wins over the file. A key the rules do not know, or a value of
the wrong type, is an error naming the file (or variable) and the key, never silently ignored.

Standard library only: the store reads these settings in the insert's transaction.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final

from tooltrack.core.config import default_data_dir

ALERTS_FILE_ENV: Final = "TOOLTRACK_ALERTS_FILE"
ENV_PREFIX: Final = "TOOLTRACK_ALERT_"


@dataclass(frozen=True, slots=True)
class LoopSettings:
    enabled: bool = True
    #: Calls in a row (parallel copies in one turn count once) that make a loop.
    min_repeats: int = 3
    #: Tools whose identical calls in a row are normal (a to-do list rewritten, a shell polled).
    ignore_tools: tuple[str, ...] = ("TodoWrite", "BashOutput", "TaskOutput")


@dataclass(frozen=True, slots=True)
class FailureSpikeSettings:
    enabled: bool = True
    #: Days before the day judged that make the baseline.
    baseline_days: int = 14
    #: Baseline days (each with at least `min_calls` calls of the tool) needed to judge at all.
    min_baseline_days: int = 5
    #: Decided calls (not cancelled) of the tool on a day for that day to count or be judged.
    min_calls: int = 20
    #: How many scaled MADs above the baseline median the day's failure rate must be.
    mad_factor: float = 3.0
    #: And at least this much above it (a fraction: 0.10 = ten points), for baselines with no spread.
    min_increase: float = 0.10


@dataclass(frozen=True, slots=True)
class LatencyRegressionSettings:
    enabled: bool = True
    baseline_days: int = 14
    min_baseline_days: int = 5
    #: Timed calls of the tool on a day for that day to count or be judged.
    min_calls: int = 20
    quantile: float = 0.95
    mad_factor: float = 3.0
    #: The day's p95 must be at least this many times the baseline median...
    min_ratio: float = 1.5
    #: ...and at least this many ms above it.
    min_increase_ms: float = 1000.0
    #: Which latency: "exec" (execution only), "wall" (with permission waits) or "all".
    timing: str = "all"


@dataclass(frozen=True, slots=True)
class NewErrorKindSettings:
    enabled: bool = True
    #: Days of history the store must hold before an error kind seen first can be called new
    #: (on a fresh database every kind is new, which says nothing).
    warmup_days: int = 7
    #: Failures that are the user's doing, not the agent's (a rejected edit, an interrupt).
    ignore_outcomes: tuple[str, ...] = ("rejected", "interrupted")


#: Paths whose access is reported: fnmatch patterns matched against the path's last components
#: (".ssh/*" matches "/home/me/.ssh/id_rsa"; "*" also matches "/").
DEFAULT_SENSITIVE_PATTERNS: Final = (
    ".env", ".env.*", "*.env", ".envrc",
    ".ssh", ".ssh/*", "id_rsa*", "id_dsa*", "id_ecdsa*", "id_ed25519*",
    ".aws/credentials", ".aws/config", ".netrc", "_netrc", ".pgpass", ".git-credentials", ".npmrc", ".pypirc",
    ".docker/config.json", ".kube/config", "credentials.json", "application_default_credentials.json",
    "*.pem", "*.key", "*.p12", "*.pfx", "*.keystore", "*.jks",
)  # fmt: skip
#: Matched against the file name alone: files that look sensitive but are meant to be shared.
DEFAULT_SENSITIVE_IGNORE: Final = (
    "*.pub", ".env.example", ".env.sample", ".env.template", ".env.dist", "*.env.example", "known_hosts",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class SensitivePathSettings:
    enabled: bool = True
    patterns: tuple[str, ...] = DEFAULT_SENSITIVE_PATTERNS
    #: Added to `patterns` (so a team adds its own without restating the defaults).
    extra_patterns: tuple[str, ...] = ()
    ignore: tuple[str, ...] = DEFAULT_SENSITIVE_IGNORE
    tools: tuple[str, ...] = ("Read", "Write", "Edit", "MultiEdit", "NotebookEdit", "Bash")


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    #: Where alerts are posted (Slack-compatible JSON `{"text": ...}`); empty: not posted.
    url: str = ""
    #: After an alert of a rule and subject is posted, others of the same are not, for this long.
    cooldown_seconds: float = 3600.0
    #: Posts tried per alert before it is given up ("failed").
    max_attempts: int = 6
    #: Wait before the first retry; doubled after each failure, up to `max_backoff_seconds`.
    backoff_seconds: float = 10.0
    max_backoff_seconds: float = 900.0
    timeout_seconds: float = 5.0
    #: Alerts about something older than this are not posted (a scan of last year posts nothing).
    max_age_hours: float = 48.0


@dataclass(frozen=True, slots=True)
class AlertSettings:
    loop: LoopSettings = field(default_factory=LoopSettings)
    failure_spike: FailureSpikeSettings = field(default_factory=FailureSpikeSettings)
    latency_regression: LatencyRegressionSettings = field(default_factory=LatencyRegressionSettings)
    new_error_kind: NewErrorKindSettings = field(default_factory=NewErrorKindSettings)
    sensitive_path: SensitivePathSettings = field(default_factory=SensitivePathSettings)
    webhook: WebhookSettings = field(default_factory=WebhookSettings)


_TABLES: Final = tuple(f.name for f in fields(AlertSettings))
_TIMINGS: Final = ("exec", "wall", "all")


def alerts_file() -> Path | None:
    """The rules file in use: `TOOLTRACK_ALERTS_FILE`, else `alerts.toml` in the data folder if present."""
    named = os.environ.get(ALERTS_FILE_ENV)
    if named:
        return Path(named)
    default = default_data_dir() / "alerts.toml"
    return default if default.is_file() else None


_cache: dict[tuple[Any, ...], AlertSettings] = {}


def current_alert_settings() -> AlertSettings:
    """The settings in force now (the file, then the environment); cached while neither changes."""
    path = alerts_file()
    try:
        stamp = path.stat().st_mtime_ns if path is not None else None
    except FileNotFoundError as exc:
        raise ValueError(f"{ALERTS_FILE_ENV} names {path}, which does not exist") from exc
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith(ENV_PREFIX)))
    key = (str(path), stamp, env)
    cached = _cache.get(key)
    if cached is None:
        _cache.clear()
        cached = _cache[key] = load_settings(path, dict(env))
    return cached


def load_settings(path: Path | None = None, env: dict[str, str] | None = None) -> AlertSettings:
    """The defaults, changed by the TOML file at `path` (if any), then by `env`'s TOOLTRACK_ALERT_* values."""
    settings = AlertSettings()
    if path is not None:
        try:
            document = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ValueError(f"{path}: cannot read the alert rules: {exc}") from exc
        for table, values in document.items():
            if table not in _TABLES or not isinstance(values, dict):
                raise ValueError(f"{path}: unknown table [{table}] (the tables are {', '.join(_TABLES)})")
            settings = replace(settings, **{table: _changed(getattr(settings, table), values, f"{path} [{table}]")})
    for name, raw in (env or {}).items():
        if not name.startswith(ENV_PREFIX):
            continue
        rest = name[len(ENV_PREFIX) :].lower()
        found = next((t for t in _TABLES if rest.startswith(t + "_")), None)
        if found is None:
            raise ValueError(f"{name}: no alert rule {rest!r} (the tables are {', '.join(_TABLES)})")
        current = getattr(settings, found)
        key = rest[len(found) + 1 :]
        value = _from_text(current, key, raw, name)
        settings = replace(settings, **{found: _changed(current, {key: value}, name)})
    return settings


def _changed(current: Any, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in fields(current)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ValueError(f"{where}: unknown setting {key!r} (known: {', '.join(known)})")
        changes[key] = _checked(getattr(current, key), value, f"{where} {key}")
    result = replace(current, **changes)
    if isinstance(result, LatencyRegressionSettings) and result.timing not in _TIMINGS:
        raise ValueError(f"{where} timing: must be one of {', '.join(_TIMINGS)}, not {result.timing!r}")
    return result


def _checked(default: Any, value: Any, where: str) -> Any:
    """`value` as the type of `default`, or a clear error."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value
    elif isinstance(default, int):
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
    elif isinstance(default, float):
        if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
            return float(value)
    elif isinstance(default, str):
        if isinstance(value, str):
            return value
    elif isinstance(default, tuple) and isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError(f"{where}: expected {_kind(default)}, got {value!r}")


def _kind(default: Any) -> str:
    if isinstance(default, bool):
        return "true or false"
    if isinstance(default, int):
        return "a whole number >= 0"
    if isinstance(default, float):
        return "a number >= 0"
    if isinstance(default, tuple):
        return "a list of strings"
    return "a string"


def _from_text(current: Any, key: str, raw: str, where: str) -> Any:
    """An environment variable's text as the setting's type (the type checks follow in `_changed`)."""
    if not hasattr(current, key):
        return raw  # `_changed` names the unknown key
    default = getattr(current, key)
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered in ("1", "true", "yes", "on"):
                return True
            if lowered in ("0", "false", "no", "off"):
                return False
            return raw
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
    except ValueError as exc:
        raise ValueError(f"{where}: expected {_kind(default)}, got {raw!r}") from exc
    if isinstance(default, tuple):
        return [part.strip() for part in raw.split(",") if part.strip()]
    return raw
