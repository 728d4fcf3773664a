"""Capture: recording tool calls as they happen and getting them to the API without loss.

- `ToolCallTracker` records calls in workflow code; `log_task_completion` sends a phase's log
  (posting, retrying, spooling, in the background if asked).
- `tooltrack replay` sends the spool; `tooltrack hook` records Claude Code hook events.

Names load on first use: the hook imports modules of this package on every tool call and must not
pay for pydantic or httpx.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tooltrack.capture.client import (
        API_TOKEN_ENV,
        API_URL_ENV,
        DEFAULT_API_URL,
        ApiCheck,
        PostResult,
        TaskLogClient,
        UnusableToken,
        token_problem,
    )
    from tooltrack.capture.hook import META_ENV as HOOK_META_ENV
    from tooltrack.capture.hook import handle_event as handle_hook_event
    from tooltrack.capture.hook import main as run_hook
    from tooltrack.capture.hook_sessions import UNFINISHED_GRACE_SECONDS, Deliver, log_hook_problem
    from tooltrack.capture.hook_sessions import close_session as close_hook_session
    from tooltrack.capture.hook_settings import Change as HookSettingsChange
    from tooltrack.capture.hook_settings import SettingsError as HookSettingsError
    from tooltrack.capture.hook_settings import apply as apply_hook_change
    from tooltrack.capture.hook_settings import command_hook, hook_url, http_hook
    from tooltrack.capture.hook_settings import plan_install as plan_hook_install
    from tooltrack.capture.hook_settings import plan_uninstall as plan_hook_uninstall
    from tooltrack.capture.hook_settings import settings_path as hook_settings_path
    from tooltrack.capture.replay import ReplayReport, replay_spool
    from tooltrack.capture.sender import BackgroundSender, TaskLogSender, build_task_log, log_task_completion
    from tooltrack.capture.session_format import session_file as hook_session_file
    from tooltrack.capture.spool import Spool, default_spool_path, fallback_dir, hook_log_path, sessions_dir
    from tooltrack.capture.tracker import ToolCallTracker, TrackedCall, clean_tool_call

#: Public name -> its module, or (module, the name it has there).
_EXPORTS: dict[str, str | tuple[str, str]] = {
    "API_TOKEN_ENV": "tooltrack.capture.client",
    "API_URL_ENV": "tooltrack.capture.client",
    "DEFAULT_API_URL": "tooltrack.capture.client",
    "UNFINISHED_GRACE_SECONDS": "tooltrack.capture.hook_sessions",
    "ApiCheck": "tooltrack.capture.client",
    "UnusableToken": "tooltrack.capture.client",
    "token_problem": "tooltrack.capture.client",
    "fallback_dir": "tooltrack.capture.spool",
    "hook_log_path": "tooltrack.capture.spool",
    "sessions_dir": "tooltrack.capture.spool",
    "run_hook": ("tooltrack.capture.hook", "main"),
    "HookSettingsChange": ("tooltrack.capture.hook_settings", "Change"),
    "HookSettingsError": ("tooltrack.capture.hook_settings", "SettingsError"),
    "apply_hook_change": ("tooltrack.capture.hook_settings", "apply"),
    "command_hook": "tooltrack.capture.hook_settings",
    "hook_settings_path": ("tooltrack.capture.hook_settings", "settings_path"),
    "hook_url": "tooltrack.capture.hook_settings",
    "http_hook": "tooltrack.capture.hook_settings",
    "plan_hook_install": ("tooltrack.capture.hook_settings", "plan_install"),
    "plan_hook_uninstall": ("tooltrack.capture.hook_settings", "plan_uninstall"),
    "HOOK_META_ENV": ("tooltrack.capture.hook", "META_ENV"),
    "handle_hook_event": ("tooltrack.capture.hook", "handle_event"),
    "close_hook_session": ("tooltrack.capture.hook_sessions", "close_session"),
    "hook_session_file": ("tooltrack.capture.session_format", "session_file"),
    "Deliver": "tooltrack.capture.hook_sessions",
    "log_hook_problem": "tooltrack.capture.hook_sessions",
    "BackgroundSender": "tooltrack.capture.sender",
    "PostResult": "tooltrack.capture.client",
    "ReplayReport": "tooltrack.capture.replay",
    "Spool": "tooltrack.capture.spool",
    "TaskLogClient": "tooltrack.capture.client",
    "TaskLogSender": "tooltrack.capture.sender",
    "ToolCallTracker": "tooltrack.capture.tracker",
    "TrackedCall": "tooltrack.capture.tracker",
    "build_task_log": "tooltrack.capture.sender",
    "clean_tool_call": "tooltrack.capture.tracker",
    "default_spool_path": "tooltrack.capture.spool",
    "log_task_completion": "tooltrack.capture.sender",
    "replay_spool": "tooltrack.capture.replay",
}

__all__ = [
    "API_TOKEN_ENV",
    "API_URL_ENV",
    "DEFAULT_API_URL",
    "HOOK_META_ENV",
    "UNFINISHED_GRACE_SECONDS",
    "ApiCheck",
    "BackgroundSender",
    "Deliver",
    "HookSettingsChange",
    "HookSettingsError",
    "PostResult",
    "ReplayReport",
    "Spool",
    "TaskLogClient",
    "TaskLogSender",
    "ToolCallTracker",
    "TrackedCall",
    "UnusableToken",
    "apply_hook_change",
    "build_task_log",
    "clean_tool_call",
    "close_hook_session",
    "command_hook",
    "default_spool_path",
    "fallback_dir",
    "handle_hook_event",
    "hook_log_path",
    "hook_session_file",
    "hook_settings_path",
    "hook_url",
    "http_hook",
    "log_hook_problem",
    "log_task_completion",
    "plan_hook_install",
    "plan_hook_uninstall",
    "replay_spool",
    "run_hook",
    "sessions_dir",
    "token_problem",
]


def __getattr__(name: str) -> Any:
    where = _EXPORTS.get(name)
    if where is None:
        raise AttributeError(f"module 'tooltrack.capture' has no attribute {name!r}")
    module, attribute = where if isinstance(where, tuple) else (where, name)
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
