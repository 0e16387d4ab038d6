"""A functional model's config (Keras 1.2's JSON form) and rebuilding a model from it.

    {'name': 'model_1',
     'layers': [{'name': 'input_1', 'class_name': 'InputLayer', 'config': {...},
                 'inbound_nodes': []},
                {'name': 'dense_1', 'class_name': 'Dense', 'config': {...},
                 'inbound_nodes': [[['input_1', 0, 0]]]}, ...],
     'input_layers': [['input_1', 0, 0]], 'output_layers': [['dense_1', 0, 0]]}

Node indices are renumbered to count only the calls that belong to the model (a
container's own first node, linking its inputs to its outputs, counts as call 0).
"""

from __future__ import annotations

import copy
from typing import Any

from ..utils.generic_utils import CustomObjectScope, deserialize_layer


def container_config(container: Any) -> dict[str, Any]:
    """The config dict of a functional model (see the module docstring)."""
    mapping = container._kept_node_indices()
    layer_configs = []
    for layer in container._network_layers:
        inbound = []
        for node in layer.inbound_nodes:
            if node not in container._network_nodes or not node.inbound_layers:
                continue
            node_data = []
            for inbound_layer, node_index, tensor_index in zip(
                    node.inbound_layers, node.node_indices, node.tensor_indices, strict=True):
                parent = inbound_layer.inbound_nodes[node_index]
                entry = [inbound_layer.name, mapping.get(parent, 0), tensor_index]
                if node.arguments:
                    entry.append(dict(node.arguments))
                node_data.append(entry)
            inbound.append(node_data)
        layer_configs.append({"name": layer.name, "class_name": type(layer).__name__,
                              "config": layer.get_config(), "inbound_nodes": inbound})

    def endpoints(layers: list[Any], node_indices: list[int],
                  tensor_indices: list[int]) -> list[list[Any]]:
        return [[layer.name, mapping.get(layer.inbound_nodes[n], 0), t]
                for layer, n, t in zip(layers, node_indices, tensor_indices, strict=True)]

    return copy.deepcopy({
        "name": container.name,
        "layers": layer_configs,
        "input_layers": endpoints(container.input_layers, container.input_layers_node_indices,
                                  container.input_layers_tensor_indices),
        "output_layers": endpoints(container.output_layers,
                                   container.output_layers_node_indices,
                                   container.output_layers_tensor_indices),
    })


def container_from_config(cls: type, config: dict[str, Any],
                          custom_objects: dict[str, Any] | None = None) -> Any:
    """Rebuild the layers, call each on its recorded inputs, and wrap them in `cls`."""
    if not isinstance(config, dict) or "layers" not in config:
        raise ValueError(f"{cls.__name__}.from_config expects a dict with 'layers', "
                         f"'input_layers' and 'output_layers'; got {str(config)[:200]}")
    created: dict[str, Any] = {}
    pending: list[tuple[Any, list[Any]]] = []  # (layer, node_data) not yet callable
    with CustomObjectScope(custom_objects or {}):
        for layer_data in config["layers"]:
            layer = deserialize_layer(layer_data, custom_objects=custom_objects)
            created[layer_data["name"]] = layer
            pending.extend((layer, node_data) for node_data in layer_data["inbound_nodes"])
            pending = _process_ready(pending, created)
        pending = _process_ready(pending, created)
        if pending:
            layer, node_data = pending[0]
            raise ValueError(f"{cls.__name__}.from_config: cannot connect layer {layer.name!r} "
                             f"to its inputs {node_data} (missing layers or calls)")

    def tensors(entries: list[list[Any]]) -> list[Any]:
        out = []
        for name, node_index, tensor_index, *_ in entries:
            if name not in created:
                raise ValueError(f"{cls.__name__}.from_config: unknown layer {name!r}")
            out.append(created[name].inbound_nodes[node_index].output_tensors[tensor_index])
        return out

    return cls(inputs=tensors(config["input_layers"]), outputs=tensors(config["output_layers"]),
               name=config.get("name"))


def _process_ready(pending: list[tuple[Any, list[Any]]],
                   created: dict[str, Any]) -> list[tuple[Any, list[Any]]]:
    """Call every pending layer whose inputs exist (in order); return what must wait.

    A shared layer's later call may need layers listed after it, hence the waiting list.
    """
    progress = True
    while progress and pending:
        progress = False
        waiting = []
        for layer, node_data in pending:
            inputs = _resolve(node_data, created)
            # A layer's calls must happen in their recorded order.
            if inputs is None or any(p[0] is layer for p in waiting):
                waiting.append((layer, node_data))
                continue
            kwargs = node_data[0][3] if len(node_data[0]) > 3 else {}
            layer(inputs[0] if len(inputs) == 1 else inputs, **kwargs)
            progress = True
        pending = waiting
    return pending


def _resolve(node_data: list[Any], created: dict[str, Any]) -> list[Any] | None:
    tensors = []
    for name, node_index, tensor_index, *_ in node_data:
        layer = created.get(name)
        if layer is None or len(layer.inbound_nodes) <= node_index:
            return None
        tensors.append(layer.inbound_nodes[node_index].output_tensors[tensor_index])
    return tensors
