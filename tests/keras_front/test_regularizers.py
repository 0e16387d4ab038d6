"""Weight and activity penalties (keras_front/regularizers.py)."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import regularizers

W = np.array([[1.0, -2.0], [0.5, 0.0]])


def penalty(reg, value=W):
    return float(K.eval(reg(K.variable(value))))


@pytest.mark.parametrize("reg, expected", [
    (regularizers.l1(0.1), 0.1 * np.abs(W).sum()),
    (regularizers.l2(0.1), 0.1 * np.square(W).sum()),
    (regularizers.l1_l2(0.1, 0.2), 0.1 * np.abs(W).sum() + 0.2 * np.square(W).sum()),
    (regularizers.l1l2(0.3, 0.0), 0.3 * np.abs(W).sum()),
    (regularizers.L1L2(l2=1e-3), 1e-3 * np.square(W).sum()),
    (regularizers.WeightRegularizer(l1=0.5), 0.5 * np.abs(W).sum()),
])
def test_weight_penalties(reg, expected):
    assert penalty(reg) == pytest.approx(expected, rel=1e-6)


def test_defaults_are_0_01():
    assert penalty(regularizers.l2()) == pytest.approx(0.01 * np.square(W).sum(), rel=1e-6)
    assert regularizers.l1l2().get_config()["l1"] == pytest.approx(0.01)


def test_activity_regularizer_averages_over_the_batch():
    out = np.array([[1.0, -1.0], [3.0, 1.0]])
    expected = 0.1 * np.abs(out).mean(axis=0).sum() + 0.2 * np.square(out).mean(axis=0).sum()
    assert penalty(regularizers.activity_l1l2(0.1, 0.2), out) == pytest.approx(expected)
    assert penalty(regularizers.activity_l2(0.5), out) == \
        pytest.approx(0.5 * np.square(out).mean(axis=0).sum())


def test_penalty_is_symbolic_and_differentiable():
    w = K.variable(W)
    (g,) = K.gradients(regularizers.l1_l2(0.1, 0.2)(w), [w])
    np.testing.assert_allclose(K.eval(g), 0.1 * np.sign(W) + 0.4 * W, rtol=1e-6)


def test_weight_regularizer_keras_1_binding():
    reg = regularizers.l2(0.1)
    w = K.variable(W)
    reg.set_param(w)
    assert float(K.eval(reg())) == pytest.approx(0.1 * np.square(W).sum(), rel=1e-6)
    with pytest.raises(ValueError, match="Regularizers cannot be reused"):
        reg.set_param(w)
    with pytest.raises(ValueError, match="call set_param"):
        regularizers.l2()()


def test_configs_round_trip_in_both_formats():
    reg = regularizers.l1l2(0.1, 0.2)
    config = reg.get_config()
    assert config == {"name": "WeightRegularizer", "l1": pytest.approx(0.1),
                      "l2": pytest.approx(0.2)}
    again = regularizers.get(config)  # Keras 1.x: a dict with 'name'
    assert isinstance(again, regularizers.WeightRegularizer)
    assert again.get_config() == config
    keras2 = regularizers.get({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.5}})
    assert isinstance(keras2, regularizers.L1L2) and keras2.l2 == 0.5
    assert regularizers.serialize(keras2)["class_name"] == "L1L2"


def test_get_by_name_none_and_errors():
    assert regularizers.get(None) is None
    assert isinstance(regularizers.get("l2"), regularizers.WeightRegularizer)
    assert isinstance(regularizers.get("activity_l1"), regularizers.ActivityRegularizer)
    custom = regularizers.L1L2(l1=1.0)
    assert regularizers.get(custom) is custom
    with pytest.raises(ValueError, match="Invalid regularizer: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="Could not interpret regularizer"):
        regularizers.get(0.1)
