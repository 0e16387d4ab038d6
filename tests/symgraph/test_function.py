"""function(): outputs, updates, givens, argument checks, run-time errors, shared storage."""

import sys
import warnings

import numpy as np
import pytest

import symgraph as sg
from symgraph.function import stats


def here() -> int:
    """The caller's line number (to check that errors point at the line that built a node)."""
    return sys._getframe(1).f_lineno


def f64(*values):
    return np.array(values, dtype="float64")


# ---------------------------------------------------------------- outputs


def test_single_output_is_an_array_and_a_list_gives_a_list():
    x = sg.dvector("x")
    one = sg.function([x], x * 2)
    many = sg.function([x], [x * 2, x + 1])
    pair = sg.function([x], (x * 2,))
    out = one(f64(1, 2))
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, [2, 4])
    a, b = many(f64(1, 2))
    np.testing.assert_array_equal(a, [2, 4])
    np.testing.assert_array_equal(b, [2, 3])
    assert isinstance(pair(f64(3)), list) and len(pair(f64(3))) == 1


def test_scalar_output_is_a_zero_dim_array_of_the_declared_dtype():
    x = sg.vector("x", dtype="float32")
    out = sg.function([x], x.sum())(np.ones(3, "float32"))
    assert isinstance(out, np.ndarray) and out.shape == () and out.dtype == np.float32
    assert out == 3


def test_same_output_twice_gives_two_independent_arrays():
    x = sg.dvector("x")
    y = x * 2
    a, b = sg.function([x], [y, y])(f64(1, 2))
    a[0] = 100
    assert b[0] == 2


def test_an_input_returned_as_output_is_a_copy():
    x = sg.dvector("x")
    arg = f64(1, 2)
    out = sg.function([x], x)(arg)
    out[0] = 9
    assert arg[0] == 1


# ---------------------------------------------------------------- updates


def test_updates_only_function_returns_empty_list_and_updates():
    count = sg.shared(np.int64(0), "count")
    step = sg.function([], [], updates=[(count, count + 1)])
    assert step() == []
    step()
    assert count.get_value() == 2


def test_updates_as_dict_and_as_list_of_pairs_agree():
    w1 = sg.shared(f64(1, 2), "w1")
    w2 = sg.shared(f64(1, 2), "w2")
    x = sg.dvector("x")
    sg.function([x], [], updates={w1: w1 * x})(f64(3, 4))
    sg.function([x], [], updates=[(w2, w2 * x)])(f64(3, 4))
    np.testing.assert_array_equal(w1.get_value(), [3, 8])
    np.testing.assert_array_equal(w2.get_value(), [3, 8])


def test_outputs_see_values_from_before_the_updates():
    count = sg.shared(np.int64(0), "count")
    tick = sg.function([], count, updates={count: count + 1})
    assert [int(tick()) for _ in range(3)] == [0, 1, 2]


def test_updates_apply_all_at_once_so_two_shared_variables_swap():
    a = sg.shared(f64(1), "a")
    b = sg.shared(f64(2), "b")
    swap = sg.function([], [a, b], updates={a: b, b: a})
    out_a, out_b = swap()
    assert (out_a[0], out_b[0]) == (1, 2)  # outputs computed before any update
    assert (a.get_value()[0], b.get_value()[0]) == (2, 1)
    swap()
    assert (a.get_value()[0], b.get_value()[0]) == (1, 2)


def test_an_update_does_not_alias_the_callers_array_or_another_shared_variable():
    w = sg.shared(f64(0, 0), "w")
    v = sg.shared(f64(5, 5), "v")
    x = sg.dvector("x")
    arg = f64(1, 2)
    sg.function([x], [], updates={w: x})(arg)
    arg[0] = 100
    np.testing.assert_array_equal(w.get_value(), [1, 2])
    sg.function([], [], updates={w: v})()
    w.get_value(borrow=True)[0] = -1
    np.testing.assert_array_equal(v.get_value(), [5, 5])


def test_an_update_to_a_constant_stays_writable():
    w = sg.shared(f64(0, 0), "w")
    sg.function([], [], updates={w: sg.constant(f64(3, 3))})()
    w.get_value(borrow=True)[0] = 1  # would raise if the constant's read-only buffer leaked
    np.testing.assert_array_equal(w.get_value(), [1, 3])


