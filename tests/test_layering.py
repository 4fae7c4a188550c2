"""The house's layering, read from the import graph of the source (every import, lazy ones too).

- production code (mcem/, cards/, graph/ but its emulator, bot/, prompts/) imports nothing from the
  dev tools (graph/emulator/, devtools/), which the image leaves out;
- the dev tools may use production code, never the reverse;
- the core (mcem/) imports nothing from cards/, bot/ or graph/;
- no import circle in production code, and no test module imports another (tests/support/ is shared).
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import ROOT

PRODUCTION = ("mcem", "cards", "graph", "bot", "prompts")
DEV_TOOLS = ("graph.emulator", "devtools")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    """Every module an import statement in ``path`` names, absolute, wherever it stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from graph import emulator`` names a submodule, ``from cards import error_card`` an
            # attribute: both are kept as base.name, and a reader climbs to the longest module.
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return found


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def production_modules() -> dict[str, Path]:
    modules: dict[str, Path] = {}
    for top in PRODUCTION:
        for path in sorted((ROOT / top).rglob("*.py")):
            name = module_name(path)
            if not any(is_within(name, dev) for dev in DEV_TOOLS):
                modules[name] = path
    return modules


def test_the_scan_sees_the_production_packages_and_not_the_dev_tools() -> None:
    modules = production_modules()
    assert {"mcem.cli", "bot.app", "graph.documents", "mcem.render.card.summary"} <= modules.keys()
    assert not any(is_within(name, "graph.emulator") for name in modules)
    assert "graph.emulator.seed.build_seed" in imports_of(ROOT / "graph" / "emulator" / "app.py")


def test_production_code_imports_nothing_from_the_dev_tools() -> None:
    offenders = {
        str(path.relative_to(ROOT)): reached
        for path in production_modules().values()
        if (reached := sorted(n for n in imports_of(path) if any(is_within(n, d) for d in DEV_TOOLS)))
    }
    assert offenders == {}


def test_the_core_imports_nothing_from_cards_bot_or_graph() -> None:
    core = {name: path for name, path in production_modules().items() if is_within(name, "mcem")}
    offenders = {
        str(path.relative_to(ROOT)): reached
        for path in core.values()
        if (reached := sorted(n for n in imports_of(path) if n.split(".")[0] in {"cards", "bot", "graph"}))
    }
    assert len(core) > 40 and offenders == {}


def import_graph() -> dict[str, set[str]]:
    """Production module -> the production modules it imports (a name that is not a module, as in
    ``from cards import error_card``, counts as its package)."""
    modules = production_modules()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        edges = set()
        for imported in imports_of(path):
            while imported and imported not in modules:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                edges.add(imported)
        graph[name] = edges
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle_in_production_code() -> None:
    graph = import_graph()
    assert "bot.teams" in graph["bot.handlers"] and "bot.handlers" not in graph["bot.draft_handlers"]
    assert circles(graph) == []


def test_no_test_module_imports_another() -> None:
    tests = sorted((ROOT / "tests").rglob("test_*.py"))
    offenders = {
        str(path.relative_to(ROOT)): reached
        for path in tests
        if (reached := sorted(n for n in imports_of(path) if is_within(n, "tests") and ".test_" in n))
    }
    assert len(tests) > 50 and offenders == {}
