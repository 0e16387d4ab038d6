"""Elementwise ops, driven from THE table (symgraph.ops.elemwise.TABLE).

Every row is run on several shapes (broadcasting (3,1)/(1,4), scalar with matrix, empty
arrays) and dtypes, with static and with unknown input shapes, against NumPy/SciPy
computed here. The static dtype and shape the graph inferred must equal the runtime ones,
and the dtype must be NumPy's own (for rows whose rule is 'float', NumPy's rule for its
float ufuncs such as np.exp: see FLOAT_RULE_DEVIATIONS). A new row gets these tests
automatically, and `test_every_row_has_a_reference` fails until it has a reference below.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
import scipy.special

import symgraph as sg
from symgraph import dtypes
from symgraph.ops.elemwise import TABLE, Elemwise, cast_op
from tests.helpers import (
    assert_close,
    assert_infer_shape_matches,
    assert_static_matches,
    compile_and_run,
    symbolic_like,
)

# Every dtype gets its cast row now, so which rows exist at collection time does not depend
# on which casts other modules happened to create first.
for _d in dtypes.ALL_DTYPES:
    cast_op(_d)

ROWS = sorted(TABLE)

# ---------------------------------------------------------------- references (independent)


def _softplus_ref(x):
    x = np.asarray(x, dtype="float64")
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


REFERENCE = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "true_div": np.true_divide,
    "floor_div": np.floor_divide, "mod": np.remainder, "pow": np.power,
    "neg": np.negative, "abs": np.abs, "reciprocal": lambda x: 1.0 / np.asarray(x, "f8"),
    "square": np.square, "maximum": np.maximum, "minimum": np.minimum,
    "identity": lambda x: np.array(x, copy=True),
    "exp": np.exp, "exp2": np.exp2, "expm1": np.expm1, "log": np.log, "log2": np.log2,
    "log10": np.log10, "log1p": np.log1p, "sqrt": np.sqrt,
    "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin, "arccos": np.arccos,
    "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "erf": scipy.special.erf, "erfc": scipy.special.erfc,
    "sigmoid": lambda x: 1.0 / (1.0 + np.exp(-np.asarray(x, "f8"))),
    "softplus": _softplus_ref,
    "softsign": lambda x: np.asarray(x, "f8") / (1.0 + np.abs(np.asarray(x, "f8"))),
    "relu": lambda x: np.maximum(x, 0),
    "sign": np.sign, "floor": np.floor, "ceil": np.ceil, "round": np.round,
    "eq": np.equal, "neq": np.not_equal, "lt": np.less, "gt": np.greater,
    "le": np.less_equal, "ge": np.greater_equal,
    "and_": np.bitwise_and, "or_": np.bitwise_or, "xor": np.bitwise_xor,
    "invert": np.invert, "not_": np.logical_not, "isnan": np.isnan, "isinf": np.isinf,
    "switch": np.where, "clip": np.clip,
}


def reference(name: str):
    """The NumPy/SciPy function a row must agree with."""
    if name.startswith("cast{"):
        target = name[5:-1]
        return lambda x: np.asarray(x).astype(target)
    return REFERENCE[name]


def float_rule_dtype(in_dtypes) -> str:
    """NumPy's dtype for a float-valued ufunc (np.exp) on these inputs: int32 -> float64,
    int16 -> float32, int8/uint8/bool -> float16, floats keep theirs."""
    common = np.result_type(*in_dtypes)
    return np.exp(np.zeros(0, common)).dtype.name


# Rows with the 'float' rule whose own NumPy/SciPy function returns another dtype for some
# inputs: the table's rule wins, for the reason given.
FLOAT_RULE_DEVIATIONS = {
    "reciprocal": "np.reciprocal of an int or bool is an int (1 // x, 0 for |x| > 1); "
                  "symgraph's reciprocal is 1 / x, a float, as in Theano",
    "erf": "scipy.special has no float16 loop and picks float32/float64 for small ints; "
           "symgraph keeps NumPy's float rule (np.exp): float16 stays float16",
    "erfc": "as erf",
    "sigmoid": "as erf (scipy.special.expit)",
}
# Input dtypes on which those functions follow NumPy's rule anyway.
_FOLLOWS_THE_RULE = {"reciprocal": ("float16", "float32", "float64"),
                     "erf": ("float32", "float64", "int32", "int64"),
                     "erfc": ("float32", "float64", "int32", "int64"),
                     "sigmoid": ("float32", "float64", "int32", "int64")}

# ---------------------------------------------------------------- inputs


@dataclass(frozen=True)
class Domain:
    """Where a row's input values may be drawn from (floats, ints, bools)."""

    lo: float = -2.0
    hi: float = 2.0
    int_lo: int = -3
    int_hi: int = 4
    nonzero: bool = False     # |value| in [lo, hi] with a random sign
    bools_true: bool = False  # False is outside the domain (log(False) = -inf)


