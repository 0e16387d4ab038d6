"""The code users type (the seed blog posts in /work/shared/seeds), run on small synthetic
data with only the imports changed (`keras` -> `keras_front`, `tf.keras` ->
`keras_front`). Training must lower the loss; saved models and weights must load back.
"""

import types

import numpy as np
import pytest

import keras_front
import keras_front as keras
from keras_front import backend as K
from keras_front import losses, metrics
from keras_front.callbacks import Callback
from keras_front.layers import Activation, Dense, Input, Lambda, Layer, concatenate
from keras_front.models import Model, Sequential, load_model, model_from_json, model_from_yaml
from keras_front.optimizers import SGD, Adadelta, Adagrad, Adam, RMSprop
from keras_front.utils.np_utils import to_categorical

tf = types.SimpleNamespace(keras=keras_front)  # `import tensorflow as tf` -> tf.keras

RNG = np.random.RandomState(0)
N, NB_CLASSES = 240, 4
X10 = RNG.rand(N, 10).astype("float32")
LABELS = ((X10 - 0.5) @ RNG.randn(10, NB_CLASSES)).argmax(1)
Y_ONEHOT = to_categorical(LABELS, NB_CLASSES)


def decreased(history, key="loss"):
    values = history.history[key]
    return values[-1] < values[0]


def small_classifier(activation="softmax", input_dim=10):
    model = Sequential()
    model.add(Dense(16, input_dim=input_dim, activation="relu"))
    model.add(Dense(NB_CLASSES, activation=activation))
    return model


# ---------------------------------------------------------------- seed 000: modules


@pytest.mark.parametrize("optimizer", [
    SGD(lr=0.01, clipnorm=1.), SGD(lr=0.01, clipvalue=0.5),
    SGD(lr=0.01, momentum=0.0, decay=0.0, nesterov=False),
    RMSprop(lr=0.001, rho=0.9, epsilon=1e-06), Adagrad(lr=0.01, epsilon=1e-06),
    Adadelta(lr=1.0, rho=0.95, epsilon=1e-06),
    Adam(lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-08),
], ids=["clipnorm", "clipvalue", "sgd", "rmsprop", "adagrad", "adadelta", "adam"])
def test_seed000_optimizers(optimizer):
    np.random.seed(1)
    model = small_classifier()
    model.compile(loss="categorical_crossentropy", optimizer=optimizer)
    assert decreased(model.fit(X10, Y_ONEHOT, nb_epoch=4, batch_size=32, verbose=0))


def _targets_for(loss):
    if loss in ("hinge", "squared_hinge"):
        return "tanh", 2 * Y_ONEHOT - 1
    if loss == "sparse_categorical_crossentropy":
        return "softmax", np.expand_dims(LABELS, -1)
    if loss in ("mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error",
                "msle", "poisson", "cosine_proximity", "mean_squared_error", "mse",
                "mean_absolute_error", "mae"):
        return "softmax", Y_ONEHOT * 0.8 + 0.05
    return "softmax", Y_ONEHOT


@pytest.mark.parametrize("loss", [
    "mean_squared_error", "mse", "mean_absolute_error", "mae",
    "mean_absolute_percentage_error", "mape", "mean_squared_logarithmic_error", "msle",
    "squared_hinge", "hinge", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy", "kullback_leibler_divergence", "poisson",
    "cosine_proximity"])
def test_seed000_losses_by_name(loss):
    np.random.seed(2)
    activation, y = _targets_for(loss)
    model = small_classifier(activation)
    model.compile(loss=loss, optimizer="adam")
    assert decreased(model.fit(X10, y, nb_epoch=4, batch_size=16, verbose=0))


def test_seed000_custom_activation_function_and_activation_names():
    def tanh(x):
        return K.tanh(x)

    model = Sequential()
    model.add(Dense(64, activation=tanh, input_dim=10))
    model.add(Activation(tanh))
    for name in ("softplus", "softsign", "relu", "tanh", "sigmoid", "hard_sigmoid", "linear"):
        model.add(Dense(8, activation=name))
    model.add(Dense(NB_CLASSES, activation="softmax"))
    model.compile(loss="categorical_crossentropy", optimizer="adam")
    np.random.seed(3)
    assert decreased(model.fit(X10, Y_ONEHOT, nb_epoch=5, verbose=0))


