"""Model (keras_front/engine/training.py): compile, the compiled-once functions, and
fit / evaluate / predict / *_on_batch values against NumPy, errors by message."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import optimizers, regularizers
from keras_front.engine import Input
from keras_front.layers import Dense, Dropout
from keras_front.models import Model, Sequential
from symgraph.function import stats

RNG = np.random.default_rng(11)
X = RNG.standard_normal((12, 3)).astype("float32")
Y = RNG.standard_normal((12, 2)).astype("float32")
W0 = RNG.standard_normal((3, 2)).astype("float32")
B0 = np.array([0.1, -0.2], "float32")


def linear_model(loss="mse", **compile_kwargs):
    model = Sequential([Dense(2, input_dim=3, weights=[W0, B0])])
    model.compile(optimizers.SGD(lr=0.1), loss, **compile_kwargs)
    return model


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---------------------------------------------------------------- values


def test_train_on_batch_is_one_sgd_step():
    model = linear_model()
    loss = model.train_on_batch(X, Y)
    pred = X @ W0 + B0
    assert loss == pytest.approx(((pred - Y) ** 2).mean(), rel=1e-5)
    grad_w = 2 * X.T @ (pred - Y) / pred.size
    grad_b = 2 * (pred - Y).sum(0) / pred.size
    w, b = model.get_weights()
    np.testing.assert_allclose(w, W0 - 0.1 * grad_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b, B0 - 0.1 * grad_b, rtol=1e-5, atol=1e-6)


def test_evaluate_predict_and_on_batch_values():
    model = linear_model(metrics=["mae"])
    pred = X @ W0 + B0
    np.testing.assert_allclose(model.predict(X, batch_size=5), pred, rtol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(X), pred, rtol=1e-5)
    loss, mae = model.evaluate(X, Y, batch_size=5, verbose=0)
    assert loss == pytest.approx(((pred - Y) ** 2).mean(), rel=1e-5)
    assert mae == pytest.approx(np.abs(pred - Y).mean(), rel=1e-5)
    assert model.test_on_batch(X, Y) == pytest.approx([loss, mae], rel=1e-5)
    assert model.metrics_names == ["loss", "mean_absolute_error"]


def test_sample_weight_is_keras_weighted_mean():
    model = linear_model()
    w = np.array([1, 2, 0, 1, 3, 1, 0, 1, 1, 2, 1, 1], "float32")
    per_sample = ((X @ W0 + B0 - Y) ** 2).mean(1)
    expected = (per_sample * w).mean() / (w != 0).mean()
    assert model.evaluate(X, Y, sample_weight=w, verbose=0) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match=r"Found a sample_weight array with shape \(12, 1\)"):
        model.evaluate(X, Y, sample_weight=w[:, None], verbose=0)


def test_class_weight_weights_samples_by_their_class():
    model = Sequential([Dense(1, input_dim=3, activation="sigmoid", weights=[W0[:, :1], B0[:1]])])
    model.compile("sgd", "binary_crossentropy")
    y = (RNG.random(12) > 0.5).astype("float32")
    p = np.clip(1 / (1 + np.exp(-(X @ W0[:, :1] + B0[0]))), 1e-7, 1 - 1e-7)[:, 0]
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    w = np.where(y == 1, 3.0, 0.5)
    loss = model.train_on_batch(X, y, class_weight={0: 0.5, 1: 3.0})
    assert loss == pytest.approx((bce * w).mean(), rel=1e-5)
    with pytest.raises(ValueError, match=r"class_weight has no entry for class\(es\) \[1\]"):
        model.train_on_batch(X, y, class_weight={0: 1.0})


def test_weight_penalties_count_in_the_loss():
    model = Sequential([Dense(2, input_dim=3, weights=[W0, B0], W_regularizer=regularizers.l2(0.1),
                              activity_regularizer=regularizers.activity_l1(0.01))])
    model.compile("sgd", "mse")
    pred = X @ W0 + B0
    expected = ((pred - Y) ** 2).mean() + 0.1 * (W0 ** 2).sum() + 0.01 * np.abs(pred).mean(0).sum()
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("labels", [np.arange(12) % 3, (np.arange(12) % 3)[:, None]])
def test_sparse_categorical_crossentropy_with_integer_labels(labels):
    model = Sequential([Dense(3, input_dim=3, activation="softmax",
                              weights=[np.eye(3, dtype="float32"), np.zeros(3, "float32")])])
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy"])
    p = softmax(X)
    flat = labels.reshape(-1)
    loss, acc = model.evaluate(X, labels, verbose=0)
    assert loss == pytest.approx(-np.log(p[np.arange(12), flat]).mean(), rel=1e-5)
    assert acc == pytest.approx((p.argmax(1) == flat).mean())


def test_accuracy_resolves_by_output_shape_and_loss():
    y3 = (RNG.random((12, 3)) > 0.5).astype("float32")
    logits = X @ np.eye(3, dtype="float32")

    def evaluate(activation, loss):
        model = Sequential([Dense(3, input_dim=3, activation=activation,
                                  weights=[np.eye(3, dtype="float32"), np.zeros(3, "float32")])])
        model.compile("sgd", loss, metrics=["acc"])
        assert model.metrics_names == ["loss", "acc"]
        return model.evaluate(X, y3, verbose=0)[1]

    sig = 1 / (1 + np.exp(-logits))
    assert evaluate("sigmoid", "binary_crossentropy") == pytest.approx(
        (np.round(sig) == y3).mean())
    assert evaluate("softmax", "categorical_crossentropy") == pytest.approx(
        (logits.argmax(1) == y3.argmax(1)).mean())


def test_dropout_trains_noisily_and_predicts_deterministically():
    model = Sequential([Dropout(0.5, input_shape=(3,)), Dense(2, weights=[W0, B0])])
    model.compile("sgd", "mse")
    np.testing.assert_allclose(model.predict(X), X @ W0 + B0, rtol=1e-5)
    expected = ((X @ W0 + B0 - Y) ** 2).mean()
    assert model.evaluate(X, Y, verbose=0) == pytest.approx(expected, rel=1e-5)
    K.set_value(model.optimizer.lr, 0.0)
    trained = [model.train_on_batch(X, Y) for _ in range(3)]
    assert all(abs(t - expected) > 1e-6 for t in trained)


# ---------------------------------------------------------------- compile once


def test_functions_compile_once_and_are_reused():
    model = linear_model()
    start = stats["compiled"]
    model.fit(X, Y, nb_epoch=2, batch_size=4, verbose=0)
    model.fit(X, Y, nb_epoch=1, batch_size=5, verbose=0)
    model.train_on_batch(X, Y)
    assert stats["compiled"] - start == 1
    model.evaluate(X, Y, verbose=0)
    model.fit(X, Y, nb_epoch=1, verbose=0, validation_data=(X, Y))
    model.test_on_batch(X, Y)
    assert stats["compiled"] - start == 2
    model.predict(X)
    model.predict_on_batch(X)
    assert stats["compiled"] - start == 3
    model.compile("sgd", "mse")
    model.train_on_batch(X, Y)
    assert stats["compiled"] - start == 4


def test_learning_rate_changes_without_recompiling():
    model = linear_model()
    model.train_on_batch(X, Y)
    start = stats["compiled"]
    K.set_value(model.optimizer.lr, 0.0)
    before = model.get_weights()
    model.fit(X, Y, nb_epoch=1, verbose=0)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert stats["compiled"] == start


# ---------------------------------------------------------------- several inputs and outputs


def two_in_two_out():
    a, b = Input(shape=(3,), name="a"), Input(shape=(2,), name="b")
    h = Dense(4, activation="tanh")(a)
    out1 = Dense(2, activation="softmax", name="out1")(h)
    out2 = Dense(1, name="out2")(Dense(4)(b))
    return Model([a, b], [out1, out2])


def test_multi_output_names_loss_weights_and_dicts():
    model = two_in_two_out()
    model.compile("adam", {"out1": "categorical_crossentropy", "out2": "mse"},
                  metrics={"out1": ["accuracy"]}, loss_weights={"out1": 1.0, "out2": 0.5})
    assert model.metrics_names == ["loss", "out1_loss", "out2_loss", "out1_acc"]
    xa, xb = RNG.random((10, 3)).astype("float32"), RNG.random((10, 2)).astype("float32")
    y1 = np.eye(2, dtype="float32")[np.arange(10) % 2]
    y2 = RNG.random((10, 1)).astype("float32")
    loss, l1, l2, _ = model.evaluate({"a": xa, "b": xb}, {"out1": y1, "out2": y2}, verbose=0)
    assert loss == pytest.approx(l1 + 0.5 * l2, rel=1e-5)
    p1, p2 = model.predict([xa, xb])
    assert l2 == pytest.approx(((p2 - y2) ** 2).mean(), rel=1e-5)
    history = model.fit([xa, xb], [y1, y2], nb_epoch=2, batch_size=4, verbose=0,
                        validation_split=0.2)
    assert set(history.history) == {"loss", "out1_loss", "out2_loss", "out1_acc", "val_loss",
                                    "val_out1_loss", "val_out2_loss", "val_out1_acc"}


def test_compile_argument_errors():
    model = two_in_two_out()
    with pytest.raises(ValueError, match="Unknown entry in loss dictionary: 'out3'"):
        model.compile("sgd", {"out1": "mse", "out3": "mse"})
    with pytest.raises(ValueError, match="Output 'out2' missing from loss dictionary"):
        model.compile("sgd", {"out1": "mse"})
    with pytest.raises(ValueError, match="When passing a list as loss, it should have one entry "
                                         "per model output. The model has 2 outputs"):
        model.compile("sgd", ["mse"])
    with pytest.raises(ValueError, match="Invalid loss function"):
        model.compile("sgd", "msee")
    with pytest.raises(ValueError, match="The model cannot be compiled because it has no loss"):
        model.compile("sgd", None)


def test_output_without_a_loss_takes_no_targets():
    model = two_in_two_out()
    model.compile("sgd", [None, "mse"])
    xa, xb = RNG.random((6, 3)).astype("float32"), RNG.random((6, 2)).astype("float32")
    y2 = RNG.random((6, 1)).astype("float32")
    assert model.metrics_names == ["loss", "out2_loss"]
    loss, out2_loss = model.evaluate([xa, xb], y2, verbose=0)
    assert loss == pytest.approx(out2_loss)


# ---------------------------------------------------------------- data errors


def test_data_errors_name_the_input_and_the_shapes():
    K.clear_session()
    model = linear_model()
    with pytest.raises(ValueError, match=r"Error when checking model input: expected "
                                         r"dense_input_1 to have shape \(None, 3\) but got array "
                                         r"with shape \(12, 4\)"):
        model.fit(np.ones((12, 4)), Y, verbose=0)
    with pytest.raises(ValueError, match=r"expected dense_1 to have 2 dimensions, but got array "
                                         r"with shape \(12, 2, 1\)"):
        model.evaluate(X, Y[:, :, None], verbose=0)
    with pytest.raises(ValueError, match=r"Input arrays should have the same number of samples "
                                         r"as target arrays. Found 12 input samples and 11 "
                                         r"target samples \(inputs 'dense_input_1': \(12, 3\); "
                                         r"targets 'dense_1': \(11, 2\)\)"):
        model.fit(X, Y[:11], verbose=0)
    with pytest.raises(ValueError, match="the model expects 2 arrays"):
        two_in_two_out().predict(X)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments: \\['nb_epochs'\\]"):
        model.fit(X, Y, nb_epochs=3)
    with pytest.raises(TypeError, match="Pass the number of epochs once"):
        model.fit(X, Y, nb_epoch=2, epochs=3)


def test_categorical_crossentropy_with_integer_labels_explains():
    model = Sequential([Dense(3, input_dim=3, activation="softmax")])
    model.compile("sgd", "categorical_crossentropy")
    with pytest.raises(ValueError, match=r"You are passing a target array of shape \(12, 1\) "
                                         r"while using as loss `categorical_crossentropy`"):
        model.fit(X, np.arange(12) % 3, verbose=0)


def test_training_needs_compile():
    model = Sequential([Dense(2, input_dim=3)])
    with pytest.raises(RuntimeError, match="You must compile a model before training/testing"):
        model.fit(X, Y)
    np.testing.assert_allclose(model.predict(X).shape, (12, 2))  # predict needs no compile


def test_temporal_sample_weights_weight_each_timestep():
    x3 = RNG.standard_normal((4, 5, 3)).astype("float32")
    y3 = RNG.standard_normal((4, 5, 2)).astype("float32")
    model = Sequential([Dense(2, input_shape=(5, 3), weights=[W0, B0])])
    model.compile("sgd", "mse", sample_weight_mode="temporal")
    w = (RNG.random((4, 5)) > 0.3).astype("float32") * 2
    score = ((x3 @ W0 + B0 - y3) ** 2).mean(-1)
    expected = (score * w).mean() / (w != 0).mean()
    assert model.evaluate(x3, y3, sample_weight=w, verbose=0) == pytest.approx(expected,
                                                                               rel=1e-5)
    with pytest.raises(ValueError, match="you should pass a 2D sample_weight array"):
        model.evaluate(x3, y3, sample_weight=w[:, 0], verbose=0)


def test_masked_timesteps_do_not_count_in_the_loss():
    from keras_front.layers import Masking
    x3 = RNG.standard_normal((3, 4, 3)).astype("float32")
    x3[0, 1:] = 0.0
    y3 = RNG.standard_normal((3, 4, 2)).astype("float32")
    model = Sequential([Masking(input_shape=(4, 3)), Dense(2, weights=[W0, B0])])
    model.compile("sgd", "mse", sample_weight_mode="temporal")
    mask = (x3 != 0).any(-1).astype("float32")
    score = ((x3 @ W0 + B0 - y3) ** 2).mean(-1) * mask / mask.mean()
    assert model.evaluate(x3, y3, verbose=0) == pytest.approx(score.mean(), rel=1e-5)


def test_constraints_apply_after_each_step():
    from keras_front import constraints
    model = Sequential([Dense(2, input_dim=3, weights=[np.abs(W0), B0],
                              W_constraint=constraints.nonneg(),
                              b_constraint=constraints.maxnorm(0.5))])
    model.compile(optimizers.SGD(lr=1.0), "mse")
    model.fit(X, -10 * np.abs(Y), nb_epoch=2, batch_size=4, verbose=0)
    w, b = model.get_weights()
    assert (w >= 0).all() and np.abs(b).max() <= 0.5 + 1e-6
    assert not np.allclose(w, np.abs(W0))


# ---------------------------------------------------------------- threads


def test_threads_training_a_fresh_model_share_one_train_function(monkeypatch):
    """Each thread made its own train function (and optimizer state) when the first calls
    overlapped; two functions then updated the same variables without a common lock."""
    import threading
    import time

    model = Sequential([Dense(2, input_dim=3)])
    model.compile(optimizers.Adam(), "mse")
    made = []
    original = K.function

    def slow_function(*args, **kwargs):  # widens the window in which threads overlap
        made.append(kwargs.get("name"))
        time.sleep(0.2)
        return original(*args, **kwargs)

    monkeypatch.setattr(K, "function", slow_function)
    start = threading.Barrier(8)
    used, errors = [], []

    def train():
        try:
            start.wait()
            model.train_on_batch(X[:4], Y[:4])
            used.append(model.train_function)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=train) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert made == ["train_function"]
    assert len({id(f) for f in used}) == 1
    assert len(model.optimizer.weights) == 1 + 2 * 2  # iterations, m and v of W and b


def test_a_metric_may_return_a_dict_of_named_values():
    def spread(y_true, y_pred):
        return {"max_error": K.max(K.abs(y_true - y_pred)), "min_pred": K.min(y_pred)}

    model = Sequential([Dense(1, input_dim=2, init="one", bias=False)])
    model.compile("sgd", "mse", metrics=[spread, "mae"])
    assert model.metrics_names == ["loss", "max_error", "min_pred", "mean_absolute_error"]
    x = np.array([[1.0, 2.0], [0.0, 1.0]], "float32")
    y = np.array([[2.0], [1.5]], "float32")
    loss, max_error, min_pred, mae = model.evaluate(x, y, verbose=0)
    np.testing.assert_allclose([loss, max_error, min_pred, mae],
                               [(1 + 0.25) / 2, 1.0, 1.0, 0.75], rtol=1e-6)


def test_keras_1_2_2_engine_training_names():
    from keras_front.engine import training
    assert training.make_batches(7, 3) == [(0, 3), (3, 6), (6, 7)]
    assert callable(training.weighted_objective) and callable(training.batch_shuffle)
