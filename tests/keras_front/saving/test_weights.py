"""save_weights / load_weights (keras_front/saving/weights.py): by order and by name, files
Keras wrote, clear mismatch errors that leave the model untouched, the kernel hook."""

import h5py
import numpy as np
import pytest

from keras_front import layers
from keras_front.engine import Input, Layer
from keras_front.models import Model, Sequential
from keras_front.saving import SavedModelError, convert_kernel, kernels_need_flip
from keras_front.utils import np_utils

from .reference_files import (
    KERAS1_SEQUENTIAL,
    keras1_weights_file,
    keras2_weights_file,
    reference_predict,
    reference_weights,
)

X = np.random.default_rng(0).random((6, 4)).astype("float32")


def two_dense(first="dense_1", second="dense_2", units=3):
    return Sequential([layers.Dense(units, input_dim=4, activation="relu", name=first),
                       layers.Dense(2, activation="softmax", name=second)])


def assert_weights(model, expected):
    got = model.get_weights()
    assert len(got) == len(expected)
    for g, e in zip(got, expected, strict=True):
        np.testing.assert_array_equal(g, e)


def test_round_trip_by_order_into_a_model_with_other_names(tmp_path):
    source = two_dense()
    source.save_weights(tmp_path / "w.h5")
    target = two_dense("first", "second")
    target.load_weights(tmp_path / "w.h5")
    assert_weights(target, source.get_weights())
    np.testing.assert_array_equal(target.predict(X), source.predict(X))


def test_layers_without_weights_do_not_count_in_order(tmp_path):
    source = two_dense()
    source.save_weights(tmp_path / "w.h5")
    target = Sequential([layers.Dense(3, input_dim=4, activation="relu"), layers.Dropout(0.5),
                         layers.Activation("linear"), layers.Dense(2, activation="softmax")])
    target.load_weights(tmp_path / "w.h5")
    assert_weights(target, source.get_weights())


def test_the_weights_file_layout(tmp_path):
    model = Sequential([layers.Dense(3, input_dim=4, name="d"), layers.Dropout(0.1, name="drop")])
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert list(f.attrs["layer_names"]) == [b"d", b"drop"]
        assert f.attrs["backend"] == b"theano" and f.attrs["keras_version"] == b"1.2.2"
        assert list(f["d"].attrs["weight_names"]) == [b"d/kernel:0", b"d/bias:0"]
        assert f["d/d/kernel:0"].dtype == np.float32
        assert f["drop"].attrs["weight_names"].dtype == np.float64
        assert "model_config" not in f.attrs


def test_by_name_loads_only_matching_layers(tmp_path):
    source = two_dense()
    source.save_weights(tmp_path / "w.h5")
    target = Sequential([layers.Dense(3, input_dim=4, name="dense_1"),
                         layers.Dense(10, name="new_dense")])
    untouched = target.layers[1].get_weights()
    target.load_weights(tmp_path / "w.h5", by_name=True)
    assert_weights(target.layers[0], source.layers[0].get_weights())
    assert_weights(target.layers[1], untouched)


def test_by_name_into_a_functional_model(tmp_path):
    source = two_dense()
    source.save_weights(tmp_path / "w.h5")
    x = Input(shape=(4,))
    extra = layers.Dense(4, name="extra")(x)
    model = Model(x, layers.Dense(2, name="dense_2")(layers.Dense(3, name="dense_1")(extra)))
    model.load_weights(tmp_path / "w.h5", by_name=True)
    assert_weights(model.get_layer("dense_1"), source.layers[0].get_weights())
    assert_weights(model.get_layer("dense_2"), source.layers[1].get_weights())


def test_by_name_with_no_namesake_warns(tmp_path):
    two_dense().save_weights(tmp_path / "w.h5")
    target = two_dense("a", "b")
    before = target.get_weights()
    with pytest.warns(UserWarning, match=r"w\.h5: load_weights\(by_name=True\) loaded nothing"):
        target.load_weights(tmp_path / "w.h5", by_name=True)
    assert_weights(target, before)


def test_count_mismatch_names_both_sides_and_changes_nothing(tmp_path):
    two_dense().save_weights(tmp_path / "w.h5")
    target = Sequential([layers.Dense(3, input_dim=4, name="only")])
    before = target.get_weights()
    with pytest.raises(SavedModelError, match=r"w\.h5: the file holds weights for 2 layer\(s\) "
                                              r"\('dense_1', 'dense_2'\) but the model has 1 "
                                              r"layer\(s\) with weights \('only'\).*by_name=True"):
        target.load_weights(tmp_path / "w.h5")
    assert_weights(target, before)


