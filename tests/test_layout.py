"""The house's rules, read from the code's own imports (every import, lazy ones too): no import
cycle, and each layer imports only itself and the layers below it.

    checkpoint.command                 the `checkpoint` command (and `python -m checkpoint`)
    checkpoint.lab   stream.lab        lab tools: evaluation, benchmarks, sample clip, demo
    checkpoint       stream            the edge box and the stream workers (runtimes)
    checkpoint.wire                    the wire contract both runtimes share
    models (training) may use the edge and its lab; nothing that ships imports it.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("checkpoint", "stream", "models")

#: Each layer, and the layers its modules may import.
MAY_IMPORT: dict[str, set[str]] = {
    "checkpoint.wire": {"checkpoint.wire"},
    "checkpoint": {"checkpoint", "checkpoint.wire"},
    "stream": {"stream", "checkpoint.wire"},
    "checkpoint.lab": {"checkpoint.lab", "checkpoint", "checkpoint.wire"},
    "stream.lab": {"stream.lab", "stream", "checkpoint.wire"},
    "checkpoint.command": {"checkpoint", "checkpoint.lab"},
    "checkpoint.__main__": {"checkpoint.command"},
    "models": {"models", "checkpoint.lab", "checkpoint", "checkpoint.wire"},
}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    return max((l for l in MAY_IMPORT if module == l or module.startswith(l + ".")), key=len)


def kakou_imports(path: Path, modules: set[str]) -> set[str]:
    """The kakou modules ``path`` imports (``from a import b`` counts a.b where that is a module)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            assert not node.level, f"{path}: relative import"
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    files = [p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")]
    modules = {module_name(p) for p in files}
    return {module_name(p): kakou_imports(p, modules) - {module_name(p)} for p in files}


def test_the_graph_is_read(graph):
    assert "checkpoint.wire.edge" in graph["checkpoint.camera"]
    assert {"checkpoint.wire.base", "stream.app"} <= graph["stream.agents.passages"]
    assert "checkpoint.lab.cli" in graph["checkpoint.command"]


def test_no_import_cycles(graph):
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            raise AssertionError("import cycle: " + " -> ".join(path[path.index(module):] + [module]))
        if module not in done:
            for imported in sorted(graph[module]):
                visit(imported, path + [module])
            done.add(module)

    for module in sorted(graph):
        visit(module, [])


def test_every_layer_imports_only_itself_and_the_layers_below(graph):
    broken = sorted(f"{module} ({layer(module)}) imports {target} ({layer(target)})"
                    for module, imported in graph.items() for target in imported
                    if layer(target) not in MAY_IMPORT[layer(module)])
    assert not broken, "\n".join(broken)


def test_every_folder_of_modules_is_a_package():
    """setuptools installs only folders with an ``__init__.py``: one without would be left out
    of every install and image."""
    folders = {p.parent for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    missing = sorted(str(f.relative_to(ROOT)) for f in folders if not (f / "__init__.py").is_file())
    assert not missing, f"no __init__.py in {missing}"
