"""Input and InputLayer (keras_front/engine/input_layer.py)."""

import pytest

from keras_front import backend as K
from keras_front.engine import Input, InputLayer


def test_input_shape_dtype_name():
    K.clear_session()
    x = Input(shape=(784,))
    assert K.int_shape(x) == (None, 784) and K.dtype(x) == "float32"
    layer, node_index, tensor_index = K.get_keras_attr(x, "_keras_history")
    assert isinstance(layer, InputLayer) and (node_index, tensor_index) == (0, 0)
    assert layer.name == "input_1" and x.name == "input_1"
    y = Input(batch_shape=(32, 3, 4), dtype="int32", name="ids")
    assert K.int_shape(y) == (32, 3, 4) and K.dtype(y) == "int32" and y.name == "ids"
    assert K.int_shape(Input(5, batch_size=8)) == (8, 5)


def test_input_layer_config_and_no_weights():
    layer = InputLayer(input_shape=(3,), name="inp")
    assert layer.get_config() == {"batch_input_shape": (None, 3), "input_dtype": "float32",
                                  "sparse": False, "name": "inp"}
    assert layer.trainable_weights == [] and layer.count_params() == 0
    assert InputLayer.from_config(layer.get_config()).batch_input_shape == (None, 3)


def test_input_wraps_an_existing_tensor():
    t = K.placeholder(shape=(None, 6))
    x = Input(tensor=t)
    assert x is t and K.int_shape(x) == (None, 6)


def test_input_needs_a_shape():
    with pytest.raises(ValueError, match="Please provide to Input either a `shape` or a "
                                         "`batch_shape` argument"):
        Input()
    with pytest.raises(NotImplementedError, match="symgraph has no sparse tensors"):
        Input(shape=(3,), sparse=True)
