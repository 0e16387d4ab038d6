"""Generator loops (keras_front/engine/training_generator.py): Keras 1 sample counts and
Keras 2 step counts, validation from arrays or generators, weighted averages."""

import numpy as np
import pytest

from keras_front import optimizers
from keras_front.layers import Dense
from keras_front.models import Sequential

RNG = np.random.default_rng(13)
X = RNG.standard_normal((20, 3)).astype("float32")
Y = RNG.standard_normal((20, 1)).astype("float32")
W = RNG.standard_normal((3, 1)).astype("float32")


def frozen_model():
    model = Sequential([Dense(1, input_dim=3, weights=[W, np.zeros(1, "float32")])])
    model.compile(optimizers.SGD(lr=0.0), "mse")
    return model


class Batches:
    """An endless generator of (x, y) batches of the given sizes, counting draws."""

    def __init__(self, sizes, with_y=True):
        self.sizes, self.with_y, self.drawn, self.start = sizes, with_y, 0, 0

    def __iter__(self):
        return self

    def __next__(self):
        size = self.sizes[self.drawn % len(self.sizes)]
        self.drawn += 1
        idx = np.arange(self.start, self.start + size) % len(X)
        self.start += size
        return (X[idx], Y[idx]) if self.with_y else X[idx]


def test_fit_generator_keras1_counts_samples():
    gen = Batches([4])
    with pytest.warns(UserWarning, match="Epoch comprised more than `samples_per_epoch`"):
        history = frozen_model().fit_generator(gen, 10, 2, verbose=0)  # samples, nb_epoch
    assert gen.drawn == 6 and history.epoch == [0, 1]   # 3 batches (12 >= 10 samples) per epoch


def test_fit_generator_keras2_counts_steps_with_validation():
    gen = Batches([5])
    history = frozen_model().fit_generator(gen, steps_per_epoch=4, epochs=1, verbose=0,
                                           validation_data=(X, Y))
    assert gen.drawn == 4
    expected = ((X @ W - Y) ** 2).mean()
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)


def test_fit_generator_gives_callbacks_the_validation_arrays_and_skips_a_cut_epoch():
    from keras_front.callbacks import Callback

    class Probe(Callback):
        def __init__(self):
            super().__init__()
            self.logged, self.arrays = [], None

        def on_batch_end(self, batch, logs=None):
            self.arrays = self.model.validation_data
            if len(self.logged) == 1 and batch == 0:
                self.model.stop_training = True

        def on_epoch_end(self, epoch, logs=None):
            self.logged.append(sorted(logs))

    probe = Probe()
    history = frozen_model().fit_generator(Batches([5]), steps_per_epoch=2, epochs=4,
                                           verbose=0, validation_data=(X, Y, np.ones(20)),
                                           callbacks=[probe])
    assert probe.logged == [["loss", "val_loss"], ["loss"]] and history.epoch == [0, 1]
    assert [a.shape for a in probe.arrays] == [(20, 3), (20, 1), (20,)]


def test_fit_generator_with_a_validation_generator():
    val = Batches([10])
    history = frozen_model().fit_generator(Batches([5]), samples_per_epoch=5, nb_epoch=1,
                                           verbose=0, validation_data=val, nb_val_samples=20)
    assert val.drawn == 2 and "val_loss" in history.history


def test_evaluate_generator_weights_batches_by_size():
    model = frozen_model()
    loss = model.evaluate_generator(Batches([15, 5]), val_samples=20)
    assert loss == pytest.approx(((X @ W - Y) ** 2).mean(), rel=1e-5)
    assert model.evaluate_generator(Batches([15, 5]), steps=2) == pytest.approx(loss)


def test_predict_generator_concatenates():
    model = frozen_model()
    np.testing.assert_allclose(model.predict_generator(Batches([8, 12], with_y=False), 20),
                               X @ W, rtol=1e-5)
    np.testing.assert_allclose(model.predict_generator(Batches([10]), steps=2), X @ W,
                               rtol=1e-5)


def test_sequence_objects_are_read_by_index():
    class Seq:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return X[5 * i:5 * i + 5], Y[5 * i:5 * i + 5]

    model = frozen_model()
    assert model.evaluate_generator(Seq()) == pytest.approx(((X @ W - Y) ** 2).mean(), rel=1e-5)
    assert model.fit_generator(Seq(), epochs=2, verbose=0).epoch == [0, 1]


def test_generator_argument_errors():
    model = frozen_model()
    with pytest.raises(TypeError, match="pass a number of samples .Keras 1. or of steps"):
        model.evaluate_generator(Batches([5]), 10, steps=2)
    with pytest.raises(ValueError, match="say how many batches to draw"):
        model.evaluate_generator(Batches([5]))
    with pytest.raises(ValueError, match="output of generator should be a tuple"):
        model.fit_generator(Batches([5], with_y=False), 5, 1, verbose=0)
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments: \['workerz'\]"):
        model.fit_generator(Batches([5]), 5, 1, workerz=2)
    model.fit_generator(Batches([5]), steps_per_epoch=1, epochs=1, verbose=0, workers=2,
                        use_multiprocessing=True, max_queue_size=3)