ANY = Domain()
POSITIVE = Domain(0.1, 3.0, 1, 5, bools_true=True)
UNIT = Domain(-0.9, 0.9, -1, 2)
NONZERO = Domain(0.5, 2.0, 1, 4, nonzero=True, bools_true=True)
DOMAINS = {
    "log": [POSITIVE], "log2": [POSITIVE], "log10": [POSITIVE], "sqrt": [POSITIVE],
    "log1p": [Domain(-0.9, 3.0, 0, 4)], "arcsin": [UNIT], "arccos": [UNIT],
    "tan": [Domain(-1.2, 1.2)], "reciprocal": [NONZERO],
    "true_div": [ANY, NONZERO], "floor_div": [ANY, NONZERO], "mod": [ANY, NONZERO],
    "pow": [POSITIVE, Domain(-2.0, 2.0, 0, 3)],
}


def draw(domain: Domain, shape, dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Values of `dtype` and `shape` inside `domain`."""
    if dtype == "bool":
        return np.ones(shape, bool) if domain.bools_true else rng.random(shape) > 0.5
    if np.dtype(dtype).kind in "iu":
        lo = max(domain.int_lo, 0) if np.dtype(dtype).kind == "u" else domain.int_lo
        v = rng.integers(lo, domain.int_hi, size=shape)
        if domain.nonzero:
            v = np.where(v == 0, 1, v)
            if np.dtype(dtype).kind == "i":
                v = v * rng.choice([-1, 1], size=shape)
        return v.astype(dtype)
    v = rng.uniform(domain.lo, domain.hi, size=shape)
    if domain.nonzero:
        v = v * rng.choice([-1.0, 1.0], size=shape)
    return v.astype(dtype)


def row_inputs(name: str, shapes, in_dtypes, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    doms = DOMAINS.get(name, [])
    return [draw(doms[i] if i < len(doms) else ANY, s, d, rng)
            for i, (s, d) in enumerate(zip(shapes, in_dtypes, strict=True))]


SHAPES = {
    1: [[(3, 4)], [()], [(0, 3)], [(2, 1, 3)]],
    2: [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(), (2, 3)], [(2, 3), ()], [(0, 3), (1, 3)],
        [(4,), (2, 4)]],
    3: [[(3, 1), (1, 4), (3, 4)], [(), (2, 3), ()], [(0, 3), (0, 1), (1, 3)],
        [(2, 3), (2, 3), (2, 3)]],
}
DTYPES = {
    1: [(d,) for d in ("float64", "float32", "float16", "int64", "int32", "int16", "uint8",
                       "bool")],
    2: [(d, d) for d in ("float64", "float32", "int64", "int32", "bool")] + [
        ("float32", "int32"), ("int32", "float64"), ("int64", "float32"), ("bool", "int32"),
        ("float32", "float64"), ("uint8", "int8"), ("int16", "float16")],
    3: [("float64",) * 3, ("float32",) * 3, ("int32",) * 3, ("int64", "int32", "int64"),
        ("bool", "float32", "float32"), ("bool", "float64", "int32"),
        ("float32", "float64", "float32")],
}
CASES = [(name, dts) for name in ROWS for dts in DTYPES[TABLE[name].nin]]


def _numpy_result(name: str, values):
    """The reference result, or the TypeError NumPy raises for these dtypes."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(reference(name)(*values))
    except TypeError as e:
        return e


def _expected_dtype(name: str, in_dtypes, native) -> str:
    if TABLE[name].dtype == "float":
        return float_rule_dtype(in_dtypes)
    return native.dtype.name


# ---------------------------------------------------------------- the table tests


def test_every_row_has_a_reference():
    missing = [n for n in ROWS if not n.startswith("cast{") and n not in REFERENCE]
    assert not missing, f"table rows without a NumPy reference in this test: {missing}"


@pytest.mark.parametrize("name,in_dtypes", CASES, ids=[f"{n}-{'-'.join(d)}" for n, d in CASES])
def test_row_matches_numpy(name, in_dtypes):
    op = Elemwise(TABLE[name])
    for k, shapes in enumerate(SHAPES[op.scalar.nin]):
        values = row_inputs(name, shapes, in_dtypes, seed=k)
        native = _numpy_result(name, values)
        static = k % 2 == 0
        inputs = [symbolic_like(v, f"x{i}", static) for i, v in enumerate(values)]
        if isinstance(native, TypeError):
            # NumPy refuses these dtypes: so does the graph, naming the op and dtypes.
            with pytest.raises(TypeError, match=rf"{name}.*{in_dtypes[0]}"):
                op(*inputs)
            return
        out = op(*inputs)
        with np.errstate(all="ignore"):
            got = np.asarray(compile_and_run(out, inputs, values))
        assert_static_matches(out, got, f"{name}{shapes}")
        if static:  # fully known input shapes give a fully known output shape
            assert out.type.shape == got.shape
        expected_dtype = _expected_dtype(name, in_dtypes, native)
        assert got.dtype.name == expected_dtype, f"{name}{in_dtypes}: dtype {got.dtype}"
        expected = native
        if op.scalar.dtype == "float":  # compare with the exact value, not a float16 one
            with np.errstate(all="ignore"):
                expected = np.asarray(reference(name)(*(v.astype("float64") for v in values)))
        assert_close(got, expected, exact_dtype=False)
        if not static:
            assert_infer_shape_matches([out], inputs, values)


@pytest.mark.parametrize("name", [n for n in ROWS if TABLE[n].nin <= 2])
def test_constant_folding_gives_the_run_time_value(name):
    """A row on constants is folded at compile time (op.perform): same value and dtype."""
    in_dtypes = ("float64",) * TABLE[name].nin if name not in ("and_", "or_", "xor", "invert") \
        else ("int32",) * TABLE[name].nin
    values = row_inputs(name, SHAPES[TABLE[name].nin][0], in_dtypes)
    op = Elemwise(TABLE[name])
    inputs = [symbolic_like(v) for v in values]
    with np.errstate(all="ignore"):
        run = np.asarray(compile_and_run(op(*inputs), inputs, values))
        folded_out = op(*(sg.constant(v) for v in values))
        f = sg.function([], folded_out)
        folded = np.asarray(f())
    assert not any(isinstance(n.op, Elemwise) and n.op.scalar.name == name
                   for n in f.graph.toposort()), "the constant expression was not folded"
    assert_close(folded, run)


# ---------------------------------------------------------------- NumPy's dtype rules


@pytest.mark.parametrize("name", [n for n in ROWS if TABLE[n].dtype == "float"])
@pytest.mark.parametrize("dtype", ["float64", "float32", "float16", "int32", "int16", "int8",
                                   "uint8", "bool"])
def test_float_rule_is_numpys_float_ufunc_rule(name, dtype):
    """A 'float' row's dtype is what np.exp gives; its own NumPy/SciPy function gives the
    same, except for the documented deviations."""
    x = sg.tensor("x", dtype=dtype, shape=(2,))
    out = Elemwise(TABLE[name])(x)
    assert out.dtype == float_rule_dtype([dtype])
    fn = TABLE[name].fn
    if not isinstance(fn, np.ufunc):
        return  # a helper built from NumPy calls: the rule is its definition
    with np.errstate(all="ignore"):
        own = np.asarray(fn(np.ones(2, dtype))).dtype.name
    if name in FLOAT_RULE_DEVIATIONS and dtype not in _FOLLOWS_THE_RULE[name]:
        return  # documented above
    assert own == out.dtype, (
        f"{name}({dtype}): NumPy gives {own}, the table's rule {out.dtype}, undocumented")


BINARY_NUMERIC = [n for n in ROWS if TABLE[n].nin == 2]


@pytest.mark.parametrize("name", BINARY_NUMERIC)
@pytest.mark.parametrize("dtype", ["float32", "int32", "uint8", "bool"])
@pytest.mark.parametrize("scalar", [2, 2.5, True])
def test_python_scalars_are_weak_like_numpy(name, dtype, scalar):
    """NEP 50: x(float32) + 2.5 stays float32, x(int32) + 2.5 is float64 -- both orders."""
    values = row_inputs(name, [(3,)], [dtype])
    if name in ("true_div", "floor_div", "mod", "pow") and dtype != "bool":
        values = [np.abs(values[0]) + np.ones(3, dtype)]  # keep 0 ** negative out of it
    x = symbolic_like(values[0], "x")
    for args, sym in (((values[0], scalar), (x, scalar)), ((scalar, values[0]), (scalar, x))):
        native = _numpy_result(name, args)
        op = Elemwise(TABLE[name])
        if isinstance(native, (TypeError, OverflowError)):
            with pytest.raises((TypeError, OverflowError)):
                op(*sym)
            continue
        out = op(*sym)
        with np.errstate(all="ignore"):
            got = np.asarray(compile_and_run(out, [x], [values[0]]))
        assert_static_matches(out, got)
        assert got.dtype == native.dtype, f"{name}{args}: {got.dtype}, NumPy {native.dtype}"
        assert_close(got, native)


# ---------------------------------------------------------------- errors and regressions


@pytest.mark.parametrize("name", BINARY_NUMERIC)
def test_broadcast_mismatch_names_the_op_and_both_shapes(name):
    dt = "int32" if name in ("and_", "or_", "xor") else "float64"
    a = sg.tensor("a", dtype=dt, shape=(3, 4))
    b = sg.tensor("b", dtype=dt, shape=(5, 4))
    with pytest.raises(ValueError, match=rf"{name}: shapes \(3, 4\), \(5, 4\) cannot be "
                                          rf"broadcast"):
        Elemwise(TABLE[name])(a, b)


def test_broadcast_mismatch_at_run_time_names_the_op_and_shapes():
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    f = sg.function([a, b], a * b)
    with pytest.raises(ValueError, match=r"mul.*float64\[3, 4\].*float64\[5, 4\]"):
        f(np.ones((3, 4)), np.ones((5, 4)))


def test_wrong_number_of_inputs_is_an_error():
    with pytest.raises(TypeError, match="add takes 2 input"):
        sg.add(sg.dvector("x"))


def test_scipy_rows_keep_float16():
    """Regression: erf/erfc/sigmoid of float16 (and int8/bool) ran in float32/float64 while
    the graph said float16."""
    for dtype in ("float16", "int8", "bool"):
        x = sg.tensor("x", dtype=dtype, shape=(3,))
        outs = [sg.erf(x), sg.erfc(x), sg.sigmoid(x)]
        got = compile_and_run(outs, [x], [np.array([0, 1, 1]).astype(dtype)])
        for o, g in zip(outs, got, strict=True):
            assert o.dtype == g.dtype.name == "float16"


def test_clip_follows_numpy_when_the_bounds_cross():
    """np.clip(x, lo, hi) with lo > hi gives hi everywhere; so does the graph."""
    x = sg.dvector("x")
    got = compile_and_run(sg.clip(x, 2.0, 1.0), [x], [np.array([0.0, 1.5, 3.0])])
    np.testing.assert_array_equal(got, np.clip(np.array([0.0, 1.5, 3.0]), 2.0, 1.0))


def test_cast_to_the_same_dtype_is_free():
    x = sg.dvector("x")
    assert sg.cast(x, "float64") is x
    assert sg.cast(x, "float32").dtype == "float32"
