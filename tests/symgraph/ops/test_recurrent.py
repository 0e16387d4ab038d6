"""FusedRNN / FusedRNNGrad (symgraph/ops/recurrent.py): the three cells against loops
written in NumPy here, gradients against finite differences (every input: projections,
recurrent weights, initial states), masks and the recurrent dropout mask."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops.recurrent import FusedRNN, fused_rnn, supports

RNG = np.random.default_rng(11)
T, B, H = 4, 3, 2
GATES = {"simple": 1, "gru": 3, "lstm": 4}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def reference(cell, xz, u, h0, c0=None, mask=None, mu=None):
    """Keras 1.2.2's cells, one step at a time (tanh, and sigmoid inside)."""
    h, c = h0, c0
    out, outs = np.zeros_like(h0), []
    mu = np.ones_like(h0) if mu is None else mu
    for t in range(xz.shape[0]):
        hm = h * mu
        if cell == "simple":
            h_new, c_new = np.tanh(xz[t] + hm @ u), c
        elif cell == "gru":
            z = sigmoid(xz[t, :, :H] + hm @ u[:, :H])
            r = sigmoid(xz[t, :, H:2 * H] + hm @ u[:, H:2 * H])
            hh = np.tanh(xz[t, :, 2 * H:] + (r * hm) @ u[:, 2 * H:])
            h_new, c_new = z * h + (1 - z) * hh, c
        else:
            pre = xz[t] + hm @ u
            c_new = sigmoid(pre[:, H:2 * H]) * c + sigmoid(pre[:, :H]) * np.tanh(
                pre[:, 2 * H:3 * H])
            h_new = sigmoid(pre[:, 3 * H:]) * np.tanh(c_new)
        m = np.ones((B, 1), bool) if mask is None else mask[t][:, None] > 0
        h, out = np.where(m, h_new, h), np.where(m, h_new, out)
        c = np.where(m, c_new, c) if cell == "lstm" else None
        outs.append(out)
    return np.stack(outs), h, c


def inputs(cell):
    g = GATES[cell]
    arrays = [RNG.standard_normal((T, B, g * H)), RNG.standard_normal((H, g * H)) * 0.7,
              RNG.standard_normal((B, H))]
    if cell == "lstm":
        arrays.append(RNG.standard_normal((B, H)))
    return arrays


MASK = np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [1, 0, 1]], float)
MU = np.array([[2.0, 0.0], [1.0, 2.0], [0.0, 0.0]])


@pytest.mark.parametrize("cell", ["simple", "gru", "lstm"])
@pytest.mark.parametrize("masked, dropped", [(False, False), (True, False), (True, True)])
def test_forward_matches_numpy(cell, masked, dropped):
    arrays = inputs(cell)
    extra = ([MASK] if masked else []) + ([MU] if dropped else [])
    op = FusedRNN(cell, "tanh", "sigmoid", masked, dropped)
    variables = [sg.tensor(f"i{k}", dtype="float64", shape=(None,) * a.ndim)
                 for k, a in enumerate(arrays + extra)]
    outs = op(*variables)
    got = sg.function(variables, outs[:2 + (cell == "lstm")])(*arrays, *extra)
    expected = reference(cell, *arrays[:3], arrays[3] if cell == "lstm" else None,
                         MASK if masked else None, MU if dropped else None)
    for a, b in zip(got, expected, strict=False):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("cell", ["simple", "gru", "lstm"])
@pytest.mark.parametrize("masked", [False, True])
def test_gradients_match_finite_differences(cell, masked):
    arrays = inputs(cell)
    probe = RNG.standard_normal((T, B, H))
    probe_last = RNG.standard_normal((B, H))

    def cost(*xs):
        extra = ([sg.constant(MASK)] if masked else []) + [sg.constant(MU)]
        outs = FusedRNN(cell, "tanh", "sigmoid", masked, True)(*xs, *extra)
        # all outputs and the final state(s) carry gradient
        total = sg.sum(outs[0] * probe) + sg.sum(outs[1] * probe_last)
        return total + (sg.sum(outs[2] * probe_last * 0.5) if cell == "lstm" else 0)
    sg.verify_grad(cost, arrays)


def test_fused_rnn_batch_major_and_backwards():
    arrays = inputs("gru")
    xz = np.ascontiguousarray(arrays[0].transpose(1, 0, 2))
    x = sg.tensor3("x", dtype="float64")
    last, outs, states = fused_rnn("gru", x, arrays[1], [arrays[2]], go_backwards=True,
                                   activation="tanh", inner_activation="sigmoid")
    got = sg.function([x], [last, outs, states[0]])(xz)
    expected, h, _ = reference("gru", arrays[0][::-1], arrays[1], arrays[2])
    np.testing.assert_allclose(got[1], expected.transpose(1, 0, 2), rtol=1e-12)
    np.testing.assert_allclose(got[0], expected[-1], rtol=1e-12)
    np.testing.assert_allclose(got[2], h, rtol=1e-12)


def test_supported_cells_and_errors():
    assert supports("lstm", "tanh", "hard_sigmoid") and not supports("lstm", "softsign",
                                                                     "sigmoid")
    with pytest.raises(ValueError, match="fused_lstm: expected 4 inputs"):
        FusedRNN("lstm")(np.zeros((2, 1, 4)), np.zeros((1, 4)), np.zeros((1, 1)))
