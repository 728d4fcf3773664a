"""Bash commands normalised to program + subcommand, so `git commit -m 'x'` and `git commit -am y`
count as one command: `git commit`.

Rules, in order:
1. A compound command (`&&`, `||`, `;`, `|`) is named by its first part that does real work:
   `cd`, `export`, `source`, `set` and bare variable assignments are skipped
   (`cd app && npm run build` -> `npm run build`).
2. Leading `VAR=value` assignments and wrappers that only change *how* a program runs are dropped:
   `sudo`, `env`, `time`, `nice`, `nohup`, `exec`, `command`, and the runners `uv run`, `poetry run`,
   `pipenv run`, `pdm run`, `hatch run`, `rye run`, `pipx run`, `npx`, `pnpx`, `bunx`, `uvx`:
   `uv run pytest tests/` -> `pytest`. `python -m mod` is `mod` (`python -m pytest` -> `pytest`).
3. The program is the basename of the first word (`./node_modules/.bin/jest` -> `jest`).
4. Programs with subcommands (git, npm, uv, docker, gh, cargo, make, ...) keep the first word
   after their options (`git commit`, `uv sync`, `make test`); `npm/yarn/pnpm/bun run` keep the
   script too (`npm run build`). Any other program is named alone (`pytest`, `ls`).
"""

from __future__ import annotations

import re
import shlex
from functools import lru_cache
from typing import Final

_SEPARATORS: Final = re.compile(r"\s*(?:&&|\|\||;|\||\n)\s*")
_ASSIGNMENT: Final = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WORD: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]*$")

_SKIPPED_PARTS: Final = frozenset({"cd", "pushd", "popd", "export", "source", ".", "set", "unset", "true"})
_PREFIXES: Final = frozenset({"sudo", "env", "time", "nice", "nohup", "exec", "command", "npx", "pnpx", "bunx", "uvx"})
_RUNNERS: Final = frozenset({"uv", "poetry", "pipenv", "pdm", "hatch", "rye", "pipx"})
_PYTHONS: Final = frozenset({"python", "python3", "py"})
_SUBCOMMAND_PROGRAMS: Final = frozenset(
    {
        "git", "npm", "yarn", "pnpm", "bun", "uv", "cargo", "go", "docker", "docker-compose", "gh",
        "kubectl", "poetry", "pip", "pip3", "make", "ruff", "terraform", "helm", "dotnet", "alembic",
        "brew", "apt", "apt-get", "conda", "deno", "pdm", "hatch", "rye", "tooltrack", "claude",
        "systemctl", "gcloud", "aws", "az", "mvn", "gradle", "rustup", "nx", "turbo", "pre-commit",
    }
)  # fmt: skip
_SCRIPT_RUNNERS: Final = frozenset({"npm", "yarn", "pnpm", "bun"})
#: Options that take a value, per program, so the value is not taken for the subcommand.
_VALUE_OPTIONS: Final = {
    "git": frozenset({"-C", "-c"}),
    "docker": frozenset({"-H", "--context"}),
    "sudo": frozenset({"-u", "-g", "-U", "-h", "-C", "-D"}),
    "env": frozenset({"-u", "-C", "-S"}),
    "nice": frozenset({"-n"}),
}
MAX_COMMAND_NAME: Final = 200
UNKNOWN: Final = "(empty)"


def _words(part: str) -> list[str]:
    try:
        return shlex.split(part, posix=True)
    except ValueError:  # an unbalanced quote: take it apart crudely rather than fail
        return part.split()


def _basename(word: str) -> str:
    return word.rstrip("/").rsplit("/", 1)[-1] or word


def _strip_wrappers(words: list[str]) -> list[str]:
    changed = True
    while words and changed:
        changed = False
        while words and _ASSIGNMENT.match(words[0]):
            words, changed = words[1:], True
        if not words:
            break
        head = _basename(words[0])
        if head in _PREFIXES:
            takes_value = _VALUE_OPTIONS.get(head, frozenset())
            words = words[1:]
            # sudo -u x / env -i: drop the wrapper's own options (and their values).
            while words and words[0].startswith("-"):
                words = words[2:] if words[0] in takes_value else words[1:]
            changed = True
        elif head in _RUNNERS and len(words) > 1 and words[1] == "run":
            words = words[2:]
            while words and words[0].startswith("-"):
                words = words[1:]
            changed = True
        elif head in _PYTHONS and len(words) > 2 and words[1] == "-m":
            words = words[2:]
            changed = True
    return words


def _subcommand(program: str, rest: list[str]) -> list[str]:
    takes_value = _VALUE_OPTIONS.get(program, frozenset())
    index = 0
    while index < len(rest):
        word = rest[index]
        if word in takes_value:
            index += 2
            continue
        if word.startswith("-"):
            index += 1
            continue
        if not _WORD.match(word):
            return []
        if program in _SCRIPT_RUNNERS and word == "run" and index + 1 < len(rest) and _WORD.match(rest[index + 1]):
            return [word, rest[index + 1]]
        return [word]
    return []


@lru_cache(maxsize=65_536)
def normalise_command(command: str) -> str:
    """`uv run pytest tests/ -x` -> `pytest`; `git -C repo commit -m x` -> `git commit`."""
    parts = [p for p in _SEPARATORS.split(command.strip()) if p]
    chosen: list[str] = []
    for part in parts:
        words = _strip_wrappers(_words(part))
        if words and _basename(words[0]) not in _SKIPPED_PARTS:
            chosen = words
            break
    if not chosen:
        chosen = _words(parts[0]) if parts else []
    if not chosen:
        return UNKNOWN
    program = _basename(chosen[0])
    name = [program]
    if program in _SUBCOMMAND_PROGRAMS:
        name += _subcommand(program, chosen[1:])
    return " ".join(name)[:MAX_COMMAND_NAME]
