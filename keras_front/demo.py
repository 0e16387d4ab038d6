"""A Keras 1 program on real data: a model learns the UCI handwritten digits shipped with
keras_front, is saved to HDF5, loaded back, and must predict exactly as before.

Run it with ``python -m keras_front.demo`` (``make demo`` installs first, and runs it
with ``OPENBLAS_NUM_THREADS=1``: on a busy machine OpenBLAS's default threads made the
small matrix products of this model ~10x slower). It prints the model's summary, the
training curve, the test accuracy (at least 95% is expected), and checks the reloaded
model. The digits are 8x8 images (keras_front.datasets.digits: a
fixed train/test split, no download). Everything is seeded: every run prints the same.

The model is a small convnet (Convolution2D, MaxPooling2D, Dense: Keras 1's mnist_cnn
example scaled to 8x8 images); ``--model mlp`` trains a multilayer perceptron instead.
Each kind has its own default number of epochs (``--epochs`` overrides it).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from typing import TextIO

import numpy as np

from keras_front.datasets import digits
from keras_front.layers import Convolution2D, Dense, Dropout, Flatten, MaxPooling2D
from keras_front.models import Sequential, load_model
from keras_front.utils.np_utils import to_categorical

MODEL = "convnet"
N_CLASSES = 10
# Enough for >= 95% test accuracy with a margin (the convnet reaches ~98%, the MLP ~97%).
EPOCHS = {"convnet": 10, "mlp": 30}


def build_mlp() -> Sequential:
    """64 pixels -> 128 relu -> dropout -> 64 relu -> 10 softmax."""
    return Sequential([
        Flatten(input_shape=(8, 8, 1)),
        Dense(128, activation="relu"),
        Dropout(0.2),
        Dense(64, activation="relu"),
        Dense(N_CLASSES, activation="softmax"),
    ])


def build_convnet() -> Sequential:
    """Two 3x3 convolutions (16 and 32 filters, channels last), 2x2 max pooling, dropout,
    then a small dense classifier: 8x8x1 -> 8x8x16 -> 8x8x32 -> 4x4x32 -> 64 -> 10."""
    return Sequential([
        Convolution2D(16, 3, 3, border_mode="same", activation="relu", dim_ordering="tf",
                      input_shape=(8, 8, 1)),
        Convolution2D(32, 3, 3, border_mode="same", activation="relu", dim_ordering="tf"),
        MaxPooling2D(pool_size=(2, 2), dim_ordering="tf"),
        Dropout(0.25),
        Flatten(),
        Dense(64, activation="relu"),
        Dense(N_CLASSES, activation="softmax"),
    ])


BUILDERS: dict[str, Callable[[], Sequential]] = {"mlp": build_mlp, "convnet": build_convnet}


def load_digits() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The bundled digits as images (n, 8, 8, 1) scaled to [0, 1] and one-hot labels."""
    (x_train, y_train), (x_test, y_test) = digits.load_data()

    def images(x: np.ndarray) -> np.ndarray:
        return (x.astype("float32") / 16.0)[..., None]

    return ((images(x_train), to_categorical(y_train, N_CLASSES)),
            (images(x_test), to_categorical(y_test, N_CLASSES)))


def build(kind: str = MODEL, seed: int = 1) -> Sequential:
    """The compiled model of that kind (Adam, categorical cross-entropy, accuracy)."""
    if kind not in BUILDERS:
        raise ValueError(f"unknown model {kind!r}; choose one of {sorted(BUILDERS)}")
    np.random.seed(seed)  # keras_front's initializers draw from NumPy's global generator
    model = BUILDERS[kind]()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main(kind: str = MODEL, nb_epoch: int | None = None, out: TextIO = sys.stdout,
         folder: str | None = None) -> dict[str, float | bool]:
    """Train (`nb_epoch` epochs, else the kind's default), evaluate, save (to `folder`,
    else a temporary folder removed afterwards) and reload; returns {'accuracy',
    'reloaded_same'}."""
    start = time.perf_counter()
    model = build(kind)
    nb_epoch = EPOCHS[kind] if nb_epoch is None else nb_epoch
    (x_train, y_train), (x_test, y_test) = load_digits()
    print(f"UCI digits: {len(x_train)} training and {len(x_test)} test images of 8x8 "
          f"pixels (bundled with keras_front, CC BY 4.0)", file=out)
    model.summary(print_fn=lambda line: print(line, file=out))
    history = model.fit(x_train, y_train, batch_size=32, nb_epoch=nb_epoch,
                        validation_split=0.1, verbose=0)
    for epoch in sorted({*range(0, nb_epoch, max(1, nb_epoch // 6)), nb_epoch - 1}):
        h = history.history
        print(f"epoch {epoch + 1:3d}  loss {h['loss'][epoch]:.4f}  acc {h['acc'][epoch]:.3f}  "
              f"val_loss {h['val_loss'][epoch]:.4f}  val_acc {h['val_acc'][epoch]:.3f}", file=out)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.1%} "
          f"({'meets' if accuracy >= 0.95 else 'MISSES'} the 95% target)", file=out)

    if folder is None:
        with tempfile.TemporaryDirectory(prefix="keras_front_demo_") as tmp:
            same = _save_and_reload(model, x_test, os.path.join(tmp, f"digits_{kind}.h5"), out)
    else:
        same = _save_and_reload(model, x_test, os.path.join(folder, f"digits_{kind}.h5"), out)
    print(f"done in {time.perf_counter() - start:.1f} s", file=out)
    return {"accuracy": float(accuracy), "reloaded_same": same}


def _save_and_reload(model: Sequential, x_test: np.ndarray, path: str, out: TextIO) -> bool:
    """Save to `path` (HDF5), load it back; whether both predict exactly the same."""
    model.save(path)
    reloaded = load_model(path)
    before, after = model.predict(x_test), reloaded.predict(x_test)
    same = bool(np.array_equal(before, after))
    print(f"saved to {path} and loaded back: the reloaded model's predictions are "
          f"{'identical' if same else 'DIFFERENT'} (max difference "
          f"{float(np.max(np.abs(before - after))):.2g})", file=out)
    return same


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", choices=sorted(BUILDERS), default=MODEL)
    parser.add_argument("--epochs", type=int, default=None,
                        help=f"default: {', '.join(f'{k} {v}' for k, v in EPOCHS.items())}")
    args = parser.parse_args()
    result = main(args.model, args.epochs)
    sys.exit(0 if result["accuracy"] >= 0.95 and result["reloaded_same"] else 1)
