"""keras_front/utils/test_utils.py: layer_test catches broken layers (gradient, config,
shape rule, weights, saving), get_test_data draws Keras 1.2.2's kind of data, keras_test
cleans up after a test."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine import Layer
from keras_front.layers import Dense
from keras_front.utils.test_utils import get_test_data, keras_test, layer_test


class Scale(Layer):
    """y = x * w, with ways to break it."""

    def __init__(self, factor=1.0, broken=None, **kwargs):
        self.factor, self.broken = factor, broken
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), "one", name="w")

    def call(self, x, mask=None):
        w = K.stop_gradient(self.w) if self.broken == "gradient" else self.w
        return x * w * self.factor

    def compute_output_shape(self, input_shape):
        if self.broken == "shape":
            return input_shape[:-1] + (input_shape[-1] + 1,)
        return input_shape

    def convert_saved_weights(self, weights, keras_version="1", backend=None):
        """The loading hook: broken, it doubles what the file holds."""
        return [2 * np.asarray(w) for w in weights] if self.broken == "saving" else weights

    def get_config(self):
        config = {**super().get_config(), "broken": self.broken}
        if self.broken != "config":
            config["factor"] = self.factor
        return config


DATA = np.random.default_rng(0).standard_normal((3, 4)).astype("float32")


def test_a_correct_layer_passes_and_returns_its_output():
    out = layer_test(Scale, {"factor": 2.0}, input_data=DATA, expected_output=2 * DATA)
    np.testing.assert_allclose(out, 2 * DATA, rtol=1e-6)


@pytest.mark.parametrize("broken, message", [
    ("gradient", r"Scale: gradient with respect to weight .*w:0 at flat index \d+ is 0.0, "
                 r"finite differences give"),
    ("shape", r"Scale \(functional\): output shape \(3, 4\) does not match the layer's "
              r"shape rule \(3, 5\)"),
    ("config", "Scale: Model.from_config"),
    ("saving", "predictions after save_model / load_model"),
])
def test_broken_layers_are_caught(broken, message):
    with pytest.raises(AssertionError, match=message):
        layer_test(Scale, {"factor": 3.0, "broken": broken}, input_data=DATA)


def test_keras_signature_and_checks_of_dtype_and_weight_count():
    layer_test(Dense, {"output_dim": 2}, (3, 4), "float64")  # positional, Keras's order
    with pytest.raises(AssertionError, match="output dtype float32, expected float64"):
        layer_test(Dense, {"output_dim": 2}, input_data=DATA, expected_output_dtype="float64")
    with pytest.raises(AssertionError, match="2 trainable weights, expected 3"):
        layer_test(Dense, {"output_dim": 2}, input_data=DATA, expected_trainable=3)


def test_get_test_data_classification_and_regression():
    np.random.seed(1)
    (x, y), (xt, yt) = get_test_data(nb_train=300, nb_test=100, input_shape=(5,),
                                     classification=True, nb_class=3)
    assert x.shape == (300, 5) and xt.shape == (100, 5) and y.shape == (300,)
    assert set(np.unique(y)) == {0, 1, 2}
    for k in range(3):  # inputs centred on the class index
        assert abs(x[y == k].mean() - k) < 0.15
    (x, y), _ = get_test_data(nb_train=50, nb_test=10, input_shape=(2, 3),
                              output_shape=(4,), classification=False)
    assert x.shape == (50, 2, 3) and y.shape == (50, 4)
    assert np.corrcoef(x.mean(axis=(1, 2)), y.mean(axis=1))[0, 1] > 0.3  # shared centres


def test_keras_test_forgets_layer_names_afterwards():
    @keras_test
    def make():
        return Dense(1).name
    make()
    assert make() == "dense_1"
