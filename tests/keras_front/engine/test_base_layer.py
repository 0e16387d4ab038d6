"""Layer and InputSpec (keras_front/engine/base_layer.py): naming, the Keras 1 and Keras 2
ways of writing custom layers, weights, losses, updates and the graph accessors."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import regularizers
from keras_front.engine import Input, InputSpec, Layer
from keras_front.engine.topology import Layer as TopologyLayer
from keras_front.layers import Dense
from keras_front.models import Model

RNG = np.random.default_rng(8)


class Keras1Scale(Layer):
    """A Keras 1.x custom layer: weights assigned in build, get_output_shape_for."""

    def __init__(self, output_dim, **kwargs):
        self.output_dim = output_dim
        super().__init__(**kwargs)

    def build(self, input_shape):
        self.W = K.variable(np.ones((input_shape[1], self.output_dim)), name="W")
        self.trainable_weights = [self.W]

    def call(self, x, mask=None):
        return 2.0 * K.dot(x, self.W)

    def get_output_shape_for(self, input_shape):
        return (input_shape[0], self.output_dim)


class Keras2Bias(Layer):
    """A Keras 2 custom layer: add_weight(name=, shape=), compute_output_shape."""

    def build(self, input_shape):
        self.b = self.add_weight(name="b", shape=(input_shape[-1],), initializer="ones")
        super().build(input_shape)

    def call(self, inputs):
        return inputs + self.b

    def compute_output_shape(self, input_shape):
        return input_shape


def test_default_names_count_per_class():
    K.clear_session()
    assert [Dense(2).name for _ in range(2)] == ["dense_1", "dense_2"]
    assert Keras2Bias().name == "keras2bias_1"
    assert Dense(2, name="mine").name == "mine"


def test_keras1_custom_layer():
    layer = Keras1Scale(3)
    x = Input(shape=(2,))
    y = layer(x)
    assert K.int_shape(y) == (None, 3)
    assert layer.compute_output_shape((None, 2)) == (None, 3)
    data = RNG.random((4, 2)).astype("float32")
    np.testing.assert_allclose(Model(x, y).predict(data), 2 * data.sum(1, keepdims=True) *
                               np.ones((1, 3)), rtol=1e-6)
    assert layer.trainable_weights == [layer.W] and layer.count_params() == 6


def test_keras2_custom_layer_and_topology_import_path():
    assert TopologyLayer is Layer
    layer = Keras2Bias()
    x = Input(shape=(3,))
    y = layer(x)
    assert layer.get_output_shape_for((None, 3)) == (None, 3)
    assert layer.b.name == f"{layer.name}/b:0"
    data = RNG.random((2, 3)).astype("float32")
    np.testing.assert_allclose(Model(x, y).predict(data), data + 1, rtol=1e-6)


def test_layer_without_a_shape_rule_gets_the_inferred_shape():
    class Sum(Layer):
        def call(self, inputs):
            return K.sum(inputs, axis=-1, keepdims=True)

    y = Sum()(Input(shape=(5, 4)))
    assert K.int_shape(y) == (None, 5, 1)


def test_layer_returning_its_input_keeps_the_input_history():
    class PassThrough(Layer):
        def call(self, inputs):
            return inputs[0]

    x, z = Input(shape=(2,)), Input(shape=(2,))
    history = K.get_keras_attr(x, "_keras_history")
    y = PassThrough()([x, z])
    assert y is not x and K.get_keras_attr(x, "_keras_history") == history
    assert K.int_shape(y) == (None, 2)


def test_add_weight_keras1_signature_with_regularizer_and_constraint():
    class W(Layer):
        def build(self, input_shape):
            self.w = self.add_weight((2, 2), "one", "w", True, regularizers.l1(0.5), "nonneg")
            self.frozen = self.add_weight((3,), "zero", name="frozen", trainable=False)

    layer = W()
    layer.build((None, 2))
    assert layer.trainable_weights == [layer.w]
    assert layer.non_trainable_weights == [layer.frozen]
    assert layer.weights == [layer.w, layer.frozen]
    (penalty,) = layer.losses
    assert float(K.eval(penalty)) == pytest.approx(0.5 * 4)
    assert list(layer.constraints) == [layer.w]
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 2


def test_add_weight_errors():
    layer = Layer()
    with pytest.raises(TypeError, match="add_weight needs a shape"):
        layer.add_weight(name="w")
    with pytest.raises(ValueError, match=r"the initializer of 'w' returned shape \(3,\), "
                                         r"expected \(2,\)"):
        layer.add_weight((2,), lambda shape: np.zeros(3), name="w")


def test_get_and_set_weights():
    layer = Dense(2, input_dim=3)
    layer(Input(shape=(3,)))
    new = [np.ones((3, 2)), np.full(2, 5.0)]
    layer.set_weights(new)
    np.testing.assert_array_equal(layer.get_weights()[1], [5.0, 5.0])
    with pytest.raises(ValueError, match="on layer 'dense_\\d+' with a weight list of length 1, "
                                         "but it was expecting 2 weights"):
        layer.set_weights(new[:1])
    with pytest.raises(ValueError, match=r"dense_\d+/kernel:0 has shape \(3, 2\), not "
                                         r"compatible with the provided weight shape \(2, 3\)"):
        layer.set_weights([np.ones((2, 3)), np.ones(2)])


def test_weights_kwarg_sets_initial_weights():
    w = RNG.random((3, 2)).astype("float32")
    layer = Dense(2, weights=[w, np.zeros(2)])
    layer(Input(shape=(3,)))
    np.testing.assert_array_equal(layer.get_weights()[0], w)


def test_count_params_needs_a_built_layer():
    with pytest.raises(RuntimeError, match=r"You tried to call `count_params` on dense_\d+, but "
                                           r"the layer isn't built"):
        Dense(3).count_params()


def test_unknown_keyword_is_refused():
    with pytest.raises(TypeError, match="Dense: keyword argument not understood: 'unit'"):
        Dense(3, unit=4)


def test_input_spec_checks():
    spec = InputSpec(ndim="3+")
    assert spec.min_ndim == 3 and spec.ndim is None

    class Needs3D(Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.input_spec = InputSpec(ndim=3, dtype="float32")

    with pytest.raises(ValueError, match=r"Input 0 is incompatible with layer needs3d_\d+: "
                                         r"expected ndim=3, found ndim=2 \(shape \(None, 4\)\)"):
        Needs3D()(Input(shape=(4,)))
    with pytest.raises(ValueError, match="expected dtype=float32, found dtype=int32"):
        Needs3D()(Input(shape=(4, 2), dtype="int32"))
    with pytest.raises(ValueError, match=r"Layer needs3d_\d+ expects 1 input\(s\), but it "
                                         r"received 2 input tensors"):
        Needs3D()([Input(shape=(4, 2)), Input(shape=(4, 2))])


def test_graph_accessors_single_and_shared_layer():
    layer = Dense(2)
    with pytest.raises(AttributeError, match=r"Layer dense_\d+ is not connected"):
        layer.output  # noqa: B018
    a, b = Input(shape=(3,)), Input(shape=(3,))
    ya = layer(a)
    assert layer.input is a and layer.output is ya and layer.output_shape == (None, 2)
    yb = layer(b)
    assert layer.get_output_at(1) is yb and layer.get_input_at(0) is a
    assert layer.input_shape == (None, 3)  # both calls had the same shape
    with pytest.raises(AttributeError, match="has multiple inbound nodes, hence the notion of "
                                             "\"layer output\" is ill-defined"):
        layer.output  # noqa: B018
    with pytest.raises(ValueError, match=r"Asked to get output at node 2, but the layer dense_\d+ "
                                         r"has only 2 inbound nodes"):
        layer.get_output_at(2)


def test_losses_and_updates_per_call():
    class Counter(Layer):
        def build(self, input_shape):
            self.count = self.add_weight((), "zero", name="count", trainable=False)

        def call(self, inputs):
            self.add_update([(self.count, self.count + 1)], inputs=inputs)
            self.add_loss(K.sum(inputs), inputs=inputs)
            self.add_loss(0.0)  # kept as given, as Keras keeps it
            return inputs

    layer = Counter()
    a, b = Input(shape=(2,)), Input(shape=(2,))
    layer(a)
    layer(b)
    assert len(layer.get_losses_for(a)) == 1 and len(layer.get_losses_for([b])) == 1
    assert len(layer.losses) == 4 and len(layer.updates) == 2
    assert layer.get_losses_for(None) == [0.0, 0.0] and len(layer.get_updates_for(a)) == 1


def test_keras1_bound_regularizers_count_as_losses():
    class Old(Layer):
        def build(self, input_shape):
            self.W = K.variable(np.full((2, 2), 3.0))
            self.trainable_weights = [self.W]
            reg = regularizers.l2(0.1)
            reg.set_param(self.W)
            self.regularizers = [reg]

    layer = Old()
    layer.build((None, 2))
    (penalty,) = layer.losses
    assert float(K.eval(penalty)) == pytest.approx(0.1 * 9 * 4)


def test_calling_on_a_plain_placeholder_gives_a_tensor_with_shape():
    x = K.placeholder(shape=(None, 3))
    layer = Dense(4)
    y = layer(x)
    assert K.int_shape(y) == (None, 4) and layer.inbound_nodes == []


def test_keras1_layers_may_append_to_their_lists():
    class Appending(Layer):
        def build(self, input_shape):
            self.W = K.variable(np.ones((2, 2)))
            self.trainable_weights.append(self.W)
            reg = regularizers.l1(1.0)
            reg.set_param(self.W)
            self.regularizers.append(reg)

    layer = Appending()
    layer.build((None, 2))
    assert layer.trainable_weights == [layer.W]
    assert float(K.eval(layer.losses[0])) == pytest.approx(4.0)


def test_input_and_output_mask_of_a_layer_called_twice_raise():
    # Regression: with calls on differently masked inputs, input_mask / output_mask
    # silently answered with the first call's masks (calls compared by repr).
    from keras_front.layers import Masking

    class PassMask(Layer):
        supports_masking = True

    layer = PassMask()
    a, b = Input(shape=(2, 3)), Input(shape=(2, 3))
    layer(Masking(0.0)(a))
    assert layer.input_mask is not None and layer.output_mask is layer.input_mask
    layer(Masking(1.0)(b))
    for attribute in ("input_mask", "output_mask"):
        with pytest.raises(AttributeError, match=r"multiple inbound nodes, hence the notion "
                                                 r"of \"layer (input|output) mask\" is "
                                                 r"ill-defined"):
            getattr(layer, attribute)
    assert layer.get_input_mask_at(0) is not layer.get_input_mask_at(1)
    assert layer.input_shape == (None, 2, 3)  # shapes are values: equal ones are the answer
