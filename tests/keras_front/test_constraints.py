"""Weight constraints (keras_front/constraints.py) against NumPy."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import constraints

RNG = np.random.default_rng(4)
EPS = 1e-7
W = RNG.normal(scale=3.0, size=(5, 4))


def constrained(c, value=W):
    return K.eval(c(K.variable(value, dtype="float64")))


@pytest.mark.parametrize("axis", [0, 1])
def test_max_norm_caps_each_vector(axis):
    out = constrained(constraints.maxnorm(2.0, axis=axis))
    norms = np.sqrt((W ** 2).sum(axis=axis, keepdims=True))
    np.testing.assert_allclose(out, W * np.clip(norms, 0, 2.0) / (EPS + norms), rtol=1e-12)
    assert np.all(np.sqrt((out ** 2).sum(axis=axis)) <= 2.0 + 1e-9)


def test_max_norm_leaves_short_vectors_alone():
    small = W / 100
    np.testing.assert_allclose(constrained(constraints.MaxNorm(m=2), small), small, rtol=1e-5)


def test_non_neg_and_unit_norm():
    np.testing.assert_array_equal(constrained(constraints.nonneg()), np.maximum(W, 0))
    unit = constrained(constraints.unit_norm(axis=1))
    np.testing.assert_allclose(unit, W / (EPS + np.sqrt((W ** 2).sum(axis=1, keepdims=True))))
    np.testing.assert_allclose(np.sqrt((unit ** 2).sum(axis=1)), 1.0, rtol=1e-6)


def test_min_max_norm_moves_norms_into_the_range_by_rate():
    out = constrained(constraints.MinMaxNorm(1.0, 2.0, rate=0.5))
    norms = np.sqrt((W ** 2).sum(axis=0, keepdims=True))
    desired = 0.5 * np.clip(norms, 1.0, 2.0) + 0.5 * norms
    np.testing.assert_allclose(out, W * desired / (EPS + norms), rtol=1e-12)


def test_configs_round_trip_in_both_formats():
    c = constraints.maxnorm(3, axis=1)
    assert c.get_config() == {"name": "MaxNorm", "m": 3, "axis": 1}
    again = constraints.get(c.get_config())
    assert isinstance(again, constraints.MaxNorm) and again.max_value == 3 and again.axis == 1
    keras2 = constraints.get({"class_name": "MaxNorm", "config": {"max_value": 4, "axis": 0}})
    assert keras2.max_value == 4
    mm = constraints.deserialize(constraints.serialize(constraints.min_max_norm(0.5, 1.5)))
    assert mm.get_config()["min_value"] == 0.5 and mm.get_config()["max_value"] == 1.5


def test_get_by_name_none_callable_and_errors():
    assert constraints.get(None) is None
    assert isinstance(constraints.get("nonneg"), constraints.NonNeg)
    assert isinstance(constraints.get("max_norm"), constraints.MaxNorm)
    custom = constraints.UnitNorm()
    assert constraints.get(custom) is custom
    with pytest.raises(ValueError, match="Invalid constraint: 'positive'"):
        constraints.get("positive")
