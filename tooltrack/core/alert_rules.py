"""What each alert rule looks for, as pure functions (docs/analytics.md, "Alerts").

The store evaluates the per-call rules (loop, sensitive path, new error kind) as calls are stored
and when it rebuilds its derived tables; `tooltrack.analytics.alerts` evaluates the baseline rules
(failure-rate spike, latency regression) over the rollups. Both take their definitions from here,
so a scan and an insert can never disagree.

- **loop**: in one task log, one agent's calls in order (a sub-agent's calls are their own
  stream); a call is its tool and its inputs (command, path, pattern, URL, offset, limit, the
  other parameters). The same call at least `min_repeats` times in a row, every time failing, or
  every time with the same result (outcome, exit code, error, sizes of the output), is a loop.
  Copies of one call made in parallel in one turn count once.
  Write and Edit store sizes, not content: for them only failures in a row make a loop.
- **sensitive path**: a Read / Write / Edit of a path, or a Bash command naming one (outside a
  here-document's body), whose last components match a pattern (`.env`, `.ssh/*`, `*.pem`, ...)
  and whose name is not ignored (`*.pub`, `.env.example`).
- **baselines**: a day's figure against the median and the MAD of the previous days' (scaled by
  1.4826, so that it estimates a standard deviation), with a floor on the increase so that a
  baseline with no spread at all does not fire on any change.
"""

from __future__ import annotations

import hashlib
import re
import statistics
from dataclasses import dataclass
from fnmatch import translate
from functools import lru_cache
from typing import Any, Final

from tooltrack.core.alert_settings import LoopSettings, SensitivePathSettings
from tooltrack.core.calls import is_failed

LOOP: Final = "loop"
FAILURE_SPIKE: Final = "failure_spike"
LATENCY_REGRESSION: Final = "latency_regression"
NEW_ERROR_KIND: Final = "new_error_kind"
SENSITIVE_PATH: Final = "sensitive_path"
#: Every rule, in the order the pages list them.
ALERT_RULES: Final = (LOOP, FAILURE_SPIKE, LATENCY_REGRESSION, NEW_ERROR_KIND, SENSITIVE_PATH)
#: The rules evaluated per stored call (by the store); the others need a day's totals.
PER_CALL_RULES: Final = (LOOP, NEW_ERROR_KIND, SENSITIVE_PATH)
BASELINE_RULES: Final = (FAILURE_SPIKE, LATENCY_REGRESSION)
SEVERITY: Final = {
    LOOP: "warning",
    FAILURE_SPIKE: "warning",
    LATENCY_REGRESSION: "warning",
    NEW_ERROR_KIND: "info",
    SENSITIVE_PATH: "critical",
}
#: The MAD of normally distributed values times this estimates their standard deviation.
MAD_SCALE: Final = 1.4826

_INPUT_FIELDS: Final = (
    "command", "file_path", "pattern", "url", "offset", "limit", "subagent_type", "parameters",
    "old_string_length", "new_string_length", "replace_all", "bytes_written",
)  # fmt: skip
#: Tools whose content is not stored (only its size): two of their calls with the same sizes are
#: not known to be the same call, so only their failures in a row make a loop.
CONTENT_TOOLS: Final = frozenset({"Write", "Edit", "MultiEdit", "NotebookEdit"})
_RESULT_FIELDS: Final = (
    "success", "outcome", "exit_code", "error_message", "lines_read", "file_size_bytes", "stdout_lines",
    "stderr_lines", "files_matched", "total_matches", "http_status", "response_size_bytes", "bytes_written",
    "lines_changed", "agent_result",
)  # fmt: skip


def alert_key(rule: str, *parts: str) -> str:
    """The identity of an alert: the same finding always gets the same key (32 hex digits)."""
    data = "\x00".join((rule, *parts)).encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()[:32]


def call_anchor(call: dict[str, Any], task_log_id: int, index: int) -> str:
    """What names a call in an alert key: its own id where the source gave one."""
    return str(call.get("call_id") or f"log {task_log_id} call {index}")


