"""Tests for keras_front/callbacks/monitors.py with a fake model that records saves:
ModelCheckpoint templates/best-only/mode/period, EarlyStopping, ReduceLROnPlateau,
TerminateOnNaN."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import callbacks as cbks


class FakeOptimizer:
    def __init__(self, lr):
        self.lr = K.variable(lr, name="lr")


class FakeModel:
    """What callbacks touch on a model: stop_training, optimizer.lr, save, save_weights."""

    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = FakeOptimizer(lr)
        self.saved = []

    def save(self, filepath, overwrite=False):
        self.saved.append(("model", filepath, overwrite))

    def save_weights(self, filepath, overwrite=False):
        self.saved.append(("weights", filepath, overwrite))


def attach(callback, model=None):
    model = model or FakeModel()
    callback.set_model(model)
    callback.on_train_begin()
    return model


def feed(callback, key, values):
    """Call on_epoch_end with {key: value} for each value; return the epochs that stopped."""
    stopped = []
    for epoch, value in enumerate(values):
        callback.on_epoch_end(epoch, {key: value})
        if callback.model.stop_training:
            stopped.append(epoch)
            callback.model.stop_training = False
    return stopped


# ------------------------------------------------------------ ModelCheckpoint


def test_checkpoint_template_uses_zero_based_epoch_as_keras_1_and_log_values(tmp_path):
    template = str(tmp_path / "{epoch:02d}.{val_acc:.2f}.V0.hdf5")
    cb = cbks.ModelCheckpoint(template)
    model = attach(cb)
    cb.on_epoch_end(0, {"val_acc": 0.8567, "val_loss": 0.3})
    cb.on_epoch_end(9, {"val_acc": 0.9, "val_loss": 0.2})
    assert model.saved == [("model", str(tmp_path / "00.0.86.V0.hdf5"), True),
                           ("model", str(tmp_path / "09.0.90.V0.hdf5"), True)]


def test_checkpoint_save_weights_only_and_pathlike_filepath(tmp_path):
    cb = cbks.ModelCheckpoint(tmp_path / "w-{epoch}-{loss:.3f}.h5", save_weights_only=True)
    model = attach(cb)
    cb.on_epoch_end(2, {"loss": np.float32(0.25)})
    assert model.saved == [("weights", str(tmp_path / "w-2-0.250.h5"), True)]


def test_checkpoint_does_not_create_missing_directories(tmp_path):
    cb = cbks.ModelCheckpoint(str(tmp_path / "missing" / "m.h5"))
    model = attach(cb)
    cb.on_epoch_end(0, {})
    assert model.saved == [("model", str(tmp_path / "missing" / "m.h5"), True)]
    assert not (tmp_path / "missing").exists()


def test_checkpoint_best_only_min_mode_for_losses():
    cb = cbks.ModelCheckpoint("m{epoch}.h5", monitor="val_loss", save_best_only=True)
    model = attach(cb)
    for epoch, value in enumerate([1.0, 0.8, 0.9, 0.8, 0.5]):
        cb.on_epoch_end(epoch, {"val_loss": value})
    assert [path for _, path, _ in model.saved] == ["m0.h5", "m1.h5", "m4.h5"]
    assert cb.best == 0.5


@pytest.mark.parametrize("monitor", ["val_acc", "acc", "fmeasure", "val_categorical_acc"])
def test_checkpoint_auto_mode_maximizes_accuracies_and_fmeasure(monitor):
    cb = cbks.ModelCheckpoint("m{epoch}.h5", monitor=monitor, save_best_only=True)
    model = attach(cb)
    for epoch, value in enumerate([0.5, 0.4, 0.6, 0.6]):
        cb.on_epoch_end(epoch, {monitor: value})
    assert [path for _, path, _ in model.saved] == ["m0.h5", "m2.h5"]


def test_checkpoint_explicit_mode_overrides_the_name():
    cb = cbks.ModelCheckpoint("m{epoch}.h5", monitor="val_acc", save_best_only=True,
                              mode="min")
    model = attach(cb)
    for epoch, value in enumerate([0.5, 0.6, 0.4]):
        cb.on_epoch_end(epoch, {"val_acc": value})
    assert [path for _, path, _ in model.saved] == ["m0.h5", "m2.h5"]


def test_checkpoint_unknown_mode_warns_and_falls_back_to_auto():
    with pytest.warns(RuntimeWarning, match="ModelCheckpoint mode 'largest' is unknown"):
        cb = cbks.ModelCheckpoint("m.h5", monitor="val_acc", mode="largest")
    assert cb.mode == "max"


def test_checkpoint_period_saves_every_nth_epoch():
    cb = cbks.ModelCheckpoint("m{epoch}.h5", period=3)
    model = attach(cb)
    for epoch in range(7):
        cb.on_epoch_end(epoch, {})
    assert [path for _, path, _ in model.saved] == ["m2.h5", "m5.h5"]


def test_checkpoint_best_only_warns_and_skips_without_the_monitor():
    cb = cbks.ModelCheckpoint("m.h5", monitor="val_loss", save_best_only=True)
    model = attach(cb)
    with pytest.warns(RuntimeWarning, match="Can save best model only with val_loss "
                                            "available, skipping"):
        cb.on_epoch_end(0, {"loss": 0.1})
    assert model.saved == []


def test_checkpoint_template_naming_an_absent_key_explains_itself():
    cb = cbks.ModelCheckpoint("{epoch:02d}.{val_acc:.2f}.hdf5")
    attach(cb)
    with pytest.raises(KeyError, match="names 'val_acc', which is not in this epoch's logs "
                                       r"\(available: epoch, acc, loss"):
        cb.on_epoch_end(0, {"loss": 0.3, "acc": 0.9})


def test_checkpoint_verbose_messages(capsys):
    cb = cbks.ModelCheckpoint("m.h5", save_best_only=True, verbose=1)
    attach(cb)
    cb.on_epoch_end(0, {"val_loss": 0.5})
    cb.on_epoch_end(1, {"val_loss": 0.7})
    out = capsys.readouterr().out.splitlines()
    assert out == ["Epoch 00001: val_loss improved from inf to 0.50000, saving model to m.h5",
                   "Epoch 00002: val_loss did not improve"]


# ------------------------------------------------------------ EarlyStopping


def test_early_stopping_patience_zero_stops_at_first_non_improvement():
    cb = cbks.EarlyStopping(monitor="val_loss")
    attach(cb)
    assert feed(cb, "val_loss", [1.0, 0.9, 0.95]) == [2]
    assert cb.stopped_epoch == 2


def test_early_stopping_waits_patience_plus_one_epochs_as_keras12():
    cb = cbks.EarlyStopping(monitor="val_loss", patience=2)
    attach(cb)
    assert feed(cb, "val_loss", [1.0, 1.1, 1.2, 1.3]) == [3]


def test_early_stopping_improvement_resets_the_wait():
    cb = cbks.EarlyStopping(monitor="loss", patience=1)
    attach(cb)
    assert feed(cb, "loss", [1.0, 1.1, 0.5, 0.6, 0.7]) == [4]


def test_early_stopping_min_delta_in_min_and_max_modes():
    cb = cbks.EarlyStopping(monitor="val_loss", min_delta=0.1)
    attach(cb)
    assert feed(cb, "val_loss", [1.0, 0.85, 0.8]) == [2]  # 0.85 improves by > 0.1; 0.8 not
    cb = cbks.EarlyStopping(monitor="val_acc", min_delta=0.1)
    attach(cb)
    assert feed(cb, "val_acc", [0.5, 0.65, 0.7]) == [2]


def test_early_stopping_mode_max_and_reset_on_train_begin():
    cb = cbks.EarlyStopping(monitor="val_loss", mode="max")
    attach(cb)
    assert feed(cb, "val_loss", [1.0, 2.0, 1.5]) == [2]
    cb.on_train_begin()
    assert cb.wait == 0 and cb.best == -np.inf
    assert feed(cb, "val_loss", [0.1, 0.2]) == []


def test_early_stopping_warns_without_the_monitor_and_keeps_training():
    cb = cbks.EarlyStopping(monitor="val_loss")
    model = attach(cb)
    with pytest.warns(RuntimeWarning, match="Early stopping requires val_loss available"):
        cb.on_epoch_end(0, {"loss": 1.0})
    assert model.stop_training is False


def test_early_stopping_verbose_reports_the_stop(capsys):
    cb = cbks.EarlyStopping(monitor="loss", verbose=1)
    attach(cb)
    feed(cb, "loss", [1.0, 2.0])
    cb.on_train_end()
    assert capsys.readouterr().out == "Epoch 00002: early stopping\n"


# ------------------------------------------------------------ ReduceLROnPlateau


def lr_of(model):
    return float(K.get_value(model.optimizer.lr))


def run_plateau(cb, values, lr=0.1):
    model = attach(cb, FakeModel(lr))
    lr_variable = model.optimizer.lr
    logged, after = [], []
    for epoch, value in enumerate(values):
        logs = {"val_loss": value}
        cb.on_epoch_end(epoch, logs)
        logged.append(logs["lr"])
        after.append(lr_of(model))
    assert model.optimizer.lr is lr_variable  # set_value, never a new variable
    return logged, after


def test_reduce_lr_after_patience_plus_one_flat_epochs_then_each_epoch_as_keras12():
    cb = cbks.ReduceLROnPlateau(factor=0.5, patience=1)
    logged, after = run_plateau(cb, [1.0, 1.0, 1.0, 1.0])
    np.testing.assert_allclose(after, [0.1, 0.1, 0.05, 0.025], rtol=1e-6)
    np.testing.assert_allclose(logged, [0.1, 0.1, 0.1, 0.05], rtol=1e-6)


def test_reduce_lr_cooldown_skips_epochs_after_a_reduction():
    cb = cbks.ReduceLROnPlateau(factor=0.1, patience=0, cooldown=2)
    _, after = run_plateau(cb, [1.0, 2.0, 2.0, 2.0, 2.0, 2.0])
    np.testing.assert_allclose(after, [0.1, 0.01, 0.01, 0.001, 0.001, 1e-4], rtol=1e-5)


def test_reduce_lr_respects_min_lr_and_epsilon():
    cb = cbks.ReduceLROnPlateau(factor=0.1, patience=0, min_lr=0.005, epsilon=0.05)
    # 0.97 is not better than 1.0 by more than epsilon; 0.9 is.
    _, after = run_plateau(cb, [1.0, 0.97, 0.9, 0.95, 0.95])
    np.testing.assert_allclose(after, [0.1, 0.01, 0.01, 0.005, 0.005], rtol=1e-5)


def test_reduce_lr_min_delta_is_epsilon_and_max_mode_for_accuracy():
    cb = cbks.ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=0, min_delta=0.1)
    assert cb.epsilon == 0.1 and cb.mode == "max"
    model = attach(cb, FakeModel(0.2))
    for epoch, value in enumerate([0.5, 0.65, 0.7]):
        cb.on_epoch_end(epoch, {"val_acc": value})
    assert lr_of(model) == pytest.approx(0.1)


def test_reduce_lr_rejects_factor_of_one_and_warns_without_monitor():
    with pytest.raises(ValueError, match="factor >= 1.0"):
        cbks.ReduceLROnPlateau(factor=1.0)
    cb = cbks.ReduceLROnPlateau()
    attach(cb)
    logs = {"loss": 1.0}
    with pytest.warns(RuntimeWarning, match="requires val_loss available"):
        cb.on_epoch_end(0, logs)
    assert logs["lr"] == pytest.approx(0.1)


# ------------------------------------------------------------ TerminateOnNaN


@pytest.mark.parametrize(("loss", "stops"), [(np.nan, True), (np.inf, True),
                                             (-np.inf, True), (np.float32(0.5), False),
                                             (None, False)])
def test_terminate_on_nan(capsys, loss, stops):
    cb = cbks.TerminateOnNaN()
    model = attach(cb)
    logs = {"batch": 3, "size": 8}
    if loss is not None:
        logs["loss"] = loss
    cb.on_batch_end(3, logs)
    assert model.stop_training is stops
    assert (capsys.readouterr().out == "Batch 3: Invalid loss, terminating training\n") is stops
