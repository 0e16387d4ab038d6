"""Model summaries (Keras's table) and Keras 1's `layer_from_config`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .. import backend as K
from .generic_utils import deserialize_layer

_HEADER = ("Layer (type)", "Output Shape", "Param #", "Connected to")


def _row(fields: Sequence[Any], positions: Sequence[int]) -> str:
    """Fields left-aligned in columns ending at `positions` (too long: cut)."""
    line = ""
    for field, end in zip(fields, positions, strict=True):
        line = (line + str(field))[:end]
        line += " " * (end - len(line))
    return line.rstrip()


def _connections(layer: Any, nodes: set[Any] | None) -> list[str]:
    out = []
    for node in layer.inbound_nodes:
        if nodes is not None and node not in nodes:
            continue
        for inbound, node_index, tensor_index in zip(node.inbound_layers, node.node_indices,
                                                     node.tensor_indices, strict=True):
            out.append(f"{inbound.name}[{node_index}][{tensor_index}]")
    return out


def _output_shape(layer: Any) -> Any:
    try:
        return layer.output_shape
    except (AttributeError, RuntimeError):
        return "multiple"


def count_params(weights: Sequence[Any]) -> int:
    """Number of scalars in a list of weights, each counted once."""
    seen: dict[int, Any] = {id(w): w for w in weights}
    return int(sum(K.count_params(w) for w in seen.values()))


def print_summary(model: Any, line_length: int = 100,
                  positions: Sequence[float] | None = None,
                  print_fn: Callable[[str], Any] | None = None) -> None:
    """Print Keras's summary table of a model: one row per layer (per connection), then
    the total, trainable and non-trainable parameter counts."""
    print_fn = print_fn or print
    fractions = positions or (0.33, 0.55, 0.67, 1.0)
    if fractions[-1] <= 1:
        cols = [int(line_length * p) for p in fractions]
    else:
        cols = [int(p) for p in fractions]
    nodes = model._summary_nodes
    print_fn("_" * line_length)
    print_fn(_row(_HEADER, cols))
    print_fn("=" * line_length)
    layers = model.layers
    for i, layer in enumerate(layers):
        connections = _connections(layer, nodes)
        print_fn(_row([f"{layer.name} ({type(layer).__name__})", _output_shape(layer),
                       layer.count_params(), connections[0] if connections else ""], cols))
        for extra in connections[1:]:
            print_fn(_row(["", "", "", extra], cols))
        print_fn(("=" if i == len(layers) - 1 else "_") * line_length)
    trainable = count_params(model.trainable_weights)
    non_trainable = count_params(model.non_trainable_weights)
    print_fn(f"Total params: {trainable + non_trainable:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {non_trainable:,}")
    print_fn("_" * line_length)


def layer_from_config(config: dict[str, Any],
                      custom_objects: dict[str, Any] | None = None) -> Any:
    """Keras 1: the layer (or model) of a {'class_name', 'config'} dict."""
    return deserialize_layer(config, custom_objects=custom_objects)
