"""Tests share helpers through `tests/helpers/`, never through another folder's conftest or test module."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]


def test_tests_read_fixtures_from_the_repository() -> None:
    """A clone of the repository alone runs its tests: no test reads ../shared."""
    name = "sha" + "red"  # spelt apart, so that this file holds no needle itself
    needles = (f'"{name}"', f"{name}/fixtures")
    offending = [
        str(path.relative_to(TESTS))
        for path in sorted(TESTS.rglob("*.py"))
        if any(needle in path.read_text(encoding="utf-8") for needle in needles)
    ]
    assert not offending, "read the fixtures from tests/fixtures (the `fixtures_dir` fixture): " + ", ".join(offending)


def test_tests_import_helpers_only_from_the_helpers_package() -> None:
    wrong = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests."):
                last = node.module.rsplit(".", 1)[-1]
                if last == "conftest" or last.startswith("test_"):
                    wrong.append(f"{path.relative_to(TESTS)}:{node.lineno} imports {node.module}")
    assert not wrong, "move what these import into tests/helpers/:\n" + "\n".join(wrong)
