"""core is the bottom layer: none of its modules imports an app of the project or the project package; members
imports core only (never listings, dashboard or the project package)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
UPPER = {"wastex", "members", "listings", "dashboard", "bench", "demo"}


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_imports_no_app():
    modules = sorted((ROOT / "core").rglob("*.py"))
    assert modules
    offending = {str(path.relative_to(ROOT)): _imported(path) & UPPER for path in modules if _imported(path) & UPPER}
    assert offending == {}


def test_members_imports_no_app_above_it():
    above = UPPER - {"members"}
    offending = {
        str(path.relative_to(ROOT)): _imported(path) & above
        for path in sorted((ROOT / "members").rglob("*.py"))
        if _imported(path) & above
    }
    assert offending == {}
