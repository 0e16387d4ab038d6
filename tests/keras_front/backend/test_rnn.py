"""K.rnn, map_fn, foldl, foldr (keras_front/backend/rnn.py): scanned and unrolled loops
against NumPy loops; K.print_tensor; Keras 1.2.2's backend module paths."""

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


def test_rnn_constants_may_be_nested_lists_and_outer_tensors():
    # Keras's LSTM passes one dropout mask per gate as a list among the constants.
    x = K.placeholder(shape=(None, 4, 3))
    scale = K.placeholder(shape=(None, 2))

    def step(x_t, states):
        h, (a, b), c = states[0], states[1], states[2]
        h = K.tanh(K.dot(x_t, K.variable(W)) * a + K.dot(h, K.variable(U)) * b) * c
        return h, [h]
    h0 = K.zeros_like(scale)
    _, outs, _ = K.rnn(step, x, [h0], constants=[[scale, 2.0 * scale], K.cast_to_floatx(1.0)])
    xv = RNG.standard_normal((2, 4, 3))
    sv = RNG.uniform(0.5, 1.5, (2, 2))
    got = K.function([x, scale], [outs])([xv, sv])[0]
    h = np.zeros((2, 2))
    for t in range(4):
        h = np.tanh((xv[:, t] @ W) * sv + (h @ U) * 2 * sv)
        np.testing.assert_allclose(got[:, t], h, rtol=1e-5, atol=1e-6)


def test_rnn_masked_step_output_shape_is_known_without_computing_a_step():
    x = K.placeholder(shape=(None, 5, 3))
    mask = K.placeholder(shape=(None, 5))
    last, outs, states = K.rnn(lambda x_t, s: (K.dot(x_t, K.variable(W)), []), x, [],
                               mask=mask)
    assert K.int_shape(outs) == (None, 5, 2) and states == []
    xv = RNG.standard_normal((2, 5, 3)).astype("float32")
    mv = np.array([[0, 1, 1, 0, 1], [0, 0, 0, 0, 0]], "float32")
    got = K.function([x, mask], [outs])([xv, mv])[0]
    expected = np.zeros((2, 5, 2))
    for t in range(5):
        new = xv[:, t] @ W
        expected[:, t] = np.where(mv[:, t:t + 1] > 0, new, expected[:, t - 1] if t else 0)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_map_fn_foldl_foldr():
    x = RNG.random((6, 3)).astype("float32")
    np.testing.assert_allclose(K.eval(K.map_fn(K.sum, x)), x.sum(axis=1), rtol=1e-6)
    np.testing.assert_allclose(K.eval(K.foldl(lambda a, b: a + b, x)), x.sum(axis=0),
                               rtol=1e-6)
    np.testing.assert_allclose(K.eval(K.foldl(lambda acc, v: acc * 2 + v, x[:, 0], 1.0)),
                               np.polyval(np.r_[1.0, x[:, 0]], 2.0), rtol=1e-5)
    # right to left: ((x5 - x4) - x3) ..., different from left to right
    v = np.array([1.0, 2.0, 4.0, 8.0], "float32")
    assert float(K.eval(K.foldr(lambda acc, b: acc - b, v))) == 8 - 4 - 2 - 1
    assert float(K.eval(K.foldl(lambda acc, b: acc - b, v))) == 1 - 2 - 4 - 8
    # underflow order (Keras's own check): multiplying from the right keeps 1e-40
    tiny = np.array([1e-20, 1e-20, 10, 10, 10], "float32")
    assert float(K.eval(K.foldl(lambda a, b: a * b, tiny))) < float(
        K.eval(K.foldr(lambda a, b: a * b, tiny)))
    assert float(K.eval(K.foldl(lambda a, b: a + b, np.zeros((0,), "float32"), 3.0))) == 3.0
    w = K.variable(v)
    grad = K.eval(K.gradients(K.foldl(lambda a, b: a * b, w), [w])[0])
    np.testing.assert_allclose(grad, [64.0, 32.0, 16.0, 8.0])  # d prod / d v_i


def test_print_tensor_prints_the_value_and_passes_it_on(capfd):
    x = K.placeholder(shape=(2,))
    y = K.print_tensor(x * 2, message="doubled: ")
    f = K.function([x], [y + 1])
    np.testing.assert_array_equal(f([np.array([1.0, 2.0])])[0], [3.0, 5.0])
    assert "doubled: [2. 4.]" in capfd.readouterr().out
    g = K.gradients(K.sum(K.print_tensor(x) * 3), [x])[0]
    np.testing.assert_array_equal(K.function([x], [g])([np.ones(2)])[0], [3.0, 3.0])


def test_keras_1_2_2_backend_module_paths():
    from keras_front.backend import tensorflow_backend, theano_backend
    assert theano_backend.rnn is K.rnn and tensorflow_backend.ctc_decode is K.ctc_decode
    assert theano_backend.th_sparse_module is None
    with pytest.raises(AttributeError):
        theano_backend.not_a_backend_function  # noqa: B018


def test_function_mode_is_ignored_with_a_warning_through_compile():
    from keras_front.layers import Dense
    from keras_front.models import Sequential
    model = Sequential([Dense(1, input_dim=2)])
    with pytest.warns(UserWarning, match="mode='FAST_COMPILE' is Theano's compile mode"):
        model.compile("sgd", "mse", mode="FAST_COMPILE")
        model.train_on_batch(np.ones((2, 2)), np.ones((2, 1)))
