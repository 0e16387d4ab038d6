"""Argument helpers (keras_front/layers/arguments.py): Keras 1 / Keras 2 spellings."""

import pytest

from keras_front.layers import arguments
from keras_front.layers.arguments import input_dim_to_shape, is_activation_name, renamed


def test_renamed_takes_either_name():
    assert renamed("L", ("border_mode", "same"), ("padding", None)) == "same"
    assert renamed("L", ("border_mode", None), ("padding", "valid")) == "valid"
    assert renamed("L", ("border_mode", None), ("padding", None), "valid") == "valid"
    assert renamed("L", ("nb_filter", 3), ("filters", 3)) == 3


def test_renamed_refuses_two_different_values():
    with pytest.raises(TypeError, match=r"Conv2D: `border_mode` \(Keras 1\) and `padding` "
                                        r"\(Keras 2\) are the same argument; got "
                                        r"border_mode='same' and padding='valid'"):
        renamed("Conv2D", ("border_mode", "same"), ("padding", "valid"))


def test_input_dim_to_shape():
    kwargs = {}
    input_dim_to_shape(kwargs, 7)
    assert kwargs == {"input_shape": (7,)}
    kwargs = {"batch_input_shape": (4, 3)}
    input_dim_to_shape(kwargs, 7)
    assert "input_shape" not in kwargs


def test_is_activation_name():
    assert is_activation_name("relu") and is_activation_name("softmax")
    assert not is_activation_name("glorot_uniform") and not is_activation_name(3)


def test_drop_rate_takes_p_or_rate_and_checks_the_range():
    assert arguments.drop_rate("Dropout", 0.25, None) == 0.25
    assert arguments.drop_rate("Dropout", None, 0.5) == 0.5
    assert arguments.drop_rate("Dropout", 0, None) == 0.0
    with pytest.raises(TypeError, match=r"SpatialThing needs the drop rate: SpatialThing\(p\)"):
        arguments.drop_rate("SpatialThing", None, None)
    with pytest.raises(ValueError, match=r"Dropout rate must be in \[0, 1\), got -0.1"):
        arguments.drop_rate("Dropout", -0.1, None)
    with pytest.raises(TypeError, match="`p` .* and `rate` .* are the same argument"):
        arguments.drop_rate("Dropout", 0.1, 0.2)