# ---------------------------------------------------------------- seed 001: introduction


def test_seed001_sgd_example():
    np.random.seed(4)
    model = Sequential()
    model.add(Dense(64, init='uniform', input_dim=10))
    model.add(Activation('tanh'))
    model.add(Activation('softmax'))
    sgd = SGD(lr=0.1, decay=1e-6, momentum=0.9, nesterov=True)
    model.compile(loss='mean_squared_error', optimizer=sgd)
    y = to_categorical(RNG.randint(0, 64, N), 64)
    assert decreased(model.fit(X10, y, nb_epoch=5, verbose=0))
    keras.optimizers.SGD(lr=0.01, momentum=0.9, decay=0.9, nesterov=False)
    model.compile(loss='mean_squared_error', optimizer='sgd')
    model.fit(X10, y, nb_epoch=1, verbose=0)


@pytest.mark.parametrize("init", ["uniform", "lecun_uniform", "normal", "orthogonal", "zero",
                                  "glorot_normal", "glorot_uniform", "he_normal", "he_uniform"])
def test_seed001_initializations(init):
    model = Sequential()
    model.add(Dense(64, init=init, input_dim=10))
    model.add(Dense(64, init='identity'))
    assert model.layers[0].get_weights()[0].shape == (10, 64)
    np.testing.assert_array_equal(model.layers[1].get_weights()[0], np.eye(64))


def test_seed001_sequential_list_and_training_api():
    np.random.seed(5)
    x = RNG.rand(N, 784).astype("float32")
    y = to_categorical(RNG.randint(0, 10, N), 10)
    model = Sequential([
        Dense(32, input_dim=784),
        Activation('relu'),
        Dense(10),
        Activation('softmax'),
    ])
    model.compile(optimizer='rmsprop', loss='categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x, y, batch_size=32, nb_epoch=3, verbose=1, callbacks=[],
                        validation_split=0.0, validation_data=None, shuffle=True,
                        class_weight=None, sample_weight=None)
    assert decreased(history) and set(history.history) == {"loss", "acc"}
    loss, acc = model.evaluate(x, y, batch_size=32, verbose=1, sample_weight=None)
    assert 0 <= acc <= 1 and loss < history.history["loss"][0]
    assert model.predict(x, batch_size=32, verbose=0).shape == (N, 10)


# ---------------------------------------------------------------- seed 002: losses, saving


def test_seed002_loss_function_objects_and_to_categorical():
    int_labels = LABELS
    categorical_labels = to_categorical(int_labels, num_classes=None)
    assert categorical_labels.shape == (N, NB_CLASSES)
    model = small_classifier()
    model.compile(loss=losses.mean_squared_error, optimizer='sgd')
    np.random.seed(6)
    assert decreased(model.fit(X10, categorical_labels, nb_epoch=5, verbose=0))


def test_seed002_myloss_written_with_numpy():
    def myloss(pred, true):
        result = np.power(pred - true, 4)
        return result.mean()

    model = small_classifier()
    model.compile(optimizer='adam', loss=myloss)
    np.random.seed(7)
    assert decreased(model.fit(X10, Y_ONEHOT, nb_epoch=5, verbose=0))


def test_seed002_mycrossentropy_written_with_k():
    nb_classes = NB_CLASSES

    def mycrossentropy(y_true, y_pred, e=0.1):
        return (1 - e) * K.categorical_crossentropy(y_pred, y_true) + \
            e * K.categorical_crossentropy(y_pred, K.ones_like(y_pred) / nb_classes)

    model = small_classifier()
    model.compile(optimizer='adam', loss=mycrossentropy)
    np.random.seed(8)
    history = model.fit(X10, Y_ONEHOT, nb_epoch=5, verbose=0)
    assert decreased(history)
    p = np.clip(model.predict(X10), 1e-7, 1 - 1e-7)
    p /= p.sum(1, keepdims=True)
    expected = (0.9 * -(Y_ONEHOT * np.log(p)).sum(1) +
                0.1 * -(np.log(p) / nb_classes).sum(1)).mean()
    assert model.evaluate(X10, Y_ONEHOT, verbose=0) == pytest.approx(expected, rel=1e-4)


