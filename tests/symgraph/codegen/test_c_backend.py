"""The C backend against the NumPy backend: every row of THE table x dtypes (a new row is
tested automatically), on broadcasting, transposed, negative-stride, empty and 0-d
inputs; integer division by zero; NaN and inf; SIMD math accuracy in ulps.

Each dtype compiles ONE function holding every row twice (as a plain elementwise node
and inside a fused kernel), so the whole table costs a few compiles (and the disk cache
makes a second run cheap).
"""

from __future__ import annotations

import functools
import re
import warnings

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops.composite import Composite
from symgraph.ops.elemwise import TABLE, Elemwise, cast_op, output_dtype
from tests.helpers import needs_cc

pytestmark = needs_cc

DTYPES = ["bool", "int8", "int64", "uint64", "float32", "float64", "float16"]
FUSED = ("int64", "float64")  # the fused form is the same C per row: two dtypes suffice
for _d in DTYPES:
    cast_op(_d)  # the cast rows are rows too
ROWS = sorted(n for n in TABLE if n != "identity")
TOL = {"float64": 1e-12, "float32": 1e-5, "float16": 1e-3}


def _valid(name: str, dtype: str) -> bool:
    row = TABLE[name]
    try:
        output_dtype(row, [dtype] * row.nin)
    except TypeError:
        return False
    return not (name == "switch" and dtype == "float16")


CASES = [(n, d) for d in DTYPES for n in ROWS if _valid(n, d)]


