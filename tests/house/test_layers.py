"""The house: every import between tooltrack's stages points down, through the stage's front, with no cycle.

Levels, bottom up (`LEVELS`): the ground floor `core` (rules every stage shares, standard library
only, so the Claude Code hook starts fast) and `models` on it; `store` and `capture` (capture
stands on the ground floor only: it runs inside the agent's hook); `ingest` and `analytics`, which
stand on the store and never on each other; `api` and `dashboard`; `cli`, which wires them into
one command. A module may import from a stage below its own, never from a sibling stage of its
level or from above. Another stage's modules are reached through that stage's front (its
`__init__`, whose `__all__` is the contract), never a deep module. Every import counts: at the
top of a module, inside a function, or under TYPE_CHECKING.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "tooltrack"

#: Each stage's floor. Two stages on one floor may not import each other.
LEVELS = {
    "core": 0,
    "models": 1,
    "store": 2,
    "capture": 2,
    "ingest": 3,
    "analytics": 3,
    "api": 4,
    "dashboard": 4,
    "cli": 5,
}
#: Third-party packages the ground floor must not load (the hook would pay for them on every call).
HEAVY = ("pydantic", "pydantic_core", "sqlalchemy", "httpx", "alembic", "fastapi", "streamlit", "pandas")


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, e.g. tooltrack.store.bulk
    target: str  # the imported module, e.g. tooltrack.core.redaction
    line: int
    top_level: bool  # at module level, outside `if TYPE_CHECKING:` (what runs on import)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path) -> Iterator[Import]:
    module = module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def walk(nodes: list[ast.stmt], top_level: bool) -> Iterator[Import]:
        for node in nodes:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    yield Import(module, alias.name, node.lineno, top_level)
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(module, is_package, node)
                for alias in node.names:
                    # `from tooltrack.store import bulk` names a module; `from tooltrack.store import X` a name.
                    candidate = f"{base}.{alias.name}"
                    yield Import(module, candidate if _is_module(candidate) else base, node.lineno, top_level)
            elif isinstance(node, ast.If) and _is_type_checking(node):
                yield from walk(node.body, False)
                yield from walk(node.orelse, top_level)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield from walk(node.body, False)
            elif isinstance(node, ast.ClassDef | ast.If | ast.Try | ast.With | ast.For | ast.While):
                for field in ("body", "orelse", "finalbody", "handlers"):
                    children = getattr(node, field, None) or []
                    for child in children:
                        body = child.body if isinstance(child, ast.ExceptHandler) else [child]
                        yield from walk(body, top_level and not isinstance(node, ast.ClassDef | ast.For))

    yield from walk(tree.body, True)


def _is_module(name: str) -> bool:
    parts = name.split(".")
    if parts[0] != "tooltrack":
        return False
    path = PACKAGE.parent.joinpath(*parts)
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def stage_of(module: str) -> str | None:
    """The stage a tooltrack module belongs to (`tooltrack.store.bulk` -> store); None for the root."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def all_imports() -> list[Import]:
    return [found for path in sorted(PACKAGE.rglob("*.py")) for found in imports_of(path)]


def test_every_stage_has_a_level() -> None:
    stages = {
        p.stem if p.is_file() else p.name
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" or (p / "__init__.py").is_file()) and not p.name.startswith("__")
    }
    assert stages == set(LEVELS), "a new stage needs its floor in LEVELS (and a line in the house's docs)"


def test_imports_point_down_the_house() -> None:
    wrong = []
    for found in all_imports():
        source, target = stage_of(found.module), stage_of(found.target)
        if not found.target.startswith("tooltrack") or target is None or source is None or source == target:
            continue
        if LEVELS[target] >= LEVELS[source]:
            side = "sideways" if LEVELS[target] == LEVELS[source] else "upwards"
            wrong.append(f"{found.module}:{found.line} imports {found.target} ({side}: {source} -> {target})")
    assert not wrong, "imports that do not point down the house:\n" + "\n".join(wrong)


def test_other_stages_are_reached_through_their_front() -> None:
    deep = []
    for found in all_imports():
        source, target = stage_of(found.module), stage_of(found.target)
        if target is None or source is None or source == target or not found.target.startswith("tooltrack."):
            continue
        if found.target != f"tooltrack.{target}":
            deep.append(f"{found.module}:{found.line} imports {found.target}: use tooltrack.{target}")
    assert not deep, "imports past another stage's front:\n" + "\n".join(deep)


def test_no_stage_imports_the_package_root() -> None:
    """The root `tooltrack/__init__.py` is the outside world's front; inside, every stage names its floor."""
    rooted = [f"{f.module}:{f.line}" for f in all_imports() if f.target == "tooltrack" and f.module != "tooltrack"]
    assert not rooted, "imports of the package root from inside it:\n" + "\n".join(rooted)


def test_no_import_cycle() -> None:
    graph: dict[str, set[str]] = {}
    for found in all_imports():
        if found.top_level and found.target.startswith("tooltrack") and found.target != found.module:
            graph.setdefault(found.module, set()).add(found.target)
    # A package's modules load their package's front first: count that edge too.
    for module in list(graph):
        parent = module.rsplit(".", 1)[0]
        if parent != module and parent in {module_name(p) for p in PACKAGE.rglob("__init__.py")}:
            graph.setdefault(module, set())
    cycles = []
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append(" -> ".join([*trail[trail.index(nxt) :], nxt]) if nxt in trail else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


@pytest.mark.parametrize("heavy", HEAVY)
def test_ground_floor_imports_no_heavy_package(heavy: str) -> None:
    offending = [
        f"{found.module}:{found.line} imports {found.target}"
        for found in all_imports()
        if stage_of(found.module) == "core" and found.target.split(".")[0] == heavy
    ]
    assert not offending, "\n".join(offending)


def test_hook_loads_no_heavy_package() -> None:
    """What the hook imports, in a fresh interpreter, loads none of the heavy packages."""
    import subprocess

    code = (
        "import sys, tooltrack.capture.hook as h\n"
        f"heavy = {HEAVY!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE.parent)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
