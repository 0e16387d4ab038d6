"""Container (keras_front/engine/network.py): tracing the layer graph, errors by message,
models used as layers, shared layers, weights and the losses a model collects."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import regularizers
from keras_front.engine import Container, Input, Layer
from keras_front.layers import Activation, ActivityRegularization, Dense, concatenate
from keras_front.models import Model, Sequential

RNG = np.random.default_rng(9)


def _dense_np(layer, x):
    w, b = layer.get_weights()
    return x @ w + b


def test_two_input_model_traces_layers_inputs_first():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    da, db = Dense(4, name="da"), Dense(4, name="db")
    out = Dense(1, name="out")(concatenate([da(a), db(b)], name="cat"))
    model = Model(input=[a, b], output=out)
    assert [layer.name for layer in model.layers] == ["a", "b", "da", "db", "cat", "out"]
    assert model.input_names == ["a", "b"] and model.output_names == ["out"]
    assert model.internal_input_shapes == [(None, 3), (None, 2)]
    xa, xb = RNG.random((5, 3)).astype("float32"), RNG.random((5, 2)).astype("float32")
    hidden = np.concatenate([_dense_np(da, xa), _dense_np(db, xb)], -1)
    expected = _dense_np(model.get_layer("out"), hidden)
    np.testing.assert_allclose(model.predict([xa, xb]), expected, rtol=1e-5)
    assert model.get_layer(index=2) is da
    assert isinstance(model, Container)


def test_model_argument_errors():
    x = Input(shape=(3,))
    y = Dense(2)(x)
    with pytest.raises(TypeError, match=r"Pass either `input` \(Keras 1\) or `inputs` \(Keras "
                                        r"2\), not both"):
        Model(input=x, inputs=x, outputs=y)
    with pytest.raises(TypeError, match="Input tensors to a Model must be Keras tensors"):
        Model(K.placeholder(shape=(None, 3)), y)
    with pytest.raises(ValueError, match="The list of inputs passed to the model is redundant"):
        Model([x, x], y)


def test_graph_disconnected():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    out = concatenate([Dense(2)(a), Dense(2)(b)])
    with pytest.raises(ValueError, match=r"Graph disconnected: cannot obtain value for tensor "
                                         r".* at layer 'input_\d+' \(an input the model was "
                                         r"not given\)"):
        Model(a, out)


def test_layer_names_must_be_unique():
    x = Input(shape=(2,))
    y = Dense(2, name="twin")(Dense(2, name="twin")(x))
    with pytest.raises(ValueError, match="The name 'twin' is used 2 times in the model"):
        Model(x, y)


def test_get_layer_errors():
    x = Input(shape=(2,))
    model = Model(x, Dense(2)(x))
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="Was asked to retrieve layer at index 5 but model only "
                                         "has 2 layers"):
        model.get_layer(index=5)


def test_model_called_as_a_layer_on_new_inputs():
    x = Input(shape=(3,))
    inner = Model(x, Activation("tanh")(Dense(2)(x)))
    z = Input(shape=(3,))
    outer = Model(z, Dense(1)(inner(z)))
    assert K.int_shape(outer.output) == (None, 1)
    assert len(outer.trainable_weights) == 4
    data = RNG.random((4, 3)).astype("float32")
    hidden = np.tanh(_dense_np(inner.layers[1], data))
    np.testing.assert_allclose(outer.predict(data), _dense_np(outer.layers[-1], hidden),
                               rtol=1e-5)
    inner.trainable = False
    assert len(outer.trainable_weights) == 2 and len(outer.non_trainable_weights) == 2


def test_shared_layer_weights_counted_once():
    a, b = Input(shape=(3,)), Input(shape=(3,))
    shared = Dense(2)
    model = Model([a, b], concatenate([shared(a), shared(b)]))
    assert len(model.trainable_weights) == 2 and len(model.get_weights()) == 2
    xa, xb = RNG.random((2, 3)).astype("float32"), RNG.random((2, 3)).astype("float32")
    expected = np.concatenate([_dense_np(shared, xa), _dense_np(shared, xb)], -1)
    np.testing.assert_allclose(model.predict([xa, xb]), expected, rtol=1e-5)


def test_set_weights_layer_by_layer():
    x = Input(shape=(2,))
    model = Model(x, Dense(1)(Dense(3)(x)))
    shapes = [w.shape for w in model.get_weights()]
    assert shapes == [(2, 3), (3,), (3, 1), (1,)]
    model.set_weights([np.ones(s) for s in shapes])
    np.testing.assert_allclose(model.predict(np.ones((1, 2), "float32")), [[10.0]])
    with pytest.raises(ValueError, match="on model '.+' with a weight list of length 1, but it was "
                                         "expecting 4 weights"):
        model.set_weights([np.ones((2, 3))])
    with pytest.raises(ValueError, match=r"not compatible with the provided weight shape \(3, 2\)"):
        model.set_weights([np.ones((3, 2)), np.ones(3), np.ones((3, 1)), np.ones(1)])


def test_losses_collected_from_layers_and_nested_models():
    x = Input(shape=(2,))
    reg = Dense(2, W_regularizer=regularizers.l2(0.5), weights=[np.eye(2), np.zeros(2)])
    inner = Model(x, ActivityRegularization(l1=1.0)(reg(x)))
    z = Input(shape=(2,))
    outer = Model(z, inner(z))
    data = np.array([[1.0, -2.0], [3.0, 0.0]], "float32")
    # The weight penalty once, the activity penalty for the call on z.
    assert len(inner.losses) == 2 and len(outer.losses) == 2
    values = K.function([z], outer.losses)([data])
    expected = sorted([0.5 * 2.0, np.abs(data).mean(0).sum()])
    np.testing.assert_allclose(sorted(float(v) for v in values), expected, rtol=1e-6)


def test_compute_output_shape_for_other_batch_sizes():
    x = Input(shape=(4,))
    model = Model(x, Dense(3)(x))
    assert model.compute_output_shape((None, 4)) == (None, 3)
    assert model.compute_output_shape((7, 4)) == (7, 3)
    assert model.losses == []


def test_model_uses_learning_phase_when_it_has_dropout():
    from keras_front.layers import Dropout
    x = Input(shape=(3,))
    assert not Model(x, Dense(2)(x)).uses_learning_phase
    assert Model(x, Dropout(0.5)(x)).uses_learning_phase


def test_sequential_inside_a_functional_model():
    seq = Sequential([Dense(2, input_dim=3), Activation("relu")])
    x = Input(shape=(3,))
    model = Model(x, seq(x))
    data = RNG.standard_normal((4, 3)).astype("float32")
    np.testing.assert_allclose(model.predict(data),
                               np.maximum(_dense_np(seq.layers[0], data), 0), rtol=1e-5)


def test_updates_of_a_nested_model_follow_its_calls():
    class Count(Layer):
        def build(self, input_shape):
            self.n = self.add_weight((), "zero", name="n", trainable=False)

        def call(self, inputs):
            self.add_update([(self.n, self.n + 1)], inputs=inputs)
            return inputs

    x = Input(shape=(2,))
    inner = Model(x, Count()(x))
    z = Input(shape=(2,))
    outer = Model(z, inner(z))
    assert len(inner.updates) == 1 and len(outer.updates) == 1
    assert outer.updates[0] is not inner.updates[0]


# ------------------------------------------------------------ growing a Sequential


def _graph_state(model):
    """Everything _init_graph derives from the inputs and outputs, comparable."""
    return {
        "layers": [id(layer) for layer in model._network_layers],
        "nodes_by_depth": {d: [id(n) for n in nodes]
                           for d, nodes in sorted(model.nodes_by_depth.items())},
        "nodes": {id(n) for n in model._network_nodes},
        "outputs": [id(x) for x in model.outputs],
        "output_layers": [id(layer) for layer in model.output_layers],
        "output_names": list(model.output_names),
        "output_indices": (model.output_layers_node_indices,
                           model.output_layers_tensor_indices),
        "shapes": (model.internal_input_shapes, model.internal_output_shapes),
        "own_node": (id(model.inbound_nodes[0].output_tensors[0]), len(model.inbound_nodes)),
    }


def test_sequential_add_grows_the_graph_as_a_full_trace_would():
    model = Sequential([Dense(4, input_dim=3), Activation("tanh"), Dense(2),
                        ActivityRegularization(l1=0.1), Dense(5)])
    grown = _graph_state(model)
    model._init_graph(model.inputs, model.outputs)  # trace everything again
    assert _graph_state(model) == grown
    assert sorted(model.nodes_by_depth) == [0, 1, 2, 3, 4, 5]
    x = np.random.rand(6, 3).astype("float32")
    model.compile("sgd", "mse")
    w1, b1, w2, b2, w3, b3 = model.get_weights()
    expected = (np.tanh(x @ w1 + b1) @ w2 + b2) @ w3 + b3
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5)
    assert len(model.losses) == 1


def test_sequential_add_does_not_trace_the_whole_graph_each_time(monkeypatch):
    """Tracing per add made building n layers O(n^2) (O(n^3) with the name check)."""
    from keras_front.engine import network

    calls = []
    original = network.map_graph
    monkeypatch.setattr(network, "map_graph", lambda *a: calls.append(1) or original(*a))
    model = Sequential([Dense(4, input_dim=3)])
    for i in range(30):
        model.add(Dense(4) if i % 2 else Activation("relu"))
    assert len(calls) == 1  # the first layer's; every later add extends the graph
    assert len(model.nodes_by_depth) == 32 and len(model.layers) == 31


def test_sequential_add_of_a_layer_already_in_the_model_traces_it_all():
    shared = Dense(3, name="shared")
    model = Sequential([Dense(3, input_dim=3), shared])
    model.add(shared)  # called twice: one layer at two depths
    grown = _graph_state(model)
    model._init_graph(model.inputs, model.outputs)
    assert _graph_state(model) == grown
    assert [layer.name for layer in model._network_layers].count("shared") == 1
    with pytest.raises(ValueError, match="The name 'shared' is used 2 times in the model"):
        model.add(Dense(3, name="shared"))


def test_nodes_by_depth_can_be_replaced():
    model = Sequential([Dense(2, input_dim=2), Dense(2)])
    by_depth = dict(model.nodes_by_depth)
    model.nodes_by_depth = {}
    assert model.nodes_by_depth == {}
    model.nodes_by_depth = by_depth
    assert model.nodes_by_depth == by_depth
