"""Code hygiene the project promises: small modules, each saying what it is for."""

import ast
from pathlib import Path

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


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def imports_of(path: Path, module_level: bool) -> list[ast.ImportFrom | ast.Import]:
    """The module-level imports of a module (what runs when it is imported), or the
    imports inside its functions."""
    tree = ast.parse(path.read_text("utf-8"))
    if module_level:
        found = []
        for node in tree.body:
            body = node.body if isinstance(node, ast.Try) else [node]
            found += [n for n in body if isinstance(n, (ast.Import, ast.ImportFrom))]
        return found
    inner: dict[int, ast.ImportFrom | ast.Import] = {}
    for fn in ast.walk(tree):
        if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for n in ast.walk(fn):
                if isinstance(n, (ast.Import, ast.ImportFrom)):
                    inner[id(n)] = n
    return sorted(inner.values(), key=lambda n: n.lineno)


def imported_modules(path: Path, node: ast.Import | ast.ImportFrom, known: set[str]
                     ) -> set[str]:
    """The package modules an import statement runs (a.b.c also runs a.b's __init__),
    leaving out the importing module's own packages (already running)."""
    me = module_name(path)
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        base = me if path.name == "__init__.py" else me.rpartition(".")[0]
        for _ in range(max(node.level - 1, 0)):
            base = base.rpartition(".")[0]
        mod = node.module if node.level == 0 else ".".join(p for p in (base, node.module) if p)
        targets = [mod] + [f"{mod}.{a.name}" for a in node.names]
    out = set()
    for t in targets:
        parts = t.split(".")
        for k in range(1, len(parts) + 1):
            m = ".".join(parts[:k])
            if m in known and m != me and not me.startswith(m + "."):
                out.add(m)
    return out


def test_symgraph_module_imports_have_no_cycle():
    """Modules import one way: types -> graph -> op contract -> ops -> grad -> rewrites
    -> codegen -> function -> printing. A cycle among module-level imports (what runs on
    import) is an error; an import that must go the other way sits in a function and
    says why (next test)."""
    import networkx as nx
    paths = sorted((ROOT / "symgraph").rglob("*.py"))
    known = {module_name(p) for p in paths}
    g = nx.DiGraph()
    for p in paths:
        g.add_node(module_name(p))
        for node in imports_of(p, module_level=True):
            g.add_edges_from((module_name(p), m) for m in imported_modules(p, node, known))
    cycles = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
    assert not cycles, f"import cycles among symgraph's modules: {cycles}"


# cbackend's files, until its branch is merged: their function-level imports get their
# reasons then (listed so the rule holds everywhere else meanwhile).
_PENDING = {"symgraph/function.py", "symgraph/ops/composite.py", "symgraph/ops/elemwise.py",
            "symgraph/codegen/numpy_backend.py"}


def test_function_level_imports_of_symgraph_say_why():
    """An import of a symgraph module inside a function goes against the one-way order
    (or breaks a cycle): it carries a one-line comment saying why, on its line or the
    line above."""
    unexplained = []
    for p in sorted((ROOT / "symgraph").rglob("*.py")):
        rel = str(p.relative_to(ROOT))
        if rel in _PENDING:
            continue
        lines = p.read_text("utf-8").splitlines()
        for node in imports_of(p, module_level=False):
            ours = node.level > 0 if isinstance(node, ast.ImportFrom) else False
            ours = ours or any(n.startswith("symgraph") for n in (
                [a.name for a in node.names] if isinstance(node, ast.Import)
                else [node.module or ""]))
            said = "#" in lines[node.lineno - 1] or \
                lines[node.lineno - 2].strip().startswith("#")
            if ours and not said:
                unexplained.append(f"{rel}:{node.lineno}: {lines[node.lineno - 1].strip()}")
    assert not unexplained, "function-level imports without a reason comment:\n" + \
        "\n".join(unexplained)
