"""Every third-party module the plugin imports is declared in pyproject.toml, with a
floor: in `dependencies`, or in an extra when the import is optional (Zensical)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "plugins" / "kubecapture"
# Imported only when Zensical runs the fence, or when the handout is printed.
OPTIONAL = {"zensical": "zensical", "playwright": "handout", "pypdf": "handout"}


def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def requirement_names(requirements: list[str]) -> dict[str, str]:
    """{normalized name: requirement} of a list of requirement strings."""
    out = {}
    for req in requirements:
        name = re.match(r"[A-Za-z0-9._-]+", req).group(0)
        out[re.sub(r"[-_.]+", "-", name).lower()] = req
    return out


def imported_top_level_modules() -> set[str]:
    names = set()
    for path in PLUGIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {n for n in names if n not in sys.stdlib_module_names and n != "kubecapture"}


def test_every_imported_module_is_a_declared_dependency_with_a_floor():
    declared = requirement_names(project()["dependencies"])
    distributions = packages_distributions()
    modules = imported_top_level_modules()
    assert {"mkdocs", "markdown", "pymdownx", "yaml", "kubernetes", "urllib3"} <= modules
    for module in sorted(modules - OPTIONAL.keys()):
        (dist,) = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions[module]}
        assert dist in declared, f"the plugin imports {module} ({dist}): not in dependencies"
        assert ">=" in declared[dist], f"{declared[dist]}: no floor"


def test_optional_imports_are_extras_and_every_requirement_has_a_floor():
    extras = project()["optional-dependencies"]
    for module, extra in OPTIONAL.items():
        assert module in requirement_names(extras[extra])
    everything = project()["dependencies"] + [r for reqs in extras.values() for r in reqs]
    for req in everything:
        if req.startswith("mkdocs-kubecapture["):
            continue  # the project's own extras
        assert re.search(r"(>=|==)", req), f"{req}: no floor (make test-lowest proves floors)"


def test_the_plugin_does_not_depend_on_material():
    """Material is the notes site's theme (extras `material`, `site`), not the plugin's."""
    assert "mkdocs-material" not in requirement_names(project()["dependencies"])
    assert "material" not in imported_top_level_modules()
