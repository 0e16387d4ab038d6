"""stabilize: unstable expressions (and the gradients built from them) become stable ones,
finite for inputs of +-1000 and exact for tiny inputs."""

import numpy as np
import pytest
import scipy.special as sp

import symgraph as sg

from .helpers import assert_same, compile_both, fired, op_names

BIG = np.array([-1000.0, -30.0, -1.0, 0.0, 0.5, 30.0, 1000.0])
MILD = np.array([-2.0, -0.5, 0.0, 0.7, 1.9])
LOGITS = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0], [-1000.0, -999.0, 5.0]])
ONE_HOT = np.eye(3)[[0, 2, 1]]


def np_log_softmax(z):
    m = z.max(axis=-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))


def value_and_grad(x, cost, out=None):
    """A function returning (out or cost, d cost / d x), with and without rewrites."""
    g = sg.grad(cost, x)
    return compile_both([x], [cost if out is None else out, g])


def finite(*arrays):
    return all(np.all(np.isfinite(a)) for a in arrays)


def test_log_softmax_value_and_gradient():
    x = sg.dmatrix("x")
    w = np.array([[1.0, -2.0, 0.5]])
    out = sg.log(sg.nnet.softmax(x))
    f, g = value_and_grad(x, sg.sum(out * w), out)
    assert fired(f, "log_softmax") == 1 and fired(f, "softmax_grad") == 1
    assert "log_softmax" in op_names(f) and "log" not in op_names(f)
    val, grad = f(LOGITS)
    np.testing.assert_allclose(val, np_log_softmax(LOGITS))
    sm = np.exp(np_log_softmax(LOGITS))
    np.testing.assert_allclose(grad, w - sm * w.sum(), atol=1e-12)
    assert_same(f, g, LOGITS / 1000)


def test_handwritten_categorical_crossentropy():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    loss = sg.mean(-sg.sum(y * sg.log(sg.nnet.softmax(x)), axis=-1))
    gx = sg.grad(loss, x)
    f, g = compile_both([x, y], [loss, gx])
    val, grad = f(LOGITS, ONE_HOT)
    np.testing.assert_allclose(val, -np.mean(np.sum(ONE_HOT * np_log_softmax(LOGITS), -1)))
    np.testing.assert_allclose(grad, (np.exp(np_log_softmax(LOGITS)) - ONE_HOT) / 3,
                               atol=1e-12)
    assert_same(f, g, LOGITS / 1000, ONE_HOT)
    with np.errstate(all="ignore"):
        _, unstable = g(LOGITS, ONE_HOT)
    assert not finite(unstable)  # what the rewrites saved us from


def test_integer_target_crossentropy():
    x, t = sg.dmatrix("x"), sg.ivector("t")
    logp = sg.log(sg.nnet.softmax(x))
    loss = -sg.mean(logp[sg.arange(x.shape[0]), t])
    f, g = compile_both([x, t], [loss, sg.grad(loss, x)])
    labels = np.array([0, 2, 1], dtype="int32")
    val, grad = f(LOGITS, labels)
    np.testing.assert_allclose(val, -np.mean(np_log_softmax(LOGITS)[[0, 1, 2], labels]))
    np.testing.assert_allclose(grad, (np.exp(np_log_softmax(LOGITS)) - np.eye(3)[labels]) / 3,
                               atol=1e-12)
    assert_same(f, g, LOGITS / 1000, labels)


def test_log_sigmoid():
    x = sg.dvector("x")
    out = sg.log(sg.sigmoid(x))
    f, g = value_and_grad(x, sg.sum(out), out)
    assert fired(f, "log_sigmoid") == 1
    val, grad = f(BIG)
    np.testing.assert_allclose(val, -np.logaddexp(0, -BIG))
    np.testing.assert_allclose(grad, sp.expit(-BIG), atol=1e-300)
    assert_same(f, g, MILD)


