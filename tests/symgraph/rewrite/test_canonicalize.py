"""canonicalize (arithmetic half): each rewrite fires on its pattern, keeps the values, and
stays away where it would be wrong."""

import numpy as np
import pytest

import symgraph as sg
from symgraph.grad import disconnected_grad
from symgraph.ops.elemwise import cast_op

from .helpers import assert_same, compile_both, fired, op_names

X = np.array([[0.5, -1.5, 2.0], [3.0, 0.25, -4.0]])


def canon(inputs, out, **kw):
    """Compiled with canonicalize only (so later passes do not hide what it did)."""
    return compile_both(inputs, out, rewrites=["merge", "constant_fold", "canonicalize"], **kw)


@pytest.mark.parametrize("name, build", [
    ("mul_one", lambda x: x * 1),
    ("mul_one", lambda x: 1.0 * x),
    ("add_zero", lambda x: 0 + x),
    ("sub_zero", lambda x: x - 0),
    ("div_one", lambda x: x / 1),
    ("neg_neg", lambda x: sg.neg(sg.neg(x))),
    ("useless_identity", lambda x: x.copy()),
    ("useless_disconnected_grad", lambda x: disconnected_grad(x)),
    ("log_exp", lambda x: sg.log(sg.exp(x))),
])
def test_identity_rewrites_leave_x(name, build):
    x = sg.dmatrix("x")
    f, g = canon([x], build(x))
    assert fired(f, name) == 1
    assert op_names(f) == []  # nothing left to compute
    assert_same(f, g, X)


def test_identity_rewrite_output_is_a_copy_of_the_input():
    x = sg.dmatrix("x")
    f, _ = canon([x], x * 1)
    a = X.copy()
    out = f(a)
    out[0, 0] = 99.0
    assert a[0, 0] == X[0, 0]  # the caller's array is never handed back


def test_zero_sub_becomes_neg():
    x = sg.dmatrix("x")
    f, g = canon([x], 0 - x)
    assert fired(f, "zero_sub") == 1 and op_names(f) == ["neg"]
    assert_same(f, g, X)


@pytest.mark.parametrize("dtype, zero, values, want", [
    ("bool", sg.constant(0), [True, False], [-1, 0]),  # -bool does not exist
    ("int8", sg.constant(0), [-128, 127], [128, -127]),  # int8 -(-128) wraps to -128
])
def test_zero_sub_negates_in_the_result_dtype(dtype, zero, values, want):
    # Found by the random-graph tests: 0 - x became -x in x's dtype, which failed for
    # bool x (compiling raised) and wrapped around for int8 x with an int64 zero.
    x = sg.tensor("x", dtype, (None,))
    for out in (zero - x, sg.zeros((2,), "int64") - x):
        f, g = compile_both([x], out)
        assert out.dtype == "int64"
        np.testing.assert_array_equal(assert_same(f, g, np.array(values, dtype)), want)


def test_mul_one_does_not_fire_when_the_one_broadcasts_x():
    x = sg.dvector("x")
    ones = sg.constant(np.ones((2, 1)))
    f, g = canon([x], x * ones)  # (3,) * (2, 1) -> (2, 3): x alone has the wrong shape
    assert fired(f, "mul_one") == 0
    assert_same(f, g, X[0])


def test_exp_log_applies_on_its_domain():
    x = sg.dvector("x")
    f, g = canon([x], sg.exp(sg.log(x)))
    assert fired(f, "exp_log") == 1 and op_names(f) == []
    assert_same(f, g, np.array([0.5, 1.0, 7.0]))


def test_sub_self_gives_zeros_for_floats_and_ints():
    for x in (sg.dmatrix("x"), sg.imatrix("x")):
        f, g = canon([x], x - x)
        assert fired(f, "sub_self") == 1
        assert "sub" not in op_names(f)
        assert_same(f, g, X.astype(x.dtype))


def test_div_self_fires_for_floats():
    x = sg.dmatrix("x")
    f, g = canon([x], x / x)
    assert fired(f, "div_self") == 1 and "true_div" not in op_names(f)
    assert_same(f, g, X)


