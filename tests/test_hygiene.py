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
