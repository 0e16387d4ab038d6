"""Shared test helpers: compile and run a graph, build inputs from example values, and
check that what the graph inferred statically (dtype, shape) is what the run produced.

Import as `from tests.helpers import compile_and_run, ...` (pytest runs from the repo root).
These are generic and stable: other test modules rely on them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import symgraph as sg
from symgraph.codegen import cbuild
from symgraph.graph import Apply, Variable, toposort
from symgraph.ops.shape import shape_i


def compile_and_run(outputs: Any, inputs: Sequence[Variable] = (), values: Sequence[Any] = (),
                    **function_kwargs: Any) -> Any:
    """Compile `outputs` (a variable or a list) as a function of `inputs`; call it on `values`.

    Unused inputs are allowed (a fully static shape can make an input unnecessary).
    """
    function_kwargs.setdefault("on_unused_input", "ignore")
    f = sg.function(list(inputs), outputs, **function_kwargs)
    return f(*values)


def symbolic_like(value: Any, name: str | None = None, static: bool = True) -> Variable:
    """A symbolic input with `value`'s dtype, and its shape (static) or all-unknown dims."""
    arr = np.asarray(value)
    shape = arr.shape if static else (None,) * arr.ndim
    return sg.tensor(name, dtype=arr.dtype.name, shape=shape)


def assert_static_matches(var: Variable, value: Any, what: str = "") -> None:
    """The dtype and every known dim of `var`'s static type equal the runtime value's."""
    arr = np.asarray(value)
    label = f"{what}: " if what else ""
    assert var.type.dtype == arr.dtype.name, (
        f"{label}static dtype {var.type.dtype} but the run produced {arr.dtype.name}")
    static = var.type.shape
    assert len(static) == arr.ndim, (
        f"{label}static rank {len(static)} ({var.type}) but the run produced shape {arr.shape}")
    for axis, (s, d) in enumerate(zip(static, arr.shape, strict=True)):
        assert s is None or s == d, (
            f"{label}static shape {var.type} but the run produced {arr.shape} (axis {axis})")


def assert_every_node_matches(outputs: Sequence[Variable], inputs: Sequence[Variable],
                              values: Sequence[Any]) -> None:
    """Every intermediate value under `outputs` has the dtype and known dims its static
    type claims (compiled without rewrites, so each node runs as built)."""
    nodes = toposort(list(outputs))
    seen: set[Variable] = set()
    inner = [o for n in nodes for o in n.outputs
             if hasattr(o.type, "ndim") and hasattr(o.type, "shape") and not (
                 o in seen or seen.add(o))]
    if not inner:
        return
    got = compile_and_run(inner, inputs, values, rewrites="none")
    for var, value in zip(inner, got, strict=True):
        assert_static_matches(var, value, f"{var.owner.op} (built at {var.owner.trace})")


def assert_infer_shape_matches(outputs: Sequence[Variable], inputs: Sequence[Variable],
                               values: Sequence[Any]) -> None:
    """Every node under `outputs` whose op has `infer_shape` predicts the runtime shapes."""
    checks: list[tuple[Apply, int, list[Variable]]] = []
    for node in toposort(list(outputs)):
        in_shapes = [[shape_i(v, k) for k in range(v.type.ndim)]
                     if hasattr(v.type, "ndim") else [] for v in node.inputs]
        predicted = node.op.infer_shape(node, in_shapes)
        if predicted is None:
            continue
        for k, dims in enumerate(predicted):
            if dims is not None:
                checks.append((node, k, list(dims)))
    if not checks:
        return
    actual = [sg.shape(node.outputs[k]) for node, k, _ in checks]
    flat_pred = [sg.as_tensor(d) for _, _, dims in checks for d in dims]
    got = compile_and_run(actual + flat_pred, inputs, values)
    got_shapes, got_dims = got[:len(checks)], got[len(checks):]
    pos = 0
    for (node, k, dims), shape in zip(checks, got_shapes, strict=True):
        pred = tuple(int(d) for d in got_dims[pos:pos + len(dims)])
        pos += len(dims)
        assert pred == tuple(shape), (
            f"{node.op}.infer_shape predicts {pred} for output {k}, the run gives "
            f"{tuple(shape)}")


