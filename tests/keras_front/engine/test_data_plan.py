"""The DataPlan hook of the training loops: the local plan is Keras's loop, and a plan the
optimizer brings decides the rows of each step, the per-step state, the validation rows
and how results combine (checked with a recording plan, no MPI)."""

from __future__ import annotations

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.engine.data_plan import LOCAL, DataPlan, plan_of
from keras_front.engine.training_utils import make_batches
from keras_front.layers import Dense
from keras_front.models import Sequential
from keras_front.optimizers import SGD


def test_the_local_plan_is_every_batch_in_order():
    assert LOCAL.batches(10, 4) == [(s, e, e - s) for s, e in make_batches(10, 4)]
    assert LOCAL.rows(7) == (0, 7) and LOCAL.average([1.0, 2.0], 3) == [1.0, 2.0]
    order, shuffled = LOCAL.epoch_order(np.arange(6), False, 2)
    assert not shuffled and list(order) == list(range(6))
    np.random.seed(1)
    order, shuffled = LOCAL.epoch_order(np.arange(8), "batch", 2)
    assert shuffled and sorted(order) == list(range(8))
    assert all(order[i + 1] == order[i] + 1 for i in range(0, 8, 2))   # whole batches


class Recording(DataPlan):
    """Trains on the first half of each epoch only, validates on rows 1.., and records."""

    def __init__(self):
        self.sizes, self.averaged, self.ended = [], [], False

    def batches(self, n_samples, batch_size):
        return super().batches(n_samples // 2, batch_size)

    def before_batch(self, size):
        self.sizes.append(size)

    def rows(self, n_samples):
        return 1, n_samples

    def average(self, values, weight):
        self.averaged.append(weight)
        return [v * 0 + 7.0 for v in values]

    def agree_to_stop(self, stop):
        return True       # stops after the first epoch

    def end(self):
        self.ended = True


@pytest.mark.parametrize("generator", [False, True])
def test_fit_follows_the_plan_of_the_optimizer(generator):
    K.clear_session()
    model = Sequential([Dense(2, input_dim=3)])
    optimizer = SGD(lr=0.1)
    optimizer.data_plan = plan = Recording()
    model.compile(optimizer=optimizer, loss="mse")
    assert plan_of(model) is plan and plan_of(Sequential()) is LOCAL
    x, y = np.random.rand(20, 3).astype("float32"), np.random.rand(20, 2).astype("float32")
    validation = (x[:5], y[:5])
    if generator:
        def batches():
            while True:
                yield x[:4], y[:4]
        history = model.fit_generator(batches(), steps_per_epoch=3, epochs=3,
                                      validation_data=validation, verbose=0)
        assert plan.sizes == [4, 4, 4]
    else:
        history = model.fit(x, y, batch_size=4, nb_epoch=3, validation_data=validation,
                            verbose=0)
        assert plan.sizes == [4, 4, 2]            # the first 10 of 20 samples
    assert history.epoch == [0]                   # the plan stopped training
    assert plan.averaged == [4] and history.history["val_loss"] == [7.0]
    assert plan.ended