def test_seed002_custom_variational_layer_with_loss_none():
    batch_size, original_dim, latent_dim, intermediate_dim = 20, 12, 2, 8
    np.random.seed(9)
    x = Input(batch_shape=(batch_size, original_dim))
    h = Dense(intermediate_dim, activation='relu')(x)
    z_mean = Dense(latent_dim)(h)
    z_log_var = Dense(latent_dim)(h)

    def sampling(args):
        z_mean, z_log_var = args
        epsilon = K.random_normal(shape=(batch_size, latent_dim), mean=0., std=1.0)
        return z_mean + K.exp(z_log_var / 2) * epsilon

    z = Lambda(sampling, output_shape=(latent_dim,))([z_mean, z_log_var])
    x_decoded_mean = Dense(original_dim, activation='sigmoid')(
        Dense(intermediate_dim, activation='relu')(z))

    class CustomVariationalLayer(Layer):
        def __init__(self, **kwargs):
            self.is_placeholder = True
            super(CustomVariationalLayer, self).__init__(**kwargs)  # noqa: UP008 (seed code)

        def vae_loss(self, x, x_decoded_mean):
            xent_loss = original_dim * metrics.binary_crossentropy(x, x_decoded_mean)
            kl_loss = - 0.5 * K.sum(1 + z_log_var - K.square(z_mean) - K.exp(z_log_var),
                                    axis=-1)
            return K.mean(xent_loss + kl_loss)

        def call(self, inputs):
            x = inputs[0]
            x_decoded_mean = inputs[1]
            loss = self.vae_loss(x, x_decoded_mean)
            self.add_loss(loss, inputs=inputs)
            # We won't actually use the output.
            return x

    y = CustomVariationalLayer()([x, x_decoded_mean])
    vae = Model(x, y)
    vae.compile(optimizer='rmsprop', loss=None)
    data = (RNG.rand(200, original_dim) > 0.5).astype("float32")
    history = vae.fit(data, shuffle=True, epochs=6, batch_size=batch_size,
                      validation_data=(data[:100], None), verbose=0)
    assert decreased(history) and decreased(history, "val_loss")


def two_input_model():
    lstm_in, resnet_in = Input(shape=(6,)), Input(shape=(4,))
    merged = concatenate([Dense(8, activation='relu')(lstm_in),
                          Dense(8, activation='relu')(resnet_in)])
    out = Dense(NB_CLASSES, activation='softmax')(merged)
    model = Model([lstm_in, resnet_in], out)
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    return model


TRAIN_X_LSTM, TRAIN_X_RESNET = X10[:, :6], X10[:, 6:] * 3
TRAIN_Y = Y_ONEHOT


class FilenameTemplate(Callback):
    """What ModelCheckpoint does with its template, without saving."""

    def __init__(self):
        super().__init__()
        self.names = []

    def on_epoch_end(self, epoch, logs=None):
        self.names.append('{epoch:02d}.{val_acc:.2f}.V0.hdf5'.format(epoch=epoch + 1, **logs))


def test_seed002_two_input_model_with_validation_data():
    np.random.seed(10)
    model = two_input_model()
    template = FilenameTemplate()
    history = model.fit([TRAIN_X_LSTM[:200], TRAIN_X_RESNET[:200]], TRAIN_Y[:200], verbose=1,
                        epochs=6, batch_size=32,
                        validation_data=([TRAIN_X_LSTM[200:], TRAIN_X_RESNET[200:]],
                                         TRAIN_Y[200:]),
                        shuffle=True, callbacks=[template])
    assert set(history.history) == {"loss", "acc", "val_loss", "val_acc"}
    assert decreased(history) and decreased(history, "val_loss")
    assert template.names[0] == f"01.{history.history['val_acc'][0]:.2f}.V0.hdf5"


def test_seed002_validation_split_and_history_file(tmp_path):
    np.random.seed(11)
    model = two_input_model()
    history = model.fit([TRAIN_X_LSTM, TRAIN_X_RESNET], TRAIN_Y, verbose=0, epochs=5,
                        batch_size=32, validation_split=0.1, shuffle=True)
    assert decreased(history)
    assert len(history.history["val_acc"]) == 5
    with open(tmp_path / 'train_history.txt', 'w') as f:
        f.write(str(history.history))
    assert "'val_loss': [" in (tmp_path / 'train_history.txt').read_text()


