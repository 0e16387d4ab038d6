"""Tests for keras_front/callbacks/hooks.py: LearningRateScheduler, CSVLogger file contents
(append, separators, missing keys), LambdaCallback, and the unsupported callbacks."""

import csv

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import callbacks as cbks


class FakeModel:
    def __init__(self, lr=0.1):
        self.stop_training = False
        self.optimizer = type("Opt", (), {})()
        self.optimizer.lr = K.variable(lr)


# ------------------------------------------------------------ LearningRateScheduler


def test_scheduler_sets_lr_from_the_epoch_at_each_epoch_begin():
    model = FakeModel()
    lr_variable = model.optimizer.lr
    cb = cbks.LearningRateScheduler(lambda epoch: 0.1 / (epoch + 1))
    cb.set_model(model)
    seen = []
    for epoch in range(4):
        cb.on_epoch_begin(epoch)
        seen.append(float(K.get_value(model.optimizer.lr)))
    np.testing.assert_allclose(seen, [0.1, 0.05, 0.1 / 3, 0.025], rtol=1e-6)
    assert model.optimizer.lr is lr_variable


def test_scheduler_with_two_arguments_gets_the_current_lr():
    model = FakeModel(0.8)
    cb = cbks.LearningRateScheduler(lambda epoch, lr: lr * 0.5, verbose=0)
    cb.set_model(model)
    for epoch in range(3):
        cb.on_epoch_begin(epoch)
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.1)


@pytest.mark.parametrize("value", [np.float32(0.25), np.float64(0.25), 0.25, np.array(0.25)])
def test_scheduler_accepts_real_numbers(value):
    model = FakeModel()
    cb = cbks.LearningRateScheduler(lambda epoch: value)
    cb.set_model(model)
    cb.on_epoch_begin(0)
    assert float(K.get_value(model.optimizer.lr)) == pytest.approx(0.25)


@pytest.mark.parametrize("value", ["0.1", None, [0.1], True])
def test_scheduler_rejects_non_numbers(value):
    cb = cbks.LearningRateScheduler(lambda epoch: value)
    cb.set_model(FakeModel())
    with pytest.raises(ValueError, match='output of the "schedule" function should be '
                                         'float'):
        cb.on_epoch_begin(0)


def test_scheduler_needs_a_callable_and_an_optimizer_with_lr():
    with pytest.raises(TypeError, match="schedule must be a function"):
        cbks.LearningRateScheduler(0.1)
    cb = cbks.LearningRateScheduler(lambda epoch: 0.1)
    cb.set_model(type("M", (), {"optimizer": object()})())
    with pytest.raises(ValueError, match='must have a "lr" attribute'):
        cb.on_epoch_begin(0)


def test_scheduler_verbose_message(capsys):
    cb = cbks.LearningRateScheduler(lambda epoch: 0.5, verbose=1)
    cb.set_model(FakeModel())
    cb.on_epoch_begin(1)
    assert capsys.readouterr().out == ("Epoch 00002: LearningRateScheduler setting learning "
                                       "rate to 0.5.\n")


# ------------------------------------------------------------ CSVLogger


def read_rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def train(logger, epochs_logs, first_epoch=0):
    logger.on_train_begin()
    for i, logs in enumerate(epochs_logs):
        logger.on_epoch_end(first_epoch + i, logs)
    logger.on_train_end()


def test_csv_logger_writes_header_and_one_row_per_epoch(tmp_path):
    path = tmp_path / "log.csv"
    logger = cbks.CSVLogger(str(path))
    train(logger, [{"val_loss": 0.5, "loss": 1.0}, {"val_loss": 0.25, "loss": 0.75}])
    assert read_rows(path) == [["epoch", "loss", "val_loss"], ["0", "1.0", "0.5"],
                               ["1", "0.75", "0.25"]]
    assert logger.csv_file.closed


def test_csv_logger_rewrites_without_append_and_appends_with_it(tmp_path):
    path = tmp_path / "log.csv"
    train(cbks.CSVLogger(path), [{"loss": 1.0}])
    train(cbks.CSVLogger(path), [{"loss": 2.0}])
    assert read_rows(path) == [["epoch", "loss"], ["0", "2.0"]]
    train(cbks.CSVLogger(path, append=True), [{"loss": 3.0}, {"loss": 4.0}], first_epoch=1)
    assert read_rows(path) == [["epoch", "loss"], ["0", "2.0"], ["1", "3.0"], ["2", "4.0"]]


def test_csv_logger_append_to_an_empty_or_absent_file_writes_the_header(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    train(cbks.CSVLogger(empty, append=True), [{"loss": 1.0}])
    absent = tmp_path / "absent.csv"
    train(cbks.CSVLogger(absent, append=True), [{"loss": 1.0}])
    assert read_rows(empty) == read_rows(absent) == [["epoch", "loss"], ["0", "1.0"]]


def test_csv_logger_separator_missing_keys_and_array_values(tmp_path):
    path = tmp_path / "log.tsv"
    train(cbks.CSVLogger(path, separator="\t"),
          [{"loss": np.float32(0.5), "acc": np.array(0.75), "w": np.array([1, 2])},
           {"loss": 0.25, "new_key": 1.0}])
    assert read_rows(path, "\t") == [["epoch", "acc", "loss", "w"],
                                     ["0", "0.75", "0.5", "[1, 2]"],
                                     ["1", "NA", "0.25", "NA"]]


def test_csv_logger_rows_are_on_disk_before_training_ends(tmp_path):
    path = tmp_path / "log.csv"
    logger = cbks.CSVLogger(path)
    logger.on_epoch_end(0, {"loss": 1.0})  # without on_train_begin: opens the file itself
    assert read_rows(path) == [["epoch", "loss"], ["0", "1.0"]]
    logger.on_train_end()
    logger.on_train_end()  # closing twice is harmless
    assert logger.csv_file.closed


# ------------------------------------------------------------ LambdaCallback


def test_lambda_callback_calls_the_given_functions_and_ignores_the_rest():
    calls = []
    cb = cbks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: calls.append(("eb", epoch)),
        on_epoch_end=lambda epoch, logs: calls.append(("ee", epoch, logs["loss"])),
        on_batch_end=lambda batch, logs: calls.append(("be", batch)),
        on_train_end=lambda logs: calls.append(("te",)),
        note="kept")
    cl = cbks.CallbackList([cb])
    cl.on_train_begin()
    cl.on_epoch_begin(0)
    cl.on_batch_begin(0, {})
    cl.on_batch_end(0, {})
    cl.on_epoch_end(0, {"loss": 0.5})
    cl.on_train_end()
    assert calls == [("eb", 0), ("be", 0), ("ee", 0, 0.5), ("te",)]
    assert cb.note == "kept"


def test_lambda_callback_rejects_non_callables():
    with pytest.raises(TypeError, match="on_epoch_end must be callable, got int"):
        cbks.LambdaCallback(on_epoch_end=3)


# ------------------------------------------------------------ unsupported


@pytest.mark.parametrize(("cls", "hint"), [(cbks.TensorBoard, "TensorFlow"),
                                           (cbks.RemoteMonitor, "web server")])
def test_unsupported_callbacks_say_so(cls, hint):
    with pytest.raises(NotImplementedError, match=f"{cls.__name__} is not supported: .*{hint}"):
        cls(log_dir="./logs")
