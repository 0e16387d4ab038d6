"""Gradients of every op, checked against central finite differences (sg.verify_grad,
float64), first and second derivatives; every node of each gradient graph must also have
the static type it claims (tests.helpers.check_grad).

Elementwise rows are driven from THE table: a row whose output is float for float inputs
must have a gradient rule (else its test fails). Points avoid kinks (relu/abs at 0, ties of
max, jumps of floor), where finite differences say nothing; the conventions at those points
are tested on their own (`test_convention_*`).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import symgraph as sg
from symgraph import dtypes
from symgraph.ops.elemwise import TABLE, Elemwise, cast_op
from tests.helpers import check_grad, compile_and_run

nn = sg.nnet
for _d in dtypes.ALL_DTYPES:  # every cast row exists before parametrizing (see test_elemwise)
    cast_op(_d)

# ---------------------------------------------------------------- points for each row


def _u(lo, hi):
    return lambda rng, shape: rng.uniform(lo, hi, size=shape)


def _away(lo, hi):
    """|value| in [lo, hi] with a random sign: away from 0."""
    return lambda rng, shape: rng.uniform(lo, hi, size=shape) * rng.choice([-1.0, 1.0], shape)


def _off_integers(lo, hi):
    """k + an offset in [lo, hi]: away from the jumps of floor/ceil/round."""
    return lambda rng, shape: rng.integers(-2, 3, size=shape) + rng.uniform(lo, hi, size=shape)


def _clip_x(rng, shape):
    """Below, inside or above [-0.5, 0.5] but never near a bound."""
    centre = rng.choice([-1.0, 0.0, 1.0], size=shape)
    return centre + rng.uniform(-0.2, 0.2, size=shape)


ANY = _u(-2.0, 2.0)
GRAD_POINTS = {
    "true_div": [ANY, _away(0.5, 2.0)], "reciprocal": [_away(0.5, 2.0)],
    "log": [_u(0.3, 3.0)], "log2": [_u(0.3, 3.0)], "log10": [_u(0.3, 3.0)],
    "sqrt": [_u(0.3, 3.0)], "log1p": [_u(-0.5, 2.0)],
    "arcsin": [_u(-0.8, 0.8)], "arccos": [_u(-0.8, 0.8)], "tan": [_u(-1.0, 1.0)],
    "pow": [_u(0.5, 2.0), _u(-2.0, 2.0)],
    "abs": [_away(0.2, 2.0)], "relu": [_away(0.2, 2.0)], "sign": [_away(0.2, 2.0)],
    "floor": [_off_integers(0.2, 0.8)], "ceil": [_off_integers(0.2, 0.8)],
    "round": [_off_integers(-0.3, 0.3)],
    "floor_div": [_u(0.5, 2.5), _u(3.0, 4.0)],  # x / y in (0.1, 0.9): no jump
    "mod": [_u(4.5, 5.5), _u(3.0, 4.0)],        # x / y in (1.1, 1.9): floor(x / y) = 1
    "clip": [_clip_x, _u(-0.6, -0.4), _u(0.4, 0.6)],
    "switch": [_away(0.2, 1.0), ANY, ANY],
}


def points(name, shapes, seed=0):
    rng = np.random.default_rng(seed)
    gens = GRAD_POINTS.get(name, [])
    return [(gens[i] if i < len(gens) else ANY)(rng, s) for i, s in enumerate(shapes)]


def _float_out(name):
    row = TABLE[name]
    try:
        out = Elemwise(row)(*[sg.dvector(f"x{i}") for i in range(row.nin)])
    except TypeError:
        return None  # not defined on floats (bitwise rows)
    return out.dtype if dtypes.is_float(out.dtype) else None


DIFFERENTIABLE = [n for n in sorted(TABLE) if _float_out(n) is not None]
GRAD_SHAPES = {
    1: [[(2, 3)], [()]],
    2: [[(2, 3), (2, 3)], [(3, 1), (1, 4)], [(), (2, 3)], [(2, 3), (3,)]],
    3: [[(3, 1), (1, 4), (3, 4)], [(2, 3), (), ()]],
}


def _verify_kwargs(name):
    """Casts to float32/float16 are linear: a big step keeps their rounding out of the way."""
    if _float_out(name) != "float64":
        assert name.startswith("cast{"), f"{name} lowers float64 precision but is not a cast"
        return {"eps": 0.25, "rtol": 2e-2, "atol": 2e-2}
    return {}


def test_the_table_has_differentiable_rows():
    assert {"exp", "mul", "clip", "switch", "cast{float32}"} <= set(DIFFERENTIABLE)


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_row_gradient_matches_finite_differences(name):
    row = TABLE[name]
    if row.grad is None:
        pytest.fail(f"row {name} gives a float result for float inputs but has no gradient")
    op = Elemwise(row)
    for k, shapes in enumerate(GRAD_SHAPES[row.nin]):
        check_grad(op, points(name, shapes, seed=k), **_verify_kwargs(name))


@pytest.mark.parametrize("name", DIFFERENTIABLE)
def test_row_second_derivative_matches_finite_differences(name):
    row = TABLE[name]
    if row.grad is None:
        pytest.fail(f"row {name} gives a float result for float inputs but has no gradient")
    op = Elemwise(row)

    def first_derivatives(*xs):
        gs = sg.grad(sg.sum(op(*xs)), list(xs), disconnected_inputs="ignore")
        return sum((k + 1.0) * g for k, g in enumerate(gs))

    check_grad(first_derivatives, points(name, [(2, 3)] * row.nin), **_verify_kwargs(name))


@pytest.mark.parametrize("name", [n for n in DIFFERENTIABLE if TABLE[n].nin >= 2])
def test_broadcast_gradient_is_summed_back_to_each_input(name):
    """With static shapes the gradient's static type is the input's; values match the
    (finite-difference checked) graph built on unknown shapes."""
    shapes = GRAD_SHAPES[TABLE[name].nin][1]
    vals = points(name, shapes, seed=1)
    op = Elemwise(TABLE[name])
    results = []
    for static in (True, False):
        xs = [sg.tensor(f"x{i}", dtype="float64", shape=s if static else (None,) * len(s))
              for i, s in enumerate(shapes)]
        gs = sg.grad(sg.sum(op(*xs) * 1.5), xs, disconnected_inputs="ignore")
        if static:
            assert [g.type.shape for g in gs] == [tuple(s) for s in shapes]
        results.append(compile_and_run(gs, xs, vals))
    for a, b, s in zip(*results, shapes, strict=True):
        assert a.shape == b.shape == tuple(s)
        np.testing.assert_allclose(a, b)


# ---------------------------------------------------------------- conventions at kinks


def _grad_at(fn, value):
    x = sg.dvector("x")
    return compile_and_run(sg.grad(sg.sum(fn(x)), x), [x], [np.asarray(value, "float64")])


def test_convention_sqrt_gradient_at_zero_is_inf():
    with np.errstate(divide="ignore"):
        assert _grad_at(sg.sqrt, [0.0])[0] == np.inf


def test_convention_abs_and_relu_gradient_at_zero_is_zero():
    np.testing.assert_array_equal(_grad_at(sg.abs, [-1.0, 0.0, 2.0]), [-1.0, 0.0, 1.0])
    np.testing.assert_array_equal(_grad_at(sg.relu, [-1.0, 0.0, 2.0]), [0.0, 0.0, 1.0])


def test_convention_maximum_tie_goes_to_the_first_input():
    x, y = sg.dvector("x"), sg.dvector("y")
    gx, gy = sg.grad(sg.sum(sg.maximum(x, y)), [x, y])
    got = compile_and_run([gx, gy], [x, y], [np.array([1.0, 2.0]), np.array([1.0, 3.0])])
    np.testing.assert_array_equal(got[0], [1.0, 0.0])
    np.testing.assert_array_equal(got[1], [0.0, 1.0])


def test_convention_max_reduction_ties_each_get_the_gradient():
    """As in Theano: every element equal to the max gets the full output gradient."""
    np.testing.assert_array_equal(_grad_at(sg.max, [1.0, 3.0, 3.0]), [0.0, 1.0, 1.0])


def test_convention_piecewise_constant_rows_have_zero_gradient():
    for fn in (sg.floor, sg.ceil, sg.round, sg.sign):
        np.testing.assert_array_equal(_grad_at(fn, [-1.5, 0.3, 2.0]), [0.0, 0.0, 0.0])


def test_clip_gradient_when_the_bounds_cross():
    """np.clip(x, lo, hi) with lo > hi is hi everywhere: all the gradient goes to hi
    (regression: it went to x or lo)."""
    x, lo, hi = sg.dvector("x"), sg.dvector("lo"), sg.dvector("hi")
    grads = sg.grad(sg.sum(sg.clip(x, lo, hi)), [x, lo, hi])
    got = compile_and_run(grads, [x, lo, hi], [np.array([0.0, 1.5, 3.0]), np.full(3, 2.0),
                                               np.full(3, 1.0)])
    for g, expected in zip(got, ([0.0] * 3, [0.0] * 3, [1.0] * 3), strict=True):
        np.testing.assert_array_equal(g, expected)


def test_pow_gradient_at_a_zero_base_is_finite():
    """Regression: d/dy x^y = x^y log x was 0 * -inf = nan at x = 0; its limit is 0."""
    x, y = sg.dvector("x"), sg.dvector("y")
    with np.errstate(divide="ignore", invalid="ignore"):
        gx, gy = compile_and_run(sg.grad(sg.sum(x ** y), [x, y]), [x, y],
                                 [np.array([0.0, 0.0, 2.0]), np.array([2.0, 1.0, 3.0])])
    np.testing.assert_allclose(gx, [0.0, 1.0, 12.0])
    np.testing.assert_allclose(gy, [0.0, 0.0, 8.0 * np.log(2.0)])


@pytest.mark.parametrize("dtype", ["int32", "int64", "bool", "uint8"])
def test_grad_with_respect_to_an_int_or_bool_raises_type_error(dtype):
    x = sg.tensor("k", dtype=dtype, shape=(None,))
    cost = sg.sum(sg.cast(x, "float64") * 2.0)
    with pytest.raises(TypeError, match=f"k of dtype {dtype}"):
        sg.grad(cost, x)


def test_int_intermediates_stop_the_gradient():
    """argmax and casts to int contribute nothing (integer values carry no gradient)."""
    x = sg.dvector("x")
    cost = sg.sum(x * 2.0) + sg.cast(sg.argmax(x), "float64") + sg.sum(sg.cast(x, "int32"))
    got = compile_and_run(sg.grad(cost, x), [x], [np.array([0.5, 2.5])])
    np.testing.assert_array_equal(got, [2.0, 2.0])


# ---------------------------------------------------------------- reductions


def _distinct(shape, seed=0):
    """Values with no ties (max/min are differentiable there), none near 0."""
    n = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    return (rng.permutation(n).reshape(shape) + 1.0) / n + 0.25


REDUCTIONS = ["sum", "mean", "prod", "max", "min", "var", "std", "logsumexp"]
AXES = [None, 0, -1, (0, 2), (-1, 1), ()]


@pytest.mark.parametrize("kind", REDUCTIONS)
@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction_gradient(kind, axis, keepdims):
    if kind == "std" and axis == ():
        # std over no axes is 0 everywhere, where sqrt has no derivative (inf * 0 = nan).
        axis = (1,)
    red = getattr(sg, kind)
    x = _distinct((2, 3, 4))
    check_grad(lambda v: red(v, axis=axis, keepdims=keepdims), [x])


@pytest.mark.parametrize("kind", REDUCTIONS)
@pytest.mark.parametrize("axis", [None, -1, (0, 1)], ids=str)
def test_reduction_second_derivative(kind, axis):
    red = getattr(sg, kind)
    check_grad(lambda v: sg.grad(sg.sum(red(v, axis=axis) ** 2), v), [_distinct((2, 3, 2))])


def test_mean_gradient_of_a_long_float16_vector():
    """Regression: the element count was cast to float16, inf past 65504, so the gradient
    of a mean over 70000 elements was 0 instead of 1 / 70000."""
    x = sg.vector("x", dtype="float16")
    got = compile_and_run(sg.grad(sg.mean(x), x), [x], [np.ones(70_000, "float16")])
    assert got.dtype == np.float16
    np.testing.assert_allclose(got.astype("float64"), 1 / 70_000, rtol=1e-2)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_prod_gradient_with_zeros_is_exact(axis):
    """d prod / d x_i is the product of the others -- also where x holds one or two zeros."""
    v = np.array([[0.0, 2.0, 3.0], [1.5, 0.0, 0.0], [2.0, 4.0, 0.5]])
    x = sg.dmatrix("x")
    got = compile_and_run(sg.grad(sg.sum(sg.prod(x, axis=axis)), x), [x], [v])
    expected = np.zeros_like(v)
    for idx in np.ndindex(*v.shape):
        others = v.copy()
        others[idx] = 1.0
        p = np.prod(others, axis=axis)
        expected[idx] = p if axis is None else p[idx[1 - axis]]
    np.testing.assert_array_equal(got, expected)
    check_grad(lambda t: sg.prod(t, axis=axis), [v])  # one zero per slice: smooth


def test_logsumexp_gradient_is_softmax_and_finite_at_1000():
    z = np.array([[1000.0, -1000.0, 999.0], [-1000.0, -1001.0, -1000.5]])
    x = sg.dmatrix("x")
    g = compile_and_run(sg.grad(sg.sum(sg.logsumexp(x, axis=1)), x), [x], [z])
    np.testing.assert_allclose(g, scipy.special.softmax(z, axis=1), atol=1e-12)


# ---------------------------------------------------------------- linear algebra


PRODUCT_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((2, 3), (3, 4)),
                  ((2, 2, 3), (3, 2)), ((2, 3), (2, 3, 4)), ((2, 2, 3), (2, 3, 2))]


@pytest.mark.parametrize("sa,sb", PRODUCT_SHAPES, ids=str)
def test_dot_gradient(sa, sb):
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    check_grad(sg.dot, [a, b])
    check_grad(lambda p, q: sg.grad(sg.sum(sg.dot(p, q) ** 2), p), [a, b])


MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (2, 3, 4)), ((2, 3), (3, 4)),
                 ((2, 1, 2, 3), (3, 3, 2)), ((2, 2, 3), (3, 2))]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=str)
def test_matmul_gradient_with_batching_and_broadcast(sa, sb):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    check_grad(sg.matmul, [a, b])
    check_grad(lambda p, q: sg.grad(sg.sum(sg.matmul(p, q) ** 2), q), [a, b])


TENSORDOT_CASES = [(0, (2, 3), (2,)), (1, (2, 3, 4), (4, 2)), (2, (2, 3, 4), (3, 4, 2)),
                   (([1, 2], [1, 0]), (2, 3, 4), (4, 3, 2)),
                   (([2, 0], [0, 1]), (2, 3, 4), (4, 2, 3)),
                   (([0], [1]), (2, 3, 4), (3, 2, 4))]


@pytest.mark.parametrize("axes,sa,sb", TENSORDOT_CASES, ids=str)
def test_tensordot_gradient(axes, sa, sb):
    """Includes summed axes given out of order (a regression: their gradient was transposed)."""
    rng = np.random.default_rng(2)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    check_grad(lambda p, q: sg.tensordot(p, q, axes), [a, b])
    check_grad(lambda p, q: sg.grad(sg.sum(sg.tensordot(p, q, axes) ** 2), p), [a, b])


def test_outer_gradient():
    rng = np.random.default_rng(3)
    check_grad(sg.outer, [rng.normal(size=3), rng.normal(size=4)])
    check_grad(sg.outer, [rng.normal(size=(2, 2)), rng.normal(size=3)])


def _well_conditioned(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, n)) + n * np.eye(n)


def test_inv_solve_det_gradients():
    a = _well_conditioned(3)
    rng = np.random.default_rng(4)
    check_grad(sg.linalg.inv, [a])
    check_grad(sg.linalg.det, [a])
    check_grad(sg.linalg.solve, [a, rng.normal(size=3)])
    check_grad(sg.linalg.solve, [a, rng.normal(size=(3, 2))])
    check_grad(lambda m: sg.grad(sg.linalg.det(m), m), [a])
    check_grad(lambda m: sg.grad(sg.sum(sg.linalg.inv(m) ** 2), m), [a])


# ---------------------------------------------------------------- shape ops


SHAPE_OPS = {
    "reshape": lambda x: x.reshape((6, -1)),
    "reshape_symbolic": lambda x: x.reshape((x.shape[0], -1)),
    "flatten": lambda x: x.flatten(),
    "flatten2": lambda x: x.flatten(2),
    "dimshuffle": lambda x: x.dimshuffle(2, "x", 0, 1),
    "transpose": lambda x: x.T,
    "expand_dims": lambda x: sg.expand_dims(x, -1),
    "squeeze": lambda x: sg.squeeze(x[:, :1, :], 1),
    "concatenate": lambda x: sg.concatenate([x, x * 2.0, x[:, :1]], axis=1),
    "concatenate_neg": lambda x: sg.concatenate([x[:1], x], axis=-3),
    "stack": lambda x: sg.stack([x, x * 3.0], axis=1),
    "stack_last": lambda x: sg.stack([x, x * 3.0], axis=-1),
    "repeat": lambda x: sg.repeat(x, 2, axis=1),
    "repeat_flat": lambda x: sg.repeat(x, 3),
    "repeat_per_element": lambda x: sg.repeat(x, np.array([1, 0, 3]), axis=1),
    "repeat_symbolic": lambda x: sg.repeat(x, sg.shape_i(x, 0), axis=2),
    "tile": lambda x: sg.tile(x, (2, 1, 3)),
    "tile_more_dims": lambda x: sg.tile(x, (2, 1, 1, 2)),
    "alloc": lambda x: sg.alloc(sg.sum(x), 2, 3),
    "broadcast_to": lambda x: sg.broadcast_to(x[:, :1], (2, 2, 3, 4)),
}


@pytest.mark.parametrize("name", sorted(SHAPE_OPS))
def test_shape_op_gradient(name):
    """Regression (repeat_per_element, repeat_symbolic): the gradient used to be missing."""
    fn = SHAPE_OPS[name]
    x = np.random.default_rng(5).normal(size=(2, 3, 4))
    check_grad(fn, [x])
    check_grad(lambda v: sg.grad(sg.sum(fn(v) ** 2), v), [x])


# ---------------------------------------------------------------- indexing


A = np.random.default_rng(6).normal(size=(4, 3))
INDEXING = {
    "slice": lambda x: x[1:3, ::-1],
    "negative_step": lambda x: x[3:0:-2],
    "int": lambda x: x[-1],
    "symbolic_bound": lambda x: x[sg.shape_i(x, 0) - 3:, 1],
    "none_ellipsis": lambda x: x[None, ..., 1],
    "repeated_indices": lambda x: x[[0, 2, 0, 0]],
    "two_arrays": lambda x: x[[0, 2, 0], [1, 1, 1]],
    "array_and_slice": lambda x: x[1:, [2, 0, 2]],
    "mask_constant": lambda x: x[np.array([True, False, True, True])],
    "mask_expression": lambda x: x[x > 0.1],
}


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_indexing_gradient(name):
    fn = INDEXING[name]
    check_grad(fn, [A])
    check_grad(lambda v: sg.grad(sg.sum(fn(v) ** 2), v), [A])


def test_indexing_gradient_accumulates_repeated_indices():
    x = sg.dvector("x")
    got = compile_and_run(sg.grad(sg.sum(x[[0, 2, 0, 0]]), x), [x], [np.zeros(3)])
    np.testing.assert_array_equal(got, [3.0, 0.0, 1.0])


SUBTENSOR_UPDATES = {
    "set_basic": (lambda x, y: sg.set_subtensor(x[1:3], y), (2, 3)),
    "inc_basic": (lambda x, y: sg.inc_subtensor(x[1:3], y), (2, 3)),
    "inc_broadcast": (lambda x, y: sg.inc_subtensor(x[::-2], y), (1, 3)),
    "set_column": (lambda x, y: sg.set_subtensor(x[:, 1], y), ()),
    "inc_repeated": (lambda x, y: sg.inc_subtensor(x[[0, 2, 0]], y), (3, 3)),
    "set_advanced": (lambda x, y: sg.set_subtensor(x[[0, 2]], y), (3,)),
    "set_repeated": (lambda x, y: sg.set_subtensor(x[[0, 2, 0]], y), (3, 3)),
    "set_repeated_pairs": (lambda x, y: sg.set_subtensor(x[[0, 2, 0], [1, 1, 1]], y), (3,)),
    "set_mask": (lambda x, y: sg.set_subtensor(x[np.array([True, False, True, False])], y),
                 (3,)),
    "inc_mask": (lambda x, y: sg.inc_subtensor(x[x > 0], y), ()),
}


@pytest.mark.parametrize("name", sorted(SUBTENSOR_UPDATES))
def test_set_and_inc_subtensor_gradient_wrt_both_arguments(name):
    """set_repeated*: only the last write to an element survives, so only it gets a gradient
    (regression: every write used to)."""
    fn, y_shape = SUBTENSOR_UPDATES[name]
    y = np.random.default_rng(7).normal(size=y_shape)
    check_grad(fn, [A, y])
    check_grad(lambda x, v: sg.grad(sg.sum(fn(x, v) ** 2), v), [A, y])


# ---------------------------------------------------------------- selection and nnet


def test_switch_and_where_gradient():
    c = np.array([[1.0, -1.0, 0.5], [-0.5, 2.0, -2.0]])
    rng = np.random.default_rng(8)
    a, b = rng.normal(size=(2, 3)), rng.normal(size=(3,))
    check_grad(lambda p, q: sg.switch(sg.constant(c) > 0, p, q), [a, b])
    check_grad(lambda p, q: sg.where(p > q, p * q, q), [a, b])


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
def test_softmax_and_log_softmax_gradients_on_every_axis(shape):
    x = np.random.default_rng(9).normal(size=shape)
    for axis in range(-len(shape), len(shape)):
        check_grad(lambda v, axis=axis: nn.softmax(v, axis=axis), [x])
        check_grad(lambda v, axis=axis: nn.log_softmax(v, axis=axis), [x])
        check_grad(lambda v, axis=axis: sg.grad(
            sg.sum(nn.softmax(v, axis=axis)[..., 0] ** 2), v), [x])


def test_crossentropy_gradients():
    rng = np.random.default_rng(10)
    z = rng.normal(size=(4, 3))
    p = scipy.special.softmax(z, axis=1)
    onehot = np.eye(3)[[0, 2, 1, 1]]
    labels = np.array([0, 2, 1, 1])
    check_grad(lambda q: nn.categorical_crossentropy(q, onehot), [p])
    check_grad(lambda q: nn.categorical_crossentropy(q, labels), [p])
    check_grad(lambda v: nn.categorical_crossentropy(nn.softmax(v), onehot), [z])
    check_grad(lambda v: nn.categorical_crossentropy(nn.softmax(v), labels), [z])
    check_grad(lambda q, t: nn.categorical_crossentropy(q, t), [p, onehot])
    o = rng.uniform(0.1, 0.9, size=(4, 3))
    t = rng.uniform(0, 1, size=(4, 3))
    check_grad(nn.binary_crossentropy, [o, t])
    check_grad(lambda v: nn.binary_crossentropy(nn.sigmoid(v), t), [z])


@pytest.mark.parametrize("name,fn", [
    ("sigmoid", nn.sigmoid), ("softplus", nn.softplus), ("softsign", nn.softsign),
    ("elu", nn.elu), ("selu", nn.selu), ("hard_sigmoid", nn.hard_sigmoid),
    ("leaky_relu", lambda v: nn.relu(v, alpha=0.1)),
    ("capped_relu", lambda v: nn.relu(v, max_value=1.0))])
def test_activation_gradients(name, fn):
    x = np.array([[-3.1, -1.2, -0.3], [0.4, 1.7, 3.3]])  # off every kink
    check_grad(fn, [x])
    check_grad(lambda v: sg.grad(sg.sum(fn(v) ** 2), v), [x])


# ---------------------------------------------------------------- stability at +-1000


Z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, -999.0, 1000.0], [3.0, 1.0, -2.0]])
Y = np.eye(3)[[0, 2, 1]]


def _grad_of(cost_fn):
    x = sg.dmatrix("x")
    return compile_and_run(sg.grad(cost_fn(x), x), [x], [Z])


def test_stable_gradients_at_plus_minus_1000():
    """Finite, and equal to the closed forms computed here with SciPy."""
    w = np.array([[1.0, 2.0, 3.0]])
    softmax = scipy.special.softmax(Z, axis=1)
    sig = scipy.special.expit(Z)
    cases = [
        (lambda x: sg.sum(nn.log_softmax(x) * w), w - softmax * w.sum()),
        (lambda x: sg.sum(nn.categorical_crossentropy(nn.softmax(x), Y)), softmax - Y),
        (lambda x: sg.sum(nn.categorical_crossentropy(nn.softmax(x), np.array([0, 2, 1]))),
         softmax - Y),
        (lambda x: sg.sum(nn.binary_crossentropy(nn.sigmoid(x), Y)), sig - Y),
        (lambda x: sg.sum(sg.logsumexp(x, axis=1)), softmax),
        (lambda x: sg.sum(nn.softplus(x)), sig),
        (lambda x: sg.sum(nn.sigmoid(x)), sig * (1 - sig)),
        # regression: elu's gradient was 0 * inf = nan at x = 1000
        (lambda x: sg.sum(nn.elu(x)), np.where(Z > 0, 1.0, np.exp(np.minimum(Z, 0)))),
    ]
    for cost_fn, expected in cases:
        g = _grad_of(cost_fn)
        assert np.all(np.isfinite(g))
        np.testing.assert_allclose(g, expected, atol=1e-12)