def check_op(build: Callable[..., Any], values: Sequence[Any], expected: Any,
             static: bool = True, rtol: float | None = None, atol: float | None = None,
             exact_dtype: bool = True, check_infer_shape: bool = True) -> np.ndarray:
    """Build `build(*inputs)` on inputs made from `values`, run it, and check it.

    Checks the value against `expected` (a NumPy result computed independently), the
    dtype (NumPy's, unless `exact_dtype=False`), the shape, that the static type agrees
    with the run, and that shape inference agrees too. Returns the computed value.
    """
    inputs = [symbolic_like(v, f"in{i}", static) for i, v in enumerate(values)]
    out = build(*inputs)
    got = np.asarray(compile_and_run(out, inputs, values))
    assert_static_matches(out, got)
    assert_close(got, expected, rtol=rtol, atol=atol, exact_dtype=exact_dtype)
    if check_infer_shape:
        assert_infer_shape_matches([out], inputs, values)
    assert_every_node_matches([out], inputs, values)
    return got


def check_grad(fn: Callable[..., Any], points: Sequence[Any], **verify_kwargs: Any) -> None:
    """sg.verify_grad(fn, points), then: every node of fn's graph and of its gradient graph,
    built on static and on unknown input shapes, has the static type it claims."""
    sg.verify_grad(fn, points, **verify_kwargs)
    pts = [np.asarray(p, dtype="float64") for p in points]
    for static in (True, False):
        inputs = [symbolic_like(p, f"p{i}", static) for i, p in enumerate(pts)]
        out = sg.as_tensor(fn(*inputs))
        grads = sg.grad(sg.sum(out * 1.5), inputs, disconnected_inputs="ignore")
        assert_every_node_matches([out, *grads], inputs, pts)


def default_tolerance(dtype: Any) -> tuple[float, float]:
    """(rtol, atol) suited to comparing results computed in `dtype`."""
    name = np.dtype(dtype).name
    if name == "float16":
        return 1e-2, 1e-2
    if name in ("float32", "complex64"):
        return 1e-5, 1e-6
    return 1e-10, 1e-12


def assert_close(got: Any, expected: Any, rtol: float | None = None, atol: float | None = None,
                 exact_dtype: bool = True) -> None:
    """Same shape, same dtype (unless exact_dtype=False) and close values (NaN == NaN)."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"shape {got.shape}, expected {expected.shape}"
    if exact_dtype:
        assert got.dtype == expected.dtype, f"dtype {got.dtype}, expected {expected.dtype}"
    if got.dtype.kind in "biu" and expected.dtype.kind in "biu":
        np.testing.assert_array_equal(got, expected)
        return
    d_rtol, d_atol = default_tolerance(got.dtype if got.dtype.kind in "fc" else "float64")
    wide = "complex128" if "c" in (got.dtype.kind, expected.dtype.kind) else "float64"
    np.testing.assert_allclose(got.astype(wide), expected.astype(wide),
                               rtol=d_rtol if rtol is None else rtol,
                               atol=d_atol if atol is None else atol, equal_nan=True)


def fake_program(folder: Any, name: str, script: str, monkeypatch: Any) -> Any:
    """Put an executable Python `script` called `name` in folder/bin and make that folder the
    whole PATH (a stand-in for Graphviz's `dot` and the like); returns its path."""
    import stat
    import sys
    bindir = folder / "bin"
    bindir.mkdir(exist_ok=True)
    exe = bindir / name
    exe.write_text(f"#!{sys.executable}\n{script}")
    exe.chmod(exe.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", str(bindir))
    return exe


def _no_c_compiler() -> str | None:
    """Why the C backend cannot compile here, or None (probed once per process)."""
    try:
        cbuild.compiler()
    except cbuild.CompileError as e:  # pragma: no cover - the test machines have cc
        return str(e)
    return None


_NO_CC = _no_c_compiler()
# For tests of the C backend: skipped, saying why, where no C compiler works.
needs_cc = pytest.mark.skipif(_NO_CC is not None, reason=f"no C compiler: {_NO_CC}")