def test_shape_mismatch_names_the_layer_and_both_shapes(tmp_path):
    two_dense().save_weights(tmp_path / "w.h5")
    target = two_dense(units=5)
    before = target.get_weights()
    with pytest.raises(SavedModelError, match=r"layer 'dense_1' \(Dense; #0 of the model's "
                                              r"layers with weights\): weight 'dense_1/kernel:0' "
                                              r"has shape \(4, 5\), but the file's weight "
                                              r"'dense_1/kernel:0' of layer 'dense_1' has shape "
                                              r"\(4, 3\)"):
        target.load_weights(tmp_path / "w.h5")
    assert_weights(target, before)  # dense_1 failed; nothing was set, dense_2 neither
    by_name = Sequential([layers.Dense(5, input_dim=4, name="dense_1")])
    with pytest.raises(SavedModelError, match=r"layer 'dense_1' \(Dense\): weight .* has shape "
                                              r"\(4, 5\), but .* has shape \(4, 3\)"):
        by_name.load_weights(tmp_path / "w.h5", by_name=True)


def test_weight_count_mismatch_in_a_layer(tmp_path):
    two_dense().save_weights(tmp_path / "w.h5")
    target = Sequential([layers.Dense(3, input_dim=4, name="dense_1", bias=False),
                         layers.Dense(2, name="dense_2")])
    with pytest.raises(SavedModelError, match=r"layer 'dense_1' \(Dense; #0 .*\) has 1 "
                                              r"weight\(s\) but the file's layer 'dense_1' has 2 "
                                              r"\(dense_1/kernel:0, dense_1/bias:0\)"):
        target.load_weights(tmp_path / "w.h5")


def test_nested_models_are_one_layer_group(tmp_path):
    inner = Sequential([layers.Dense(3, input_dim=4, name="inner_d")], name="inner")
    x = Input(shape=(4,))
    model = Model(x, layers.Dense(2, name="top")(inner(x)))
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert list(f["inner"].attrs["weight_names"]) == [b"inner_d/kernel:0", b"inner_d/bias:0"]
    inner2 = Sequential([layers.Dense(3, input_dim=4)], name="inner")
    y = Input(shape=(4,))
    other = Model(y, layers.Dense(2)(inner2(y)))
    other.load_weights(tmp_path / "w.h5")
    assert_weights(other, model.get_weights())


def test_keras1_sequential_merge_lists_the_merged_layers(tmp_path):
    def build():
        left = Sequential([layers.Dense(3, input_dim=4)])
        right = Sequential([layers.Dense(2, input_dim=4)])
        model = Sequential([layers.Merge([left, right], mode="concat"), layers.Dense(1)])
        return model

    model = build()
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        names = [n.decode() for n in f.attrs["layer_names"]]
    assert names == [la.name for la in model.layers[0].layers[0].layers] + \
        [la.name for la in model.layers[0].layers[1].layers] + [model.layers[1].name]
    other = build()
    other.load_weights(tmp_path / "w.h5")
    np.testing.assert_array_equal(other.predict([X, X]), model.predict([X, X]))


def test_duplicate_and_unusable_weight_names_are_made_safe(tmp_path):
    from keras_front import backend as K

    class Odd(Layer):
        def build(self, input_shape):
            self.a = K.variable(np.ones(2), name="w")
            self.b = K.variable(np.full(2, 2.0), name="w")
            self.c = K.variable(np.full(2, 3.0), name="/root/escape")
            self.trainable_weights = [self.a, self.b, self.c]
            super().build(input_shape)

        def call(self, inputs, mask=None):
            return inputs * (self.a + self.b + self.c)

    model = Sequential([Odd(input_shape=(2,), name="odd")])
    model.save_weights(tmp_path / "w.h5")
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert [n.decode() for n in f["odd"].attrs["weight_names"]] == ["w", "w_1", "param_2"]
        assert "root" not in f
    other = Sequential([Odd(input_shape=(2,), name="odd")])
    other.layers[0].set_weights([np.zeros(2)] * 3)
    other.load_weights(tmp_path / "w.h5")
    assert_weights(other, model.get_weights())


