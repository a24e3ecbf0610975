"""The layers point one way (docs/architecture.md, "Layers"). Read from the source with `ast`, so
an import hidden inside a function counts as much as one at the top of a module:

1. no module imports a package of a higher layer (the kernel knows no area, an area knows no area
   above it, nothing but the composition layer knows the composition layer);
2. no import cycle, between modules or between packages;
3. an import inside a function only where `IN_FUNCTION` below says why.
"""
from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "intranet"

# Bottom to top. A package may import its own modules and any package of a lower rank; packages
# that share a rank (the base) may import each other, but not in a cycle.
LAYERS: list[tuple[str, ...]] = [
    # base: the clock, settings, errors, the Flask extensions
    ("intranet.clock", "intranet.config", "intranet.errors", "intranet.extensions"),
    # kernel: store, people, customers, vehicles, the repair-order kernel, notices, photos, hooks
    ("intranet.core",),
    # plumbing, bottom to top
    ("intranet.jobs",),
    ("intranet.web",),
    ("intranet.live",),
    ("intranet.auth",),
    ("intranet.nav",),
    # areas, bottom to top: an area reacts to a lower one through hooks, never the other way round
    ("intranet.health",),
    ("intranet.today",),
    ("intranet.reception",),
    ("intranet.workshop",),
    ("intranet.parts",),
    ("intranet.keys",),
    ("intranet.care",),
    ("intranet.director",),
    ("intranet.reports",),
    ("intranet.admin",),
    # composition: the homes and cross-area pages, the demo, the command line, the app factory
    ("intranet.home", "intranet.demo"),
    ("intranet.cli",),
    ("intranet",),
]

# Imports inside functions, each with its reason: {(importing module, imported module): why}.
# Everything else imports at the top of the module.
IN_FUNCTION: dict[tuple[str, str], str] = {}

# Modules whose functions import lazily by design, whatever they import.
LAZY_MODULES = {
    "intranet.cli": "a command imports what it runs when it runs: the web and worker processes build the app "
                    "(and so the CLI) without loading the demo, the worker or the scheduler",
}

# Functions whose imports are lazy by design, whatever they import.
LAZY_FUNCTIONS = {
    "init_app": "an area wires itself in when the app is built: importing its package (as `import "
                "intranet.x.models` does for Alembic) must not load its views, forms and templates",
    "create_app": "the app factory imports the plumbing once it has an app to bind it to",
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _rank(module: str) -> int:
    best, rank = -1, None
    for index, layer in enumerate(LAYERS):
        for package in layer:
            if (module == package or module.startswith(package + ".")) and len(package) > best:
                best, rank = len(package), index
    assert rank is not None, f"{module} is in no layer: add its package to LAYERS"
    return rank


def _package(module: str) -> str:
    for layer in LAYERS:
        for package in sorted(layer, key=len, reverse=True):
            if package != "intranet" and (module == package or module.startswith(package + ".")):
                return package
    return "intranet"


def _resolve(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if MODULES[module].name != "__init__.py":
        base = base[:-1]
    base = base[:len(base) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def _imports():
    """(importing module, imported module, enclosing function name or None, line) for every import
    of the project's own modules, TYPE_CHECKING blocks left out."""
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            function, type_checking, up = None, False, parents.get(node)
            while up is not None:
                if isinstance(up, ast.FunctionDef | ast.AsyncFunctionDef) and function is None:
                    function = up.name
                if isinstance(up, ast.If) and "TYPE_CHECKING" in ast.unparse(up.test):
                    type_checking = True
                up = parents.get(up)
            if type_checking:
                continue
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(module, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
            for target in targets:
                if target == "intranet" or target.startswith("intranet."):
                    found.append((module, target, function, node.lineno))
    return found


IMPORTS = _imports()


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one node (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def test_every_package_has_a_layer_and_an_init():
    for module, path in MODULES.items():
        _rank(module)
    for folder in {p.parent for p in MODULES.values()}:
        assert (folder / "__init__.py").exists(), f"{folder} has modules but no __init__.py"


def test_no_upward_import():
    upward = [f"{module}:{line} imports {target}" for module, target, _function, line in IMPORTS
              if _rank(target) > _rank(module)]
    assert not upward, "imports from a higher layer (use a hook, see intranet/core/hooks.py):\n" + "\n".join(upward)


def test_the_kernel_imports_no_area_and_no_plumbing():
    kernel = _rank("intranet.core")
    wrong = [f"{module}:{line} imports {target}" for module, target, _f, line in IMPORTS
             if _rank(module) == kernel and _rank(target) > kernel]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle_between_modules():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, target, _function, _line in IMPORTS:
        if target in MODULES and target != module and not module.startswith(target + "."):
            graph[module].add(target)
    assert not _cycles(graph), f"import cycles: {_cycles(graph)}"


def test_no_import_cycle_between_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    for module, target, _function, _line in IMPORTS:
        if _package(module) != _package(target):
            graph[_package(module)].add(_package(target))
    assert not _cycles(graph), f"package cycles: {_cycles(graph)}"


def test_imports_inside_functions_only_where_a_reason_is_written():
    hidden = [f"{module}:{line} imports {target} inside {function}()" for module, target, function, line in IMPORTS
              if function and function not in LAZY_FUNCTIONS and module not in LAZY_MODULES
              and (module, target) not in IN_FUNCTION]
    assert not hidden, ("imports inside functions: move them to the top of the module, or (when a cycle truly "
                        "cannot be broken) add them to IN_FUNCTION with the reason:\n" + "\n".join(hidden))


def test_the_allow_list_has_no_stale_entries():
    used = {(module, target) for module, target, function, _line in IMPORTS if function}
    assert not set(IN_FUNCTION) - used, f"IN_FUNCTION lists imports that no longer exist: {set(IN_FUNCTION) - used}"
