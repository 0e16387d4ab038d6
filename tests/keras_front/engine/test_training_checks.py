"""What training refuses to train on (keras_front/engine/training_checks.py): sparse labels
outside [0, classes) or not integers, NaN/inf data, a NaN learning rate, no samples, a
validation_split outside [0, 1) -- each checked once per fit, with messages naming the
array and quoting the bad values."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import callbacks, optimizers
from keras_front.engine import training
from keras_front.engine.training_checks import (
    all_finite,
    check_finite,
    check_sparse_labels,
    check_validation_split,
)
from keras_front.layers import Dense
from keras_front.models import Sequential

RNG = np.random.default_rng(5)
X = RNG.random((40, 4)).astype("float32")
LABELS = RNG.integers(0, 3, 40)


def classifier(loss="sparse_categorical_crossentropy", optimizer=None):
    model = Sequential([Dense(3, input_dim=4, activation="softmax", name="out")])
    model.compile(optimizer or optimizers.SGD(lr=0.1), loss, metrics=["acc"])
    return model


# ---------------------------------------------------------------- sparse labels


@pytest.mark.parametrize("bad, quoted", [
    (3, r"labels outside \[0, 3\): 3 \(sample 7\) \(1 in all"),
    (-1, r"labels outside \[0, 3\): -1 \(sample 7\) \(1 in all"),
    (1.5, r"labels that are not integers: 1.5 \(sample 7\) \(they would be truncated\)"),
])
@pytest.mark.parametrize("shape", [(40,), (40, 1)])
def test_fit_refuses_labels_that_are_not_classes(bad, quoted, shape):
    """Such labels cost 0 (their one-hot row is all zeros) or were truncated, silently."""
    labels = LABELS.astype("float64")
    labels[7] = bad
    model = classifier()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Error when checking model target: the targets of "
                                         r"output 'out' \(loss sparse_categorical_crossentropy"
                                         r", 3 classes\) hold " + quoted):
        model.fit(X, labels.reshape(shape), nb_epoch=1, verbose=0)
    for got, saved in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(got, saved)


def test_the_message_quotes_a_few_distinct_bad_labels_and_counts_them_all():
    labels = np.array([0, 9, 9, -2, 1, 7, 5, 4, 3, 8, 12, 2])
    with pytest.raises(ValueError, match=r"outside \[0, 3\): 9 \(sample 1\), -2 \(sample 3\), "
                                         r"7 \(sample 5\), 5 \(sample 6\), 4 \(sample 7\) "
                                         r"\(9 in all"):
        check_sparse_labels(labels, 3, "out", "fit")


def test_labels_are_checked_in_evaluate_and_train_on_batch_too():
    labels = LABELS.copy()
    labels[0] = 3
    model = classifier()
    for call in (lambda: model.evaluate(X, labels, verbose=0),
                 lambda: model.train_on_batch(X[:4], labels[:4]),
                 lambda: model.test_on_batch(X[:4], labels[:4])):
        with pytest.raises(ValueError, match=r"labels outside \[0, 3\): 3 \(sample 0\)"):
            call()


def test_valid_labels_train_and_other_losses_are_not_checked():
    model = classifier()
    history = model.fit(X, LABELS, nb_epoch=2, batch_size=8, verbose=0)
    assert len(history.history["loss"]) == 2
    onehot = np.eye(3, dtype="float32")[LABELS] * 5  # not labels: no label check
    classifier("mse").fit(X, onehot, nb_epoch=1, verbose=0)


def test_checks_run_once_per_fit_not_per_batch(monkeypatch):
    calls = {"labels": 0, "finite": 0}

    def counting(name, check):
        def counted(*args):
            calls[name] += 1
            return check(*args)
        return counted

    monkeypatch.setattr(training, "check_sparse_labels",
                        counting("labels", training.check_sparse_labels))
    monkeypatch.setattr(training, "check_finite", counting("finite", training.check_finite))
    classifier().fit(X, LABELS, nb_epoch=3, batch_size=4, verbose=0)  # 30 batches
    assert calls == {"labels": 1, "finite": 1}


# ---------------------------------------------------------------- NaN and inf


def _with(array, index, value):
    array = array.copy()
    array[index] = value
    return array


@pytest.mark.parametrize("where, message", [
    ("x", r"fit: NaN or infinite values in input 'dense_input_\d+': nan \(sample 3, index "
          r"\(2,\)\); 1 NaN and 0 infinite value\(s\) in all"),
    ("y", r"fit: NaN or infinite values in the targets of output 'out': inf \(sample 5, "
          r"index \(1,\)\); 0 NaN and 1 infinite value\(s\) in all"),
    ("sample_weight", r"fit: NaN or infinite values in the sample weights of output 'out': "
                      r"nan \(sample 0\)"),
    ("class_weight", r"fit: NaN or infinite values in the sample weights of output 'out'"),
])
def test_fit_refuses_nan_and_inf_naming_the_array(where, message):
    """One NaN anywhere made every weight NaN after the first step, silently."""
    x, y = X, np.eye(3, dtype="float32")[LABELS]
    kwargs = {}
    if where == "x":
        x = _with(X, (3, 2), np.nan)
    elif where == "y":
        y = _with(y, (5, 1), np.inf)
    elif where == "sample_weight":
        kwargs["sample_weight"] = _with(np.ones(40), 0, np.nan)
    else:
        kwargs["class_weight"] = {0: 1.0, 1: float("nan"), 2: 1.0}
    model = classifier("categorical_crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match=message + r".*One NaN turns every weight into NaN"):
        model.fit(x, y, nb_epoch=1, verbose=0, **kwargs)
    np.testing.assert_array_equal(model.get_weights()[0], before[0])


def test_train_on_batch_and_fit_generator_refuse_nan_batches():
    model = classifier()
    bad = _with(X[:8], (1, 1), np.nan)
    with pytest.raises(ValueError, match=r"train_on_batch: NaN .* in input .*: nan \(sample 1, "
                                         r"index"):
        model.train_on_batch(bad, LABELS[:8])

    def batches():
        yield X[:8], LABELS[:8]
        yield bad, LABELS[:8]

    with pytest.raises(ValueError, match=r"train_on_batch: NaN .* in input .*: nan \(sample 1"):
        model.fit_generator(batches(), steps_per_epoch=2, epochs=1, verbose=0)


def test_finiteness_by_sum_does_not_refuse_large_finite_values():
    big = np.full((4, 3), 3e38, dtype="float32")  # its sum overflows to inf
    assert all_finite(big) and all_finite(np.arange(5)) and not all_finite(_with(big, 0, np.inf))
    check_finite([big, np.array([True, False])], ["big", "flags"], "fit")
    with pytest.raises(ValueError, match=r"fit: NaN or infinite values in big: -inf "
                                         r"\(sample 2, index \(1,\)\), nan \(sample 3, index "
                                         r"\(0,\)\); 1 NaN and 1 infinite"):
        check_finite([_with(_with(big, (2, 1), -np.inf), (3, 0), np.nan)], ["big"], "fit")


# ---------------------------------------------------------------- learning rate


def test_fit_refuses_a_nan_learning_rate_set_after_compiling():
    model = classifier()
    K.set_value(model.optimizer.lr, float("nan"))
    with pytest.raises(ValueError, match=r"fit: the optimizer's learning rate is nan; training "
                                         r"with it would turn every weight into NaN"):
        model.fit(X, LABELS, nb_epoch=1, verbose=0)
    momentum = classifier(optimizer=optimizers.SGD(lr=0.1, momentum=0.9))
    K.set_value(momentum.optimizer.momentum, float("inf"))
    with pytest.raises(ValueError, match=r"fit_generator: the optimizer's hyperparameter "
                                         r"'momentum' is inf"):
        momentum.fit_generator(iter([(X, LABELS)]), steps_per_epoch=1, epochs=1, verbose=0)


def test_a_schedule_returning_nan_is_refused():
    model = classifier()
    schedule = callbacks.LearningRateScheduler(lambda epoch: 0.1 if epoch == 0 else float("nan"))
    with pytest.raises(ValueError, match=r'"schedule" function should be a finite learning '
                                         r"rate \(epoch 1 gave nan\)"):
        model.fit(X, LABELS, nb_epoch=3, verbose=0, callbacks=[schedule])
    assert np.all(np.isfinite(model.get_weights()[0]))


# ---------------------------------------------------------------- amounts


def test_fit_and_train_on_batch_refuse_zero_samples():
    model = classifier()
    with pytest.raises(ValueError, match=r"fit: got 0 samples \(arrays of shapes \[\(0, 4\), "
                                         r"\(0, 1\), \(0,\)\]\); there is nothing to train on"):
        model.fit(X[:0], LABELS[:0], verbose=0)
    with pytest.raises(ValueError, match="train_on_batch: got 0 samples"):
        model.train_on_batch(X[:0], LABELS[:0])


@pytest.mark.parametrize("split", [1.0, 1.5, -0.1, float("nan"), float("inf")])
def test_fit_refuses_a_validation_split_outside_0_1(split):
    """1.5 and -0.1 were silently ignored (no validation at all)."""
    with pytest.raises(ValueError, match=rf"fit: validation_split={split!r} is not a fraction "
                                         rf"in \[0, 1\)"):
        classifier().fit(X, LABELS, validation_split=split, verbose=0)
    with pytest.raises(TypeError, match="validation_split should be a fraction"):
        check_validation_split("10%")


def test_a_valid_validation_split_holds_out_the_last_samples():
    history = classifier().fit(X, LABELS, nb_epoch=1, validation_split=0.25, verbose=0)
    assert history.params["samples"] == 30 and "val_loss" in history.history
    assert check_validation_split(0) == 0.0
