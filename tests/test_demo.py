"""The demos: `make demo` (`python -m keras_front.demo`: a Keras 1 model learns the bundled
UCI digits, is saved and reloaded) and `make demo-symgraph` (`python -m symgraph.demo`: a
classifier written in symgraph learns the spirals it makes)."""

import io
import os
import subprocess
import sys

import numpy as np
import pytest

from keras_front import demo as keras_demo
from symgraph import demo

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_make_demo_runs_the_keras_front_demo():
    with open(os.path.join(ROOT, "Makefile")) as f:
        makefile = f.read()
    assert "demo: $(STAMP)\n\tOPENBLAS_NUM_THREADS=1 $(PY) -m keras_front.demo\n" in makefile


def test_the_default_demo_is_the_convnet_reaching_95_percent_and_reloading_identically(
        tmp_path):
    # Run as `make demo` runs it (BLAS on one thread), as a program with its defaults.
    env = dict(os.environ, TMPDIR=str(tmp_path), OPENBLAS_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-m", "keras_front.demo"],
                          capture_output=True, text=True, cwd=ROOT, env=env, timeout=300)
    text = proc.stdout + proc.stderr
    assert proc.returncode == 0, text  # it exits non-zero below 95% or on a reload mismatch
    assert "(Convolution2D)" in text and "(MaxPooling2D)" in text and "(Dense)" in text
    assert "meets the 95% target" in text
    assert "digits_convnet.h5 and loaded back" in text and "are identical" in text
    assert os.listdir(tmp_path) == []  # its temporary folder is removed


def test_the_mlp_demo_reaches_95_percent_and_reloads_identically(tmp_path):
    out = io.StringIO()
    result = keras_demo.main("mlp", out=out, folder=str(tmp_path))
    text = out.getvalue()
    assert result["accuracy"] >= 0.95, text
    assert result["reloaded_same"], text
    assert (tmp_path / "digits_mlp.h5").is_file()
    assert "test accuracy" in text and "Total params" in text and "identical" in text
    assert "Convolution2D" not in text


def test_the_demo_data_are_the_bundled_digits_scaled_for_the_model():
    (x_train, y_train), (x_test, y_test) = keras_demo.load_digits()
    assert x_train.shape == (1438, 8, 8, 1) and x_test.shape == (359, 8, 8, 1)
    assert x_train.dtype == np.float32 and 0.0 == x_train.min() and x_train.max() == 1.0
    np.testing.assert_array_equal(y_test.sum(axis=1), 1)


def test_an_unknown_model_kind_is_named():
    with pytest.raises(ValueError, match="unknown model 'rnn'"):
        keras_demo.build("rnn")


def test_spirals_are_balanced_float32_points():
    x, y = demo.make_spirals(n_per_class=50, n_classes=3)
    assert x.shape == (150, 2) and x.dtype == np.float32
    assert y.dtype == np.int64 and np.bincount(y).tolist() == [50, 50, 50]
    x2, _ = demo.make_spirals(n_per_class=50, n_classes=3)
    np.testing.assert_array_equal(x, x2)  # a fixed seed: every run sees the same data


def test_a_short_run_learns_well_beyond_chance_and_prints_each_part():
    out = io.StringIO()
    accuracy = demo.main(epochs=12, out=out)
    text = out.getvalue()
    assert accuracy > 0.75, text  # chance is 1/3
    assert "sg.debugprint(loss)" in text and "log_softmax" in text
    assert "def train_step(x, y):" in text
    assert "@ demo.py:" in text  # generated lines name the demo's own source lines
    assert "epoch    1" in text and "epoch   12" in text
    assert f"final training accuracy: {accuracy:.1%}" in text


def test_the_training_step_is_one_compiled_function_updating_every_parameter():
    model = demo.build_classifier(n_hidden=8)
    x, y = demo.make_spirals(n_per_class=20)
    before = [p.get_value() for p in model.params]
    first = model.train(x, y)
    for _ in range(20):
        last = model.train(x, y)
    assert last < first
    for p, old in zip(model.params, before, strict=True):
        assert not np.array_equal(p.get_value(), old), p.name
    assert len(model.train.updates) == 2 * len(model.params)  # weights and their velocities