def test_no_update_is_applied_when_the_call_fails():
    w = sg.shared(f64(1, 1), "w")
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    f = sg.function([a, b], sg.dot(a, b).sum(), updates={w: w + 1})
    with pytest.raises(ValueError, match="dot"):
        f(np.ones((2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(w.get_value(), [1, 1])


def test_update_of_a_float32_variable_with_a_float64_value_is_cast():
    w = sg.shared(np.zeros(2, "float32"), "w")
    sg.function([], [], updates={w: w + sg.constant(f64(0.5, 0.25))})()
    assert w.get_value().dtype == np.float32
    np.testing.assert_array_equal(w.get_value(), [0.5, 0.25])


@pytest.mark.parametrize("make_value, exc, message", [
    (lambda w: sg.dmatrix("m"), TypeError, r"updates: w is f64\[3\].*f64\[\?,\?\].*rank"),
    (lambda w: sg.constant(np.zeros(4)), ValueError, r"updates: w has static shape \(3,\)"),
    (lambda w: sg.constant(np.zeros(3, "complex128")), TypeError,
     "updates: w is float64, its new value is complex128"),
])
def test_update_with_the_wrong_type_is_an_error(make_value, exc, message):
    w = sg.shared(np.zeros(3), "w")
    with pytest.raises(exc, match=message):
        sg.function([], [], updates={w: make_value(w)}, on_unused_input="ignore")


def test_update_of_an_int_variable_with_a_float_value_is_an_error():
    n = sg.shared(np.int64(0), "n")
    with pytest.raises(TypeError, match="updates: n is int64, its new value is float"):
        sg.function([], [], updates={n: n + 0.5})


def test_update_target_must_be_a_shared_variable_listed_once():
    x = sg.dvector("x")
    w = sg.shared(f64(1), "w")
    with pytest.raises(TypeError, match="is not a shared variable"):
        sg.function([x], [], updates={x: x + 1})
    with pytest.raises(ValueError, match="'w' is updated twice"):
        sg.function([], [], updates=[(w, w + 1), (w, w + 2)])
    with pytest.raises(TypeError, match="dict or a list of"):
        sg.function([], [], updates=[(w, w + 1, 3)])


# ---------------------------------------------------------------- givens, inputs


def test_givens_replace_a_variable_before_compiling():
    x = sg.dvector("x")
    z = sg.dscalar("z")
    y = (x * 2).sum()
    f = sg.function([z], y, givens={x: sg.stack([z, z + 1])})
    assert f(3.0) == 2 * (3 + 4)
    shared_x = sg.shared(f64(1, 2, 3), "data")
    g = sg.function([], y, givens=[(x, shared_x)])
    assert g() == 12
    assert x.owner is None and y.owner.inputs[0].owner.inputs[0] is x  # user graph untouched


def test_givens_of_another_rank_is_an_error():
    x = sg.dvector("x")
    with pytest.raises(TypeError, match="givens.*differ in rank"):
        sg.function([], x * 2, givens={x: sg.constant(np.ones((2, 2)))})


def test_unused_input_raise_warn_ignore():
    x, y = sg.dvector("x"), sg.dvector("y")
    with pytest.raises(ValueError, match=r"input\(s\) y are not used.*on_unused_input"):
        sg.function([x, y], x * 2)
    with pytest.warns(UserWarning, match=r"input\(s\) y are not used"):
        f = sg.function([x, y], x * 2, on_unused_input="warn")
    np.testing.assert_array_equal(f(f64(1), f64(5)), [2])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = sg.function([x, y], x * 2, on_unused_input="ignore")
    np.testing.assert_array_equal(g(f64(1), f64(5)), [2])
    with pytest.raises(ValueError, match="on_unused_input must be"):
        sg.function([x], x, on_unused_input="loud")


def test_missing_input_error_names_the_input_and_where_it_was_made():
    x = sg.dvector("x")
    weights, line = sg.dvector("weights"), here()
    with pytest.raises(ValueError, match=rf"input '?weights'? .*test_function.py:{line}.*not in "
                                         r"the inputs list"):
        sg.function([x], x * weights)


@pytest.mark.parametrize("bad, message", [
    (lambda: sg.shared(f64(1), "w"), r"input 0 \('?w'?\) is a shared variable"),
    (lambda: sg.constant(1.0), "input 0 is a constant"),
    (lambda: sg.dvector("x") * 2, "input 0 .* is computed by mul.*givens"),
    (lambda: 3.0, "input 0 is 3.0, not a symbolic variable"),
])
def test_inputs_must_be_symbolic_leaves(bad, message):
    v = bad()
    with pytest.raises(TypeError, match=message):
        sg.function([v], sg.constant(1.0), on_unused_input="ignore")


def test_an_input_listed_twice_is_an_error():
    x = sg.dvector("x")
    with pytest.raises(ValueError, match="input x is listed twice"):
        sg.function([x, x], x)


def test_keyword_arguments_by_input_name():
    x, y = sg.dvector("x"), sg.dvector("y")
    f = sg.function([x, y], x - y)
    np.testing.assert_array_equal(f(y=f64(1), x=f64(5)), [4])
    np.testing.assert_array_equal(f(f64(5), y=f64(1)), [4])
    with pytest.raises(TypeError, match="unexpected keyword argument 'z'"):
        f(f64(1), z=f64(1))
    with pytest.raises(TypeError, match="multiple values for argument 'x'"):
        f(f64(1), x=f64(1))
    with pytest.raises(TypeError, match=r"missing argument\(s\): y"):
        f(x=f64(1))


def test_trust_input_skips_the_argument_checks():
    x = sg.vector("x", dtype="float32")
    f = sg.function([x], x + 1)
    with pytest.raises(TypeError, match="allow_input_downcast"):
        f(f64(1.5))
    f.trust_input = True
    out = f(f64(1.5))  # no check, no conversion: NumPy computes in float64
    assert out.dtype == np.float64 and out[0] == 2.5
    g = sg.function([x], x + 1, trust_input=True)
    assert g.trust_input and g(np.ones(1, "float32"))[0] == 2


# ---------------------------------------------------------------- argument checks


@pytest.fixture
def fvec():
    x = sg.vector("x", dtype="float32")
    return sg.function([x], x * 2)


def test_wrong_argument_count(fvec):
    with pytest.raises(TypeError, match=r"f\(x:f32\[\?\]\) takes 1 argument\(s\), got 2"):
        fvec(np.ones(2, "float32"), np.ones(2, "float32"))
    with pytest.raises(TypeError, match=r"takes 1 argument\(s\), got 0"):
        fvec()


def test_wrong_number_of_dimensions(fvec):
    with pytest.raises(TypeError, match=r"argument 0 \(x: f32\[\?\]\) got a 2-d array of shape "
                                        r"\(2, 2\), expected 1 dims"):
        fvec(np.ones((2, 2), "float32"))


def test_float64_array_into_float32_input_names_allow_input_downcast(fvec):
    with pytest.raises(TypeError, match="got dtype float64, which cannot be converted to "
                                        "float32 without loss.*allow_input_downcast=True"):
        fvec(np.ones(2))
    with pytest.raises(TypeError, match="allow_input_downcast"):
        fvec([0.1, 0.2])  # Python floats that change value in float32
    with pytest.raises(TypeError, match="got dtype int64.*allow_input_downcast"):
        fvec(np.ones(2, "int64"))


def test_allow_input_downcast_casts():
    x = sg.vector("x", dtype="float32")
    f = sg.function([x], x * 2, allow_input_downcast=True)
    for arg in (np.array([0.1, 0.2]), [0.1, 0.2]):
        out = f(arg)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, np.array([0.1, 0.2], "float32") * 2)


def test_python_data_that_converts_exactly_is_accepted(fvec):
    np.testing.assert_array_equal(fvec([1, 2]), [2, 4])
    np.testing.assert_array_equal(fvec([0.5, 0.25]), [1, 0.5])
    s = sg.scalar("lr", dtype="float32")
    assert sg.function([s], s * 2)(0.5) == 1.0  # exactly representable: no value changes
    with pytest.raises(TypeError, match="cannot be converted.*allow_input_downcast"):
        sg.function([s], s * 2)(0.1)  # 0.1 changes when rounded to float32
    assert sg.function([s], s * 2, allow_input_downcast=True)(0.1) == np.float32(0.1) * 2
    with pytest.raises(TypeError, match="cannot be converted"):
        sg.function([s], s * 2)(np.float64(0.5))  # NumPy arrays/scalars follow dtype rules


def test_non_numeric_argument(fvec):
    with pytest.raises(TypeError, match=r"argument 0 \(x: f32\[\?\]\) got str, not a numeric"):
        fvec("abc")
    with pytest.raises(TypeError, match="got a symbolic variable"):
        fvec(sg.vector("y"))


def test_static_shape_is_checked_when_called():
    x = sg.tensor("images", dtype="float32", shape=(None, 784))
    f = sg.function([x], x.sum(axis=1))
    assert f(np.ones((2, 784), "float32")).shape == (2,)
    with pytest.raises(ValueError, match=r"argument 0 \(images: f32\[\?,784\]\) got shape "
                                         r"\(2, 783\), expected \(\?, 784\)"):
        f(np.ones((2, 783), "float32"))
    assert f(np.ones((0, 784), "float32")).shape == (0,)


# ---------------------------------------------------------------- run-time errors


def test_error_while_running_names_op_shapes_and_the_users_line():
    a, b = sg.matrix("a"), sg.matrix("b")
    product, line = sg.dot(a, b), here()
    f = sg.function([a, b], product.sum())
    with pytest.raises(ValueError) as info:
        f(np.ones((3, 4), "float32"), np.ones((5, 2), "float32"))
    message = str(info.value)
    assert "dot" in message
    assert "float32[3, 4], float32[5, 2]" in message
    assert f"test_function.py:{line}" in message


def test_error_inside_an_elementwise_op_names_it():
    x, y = sg.dvector("x"), sg.dvector("y")
    out, line = (x + y) * 2, here()
    for rewrites in ("none", "fast_run"):  # fast_run may fuse add and mul into one kernel
        f = sg.function([x, y], out, rewrites=rewrites)
        with pytest.raises(ValueError, match=rf"(add|\+).*\(inputs float64\[3\], "
                                             rf"float64\[2\]\).*test_function.py:{line}"):
            f(np.ones(3), np.ones(2))


# ---------------------------------------------------------------- shared variables


def test_get_value_returns_a_copy_unless_borrowed():
    w = sg.shared(f64(1, 2), "w")
    w.get_value()[0] = 100
    assert w.get_value()[0] == 1
    w.get_value(borrow=True)[0] = 100
    assert w.get_value()[0] == 100


def test_shared_copies_its_initial_value_and_set_value_copies():
    init = f64(1, 2)
    w = sg.shared(init, "w")
    init[0] = 100
    assert w.get_value()[0] == 1
    new = f64(3, 4)
    w.set_value(new)
    new[0] = 100
    np.testing.assert_array_equal(w.get_value(), [3, 4])
    w.set_value(new, borrow=True)
    new[1] = -1
    np.testing.assert_array_equal(w.get_value(), [100, -1])


def test_shared_takes_the_dtype_of_numpy_values_and_floatx_for_python_floats():
    assert sg.shared(np.float64(1.0)).dtype == "float64"
    assert sg.shared(np.zeros(2, "int32")).dtype == "int32"
    assert sg.shared(1.0).dtype == sg.config.floatX
    assert sg.shared(3).dtype == "int64"


def test_set_value_checks_dtype_and_static_shape():
    w = sg.shared(np.zeros(3), "w")
    with pytest.raises(ValueError, match=r"'w' has static shape \(3,\); cannot store a value of "
                                         r"shape \(4,\).*shape=\(None, \.\.\.\)"):
        w.set_value(np.zeros(4))
    with pytest.raises(TypeError, match="'w' has dtype float64; cannot store a value of dtype "
                                        "complex128"):
        w.set_value(np.zeros(3, "complex128"))
    with pytest.raises(TypeError, match="'w' has dtype float64; cannot store .* str"):
        w.set_value("abc")
    w.set_value(np.arange(3))  # int64 -> float64 is a safe cast
    assert w.get_value().dtype == np.float64
    n = sg.shared(np.int64(1), "n")
    with pytest.raises(TypeError, match="'n' has dtype int64; cannot store a value of dtype "
                                        "float64"):
        n.set_value(2.5)
    n.set_value(2.0)  # a Python number that converts exactly
    assert n.get_value() == 2


def test_shared_with_unknown_dims_accepts_other_sizes():
    w = sg.shared(np.zeros((2, 3)), "w", shape=(None, 3))
    w.set_value(np.ones((5, 3)))
    assert sg.function([], w.sum())() == 15
    with pytest.raises(ValueError, match=r"static shape \(\?, 3\)"):
        w.set_value(np.ones((5, 4)))


@pytest.mark.parametrize("expr", [
    lambda w: w, lambda w: w.T, lambda w: w[1:], lambda w: w[0], lambda w: w.reshape((3, 2)),
    lambda w: w.flatten(), lambda w: w.copy(), lambda w: w.dimshuffle(0, 1, "x"),
    lambda w: sg.ifelse(sg.constant(True), w, w * 2),
], ids=["itself", "T", "slice", "row", "reshape", "flatten", "copy", "dimshuffle", "ifelse"])
def test_outputs_never_alias_shared_storage(expr):
    w = sg.shared(np.arange(6.0).reshape(2, 3), "w")
    for rewrites in ("fast_run", "none"):
        out = sg.function([], expr(w), rewrites=rewrites)()
        out[...] = -1
        np.testing.assert_array_equal(w.get_value(), np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize("expr", [
    lambda x, w: sg.exp(x) * 2 + 1 - x,
    lambda x, w: (x + 1) * 2,
    lambda x, w: -(x / w + x),
    lambda x, w: sg.exp(w) * x - w,
    lambda x, w: sg.nnet.softmax(x.dimshuffle("x", 0) * w),
    lambda x, w: sg.dot(x, w) + x.sum(),
], ids=["chain", "add-mul", "neg-div", "shared", "softmax", "dot"])
def test_running_never_writes_into_arguments_or_shared_storage(expr):
    x = sg.dvector("x")
    w = sg.shared(f64(0.5, 1.5, 2.5), "w")
    f = sg.function([x], expr(x, w))  # fast_run: fusion and in-place kernels
    reference = sg.function([x], expr(x, w), rewrites="none")
    arg = f64(1, 2, 3)
    for _ in range(2):  # a second call would see any damage done by the first
        np.testing.assert_allclose(f(arg), reference(f64(1, 2, 3)))
        np.testing.assert_array_equal(arg, [1, 2, 3])
        np.testing.assert_array_equal(w.get_value(), [0.5, 1.5, 2.5])


# ---------------------------------------------------------------- a whole training loop


def test_logistic_regression_with_hand_written_gradients_matches_numpy():
    rng = np.random.default_rng(0)
    n, d, lr, steps = 200, 3, 0.5, 60
    data = rng.normal(size=(n, d))
    labels = (data @ np.array([1.5, -2.0, 0.5]) + 0.3 > 0).astype("float64")
    w0, b0 = rng.normal(size=d) * 0.1, 0.0

    # NumPy reference
    w_np, b_np, losses_np = w0.copy(), b0, []
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(data @ w_np + b_np)))
        losses_np.append(np.mean(-labels * np.log(p) - (1 - labels) * np.log(1 - p)))
        err = p - labels
        w_np, b_np = w_np - lr * data.T @ err / n, b_np - lr * err.mean()

    x, y = sg.dmatrix("x"), sg.dvector("y")
    w, b = sg.shared(w0, "w"), sg.shared(np.float64(b0), "b")
    p = 1 / (1 + sg.exp(-(sg.dot(x, w) + b)))
    loss = sg.mean(-y * sg.log(p) - (1 - y) * sg.log(1 - p))
    err = p - y
    train = sg.function([x, y], loss, updates=[(w, w - lr * sg.dot(x.T, err) / n),
                                               (b, b - lr * err.mean())])
    losses = [float(train(data, labels)) for _ in range(steps)]
    np.testing.assert_allclose(losses, losses_np, rtol=1e-10)
    np.testing.assert_allclose(w.get_value(), w_np, rtol=1e-10)
    np.testing.assert_allclose(b.get_value(), b_np, rtol=1e-10)
    assert losses[-1] < 0.5 * losses[0]


# ---------------------------------------------------------------- rewrites


def test_merge_and_constant_folding_shrink_the_compiled_graph():
    x = sg.dvector("x")
    y = sg.exp(x) * (sg.constant(2.0) * sg.constant(3.0)) + sg.exp(x)
    raw = sg.function([x], y, rewrites="none")
    assert raw.rewrite_log.names() == []
    assert len(raw.fgraph) == len(sg.toposort([y])) == 5
    f = sg.function([x], y, rewrites=["merge", "constant_fold"])
    assert {"merge", "constant_fold"} <= set(f.rewrite_log.names())
    assert sorted(n.op.name for n in f.fgraph.apply_nodes) == ["add", "exp", "mul"]
    full = sg.function([x], y)  # the whole fast_run pipeline starts with the same two
    assert {"merge", "constant_fold"} <= set(full.rewrite_log.names())
    assert len(full.fgraph) < len(raw.fgraph)
    arg = f64(0.5, 1.0)
    expected = np.exp(arg) * 6 + np.exp(arg)
    for fn in (raw, f, full):
        np.testing.assert_allclose(fn(arg), expected)


def test_rewrite_modes_and_pass_lists_are_accepted():
    x = sg.dvector("x")
    y = sg.exp(x) + sg.exp(x)
    for rewrites in ("fast_run", "fast_compile", "none", ["merge"], []):
        f = sg.function([x], y, rewrites=rewrites)
        np.testing.assert_allclose(f(f64(0.0)), [2.0])
    assert "merge" in sg.function([x], y, rewrites="fast_compile").rewrite_log.names()
    assert "merge" not in sg.function([x], y, exclude=["merge"]).rewrite_log.names()


@pytest.mark.parametrize("kwargs, message", [
    (dict(rewrites="fastest"), "rewrites='fastest': expected one of"),
    (dict(rewrites=["merge", "no_such_pass"]), r"unknown rewrite pass\(es\) \['no_such_pass'\]"),
    (dict(exclude=["no_such_rewrite"]), "no rewrite or pass named 'no_such_rewrite'"),
    (dict(include=["no_such_rewrite"]), "no rewrite or pass named 'no_such_rewrite'"),
])
def test_unknown_rewrite_names_are_errors(kwargs, message):
    x = sg.dvector("x")
    with pytest.raises(ValueError, match=message):
        sg.function([x], x + 1, **kwargs)


def test_unknown_backend_is_an_error():
    x = sg.dvector("x")
    with pytest.raises(ValueError, match="backend must be 'auto', 'numpy' or 'c'"):
        sg.function([x], x + 1, backend="cuda")


def test_user_graph_is_not_mutated_by_compiling():
    x = sg.dvector("x")
    y = sg.exp(x) + sg.exp(x)
    before = [(n.op, list(n.inputs)) for n in sg.toposort([y])]
    sg.function([x], y)
    assert [(n.op, list(n.inputs)) for n in sg.toposort([y])] == before


def test_source_names_each_nodes_user_line():
    x = sg.dvector("x")
    y, line = sg.exp(x), here()
    f = sg.function([x], y, rewrites="none")
    assert f.source.startswith("def f(x):")
    assert f"# exp @ test_function.py:{line}" in f.source
    z, line2 = y * 2 + 1, here()
    assert f"test_function.py:{line2}" in sg.function([x], z).source  # after rewrites too
    assert sg.function([x], y, name="forward").source.startswith("def forward(x):")


def test_eval_compiles_once_per_input_set():
    x = sg.dvector("x")
    y = x * 3
    before = stats["compiled"]
    np.testing.assert_array_equal(y.eval({x: f64(1, 2)}), [3, 6])
    np.testing.assert_array_equal(y.eval({x: [2, 3]}), [6, 9])
    assert stats["compiled"] == before + 1


def test_set_value_refuses_casts_that_change_values():
    # int64 [300, -200] into an int8 variable used to wrap around to [44, 56].
    v = sg.shared(np.zeros(2, "int8"), "v")
    with pytest.raises(TypeError, match=r"'v' has dtype int8; cannot store a value of dtype "
                                        r"int64 in it without changing its values \(300 would "
                                        r"become 44\); cast it first"):
        v.set_value(np.array([300, -200]))
    np.testing.assert_array_equal(v.get_value(), [0, 0])
    v.set_value(np.array([100, -100]))  # int64 values that fit: nothing changes
    np.testing.assert_array_equal(v.get_value(), [100, -100])
    w = sg.shared(np.zeros(2, "float32"), "w")
    with pytest.raises(TypeError, match=r"float64 in it without changing its values \(0.1 "
                                        r"would become 0.10000000149"):
        w.set_value(np.array([0.5, 0.1]))
    w.set_value(np.array([0.5, 0.25]))  # exactly representable in float32
    w.set_value(np.array([0.5, 0.1]).astype("float32"))  # cast on purpose
    # An explicit dtype at creation rounds floats but never wraps integers.
    assert sg.shared(np.array([0.1]), dtype="float32").get_value()[0] == np.float32(0.1)
    with pytest.raises(TypeError, match="300 would become 44"):
        sg.shared(np.array([300]), dtype="int8")


def test_masked_arrays_are_refused():
    x = sg.dvector("x")
    f = sg.function([x], x * 2.0)
    masked = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    with pytest.raises(TypeError, match=r"argument 0 \(x: f64\[\?\]\) got a masked array, "
                                        r"whose mask would be ignored"):
        f(masked)
    w = sg.shared(np.zeros(2), "w")
    with pytest.raises(TypeError, match="'w': cannot store a masked array"):
        w.set_value(masked)


def test_a_ragged_list_names_the_argument():
    m = sg.dmatrix("m")
    f = sg.function([m], m * 2.0)
    with pytest.raises(ValueError, match=r"f: argument 0 \(m: f64\[\?,\?\]\) is not a "
                                         r"rectangular array"):
        f([[1.0, 2.0], [3.0]])
    w = sg.shared(np.zeros((2, 2)), "w")
    with pytest.raises(ValueError, match="'w': the value is not a rectangular array"):
        w.set_value([[1.0, 2.0], [3.0]])


def test_keyword_calls_refuse_a_name_two_inputs_share():
    a, b = sg.dvector("a"), sg.dvector("a")
    f = sg.function([a, b], a - b)
    with pytest.raises(TypeError, match="keyword argument 'a' is ambiguous: inputs 0 and 1 "
                                        "are all named 'a'; pass them by position"):
        f(np.ones(1), a=np.zeros(1))
    np.testing.assert_array_equal(f(np.ones(1), np.zeros(1)), [1.0])


def test_memory_error_stays_catchable_as_memory_error():
    n = sg.lscalar("n")
    big = sg.zeros((n, n))  # the line
    f = sg.function([n], big)
    with pytest.raises(MemoryError) as info:
        f(10**7)  # 800 TB
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "alloc" in notes and f"{__file__}:" in notes


def test_calls_updating_a_shared_variable_from_threads_lose_no_update():
    import threading
    c = sg.shared(np.zeros(10**6), "c")
    f = sg.function([], [], updates={c: c + 1.0})
    g = sg.function([], [], updates={c: c + 1.0})  # another function, the same variable

    def work(fn):
        for _ in range(100):
            fn()

    threads = [threading.Thread(target=work, args=(f if k % 2 else g,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    value = c.get_value()
    assert value.min() == value.max() == 800.0


def test_readers_in_other_threads_see_whole_values():
    import threading
    c = sg.shared(np.zeros(10**5), "c")
    step = sg.function([], [], updates={c: c + 1.0})
    read = sg.function([], c * 1.0)
    torn = []

    def reader():
        for _ in range(300):
            v = read()
            if v.min() != v.max():
                torn.append((v.min(), v.max()))

    t = threading.Thread(target=reader)
    t.start()
    for _ in range(300):
        step()
    t.join()
    assert not torn


def test_config_change_is_per_thread():
    import threading
    inside, other = threading.Event(), threading.Event()
    seen = {}

    def changer():
        with sg.config.change(floatX="float64"):
            inside.set()
            other.wait(5)
            seen["changer"] = sg.vector().dtype

    def bystander():
        inside.wait(5)
        seen["bystander"] = sg.vector().dtype
        other.set()

    threads = [threading.Thread(target=changer), threading.Thread(target=bystander)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"changer": "float64", "bystander": sg.config.floatX}
    with sg.config.change(floatX="float64"):
        sg.config.floatX = "float16"  # inside a change() block: for the block only
        assert sg.config.floatX == "float16"
    assert sg.config.floatX == "float32"