@pytest.mark.parametrize("dtype", ["bool", "uint8"])
def test_log_sigmoid_of_bool_or_unsigned(dtype):
    # Found by the random-graph tests: -softplus(-x) negated x before converting it.
    x = sg.tensor("x", dtype, (None,))
    f, g = compile_both([x], sg.log(sg.sigmoid(x)))
    assert fired(f, "log_sigmoid") == 1
    v = np.array([0, 1, 200]).astype(dtype)
    np.testing.assert_allclose(assert_same(f, g, v, rtol=2e-3, atol=1e-3),
                               np.log(sp.expit(v)), rtol=2e-3, atol=1e-3)


def test_log_one_minus_sigmoid():
    x = sg.dvector("x")
    out = sg.log(1 - sg.sigmoid(x))
    f, g = value_and_grad(x, sg.sum(out), out)
    assert fired(f, "log1m_sigmoid") == 1
    val, grad = f(BIG)
    np.testing.assert_allclose(val, -np.logaddexp(0, BIG))
    np.testing.assert_allclose(grad, -sp.expit(BIG))
    assert_same(f, g, MILD)


def test_handwritten_binary_crossentropy_of_a_sigmoid():
    z, t = sg.dvector("z"), sg.dvector("t")
    s = sg.sigmoid(z)
    loss = -(t * sg.log(s) + (1 - t) * sg.log(1 - s))
    f, g = compile_both([z, t], [loss, sg.grad(sg.sum(loss), z)])
    assert fired(f, "sigmoid_grad") == 1
    targets = np.array([0.0, 1.0, 0.3, 1.0, 0.0, 0.5, 1.0])
    val, grad = f(BIG, targets)
    np.testing.assert_allclose(val, np.logaddexp(0, BIG) - targets * BIG)
    np.testing.assert_allclose(grad, sp.expit(BIG) - targets, atol=1e-15)
    assert_same(f, g, MILD, targets[:5])


def test_nnet_binary_crossentropy_is_stable_by_construction():
    z, t = sg.dvector("z"), sg.dvector("t")
    loss = sg.sum(sg.nnet.binary_crossentropy(sg.sigmoid(z), t))
    f, _ = compile_both([z, t], [loss, sg.grad(loss, z)])
    val, grad = f(BIG, np.ones_like(BIG))
    assert finite(val, grad)
    np.testing.assert_allclose(grad, sp.expit(BIG) - 1, atol=1e-15)


def test_log1p_for_tiny_x():
    x = sg.dvector("x")
    f, g = compile_both([x], sg.log(1 + x))
    assert fired(f, "log1p") == 1 and "log1p" in op_names(f)
    tiny = np.array([1e-20, -1e-18, 3e-17])
    np.testing.assert_allclose(f(tiny), tiny, rtol=1e-15)
    assert np.all(g(tiny) == 0)  # 1 + x rounds to 1 without the rewrite
    assert_same(f, g, np.abs(MILD))


ONE = sg.constant(1.0, "float64")


@pytest.mark.parametrize("build, truth, rewrite", [
    (lambda x: sg.log(ONE + x), lambda v: np.log1p(v), "log1p"),
    (lambda x: sg.exp(x) - ONE, lambda v: np.expm1(v), "expm1"),
    (lambda x: sg.log(ONE - sg.sigmoid(x)), lambda v: -np.logaddexp(0, v), "log1m_sigmoid"),
    (lambda x: ONE - sg.sigmoid(x), lambda v: sp.expit(-v), "one_minus_sigmoid"),
])
@pytest.mark.parametrize("dtype", ["bool", "int32", "float32"])
def test_stable_forms_lose_no_precision(build, truth, rewrite, dtype):
    # Found by the random-graph tests: log(1 + x) on bool x is a float64 log of an int64
    # sum, but became log1p(x) -- computed in float16 -- cast to float64. A stable form
    # computes in the dtype of what it replaces, so it is never less exact.
    x = sg.tensor("x", dtype, (None,))
    out = build(x)
    f, g = compile_both([x], out)
    assert out.dtype == "float64" and fired(f, rewrite) == 1
    v = np.array([1.0, 0.0, 1.0, 3.0]).astype(dtype)
    want = truth(v.astype("float64"))
    got, plain = f(v), g(v)
    assert got.dtype == plain.dtype == np.float64
    assert np.all(np.abs(got - want) <= np.abs(plain - want) + 1e-15), (got, plain, want)


