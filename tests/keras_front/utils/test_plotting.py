"""Training curves: plot_history with matplotlib and with the built-in SVG."""

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from keras_front.utils import plotting
from keras_front.utils.plotting import curves_of, nice_ticks, plot_history

SVG_NS = "{http://www.w3.org/2000/svg}"
HISTORY = {"loss": [1.0, 0.6, 0.4], "acc": [0.5, 0.7, 0.8],
           "val_loss": [1.1, 0.8, 0.7], "val_acc": [0.4, 0.6, 0.65]}


class FakeHistory:
    def __init__(self, history, epoch):
        self.history, self.epoch = history, epoch


def test_curves_pair_train_and_validation_loss_first():
    epochs, curves = curves_of({"acc": [0.1], "loss": [2.0], "val_loss": [3.0]})
    assert epochs == [1]
    assert curves == [("loss", [2.0], [3.0]), ("acc", [0.1], None)]
    epochs, _ = curves_of(FakeHistory(HISTORY, [4, 5, 6]))  # fit(initial_epoch=4)
    assert epochs == [5, 6, 7]
    with pytest.raises(ValueError, match=r"no \['mae'\] in the history"):
        curves_of(HISTORY, metrics=["mae"])
    with pytest.raises(TypeError, match="takes a History"):
        curves_of([1, 2])
    with pytest.raises(ValueError, match="history is empty"):
        curves_of({})


def test_builtin_svg_draws_the_values(tmp_path):
    picture = plot_history(HISTORY, tmp_path / "h.svg", backend="svg")
    svg = (tmp_path / "h.svg").read_text()
    assert picture.svg == svg
    root = ET.fromstring(svg)
    panels = [g for g in root.iter(f"{SVG_NS}g") if g.get("class") == "panel"]
    assert [p.find(f"{SVG_NS}text").text for p in panels] == ["loss", "acc"]
    # the polyline points are the values, mapped linearly onto the panel's axes
    for panel, key in zip(panels, ["loss", "acc"], strict=True):
        for cls, values in (("train", HISTORY[key]), ("validation", HISTORY[f"val_{key}"])):
            line = next(p for p in panel.iter(f"{SVG_NS}polyline") if p.get("class") == cls)
            pts = np.array([[float(v) for v in xy.split(",")]
                            for xy in line.get("points").split()])
            assert np.allclose(np.diff(pts[:, 0]), np.diff(pts[:, 0])[0])  # epochs evenly
            ys = pts[:, 1]
            # y decreases as values grow, linearly: check against an independent fit
            slope, intercept = np.polyfit(values, ys, 1)
            assert slope < 0 and np.allclose(slope * np.array(values) + intercept, ys)


def test_nice_ticks_cover_the_range_with_round_steps():
    for lo, hi in [(0.37, 1.21), (3, 97), (0.0012, 0.0049), (5, 5)]:
        ticks = nice_ticks(lo, hi)
        assert ticks[0] <= lo and ticks[-1] >= hi
        steps = np.diff(ticks)
        assert np.allclose(steps, steps[0])
        mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
        assert any(np.isclose(mantissa, m) for m in (1, 2, 5))


@pytest.mark.skipif(plotting._matplotlib() is None, reason="matplotlib is not installed "
                    "(the `plot` extra)")
def test_matplotlib_figure_and_formats(tmp_path):
    picture = plot_history(HISTORY, tmp_path / "h.png")
    assert (tmp_path / "h.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert picture.svg.lstrip().startswith("<?xml") and "<svg" in picture.svg
    assert len(re.findall(r"<g id=\"axes_\d+\">", picture.svg)) == 2  # two panels
    plot_history(HISTORY, tmp_path / "h.pdf")
    assert (tmp_path / "h.pdf").read_bytes()[:4] == b"%PDF"


def test_without_matplotlib_raster_formats_are_an_error(tmp_path, monkeypatch):
    monkeypatch.setattr(plotting, "_matplotlib", lambda: None)
    picture = plot_history(HISTORY)  # auto: the built-in SVG
    assert 'class="panel"' in picture.svg
    with pytest.raises(RuntimeError, match=r"writing a \.png file needs matplotlib.*`plot` "
                                           r"extra"):
        plot_history(HISTORY, tmp_path / "h.png")
    with pytest.raises(RuntimeError, match="backend='matplotlib'.*not installed"):
        plot_history(HISTORY, backend="matplotlib")
    assert list(tmp_path.iterdir()) == []
