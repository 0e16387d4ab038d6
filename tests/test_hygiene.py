"""Code hygiene the project promises: small modules, each saying what it is for."""

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("symgraph", "keras_front")
MAX_LINES = 600


def package_modules() -> list[Path]:
    files = [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]
    assert files, f"no modules found under {ROOT}"
    return files


def is_public(path: Path) -> bool:
    """Packages (__init__.py) and modules whose name and folders have no leading underscore."""
    rel = path.relative_to(ROOT)
    parts = list(rel.parts[:-1]) + [rel.stem]
    return all(not p.startswith("_") for p in parts) or rel.name == "__init__.py"


def test_every_module_is_under_the_line_limit():
    too_long = {}
    for path in package_modules():
        with path.open(encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            too_long[str(path.relative_to(ROOT))] = n
    assert not too_long, f"modules over {MAX_LINES} lines (split them by concern): {too_long}"


def test_every_public_module_has_a_docstring():
    missing = [str(p.relative_to(ROOT)) for p in package_modules()
               if is_public(p) and not ast.get_docstring(ast.parse(p.read_text("utf-8")))]
    assert not missing, f"public modules without a docstring: {missing}"


def imported_packages(path: Path) -> set[str]:
    """Top-level names of the absolute imports in a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_the_product_does_not_import_other_frameworks():
    banned = {"torch", "jax", "tensorflow", "theano", "keras"}
    offenders = {str(p.relative_to(ROOT)): sorted(imported_packages(p) & banned)
                 for p in package_modules() if imported_packages(p) & banned}
    assert not offenders, f"imports of other frameworks: {offenders}"


def test_symgraph_never_imports_keras_front():
    offenders = [str(p.relative_to(ROOT)) for p in sorted((ROOT / "symgraph").rglob("*.py"))
                 if "keras_front" in imported_packages(p)]
    assert not offenders, f"symgraph must not import keras_front: {offenders}"


# ---------------------------------------------------------------- one-way imports
# One implementation for both packages: what an import statement loads, which imports sit
# in functions, and whether the module-level ones form a cycle.


def modules(package: str) -> dict[str, Path]:
    """{dotted module name: path} of every module of `package` (packages by their name)."""
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    assert found, f"no modules found under {ROOT / package}"
    return found


def imported_modules(module: str, path: Path, node: ast.Import | ast.ImportFrom,
                     known: dict[str, Path]) -> list[str]:
    """The modules an import statement of `module` loads (relative imports resolved;
    `from package import submodule` loads the submodule, other names the package)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in known]
    return subs + ([base] if len(subs) < len(node.names) else [])


def _function_nodes(tree: ast.AST) -> set[int]:
    """ids of the nodes inside functions and lambdas (what does not run on import)."""
    inner: set[int] = set()
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            inner.update(id(n) for n in ast.walk(fn) if n is not fn)
    return inner


def _is_dynamic_import(node: ast.AST) -> bool:
    """A call of importlib.import_module / __import__ (always one of our own modules here)."""
    if not isinstance(node, ast.Call):
        return False
    f = node.func
    name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
    return name in ("import_module", "__import__")


def function_level_imports(package: str) -> list[tuple[Path, ast.AST]]:
    """(path, node) of every import of a symgraph or keras_front module inside a function
    or lambda of `package`, and of every import_module / __import__ call."""
    known = modules(package)
    found = []
    for module, path in known.items():
        tree = ast.parse(path.read_text("utf-8"))
        inner = _function_nodes(tree)
        for node in ast.walk(tree):
            if id(node) not in inner:
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                ours = [m for m in imported_modules(module, path, node, known)
                        if m.split(".")[0] in PACKAGES]
            else:
                ours = _is_dynamic_import(node)
            if ours:
                found.append((path, node))
    return found


def import_graph(package: str) -> dict[str, set[str]]:
    """{module: the modules of `package` its module-level statements import}: importing
    a.b.c also runs the packages a and a.b, unless the importer is inside them (already
    running)."""
    known = modules(package)
    graph: dict[str, set[str]] = {m: set() for m in known}
    for module, path in known.items():
        tree = ast.parse(path.read_text("utf-8"))
        inner = _function_nodes(tree)
        own_packages = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 2)}
        if path.name != "__init__.py":
            own_packages.discard(module)
        for node in ast.walk(tree):
            if id(node) in inner or not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            for target in imported_modules(module, path, node, known):
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    loaded = ".".join(parts[:i])
                    if loaded in known and loaded not in own_packages and loaded != module:
                        graph[module].add(loaded)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the directed graph (a list of nodes, first repeated last), or None."""
    g = nx.DiGraph()
    g.add_nodes_from(sorted(graph))
    g.add_edges_from((a, b) for a in sorted(graph) for b in sorted(graph[a]))
    try:
        edges = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        return None
    return [a for a, _ in edges] + [edges[0][0]]


def test_find_cycle_finds_cycles_through_packages():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    known = modules("keras_front")
    module = "keras_front.engine.network"
    node = ast.parse("from ..utils.layer_utils import print_summary").body[0]
    assert imported_modules(module, known[module], node, known) == \
        ["keras_front.utils.layer_utils"]
    graph = import_graph("keras_front")
    # importing utils.generic_utils runs keras_front.utils (its __init__) first
    assert {"keras_front.utils", "keras_front.utils.generic_utils"} <= \
        graph["keras_front.engine.base_layer"]
    assert "keras_front" not in graph["keras_front.engine.base_layer"]  # already running


@pytest.mark.parametrize("package", PACKAGES)
def test_module_imports_have_no_cycle(package):
    """Modules import one way. symgraph: types -> graph -> op contract -> ops -> grad ->
    rewrites -> codegen -> function -> printing; keras_front: utils -> engine -> layers ->
    models -> saving. A cycle among module-level imports (what runs on import, package
    __init__ files included) is an error; an import that must go the other way sits in a
    function and says why (next test)."""
    cycle = find_cycle(import_graph(package))
    assert cycle is None, f"import cycle among {package}'s modules: " + " -> ".join(cycle or [])


@pytest.mark.parametrize("package", PACKAGES)
def test_function_level_imports_say_why(package):
    """An import of a symgraph or keras_front module inside a function (or an import_module
    call) goes against the one-way order, breaks a cycle or hides a dependency; where one
    must stay (optional dependencies, loading on first use), a one-line comment on its line
    or the line above says why."""
    unexplained = []
    for path, node in function_level_imports(package):
        lines = path.read_text("utf-8").splitlines()
        here, above = lines[node.lineno - 1], lines[node.lineno - 2].strip()
        if "#" not in here and not above.startswith("#"):
            unexplained.append(f"{path.relative_to(ROOT)}:{node.lineno}: {here.strip()}")
    assert not unexplained, ("imports inside functions without a reason comment (move them "
                             "to the top, or say why they cannot be there):\n"
                             + "\n".join(unexplained))
