"""Pictures of graphs: the size of the MLP train-function picture, and the interactive
viewer's load time in headless Chromium for graphs of about 1,000 and 10,000 nodes.

    python -m bench.viewer [--repeats 3]

Picture sizes (pixels of the built-in SVG) for train functions, folded (the default:
fused kernels and per-weight update / gradient groups as boxes, fit to a 960 px page)
and full (`fold=False, width=None`: every op on one level, as wide as it wants).

Load time: `sg.render(g, 'g.html')`, then Chromium opens the file: the time from
navigation to the load event, and `readyMs`, the page's own clock when its first picture
is drawn (both best of --repeats). Targets: under 1 s for 1,000 nodes, under 3 s for
10,000. Two kinds of graph per size: a deep MLP's train function (folded: most nodes
start closed inside groups) and an expression graph of the same size with no folding
(every node drawn at once, the worst case). Needs Chromium (apt-get install chromium).
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from pathlib import Path

import numpy as np

import symgraph as sg
from symgraph.examples import build_mlp_sgd, init_mlp
from symgraph.viewer import viewer_data
from tests.browser import Chromium, find_chromium


def picture_size(obj: object, **kw: object) -> tuple[int, int]:
    m = re.search(r'<svg [^>]*width="(\d+)" height="(\d+)"', sg.drawing.svg(obj, **kw))
    assert m is not None
    return int(m.group(1)), int(m.group(2))


def keras_mlp_train() -> object:
    """The README's Keras model (Dense-tanh-Dropout-Dense-softmax, SGD with Nesterov
    momentum) after one batch: its compiled train function."""
    from keras_front.layers import Activation, Dense, Dropout
    from keras_front.models import Sequential
    from keras_front.optimizers import SGD
    model = Sequential([Dense(64, init="uniform", input_dim=10), Activation("tanh"),
                        Dropout(0.2), Dense(3, activation="softmax")])
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"],
                  optimizer=SGD(lr=0.1, momentum=0.9, nesterov=True))
    x = np.random.default_rng(0).random((32, 10), dtype=np.float32)
    model.train_on_batch(x, np.eye(3, dtype=np.float32)[np.arange(32) % 3])
    return model.train_function.for_phase(1)  # the function fit runs (phase 1 a constant)


def deep_mlp_train(depth: int) -> object:
    """An MLP of `depth` layers of width 8 trained by SGD: its train function."""
    return build_mlp_sgd(init_mlp([8] * (depth + 1) + [3])).train


def flat_graph(n_ops: int) -> object:
    """An expression of about n_ops elementwise ops on three inputs (no folding)."""
    xs = [sg.vector(f"x{i}") for i in range(3)]
    vals = list(xs)
    rng = np.random.default_rng(0)
    ops = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b,
           lambda a, b: sg.maximum(a, b)]
    for _ in range(n_ops):  # each op takes the last value: all of them are in the graph
        other = vals[int(rng.integers(len(vals)))]
        vals.append(ops[int(rng.integers(len(ops)))](vals[-1], other))
    return vals[-1]


def load_time(browser: Chromium, graph: object, fold: bool, repeats: int,
              folder: Path) -> tuple[int, float, float, float]:
    """(nodes, render seconds, best load seconds, best readyMs / 1000)."""
    path = folder / "g.html"
    start = time.perf_counter()
    sg.render(graph, path, fold=fold)
    render_s = time.perf_counter() - start
    nodes = viewer_data(graph, fold)["nodes"]
    loads, readies = [], []
    for _ in range(repeats):
        browser.call("Page.navigate", url="about:blank")
        loads.append(browser.open(path.as_uri()))
        readies.append(browser.js("symgraphViewer.readyMs") / 1000)
        if browser.errors:
            raise RuntimeError(f"the page logged errors: {browser.errors}")
    return nodes, render_s, min(loads), min(readies)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()

    print("Picture size of train functions (built-in SVG, pixels)")
    print(f"{'function':<34}{'ops':>6}{'folded':>14}{'full':>14}")
    for name, f in [("keras README MLP (10-64-3, SGD)", keras_mlp_train()),
                    ("symgraph MLP 784-512-512-10", build_mlp_sgd(
                        init_mlp((784, 512, 512, 10))).train)]:
        fw, fh = picture_size(f)
        uw, uh = picture_size(f, fold=False, width=None)
        print(f"{name:<34}{len(f.fgraph.apply_nodes):>6}{f'{fw}x{fh}':>14}"
              f"{f'{uw}x{uh}':>14}")

    exe = find_chromium()
    if exe is None:
        print("\nChromium is not installed: no load times (apt-get install chromium)")
        return
    print(f"\nViewer load time in headless Chromium (best of {args.repeats}); "
          "target < 1 s at ~1k nodes, < 3 s at ~10k")
    print(f"{'graph':<34}{'nodes':>7}{'render s':>10}{'load s':>9}{'ready s':>9}")
    cases = [("MLP train fn, 22 layers (folded)", lambda: deep_mlp_train(22), True),
             ("expression, 1k nodes (flat)", lambda: flat_graph(1000), False),
             ("MLP train fn, 230 layers (folded)", lambda: deep_mlp_train(230), True),
             ("expression, 10k nodes (flat)", lambda: flat_graph(10000), False)]
    with tempfile.TemporaryDirectory() as tmp, Chromium(exe) as browser:
        for name, make, fold in cases:
            nodes, render_s, load_s, ready_s = load_time(browser, make(), fold, args.repeats,
                                                         Path(tmp))
            print(f"{name:<34}{nodes:>7}{render_s:>10.2f}{load_s:>9.2f}{ready_s:>9.2f}")


if __name__ == "__main__":
    main()
