"""`python -m symgraph.demo`: a classifier written in symgraph learns the spirals it makes."""

import io

import numpy as np

from symgraph import demo


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