def test_div_self_never_fires_for_integers():
    x = sg.ivector("x")
    f, g = canon([x], x / x)
    assert fired(f, "div_self") == 0 and "true_div" in op_names(f)
    with np.errstate(invalid="ignore"):
        out = f(np.array([0, 2], dtype="int32"))
    assert np.isnan(out[0]) and out[1] == 1.0  # 0 / 0 stays nan


def test_switch_same_branches():
    x, c = sg.dvector("x"), sg.bscalar("c")
    for cond in (x > 0, c):
        f, g = canon([x, c], sg.switch(cond, x, x))
        assert fired(f, "switch_same") == 1
        assert_same(f, g, X[0], np.bool_(True))


def test_switch_same_branches_kept_when_the_condition_broadcasts_them():
    # Found by the random-graph tests: switch(c, x, x) -> x gave a (4, 1) result for
    # a (4, 12) condition; unknown dims may be 1 at run time and broadcast.
    c, x = sg.bmatrix("c"), sg.dmatrix("x")
    f, g = canon([c, x], sg.switch(c, x, x))
    assert fired(f, "switch_same") == 0
    out = assert_same(f, g, np.ones((4, 12), bool), np.ones((4, 1)))
    assert out.shape == (4, 12)


@pytest.mark.parametrize("cond, pick", [(True, 0), (False, 1)])
def test_switch_with_constant_condition(cond, pick):
    x = sg.dvector("x")
    f, g = canon([x], sg.switch(cond, x * 2, x * 3))
    assert fired(f, "switch_const_cond") == 1 and "switch" not in op_names(f)
    out = assert_same(f, g, X[0])
    np.testing.assert_allclose(out, X[0] * 2 if pick == 0 else X[0] * 3)


@pytest.mark.parametrize("cond", [True, False, [True, True]])
def test_switch_with_constant_condition_kept_when_the_result_may_be_larger(cond):
    # switch(True, a, b) has the broadcast shape of a and b (and of the condition).
    a, b = sg.dvector("a"), sg.dvector("b")
    f, g = canon([a, b], sg.switch(cond, a * 2, b * 3))
    assert fired(f, "switch_const_cond") == 0
    assert assert_same(f, g, np.ones(1), np.ones(1) if len(np.shape(cond)) else
                       np.ones(2)).shape == (2,)


def test_switch_with_mixed_constant_condition_stays():
    a, b = sg.dvector("a"), sg.dvector("b")
    f, g = canon([a, b], sg.switch(np.array([True, False, True]), a, b))
    assert fired(f, "switch_const_cond") == 0
    assert_same(f, g, X[0], X[1])


@pytest.mark.parametrize("cond", [True, False])
def test_ifelse_with_constant_condition(cond):
    a, b = sg.dvector("a"), sg.dvector("b")
    f, g = canon([a, b], sg.ifelse(sg.constant(cond), sg.exp(a), sg.log(b)))
    assert fired(f, "ifelse_const_cond") == 1
    assert op_names(f) == (["exp"] if cond else ["log"])
    assert_same(f, g, X[0], np.abs(X[1]))


def test_mul_zero_and_zeros_times_x():
    x = sg.dmatrix("x")
    for out in (x * 0, sg.zeros_like(x) * sg.exp(x)):
        f, g = canon([x], out)
        assert fired(f, "mul_zero") == 1
        assert "exp" not in op_names(f) and "mul" not in op_names(f)
        assert_same(f, g, X)


def test_add_zeros_of_the_same_shape():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.exp(x) + sg.zeros_like(x))
    assert fired(f, "add_zeros") == 1 and op_names(f) == ["exp"]
    assert_same(f, g, X)


def test_add_zeros_keeps_zeros_that_broadcast_x():
    x, m = sg.dvector("x"), sg.dmatrix("m")
    f, g = canon([x, m], x + sg.zeros_like(m))  # the zeros give the result its rows
    assert fired(f, "add_zeros") == 0
    assert_same(f, g, X[0], X)


def test_broadcast_zeros_dropped_when_another_operand_spans_them():
    v, m = sg.dvector("v"), sg.dmatrix("m")
    f, g = canon([v, m], (v + sg.zeros_like(m)) * m)
    assert fired(f, "broadcast_zeros") == 1 and "alloc" not in op_names(f)
    assert_same(f, g, X[0], X)