def test_expm1_for_tiny_x():
    x = sg.dvector("x")
    f, g = compile_both([x], sg.exp(x) - 1)
    assert fired(f, "expm1") == 1
    tiny = np.array([1e-20, -1e-18, 3e-17])
    np.testing.assert_allclose(f(tiny), tiny, rtol=1e-15)
    assert_same(f, g, MILD)


def test_log1p_of_exp_is_softplus():
    x = sg.dvector("x")
    f, g = compile_both([x], sg.log(1 + sg.exp(x)))
    assert fired(f, "log1p") == 1 and fired(f, "log1p_exp") == 1
    np.testing.assert_allclose(f(BIG), np.logaddexp(0, BIG))
    assert_same(f, g, MILD)


def test_logsumexp_value_and_gradient():
    x = sg.dmatrix("x")
    out = sg.log(sg.sum(sg.exp(x), axis=1))
    f, g = value_and_grad(x, sg.sum(out), out)
    assert fired(f, "logsumexp") == 1 and fired(f, "logsumexp_grad") == 1
    val, grad = f(LOGITS)
    np.testing.assert_allclose(val, sp.logsumexp(LOGITS, axis=1))
    np.testing.assert_allclose(grad, sp.softmax(LOGITS, axis=1), atol=1e-300)
    assert_same(f, g, LOGITS / 1000)


def test_logsumexp_of_all_elements_and_of_minus_inf():
    x = sg.dmatrix("x")
    f, g = compile_both([x], sg.log(sg.sum(sg.exp(x))))
    assert fired(f, "logsumexp") == 1
    np.testing.assert_allclose(f(LOGITS), sp.logsumexp(LOGITS))
    with np.errstate(divide="ignore"):  # log(0), as log(sum(exp(-inf))) is
        assert f(np.full((2, 2), -np.inf)) == -np.inf
    assert_same(f, g, LOGITS / 1000)


@pytest.mark.parametrize("name, build", [
    ("log1m_sigmoid", lambda x: sg.log(2 - sg.sigmoid(x))),
    ("log_sigmoid", lambda x: sg.log(sg.sigmoid(x) + 1)),
    ("expm1", lambda x: sg.exp(x) - 2),
    ("log1p", lambda x: sg.log(2 + x * x)),
    ("logsumexp", lambda x: sg.log(sg.sum(sg.exp(x)) + 1)),
    ("log_softmax", lambda x: sg.log(sg.exp(x))),
])
def test_no_stabilization_where_the_pattern_differs(name, build):
    x = sg.dvector("x")
    f, g = compile_both([x], build(x))
    assert fired(f, name) == 0
    assert_same(f, g, MILD)


def test_logsumexp_of_integers():
    # The max that shifts the sum starts at -inf, which needs a float: on int32 x it made
    # NumPy raise "cannot convert float infinity to integer".
    x = sg.ivector("x")
    f, g = compile_both([x], sg.log(sg.sum(sg.exp(x))))
    assert fired(f, "logsumexp") == 1
    v = np.array([1, 800, 3], "int32")
    np.testing.assert_allclose(f(v), sp.logsumexp(v.astype("float64")))


@pytest.mark.parametrize("shape, axis", [((0,), None), ((2, 0), 1), ((0, 3), 1)])
def test_logsumexp_and_its_gradient_over_an_empty_axis(shape, axis):
    # Found by the random-graph tests: the stable forms took a max over the empty axis,
    # which NumPy refuses; log(sum(exp(x))) over nothing is log(0) = -inf.
    x = sg.dmatrix("x") if len(shape) == 2 else sg.dvector("x")
    out = sg.log(sg.sum(sg.exp(x), axis=axis))
    f, g = compile_both([x], [out, sg.grad(sg.sum(out), x)])
    assert fired(f, "logsumexp") == 1 and fired(f, "logsumexp_grad") == 1
    with np.errstate(divide="ignore"):
        val, grad = assert_same(f, g, np.zeros(shape))
    np.testing.assert_array_equal(val, np.full(shape[:1] if axis else (), -np.inf))
    assert grad.shape == shape