# -- loops ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Loop:
    """Calls `start`..`end` (indexes in the task log) repeat one call `repeats` times in a row."""

    start: int
    end: int
    repeats: int
    failing: bool
    """Every repeat failed (else: every repeat had the same result)."""
    tool_name: str
    target: str | None


def _signature(call: dict[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    # Compared with ==, never hashed: `parameters` is a dict, and a tuple of it compares by value.
    return tuple([call.get(name) for name in names])


def find_loops(calls: list[dict[str, Any]], settings: LoopSettings) -> list[Loop]:
    """The loops in one task log's calls, in call order (see the module's docstring)."""
    if not settings.enabled or settings.min_repeats < 2:
        return []
    streams: dict[Any, list[int]] = {}
    for index, call in enumerate(calls):
        if call.get("tool_name") in settings.ignore_tools or call.get("outcome") == "cancelled":
            continue
        streams.setdefault(call.get("parent_call_id"), []).append(index)
    loops: list[Loop] = []
    n = settings.min_repeats
    for indexes in streams.values():
        # Most calls differ from the one before in tool or target: only runs of at least n calls
        # with the same tool and target are looked at closely (the hot path of every insert).
        run: list[int] = []
        previous: Any = None
        for index in indexes:
            call = calls[index]
            key = (call.get("tool_name"), call.get("command"), call.get("file_path"), call.get("pattern"))
            if key != previous:
                if len(run) >= n:
                    loops.extend(_loops_in(_steps(run, calls), calls, n))
                run, previous = [], key
            run.append(index)
        if len(run) >= n:
            loops.extend(_loops_in(_steps(run, calls), calls, n))
    return sorted(loops, key=lambda loop: loop.start)


def _steps(indexes: list[int], calls: list[dict[str, Any]]) -> list[tuple[int, int, Any, Any, bool]]:
    """Consecutive calls as steps (first index, last index, call, result, failed), parallel copies
    of one call in one turn folded into one."""
    steps: list[tuple[int, int, Any, Any, bool]] = []
    for index in indexes:
        call = calls[index]
        sig = (call.get("tool_name"), _signature(call, _INPUT_FIELDS))
        result = _signature(call, _RESULT_FIELDS)
        failed = is_failed(call)
        if steps:
            first, _, prev_sig, prev_result, prev_failed = steps[-1]
            turn = call.get("turn_id")
            if turn and turn == calls[first].get("turn_id") and sig == prev_sig:
                steps[-1] = (first, index, prev_sig, prev_result, prev_failed and failed)
                continue
        steps.append((index, index, sig, result, failed))
    return steps


def _loops_in(steps: list[tuple[int, int, Any, Any, bool]], calls: list[dict[str, Any]], n: int) -> list[Loop]:
    """Within each run of one call: stretches of at least `n` failures in a row, then, among the
    steps left, stretches of at least `n` with the same result."""
    found: list[Loop] = []
    for run in _stretches(steps, lambda step: step[2]):
        if len(run) < n:
            continue
        rest: list[tuple[int, int, Any, Any, bool]] = []
        for stretch in _stretches(run, lambda step: step[4]):
            if stretch[0][4] and len(stretch) >= n:
                found.append(_loop(stretch, calls, failing=True))
            else:
                rest.extend(stretch)
        if str(calls[run[0][0]].get("tool_name")) in CONTENT_TOOLS:
            continue
        for stretch in _stretches(rest, lambda step: (step[3], step[4])):
            if len(stretch) >= n and _consecutive(stretch, run):
                found.append(_loop(stretch, calls, failing=stretch[0][4]))
    return found


def _stretches(items: list[Any], key: Any) -> list[list[Any]]:
    """`items` cut into maximal stretches of equal `key`."""
    out: list[list[Any]] = []
    for item in items:
        if out and key(out[-1][-1]) == key(item):
            out[-1].append(item)
        else:
            out.append([item])
    return out


def _consecutive(stretch: list[Any], run: list[Any]) -> bool:
    """Whether `stretch` is a contiguous part of `run` (no failing stretch was taken out between)."""
    first = run.index(stretch[0])
    return run[first : first + len(stretch)] == stretch


def _loop(run: list[tuple[int, int, Any, Any, bool]], calls: list[dict[str, Any]], *, failing: bool) -> Loop:
    first = calls[run[0][0]]
    target = next((str(first[f]) for f in ("command", "file_path", "pattern", "url") if first.get(f)), None)
    return Loop(run[0][0], run[-1][1], len(run), failing, str(first.get("tool_name")), target)


# -- sensitive paths -----------------------------------------------------------------------------

# What separates words in a shell command, for finding the paths it names (quotes, redirections,
# pipes, `--opt=value`): rough on purpose, since a false positive costs a look, a miss a secret.
_SHELL_WORDS: Final = re.compile(r"[\s;|&<>()`'\"=,{}]+")
# A here-document's body is text (a commit message, a file's content), not paths the command opens.
_HEREDOC: Final = re.compile(r"<<-?\s*(['\"]?)(\w+)\1[^\n]*\n.*?\n\s*\2\b", re.DOTALL)


@lru_cache(maxsize=16)
def _matchers(patterns: tuple[str, ...], ignore: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str] | None]:
    """The patterns as one regular expression over a whole path (a pattern matches a path whose last
    components it matches), and the ignored names as one over a file name. fnmatch's own
    translation, so `*`, `?` and `[...]` mean what they mean to fnmatch."""
    ends = "|".join(f"(?:{translate(p)})" for p in patterns) or "(?!)"
    names = "|".join(f"(?:{translate(p)})" for p in ignore)
    return re.compile(f"(?:^|/)(?:{ends})"), (re.compile(names) if names else None)


def _matches(path: str, settings: SensitivePathSettings) -> bool:
    # One search over the path as it is (separators made "/", a trailing one dropped): "a//.env"
    # and "./.env" still end in "/.env", which is all a pattern looks at.
    path = path.replace("\\", "/").rstrip("/")
    if not path or "://" in path:
        return False
    wanted, ignored = _matchers((*settings.patterns, *settings.extra_patterns), settings.ignore)
    if wanted.search(path) is None:
        return False
    return ignored is None or ignored.match(path.rsplit("/", 1)[-1]) is None


def sensitive_paths(call: dict[str, Any], settings: SensitivePathSettings) -> list[str]:
    """The sensitive paths a call touched: its `file_path` (as the Claude Code mapping stores a
    Read's, Write's or Edit's path), or the words of its Bash command; empty when none."""
    if not settings.enabled or call.get("tool_name") not in settings.tools:
        return []
    found: list[str] = []
    path = call.get("file_path")
    if isinstance(path, str) and _matches(path, settings):
        found.append(path)
    command = call.get("command")
    if call.get("tool_name") == "Bash" and isinstance(command, str):
        for word in _SHELL_WORDS.split(_HEREDOC.sub(" ", command)):
            if word and word not in found and _matches(word, settings):
                found.append(word)
    return found


# -- baselines -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Baseline:
    median: float
    mad: float
    """The scaled median absolute deviation (MAD_SCALE x the MAD)."""
    days: int


def baseline_of(values: list[float]) -> Baseline | None:
    """The median and scaled MAD of a baseline's daily values (None for no values)."""
    if not values:
        return None
    median = statistics.median(values)
    mad = statistics.median(abs(v - median) for v in values) * MAD_SCALE
    return Baseline(median, mad, len(values))


def exceeds(
    value: float, baseline: Baseline, *, mad_factor: float, min_increase: float, min_ratio: float = 0.0
) -> bool:
    """Whether `value` stands out above `baseline`: more than `mad_factor` scaled MADs above the
    median, at least `min_increase` above it, and at least `min_ratio` times it."""
    return (
        value > baseline.median + mad_factor * baseline.mad
        and value - baseline.median >= min_increase
        and value >= min_ratio * baseline.median
    )
