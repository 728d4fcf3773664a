"""A Claude Code session's identity, as its lines give it: project, branch, agent, models, title, outcome.

Every line of a transcript carries `cwd`, `gitBranch` and `version`; stream-json's `system`/`init`
line carries `cwd`, `claude_code_version`, the `tools` and the `mcp_servers` the session had; each
assistant message names its `model`. `RunIdentity` collects them line by line (a few fields, no
growth with the file but for the models, at most one entry per model) and gives the task log's
identity fields (docs/ingest.md, "Run identity"):

- project: the name of the repository root the session ran in, from its `cwd` (`project_of`); the
  full `cwd` is kept as project_path;
- agent `claude-code` and its version;
- models, the most used first (by assistant messages; Claude Code's own `<synthetic>` is no model);
- title: Claude Code's own `summary` line for this session (a summary after the session's
  messages: 1.0.x writes summaries of *other* sessions at the top of a later file), else the
  first prompt the user typed; redacted (`core.redaction`) and cut to one line (`one_line`);
- MCP servers and tools available, from `system`/`init`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

from tooltrack.core import MAX_NAME, redact_text

#: The agent name of every Claude Code session.
CLAUDE_CODE: Final = "claude-code"
#: The longest title kept (characters), an ellipsis marking the cut.
TITLE_LIMIT: Final = 160
#: Folders ADW and Claude Code make for worktrees inside a repository: the project is the folder above.
_WORKTREE_PARENTS: Final = frozenset({"trees", "worktrees"})
#: Model names that are no model: what Claude Code writes on messages it made itself.
_NOT_MODELS: Final = frozenset({"<synthetic>", ""})
#: Prompts Claude Code writes into the user's turn (command output, caveats): not a title.
_NOT_PROMPTS: Final = ("<local-command-", "Caveat: ", "[Request interrupted", "<system-reminder>")
_COMMAND: Final = re.compile(r"<command-name>\s*(.*?)\s*</command-name>", re.S)
_COMMAND_ARGS: Final = re.compile(r"<command-args>\s*(.*?)\s*</command-args>", re.S)
_SPACE: Final = re.compile(r"\s+")
#: An ADW run's id (8 hex digits): `<repo>/trees/<adw_id>` is one of its worktrees.
_ADW_ID: Final = re.compile(r"[0-9a-f]{8}")


def project_of(cwd: str) -> tuple[str, str] | None:
    """(project, path) of a session's working directory: the name of its repository root.

    Where the folder is on this machine, the repository root is the nearest folder up from `cwd`
    holding `.git`; else (a transcript from another machine) it is `cwd` itself. An ADW worktree
    (`<repo>/trees/<adw_id>`, `<repo>/.claude/worktrees/<name>`) belongs to the repository above it.
    Windows paths (`C:\\Users\\...`) are read as such. None for an empty `cwd`.
    """
    path = cwd.strip()
    if not path:
        return None
    parts = [p for p in re.split(r"[\\/]+", path) if p]
    if not parts:
        return None
    root = _git_root(path)
    if root is not None:
        parts = [p for p in re.split(r"[\\/]+", root) if p] or parts
    for index in range(len(parts) - 2, 0, -1):
        if parts[index] in _WORKTREE_PARENTS and (parts[index - 1] == ".claude" or _ADW_ID.fullmatch(parts[index + 1])):
            parts = parts[: index - 1] if parts[index - 1] == ".claude" else parts[:index]
            break
    name = parts[-1] if parts else path
    return name[:MAX_NAME], path


def _git_root(path: str) -> str | None:
    """The nearest folder up from `path` that holds `.git`, when `path` is a folder here."""
    try:
        folder = Path(path)
        if not folder.is_absolute() or not folder.is_dir():
            return None
        for candidate in (folder, *folder.parents):
            if (candidate / ".git").exists():
                return str(candidate)
    except (OSError, ValueError):
        return None
    return None


def one_line(text: str, limit: int = TITLE_LIMIT) -> str | None:
    """`text` redacted, its first non-empty line with runs of spaces made one, cut to `limit`."""
    for raw in text.splitlines():
        line = _SPACE.sub(" ", raw).strip()
        if line:
            line = redact_text(line)
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return None


def prompt_title(message: Any) -> str | None:
    """A user message's text as a title, None when it is no typed prompt (tool results, command output)."""
    content = message.get("content") if isinstance(message, dict) else None
    if isinstance(content, list):
        if any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
            return None
        texts = [b["text"] for b in content if isinstance(b, dict) and isinstance(b.get("text"), str)]
        content = "\n".join(texts)
    if not isinstance(content, str) or not content.strip():
        return None
    text = content.strip()
    command = _COMMAND.search(text)
    if command:  # a slash command: its name and arguments are what the user typed
        args = _COMMAND_ARGS.search(text)
        if not args or not args.group(1).strip():
            return None  # `/clear`, `/context`: no title; the next prompt may be one
        text = f"{command.group(1)} {args.group(1)}"
    if not text or text.startswith(_NOT_PROMPTS):
        return None
    return one_line(text)


