"""The import graph of the platform's own code, read from the source (every ``import``,
module level or inside a function): apps point one way, and no module imports itself
back through another. A circle or an upstream import added anywhere fails here."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

BASE = Path(settings.BASE_DIR)
# Upstream first. An app may import only apps at or before its own position.
LAYERS = ["luodian_platform", "audit", "intake", "dispatch", "mediation", "followup", "citizen"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(BASE).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_module(name: str) -> bool:
    rel = Path(*name.split("."))
    return (BASE / rel).with_suffix(".py").exists() or (BASE / rel / "__init__.py").exists()


def _sources() -> dict[str, Path]:
    found = {}
    for app in LAYERS:
        for path in (BASE / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            found[_module_name(path)] = path
    return found


def _imports(name: str, path: Path) -> set[str]:
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            for alias in node.names:
                sub = f"{source}.{alias.name}"
                targets.add(sub if _is_module(sub) else source)
    return {t for t in targets if t.split(".")[0] in LAYERS and _is_module(t)}


def _graph() -> dict[str, set[str]]:
    return {name: _imports(name, path) - {name} for name, path in _sources().items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_graph_reader_sees_function_level_imports():
    # The circle this test exists for was a function-level import (reminders → tasks).
    graph = _graph()
    assert "followup.reminders" in graph["followup.tasks"]
    assert "intake.models" in graph["intake.lifecycle"]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_itself_back():
    assert _cycles(_graph()) == []


def test_apps_import_only_upstream():
    rank = {app: i for i, app in enumerate(LAYERS)}
    wrong = sorted(
        f"{src} imports {dst}"
        for src, targets in _graph().items()
        for dst in targets
        if rank[dst.split(".")[0]] > rank[src.split(".")[0]]
    )
    assert wrong == []
