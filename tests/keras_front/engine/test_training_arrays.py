"""The array loops (keras_front/engine/training_arrays.py): validation_split takes the
last samples before shuffling, shuffle modes, callbacks, initial_epoch, progress output."""

import numpy as np
import pytest

from keras_front import optimizers
from keras_front.callbacks import Callback
from keras_front.layers import Dense
from keras_front.models import Sequential

RNG = np.random.default_rng(12)
X = RNG.standard_normal((10, 3)).astype("float32")
Y = RNG.standard_normal((10, 1)).astype("float32")
W = RNG.standard_normal((3, 1)).astype("float32")


def frozen_model():
    """lr = 0: the weights never move, so every loss is known in advance."""
    model = Sequential([Dense(1, input_dim=3, weights=[W, np.zeros(1, "float32")])])
    model.compile(optimizers.SGD(lr=0.0), "mse")
    return model


def per_sample_loss(idx=slice(None)):
    return ((X[idx] @ W - Y[idx]) ** 2).mean(1)


class BatchLosses(Callback):
    def __init__(self):
        super().__init__()
        self.losses, self.calls = [], []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_batch_end(self, batch, logs=None):
        self.losses.append(logs["loss"])
        self.calls.append(f"batch {batch} size {logs['size']}")

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(f"epoch_end {epoch} {sorted(logs)}")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def test_validation_split_holds_out_the_last_samples_before_shuffling():
    model = frozen_model()
    history = model.fit(X, Y, batch_size=3, nb_epoch=2, validation_split=0.3, shuffle=True,
                        verbose=0)
    assert history.history["loss"][0] == pytest.approx(per_sample_loss(slice(0, 7)).mean(),
                                                       rel=1e-5)
    assert history.history["val_loss"] == pytest.approx(
        [per_sample_loss(slice(7, 10)).mean()] * 2, rel=1e-5)


def test_validation_split_needs_samples_on_both_sides():
    with pytest.raises(ValueError, match="validation_split=0.95 of 10 samples leaves 0 for "
                                         "training and 10 for validation"):
        frozen_model().fit(X, Y, validation_split=0.95, verbose=0)


def test_validation_data_with_sample_weights():
    weights = np.array([1, 0, 2, 1, 1, 1, 1, 1, 1, 1], "float32")
    history = frozen_model().fit(X, Y, nb_epoch=1, verbose=0,
                                 validation_data=(X, Y, weights))
    expected = (per_sample_loss() * weights).mean() / (weights != 0).mean()
    assert history.history["val_loss"][0] == pytest.approx(expected, rel=1e-5)


def _batch_losses(shuffle, epochs=1):
    recorder = BatchLosses()
    frozen_model().fit(X, Y, batch_size=2, nb_epoch=epochs, shuffle=shuffle, verbose=0,
                       callbacks=[recorder])
    return np.array(recorder.losses).reshape(epochs, 5)


def test_shuffle_modes():
    in_order = per_sample_loss().reshape(5, 2).mean(1)
    np.testing.assert_allclose(_batch_losses(False)[0], in_order, rtol=1e-5)
    np.random.seed(0)
    shuffled = _batch_losses(True, epochs=2)
    assert not np.allclose(shuffled[0], in_order) and not np.allclose(shuffled[0], shuffled[1])
    # Every epoch still sees every sample once.
    np.testing.assert_allclose(shuffled.mean(1), [in_order.mean()] * 2, rtol=1e-5)
    # 'batch' keeps batches whole: the same batch losses in another order.
    np.random.seed(1)
    by_batch = _batch_losses("batch")[0]
    np.testing.assert_allclose(np.sort(by_batch), np.sort(in_order), rtol=1e-5)


