"""Test helpers for keras_front layers: `layer_test` is keras_front.utils.test_utils's (the
public helper with Keras 1.2.2's signature), re-exported here for the test modules.

    from tests.keras_front.helpers import layer_test
    out = layer_test(Dense, {'units': 3}, input_shape=(2, 4), expected_output=...)
"""

from keras_front.utils.test_utils import layer_test

__all__ = ["layer_test"]
