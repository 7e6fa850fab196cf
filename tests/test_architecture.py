"""Each heavy dependency has one home, and the pipeline's layers import one way."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src" / "reportkit"

HOMES = {
    "docx": "docx/",
    "openpyxl": "data/",
    "matplotlib": "charts/render.py",
    "markdown_it": ("markup.py", "cjk_emphasis.py"),
    "click": "cli.py",
    "xlsxwriter": "docx/chart.py",
    "pandas": "api.py",
    # -- the formula engine is slow to import: only new-edition and recalc load it --
    "formulas": "data/recalc.py",
    "schedula": "data/recalc.py",
}
# -- a layer may import only the layers listed, plus the leaf modules every layer shares: errors,
# model, house, and the guards on input and output (limits, intake, cache, atomic, workers) --
LEAVES = {"errors", "model", "house", "", "limits", "intake", "cache", "atomic", "workers"}
LAYERS = {
    "data": set(),
    "context": {"data"},
    "validation": {"data", "context"},
    "templating": {"data", "context"},
    "charts": set(),
    "docx": set(),
}


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.extend(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            out.append(("." * node.level) + mod)
    return out


def test_heavy_dependencies_have_one_home() -> None:
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        for name in imports(path):
            top = name.split(".")[0]
            if top in HOMES:
                homes = HOMES[top] if isinstance(HOMES[top], tuple) else (HOMES[top],)
                assert any(rel.startswith(h) for h in homes), f"{rel} imports {name}"


def test_layers_import_one_way() -> None:
    for layer, allowed in LAYERS.items():
        for path in (SRC / layer).rglob("*.py"):
            for name in imports(path):
                if name.startswith(".."):
                    target = name[2:].split(".")[0]
                    assert target in allowed | LEAVES, f"{path.relative_to(SRC)} imports {name}"


def test_model_is_plain_data() -> None:
    names = [n for n in imports(SRC / "model.py") if not n.startswith("__")]
    assert set(names) <= {"datetime", "dataclasses", "typing"}


def _module(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Every reportkit module -> the reportkit modules it imports, at any depth of the file (an
    import inside a function still ties the two modules together)."""
    modules = {_module(p): p for p in SRC.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - max(node.level - 1, 0)] if node.level else []
                target = ".".join(base + [node.module]) if node.module else ".".join(base)
                if not node.level:
                    target = node.module or ""
                for alias in node.names:
                    deps.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in modules else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in modules and d != name}
    return graph


def test_no_import_cycle() -> None:
    graph = import_graph()
    state: dict[str, int] = {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " -> ".join(trail[trail.index(nxt) :] + [nxt]))
            if nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
