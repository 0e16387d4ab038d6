"""LivePlot redraws the curves each epoch: into a file anywhere, in place in a notebook."""

import xml.etree.ElementTree as ET

import numpy as np
import pytest

from keras_front.callbacks import LivePlot, live_plot
from keras_front.layers import Dense
from keras_front.models import Sequential

SVG_NS = "{http://www.w3.org/2000/svg}"


def fit(callback, epochs=3):
    model = Sequential([Dense(3, input_dim=4, activation="softmax")])
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["acc"])
    rng = np.random.default_rng(0)
    x = rng.random((40, 4), dtype=np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 40)]
    return model.fit(x, y, nb_epoch=epochs, verbose=0, validation_split=0.25,
                     callbacks=[callback])


def test_live_plot_rewrites_its_file_each_epoch(tmp_path):
    lp = LivePlot(to_file=tmp_path / "curves.svg", backend="svg")
    history = fit(lp)
    assert lp.draws == 3
    root = ET.parse(tmp_path / "curves.svg").getroot()
    panels = [g.find(f"{SVG_NS}text").text for g in root.iter(f"{SVG_NS}g")
              if g.get("class") == "panel"]
    assert panels == ["loss", "acc"]
    assert lp.history == {k: [float(v) for v in vals] for k, vals in history.history.items()}
    lines = [p for p in root.iter(f"{SVG_NS}polyline")]
    assert all(len(p.get("points").split()) == 3 for p in lines)


def test_every_and_the_last_epoch(tmp_path):
    lp = LivePlot(to_file=tmp_path / "c.svg", every=2, backend="svg")
    fit(lp, epochs=3)
    assert lp.draws == 2  # after epoch 2, and at the end for epoch 3
    with pytest.raises(ValueError, match="every must be >= 1"):
        LivePlot(every=0)


def test_in_a_notebook_the_picture_updates_in_place(monkeypatch):
    shown = []

    class Handle:
        def update(self, obj):
            shown.append(("update", obj))

    def display(obj, display_id=False):
        assert display_id is True
        shown.append(("display", obj))
        return Handle()

    monkeypatch.setattr(live_plot, "_notebook_display", lambda: display)
    lp = LivePlot(backend="svg")
    fit(lp)
    assert [kind for kind, _ in shown] == ["display", "update", "update"]
    assert all("<svg" in obj.svg for _, obj in shown)


def test_nowhere_to_draw_warns():
    with pytest.warns(UserWarning, match="not in a notebook and no to_file"):
        fit(LivePlot())
