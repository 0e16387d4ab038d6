"""Every saving test starts with fresh layer-name counters (dense_1, lambda_1, ...);
`other_process()` makes loading behave as in a process that did not write the config."""

import pytest

from keras_front import backend as K
from keras_front.layers import saved_functions


@pytest.fixture(autouse=True)
def fresh_layer_names():
    K.clear_session()
    yield
    K.clear_session()


@pytest.fixture
def other_process(monkeypatch):
    """Call it to forget the Python functions this process wrote into configs (which
    loading would otherwise find again without running their bytecode)."""
    return lambda: monkeypatch.setattr(saved_functions, "_DUMPED", {})
