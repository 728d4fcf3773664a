"""`tooltrack hook install` and `tooltrack hook uninstall`: tooltrack's entries in Claude Code's settings.

The settings logic is `tooltrack.capture.hook_settings`; this is the command line around it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, TypeVar

import click

from tooltrack.capture import API_URL_ENV, DEFAULT_API_URL


def _target(scope: Literal["project", "user"], settings: Path | None, project_dir: Path | None) -> Path:
    from tooltrack.capture import hook_settings_path

    return settings if settings is not None else hook_settings_path(scope, project_dir)


F = TypeVar("F", bound=Callable[..., Any])


def _where_options(command: F) -> F:
    options = [
        click.option(
            "--project",
            "scope",
            flag_value="project",
            default=True,
            help="The project's .claude/settings.json (the default).",
        ),
        click.option("--user", "scope", flag_value="user", help="Your ~/.claude/settings.json (every project)."),
        click.option(
            "--project-dir",
            type=click.Path(file_okay=False, path_type=Path),
            help="The project's folder (default: the current folder).",
        ),
        click.option(
            "--settings",
            type=click.Path(dir_okay=False, path_type=Path),
            help="Another settings file (e.g. .claude/settings.local.json).",
        ),
        click.option("--dry-run", is_flag=True, help="Print the change as a diff and write nothing."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _carry_out(change: object, dry_run: bool, done: str) -> None:
    from tooltrack.capture import HookSettingsChange, apply_hook_change

    assert isinstance(change, HookSettingsChange)
    if not change.changed:
        click.echo(f"{change.path}: nothing to change")
        return
    if dry_run:
        click.echo(change.diff(), nl=False)
        click.echo(f"(dry run: {change.path} not written)")
        return
    backup = apply_hook_change(change)
    click.echo(f"{change.path}: {done}" + (f" (backup: {backup})" if backup else ""))


@click.command("install")
@_where_options
@click.option(
    "--mode",
    type=click.Choice(["http", "command"]),
    default="http",
    show_default=True,
    help="http: post each event to `tooltrack serve`; command: run tooltrack-hook asynchronously (no server).",
)
@click.option(
    "--url",
    envvar=API_URL_ENV,
    default=DEFAULT_API_URL,
    show_default=True,
    help="The tooltrack API (http mode); the hook path is added when only the server is given.",
)
@click.option("--command", "command", default=None, help="The hook command (command mode; default: tooltrack-hook).")
def hook_install(
    scope: Literal["project", "user"],
    project_dir: Path | None,
    settings: Path | None,
    dry_run: bool,
    mode: str,
    url: str,
    command: str | None,
) -> None:
    """Add tooltrack's hooks to Claude Code's settings: PreToolUse, PostToolUse(Failure), Stop, SubagentStop.

    Every other hook and setting is kept; running it again changes nothing; the file is backed up first.
    In http mode the bearer token comes from $TOOLTRACK_API_TOKEN in Claude Code's environment.
    """
    from tooltrack.capture import HookSettingsError, command_hook, hook_url, http_hook, plan_hook_install

    hook = http_hook(url) if mode == "http" else command_hook(command)
    path = _target(scope, settings, project_dir)
    try:
        change = plan_hook_install(path, hook)
    except HookSettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    where = hook_url(url) if mode == "http" else hook["command"]
    _carry_out(change, dry_run, f"tooltrack's {mode} hooks installed ({where})")


@click.command("uninstall")
@_where_options
def hook_uninstall(
    scope: Literal["project", "user"], project_dir: Path | None, settings: Path | None, dry_run: bool
) -> None:
    """Remove tooltrack's hooks (and only them) from Claude Code's settings; the file is backed up first."""
    from tooltrack.capture import HookSettingsError, plan_hook_uninstall

    path = _target(scope, settings, project_dir)
    try:
        change = plan_hook_uninstall(path)
    except HookSettingsError as exc:
        raise click.ClickException(str(exc)) from exc
    _carry_out(change, dry_run, "tooltrack's hooks removed")
