"""The capture commands: `tooltrack replay` and `tooltrack hook` (with `install` / `uninstall`)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Final

import click

from tooltrack.capture import API_TOKEN_ENV, API_URL_ENV, DEFAULT_API_URL, UNFINISHED_GRACE_SECONDS
from tooltrack.cli.hook_install import hook_install, hook_uninstall


class Duration(click.ParamType):
    """A duration written with its unit: `3600s`, `90m`, `24h`, `7d` (decimals allowed) -> seconds."""

    name = "duration"
    UNITS: Final = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
    _PATTERN: Final = re.compile(r"(\d+(?:\.\d+)?)([smhd])")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)  # a default given in code
        match = self._PATTERN.fullmatch(str(value).strip().lower())
        if match is None:
            self.fail(f"{value!r} is not a duration: write a number and a unit, e.g. 3600s, 90m, 24h or 7d", param, ctx)
        return float(match[1]) * self.UNITS[match[2]]


@click.command()
@click.argument("spool", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--api-url", envvar=API_URL_ENV, default=DEFAULT_API_URL, show_default=True, help="The tooltrack API.")
@click.option("--token", envvar=API_TOKEN_ENV, default=None, help="Bearer token (default: $TOOLTRACK_API_TOKEN).")
@click.option("--dead-letter", type=click.Path(dir_okay=False, path_type=Path), help="Where refused payloads go.")
@click.option(
    "--quiet-after",
    default=3600.0,
    show_default=True,
    help="Seconds without a hook event after which a Claude Code session is closed and sent.",
)
@click.option(
    "--unfinished-after",
    type=Duration(),
    default=UNFINISHED_GRACE_SECONDS,
    show_default=f"{UNFINISHED_GRACE_SECONDS / 3600:g}h",
    help="In a quiet session, a call still without its PostToolUse is sent as interrupted once its"
    " PreToolUse is this old (e.g. 3600s, 90m, 24h); until then it waits for its PostToolUse.",
)
@click.option(
    "--timeout", default=5.0, show_default=True, help="Seconds one post may take in all (its retries included)."
)
def replay(
    spool: Path | None,
    api_url: str,
    token: str | None,
    dead_letter: Path | None,
    quiet_after: float,
    unfinished_after: float,
    timeout: float,
) -> None:
    """Send spooled task logs (default: $TOOLTRACK_SPOOL or the data folder's spool) to the API.

    Only payloads the API accepted leave the spool; payloads it refuses as invalid go to the
    dead-letter file with the reason. Replaying twice stores nothing twice.
    """
    from tooltrack.capture import Spool, TaskLogClient, replay_spool, token_problem

    problem = token_problem(token)
    if problem:  # say it now: every post would fail (or be refused) and the spool would only grow
        raise click.BadParameter(problem, param_hint="'--token' / $TOOLTRACK_API_TOKEN")
    target = Spool(spool, dead_letter=dead_letter)
    with TaskLogClient(api_url, token=token, timeout=timeout) as client:
        report = replay_spool(target, client, quiet_seconds=quiet_after, unfinished_after=unfinished_after)
    click.echo(f"spool: {target.path}")
    for other in report.spools[1:]:
        click.echo(f"fallback spool: {other} (written while the spool's folder could not be)")
    if report.sessions_closed:
        click.echo(f"closed {report.sessions_closed} quiet hook session batch(es) into the spool")
    click.echo(f"sent {report.sent} task logs ({report.created} new, {report.duplicates} stored before)")
    if report.rejected or report.calls_set_aside:
        what = f"rejected {report.rejected}"
        if report.calls_set_aside:
            what += f" task logs and {report.calls_set_aside} single calls (their logs were sent without them)"
        click.echo(f"{what}: kept with the reason in {target.dead_letter_path}", err=True)
    for reason in dict.fromkeys(report.problems):
        click.echo(f"not sent: {reason}", err=True)
    if report.kept:
        click.echo(f"{report.kept} task logs stay in the spool for the next replay", err=True)
        raise SystemExit(1)


@click.group(invoke_without_command=True)
@click.pass_context
def hook(ctx: click.Context) -> None:
    """Record one Claude Code hook event from stdin (PreToolUse, PostToolUse, Stop, ...). Always exits 0.

    For the fastest start, configure `python -m tooltrack.capture.hook` instead (same behaviour).
    `tooltrack hook install` writes the hook entries into Claude Code's settings.
    """
    if ctx.invoked_subcommand is None:
        from tooltrack.capture import run_hook

        raise SystemExit(run_hook())


hook.add_command(hook_install)
hook.add_command(hook_uninstall)
