"""`tooltrack doctor`: where capture writes, whether it can, and whether what it wrote can be sent.

Capture never fails loudly (the hook must exit 0 and print nothing, a workflow must go on), so a
spool that cannot be written, a fallback folder filling up, a token the API refuses or a hook
that keeps failing would go unnoticed. This command looks at each of them and says what to do.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import click

from tooltrack.capture import (
    API_TOKEN_ENV,
    API_URL_ENV,
    DEFAULT_API_URL,
    Spool,
    TaskLogClient,
    fallback_dir,
    hook_log_path,
    sessions_dir,
    token_problem,
)

Status = Literal["ok", "warn", "FAIL"]
_WIDTH: Final = 12


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was looked at, how it stands, and what was found."""

    status: Status
    what: str
    text: str


def _unwritable(folder: Path) -> str | None:
    """Why nothing can be written in `folder` (made if missing), or None when a file can be."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(prefix=".doctor-", dir=folder)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def _lines(paths: list[Path]) -> int:
    count = 0
    for path in paths:
        try:
            with path.open("rb") as handle:
                count += sum(1 for line in handle if line.strip())
        except OSError:
            continue
    return count


def _waiting(spool_path: Path) -> tuple[int, int]:
    """(task logs waiting in the spool and its in-flight files, hook sessions still open) at `spool_path`."""
    inflight = sorted(spool_path.parent.glob(f"{spool_path.name}.inflight-*")) if spool_path.parent.is_dir() else []
    sessions = sessions_dir(spool_path)
    open_sessions = len(list(sessions.glob("*.jsonl"))) if sessions.is_dir() else 0
    return _lines([spool_path, *inflight]), open_sessions


def _amounts(logs: int, sessions: int) -> str:
    return f"{logs} task log(s) waiting, {sessions} hook session(s) open"


def check_spool(spool: Spool) -> Iterator[Finding]:
    problem = _unwritable(spool.path.parent)
    if problem is None and spool.path.exists() and not os.access(spool.path, os.W_OK):
        problem = f"{spool.path} is not writable"
    logs, sessions = _waiting(spool.path)
    if problem:
        yield Finding("FAIL", "spool", f"{spool.path}: cannot be written ({problem}); capture writes to the fallback"
                      f" folder {fallback_dir()} instead: fix the folder, or set TOOLTRACK_SPOOL")  # fmt: skip
    else:
        hint = " (`tooltrack replay` sends them)" if logs else ""
        yield Finding("ok", "spool", f"{spool.path}: writable; {_amounts(logs, sessions)}{hint}")
    dead = _lines([spool.dead_letter_path])
    if dead:
        yield Finding("warn", "dead letters", f"{spool.dead_letter_path}: {dead} refused record(s), with reasons")


def check_fallback(spool: Spool) -> Iterator[Finding]:
    folder = fallback_dir()
    if spool.fallback_path is None:
        yield Finding("ok", "fallback", f"{folder}: this is the spool's own folder")
        return
    if not folder.exists():
        yield Finding("ok", "fallback", f"{folder}: not used so far")
        return
    try:
        spool.fallback_spool()  # checks the folder is this user's and private
    except OSError as exc:
        yield Finding("FAIL", "fallback", f"{folder}: {exc}; remove it so capture can fall back there")
        return
    logs, sessions = _waiting(spool.fallback_path)
    if logs or sessions:
        yield Finding("FAIL", "fallback", f"{folder}: {_amounts(logs, sessions)}, written while the spool could not"
                      " be: run `tooltrack replay` (it sends the fallback too)")  # fmt: skip
    else:
        yield Finding("ok", "fallback", f"{folder}: empty")
    dead = _lines([spool.fallback_path.with_name(f"{spool.fallback_path.stem}.rejected.jsonl")])
    if dead:
        yield Finding("warn", "dead letters", f"{folder}: {dead} refused record(s) in the fallback folder")


def check_api(api_url: str, token: str | None, timeout: float) -> Iterator[Finding]:
    problem = token_problem(token)
    if problem:
        yield Finding("FAIL", "token", f"{problem}; until then capture spools every task log")
    with TaskLogClient(api_url, token=None if problem else token, timeout=timeout, retries=0) as client:
        found = client.check()
    if not found.reachable:
        yield Finding("warn", "API", f"{api_url}: {found.answer}; capture spools until it answers")
        return
    yield Finding("ok", "API", f"{api_url}: {found.answer}")
    if problem:
        return
    refused = found.writes.startswith("refused") or found.writes.startswith("unknown")
    given = f"{API_TOKEN_ENV} set" if token else f"{API_TOKEN_ENV} not set"
    yield Finding("FAIL" if refused else "ok", "token", f"{given}; writes: {found.writes}")


def check_database() -> Iterator[Finding]:
    from tooltrack.store import current_revision, describe, head_revisions, make_engine

    try:
        engine = make_engine()
    except Exception as exc:
        yield Finding("FAIL", "database", f"cannot be used: {exc}")
        return
    where = describe(engine)
    try:
        if engine.url.get_backend_name() == "sqlite" and engine.url.database not in (None, "", ":memory:"):
            path = Path(str(engine.url.database))
            if not path.exists() and not str(path).startswith("file:"):
                yield Finding("warn", "database", f"{where}: not created yet (`tooltrack db upgrade` creates it)")
                return
        current = current_revision(engine)
        heads = head_revisions()
    except Exception as exc:
        reason = (str(exc).strip().splitlines() or ["?"])[0][:300]
        yield Finding("FAIL", "database", f"{where}: cannot connect: {reason}")
        return
    finally:
        engine.dispose()
    if current in heads:
        yield Finding("ok", "database", f"{where}: revision {current} (the newest)")
    else:
        yield Finding("warn", "database", f"{where}: revision {current or 'none'}, this tooltrack's is"
                      f" {', '.join(heads)}: run `tooltrack db upgrade`")  # fmt: skip


def _last_entry(path: Path) -> tuple[int, str]:
    """(entries in the hook's error log, the last one summed up: when, and its error's last line)."""
    try:
        lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    except OSError:
        return 0, ""
    if not lines:
        return 0, ""
    try:
        last = json.loads(lines[-1])
        error = str(last.get("error") or "").strip().splitlines() or ["?"]
        return len(lines), f"the last at {last.get('at', '?')}: {error[-1][:200]}"
    except (ValueError, AttributeError):
        return len(lines), "the last unreadable"


def check_hook_log(spool: Spool) -> Iterator[Finding]:
    places = [hook_log_path(spool.path)]
    if spool.fallback_path is not None:
        places.append(hook_log_path(spool.fallback_path))
    found = False
    for path in places:
        entries, last = _last_entry(path)
        if entries:
            found = True
            yield Finding("warn", "hook errors", f"{path}: {entries} entries, {last}")
    if not found:
        yield Finding("ok", "hook errors", f"{places[0]}: none")


@click.command()
@click.option("--api-url", envvar=API_URL_ENV, default=DEFAULT_API_URL, show_default=True, help="The tooltrack API.")
@click.option("--token", envvar=API_TOKEN_ENV, default=None, help="Bearer token (default: $TOOLTRACK_API_TOKEN).")
@click.option("--timeout", default=2.0, show_default=True, help="Seconds the API may take to answer each check.")
def doctor(api_url: str, token: str | None, timeout: float) -> None:
    """Check capture: the spool and its fallback folder, the API and its token, the database, the hook's errors.

    Exits 1 when something needs doing (each FAIL line says what), else 0.
    """
    spool = Spool()
    findings = [
        *check_spool(spool),
        *check_fallback(spool),
        *check_api(api_url, token, timeout),
        *check_database(),
        *check_hook_log(spool),
    ]
    for finding in findings:
        click.echo(f"{finding.status:<5} {finding.what:<{_WIDTH}} {finding.text}")
    if any(finding.status == "FAIL" for finding in findings):
        raise SystemExit(1)