# ---------------------------------------------------------------- files Keras wrote


def test_a_keras_1_weights_file_loads_by_order_and_by_name(tmp_path):
    weights = reference_weights(7)
    keras1_weights_file(str(tmp_path / "k1.h5"), weights)
    model = Sequential.from_config(KERAS1_SEQUENTIAL["config"])
    model.load_weights(tmp_path / "k1.h5")
    np.testing.assert_allclose(model.predict(X), reference_predict(weights, X), rtol=1e-5)
    by_name = Sequential([layers.Dense(3, input_dim=4, name="dense_1"),
                          layers.Dense(2, name="dense_9")])
    by_name.load_weights(tmp_path / "k1.h5", by_name=True)
    assert_weights(by_name.layers[0], weights[:2])


@pytest.mark.parametrize("backend", ["tensorflow", "theano"])
def test_a_keras_2_weights_file_loads(tmp_path, backend):
    weights = reference_weights(8)
    keras2_weights_file(str(tmp_path / "k2.h5"), weights, backend=backend)
    model = two_dense("x", "y")
    model.load_weights(tmp_path / "k2.h5")
    np.testing.assert_allclose(model.predict(X), reference_predict(weights, X), rtol=1e-5)


def test_a_file_that_is_neither_weights_nor_model(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.create_dataset("data", data=np.ones(3))
    with pytest.raises(SavedModelError, match=r"other\.h5: neither a weights file \(no "
                                              r"'layer_names' attribute\) nor a model file"):
        two_dense().load_weights(tmp_path / "other.h5")


# ---------------------------------------------------------------- convolution kernels


def test_saving_names_the_kernel_helpers_of_np_utils():
    assert convert_kernel is np_utils.flip_kernel
    assert kernels_need_flip is np_utils.kernels_need_flip


class Conv2D(Layer):
    """Stands for a future convolution layer: one (rows, cols) kernel, Keras's class name."""

    def build(self, input_shape):
        self.kernel = self.add_weight((2, 3), "zero", name="kernel")
        super().build(input_shape)

    def call(self, inputs, mask=None):
        return inputs


class FlippingConv2D(Conv2D):
    """The same, with the documented hook."""

    seen: list = []

    def convert_saved_weights(self, weights, keras_version, backend):
        FlippingConv2D.seen.append((keras_version, backend))
        if kernels_need_flip(backend):
            return [convert_kernel(weights[0], spatial_axes=(0, 1))]
        return weights


def _kernel_file(path, backend, kernel):
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"conv"])
        f.attrs["backend"] = np.bytes_(backend.encode())
        f.attrs["keras_version"] = np.bytes_(b"2.1.6")
        f.create_group("conv").attrs["weight_names"] = np.array([b"conv/kernel:0"])
        f["conv"].create_dataset("conv/kernel:0", data=kernel)


def test_the_kernel_hook_flips_tensorflow_kernels(tmp_path):
    kernel = np.arange(6, dtype="float32").reshape(2, 3)
    _kernel_file(tmp_path / "tf.h5", "tensorflow", kernel)
    _kernel_file(tmp_path / "th.h5", "theano", kernel)
    for name, expected in (("tf.h5", kernel[::-1, ::-1]), ("th.h5", kernel)):
        model = Sequential([FlippingConv2D(input_shape=(3,), name="conv")])
        model.load_weights(tmp_path / name)
        np.testing.assert_array_equal(model.get_weights()[0], expected)
    assert FlippingConv2D.seen[-2:] == [("2.1.6", "tensorflow"), ("2.1.6", "theano")]


def test_a_conv_layer_without_the_hook_is_refused_when_a_flip_is_needed(tmp_path):
    kernel = np.arange(6, dtype="float32").reshape(2, 3)
    _kernel_file(tmp_path / "tf.h5", "tensorflow", kernel)
    _kernel_file(tmp_path / "th.h5", "theano", kernel)
    model = Sequential([Conv2D(input_shape=(3,), name="conv")])
    with pytest.raises(SavedModelError, match=r"tf\.h5: layer 'conv' \(Conv2D\) holds "
                                              r"convolution kernels saved with the tensorflow "
                                              r"backend.*no convert_saved_weights method"):
        model.load_weights(tmp_path / "tf.h5")
    model.load_weights(tmp_path / "th.h5")  # same convention: nothing to convert
    np.testing.assert_array_equal(model.get_weights()[0], kernel)
