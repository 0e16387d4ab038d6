"""The layer graph: a Node records one call of a layer on some tensors.

Every time a layer is called on Keras tensors, a `Node` joins the layer that was called
(`outbound_layer`) to the layers that produced its inputs (`inbound_layers`, with the
index of the producing node and of the tensor within that node). Keras tensors carry
`_keras_history = (layer, node_index, tensor_index)` (kept by K's side table, since
symgraph tensors take no new attributes), so a model can walk back from its outputs to
its inputs. A node with no inbound layers is a source: an InputLayer's node, or the node
a model creates linking its own inputs to its outputs.
"""

from __future__ import annotations

from typing import Any

from .. import backend as K


def keras_history(x: Any) -> tuple[Any, int, int] | None:
    """(layer, node_index, tensor_index) of a Keras tensor, or None for other values."""
    return K.get_keras_attr(x, "_keras_history")


class Node:
    """One call of `outbound_layer`: its input and output tensors, masks and shapes."""

    def __init__(self, outbound_layer: Any, inbound_layers: list[Any], node_indices: list[int],
                 tensor_indices: list[int], input_tensors: list[Any],
                 output_tensors: list[Any], input_masks: list[Any], output_masks: list[Any],
                 input_shapes: list[Any], output_shapes: list[Any],
                 arguments: dict[str, Any] | None = None):
        self.outbound_layer = outbound_layer
        self.inbound_layers = list(inbound_layers)
        self.node_indices = list(node_indices)
        self.tensor_indices = list(tensor_indices)
        self.input_tensors = list(input_tensors)
        self.output_tensors = list(output_tensors)
        self.input_masks = list(input_masks)
        self.output_masks = list(output_masks)
        self.input_shapes = list(input_shapes)
        self.output_shapes = list(output_shapes)
        self.arguments = dict(arguments or {})
        for layer in self.inbound_layers:
            if layer is not None:
                layer.outbound_nodes.append(self)
        outbound_layer.inbound_nodes.append(self)

    def get_config(self) -> dict[str, Any]:
        """The names and indices of what feeds this node (Keras 1.2's form)."""
        return {"outbound_layer": self.outbound_layer.name,
                "inbound_layers": [layer.name for layer in self.inbound_layers],
                "node_indices": list(self.node_indices),
                "tensor_indices": list(self.tensor_indices)}

    def __repr__(self) -> str:
        ins = ", ".join(f"{layer.name}[{n}][{t}]" for layer, n, t in
                        zip(self.inbound_layers, self.node_indices, self.tensor_indices,
                            strict=True))
        return f"<Node {self.outbound_layer.name}({ins})>"


def get_source_inputs(tensor: Any, layer: Any = None, node_index: int | None = None) -> list:
    """The input tensors (of InputLayers, or of a model's own node) that `tensor` depends on.

    Inputs appear once each, in the order they are first reached.
    """
    history = keras_history(tensor)
    if history is None:
        return [tensor]
    if layer is None or node_index is None:
        layer, node_index, _ = history
    if not layer.inbound_nodes:
        return [tensor]
    sources: list[Any] = []
    stack = [layer.inbound_nodes[node_index]]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not node.inbound_layers:
            for x in node.input_tensors:
                if not any(x is s for s in sources):
                    sources.append(x)
            continue
        # Pushed in reverse so the first inbound layer is explored first.
        for inbound, index in reversed(list(zip(node.inbound_layers, node.node_indices,
                                                strict=True))):
            stack.append(inbound.inbound_nodes[index])
    return sources
