"""The alert rules' pure parts: settings from a file and the environment, the robust baseline,
loops' edges and path matching (the store and scan tests cover them on real data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tooltrack.core import (
    MAD_SCALE,
    LoopSettings,
    SensitivePathSettings,
    baseline_of,
    exceeds,
    find_loops,
    load_settings,
    sensitive_paths,
)


def test_a_rules_file_and_the_environment_change_one_setting_each(tmp_path: Path) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text('[loop]\nmin_repeats = 5\nignore_tools = ["Glob"]\n[webhook]\nurl = "http://file"\n')
    settings = load_settings(rules, {"TOOLTRACK_ALERT_WEBHOOK_URL": "http://env", "TOOLTRACK_ALERT_LOOP_ENABLED": "no"})
    assert (settings.loop.min_repeats, settings.loop.ignore_tools, settings.loop.enabled) == (5, ("Glob",), False)
    assert settings.webhook.url == "http://env"
    assert settings.failure_spike == load_settings().failure_spike  # untouched: the defaults
    extra = load_settings(None, {"TOOLTRACK_ALERT_SENSITIVE_PATH_EXTRA_PATTERNS": "secrets.yaml, *.vault"})
    assert extra.sensitive_path.extra_patterns == ("secrets.yaml", "*.vault")


@pytest.mark.parametrize(
    ("text", "env", "message"),
    [
        ("[loops]\n", {}, "unknown table [loops]"),
        ("[loop]\nmin_repeats = 'three'\n", {}, "[loop] min_repeats: expected a whole number >= 0"),
        ("[latency_regression]\ntiming = 'cpu'\n", {}, "timing: must be one of exec, wall, all"),
        ("", {"TOOLTRACK_ALERT_LOOP_MIN_REPEATS": "x"}, "TOOLTRACK_ALERT_LOOP_MIN_REPEATS: expected a whole number"),
        ("", {"TOOLTRACK_ALERT_LOOPY_N": "3"}, "TOOLTRACK_ALERT_LOOPY_N: no alert rule 'loopy_n'"),
    ],
)
def test_a_wrong_setting_is_named(tmp_path: Path, text: str, env: dict[str, str], message: str) -> None:
    rules = tmp_path / "alerts.toml"
    rules.write_text(text)
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings(rules, env)


def test_the_baseline_is_the_median_and_the_scaled_mad() -> None:
    baseline = baseline_of([0.1, 0.2, 0.2, 0.3, 5.0])  # one outlier barely moves it
    assert baseline is not None
    assert baseline.median == 0.2 and baseline.mad == pytest.approx(0.1 * MAD_SCALE)
    assert exceeds(0.7, baseline, mad_factor=3, min_increase=0.1)  # above 0.2 + 3 x 0.148
    assert not exceeds(0.6, baseline, mad_factor=3, min_increase=0.1)  # within 3 scaled MADs
    flat = baseline_of([0.0] * 7)
    assert flat is not None and not exceeds(0.05, flat, mad_factor=3, min_increase=0.1)  # no spread: the floor holds
    assert baseline_of([]) is None


def _bash(n: int, *, ok: bool, out: int = 1, turn: str | None = None, parent: str | None = None) -> dict[str, object]:
    call: dict[str, object] = {"tool_name": "Bash", "command": "make test", "success": ok, "stdout_lines": out}
    if not ok:
        call |= {"exit_code": 2, "error_message": f"Exit code 2 (try {n})"}
    if turn:
        call["turn_id"] = turn
    if parent:
        call["parent_call_id"] = parent
    return call


def test_failures_in_a_row_make_a_loop_even_when_the_messages_differ() -> None:
    calls = [_bash(i, ok=False) for i in range(3)] + [_bash(9, ok=True)]
    [loop] = find_loops(calls, LoopSettings())
    assert (loop.start, loop.end, loop.repeats, loop.failing, loop.target) == (0, 2, 3, True, "make test")


def test_interleaved_streams_and_interruptions() -> None:
    # A sub-agent's calls between the main agent's do not break its run; another call does.
    calls = [_bash(0, ok=False), _bash(1, ok=False, parent="task-1"), _bash(2, ok=False), _bash(3, ok=False)]
    [loop] = find_loops(calls, LoopSettings())
    assert (loop.start, loop.end, loop.repeats) == (0, 3, 3)
    broken = [_bash(0, ok=False), {"tool_name": "Read", "file_path": "Makefile", "success": True}, _bash(1, ok=False)]
    assert find_loops([*broken, _bash(2, ok=False)], LoopSettings()) == []
    # Ignored tools, and a disabled rule.
    todo = [{"tool_name": "TodoWrite", "success": True, "parameters": {"todos": {"items": 3}}}] * 4
    assert find_loops(todo, LoopSettings()) == []
    assert find_loops([_bash(i, ok=False) for i in range(5)], LoopSettings(enabled=False)) == []


def test_same_result_loops_need_the_same_result_and_not_a_content_tool() -> None:
    same = [_bash(i, ok=True, out=4) for i in range(3)]
    [loop] = find_loops(same, LoopSettings())
    assert not loop.failing
    assert find_loops([_bash(i, ok=True, out=i) for i in range(3)], LoopSettings()) == []
    edits = [{"tool_name": "Edit", "file_path": "a.py", "success": True, "old_string_length": 3}] * 3
    assert find_loops(edits, LoopSettings()) == []
    parallel = [_bash(i, ok=True, out=4, turn="t1") for i in range(3)]
    assert find_loops(parallel, LoopSettings()) == []


@pytest.mark.parametrize(
    ("call", "found"),
    [
        ({"tool_name": "Read", "file_path": "/home/me/.ssh/config"}, ["/home/me/.ssh/config"]),
        ({"tool_name": "Read", "file_path": "C:\\Users\\me\\.aws\\credentials"}, ["C:\\Users\\me\\.aws\\credentials"]),
        ({"tool_name": "Edit", "file_path": "deploy/prod.env"}, ["deploy/prod.env"]),
        ({"tool_name": "Read", "file_path": "deploy/.env.sample"}, []),
        ({"tool_name": "Grep", "file_path": ".env"}, []),  # not one of the rule's tools by default
        ({"tool_name": "Bash", "command": "scp -i ~/.ssh/deploy_key app host:"}, ["~/.ssh/deploy_key"]),
        ({"tool_name": "Bash", "command": "docker run --env-file=.env app"}, [".env"]),
        ({"tool_name": "Bash", "command": "curl https://example.com/.env"}, []),
        ({"tool_name": "Bash", "command": "cat <<EOF > notes.md\nnever commit .env\nEOF"}, []),
    ],
)
def test_sensitive_paths(call: dict[str, object], found: list[str]) -> None:
    assert sensitive_paths(call, SensitivePathSettings()) == found