@dataclass(slots=True)
class RunIdentity:
    """What the lines of one session say of its identity, collected as they are read."""

    cwd: str | None = None
    git_branch: str | None = None
    version: str | None = None
    models: Counter[str] = field(default_factory=Counter)
    summary: str | None = None
    first_prompt: str | None = None
    mcp_servers: list[str] | None = None
    tools: list[str] | None = None
    messages_seen: bool = False

    def line(self, value: dict[str, Any]) -> None:
        """Take what one line says (any line of a transcript or stream-json output)."""
        # Called for every line: once a field is known it costs one attribute test.
        kind = value.get("type")
        if self.cwd is None:
            cwd = value.get("cwd")
            if isinstance(cwd, str):
                self.cwd = cwd
        if self.git_branch is None:
            branch = value.get("gitBranch")
            if isinstance(branch, str) and branch:
                self.git_branch = branch
        if self.version is None:
            version = value.get("version") or (value.get("claude_code_version") if kind == "system" else None)
            if isinstance(version, str) and version:
                self.version = version
        if kind == "assistant":
            self.messages_seen = True
        elif kind == "user":
            self.messages_seen = True
            if self.first_prompt is None and not value.get("isSidechain") and not value.get("isMeta"):
                self.first_prompt = prompt_title(value.get("message"))
        elif kind == "summary":
            # This session's own summary comes after its messages (Claude Code 2.x, at a file's
            # end); 1.0.x writes summaries of *earlier* sessions at the top of a later file.
            text = value.get("summary")
            if self.messages_seen and isinstance(text, str):
                self.summary = one_line(text) or self.summary  # the newest summary of this session
        elif kind == "system" and value.get("subtype") == "init":
            self._init(value)

    def assistant(self, message: dict[str, Any]) -> None:
        """An assistant message (once per API message): its model."""
        model = message.get("model")
        if isinstance(model, str) and model not in _NOT_MODELS:
            self.models[model[:MAX_NAME]] += 1

    def _init(self, value: dict[str, Any]) -> None:
        servers = value.get("mcp_servers")
        if isinstance(servers, list):
            names = [s.get("name") if isinstance(s, dict) else s for s in servers]
            self.mcp_servers = list(dict.fromkeys(n[:MAX_NAME] for n in names if isinstance(n, str) and n))[:200]
        tools = value.get("tools")
        if isinstance(tools, list):
            self.tools = list(dict.fromkeys(t[:MAX_NAME] for t in tools if isinstance(t, str) and t))[:1000]
        model = value.get("model")
        if isinstance(model, str) and model not in _NOT_MODELS and not self.models:
            self.models[model[:MAX_NAME]] += 0  # named, even if no turn shows it

    def fields(self) -> dict[str, Any]:
        """The task log's identity fields that are known (agent always: these are Claude Code's lines)."""
        values: dict[str, Any] = {"agent": CLAUDE_CODE}
        found = project_of(self.cwd) if self.cwd else None
        if found is not None:
            values["project"], values["project_path"] = found
        if self.git_branch:
            values["git_branch"] = self.git_branch[:MAX_NAME]
        if self.version:
            values["agent_version"] = self.version[:MAX_NAME]
        if self.models:
            values["models"] = [name for name, _ in self.models.most_common(50)]
        title = self.summary or self.first_prompt
        if title:
            values["title"] = title
        if self.mcp_servers is not None:
            values["mcp_servers"] = self.mcp_servers
        if self.tools is not None:
            values["tools_available"] = self.tools
        return values


def outcome_of(phase_status: str) -> str:
    """The run outcome a phase status gives: failed, interrupted (incomplete), else completed."""
    if phase_status == "failed":
        return "failed"
    if phase_status in ("incomplete", "interrupted", "cancelled"):
        return "interrupted"
    return "completed"
