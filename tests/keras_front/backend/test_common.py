"""K's settings (keras_front/backend/common.py): floatx, epsilon, image ordering, uids."""

import numpy as np
import pytest

from keras_front import backend as K


@pytest.fixture(autouse=True)
def restore_settings():
    saved = (K.floatx(), K.epsilon(), K.image_dim_ordering())
    yield
    K.set_floatx(saved[0])
    K.set_epsilon(saved[1])
    K.set_image_dim_ordering(saved[2])
    K.reset_uids()


def test_defaults_are_keras_1s():
    assert K.floatx() == "float32"
    assert K.epsilon() == pytest.approx(1e-7)
    assert K.image_dim_ordering() == "tf"
    assert K.image_data_format() == "channels_last"
    assert K.backend() == "symgraph"
    # Keras 1 code branching on K._BACKEND gets the conventions K follows: Theano's
    assert K._BACKEND == "theano"


def test_set_floatx_changes_new_variables_and_rejects_unknown_types():
    K.set_floatx("float64")
    assert K.variable(1.0).dtype == "float64"
    assert K.cast_to_floatx([1, 2]).dtype == np.float64
    with pytest.raises(ValueError, match="Unknown floatx type: 'int8'"):
        K.set_floatx("int8")


def test_set_epsilon():
    K.set_epsilon(1e-5)
    assert K.epsilon() == 1e-5


def test_image_ordering_and_data_format_are_two_names_for_one_setting():
    K.set_image_dim_ordering("th")
    assert K.image_data_format() == "channels_first"
    K.set_image_data_format("channels_last")
    assert K.image_dim_ordering() == "tf"
    with pytest.raises(ValueError, match="Unknown dim_ordering: 'xy'"):
        K.set_image_dim_ordering("xy")
    with pytest.raises(ValueError, match="Unknown data_format: 'rows_first'"):
        K.set_image_data_format("rows_first")


def test_settings_assigned_on_the_package_are_honoured():
    # Keras 1.x scripts do `K._IMAGE_DIM_ORDERING = 'th'`.
    K._IMAGE_DIM_ORDERING = "th"
    assert K.image_dim_ordering() == "th"
    K._EPSILON = 1e-3
    assert K.epsilon() == 1e-3


def test_normalize_dim_ordering():
    K.set_image_dim_ordering("th")
    assert K.normalize_dim_ordering("default") == "th"
    assert K.normalize_dim_ordering(None) == "th"
    assert K.normalize_dim_ordering("channels_last") == "tf"
    with pytest.raises(ValueError, match="Unknown dim_ordering: 'nhwc'"):
        K.normalize_dim_ordering("nhwc")


def test_get_uid_counts_per_prefix_until_reset():
    K.reset_uids()
    assert [K.get_uid("dense"), K.get_uid("dense"), K.get_uid("conv"), K.get_uid("dense")] \
        == [1, 2, 1, 3]
    K.reset_uids()
    assert K.get_uid("dense") == 1
