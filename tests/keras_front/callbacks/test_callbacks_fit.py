"""Callbacks inside a real `Sequential.fit`: History keys, BaseLogger's epoch averages,
EarlyStopping, LearningRateScheduler on a compiled train function, ReduceLROnPlateau,
ModelCheckpoint templates with real validation logs, CSVLogger, TerminateOnNaN."""

import csv

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import callbacks as cbks
from keras_front import optimizers
from keras_front.layers import Dense
from keras_front.models import Sequential


def classification_data(n=40, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, 4).astype("float32")
    labels = (x[:, 0] + x[:, 1] > 0).astype(int)
    return x, np.eye(2, dtype="float32")[labels]


def small_model(optimizer="sgd", metrics=("acc",)):
    np.random.seed(1)
    model = Sequential([Dense(8, input_dim=4, activation="tanh"),
                        Dense(2, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=optimizer, metrics=list(metrics))
    return model


def test_history_has_keras1_metric_names_and_validation_twins():
    x, y = classification_data()
    model = small_model()
    history = model.fit(x, y, nb_epoch=3, batch_size=16, verbose=0,
                        validation_data=(x[:10], y[:10]))
    assert history is model.history
    assert history.epoch == [0, 1, 2]
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert all(len(v) == 3 for v in history.history.values())


def test_epoch_loss_is_the_size_weighted_mean_of_batch_losses():
    x, y = classification_data(n=25)
    model = small_model()
    batches = []
    record = cbks.LambdaCallback(
        on_batch_end=lambda batch, logs: batches.append((logs["size"], logs["loss"])))
    history = model.fit(x, y, nb_epoch=1, batch_size=10, verbose=0, shuffle=False,
                        callbacks=[record])
    sizes = np.array([s for s, _ in batches], dtype=float)
    losses = np.array([v for _, v in batches])
    assert sizes.tolist() == [10, 10, 5]
    assert history.history["loss"][0] == pytest.approx(np.dot(sizes, losses) / sizes.sum())


def test_early_stopping_ends_fit_when_validation_loss_stalls():
    x, y = classification_data()
    model = small_model(optimizers.SGD(lr=0.0))  # nothing learns: val_loss stays put
    stopper = cbks.EarlyStopping(monitor="val_loss", patience=1)
    history = model.fit(x, y, nb_epoch=20, batch_size=20, verbose=0, callbacks=[stopper],
                        validation_split=0.25)
    assert history.epoch == [0, 1, 2]  # improve, wait, stop (Keras 1.2 counting)
    assert stopper.stopped_epoch == 2


def test_scheduled_learning_rate_reaches_the_compiled_train_function():
    x, y = classification_data()
    model = small_model(optimizers.SGD(lr=0.5))
    snapshots = []
    callbacks = [cbks.LearningRateScheduler(lambda epoch: 0.5 if epoch == 0 else 0.0),
                 cbks.LambdaCallback(on_epoch_end=lambda e, logs: snapshots.append(
                     [w.copy() for w in model.get_weights()]))]
    model.fit(x, y, nb_epoch=3, batch_size=10, verbose=0, callbacks=callbacks)
    assert K.get_value(model.optimizer.lr) == 0.0
    # Epoch 0 moved the weights; with lr 0 epochs 1 and 2 leave them as they were.
    for before, after in zip(snapshots[0], snapshots[2], strict=True):
        np.testing.assert_array_equal(before, after)
    assert float(K.get_value(model.optimizer.iterations)) == 12  # 4 batches x 3 epochs


def test_reduce_lr_on_plateau_lowers_the_optimizer_rate_and_logs_it():
    x, y = classification_data()
    for min_lr, logged in ((0.0, [1e-9, 1e-9, 5e-10, 2.5e-10]),
                           (4e-10, [1e-9, 1e-9, 5e-10, 4e-10])):
        model = small_model(optimizers.SGD(lr=1e-9))  # the loss barely moves: a plateau
        reduce = cbks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0,
                                        min_lr=min_lr)
        history = model.fit(x, y, nb_epoch=4, batch_size=40, verbose=0, callbacks=[reduce])
        # Logged at each epoch's end before that epoch's reduction; epoch 0 sets the best.
        np.testing.assert_allclose(history.history["lr"], logged, rtol=1e-6)
        final = max(logged[-1] * 0.5, min_lr)
        assert float(K.get_value(model.optimizer.lr)) == pytest.approx(final, rel=1e-6)


def test_model_checkpoint_template_is_filled_from_the_fit_logs(tmp_path):
    x, y = classification_data()
    model = small_model()
    saved = []
    model.save = lambda filepath, overwrite=False: saved.append((filepath, overwrite))
    template = str(tmp_path / "{epoch:02d}.{val_acc:.2f}.V0.hdf5")
    history = model.fit(x, y, nb_epoch=2, batch_size=20, verbose=0,
                        validation_data=(x, y), callbacks=[cbks.ModelCheckpoint(template)])
    expected = [(str(tmp_path / f"{i:02d}.{acc:.2f}.V0.hdf5"), True)
                for i, acc in enumerate(history.history["val_acc"])]
    assert saved == expected


def test_csv_logger_records_every_epoch_of_fit(tmp_path):
    x, y = classification_data()
    path = tmp_path / "training.csv"
    history = small_model().fit(x, y, nb_epoch=2, batch_size=20, verbose=0,
                                validation_split=0.25, callbacks=[cbks.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [row["epoch"] for row in rows] == ["0", "1"]
    assert sorted(rows[0]) == ["acc", "epoch", "loss", "val_acc", "val_loss"]
    for row, loss in zip(rows, history.history["loss"], strict=True):
        assert float(row["loss"]) == pytest.approx(loss)


def test_terminate_on_nan_stops_after_the_first_bad_batch(capsys):
    x, y = classification_data()  # (fit refuses NaN in the data: a weight diverged here)
    model = small_model()
    weights = model.get_weights()
    weights[0][0, 0] = np.nan
    model.set_weights(weights)
    batches = []
    history = model.fit(
        x, y, nb_epoch=5, batch_size=10, verbose=0, shuffle=False,
        callbacks=[cbks.TerminateOnNaN(),
                   cbks.LambdaCallback(on_batch_end=lambda b, logs: batches.append(b))])
    assert batches == [0] and history.epoch == [0]
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adagrad", "adadelta", "adam", "adamax",
                                  "nadam"])
def test_every_optimizer_name_trains_a_model(name):
    x, y = classification_data()
    model = small_model(name)
    before = model.evaluate(x, y, verbose=0)[0]
    model.fit(x, y, nb_epoch=5, batch_size=10, verbose=0)
    assert model.evaluate(x, y, verbose=0)[0] < before
    assert float(K.get_value(model.optimizer.iterations)) == 20
    assert len(model.optimizer.get_weights()) == len(model.optimizer.weights) > 1
