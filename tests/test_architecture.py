"""The import graph of ``simsocial/`` has no circle (issue 18).

What counts as an edge ``a → b``: every ``import`` statement in ``a``'s source that names a module ``b`` of
``simsocial``, wherever it stands — at module level, under ``if TYPE_CHECKING:`` and inside a function.

- ``TYPE_CHECKING`` imports count: an annotation that names a type of another module is a dependency of
  the design even if Python never executes it; a circle kept alive only for the type checker is still a
  circle a reader has to untangle (the fix is a protocol or moving the type down a layer).
- Function-level imports count: moving an import into a function hides a circle from Python's import
  machinery but not from the code, which still needs the other module at run time.  The CLI's lazy imports
  point downward and so never close a circle.

``from package import name`` is an edge to ``package.name`` when that is a submodule (Python imports the
submodule, not the package's names) and to ``package`` otherwise.  The implicit import of a module's
parent packages is not an edge: Python runs ``package/__init__.py`` before any of its submodules in every
case, so it cannot be the import that closes a circle.  Imports through :mod:`importlib` (the lazy
``simsocial.__getattr__`` and the CLI's command table) name modules in strings and are not seen.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx

import simsocial

PACKAGE_ROOT = Path(simsocial.__file__).parent


def module_name(path: Path, root: Path) -> str:
    """``simsocial/sim/model.py`` → ``simsocial.sim.model``; a package's ``__init__.py`` is the package."""
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_targets(tree: ast.AST, module: str, is_package: bool, modules: set[str]) -> set[str]:
    """The modules of ``modules`` that an import statement anywhere in ``tree`` names (see the module doc)."""
    package = module if is_package else module.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: `from . import x` is the package itself, each more dot one up
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets |= {f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names}
    return (targets & modules) - {module}


def import_graph(root: Path) -> nx.DiGraph:
    """Modules of the package under ``root`` and the imports between them (see the module doc)."""
    files = {module_name(path, root): path for path in root.rglob("*.py")}
    graph = nx.DiGraph()
    graph.add_nodes_from(files)
    for module, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        for target in import_targets(tree, module, path.name == "__init__.py", set(files)):
            graph.add_edge(module, target)
    return graph


def test_no_import_circle_in_simsocial() -> None:
    cycles = sorted(nx.simple_cycles(import_graph(PACKAGE_ROOT)), key=len)
    shown = "\n".join(" → ".join([*cycle, cycle[0]]) for cycle in cycles[:20])
    assert not cycles, f"{len(cycles)} import circle(s) in simsocial/ (shortest first):\n{shown}"


def test_a_circle_is_found_wherever_its_import_stands(tmp_path: Path) -> None:
    """The walk sees module-level, ``TYPE_CHECKING`` and function-level imports, relative ones too."""
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("from pkg import wire\n")  # a submodule: no edge to the package itself
    (pkg / "wire.py").write_text("")
    (pkg / "a.py").write_text("from pkg import wire\nfrom pkg.b import B\n")
    (pkg / "b.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .c import C\n")
    (pkg / "c.py").write_text("def late():\n    from pkg import a\n")
    graph = import_graph(pkg)
    assert set(graph.edges) == {("pkg", "pkg.wire"), ("pkg.a", "pkg.wire"), ("pkg.a", "pkg.b"),
                                ("pkg.b", "pkg.c"), ("pkg.c", "pkg.a")}  # fmt: skip
    assert [sorted(cycle) for cycle in nx.simple_cycles(graph)] == [["pkg.a", "pkg.b", "pkg.c"]]
