"""K.ctc_batch_cost and K.ctc_decode (keras_front/backend/ctc.py): TensorFlow's published
values (the semantics Keras 1.2.2 documents), gradients, and a model trained with CTC."""

import numpy as np

from keras_front import backend as K
from keras_front.layers import Dense, Input, Lambda, TimeDistributed
from keras_front.models import Model
from keras_front.optimizers import Adam

INPUTS = np.asarray(
    [[[0.633766, 0.221185, 0.0917319, 0.0129757, 0.0142857, 0.0260553],
      [0.111121, 0.588392, 0.278779, 0.0055756, 0.00569609, 0.010436],
      [0.0357786, 0.633813, 0.321418, 0.00249248, 0.00272882, 0.0037688],
      [0.0663296, 0.643849, 0.280111, 0.00283995, 0.0035545, 0.00331533],
      [0.458235, 0.396634, 0.123377, 0.00648837, 0.00903441, 0.00623107]],
     [[0.30176, 0.28562, 0.0831517, 0.0862751, 0.0816851, 0.161508],
      [0.24082, 0.397533, 0.0557226, 0.0546814, 0.0557528, 0.19549],
      [0.230246, 0.450868, 0.0389607, 0.038309, 0.0391602, 0.202456],
      [0.280884, 0.429522, 0.0326593, 0.0339046, 0.0326856, 0.190345],
      [0.423286, 0.315517, 0.0338439, 0.0393744, 0.0339315, 0.154046]]], dtype=np.float32)
LABELS = np.asarray([[0, 1, 2, 1, 0], [0, 1, 1, 0, -1]])


def test_batch_cost_matches_tensorflows_values():
    cost = K.ctc_batch_cost(K.variable(LABELS, dtype="int32"), K.variable(INPUTS),
                            K.variable([[5], [5]], dtype="int32"),
                            K.variable([[5], [4]], dtype="int32"))
    value = K.eval(cost)
    assert value.shape == (2, 1)
    np.testing.assert_allclose(value[:, 0], [3.34211, 5.42262], atol=1e-5)


def test_batch_cost_gradient_matches_finite_differences():
    y_pred = K.placeholder(shape=(2, 5, 6), dtype="float64")
    cost = K.sum(K.ctc_batch_cost(LABELS.astype("float64"), y_pred, [[5], [4]], [[3], [2]]))
    f = K.function([y_pred], [cost, K.gradients(cost, [y_pred])[0]])
    point = INPUTS.astype("float64")
    value, grad = f([point])
    for index in [(0, 0, 0), (0, 3, 1), (1, 2, 5), (1, 4, 0)]:
        moved = point.copy()
        moved[index] += 1e-6
        numeric = (f([moved])[0] - value) / 1e-6
        np.testing.assert_allclose(grad[index], numeric, rtol=1e-3, atol=1e-6)
    assert grad[1, 4].tolist() == [0.0] * 6  # sample 1 has 4 steps


def test_decode_greedy_and_beam_search():
    length = K.variable([5, 5], dtype="int32")
    [greedy], log_prob = K.ctc_decode(K.variable(INPUTS), length)
    best = K.eval(greedy)
    assert best.shape[0] == 2 and (best[0, :3] == [0, 1, 0]).all()
    np.testing.assert_allclose(K.eval(log_prob)[:, 0],
                               -np.log(INPUTS.max(-1) + 1e-8).sum(-1), rtol=1e-5)
    paths, scores = K.ctc_decode(K.variable(INPUTS), length, greedy=False, beam_width=10,
                                 top_paths=3)
    assert len(paths) == 3 and K.eval(scores).shape == (2, 3)
    assert (np.diff(K.eval(scores), axis=1) <= 0).all()  # best path first


def test_training_with_ctc_loss_lowers_it():
    # The image_ocr example's pattern: CTC as a Lambda layer, the loss its output. Frames
    # alternate a symbol (one-hot of 0 or 1) and a pause (feature 2): the labels are the
    # three symbols, which a softmax per frame can learn to read.
    np.random.seed(0)  # the initial weights
    rng = np.random.default_rng(0)
    symbols = rng.integers(0, 2, (32, 3))
    x = np.zeros((32, 6, 3), "float32")
    x[:, 0::2] = np.eye(3)[symbols]
    x[:, 1::2, 2] = 1.0
    steps, classes = 6, 3
    frames = Input(shape=(steps, 3))
    probs = TimeDistributed(Dense(classes, activation="softmax"))(frames)
    label_in, in_len, lab_len = Input(shape=(3,)), Input(shape=(1,)), Input(shape=(1,))
    loss = Lambda(lambda a: K.ctc_batch_cost(*a), output_shape=(1,))(
        [label_in, probs, in_len, lab_len])
    model = Model([frames, label_in, in_len, lab_len], loss)
    model.compile(loss=lambda y_true, y_pred: y_pred, optimizer=Adam(lr=0.05))
    feeds = [x, symbols.astype("float32"), np.full((32, 1), steps), np.full((32, 1), 3)]
    history = model.fit(feeds, np.zeros((32, 1)), nb_epoch=20, batch_size=16, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    decode = K.function([frames], K.ctc_decode(probs, K.variable(np.full(32, steps)))[0])
    np.testing.assert_array_equal(decode([x])[0], symbols)
