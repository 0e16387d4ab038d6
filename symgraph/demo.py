"""A whole symgraph program: a small neural network learns to tell three 2-D spirals apart.

Run it with ``python -m symgraph.demo`` (``make demo`` does the install first). It shows the
three steps of every symgraph program:

1. describe the computation symbolically (inputs, shared weights, a loss);
2. ask for gradients (``sg.grad``) and compile ONE training function whose updates apply
   SGD with momentum to the shared weights;
3. call the compiled function again and again.

Along the way it prints the loss graph (``sg.debugprint``), the Python source symgraph
generated for the training step (``train.source``), the loss as training goes, and the
final accuracy. The data are made here, from a fixed seed, so every run prints the same.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import TextIO

import numpy as np

import symgraph as sg
from symgraph.graph import register_user_file

# This file is user code that happens to live inside the package: let nodes built here
# record their line here (so the generated source below names demo.py lines).
register_user_file(__file__)


def make_spirals(n_per_class: int = 200, n_classes: int = 3, noise: float = 0.2,
                 seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Points on `n_classes` interleaved spiral arms (float32) and their arm index (int64)."""
    rng = np.random.default_rng(seed)
    xs, ys = [], []
    for k in range(n_classes):
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = np.linspace(k * 4.0, (k + 1) * 4.0, n_per_class) + \
            rng.normal(0.0, noise, n_per_class)
        xs.append(np.column_stack([radius * np.sin(angle), radius * np.cos(angle)]))
        ys.append(np.full(n_per_class, k))
    return np.concatenate(xs).astype("float32"), np.concatenate(ys).astype("int64")


@dataclass
class Classifier:
    """The compiled pieces of the model: one training step and a prediction function."""

    train: sg.Function
    predict: sg.Function
    loss: sg.TensorVariable
    params: list[sg.TensorSharedVariable]


def build_classifier(n_in: int = 2, n_hidden: int = 64, n_classes: int = 3, lr: float = 0.1,
                     momentum: float = 0.9, l2: float = 1e-4, seed: int = 1) -> Classifier:
    """A 2-layer MLP (relu, softmax) trained by SGD with momentum, as symgraph graphs."""
    rng = np.random.default_rng(seed)

    def weight(n_rows: int, n_cols: int, name: str) -> sg.TensorSharedVariable:
        scale = np.sqrt(2.0 / n_rows)  # He initialisation suits relu layers
        return sg.shared((rng.normal(0.0, scale, (n_rows, n_cols))).astype("float32"), name)

    # 1. The computation, symbolically. Nothing is computed yet.
    x = sg.tensor("x", dtype="float32", shape=(None, n_in))  # a batch of points
    y = sg.lvector("y")                                      # their class indices
    W1, b1 = weight(n_in, n_hidden, "W1"), sg.shared(np.zeros(n_hidden, "float32"), "b1")
    W2, b2 = weight(n_hidden, n_classes, "W2"), sg.shared(np.zeros(n_classes, "float32"), "b2")
    hidden = sg.nnet.relu(x @ W1 + b1)
    probs = sg.nnet.softmax(hidden @ W2 + b2)
    loss = sg.mean(sg.nnet.categorical_crossentropy(probs, y)) + \
        l2 * (sg.sum(W1 ** 2) + sg.sum(W2 ** 2))

    # 2. Gradients are more graph; the updates say how each shared variable changes per call.
    params = [W1, b1, W2, b2]
    grads = sg.grad(loss, params)
    updates = []
    for p, g in zip(params, grads, strict=True):
        velocity = sg.shared(np.zeros_like(p.get_value()), f"v_{p.name}")
        new_velocity = momentum * velocity - lr * g
        updates += [(velocity, new_velocity), (p, p + new_velocity)]

    train = sg.function([x, y], loss, updates=updates, name="train_step")
    predict = sg.function([x], sg.argmax(probs, axis=1), name="predict")
    return Classifier(train, predict, loss, params)


def main(epochs: int = 150, batch_size: int = 64, out: TextIO = sys.stdout,
         show_graph: bool = True) -> float:
    """Train on generated spirals, printing graph, source and progress; returns accuracy."""
    start = time.perf_counter()
    data, labels = make_spirals()
    model = build_classifier()

    def say(*parts: object) -> None:
        print(*parts, file=out)

    if show_graph:
        say("== the loss, as a graph (sg.debugprint(loss)) ==")
        say(sg.debugprint(model.loss, file="str"))
        say("\n== the Python source symgraph generated for one training step "
            "(train.source) ==")
        say(model.train.source)
        say(f"rewrites applied while compiling: {dict(model.train.rewrite_log.counts())}\n")

    say(f"== training on {len(data)} points, 3 classes, batches of {batch_size} ==")
    order_rng = np.random.default_rng(2)
    report_every = max(1, epochs // 10)
    for epoch in range(1, epochs + 1):
        order = order_rng.permutation(len(data))
        losses = [model.train(data[batch], labels[batch])
                  for batch in np.array_split(order, max(1, len(data) // batch_size))]
        if epoch % report_every == 0 or epoch == 1:
            accuracy = np.mean(model.predict(data) == labels)
            say(f"epoch {epoch:4d}   loss {np.mean(losses):.4f}   accuracy {accuracy:6.1%}")

    accuracy = float(np.mean(model.predict(data) == labels))
    say(f"\nfinal training accuracy: {accuracy:.1%} (chance: 33.3%) "
        f"in {time.perf_counter() - start:.1f} s")
    return accuracy


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=150)
    parser.add_argument("--quiet", action="store_true", help="skip the graph and source")
    args = parser.parse_args()
    main(epochs=args.epochs, show_graph=not args.quiet)
