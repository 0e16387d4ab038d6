"""Tests for symgraph/ops/scan.py: loops, hoisting, and backpropagation through time."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops.scan import Scan

RNG = np.random.default_rng(99)


def _rnn_numpy(xs, h0, w, u):
    h, hs = h0, []
    for x in xs:
        h = np.tanh(x @ w + h @ u)
        hs.append(h)
    return np.array(hs)


def _scan_nodes(f):
    return [n for n in f.fgraph.apply_nodes if isinstance(n.op, Scan)]


def test_rnn_forward_matches_numpy_loop():
    xs = sg.tensor3("xs", dtype="float64")
    h0 = sg.dmatrix("h0")
    w = sg.shared(RNG.normal(size=(3, 4)) * 0.5, "w")
    u = sg.shared(RNG.normal(size=(4, 4)) * 0.5, "u")
    hs, updates = sg.scan(lambda x, h, w, u: sg.tanh(sg.dot(x, w) + sg.dot(h, u)),
                          sequences=[xs], outputs_info=[h0], non_sequences=[w, u])
    assert not updates
    xv, hv = RNG.normal(size=(6, 2, 3)), RNG.normal(size=(2, 4))
    out = sg.function([xs, h0], hs)(xv, hv)
    np.testing.assert_allclose(out, _rnn_numpy(xv, hv, w.get_value(), u.get_value()))


def test_map_cumulative_and_mixed_outputs_in_user_order():
    x = sg.dvector("x")
    (doubled, running), _ = sg.scan(lambda v, acc: (v * 2, acc + v), sequences=[x],
                                    outputs_info=[None, sg.constant(0.0, "float64")])
    xv = np.array([1.0, 2.0, 3.0, 4.0])
    d, r = sg.function([x], [doubled, running])(xv)
    np.testing.assert_allclose(d, 2 * xv)
    np.testing.assert_allclose(r, np.cumsum(xv))


def test_n_steps_without_sequences_and_closure_over_outer_variables():
    a = sg.dscalar("a")
    powers, _ = sg.scan(lambda p: p * a, outputs_info=[sg.constant(1.0, "float64")],
                        n_steps=5)
    np.testing.assert_allclose(sg.function([a], powers)(2.0), [2, 4, 8, 16, 32])


def test_go_backwards_iterates_in_reverse():
    x = sg.dvector("x")
    rev, _ = sg.scan(lambda v, acc: acc * 10 + v, sequences=[x],
                     outputs_info=[sg.constant(0.0, "float64")], go_backwards=True)
    np.testing.assert_allclose(sg.function([x], rev)(np.array([1.0, 2.0, 3.0])),
                               [3.0, 32.0, 321.0])


def test_shortest_sequence_sets_the_step_count_and_n_steps_is_checked():
    a, b = sg.dvector("a"), sg.dvector("b")
    s, _ = sg.scan(lambda x, y: x + y, sequences=[a, b])
    np.testing.assert_allclose(sg.function([a, b], s)(np.ones(4), np.arange(3.0)),
                               [1.0, 2.0, 3.0])
    t, _ = sg.scan(lambda x: x, sequences=[a], n_steps=5)
    with pytest.raises(ValueError, match="sequence has 3 steps, n_steps is 5"):
        sg.function([a], t)(np.ones(3))


def test_loop_invariant_work_is_hoisted_out_of_the_step():
    xs = sg.dmatrix("xs")
    w = sg.shared(RNG.normal(size=(3, 3)), "w")
    ys, _ = sg.scan(lambda x: sg.dot(x, sg.dot(w, w)), sequences=[xs])
    f = sg.function([xs], ys)
    (node,) = _scan_nodes(f)
    step_ops = [str(n.op) for n in sg.toposort(node.op.step.outputs)]
    assert step_ops.count("dot") == 1  # dot(w, w) runs once, outside the loop
    xv = RNG.normal(size=(4, 3))
    np.testing.assert_allclose(f(xv), xv @ (w.get_value() @ w.get_value()))


def test_random_draws_inside_the_step_are_fresh_each_step():
    stream = sg.RandomStream(5)
    draws, _ = sg.scan(lambda: stream.uniform((3,), dtype="float64"), n_steps=4)
    out = sg.function([], draws)()
    assert out.shape == (4, 3)
    assert len({tuple(r) for r in out}) == 4


def test_bptt_gradient_matches_finite_differences():
    def loss(w, u, xs, h0):
        hs, _ = sg.scan(lambda x, h, w, u: sg.tanh(sg.dot(x, w) + sg.dot(h, u)),
                        sequences=[xs], outputs_info=[h0], non_sequences=[w, u])
        return sg.sum(hs[-1] ** 2) + sg.sum(hs * 0.5)

    sg.verify_grad(loss, [RNG.normal(size=(3, 4)) * 0.5, RNG.normal(size=(4, 4)) * 0.5,
                          RNG.normal(size=(5, 2, 3)), RNG.normal(size=(2, 4))])


def test_bptt_gradient_matches_handwritten_backprop():
    xs = sg.tensor3("xs", dtype="float64")
    h0 = sg.dmatrix("h0")
    w = sg.shared(RNG.normal(size=(3, 4)) * 0.5, "w")
    u = sg.shared(RNG.normal(size=(4, 4)) * 0.5, "u")
    hs, _ = sg.scan(lambda x, h: sg.tanh(sg.dot(x, w) + sg.dot(h, u)), sequences=[xs],
                    outputs_info=[h0])
    cost = sg.sum(hs[-1])
    gw, gu = sg.function([xs, h0], sg.grad(cost, [w, u]))(
        xv := RNG.normal(size=(4, 2, 3)), hv := RNG.normal(size=(2, 4)))
    wv, uv = w.get_value(), u.get_value()
    states = [hv] + list(_rnn_numpy(xv, hv, wv, uv))
    lam = np.ones((2, 4))
    ew, eu = np.zeros_like(wv), np.zeros_like(uv)
    for t in range(len(xv) - 1, -1, -1):
        dz = lam * (1 - states[t + 1] ** 2)
        ew += xv[t].T @ dz
        eu += states[t].T @ dz
        lam = dz @ uv.T
    np.testing.assert_allclose(gw, ew)
    np.testing.assert_allclose(gu, eu)


def test_gradient_of_backwards_map_and_partial_use():
    sg.verify_grad(lambda xs: sg.scan(lambda x: sg.exp(x) * 2, sequences=[xs],
                                      go_backwards=True)[0][1:].sum(),
                   [RNG.normal(size=(4, 2))])


def test_gradient_with_respect_to_a_parameter_through_many_steps():
    sg.verify_grad(lambda a: sg.scan(lambda p, a: p * a, non_sequences=[a], n_steps=4,
                                     outputs_info=[sg.ones((), dtype="float64")])[0].sum(),
                   [np.array(1.3)])


def test_second_order_through_scan():
    def grad_of_loop(a):
        out, _ = sg.scan(lambda p, a: sg.sin(p * a), non_sequences=[a], n_steps=3,
                         outputs_info=[sg.ones((), dtype="float64")])
        return sg.grad(out[-1], a)

    sg.verify_grad(grad_of_loop, [np.array(0.7)])


def test_errors_name_the_problem():
    x = sg.dvector("x")
    with pytest.raises(ValueError, match="returned 1 outputs, outputs_info has 2"):
        sg.scan(lambda v, a, b: v, sequences=[x], outputs_info=[x[0], x[0]])
    with pytest.raises(ValueError, match="same rank"):
        sg.scan(lambda v, h: sg.sum(v * h), sequences=[x], outputs_info=[x])
    with pytest.raises(NotImplementedError, match="taps"):
        sg.scan(lambda v, h: v, sequences=[x], outputs_info=[{"initial": x, "taps": [-2]}])
    with pytest.raises(ValueError, match="give sequences or n_steps"):
        sg.scan(lambda: x, outputs_info=None)
    with pytest.raises(ValueError, match="scan: n_steps must be >= 0, got -1"):
        sg.scan(lambda h: h * 2, outputs_info=[x], n_steps=-1)  # was "static shape (-1,..."
    with pytest.raises(TypeError, match="scan: fn must be a function building the step"):
        sg.scan(3, sequences=[x])  # was "'int' object is not callable"


def test_gradient_when_a_step_output_is_both_state_and_per_step_output():
    h0 = sg.constant(np.zeros(2))

    def step(x_t, h):
        o = sg.tanh(x_t + h)
        return [o, o]  # the same variable as a per-step output and as the new state

    def loss(xs):
        (per_step, states), _ = sg.scan(step, sequences=[xs], outputs_info=[None, h0])
        return sg.sum(states[-1]) + sg.sum(per_step * 0.5)

    sg.verify_grad(loss, [np.full((3, 2), 0.3)])


def test_random_draws_made_outside_the_step_are_one_value_for_all_steps():
    # A dropout-like mask drawn before scan and used inside the step is hoisted (the
    # same numbers at every step); a draw made by the step itself is fresh per step.
    srng = sg.RandomStream(seed=3)
    xs = sg.dmatrix("xs")
    outside = srng.uniform((4,), dtype="float64")
    same, _ = sg.scan(lambda x: x * 0 + outside, sequences=[xs])
    fresh, _ = sg.scan(lambda x: x * 0 + srng.uniform((4,), dtype="float64"),
                       sequences=[xs])
    a, b = sg.function([xs], [same, fresh])(np.zeros((3, 4)))
    np.testing.assert_array_equal(a[0], a[1])
    np.testing.assert_array_equal(a[0], a[2])
    assert not np.array_equal(b[0], b[1])
    grad = sg.grad(sg.sum(same * xs), xs)  # no generator among the differentiated inputs
    assert sg.function([xs], grad)(np.ones((3, 4))).shape == (3, 4)


def test_number_of_steps_is_static_when_every_sequence_length_is():
    xs, ys = sg.tensor("xs", shape=(5, 2)), sg.tensor("ys", shape=(7, 2))
    out, _ = sg.scan(lambda x, y: x + y, sequences=[xs, ys])
    assert out.type.shape == (5, 2)
