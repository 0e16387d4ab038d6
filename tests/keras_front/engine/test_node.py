"""Node and get_source_inputs (keras_front/engine/node.py)."""

from keras_front.engine import Input, get_source_inputs
from keras_front.layers import Dense, concatenate


def test_nodes_link_layers():
    x = Input(shape=(3,))
    dense = Dense(2)
    y = dense(x)
    (node,) = dense.inbound_nodes
    assert node.input_tensors == [x] and node.output_tensors == [y]
    assert node.input_shapes == [(None, 3)] and node.output_shapes == [(None, 2)]
    input_layer = node.inbound_layers[0]
    assert input_layer.outbound_nodes == [node]
    assert node.get_config() == {"outbound_layer": dense.name,
                                 "inbound_layers": [input_layer.name],
                                 "node_indices": [0], "tensor_indices": [0]}


def test_get_source_inputs_in_order_without_repeats():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    shared = Dense(2)
    merged = concatenate([shared(a), shared(b), a])
    sources = get_source_inputs(merged)
    assert len(sources) == 2 and sources[0] is a and sources[1] is b
    assert get_source_inputs(a)[0] is a
