"""Model diagrams: plot / plot_model / model_to_dot (Keras 1.2 and 2 spellings), the
notebook view of a model, and the Graphviz requirement for raster formats."""

import os
import re
import xml.etree.ElementTree as ET

import pytest

from keras_front.layers import Dense, Dropout, Input, merge
from keras_front.models import Model, Sequential
from keras_front.utils import vis_utils, visualize_util
from keras_front.utils.visualize_util import model_to_dot, plot, plot_model
from tests.helpers import fake_program

SVG_NS = "{http://www.w3.org/2000/svg}"


def boxes(svg):
    """The label lines of each drawn layer, from the SVG."""
    out = []
    for g in ET.fromstring(svg).iter(f"{SVG_NS}g"):
        if g.get("class") in ("op", "input"):
            out.append([t.text for t in g.iter(f"{SVG_NS}text")])
    return out


def input_name(model):
    return model.layers[0].inbound_nodes[0].inbound_layers[0].name


def sequential():
    return Sequential([Dense(8, input_dim=4, activation="relu"), Dropout(0.5),
                       Dense(3, activation="softmax")])


def functional():
    a = Input(shape=(3,), name="a")
    b = Dense(2, name="left")(a)
    c = Dense(2, name="right")(a)
    d = merge([b, c], mode="concat", name="both")
    return Model(a, d)


@pytest.fixture
def no_dot(monkeypatch):
    monkeypatch.setenv("PATH", "")


def test_plot_writes_the_svg_of_a_sequential_model(tmp_path, no_dot):
    model = sequential()
    picture = plot(model, to_file=str(tmp_path / "model.svg"), show_shapes=True)
    svg = (tmp_path / "model.svg").read_text()
    assert picture.svg == svg
    labels = boxes(svg)
    names = [b[0] for b in labels]
    # Keras 1.2 draws a Sequential with its input layer, in order
    assert names == [f"{input_name(model)}: InputLayer", f"{model.layers[0].name}: Dense",
                     f"{model.layers[1].name}: Dropout", f"{model.layers[2].name}: Dense"]
    assert labels[1][1:] == ["input:  (None, 4)", "output: (None, 8)"]
    assert labels[3][1:] == ["input:  (None, 8)", "output: (None, 3)"]
    ys = [float(g.find(f"{SVG_NS}rect").get("y")) for g in ET.fromstring(svg).iter(f"{SVG_NS}g")
          if g.get("class") == "op"]
    assert ys == sorted(ys) and len(set(ys)) == 3  # one layer under the other


def test_plot_of_a_functional_model_follows_its_connections(tmp_path, no_dot):
    dot = model_to_dot(functional(), show_layer_names=False).to_string()
    labels = dict(re.findall(r'  (l\d+) \[label="([^"]*)"', dot))
    edges = {(labels[a], labels[b]) for a, b in re.findall(r"  (l\d+) -> (l\d+);", dot)}
    assert sorted(labels.values()) == ["Dense", "Dense", "InputLayer", "Merge"]
    assert edges == {("InputLayer", "Dense"), ("Dense", "Merge")}
    assert len(re.findall(r"->", dot)) == 4
    named = model_to_dot(functional()).to_string()
    assert "left: Dense" in named and "both: Merge" in named


def test_raster_formats_need_graphviz(tmp_path, no_dot):
    with pytest.raises(RuntimeError, match=r"plot: writing '.*model\.png' needs Graphviz's "
                                           r"'dot' program.*to_file='model\.svg'"):
        plot(sequential(), to_file=str(tmp_path / "model.png"))
    with pytest.raises(RuntimeError, match="plot_model: writing .* needs Graphviz"):
        plot_model(sequential(), to_file=str(tmp_path / "model"))  # no extension: png
    with pytest.raises(RuntimeError, match="rankdir=LR needs Graphviz"):
        model_to_dot(sequential(), rankdir="LR").create(format="svg")
    assert os.listdir(tmp_path) == []


FAKE_DOT = """import sys
data = sys.stdin.read()
sys.stdout.write("PICTURE " + sys.argv[1] + " " + str(data.count("->")))
"""


def test_raster_formats_go_through_graphviz_when_installed(tmp_path, monkeypatch):
    fake_program(tmp_path, "dot", FAKE_DOT, monkeypatch)
    picture = plot_model(sequential(), to_file=str(tmp_path / "m.png"))
    assert (tmp_path / "m.png").read_bytes() == b"PICTURE -Tpng 3"
    assert picture.png == b"PICTURE -Tpng 3"
    dot = vis_utils.model_to_dot(sequential(), rankdir="LR")
    assert "rankdir=LR" in dot.to_string()
    assert dot.create(prog="dot", format="svg") == b"PICTURE -Tsvg 3"


def test_model_to_dot_behaves_like_pydot(tmp_path, no_dot):
    dot = model_to_dot(sequential())
    svg = dot.create(prog="dot", format="svg").decode()  # the notebook idiom: SVG(...)
    assert svg.startswith("<svg") and dot._repr_svg_() == svg
    dot.write(str(tmp_path / "m.dot"))
    assert (tmp_path / "m.dot").read_text() == dot.to_string()
    assert vis_utils.plot_model is visualize_util.plot_model
    with pytest.raises(ValueError, match="rankdir must be 'TB' or 'LR'"):
        model_to_dot(sequential(), rankdir="BT")


def test_a_model_shows_its_summary_and_diagram_in_a_notebook(capsys):
    model = sequential()
    bundle = model._repr_mimebundle_()
    model.summary()
    assert bundle["text/plain"] == capsys.readouterr().out.rstrip("\n")
    page = bundle["text/html"]
    assert "Total params: 67" in page  # 4*8+8 + 8*3+3
    svg = page[page.index("<svg"):page.index("</svg>") + 6]
    assert [b[0] for b in boxes(svg)][0] == f"{input_name(model)}: InputLayer"
