"""Checks before a layer allocates a weight (keras_front/engine/allocation.py)."""

import threading

import pytest

from keras_front import layers
from keras_front.engine.allocation import (
    check_new_weight,
    describe_bytes,
    physical_memory,
    weight_budget,
)
from keras_front.models import Sequential


class Refused(Exception):
    pass


def test_a_weight_larger_than_memory_fails_at_once_naming_the_layer():
    memory = physical_memory()
    assert memory is not None and memory > 0
    with pytest.raises(MemoryError, match=r"layer 'huge' \(Dense\) would create the weight "
                                          r"'kernel' of shape \(10000000, 10000000\) "
                                          r"\(float32, 100,000,000,000,000 values, 363.8 TB\): "
                                          r"more than this machine's .* of memory; refused "
                                          r"before allocating it"):
        Sequential([layers.Dense(10**7, input_dim=10**7, name="huge")])


def test_the_budget_counts_every_weight_and_refuses_the_one_past_it():
    with weight_budget(4 * 3 + 3 + 3 * 2, lambda what: Refused(what)):
        Sequential([layers.Dense(3, input_dim=4), layers.Dense(2, use_bias=False)])
    with pytest.raises(Refused, match=r"layer 'last' \(Dense\) would create the weight 'bias' "
                                      r"of shape \(2,\) \(float32, 2 values, 8 bytes\); with it "
                                      r"the model needs at least 23 weight values, more than "
                                      r"the 21 the file's weights hold"), \
            weight_budget(21, lambda what: Refused(what)):
        Sequential([layers.Dense(3, input_dim=4), layers.Dense(2, name="last")])
    # outside the block, and in other threads, there is no budget
    Sequential([layers.Dense(30, input_dim=40)])
    built = []
    with weight_budget(0, lambda what: Refused(what)):
        thread = threading.Thread(target=lambda: built.append(
            Sequential([layers.Dense(3, input_dim=4)])))
        thread.start()
        thread.join()
    assert len(built) == 1 and isinstance(built[0], Sequential)


def test_check_new_weight_by_itself():
    layer = layers.Dense(2, name="d")
    check_new_weight(layer, "w", (3, 4), "float64")
    with pytest.raises(Refused, match=r"'w' of shape \(3, 4\) \(float64, 12 values, 96 "
                                      r"bytes\); with it the model needs at least 12"), \
            weight_budget(11, lambda what: Refused(what)):
        check_new_weight(layer, "w", (3, 4), "float64")


@pytest.mark.parametrize("n, text", [(0, "0 bytes"), (1023, "1023 bytes"), (1536, "1.5 KB"),
                                     (3 * 2**30, "3.0 GB"), (2**62, "4096.0 PB")])
def test_describe_bytes(n, text):
    assert describe_bytes(n) == text
