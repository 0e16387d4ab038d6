"""Every saving test starts with fresh layer-name counters (dense_1, lambda_1, ...)."""

import pytest

from keras_front import backend as K


@pytest.fixture(autouse=True)
def fresh_layer_names():
    K.clear_session()
    yield
    K.clear_session()
