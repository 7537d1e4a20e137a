"""The house rules of the layout, checked on the code itself (README "Layout"; the layers are checked by
`lint-imports`, run by `make lint`):

- no import cycle between the modules of the project's packages: a cycle is a function in the wrong place
  (move it; do not hide the import inside a function — imports inside functions count here too);
- no module over MAX_LINES lines outside migrations and tests, unless its docstring has a line starting with
  LONG_MODULE_MARKER that says why ("Longer than 500 lines because ...").

The project's packages are the root packages of the import-linter configuration in pyproject.toml.
"""

import ast
import tomllib
from collections import deque
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 500
LONG_MODULE_MARKER = "Longer than 500 lines because"


def project_packages() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return config["tool"]["importlinter"]["root_packages"]


def import_cycles(graph) -> list[list[str]]:
    """Every shortest cycle through each module that is in one, as a chain [a, b, ..., a], each cycle once."""
    modules = sorted(graph.modules)
    imports = {module: sorted(graph.find_modules_directly_imported_by(module)) for module in modules}
    cycles, seen = [], set()
    for start in modules:
        # Breadth first from what `start` imports back to `start`: the shortest cycle through it.
        parent = {}
        queue = deque()
        for first in imports[start]:
            if first not in parent:
                parent[first] = start
                queue.append(first)
        while queue:
            module = queue.popleft()
            if module == start:
                break
            for imported in imports[module]:
                if imported not in parent:
                    parent[imported] = module
                    queue.append(imported)
        if start not in parent:
            continue
        chain = [start]
        while True:
            chain.append(parent[chain[-1]])
            if chain[-1] == start:
                break
        chain.reverse()  # start -> ... -> start
        key = frozenset(zip(chain, chain[1:], strict=False))
        if key not in seen:
            seen.add(key)
            cycles.append(chain)
    return cycles


def test_no_import_cycles_between_modules():
    graph = grimp.build_graph(*project_packages(), exclude_type_checking_imports=True, cache_dir=None)
    cycles = import_cycles(graph)
    assert not cycles, f"{len(cycles)} import cycle(s):\n" + "\n".join(" -> ".join(chain) for chain in cycles)


def test_the_cycle_finder_finds_a_cycle_and_only_cycles():
    graph = grimp.ImportGraph()
    for module in ("pkg", "pkg.a", "pkg.b", "pkg.c", "pkg.d"):
        graph.add_module(module)
    graph.add_import(importer="pkg.a", imported="pkg.b")
    graph.add_import(importer="pkg.b", imported="pkg.c")
    graph.add_import(importer="pkg.c", imported="pkg.a")
    graph.add_import(importer="pkg.c", imported="pkg.d")
    assert import_cycles(graph) == [["pkg.a", "pkg.b", "pkg.c", "pkg.a"]]
    graph.remove_import(importer="pkg.c", imported="pkg.a")
    assert import_cycles(graph) == []


def long_modules() -> list[str]:
    """Modules of the project's packages (not migrations or tests) longer than MAX_LINES without a reason."""
    found = []
    for package in project_packages():
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"migrations", "tests"} & set(relative.parts):
                continue
            source = path.read_text(encoding="utf-8")
            lines = len(source.splitlines())
            if lines <= MAX_LINES:
                continue
            docstring = ast.get_docstring(ast.parse(source)) or ""
            if not any(line.strip().startswith(LONG_MODULE_MARKER) for line in docstring.splitlines()):
                found.append(f"{relative}: {lines} lines")
    return found


def test_no_module_over_500_lines_without_a_reason():
    found = long_modules()
    assert not found, (
        f"Modules over {MAX_LINES} lines: split them by sub-domain, or say why in the module's docstring "
        f"(a line starting '{LONG_MODULE_MARKER}'):\n" + "\n".join(found)
    )