def test_broadcast_zeros_kept_when_nothing_else_spans_them():
    v, m, w = sg.dvector("v"), sg.dmatrix("m"), sg.dvector("w")
    f, g = canon([v, m, w], (v + sg.zeros_like(m)) * w)
    assert fired(f, "broadcast_zeros") == 0
    assert_same(f, g, X[0], X, X[1])


def test_useless_cast():
    x = sg.dvector("x")
    f, g = canon([x], cast_op("float64")(x) * 2)
    assert fired(f, "useless_cast") == 1 and op_names(f) == ["mul"]
    assert_same(f, g, X[0])


def test_cast_of_cast_through_a_wider_type():
    x = sg.vector("x", dtype="float32")
    f, g = canon([x], sg.cast(sg.cast(x, "float64"), "int32"))
    assert fired(f, "cast_cast") == 1 and op_names(f) == ["cast{int32}"]
    assert_same(f, g, np.array([1.5, -2.5, 7.9], dtype="float32"))


def test_cast_of_cast_through_a_narrower_type_stays():
    x = sg.dvector("x")
    f, g = canon([x], sg.cast(sg.cast(x, "float32"), "float64"))  # rounds to float32
    assert fired(f, "cast_cast") == 0
    out = assert_same(f, g, np.array([0.1]))
    assert out[0] != 0.1


def test_int_through_float_of_too_few_bits_stays():
    x = sg.lvector("x")
    f, g = canon([x], sg.cast(sg.cast(x, "float64"), "int64"))
    assert fired(f, "cast_cast") == 0
    big = np.array([2 ** 60 + 1], dtype="int64")
    assert_same(f, g, big)


def test_collect_constants():
    x = sg.dvector("x")
    f, g = canon([x], 2 * x * 3)
    assert fired(f, "collect_constants") == 1
    (node,) = f.graph.apply_nodes
    assert sorted(float(c.data) for c in node.inputs if isinstance(c, sg.Constant)) == [6.0]
    assert_same(f, g, X[0])
    h, k = canon([x], 1 + (x + 2))
    assert fired(h, "collect_constants") == 1 and len(h.graph.apply_nodes) == 1
    assert_same(h, k, X[0])


def test_collect_constants_leaves_shared_subtrees_alone():
    x = sg.dvector("x")
    inner = 2 * x
    f, g = canon([x], [inner * 3, inner])  # 2*x is needed anyway: no 6*x copy
    assert fired(f, "collect_constants") == 0
    assert_same(f, g, X[0])


@pytest.mark.parametrize("op", ["add", "mul", "sub"])
def test_long_chains_compile(op):
    # A sum of 1500 terms (a loss summed over many parts) raised RecursionError in the
    # rewrites that gather a whole add/mul tree, and each node of the chain gathered the
    # whole tree below it again (quadratic); the trees are now gathered at their roots.
    x = sg.dmatrix("x")
    acc = x
    for k in range(1500):
        if op == "add":
            acc = acc + x * float(k % 3 + 2)
        elif op == "mul":
            acc = acc * (x + 1e-4)
        else:
            acc = acc - x * 2.0
    f, g = compile_both([x], acc)
    assert_same(f, g, X * 1e-3, rtol=1e-9)
    assert len(f.graph) <= 2  # one fused kernel (and its sum), the chain is gone


def test_collect_constants_runs_at_the_root_of_a_tree():
    x = sg.dvector("x")
    f, g = canon([x], ((x * 2.0) * 3.0) * 4.0)
    assert fired(f, "collect_constants") == 1
    assert_same(f, g, X[0])


def test_cancel_div():
    a, b = sg.tensor("a", "float64", (2, 3)), sg.tensor("b", "float64", (2, 3))
    f, g = canon([a, b], a / b * b)
    assert fired(f, "cancel_div") == 1 and op_names(f) == []
    assert_same(f, g, X, X + 10)
    h, k = canon([a, b], -(a / sg.exp(b)) * 3.0 * sg.exp(b))
    assert fired(h, "cancel_div") == 1 and "exp" not in op_names(h)
    assert_same(h, k, X, X)


