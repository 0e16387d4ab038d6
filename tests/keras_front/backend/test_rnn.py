"""K.rnn (keras_front/backend/rnn.py): scanned and unrolled loops against NumPy loops."""

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K

RNG = np.random.default_rng(6)
W = RNG.normal(scale=0.5, size=(3, 2))
U = RNG.normal(scale=0.5, size=(2, 2))


def np_rnn(x, h0, mask=None, go_backwards=False):
    """h_t = tanh(x_t W + h_{t-1} U); masked steps keep h (and the output)."""
    steps = range(x.shape[1] - 1, -1, -1) if go_backwards else range(x.shape[1])
    h, outs, out = h0, [], np.zeros_like(h0)
    for t in steps:
        new = np.tanh(x[:, t] @ W + h @ U)
        if mask is not None:
            m = mask[:, t][:, None]
            new = np.where(m, new, h)
            out = np.where(m, new, out)
        else:
            out = new
        h = new
        outs.append(out)
    return outs[-1], np.stack(outs, axis=1), h


def step(x_t, states):
    h = K.tanh(K.dot(x_t, states[1]) + K.dot(states[0], states[2]))
    return h, [h]


def build(unroll, go_backwards, use_mask):
    x = K.placeholder(shape=(None, 4, 3), dtype="float64")
    h0 = K.placeholder(shape=(None, 2), dtype="float64")
    m = K.placeholder(shape=(None, 4), dtype="float64") if use_mask else None
    last, outs, states = K.rnn(step, x, [h0], go_backwards=go_backwards, mask=m,
                               constants=[K.constant(W, "float64"), K.constant(U, "float64")],
                               unroll=unroll, input_length=4)
    ins = [x, h0] + ([m] if use_mask else [])
    return K.function(ins, [last, outs, states[0]])


@pytest.mark.parametrize("unroll", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
@pytest.mark.parametrize("use_mask", [False, True])
def test_rnn_matches_a_numpy_loop(unroll, go_backwards, use_mask):
    x, h0 = RNG.normal(size=(5, 4, 3)), RNG.normal(size=(5, 2))
    mask = np.array([[1, 1, 0, 1]] * 3 + [[0, 1, 1, 0]] * 2, "float64")
    f = build(unroll, go_backwards, use_mask)
    got = f([x, h0] + ([mask] if use_mask else []))
    want = np_rnn(x, h0, mask if use_mask else None, go_backwards)
    for g, w, what in zip(got, want, ("last_output", "outputs", "state"), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, err_msg=what)


@pytest.mark.parametrize("unroll, use_mask", [(False, False), (False, True), (True, True)])
def test_rnn_gradient_through_time_matches_finite_differences(unroll, use_mask):
    h0 = RNG.normal(size=(2, 2))
    mask = sg.constant(np.array([[1.0, 0.0, 1.0], [1.0, 1.0, 0.0]])) if use_mask else None

    def last_output_and_state(x):
        last, _, states = K.rnn(step, x, [sg.constant(h0)], mask=mask, unroll=unroll,
                                input_length=3,
                                constants=[K.constant(W, "float64"), K.constant(U, "float64")])
        return last + states[0] * 2.0

    sg.verify_grad(last_output_and_state, [RNG.normal(size=(2, 3, 3))])


def test_rnn_argument_errors():
    with pytest.raises(ValueError, match="at least 3D"):
        K.rnn(step, K.placeholder(ndim=2), [])
    with pytest.raises(ValueError, match="an `input_length` must be provided"):
        K.rnn(step, K.placeholder(ndim=3), [], unroll=True)


def test_arange():
    (out,) = K.function([], [K.arange(2, 11, 3)])([])
    np.testing.assert_array_equal(out, [2, 5, 8])
    assert out.dtype == np.int32
