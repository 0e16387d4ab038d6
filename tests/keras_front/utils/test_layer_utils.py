"""Model summaries (keras_front/utils/layer_utils.py): Keras's table, golden text."""

from keras_front import backend as K
from keras_front.engine import Input
from keras_front.layers import Dense, Dropout, concatenate
from keras_front.models import Model, Sequential
from keras_front.utils.layer_utils import layer_from_config


def _row(*fields):
    line = ""
    for field, end in zip(fields, (33, 55, 67, 100), strict=False):
        line = (line + field)[:end].ljust(end)
    return line.rstrip()


def _summary(model):
    lines = []
    model.summary(print_fn=lines.append)
    return lines


def test_sequential_summary():
    K.clear_session()
    model = Sequential([Dense(32, input_dim=784), Dropout(0.5), Dense(10)])
    assert _summary(model) == [
        "_" * 100,
        _row("Layer (type)", "Output Shape", "Param #", "Connected to"),
        "=" * 100,
        _row("dense_1 (Dense)", "(None, 32)", "25120", "dense_input_1[0][0]"),
        "_" * 100,
        _row("dropout_1 (Dropout)", "(None, 32)", "0", "dense_1[0][0]"),
        "_" * 100,
        _row("dense_2 (Dense)", "(None, 10)", "330", "dropout_1[0][0]"),
        "=" * 100,
        "Total params: 25,450",
        "Trainable params: 25,450",
        "Non-trainable params: 0",
        "_" * 100,
    ]


def test_functional_summary_lists_inputs_and_every_connection():
    K.clear_session()
    a, b = Input(shape=(3,)), Input(shape=(2,))
    frozen = Dense(4)
    frozen.trainable = False
    model = Model([a, b], concatenate([frozen(a), Dense(4)(b)]))
    lines = _summary(model)
    assert lines[3] == _row("input_1 (InputLayer)", "(None, 3)", "0")
    assert lines[5] == _row("input_2 (InputLayer)", "(None, 2)", "0")
    assert lines[11] == _row("concatenate_1 (Concatenate)", "(None, 8)", "0", "dense_1[0][0]")
    assert lines[12] == _row("", "", "", "dense_2[0][0]")
    assert lines[-4:] == ["Total params: 28", "Trainable params: 12",
                          "Non-trainable params: 16", "_" * 100]


def test_layer_from_config():
    layer = layer_from_config({"class_name": "Dense", "config": {"output_dim": 3}})
    assert isinstance(layer, Dense) and layer.units == 3
