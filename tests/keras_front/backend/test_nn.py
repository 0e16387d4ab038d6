"""K's neural-net functions (keras_front/backend/nn.py) against NumPy versions of the
Keras 1.x formulas."""

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K

RNG = np.random.default_rng(2)
EPS = 1e-7  # K.epsilon()


def run(outputs, feeds):
    return K.function(list(feeds), outputs)(list(feeds.values()))


def ph_like(value):
    value = np.asarray(value)
    return K.placeholder(ndim=value.ndim, dtype=value.dtype.name)


def np_softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def np_categorical_crossentropy(output, target):
    output = np.clip(output / output.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return -(target * np.log(output)).sum(axis=-1)


def np_binary_crossentropy(output, target):
    output = np.clip(output, EPS, 1 - EPS)
    return -(target * np.log(output) + (1 - target) * np.log(1 - output))


ACTIVATIONS = [
    ("relu", lambda v: K.relu(v), lambda x: np.maximum(x, 0)),
    ("leaky_relu", lambda v: K.relu(v, alpha=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    ("capped_relu", lambda v: K.relu(v, max_value=1.0), lambda x: np.clip(x, 0, 1)),
    ("elu", lambda v: K.elu(v, 0.5), lambda x: np.where(x > 0, x, 0.5 * (np.exp(x) - 1))),
    ("selu", K.selu, lambda x: 1.0507009873554805 * np.where(
        x > 0, x, 1.6732632423543772 * (np.exp(x) - 1))),
    ("softplus", K.softplus, lambda x: np.log1p(np.exp(x))),
    ("softsign", K.softsign, lambda x: x / (1 + np.abs(x))),
    ("sigmoid", K.sigmoid, lambda x: 1 / (1 + np.exp(-x))),
    ("hard_sigmoid", K.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0, 1)),
    ("tanh", K.tanh, np.tanh),
    ("softmax", K.softmax, np_softmax),
]


@pytest.mark.parametrize("name, fn, ref", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_numpy(name, fn, ref):
    x = RNG.normal(scale=3.0, size=(4, 5))
    px = ph_like(x)
    (out,) = run([fn(px)], {px: x})
    np.testing.assert_allclose(out, ref(x), rtol=1e-10, atol=1e-12)


def test_softmax_works_on_the_last_axis_of_any_rank():
    x = RNG.normal(size=(2, 3, 4))
    px = ph_like(x)
    (out,) = run([K.softmax(px)], {px: x})
    np.testing.assert_allclose(out, np_softmax(x), rtol=1e-12)


def test_categorical_crossentropy_renormalizes_and_clips_like_keras_1():
    output = np.array([[0.0, 2.0, 2.0], [0.2, 0.3, 0.5], [1.0, 0.0, 0.0]])
    target = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    po, pt = ph_like(output), ph_like(target)
    (out,) = run([K.categorical_crossentropy(po, pt)], {po: output, pt: target})
    np.testing.assert_allclose(out, np_categorical_crossentropy(output, target), rtol=1e-10)
    assert out[0] == pytest.approx(-np.log(EPS))  # a zero probability costs -log(epsilon)


def test_categorical_crossentropy_from_logits_is_exact_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [1.0, 2.0, 3.0]])
    target = np.array([[0.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    pl, pt = ph_like(logits), ph_like(target)
    loss = K.categorical_crossentropy(pl, pt, from_logits=True)
    grad = K.gradients(K.sum(loss), pl)
    value, g = run([loss, grad], {pl: logits, pt: target})
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_sm = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(value, -(target * log_sm).sum(axis=-1), rtol=1e-12)
    np.testing.assert_allclose(g, np.exp(log_sm) - target, atol=1e-12)


@pytest.mark.parametrize("label_shape", [(4,), (4, 1)])
def test_sparse_categorical_crossentropy_takes_integer_labels(label_shape):
    output = np_softmax(RNG.normal(size=(4, 5)))
    labels = np.array([0, 4, 2, 2]).reshape(label_shape)
    po, pl = ph_like(output), ph_like(labels)
    (out,) = run([K.sparse_categorical_crossentropy(po, pl)], {po: output, pl: labels})
    one_hot = np.eye(5)[labels.ravel()]
    np.testing.assert_allclose(out, np_categorical_crossentropy(output, one_hot), rtol=1e-10)


def test_sparse_categorical_crossentropy_on_sequences():
    output = np_softmax(RNG.normal(size=(2, 3, 4)))
    labels = np.array([[[1], [3], [0]], [[2], [2], [1]]], "float32")
    po, pl = ph_like(output), ph_like(labels)
    (out,) = run([K.sparse_categorical_crossentropy(po, pl)], {po: output, pl: labels})
    one_hot = np.eye(4)[labels[..., 0].astype(int)]
    np.testing.assert_allclose(out, np_categorical_crossentropy(output, one_hot), rtol=1e-10)


def test_binary_crossentropy_clips_and_its_logits_form_is_stable():
    output = np.array([[0.0, 0.3, 1.0], [0.9, 0.5, 0.1]])
    target = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 1.0]])
    po, pt = ph_like(output), ph_like(target)
    (out,) = run([K.binary_crossentropy(po, pt)], {po: output, pt: target})
    np.testing.assert_allclose(out, np_binary_crossentropy(output, target), rtol=1e-10)
    logits = np.array([[800.0, -800.0, 0.5]])
    pl = ph_like(logits)
    t = np.array([[0.0, 1.0, 1.0]])
    pt2 = ph_like(t)
    (from_logits,) = run([K.binary_crossentropy(pl, pt2, from_logits=True)], {pl: logits, pt2: t})
    ref = np.logaddexp(0, logits) - t * logits  # -t log s(z) - (1-t) log(1-s(z))
    np.testing.assert_allclose(from_logits, ref, rtol=1e-12)


def test_cross_entropy_gradients_match_finite_differences():
    probs = np_softmax(RNG.normal(size=(3, 4)))
    target = np.eye(4)[[0, 3, 1]]
    sg.verify_grad(lambda p: K.categorical_crossentropy(p, target), [probs])
    sg.verify_grad(lambda p: K.binary_crossentropy(p, target), [probs])


def test_cross_entropy_gradients_stay_finite_at_saturated_outputs():
    p = K.placeholder(ndim=2)
    t = K.placeholder(ndim=2)
    grads = K.gradients(K.sum(K.categorical_crossentropy(p, t)) +
                        K.sum(K.binary_crossentropy(p, t)), p)
    (g,) = run([grads], {p: np.array([[1.0, 0.0], [0.0, 1.0]], "float32"),
                         t: np.array([[0.0, 1.0], [0.0, 1.0]], "float32")})
    assert np.all(np.isfinite(g))


def test_dropout_zeroes_a_fraction_and_rescales_the_rest():
    x = K.placeholder(ndim=2)
    (out,) = run([K.dropout(x, 0.25, seed=3)], {x: np.ones((200, 100), "float32")})
    assert set(np.unique(out)) == {0.0, np.float32(1 / 0.75)}
    assert abs((out == 0).mean() - 0.25) < 0.02
    assert abs(out.mean() - 1.0) < 0.03  # the expected value is preserved


def test_dropout_noise_shape_broadcasts_one_mask_per_row():
    x = K.placeholder(ndim=2)
    (out,) = run([K.dropout(x, 0.5, noise_shape=(None, 1), seed=4)],
                 {x: np.ones((50, 7), "float32")})
    assert np.all(out.min(axis=1) == out.max(axis=1))  # each row all dropped or all kept
    assert 0 < (out[:, 0] == 0).sum() < 50


def test_dropout_level_must_be_in_0_1():
    x = K.placeholder(ndim=2)
    with pytest.raises(ValueError, match=r"Dropout level must be in interval \[0, 1\["):
        K.dropout(x, 1.0)
    with pytest.raises(ValueError, match="noise_shape .* one entry per axis"):
        K.dropout(x, 0.5, noise_shape=(3,))


def test_l2_normalize_keeps_zero_vectors_zero():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    px = ph_like(x)
    rows, cols = run([K.l2_normalize(px, axis=-1), K.l2_normalize(px, axis=0)], {px: x})
    np.testing.assert_allclose(rows, [[0.6, 0.8], [0.0, 0.0]])
    np.testing.assert_allclose(cols, [[1.0, 1.0], [0.0, 0.0]])


def test_in_top_k_counts_ties_as_in():
    pred = np.array([[0.1, 0.5, 0.5, 0.2], [0.4, 0.3, 0.2, 0.1]], "float32")
    targets = np.array([2, 2], "int32")
    pp, pt = ph_like(pred), ph_like(targets)
    k1, k2, k3 = run([K.in_top_k(pp, pt, k) for k in (1, 2, 3)], {pp: pred, pt: targets})
    np.testing.assert_array_equal(k1, [True, False])
    np.testing.assert_array_equal(k2, [True, False])
    np.testing.assert_array_equal(k3, [True, True])


def test_batch_normalization_formula():
    x, mean, var = RNG.normal(size=(4, 3)), RNG.normal(size=3), RNG.uniform(1, 2, size=3)
    beta, gamma = RNG.normal(size=3), RNG.normal(size=3)
    ins = [ph_like(v) for v in (x, mean, var, beta, gamma)]
    (out,) = run([K.batch_normalization(*ins, epsilon=1e-3)],
                 dict(zip(ins, (x, mean, var, beta, gamma), strict=True)))
    np.testing.assert_allclose(out, (x - mean) / np.sqrt(var + 1e-3) * gamma + beta)


@pytest.mark.parametrize("shape, axes", [((6, 3), [0]), ((2, 3, 4, 5), [0, 2, 3])])
def test_normalize_batch_in_training(shape, axes):
    x = RNG.normal(loc=2.0, size=shape)
    n_channels = shape[1]
    gamma, beta = RNG.uniform(1, 2, n_channels), RNG.normal(size=n_channels)
    px, pg, pb = ph_like(x), ph_like(gamma), ph_like(beta)
    normed, mean, var = run(list(K.normalize_batch_in_training(px, pg, pb, axes, 1e-3)),
                            {px: x, pg: gamma, pb: beta})
    m, v = x.mean(axis=tuple(axes)), x.var(axis=tuple(axes))
    bshape = [1 if i in axes else s for i, s in enumerate(shape)]
    ref = (x - m.reshape(bshape)) / np.sqrt(v.reshape(bshape) + 1e-3) * \
        gamma.reshape(bshape) + beta.reshape(bshape)
    np.testing.assert_allclose(mean, m)
    np.testing.assert_allclose(var, v)
    np.testing.assert_allclose(normed, ref, rtol=1e-10)