def _values(dtype: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values with the hard cases: 0, negatives, NaN, inf, large magnitudes."""
    r = np.random.default_rng(seed)
    if dtype == "bool":
        return r.random(shape) < 0.5
    if dtype.startswith("uint"):
        return r.integers(0, 7, shape).astype(dtype)
    if dtype.startswith("int"):
        return r.integers(-6, 7, shape).astype(dtype)
    v = r.uniform(-3, 3, shape)
    flat = v.reshape(-1)
    specials = [0.0, -0.0, np.nan, np.inf, -np.inf, 800.0, -800.0, 0.5, -1.0, 1.0]
    flat[:len(specials)] = specials[:flat.size]
    return v.astype(dtype)


def _wrap(x: sg.Variable) -> sg.Variable:
    """An elementwise no-op that fuses with what it feeds (a Composite around the row)."""
    return sg.not_(sg.not_(x)) if x.dtype == "bool" else sg.neg(sg.neg(x))


@functools.cache
def _compiled(dtype: str) -> tuple[list[str], sg.Function, sg.Function]:
    """One function per dtype: each row on (x, y, z) as a node, and fused."""
    x = sg.tensor("x", dtype=dtype, shape=(None, None))
    y = sg.tensor("y", dtype=dtype, shape=(None,))      # broadcasts along rows
    z = sg.tensor("z", dtype=dtype, shape=())           # 0-d
    names, outs = [], []
    for name in ROWS:
        if not _valid(name, dtype):
            continue
        op = Elemwise(TABLE[name])
        args = [x, y, z][:op.scalar.nin]
        if name == "pow" and dtype != "bool" and dtype[0] in "iu":
            args[1] = sg.abs(y)  # integers to negative powers are an error
        names.append(name)
        outs += [op(*args), op(_wrap(args[0]), *args[1:]) if dtype in FUSED else args[0]]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        c = sg.function([x, y, z], outs, backend="c", rewrites=["fusion"],
                        on_unused_input="ignore")
        ref = sg.function([x, y, z], outs, backend="numpy", rewrites=["fusion"],
                          on_unused_input="ignore")
    return names, c, ref


def _layouts(dtype: str) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    x = _values(dtype, (7, 5), 1)
    y = _values(dtype, (5,), 2)
    z = _values(dtype, (), 3)
    big = _values(dtype, (130, 70), 4)  # past the GIL-release size
    return {
        "contiguous": (x, y, z),
        "transposed": (np.ascontiguousarray(x.T).T, y, z),
        "negative_stride": (x[::-1, ::-2], y[::-2][:3].copy()[::-1], z),
        "broadcast_dims": (x[:1], y, z),
        "empty": (x[:0], y, z),
        "big": (big, _values(dtype, (70,), 5), z),
    }


@pytest.mark.parametrize("name, dtype", CASES, ids=[f"{n}-{d}" for n, d in CASES])
def test_row_matches_numpy(name: str, dtype: str) -> None:
    names, c, ref = _compiled(dtype)
    k = names.index(name)
    for layout, args in _layouts(dtype).items():
        if layout == "negative_stride":
            args = (args[0], _values(dtype, (3,), 6)[::-1], args[2])
        with np.errstate(all="ignore"):
            got = c(*args)[2 * k:2 * k + 2]
            want = ref(*args)[2 * k:2 * k + 2]
        for g, w, form in zip(got, want, ("node", "fused"), strict=True):
            assert g.dtype == w.dtype and g.shape == w.shape, (layout, form)
            if name.startswith("cast{") and w.dtype.kind in "iu" and dtype[0] == "f":
                # float -> int of NaN, inf or out-of-range values is undefined (NumPy too)
                info = np.iinfo(w.dtype)
                with np.errstate(all="ignore"):
                    ok = (args[0] >= info.min) & (args[0] <= float(info.max) / 2)
                g, w = g[ok], w[ok]
            if w.dtype.kind == "f":
                np.testing.assert_allclose(g, w, rtol=TOL[w.dtype.name], atol=0,
                                           equal_nan=True, err_msg=f"{layout}, {form}")
            else:
                np.testing.assert_array_equal(g, w, err_msg=f"{layout}, {form}")


def test_rows_run_in_c_except_float16_and_integer_powers() -> None:
    names, c, _ = _compiled("float64")
    assert c.backend == "c" and "_ck" in c.source
    assert c.source.count("SG_KERNEL PyObject *k") >= len(names)  # each row has a kernel
    _, c16, _ = _compiled("float16")
    assert "SG_KERNEL PyObject *k" not in c16.source  # float16 stays on NumPy
    _, ci, _ = _compiled("int64")
    assert "np.power" in ci.source or "** " in ci.source


def test_integer_division_by_zero_gives_zero_as_numpy() -> None:
    x, y = sg.lvector("x"), sg.lvector("y")
    f = sg.function([x, y], [x // y, x % y, x / y], backend="c")
    a = np.array([7, -7, 7, -7, 0, np.iinfo(np.int64).min])
    b = np.array([0, 0, -2, 2, 0, -1])
    with np.errstate(all="ignore"):
        want = [a // b, a % b, a / b]
    for g, w in zip(f(a, b), want, strict=True):
        np.testing.assert_array_equal(g, w)


def test_broadcast_error_names_the_op_and_shapes() -> None:
    x, y = sg.dvector("x"), sg.dvector("y")
    f = sg.function([x, y], sg.exp(x) * y + 1, backend="c")
    with pytest.raises(ValueError, match=r"composite.*\(3,\) \(4,\)"):
        f(np.ones(3), np.ones(4))


def _ulps(got: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Distance in units in the last place of got's dtype."""
    spacing = np.spacing(np.abs(want).astype(got.dtype)).astype(np.float64)
    return np.abs(got.astype(np.float64) - want) / spacing


VECTOR_MATH = ["exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "expm1",
               "log1p", "arctan", "arcsin", "erf", "exp2", "log2", "log10"]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_simd_math_within_4_ulp(dtype: str) -> None:
    """The vectorized functions (glibc libmvec) are within 4 ulp of the exact result
    (float64 against NumPy's scalar libm, float32 against float64 rounded)."""
    x = sg.tensor("x", dtype=dtype, shape=(None,))
    rows = [Elemwise(TABLE[n]) for n in VECTOR_MATH]
    f = sg.function([x], [r(x) for r in rows], backend="c", rewrites="none")
    r = np.random.default_rng(0)
    a = np.concatenate([r.uniform(-1, 1, 20000), r.uniform(-20, 20, 20000)]).astype(dtype)
    assert "_ZGV" not in f.source  # vector variants are chosen by the compiler
    with np.errstate(all="ignore"):
        got = f(a)
        for name, row, g in zip(VECTOR_MATH, rows, got, strict=True):
            want = row.scalar.fn(a.astype(np.float64))
            ok = np.isfinite(want) & np.isfinite(g)
            assert np.array_equal(np.isnan(g), np.isnan(want.astype(dtype))), name
            assert _ulps(g[ok], want[ok]).max() <= 4, name


def test_the_module_calls_vector_math() -> None:
    x = sg.dvector("x")
    f = sg.function([x], sg.exp(x) * sg.tanh(x) + 1, backend="c")
    kernel = next(v for k, v in f._gen.fn.__globals__.items() if k.startswith("_ck"))
    # The library's dynamic symbol names (its .dynstr) name what it imports: libmvec's
    # vector exp is _ZGV<isa><mask><lanes>v_exp, e.g. _ZGVdN4v_exp.
    with open(kernel.__self__.__file__, "rb") as lib:
        names = lib.read()
    assert re.search(rb"_ZGV[a-z][NM][0-9]+v_exp", names)


def test_fused_chain_is_one_c_kernel_and_exact() -> None:
    x, y = sg.dvector("x"), sg.dvector("y")
    e = sg.exp(-x * x) * sg.tanh(y) + 1 / (1 + sg.exp(-x * y)) - sg.log1p(x * x)
    f = sg.function([x, y], e, backend="c")
    g = sg.function([x, y], e, backend="numpy")
    kinds = [type(n.op) for n in f.graph.toposort()]
    assert kinds == [Composite]
    r = np.random.default_rng(1)
    a, b = r.normal(size=300_000), r.normal(size=300_000)  # threads split it
    np.testing.assert_allclose(f(a, b), g(a, b), rtol=1e-12, atol=1e-14)


def test_inplace_and_updates_match_numpy() -> None:
    """Results land in the in-place pass's buffers and shared variables' spares."""
    w = sg.shared(np.linspace(-1, 1, 12).reshape(3, 4), name="w")
    x = sg.dmatrix("x")
    new_w = w - 0.1 * sg.tanh(x * w) * sg.exp(-w)
    fs = [sg.function([x], [sg.sum(new_w)], updates={w: new_w}, backend=b)
          for b in ("c", "numpy")]
    start = w.get_value()
    results = []
    for f in fs:
        w.set_value(start)
        vals = [f(np.full((3, 4), k * 0.5))[0] for k in range(4)]
        results.append((vals, w.get_value()))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][1], results[1][1], rtol=1e-12)


def test_mlp_train_step_gives_the_same_weights_after_100_steps() -> None:
    """The fused MLP step (gemm, fused elementwise, softmax cross-entropy, bias-gradient
    sums, double-buffered updates) on both backends, 100 SGD steps."""
    from symgraph.examples import build_mlp_sgd, init_mlp
    r = np.random.default_rng(0)
    x = r.random((32, 20), dtype=np.float32)
    y = np.eye(5, dtype=np.float32)[r.integers(0, 5, 32)]
    weights = {}
    for backend in ("c", "numpy"):
        with sg.config.change(backend=backend):
            step = build_mlp_sgd(init_mlp((20, 16, 16, 5), seed=1, dtype="float32"), lr=0.1)
        assert step.train.backend == backend
        losses = [float(step.train(x, y)) for _ in range(100)]
        weights[backend] = [w.get_value() for w in step.shared], losses
    (wc, lc), (wn, ln) = weights["c"], weights["numpy"]
    assert lc[-1] < lc[0] * 0.8  # it learns
    np.testing.assert_allclose(lc, ln, rtol=1e-4)
    for a, b in zip(wc, wn, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
