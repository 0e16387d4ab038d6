"""Tests for keras_front/callbacks/base.py: the hook protocol, CallbackList, BaseLogger's
size-weighted epoch averages, History, ProgbarLogger's output."""

import numpy as np
import pytest

from keras_front import callbacks as cbks


class Recorder(cbks.Callback):
    """Appends (name, hook, index, sorted log keys) to a shared journal."""

    def __init__(self, name, journal):
        super().__init__()
        self.name = name
        self.journal = journal

    def on_epoch_begin(self, epoch, logs=None):
        self.journal.append((self.name, "epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.journal.append((self.name, "epoch_end", epoch, sorted(logs)))

    def on_batch_begin(self, batch, logs=None):
        self.journal.append((self.name, "batch_begin", batch))

    def on_batch_end(self, batch, logs=None):
        self.journal.append((self.name, "batch_end", batch))

    def on_train_begin(self, logs=None):
        self.journal.append((self.name, "train_begin"))

    def on_train_end(self, logs=None):
        self.journal.append((self.name, "train_end"))


def run_epochs(callback_list, batches_per_epoch, epochs=1):
    """Drive a CallbackList as the fit loop does; each batch is (size, {metric: value})."""
    callback_list.on_train_begin()
    epoch_logs_seen = []
    for epoch in range(epochs):
        callback_list.on_epoch_begin(epoch)
        for index, (size, metrics) in enumerate(batches_per_epoch[epoch]):
            batch_logs = {"batch": index, "size": size}
            callback_list.on_batch_begin(index, batch_logs)
            batch_logs.update(metrics)
            callback_list.on_batch_end(index, batch_logs)
        epoch_logs = {}
        callback_list.on_epoch_end(epoch, epoch_logs)
        epoch_logs_seen.append(epoch_logs)
    callback_list.on_train_end()
    return epoch_logs_seen


def test_callback_defaults_do_nothing_and_store_params_and_model():
    cb = cbks.Callback()
    assert cb.model is None and cb.params == {} and cb.validation_data is None
    model = object()
    cb.set_model(model)
    cb.set_params({"verbose": 0})
    assert cb.model is model and cb.params == {"verbose": 0}
    for hook in (cb.on_epoch_begin, cb.on_epoch_end, cb.on_batch_begin, cb.on_batch_end):
        assert hook(0, {}) is None
    assert cb.on_train_begin() is None and cb.on_train_end({}) is None


def test_callback_list_calls_every_callback_in_order_with_one_logs_dict():
    journal = []
    first, second = Recorder("a", journal), Recorder("b", journal)
    cl = cbks.CallbackList([first])
    cl.append(second)
    assert list(cl) == [first, second] and len(cl) == 2
    model, params = object(), {"metrics": ["loss"]}
    cl.set_model(model)
    cl.set_params(params)
    assert first.model is model and second.params is params
    run_epochs(cl, [[(2, {"loss": 1.0})]])
    assert journal == [
        ("a", "train_begin"), ("b", "train_begin"),
        ("a", "epoch_begin", 0), ("b", "epoch_begin", 0),
        ("a", "batch_begin", 0), ("b", "batch_begin", 0),
        ("a", "batch_end", 0), ("b", "batch_end", 0),
        ("a", "epoch_end", 0, []), ("b", "epoch_end", 0, []),
        ("a", "train_end"), ("b", "train_end"),
    ]


def test_callback_list_shares_the_epoch_logs_so_later_callbacks_see_additions():
    class Adder(cbks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 7

    journal = []
    cl = cbks.CallbackList([Adder(), Recorder("r", journal)])
    logs = {}
    cl.on_epoch_end(3, logs)
    assert logs == {"extra": 7}
    assert journal == [("r", "epoch_end", 3, ["extra"])]


def test_base_logger_averages_weighted_by_batch_size():
    logger = cbks.BaseLogger()
    logger.set_params({"metrics": ["loss", "acc", "val_loss"]})
    batches = [(32, {"loss": 1.0, "acc": 0.5}), (32, {"loss": 0.5, "acc": 0.75}),
               (10, {"loss": 2.0, "acc": 0.0})]
    (logs,) = run_epochs(cbks.CallbackList([logger]), [batches])
    sizes = np.array([32, 32, 10.0])
    assert logs["loss"] == pytest.approx(np.dot(sizes, [1.0, 0.5, 2.0]) / sizes.sum())
    assert logs["acc"] == pytest.approx(np.dot(sizes, [0.5, 0.75, 0.0]) / sizes.sum())
    assert "val_loss" not in logs and "size" not in logs and "batch" not in logs


def test_base_logger_restarts_each_epoch_and_keeps_only_listed_metrics():
    logger = cbks.BaseLogger()
    logger.set_params({"metrics": ["loss"]})
    epochs = [[(4, {"loss": 1.0, "other": 9.0})], [(2, {"loss": 3.0}), (6, {"loss": 1.0})]]
    logs = run_epochs(cbks.CallbackList([logger]), epochs, epochs=2)
    assert logs[0] == {"loss": 1.0}
    assert logs[1] == {"loss": pytest.approx((2 * 3.0 + 6 * 1.0) / 8)}


def test_base_logger_without_a_metrics_list_averages_every_batch_metric():
    logger = cbks.BaseLogger()
    (logs,) = run_epochs(cbks.CallbackList([logger]), [[(1, {"loss": 2.0}), (3, {"loss": 6.0})]])
    assert logs == {"loss": pytest.approx(5.0)}


def test_base_logger_feeds_its_averages_to_the_callbacks_after_it():
    logger, history = cbks.BaseLogger(), cbks.History()
    cl = cbks.CallbackList([logger, history])
    cl.set_params({"metrics": ["loss"]})
    run_epochs(cl, [[(1, {"loss": 1.0}), (1, {"loss": 3.0})], [(5, {"loss": 0.5})]], epochs=2)
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [2.0, 0.5]}


def test_history_records_every_key_and_resets_at_train_begin():
    history = cbks.History()
    assert history.epoch == [] and history.history == {}
    history.on_train_begin()
    history.on_epoch_end(0, {"loss": 1.0, "val_loss": 2.0})
    history.on_epoch_end(1, {"loss": 0.5, "val_loss": 1.5})
    assert history.epoch == [0, 1]
    assert history.history == {"loss": [1.0, 0.5], "val_loss": [2.0, 1.5]}
    history.on_train_begin()
    assert history.epoch == [] and history.history == {}


def progbar_run(capsys, params, count_mode="samples"):
    progbar = cbks.ProgbarLogger(count_mode=count_mode)
    cl = cbks.CallbackList([cbks.BaseLogger(), progbar])
    cl.set_params(params)
    cl.on_train_begin()
    cl.on_epoch_begin(0)
    for index, (size, loss) in enumerate([(3, 1.0), (3, 3.0), (2, 5.0)]):
        logs = {"batch": index, "size": size}
        cl.on_batch_begin(index, logs)
        logs["loss"] = loss
        cl.on_batch_end(index, logs)
    cl.on_epoch_end(0, {"val_loss": 0.25})
    return progbar, capsys.readouterr().out


def test_progbar_logger_prints_epoch_header_bar_and_epoch_values(capsys):
    params = {"nb_epoch": 4, "nb_sample": 8, "verbose": 1, "metrics": ["loss", "val_loss"]}
    progbar, out = progbar_run(capsys, params)
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/4"
    last = lines[-1]
    assert last.startswith("8/8 [==============================]")
    assert "val_loss: 0.2500" in last
    assert progbar.seen == 8
    # The bar averages over samples the batch losses it was shown and BaseLogger's epoch
    # average (shown for the last batch's samples): (3*1 + 3*3 + 2*5 + 2*avg) / 10.
    avg = (3 * 1.0 + 3 * 3.0 + 2 * 5.0) / 8
    assert f"loss: {(3 * 1.0 + 3 * 3.0 + 2 * 5.0 + 2 * avg) / 10:.4f}" in last


def test_progbar_logger_reads_keras2_param_names_and_counts_steps(capsys):
    params = {"epochs": 2, "steps": 3, "verbose": 1, "metrics": ["loss"]}
    progbar, out = progbar_run(capsys, params, count_mode="steps")
    assert out.splitlines()[0] == "Epoch 1/2"
    assert progbar.seen == 3
    assert out.splitlines()[-1].startswith("3/3 [")


def test_progbar_logger_is_silent_with_verbose_zero(capsys):
    params = {"nb_epoch": 1, "nb_sample": 8, "verbose": 0, "metrics": ["loss"]}
    progbar, out = progbar_run(capsys, params)
    assert out == "" and progbar.progbar is None


def test_progbar_logger_rejects_an_unknown_count_mode():
    with pytest.raises(ValueError, match="count_mode 'batches'"):
        cbks.ProgbarLogger(count_mode="batches")
