"""train_on_batch from several threads: every step counts (symgraph serializes the calls
of functions that update the same shared variables)."""

import threading

import numpy as np

from keras_front import backend as K
from keras_front.layers import Dense
from keras_front.models import Sequential


def test_train_on_batch_from_8_threads_advances_iterations_by_every_call():
    model = Sequential([Dense(4, input_dim=3, activation="relu"), Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    x = rng.random((8, 3)).astype("float32")
    y = rng.random((8, 1)).astype("float32")

    def work():
        for _ in range(200):
            model.train_on_batch(x, y)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:  # the first calls compile the train function concurrently too
        t.start()
    for t in threads:
        t.join()
    assert int(K.get_value(model.optimizer.iterations)) == 1600
    assert all(np.all(np.isfinite(w)) for w in model.get_weights())