def test_callbacks_see_the_loop_in_order():
    recorder = BatchLosses()
    model = frozen_model()
    history = model.fit(X[:5], Y[:5], batch_size=3, nb_epoch=3, initial_epoch=1, verbose=0,
                        callbacks=[recorder], validation_data=(X, Y))
    assert recorder.calls == [
        "train_begin", "epoch_begin 1", "batch 0 size 3", "batch 1 size 2",
        "epoch_end 1 ['loss', 'val_loss']", "epoch_begin 2", "batch 0 size 3",
        "batch 1 size 2", "epoch_end 2 ['loss', 'val_loss']", "train_end"]
    assert recorder.params["nb_epoch"] == 3 and recorder.params["nb_sample"] == 5
    assert recorder.params["metrics"] == ["loss", "val_loss"]
    assert recorder.model is model and history.epoch == [1, 2]
    assert model.history is history


def test_stop_training_ends_the_loop():
    class Stop(Callback):
        def on_batch_end(self, batch, logs=None):
            self.model.stop_training = True

    history = frozen_model().fit(X, Y, batch_size=2, nb_epoch=5, verbose=0, callbacks=[Stop()])
    assert history.epoch == [0]


class StopAt(Callback):
    """Sets stop_training at one (epoch, batch) and records what the epochs logged."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch, self.logged = (epoch, batch), None, []

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        self.logged.append(sorted(logs))


@pytest.mark.parametrize("batch", [0, 2], ids=["first batch", "last batch"])
def test_an_epoch_cut_short_by_stop_training_is_not_validated(batch):
    # Keras validates after the last batch, once the stop_training check let it pass.
    stop = StopAt(1, batch)
    history = frozen_model().fit(X, Y, batch_size=3, nb_epoch=5, validation_split=0.3,
                                 verbose=0, callbacks=[stop])
    assert history.epoch == [0, 1]
    assert stop.logged == [["loss", "val_loss"], ["loss"]]
    assert history.history["val_loss"] == pytest.approx([per_sample_loss(slice(7, 10)).mean()],
                                                        rel=1e-5)


def test_callbacks_read_the_validation_arrays_on_the_model_keras_1_style():
    seen = []

    class ReadsValidation(Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append((self.model.validation_data, self.validation_data))

    model = frozen_model()
    model.fit(X, Y, nb_epoch=1, validation_data=(X[:4], Y[:4]), verbose=0,
              callbacks=[ReadsValidation()])
    from_model, from_callback = seen[0]
    assert from_model is from_callback
    np.testing.assert_array_equal(from_model[0], X[:4])
    np.testing.assert_array_equal(from_model[1], Y[:4])
    np.testing.assert_array_equal(from_model[2], np.ones(4))   # the sample weights
    model.fit(X, Y, nb_epoch=1, verbose=0, callbacks=[ReadsValidation()])
    assert seen[1] == (None, None)


def test_a_user_replacement_of_the_train_function_is_called_with_a_list():
    # The loops call K.Function.unchecked(*arrays); anything else gets the list, as in Keras.
    model = frozen_model()
    model._make_train_function()
    compiled, calls = model.train_function, []

    def replacement(arrays):
        calls.append([a.shape for a in arrays])
        return compiled(arrays)

    model.train_function = replacement
    history = model.fit(X, Y, batch_size=4, nb_epoch=1, shuffle=False, verbose=0)
    # x, y, sample weights, then the learning phase (a scalar)
    assert calls == [[(4, 3), (4, 1), (4,), ()], [(4, 3), (4, 1), (4,), ()],
                     [(2, 3), (2, 1), (2,), ()]]
    assert history.history["loss"][0] == pytest.approx(per_sample_loss().mean(), rel=1e-5)


def test_verbose_prints_keras_progress(capsys):
    frozen_model().fit(X, Y, nb_epoch=2, batch_size=4, validation_split=0.2, verbose=1)
    out = capsys.readouterr().out
    assert "Train on 8 samples, validate on 2 samples" in out
    assert "Epoch 1/2" in out and "Epoch 2/2" in out and "val_loss:" in out
    frozen_model().fit(X, Y, nb_epoch=1, verbose=0)
    assert capsys.readouterr().out == ""


def test_predict_in_uneven_batches():
    model = frozen_model()
    np.testing.assert_allclose(model.predict(X, batch_size=4), X @ W, rtol=1e-5)
    assert model.evaluate(X, Y, batch_size=4, verbose=0) == pytest.approx(
        per_sample_loss().mean(), rel=1e-5)
