"""The code stays in small rooms: every module under rag/ and ui/ at most 350 lines, every
function at most 50."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

MODULE_LINES = 350
FUNCTION_LINES = 50


def modules() -> list[Path]:
    return sorted([*ROOT.glob("rag/**/*.py"), *ROOT.glob("ui/**/*.py")])


def test_every_module_is_small() -> None:
    big = {str(p.relative_to(ROOT)): n for p in modules()
           if (n := len(p.read_text().splitlines())) > MODULE_LINES}  # fmt: skip
    assert big == {}


def test_every_function_is_short() -> None:
    long = []
    for p in modules():
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                n = (node.end_lineno or node.lineno) - node.lineno + 1
                if n > FUNCTION_LINES:
                    long.append(f"{p.relative_to(ROOT)}:{node.lineno} {node.name} ({n} lines)")
    assert long == []