def test_cancel_div_keeps_a_divisor_that_shapes_the_result():
    a, b = sg.dvector("a"), sg.dmatrix("b")
    f, g = canon([a, b], a / b * b)  # without b, the result would lose its rows
    assert fired(f, "cancel_div") == 0
    assert_same(f, g, X[0], X + 10)
    a = sg.dmatrix("a")
    f, g = canon([a, b], a / b * b)  # a may be 1 x 1 at run time: b may shape the result
    assert fired(f, "cancel_div") == 0
    assert_same(f, g, X[:1, :1], X + 10)


def test_cancel_div_not_for_integers():
    a, b = sg.ivector("a"), sg.ivector("b")
    f, g = canon([a, b], a // b * b)
    assert fired(f, "cancel_div") == 0
    assert_same(f, g, np.array([7, 9], "int32"), np.array([2, 4], "int32"))


def test_sink_zeros_moves_broadcasting_zeros_to_an_operand_that_spans_them():
    v, m = sg.dvector("v"), sg.dmatrix("m")
    out = ((v + sg.zeros_like(m)) * 2.0) * m  # the zeros meet m one op later
    f, g = canon([v, m], out)
    assert fired(f, "sink_zeros") == 1 and fired(f, "broadcast_zeros") == 1
    assert "alloc" not in op_names(f)
    assert_same(f, g, X[0], X)


def test_sink_zeros_stops_where_nothing_spans_them():
    v, m, w = sg.dvector("v"), sg.dmatrix("m"), sg.dvector("w")
    f, g = canon([v, m, w], -(v + sg.zeros_like(m)) * w)
    assert "alloc" in op_names(f)
    assert_same(f, g, X[0], X, X[1])


@pytest.mark.parametrize("name, build", [
    ("mul_one", lambda x, y: x * 2),
    ("add_zero", lambda x, y: x + 1),
    ("sub_zero", lambda x, y: x - 1),
    ("zero_sub", lambda x, y: 1 - x),
    ("div_one", lambda x, y: x / 2),
    ("neg_neg", lambda x, y: -sg.exp(x)),
    ("sub_self", lambda x, y: x - y),
    ("div_self", lambda x, y: x / y),
    ("log_exp", lambda x, y: sg.log(sg.exp(x) + 1)),
    ("exp_log", lambda x, y: sg.exp(sg.log(x) * 2)),
    ("switch_same", lambda x, y: sg.switch(sg.gt(x, 0), x, y)),
    ("mul_zero", lambda x, y: x * y),
    ("collect_constants", lambda x, y: 2 * x * y),
    ("cancel_div", lambda x, y: x / y * x),
])
def test_look_alikes_are_left_alone(name, build):
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    f, g = canon([x, y], build(x, y))
    assert fired(f, name) == 0
    assert_same(f, g, np.abs(X) + 0.5, np.abs(X[::-1]) + 1.0)


def test_mul_ones_drops_the_ones_a_gradient_leaves():
    """The gradient of sum(x * w) is ones(shape) * w: with known shapes the ones go."""
    x, w = sg.tensor("x", "float64", (2, 3)), sg.tensor("w", "float64", (2, 3))
    gx, gw = sg.grad(sg.sum(x * w), [x, w])
    f, g = canon([x, w], [gx, gw])
    assert fired(f, "mul_ones") == 2
    assert op_names(f) == []  # the gradients are w and x themselves
    assert_same(f, g, X, 2 * X)
    full = sg.function([x, w], [gx, gw])
    assert "alloc" not in str(full) and "mul" not in str(full)


def test_mul_ones_keeps_ones_that_broadcast_x():
    x, m = sg.dvector("x"), sg.dmatrix("m")
    f, g = canon([x, m], x * sg.ones_like(m))  # the ones give the result its rows
    assert fired(f, "mul_ones") == 0
    assert_same(f, g, X[0], X)


def test_div_ones_and_zeros_sub():
    x = sg.dmatrix("x")
    f, g = canon([x], sg.exp(x) / sg.ones_like(x))
    assert fired(f, "div_ones") == 1 and op_names(f) == ["exp"]
    assert_same(f, g, X)
    f, g = canon([x], sg.zeros_like(x) - sg.exp(x))
    assert fired(f, "zeros_sub") == 1 and op_names(f) == ["exp", "neg"]
    assert_same(f, g, X)
