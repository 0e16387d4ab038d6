"""ModelCheckpoint (keras_front/callbacks/monitors.py) saving through keras_front.saving:
real files, filename templates, save_best_only / mode / period, whole model or weights."""

import h5py
import numpy as np
import pytest

from keras_front import layers
from keras_front.callbacks import ModelCheckpoint
from keras_front.models import Sequential, load_model

X = np.random.default_rng(0).random((40, 4)).astype("float32")
Y = np.eye(2, dtype="float32")[(X.sum(axis=1) > 2).astype(int)]


def classifier():
    np.random.seed(0)
    model = Sequential([layers.Dense(6, input_dim=4, activation="relu"),
                        layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    return model


def run_epochs(callback, model, logs):
    """Drive the callback as fit would, with the model's weights changed every epoch;
    returns the weights the model had at the end of each epoch."""
    callback.set_model(model)
    snapshots = []
    for epoch, epoch_logs in enumerate(logs):
        model.set_weights([w + 1.0 for w in model.get_weights()])
        snapshots.append(model.get_weights())
        callback.on_epoch_end(epoch, dict(epoch_logs))
    return snapshots


def files(directory):
    return sorted(p.name for p in directory.iterdir())


def weights_in(path):
    model = classifier()
    model.load_weights(path)
    return model.get_weights()


def test_save_best_only_min_keeps_each_improvement(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "w.{epoch:02d}-{val_loss:.2f}.h5"),
                                 monitor="val_loss", save_best_only=True, mode="min")
    snapshots = run_epochs(checkpoint, classifier(), [{"val_loss": v} for v in
                                                      (0.5, 0.7, 0.4, 0.4, 0.45)])
    assert files(tmp_path) == ["w.00-0.50.h5", "w.02-0.40.h5"]  # {epoch} 0-based (Keras 1)
    for name, epoch in (("w.00-0.50.h5", 0), ("w.02-0.40.h5", 2)):
        for got, expected in zip(weights_in(tmp_path / name), snapshots[epoch], strict=True):
            np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("mode", ["max", "auto"])
def test_save_best_only_max_and_auto_for_accuracy(tmp_path, mode):
    checkpoint = ModelCheckpoint(str(tmp_path / "best.h5"), monitor="val_acc",
                                 save_best_only=True, mode=mode)
    snapshots = run_epochs(checkpoint, classifier(), [{"val_acc": v} for v in
                                                      (0.5, 0.7, 0.6, 0.65)])
    assert files(tmp_path) == ["best.h5"]  # overwritten in place, atomically
    for got, expected in zip(load_model(tmp_path / "best.h5").get_weights(), snapshots[1],
                             strict=True):
        np.testing.assert_array_equal(got, expected)


def test_period_saves_every_nth_epoch(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "{epoch}.h5"), period=2)
    run_epochs(checkpoint, classifier(), [{"loss": 1.0}] * 5)
    assert files(tmp_path) == ["1.h5", "3.h5"]


def test_save_weights_only_writes_a_weights_file(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "w.h5"), save_weights_only=True)
    snapshots = run_epochs(checkpoint, classifier(), [{"loss": 1.0}])
    with h5py.File(tmp_path / "w.h5", "r") as f:
        assert "model_config" not in f.attrs and "layer_names" in f.attrs
    for got, expected in zip(weights_in(tmp_path / "w.h5"), snapshots[0], strict=True):
        np.testing.assert_array_equal(got, expected)


def test_a_missing_monitor_warns_and_saves_nothing(tmp_path):
    checkpoint = ModelCheckpoint(str(tmp_path / "w.h5"), monitor="val_loss",
                                 save_best_only=True)
    with pytest.warns(RuntimeWarning, match="Can save best model only with val_loss"):
        run_epochs(checkpoint, classifier(), [{"loss": 1.0}])
    assert files(tmp_path) == []


def test_the_seed_template_during_fit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "Train_record").mkdir()
    checkpoint = ModelCheckpoint("Train_record/{epoch:02d}.{val_acc:.2f}.V0.hdf5",
                                 monitor="val_loss", verbose=1, save_best_only=False,
                                 mode="auto", period=1)
    model = classifier()
    history = model.fit(X[:30], Y[:30], batch_size=10, epochs=3, verbose=0,
                        validation_data=(X[30:], Y[30:]), callbacks=[checkpoint])
    expected = [f"{epoch:02d}.{acc:.2f}.V0.hdf5"
                for epoch, acc in enumerate(history.history["val_acc"])]
    assert sorted(set(expected)) == files(tmp_path / "Train_record")
    last = load_model(tmp_path / "Train_record" / expected[-1])
    np.testing.assert_array_equal(last.predict(X), model.predict(X))
    assert last.train_on_batch(X[:10], Y[:10]) == model.train_on_batch(X[:10], Y[:10])
