"""Neural-net ops (sg.nnet): softmax / log_softmax on any axis and rank, activations,
cross-entropies, against SciPy/NumPy; values stay finite for inputs of +-1000."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special

import symgraph as sg
from tests.helpers import check_op, compile_and_run

nn = sg.nnet
X = np.array([-1000.0, -3.0, -0.5, 0.0, 0.5, 3.0, 1000.0])
SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_softmax_and_log_softmax_on_every_axis(shape, dtype):
    x = (np.random.default_rng(0).normal(size=shape) * 3).astype(dtype)
    rtol = 1e-5 if dtype == "float32" else 1e-10
    for axis in range(-len(shape), len(shape)):
        for static in (True, False):
            check_op(lambda v, axis=axis: nn.softmax(v, axis=axis), [x],
                     scipy.special.softmax(x, axis=axis), static=static, rtol=rtol, atol=1e-7)
            check_op(lambda v, axis=axis: nn.log_softmax(v, axis=axis), [x],
                     scipy.special.log_softmax(x, axis=axis), static=static, rtol=rtol,
                     atol=1e-6)


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
def test_softmax_and_log_softmax_are_finite_at_plus_minus_1000(shape):
    x = np.random.default_rng(1).choice([-1000.0, 0.0, 1000.0, 999.0], size=shape)
    for axis in range(len(shape)):
        sm = check_op(lambda v, axis=axis: nn.softmax(v, axis=axis), [x],
                      scipy.special.softmax(x, axis=axis))
        ls = check_op(lambda v, axis=axis: nn.log_softmax(v, axis=axis), [x],
                      scipy.special.log_softmax(x, axis=axis))
        assert np.all(np.isfinite(sm)) and np.all(np.isfinite(ls))


def test_softmax_of_ints_is_float64_and_of_scalars_is_an_error():
    check_op(nn.softmax, [np.array([1, 2, 3])], scipy.special.softmax([1.0, 2.0, 3.0]))
    with pytest.raises(ValueError, match="softmax: input must have at least 1 dim"):
        nn.softmax(sg.dscalar("s"))
    with pytest.raises(ValueError, match="softmax: axis 2 is out of range"):
        nn.softmax(sg.dmatrix("m"), axis=2)


ACTIVATIONS = {
    "sigmoid": (nn.sigmoid, lambda x: 1.0 / (1.0 + np.exp(-x))),
    "relu": (nn.relu, lambda x: np.maximum(x, 0.0)),
    "leaky_relu": (lambda v: nn.relu(v, alpha=0.1), lambda x: np.where(x > 0, x, 0.1 * x)),
    "capped_relu": (lambda v: nn.relu(v, max_value=2.0), lambda x: np.clip(x, 0.0, 2.0)),
    "leaky_capped_relu": (lambda v: nn.relu(v, alpha=0.1, max_value=2.0),
                          lambda x: np.minimum(np.where(x > 0, x, 0.1 * x), 2.0)),
    "elu": (nn.elu, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    "elu_alpha": (lambda v: nn.elu(v, 0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(
        np.minimum(x, 0)))),
    "selu": (nn.selu, lambda x: SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(
        np.minimum(x, 0)))),
    "hard_sigmoid": (nn.hard_sigmoid, lambda x: np.clip(0.2 * x + 0.5, 0.0, 1.0)),
    "softplus": (nn.softplus, lambda x: np.logaddexp(0.0, x)),
    "softsign": (nn.softsign, lambda x: x / (1.0 + np.abs(x))),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_activation_matches_numpy_and_stays_finite(name, dtype):
    fn, ref = ACTIVATIONS[name]
    x = X.astype(dtype)
    with np.errstate(over="ignore"):
        expected = ref(X).astype(dtype)
    got = check_op(fn, [x], expected, rtol=1e-6 if dtype == "float32" else 1e-12)
    assert np.all(np.isfinite(got))


def test_hard_sigmoid_is_0_2x_plus_0_5_clipped():
    x = np.array([-3.0, -2.5, -1.0, 0.0, 1.0, 2.5, 3.0])
    check_op(nn.hard_sigmoid, [x], np.array([0.0, 0.0, 0.3, 0.5, 0.7, 1.0, 1.0]))


P = scipy.special.softmax(np.random.default_rng(2).normal(size=(4, 3)), axis=1)
LABELS = np.array([0, 2, 1, 1])
ONEHOT = np.eye(3)[LABELS]


def test_categorical_crossentropy_one_hot_and_int_targets():
    expected = -np.log(P[np.arange(4), LABELS])
    check_op(nn.categorical_crossentropy, [P, ONEHOT], expected)
    check_op(nn.categorical_crossentropy, [P, LABELS], expected)
    soft = np.full((4, 3), 1 / 3)
    check_op(nn.categorical_crossentropy, [P, soft], -np.sum(soft * np.log(P), axis=1))


def test_categorical_crossentropy_of_softmax_is_finite_at_plus_minus_1000():
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0], [0.5, 0.2, -0.1],
                  [1000.0, 1000.0, -1000.0]])
    log_p = scipy.special.log_softmax(z, axis=1)
    expected = -log_p[np.arange(4), LABELS]
    for target in (ONEHOT, LABELS):
        got = check_op(lambda v, t: nn.categorical_crossentropy(nn.softmax(v), t), [z, target],
                       expected)
        assert np.all(np.isfinite(got))


def test_binary_crossentropy():
    o = np.random.default_rng(3).uniform(0.05, 0.95, size=(4, 3))
    t = (np.arange(12).reshape(4, 3) % 2).astype("float64")
    check_op(nn.binary_crossentropy, [o, t], -(t * np.log(o) + (1 - t) * np.log(1 - o)))
    z = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 3.0], [0.5, 0.2, -0.1],
                  [1000.0, 1000.0, -1000.0]])
    # -t log(sigmoid z) - (1 - t) log(1 - sigmoid z) = log(1 + e^z) - t z
    expected = np.logaddexp(0.0, z) - t * z
    got = check_op(lambda v, q: nn.binary_crossentropy(nn.sigmoid(v), q), [z, t], expected)
    assert np.all(np.isfinite(got))


def test_crossentropy_argument_errors():
    with pytest.raises(ValueError, match="categorical_crossentropy: integer targets need a "
                                         "matrix prediction"):
        nn.categorical_crossentropy(sg.dtensor3("p"), sg.imatrix("t"))
    with pytest.raises(ValueError, match="categorical_crossentropy: prediction .* and target "
                                         ".* need the same number of dims"):
        nn.categorical_crossentropy(sg.dmatrix("p"), sg.dtensor3("t"))


def test_activations_keep_float32():
    x = sg.tensor("x", dtype="float32", shape=(None,))
    outs = [nn.sigmoid(x), nn.relu(x, alpha=0.1), nn.elu(x), nn.selu(x), nn.hard_sigmoid(x),
            nn.softplus(x), nn.softsign(x), nn.relu(x, max_value=2.0), nn.softmax(x),
            nn.log_softmax(x)]
    for out, got in zip(outs, compile_and_run(outs, [x], [X.astype("float32")]), strict=True):
        assert out.dtype == got.dtype.name == "float32", out


def test_batch_normalization():
    rng = np.random.default_rng(4)
    x, g, b = rng.normal(size=(5, 3)), rng.normal(size=3), rng.normal(size=3)
    mean, std = x.mean(0), x.std(0) + 0.1
    check_op(lambda *v: nn.batch_normalization(*v), [x, g, b, mean, std],
             (x - mean) * (g / std) + b)
