"""Tests for symgraph/grad.py: reverse mode, Lop/Rop, jacobian/hessian, verify_grad."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pytest

import symgraph as sg
from symgraph.examples import build_mlp_sgd, init_mlp, numpy_mlp_sgd
from symgraph.graph import Apply
from symgraph.ops.registry import Op

RNG = np.random.default_rng(1234)


def run(inputs, outputs, *values, **kw):
    return sg.function(inputs, outputs, **kw)(*values)


# ---------------------------------------------------------------- basics


def test_grad_of_polynomial_matches_calculus():
    x = sg.dvector("x")
    g = sg.grad(sg.sum(x ** 3 - 2 * x), x)
    xv = np.array([-1.5, 0.0, 2.0])
    np.testing.assert_allclose(run([x], g, xv), 3 * xv ** 2 - 2)


def test_wrt_structure_follows_the_argument():
    x, y = sg.dscalar("x"), sg.dscalar("y")
    cost = x * y ** 2
    single = sg.grad(cost, x)
    pair = sg.grad(cost, [x, y])
    assert isinstance(single, sg.TensorVariable)
    assert isinstance(pair, list) and len(pair) == 2
    gx, gy = run([x, y], pair, 3.0, 2.0)
    assert float(gx) == 4.0 and float(gy) == 12.0


def test_gradient_dtype_and_shape_match_wrt():
    w = sg.shared(np.ones((3, 2), dtype="float32"), "w")
    x = sg.fmatrix("x")
    g = sg.grad(sg.mean(sg.dot(x, w)), w)
    assert g.dtype == "float32"
    out = run([x], g, np.ones((4, 3), dtype="float32"))
    assert out.dtype == np.float32 and out.shape == (3, 2)
    np.testing.assert_allclose(out, np.full((3, 2), 4 / 8))


def test_broadcast_gradient_is_summed_back_to_the_input_shape():
    x = sg.dmatrix("x")
    b = sg.dvector("b")
    g = sg.grad(sg.sum((x + b) ** 2), b)
    xv, bv = RNG.normal(size=(5, 3)), RNG.normal(size=3)
    np.testing.assert_allclose(run([x, b], g, xv, bv), (2 * (xv + bv)).sum(axis=0))


def test_runtime_broadcast_of_an_unknown_dim_is_undone():
    # b's first dim is unknown statically; at run time it is 1 and broadcasts.
    x, b = sg.dmatrix("x"), sg.dmatrix("b")
    g = sg.grad(sg.sum(x * b), b)
    xv, bv = RNG.normal(size=(4, 3)), RNG.normal(size=(1, 3))
    np.testing.assert_allclose(run([x, b], g, xv, bv), xv.sum(axis=0, keepdims=True))


def test_repeated_indices_accumulate():
    x = sg.dvector("x")
    g = sg.grad(sg.sum(x[[0, 0, 2, 0]] * np.array([1.0, 2.0, 3.0, 4.0])), x)
    np.testing.assert_allclose(run([x], g, np.zeros(4)), [7.0, 0.0, 3.0, 0.0])


def test_gradient_through_shared_variable_and_updates():
    w = sg.shared(np.array([1.0, -2.0]), "w")
    cost = sg.sum(w ** 2)
    f = sg.function([], cost, updates={w: w - 0.25 * sg.grad(cost, w)})
    f()
    np.testing.assert_allclose(w.get_value(), [0.5, -1.0])


# ---------------------------------------------------------------- errors and conventions


def test_cost_must_be_scalar():
    x = sg.dvector("x")
    with pytest.raises(ValueError, match="cost must be a scalar.*f64\\[\\?\\]"):
        sg.grad(x * 2, x)


def test_integer_wrt_is_an_error():
    i = sg.lvector("i")
    with pytest.raises(TypeError, match="int64.*carry no gradient"):
        sg.grad(sg.sum(i * 2.0), i)


def test_integer_intermediate_stops_the_gradient():
    x = sg.dvector("x")
    cost = sg.sum(x * sg.cast(sg.argmax(x), "float64"))
    g = run([x], sg.grad(cost, x), np.array([1.0, 5.0, 2.0]))
    np.testing.assert_allclose(g, [1.0, 1.0, 1.0])  # argmax contributes nothing


def test_disconnected_inputs_modes():
    x, y = sg.dscalar("x"), sg.dscalar("y")
    with pytest.raises(sg.DisconnectedInputError, match="does not depend on y"):
        sg.grad(x ** 2, [x, y])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gy = sg.grad(x ** 2, y, disconnected_inputs="warn")
    assert any("does not depend on y" in str(w.message) for w in caught)
    assert float(run([y], gy, 3.0, on_unused_input="ignore")) == 0.0
    gy = sg.grad(x ** 2, y, disconnected_inputs="ignore")
    assert float(run([y], gy, 3.0, on_unused_input="ignore")) == 0.0
    with pytest.raises(ValueError, match="disconnected_inputs must be"):
        sg.grad(x ** 2, x, disconnected_inputs="maybe")


def test_stop_gradient_and_consider_constant():
    x = sg.dscalar("x")
    y = x ** 2
    g1 = sg.grad(sg.stop_gradient(y) * x, x)  # d/dx [c * x] with c = x^2 held constant
    g2 = sg.grad(y * x, x, consider_constant=[y])
    g3 = sg.grad(sg.disconnected_grad(y) + x, x)
    assert float(run([x], g1, 3.0)) == 9.0
    assert float(run([x], g2, 3.0)) == 9.0
    assert float(run([x], g3, 3.0, on_unused_input="ignore")) == 1.0


def test_conventions_at_kinks():
    x = sg.dvector("x")
    ga = run([x], sg.grad(sg.sum(abs(x)), x), np.array([0.0, -2.0, 3.0]))
    np.testing.assert_array_equal(ga, [0.0, -1.0, 1.0])  # d|x|/dx = 0 at 0
    with np.errstate(divide="ignore"):
        gs = run([x], sg.grad(sg.sum(sg.sqrt(x)), x), np.array([0.0, 4.0]))
    assert gs[0] == np.inf and gs[1] == 0.25  # d sqrt/dx = inf at 0


def test_known_grads_seed_the_backward_pass():
    x = sg.dvector("x")
    y = sg.exp(x)
    gy = sg.dvector("gy")
    g = sg.grad(None, x, known_grads={y: gy})
    xv, gv = np.array([0.0, 1.0]), np.array([2.0, 3.0])
    np.testing.assert_allclose(run([x, gy], g, xv, gv), gv * np.exp(xv))


# ---------------------------------------------------------------- Lop, Rop, jacobian, hessian


def _fd_jacobian(f, x, eps=1e-6):
    cols = []
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        cols.append((f(x + e) - f(x - e)).ravel() / (2 * eps))
    return np.stack(cols, axis=1)


def test_lop_is_vector_jacobian_product():
    w, v = sg.dvector("w"), sg.dvector("v")
    out = sg.tanh(w) * sg.sum(w ** 2)
    vjp = sg.function([w, v], sg.Lop(out, w, v))
    fo = sg.function([w], out)
    wv, vv = RNG.normal(size=3), RNG.normal(size=3)
    np.testing.assert_allclose(vjp(wv, vv), vv @ _fd_jacobian(fo, wv), rtol=1e-6)


def test_rop_is_jacobian_vector_product():
    w, u = sg.dvector("w"), sg.dvector("u")
    out = sg.tanh(w) * sg.sum(w ** 2)
    jvp = sg.function([w, u], sg.Rop(out, w, u))
    fo = sg.function([w], out)
    wv, uv = RNG.normal(size=3), RNG.normal(size=3)
    np.testing.assert_allclose(jvp(wv, uv), _fd_jacobian(fo, wv) @ uv, rtol=1e-6)


def test_hessian_vector_product_in_one_line():
    x, v = sg.dvector("x"), sg.dvector("v")
    cost = sg.sum(sg.exp(x) * x[::-1])
    hv = sg.Rop(sg.grad(cost, x), x, v)
    f = sg.function([x, v], hv)
    grad_f = sg.function([x], sg.grad(cost, x))
    xv, vv = RNG.normal(size=4), RNG.normal(size=4)
    np.testing.assert_allclose(f(xv, vv), _fd_jacobian(grad_f, xv) @ vv, rtol=1e-5)


def test_hessian_of_quadratic_form_is_the_matrix():
    a = RNG.normal(size=(4, 4))
    a = a + a.T
    x = sg.dvector("x")
    h = sg.hessian(0.5 * sg.dot(x, sg.dot(a, x)), x)
    np.testing.assert_allclose(run([x], h, np.ones(4), on_unused_input="ignore"), a)


def test_jacobian_static_and_dynamic_length():
    xs = sg.tensor("xs", "float64", (3,))
    x = sg.dvector("x")  # unknown length: jacobian runs a scan
    for var in (xs, x):
        j = sg.jacobian(sg.sin(var) * var[0], var)
        xv = np.array([0.5, -1.0, 2.0])
        expected = np.diag(np.cos(xv) * xv[0])
        expected[:, 0] += np.sin(xv)
        np.testing.assert_allclose(run([var], j, xv), expected, rtol=1e-10)


def test_hessian_matches_finite_differences_of_gradient():
    x = sg.dvector("x")
    cost = sg.sum(sg.log1p(x ** 2)) * sg.sum(x)
    h = sg.function([x], sg.hessian(cost, x))
    g = sg.function([x], sg.grad(cost, x))
    xv = RNG.normal(size=3)
    np.testing.assert_allclose(h(xv), _fd_jacobian(g, xv), rtol=1e-5, atol=1e-8)


def test_second_derivatives_of_a_composite():
    sg.verify_grad(lambda x: sg.grad(sg.sum(sg.tanh(x) * sg.exp(-x ** 2)), x),
                   [RNG.normal(size=(2, 3))])


def test_gradient_through_ifelse_and_switch():
    c = sg.bscalar("c")
    x = sg.dvector("x")
    cost = sg.ifelse(c, sg.sum(x ** 2), sg.sum(sg.sin(x)))
    g = sg.function([c, x], sg.grad(cost, x))
    xv = np.array([0.3, -1.2])
    np.testing.assert_allclose(g(True, xv), 2 * xv)
    np.testing.assert_allclose(g(False, xv), np.cos(xv))
    sg.verify_grad(lambda x: sg.switch(x > 0, x ** 2, -x), [np.array([0.5, -0.7, 1.5])])


# ---------------------------------------------------------------- verify_grad itself


@dataclass(frozen=True)
class _WrongSquare(Op):
    """x**2 with a gradient that is off by a factor (to test verify_grad)."""

    def make_node(self, x):
        x = sg.as_tensor(x)
        return Apply(self, [x], [x.type])

    def render(self, ctx, node, ins):
        return f"{ins[0]} ** 2"

    def grad(self, inputs, outputs, output_grads):
        return [output_grads[0] * 3 * inputs[0]]


def test_verify_grad_names_the_input_and_the_difference():
    with pytest.raises(sg.GradientError, match="input 1 .*largest difference"):
        sg.verify_grad(lambda a, b: a * _WrongSquare()(b), [np.ones(2), np.array([1.0, 2.0])])


def test_verify_grad_passes_correct_gradients():
    sg.verify_grad(lambda a, b: sg.dot(a, b) ** 2, [RNG.normal(size=(2, 3)),
                                                    RNG.normal(size=(3, 2))])


def test_verify_grad_perturbs_points_that_are_not_c_contiguous():
    """A transposed point used to be copied in its own layout, so the finite differences
    perturbed a copy and saw no change (numeric 0 against a correct gradient)."""
    point = RNG.normal(size=(3, 4)).T
    sg.verify_grad(lambda a: a ** 3, [point])
    with pytest.raises(sg.GradientError, match="input 0"):
        sg.verify_grad(lambda a: _WrongSquare()(a), [point])


# ---------------------------------------------------------------- the seeds' losses


def test_seed_mycrossentropy_label_smoothing_differentiates():
    nb_classes = 4

    def mycrossentropy(y_true, y_pred, e=0.1):
        cce = sg.nnet.categorical_crossentropy
        return (1 - e) * cce(y_pred, y_true) + e * cce(y_pred, sg.ones_like(y_pred) / nb_classes)

    y_true = np.eye(nb_classes)[[0, 2, 3]]

    def loss(logits):
        return sg.mean(mycrossentropy(y_true, sg.nnet.softmax(logits)))

    sg.verify_grad(loss, [RNG.normal(size=(3, nb_classes))])
    # and the value matches a NumPy computation
    z = sg.dmatrix("z")
    zv = RNG.normal(size=(3, nb_classes))
    p = np.exp(zv - zv.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    expected = np.mean(0.9 * -(y_true * np.log(p)).sum(1) + 0.1 * -(np.log(p) / 4).sum(1))
    np.testing.assert_allclose(run([z], loss(z), zv), expected)


def test_seed_fourth_power_loss_through_numpy_protocol():
    def myloss(pred, true):
        result = np.power(pred - true, 4)
        return result.mean()

    true = RNG.normal(size=(3, 2))
    sg.verify_grad(lambda pred: myloss(pred, true), [RNG.normal(size=(3, 2))])
    p = sg.dmatrix("p")
    g = run([p], sg.grad(myloss(p, true), p), np.zeros((3, 2)))
    np.testing.assert_allclose(g, 4 * (0 - true) ** 3 / 6)


def test_stable_crossentropy_gradients_at_large_logits():
    z = sg.dmatrix("z")
    t = np.eye(3)[[0, 1]]
    cce = sg.mean(sg.nnet.categorical_crossentropy(sg.nnet.softmax(z), t))
    bce = sg.mean(sg.nnet.binary_crossentropy(sg.nnet.sigmoid(z), np.ones((2, 3))))
    zv = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 500.0]])
    for cost in (cce, bce):
        value, gz = run([z], [cost, sg.grad(cost, z)], zv)
        assert np.isfinite(value) and np.all(np.isfinite(gz))


# ---------------------------------------------------------------- the MLP against NumPy


def test_mlp_784_512_512_10_sgd_matches_handwritten_numpy():
    params = init_mlp((784, 512, 512, 10), seed=3)
    step = build_mlp_sgd(params, lr=0.05)
    ref = [[w.copy(), b.copy()] for w, b in params]
    rng = np.random.default_rng(7)
    x_all = rng.random((64, 784))
    y_all = np.eye(10)[rng.integers(0, 10, 64)]
    ours, theirs = [], []
    for i in range(200):
        idx = slice((i * 8) % 64, (i * 8) % 64 + 8)
        ours.append(float(step.train(x_all[idx], y_all[idx])))
        theirs.append(numpy_mlp_sgd(ref, x_all[idx], y_all[idx], lr=0.05))
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert ours[-1] < ours[0]  # it learned something
    for k, (wr, br) in enumerate(ref):
        np.testing.assert_allclose(step.shared[2 * k].get_value(), wr, atol=1e-8)
        np.testing.assert_allclose(step.shared[2 * k + 1].get_value(), br, atol=1e-8)


def test_train_step_has_no_gradient_with_respect_to_the_data():
    params = init_mlp((6, 5, 3), seed=0)
    step = build_mlp_sgd(params)
    x_input = step.train.inputs[0]
    # The first layer's data gradient would be dot(delta, W0.T); nothing may compute it.
    for node in step.train.fgraph.apply_nodes:
        if node.op.name == "dot":
            a, b = node.inputs
            assert not (b.owner is not None and b.owner.op.name == "dimshuffle"
                        and b.owner.inputs[0] is step.shared[0]), "computes d loss / d x"
    assert x_input in step.train.fgraph.inputs