# ---------------------------------------------------------------- the logistic function


def test_written_out_logistic_function_is_a_stable_sigmoid():
    z = sg.dvector("z")
    p = 1 / (1 + sg.exp(-z))
    f, g = compile_both([z], [p, sg.log(p), sg.log(1 - p), sg.grad(sg.sum(sg.log(p)), z)])
    assert fired(f, "sigmoid_written_out") == 1
    p_, logp, log1mp, grad = f(BIG)
    np.testing.assert_allclose(p_, sp.expit(BIG))
    np.testing.assert_allclose(logp, -np.logaddexp(0, -BIG))
    np.testing.assert_allclose(log1mp, -np.logaddexp(0, BIG))
    np.testing.assert_allclose(grad, sp.expit(-BIG), atol=1e-300)
    assert_same(f, g, MILD)


def test_gradient_products_of_the_written_out_form():
    # d/dz of a / (1 + exp(-z)) holds exp(-z) / (1 + exp(-z)) ** 2: inf / inf for z << 0.
    z = sg.dvector("z")
    out = 3.0 / (1 + sg.exp(-z))
    f, g = compile_both([z], [out, sg.grad(sg.sum(out), z)])
    assert fired(f, "div_1p_exp") >= 1 and fired(f, "exp_times_sigmoid") >= 1
    val, grad = f(BIG)
    np.testing.assert_allclose(val, 3 * sp.expit(BIG))
    np.testing.assert_allclose(grad, 3 * sp.expit(BIG) * sp.expit(-BIG), atol=1e-300)
    assert_same(f, g, MILD)


def _logistic_regression(floatx, scale, steps):
    """The Theano tutorial's logistic regression, as written there (hand-written sigmoid
    inside log); returns (weights, per-step costs, training accuracy)."""
    rng = np.random.RandomState(0)
    n, feats = 400, 784
    data = (rng.randn(n, feats) * scale).astype(floatx)
    labels = rng.randint(size=n, low=0, high=2).astype(floatx)
    x, y = sg.matrix("x", dtype=floatx), sg.vector("y", dtype=floatx)
    w = sg.shared(rng.randn(feats).astype(floatx), name="w")
    b = sg.shared(np.asarray(0.0, dtype=floatx), name="b")
    p_1 = 1 / (1 + sg.exp(-sg.dot(x, w) - b))
    prediction = p_1 > 0.5
    xent = -y * sg.log(p_1) - (1 - y) * sg.log(1 - p_1)
    cost = xent.mean() + 0.01 * (w ** 2).sum()
    gw, gb = sg.grad(cost, [w, b])
    train = sg.function([x, y], [prediction, cost],
                        updates=((w, w - 0.1 * gw), (b, b - 0.1 * gb)))
    costs = [float(train(data, labels)[1]) for _ in range(steps)]
    predict = sg.function([x], prediction)
    return w.get_value(), costs, float(np.mean(predict(data) == labels))


@pytest.mark.parametrize("floatx, scale", [("float64", 1.0), ("float32", 10.0)])
def test_the_theano_tutorial_logistic_regression_trains_without_nan(floatx, scale):
    # |w . x| reaches ~30 (float64 tutorial data) and ~300 (float32, scaled): without
    # recognising the sigmoid, log(p) of a p that rounded to 0 turned every weight NaN.
    w, costs, accuracy = _logistic_regression(floatx, scale, steps=400)
    assert np.all(np.isfinite(w)) and np.all(np.isfinite(costs))
    assert costs[-1] < costs[0] and accuracy > 0.95