def test_seed002_nb_epoch_and_validation_split():
    np.random.seed(12)
    model = small_classifier()
    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['acc'])
    nb_epoch = 4
    history = model.fit(X10, Y_ONEHOT, batch_size=256, shuffle=True, nb_epoch=nb_epoch,
                        validation_split=0.1)
    assert sorted(history.history) == ["acc", "loss", "val_acc", "val_loss"]
    assert decreased(history)


def test_seed002_save_and_load_model(tmp_path):
    model = two_input_model()
    model.save(str(tmp_path / 'my_model.h5'))
    model = load_model(str(tmp_path / 'my_model.h5'))
    assert len(model.layers) == 6


def test_seed002_json_and_yaml_architecture():
    model = two_input_model()
    json_string = model.to_json()
    yaml_string = model.to_yaml()
    assert len(model_from_json(json_string).layers) == 6
    assert len(model_from_yaml(yaml_string).layers) == 6


def test_seed002_save_and_load_weights(tmp_path):
    model = two_input_model()
    model.save_weights(str(tmp_path / 'my_model_weights.h5'))
    model.load_weights(str(tmp_path / 'my_model_weights.h5'))


def test_seed002_load_weights_by_name(tmp_path):
    fname = str(tmp_path / "weights.h5")
    model = Sequential()
    model.add(Dense(2, input_dim=3, name="dense_1"))
    model.add(Dense(3, name="dense_2"))
    model.save_weights(fname)
    old = model.layers[0].get_weights()
    model = Sequential()
    model.add(Dense(2, input_dim=3, name="dense_1"))  # will be loaded
    model.add(Dense(10, name="new_dense"))  # will not be loaded
    model.load_weights(fname, by_name=True)
    np.testing.assert_array_equal(model.layers[0].get_weights()[0], old[0])


def test_seed002_model_checkpoint(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'Train_record').mkdir()
    Checkpoint = keras.callbacks.ModelCheckpoint(
        'Train_record/{epoch:02d}.{val_acc:.2f}.V0.hdf5',
        monitor='val_loss',
        verbose=1,
        save_best_only=True,
        save_weights_only=False,
        mode='auto',
        period=1)
    model = two_input_model()
    model.fit([TRAIN_X_LSTM[:200], TRAIN_X_RESNET[:200]], TRAIN_Y[:200], verbose=1, epochs=2,
              batch_size=256,
              validation_data=([TRAIN_X_LSTM[200:], TRAIN_X_RESNET[200:]], TRAIN_Y[200:]),
              shuffle=True, callbacks=[Checkpoint])
    assert list((tmp_path / 'Train_record').iterdir())


# ---------------------------------------------------------------- seed 003: tf.keras MLP


def test_seed003_tf_keras_mnist_shaped_mlp():
    np.random.seed(13)
    images = RNG.rand(300, 28, 28).astype("float32")
    labels = (images.reshape(300, -1) @ RNG.randn(784, 10)).argmax(1)
    train_image, test_image = images[:240], images[240:]
    train_label_onehot = to_categorical(labels[:240], 10)
    test_label_onehot = to_categorical(labels[240:], 10)

    model = tf.keras.Sequential()
    model.add(tf.keras.layers.Flatten(input_shape=(28,28)))  # 28*28  # noqa: E231
    model.add(tf.keras.layers.Dense(128, activation='relu'))
    model.add(tf.keras.layers.Dropout(0.5))
    model.add(tf.keras.layers.Dense(128, activation='relu'))
    model.add(tf.keras.layers.Dropout(0.5))
    model.add(tf.keras.layers.Dense(128, activation='relu'))
    model.add(tf.keras.layers.Dropout(0.5))
    model.add(tf.keras.layers.Dense(10, activation='softmax'))
    model.compile(optimizer=tf.keras.optimizers.Adam(learning_rate=0.001),
                  loss='categorical_crossentropy',
                  metrics=['acc']
                  )
    history = model.fit(train_image, train_label_onehot,
                        epochs=5,
                        validation_data=(test_image, test_label_onehot))
    assert sorted(history.history.keys()) == ["acc", "loss", "val_acc", "val_loss"]
    assert decreased(history)
    model.compile(optimizer='adam',
                  loss='categorical_crossentropy',
                  metrics=['acc']
                  )
    history = model.fit(train_image, train_label_onehot, epochs=2, verbose=0)
    assert model.predict(test_image).shape == (60, 10)
