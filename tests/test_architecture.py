"""The plugin's imports follow the layering README.md declares: no cycle, no upward import.

README.md's module map lists each package of plugins/kubecapture/ with the packages it
may import; this test reads that table and every module's imports (with `ast`: those in
functions and under TYPE_CHECKING count too) and fails on an import the table does not
allow, on an import cycle between modules, and on a module over 500 lines whose
docstring does not say why it must be one piece.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "plugins" / "kubecapture"
MAX_LINES = 500
_ROW = re.compile(r"^\| `(\w+)/` \| (.+?) \| (.+?) \|$", re.M)


def layering(readme: str) -> dict[str, set[str]]:
    """package -> the packages it may import, from README.md's layering table."""
    out = {}
    for name, _job, may in _ROW.findall(readme):
        out[name] = set(re.findall(r"`(\w+)/`", may))
    return out


def modules(package: Path) -> dict[str, Path]:
    """Dotted name -> file, for every module of the package (a package is its __init__)."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = path.relative_to(package.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's own modules that module `name` imports, anywhere in it."""
    base = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                up = base[: len(base) - node.level + 1]
                module = ".".join(up + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            # `from . import x` imports the module x when there is one, else a name of `.`
            targets = [f"{module}.{a.name}" for a in node.names if f"{module}.{a.name}" in known]
            targets = targets or [module]
        else:
            continue
        out |= {t for t in targets if t in known and t != name}
    return out


def violations(package: Path, allowed: dict[str, set[str]]) -> list[str]:
    """Every import against the layering, every cycle, every package missing from it."""
    known = modules(package)
    graph = {n: imports(n, p, known) for n, p in known.items()}
    out = []
    for name in known:
        parts = name.split(".")
        if len(parts) > 1 and parts[1] not in allowed and (known[name].parent != package):
            out.append(f"{name}: package {parts[1]}/ is not in the layering table")
    for name, targets in sorted(graph.items()):
        here = name.split(".")[1] if name.count(".") and known[name].parent != package else None
        if here is None:
            continue  # the root: `kubecapture` itself and its public entry points
        for target in sorted(targets):
            there = target.split(".")[1] if target.count(".") else None
            if there is None or known[target].parent == package:
                out.append(f"{name} imports {target}, a public entry point of the root")
            elif there != here and there not in allowed.get(here, set()):
                out.append(f"{name} imports {target}: {here}/ may not import {there}/")
    out += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle through each strongly connected group of more than one module."""
    found, state = [], {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = "open"
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt) :] + [nxt])
            elif nxt not in state:
                visit(nxt, path)
        path.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_imports_follow_the_layering_of_the_module_map():
    allowed = layering((ROOT / "README.md").read_text(encoding="utf-8"))
    assert {"base", "trust", "site"} <= set(allowed)
    assert violations(PACKAGE, allowed) == []


def test_every_module_is_under_500_lines_or_says_why_it_is_one_piece():
    over = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        doc = ast.get_docstring(ast.parse(text)) or ""
        if text.count("\n") > MAX_LINES and "one piece" not in doc.lower():
            over.append(f"{path.relative_to(ROOT)}: {text.count(chr(10))} lines")
    assert over == []


def test_the_check_finds_an_upward_import_and_a_cycle(tmp_path):
    """The checker itself: a tree with an upward import and a cycle fails it."""
    package = tmp_path / "kubecapture"
    for folder in ("base", "site"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text('"""A package."""\n')
    (package / "__init__.py").write_text("")
    (package / "fence.py").write_text("from .site import fence\n")
    (package / "base" / "low.py").write_text("from ..site import high\n")
    (package / "site" / "high.py").write_text("def f():\n    from . import fence\n")
    (package / "site" / "fence.py").write_text("from .high import f\nfrom .. import fence\n")
    found = violations(package, {"base": set(), "site": {"base"}})
    assert "kubecapture.base.low imports kubecapture.site.high: base/ may not import site/" in found
    assert any(c.startswith("import cycle") and "site.high" in c for c in found)
    assert (
        "kubecapture.site.fence imports kubecapture.fence, a public entry point of the root"
        in found
    )
    assert violations(package, {"site": {"base"}})[0].endswith("is not in the layering table")


@pytest.mark.parametrize("row", ["| `site/` | the site | `base/`, `run/` |"])
def test_the_table_is_read_as_written(row):
    assert layering(row) == {"site": {"base", "run"}}
