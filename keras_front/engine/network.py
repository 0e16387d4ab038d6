"""Container: a graph of layers from input tensors to output tensors, itself a Layer.

`Container(inputs, outputs)` walks back from the outputs through the Nodes that calls of
layers recorded, and orders the layers and nodes by depth (distance from the outputs).
That order is what `summary()` prints, what `get_weights()` follows, and how the graph
is run again on new tensors when the container is called like a layer
(`model(x)`: every node's layer `call`s on the new inputs, depth by depth).
Training lives in training.Model, a Container subclass; configs in network_config.py.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend as K
from ..utils.generic_utils import SafeModeScope
from ..utils.layer_utils import print_summary
from ..utils.visualize_util import model_bundle
from .base_layer import Layer, to_list, unpack
from .network_config import container_config, container_from_config
from .node import Node, keras_history


def _unique(items: list[Any]) -> list[Any]:
    """Items in order, each object once (by identity: tensors compare by identity)."""
    seen: set[int] = set()
    out = []
    for item in items:
        if id(item) not in seen:
            seen.add(id(item))
            out.append(item)
    return out


def _histories(tensors: list[Any]) -> tuple[list[Layer], list[int], list[int]]:
    """(layers, node indices, tensor indices) that made each of the Keras tensors."""
    layers: list[Layer] = []
    node_indices: list[int] = []
    tensor_indices: list[int] = []
    for x in tensors:
        layer, node_index, tensor_index = keras_history(x)
        layers.append(layer)
        node_indices.append(node_index)
        tensor_indices.append(tensor_index)
    return layers, node_indices, tensor_indices


def map_graph(inputs: list[Any], outputs: list[Any]) -> tuple[list[Layer], dict[int, list[Node]],
                                                               set[Node]]:
    """(layers by decreasing depth, {depth: nodes}, nodes) of the graph from inputs to outputs.

    A node's depth is its longest distance (in nodes) from an output; layers are ordered
    inputs first. Raises when an output needs a tensor the inputs do not provide.
    """
    output_nodes = []
    for x in outputs:
        layer, node_index, _ = keras_history(x)
        output_nodes.append(layer.inbound_nodes[node_index])
    # Post-order walk: every node after the nodes that feed it.
    order: list[Node] = []
    state: dict[Node, bool] = {}
    for start in output_nodes:
        stack: list[tuple[Node, bool]] = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded:
                order.append(node)
                continue
            if node in state:
                continue
            state[node] = True
            stack.append((node, True))
            for layer, index in reversed(list(zip(node.inbound_layers, node.node_indices,
                                                  strict=True))):
                parent = layer.inbound_nodes[index]
                if parent not in state:
                    stack.append((parent, False))
    depth: dict[Node, int] = {node: 0 for node in output_nodes}
    for node in reversed(order):  # consumers before the nodes feeding them
        d = depth.setdefault(node, 0)
        for layer, index in zip(node.inbound_layers, node.node_indices, strict=True):
            parent = layer.inbound_nodes[index]
            depth[parent] = max(depth.get(parent, 0), d + 1)
    nodes_by_depth: dict[int, list[Node]] = {}
    layer_depth: dict[Layer, int] = {}
    layer_rank: dict[Layer, int] = {}
    for rank, node in enumerate(order):
        nodes_by_depth.setdefault(depth[node], []).append(node)
        layer = node.outbound_layer
        layer_depth[layer] = max(layer_depth.get(layer, 0), depth[node])
        layer_rank.setdefault(layer, rank)
    layers = sorted(layer_depth, key=lambda lay: (-layer_depth[lay], layer_rank[lay]))
    _check_computable(inputs, nodes_by_depth)
    return layers, nodes_by_depth, set(order)


def _check_computable(inputs: list[Any], nodes_by_depth: dict[int, list[Node]]) -> None:
    computable = {id(x) for x in inputs}
    done: list[str] = []
    for d in sorted(nodes_by_depth, reverse=True):
        for node in nodes_by_depth[d]:
            layer = node.outbound_layer
            for x in node.input_tensors:
                if id(x) not in computable:
                    why = " (an input the model was not given)" if not node.inbound_layers \
                        else ""
                    raise ValueError(f"Graph disconnected: cannot obtain value for tensor {x!r} "
                                     f"at layer {layer.name!r}{why}. The following previous "
                                     f"layers were accessed without issue: {done}")
            computable.update(id(x) for x in node.output_tensors)
            done.append(layer.name)


class Container(Layer):
    """A layer made of layers: `Container(inputs, outputs, name=None)` (Keras 1.2's Model
    base); `input=`/`output=` are the Keras 1 spellings of `inputs=`/`outputs=`."""

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 input: Any = None, output: Any = None):  # noqa: A002 (Keras 1 names)
        inputs = _either("input", input, "inputs", inputs)
        outputs = _either("output", output, "outputs", outputs)
        super().__init__(name=name)
        self.inputs: list[Any] = []
        self.outputs: list[Any] = []
        self._network_layers: list[Layer] = []
        self._network_nodes: set[Node] = set()
        self._layer_names: set[str] = set()
        self.nodes_by_depth = {}
        self._output_cache: dict[Any, tuple[list[Any], list[Any]]] = {}
        if inputs is not None or outputs is not None:
            if inputs is None or outputs is None:
                raise TypeError(f"{type(self).__name__} needs both inputs and outputs")
            self._init_graph(inputs, outputs)

    # ------------------------------------------------------------ topology

    def _init_graph(self, inputs: Any, outputs: Any) -> None:
        """Trace the layers between inputs and outputs; (re)create this container's node."""
        self.inputs = to_list(inputs)
        self.outputs = to_list(outputs)
        if len(_unique(self.inputs)) != len(self.inputs):
            raise ValueError(f"The list of inputs passed to the model is redundant. All inputs "
                             f"should only appear once. Found: {self.inputs}")
        kind = type(self).__name__
        for role, tensors in (("Input", self.inputs), ("Output", self.outputs)):
            for x in tensors:
                if keras_history(x) is None:
                    raise TypeError(f"{role} tensors to a {kind} must be Keras tensors (from "
                                    f"Input() or a layer call). Found: {x!r} (missing Keras "
                                    f"metadata).")
        (self.input_layers, self.input_layers_node_indices,
         self.input_layers_tensor_indices) = _histories(self.inputs)
        (self.output_layers, self.output_layers_node_indices,
         self.output_layers_tensor_indices) = _histories(self.outputs)
        self.input_names = [layer.name for layer in self.input_layers]
        self.output_names = [layer.name for layer in self.output_layers]
        self.internal_input_shapes = [K.int_shape(x) for x in self.inputs]
        self.internal_output_shapes = [K.int_shape(x) for x in self.outputs]
        layers, self.nodes_by_depth, self._network_nodes = map_graph(self.inputs, self.outputs)
        self._network_layers = layers
        counts = Counter(layer.name for layer in layers)
        for name, count in counts.items():
            if count != 1:
                raise ValueError(f"The name {name!r} is used {count} times in the model. All "
                                 f"layer names should be unique.")
        self._layer_names = set(counts)
        self._set_own_node()

    def _grow(self, output: Any) -> bool:
        """Sequential.add's fast path, in O(1): the graph with one more layer, called on
        this container's only output and on nothing else; the same result as
        `_init_graph(self.inputs, [output])`. False (nothing changed) when `output` is
        not such a call; the caller then traces the whole graph again."""
        history = keras_history(output)
        if history is None or len(self.outputs) != 1:
            return False
        layer, node_index, _ = history
        node = layer.inbound_nodes[node_index]
        # A layer with other calls may already be in the graph: trace it all.
        if len(layer.inbound_nodes) != 1 or len(node.input_tensors) != 1 or \
                node.input_tensors[0] is not self.outputs[0] or layer.name in self._layer_names:
            return False
        self.outputs = [output]
        (self.output_layers, self.output_layers_node_indices,
         self.output_layers_tensor_indices) = _histories(self.outputs)
        self.output_names = [layer.name]
        self.internal_output_shapes = [K.int_shape(output)]
        # Every node was upstream of the old output, so each is one deeper now.
        self._top_level += 1
        self._levels[self._top_level] = [node]
        self._depth_map = None
        self._network_nodes.add(node)
        self._network_layers.append(layer)
        self._layer_names.add(layer.name)
        self._set_own_node()
        return True

    def _set_own_node(self) -> None:
        """(Re)create node 0, which links this container's inputs to its outputs."""
        self._output_cache = {}
        output_masks = [self._output_mask_of(x) for x in self.outputs]
        node = Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
                    input_tensors=self.inputs, output_tensors=self.outputs,
                    input_masks=[None] * len(self.inputs), output_masks=output_masks,
                    input_shapes=list(self.internal_input_shapes),
                    output_shapes=list(self.internal_output_shapes))
        if len(self.inbound_nodes) > 1:
            # Rebuilt (a Sequential grew): the new node replaces node 0, which links the
            # container's own inputs to its outputs; later calls keep their indices.
            self.inbound_nodes.pop()
            self.inbound_nodes[0] = node
        self.built = True

    @property
    def nodes_by_depth(self) -> dict[int, list[Node]]:
        """{depth: nodes}; depth 0 makes the outputs, deeper nodes feed shallower ones."""
        if self._depth_map is None:
            self._depth_map = {self._top_level - level: nodes
                               for level, nodes in self._levels.items()}
        return self._depth_map

    @nodes_by_depth.setter
    def nodes_by_depth(self, value: dict[int, list[Node]]) -> None:
        # Stored by level = top - depth, so that _grow deepens every node by adding one
        # level on top instead of renumbering them all.
        self._top_level = 0
        self._levels = {-depth: list(nodes) for depth, nodes in value.items()}
        self._depth_map = None

    @staticmethod
    def _output_mask_of(x: Any) -> Any:
        layer, node_index, tensor_index = keras_history(x)
        return layer.inbound_nodes[node_index].output_masks[tensor_index]

    @property
    def layers(self) -> list[Layer]:
        """The layers of the graph, inputs first (InputLayers included)."""
        return list(self._network_layers)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """A layer by name, or by index in `layers`."""
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only "
                                 f"has {len(self.layers)} layers.")
            return self.layers[index]
        if not name:
            raise ValueError("Provide either a layer name or layer index.")
        for layer in self._network_layers:
            if layer.name == name:
                return layer
        raise ValueError(f"No such layer: {name}")

    def _all_layers(self) -> list[Layer]:
        """Every layer inside, nested containers' layers included."""
        out: list[Layer] = []
        for layer in self._network_layers:
            out.append(layer)
            if isinstance(layer, Container):
                out.extend(layer._all_layers())
        return out

    # ------------------------------------------------------------ weights

    @property
    def trainable_weights(self) -> list[Any]:
        """The trainable weights of every layer (none when the container is frozen)."""
        if not self.trainable:
            return []
        return _unique([w for layer in self._network_layers for w in layer.trainable_weights])

    @property
    def non_trainable_weights(self) -> list[Any]:
        """The non-trainable weights of every layer (all of them when frozen)."""
        weights = [w for layer in self._network_layers for w in layer.non_trainable_weights]
        if not self.trainable:
            weights = [w for layer in self._network_layers
                       for w in layer.trainable_weights] + weights
        return _unique(weights)

    def _weights_by_layer(self) -> list[Any]:
        return _unique([w for layer in self._network_layers for w in layer.weights])

    def get_weights(self) -> list[np.ndarray]:
        """Every weight's value, layer by layer (Keras's order)."""
        return K.batch_get_value(self._weights_by_layer())

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set every weight, layer by layer, from a list like get_weights() returns."""
        self._assign_weights(self._weights_by_layer(), weights, f"model {self.name!r}",
                             "one per weight, layer by layer")

    @property
    def constraints(self) -> dict[Any, Any]:
        """{weight: constraint} of every layer."""
        merged: dict[Any, Any] = {}
        for layer in self._network_layers:
            for weight, constraint in getattr(layer, "constraints", {}).items():
                if weight in merged and merged[weight] is not constraint:
                    raise ValueError(f"Received multiple constraints for one weight tensor: "
                                     f"{weight.name}")
                merged[weight] = constraint
        return merged

    @constraints.setter
    def constraints(self, value: dict[Any, Any]) -> None:
        if value:
            raise AttributeError("A model's constraints come from its layers")

    # ------------------------------------------------------------ losses and updates

    def _collect(self, attr: str) -> list[Any]:
        """Losses or updates of this graph: those of calls on tensors of the graph (not of
        calls made when an outer model ran a nested one), plus the unconditional ones."""
        tensors = {id(x) for node in self._network_nodes
                   for x in node.input_tensors + node.output_tensors}
        out: list[Any] = []
        for layer in self._network_layers:
            for key, group in getattr(layer, attr).items():
                if key is not None and all(id(x) in tensors for x in key):
                    out += group
            out += layer.get_losses_for(None) if attr == "_losses" else \
                layer.get_updates_for(None)
        return _unique(out + list(getattr(self, attr).get(None, [])))

    @property
    def losses(self) -> list[Any]:
        """The loss tensors of this graph's layer calls, regularization penalties included."""
        return self._collect("_losses")

    @property
    def updates(self) -> list[Any]:
        """The (variable, new value) updates of this graph's layer calls."""
        return self._collect("_updates")

    def get_losses_for(self, inputs: Any) -> list[Any]:
        """Losses of the call on `inputs`; None: every layer's input-independent losses."""
        own = list(self._losses.get(self._inputs_key(inputs), []))
        if inputs is None:
            own += [loss for layer in self._network_layers
                    for loss in layer.get_losses_for(None)]
        return _unique(own)

    def get_updates_for(self, inputs: Any) -> list[Any]:
        """Updates of the call on `inputs`; None: every layer's input-independent updates."""
        own = list(self._updates.get(self._inputs_key(inputs), []))
        if inputs is None:
            own += [u for layer in self._network_layers for u in layer.get_updates_for(None)]
        return _unique(own)

    @property
    def state_updates(self) -> list[Any]:
        """Updates of stateful layers (run by evaluate and predict too)."""
        return _unique([u for layer in self._network_layers
                        if getattr(layer, "stateful", False) for u in layer.updates])

    @property
    def stateful(self) -> bool:  # type: ignore[override]
        """True when a layer keeps state between batches."""
        return any(getattr(layer, "stateful", False) for layer in self._network_layers)

    @stateful.setter
    def stateful(self, value: bool) -> None:
        pass  # derived from the layers

    def reset_states(self) -> None:
        """Reset the state of every stateful layer."""
        for layer in self._network_layers:
            if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
                layer.reset_states()

    @property
    def uses_learning_phase(self) -> bool:  # type: ignore[override]
        """True when an output differs between training and testing (Dropout, noise)."""
        return K.uses_learning_phase(self.outputs)

    @uses_learning_phase.setter
    def uses_learning_phase(self, value: bool) -> None:
        pass  # derived from the graph

    # ------------------------------------------------------------ calling on new tensors

    def call(self, inputs: Any, mask: Any = None) -> list[Any]:
        """The graph run again on new input tensors: the list of output tensors."""
        return self._run(inputs, mask)[0]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output masks for new inputs (computed with the outputs, then cached)."""
        return unpack(self._run(inputs, mask)[1])

    def _run(self, inputs: Any, mask: Any) -> tuple[list[Any], list[Any]]:
        inputs = to_list(inputs)
        masks = to_list(mask) if mask is not None else [None] * len(inputs)
        key = tuple(inputs) + tuple(masks)
        if key not in self._output_cache:
            self._output_cache[key] = self.run_internal_graph(inputs, masks)
        return self._output_cache[key]

    def run_internal_graph(self, inputs: list[Any], masks: list[Any] | None = None,
                           track: bool = True) -> tuple[list[Any], list[Any]]:
        """(outputs, masks): every node's layer called, depth by depth, on new tensors.

        With `track`, the losses and updates of these calls become this container's,
        keyed by the new inputs (so an outer model that calls it collects them).
        """
        if len(inputs) != len(self.inputs):
            raise ValueError(f"Model {self.name!r} expects {len(self.inputs)} input(s), got "
                             f"{len(inputs)}")
        masks = masks if masks is not None else [None] * len(inputs)
        computed: dict[int, tuple[Any, Any]] = {
            id(ref): (x, m) for ref, x, m in zip(self.inputs, inputs, masks, strict=True)}
        for depth in sorted(self.nodes_by_depth, reverse=True):
            for node in self.nodes_by_depth[depth]:
                layer = node.outbound_layer
                if not node.inbound_layers and all(
                        x is y for x, y in zip(node.input_tensors, node.output_tensors,
                                               strict=False)):
                    continue  # an InputLayer: its output is the input already mapped
                data = [computed[id(x)] for x in node.input_tensors]
                one = len(data) == 1
                xs = [d[0] for d in data]
                layer_in = xs[0] if one else xs
                layer_mask = data[0][1] if one else [d[1] for d in data]
                outputs = layer._invoke(layer_in, layer_mask, node.arguments)
                out_masks = to_list(layer.compute_mask(layer_in, layer_mask))
                if len(out_masks) == 1 and len(outputs) > 1:
                    out_masks = out_masks * len(outputs)
                shapes = layer._output_shapes(
                    K.int_shape(xs[0]) if one else [K.int_shape(x) for x in xs], outputs)
                learning = layer.uses_learning_phase or any(
                    K.get_keras_attr(x, "_uses_learning_phase", False) for x in xs)
                for x, shape in zip(outputs, shapes, strict=True):
                    K.set_keras_attr(x, "_keras_shape", tuple(shape))
                    K.set_keras_attr(x, "_uses_learning_phase", bool(learning))
                if track:
                    self.add_loss(layer.get_losses_for(xs), inputs=inputs)
                    self.add_update(layer.get_updates_for(xs), inputs=inputs)
                for ref, x, m in zip(node.output_tensors, outputs, out_masks, strict=True):
                    computed[id(ref)] = (x, m)
        results = [computed[id(x)] for x in self.outputs]
        return [r[0] for r in results], [r[1] for r in results]

    def _output_shapes(self, input_shape: Any, outputs: list[Any]) -> list[tuple]:
        return [tuple(K.int_shape(o)) for o in outputs]

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape(s) for input shape(s): traced through the graph on placeholders."""
        shapes = [tuple(s) for s in (input_shape if isinstance(input_shape, list)
                                     else [input_shape])]
        if shapes == [tuple(s) for s in self.internal_input_shapes]:
            return unpack([tuple(s) for s in self.internal_output_shapes])
        placeholders = [K.placeholder(shape=s, dtype=K.dtype(x))
                        for s, x in zip(shapes, self.inputs, strict=True)]
        # Shapes only: the layers' losses and updates must not grow by this trace.
        layers = self._all_layers()
        saved = [(layer._losses, layer._updates) for layer in layers]
        for layer in layers:
            layer._losses = {k: list(v) for k, v in layer._losses.items()}
            layer._updates = {k: list(v) for k, v in layer._updates.items()}
        try:
            outputs, _ = self.run_internal_graph(placeholders, track=False)
        finally:
            for layer, (losses, updates) in zip(layers, saved, strict=True):
                layer._losses, layer._updates = losses, updates
        return unpack([tuple(K.int_shape(o)) for o in outputs])

    # ------------------------------------------------------------ config, summary, saving

    def _kept_node_indices(self) -> dict[Node, int]:
        """{node: its index among the layer's calls that belong to this model} (configs
        renumber calls so; a container's own first node counts as call 0)."""
        mapping: dict[Node, int] = {}
        for layer in self._network_layers:
            kept = 1 if isinstance(layer, Container) else 0
            for node in layer.inbound_nodes:
                if node in self._network_nodes:
                    if isinstance(layer, Container) and node is layer.inbound_nodes[0]:
                        mapping[node] = 0
                        continue
                    mapping[node] = kept
                    kept += 1
        return mapping

    @property
    def _summary_nodes(self) -> set[Node] | None:
        """The calls whose connections summaries and diagrams show: this model's own."""
        return self._network_nodes

    def get_config(self) -> dict[str, Any]:
        """{'name', 'layers' (with their inbound nodes), 'input_layers', 'output_layers'}."""
        return container_config(self)

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool | None = None) -> Container:
        """The model described by get_config()'s dict (layers rebuilt and called again);
        safe_mode=False lets Lambda / Merge bytecode load (trusted configs only)."""
        with SafeModeScope(safe_mode):
            return container_from_config(cls, config, custom_objects)

    def summary(self, line_length: int = 100, positions: Sequence[float] | None = None,
                print_fn: Any = None) -> None:
        """Print the table of layers, output shapes, parameter counts and connections."""
        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        """Jupyter shows the summary table and a diagram of the layers."""
        return model_bundle(self)

    def to_json(self, **kwargs: Any) -> str:
        """The architecture as JSON (Keras's format) — provided by keras_front saving."""
        return _saving_hook("model_to_json")(self, **kwargs)

    def to_yaml(self, **kwargs: Any) -> str:
        """The architecture as YAML — provided by keras_front saving."""
        return _saving_hook("model_to_yaml")(self, **kwargs)

    def save(self, filepath: str, overwrite: bool = True, include_optimizer: bool = True) -> None:
        """Architecture, weights and optimizer state to one HDF5 file (keras_front saving)."""
        _saving_hook("save_model")(self, filepath, overwrite=overwrite,
                                   include_optimizer=include_optimizer)

    def save_weights(self, filepath: str, overwrite: bool = True) -> None:
        """All weights to an HDF5 file in Keras's layout (keras_front saving)."""
        _saving_hook("save_weights")(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: str, by_name: bool = False) -> None:
        """Weights from an HDF5 file, by layer order or by layer name (keras_front saving)."""
        _saving_hook("load_weights")(self, filepath, by_name=by_name)


# What keras_front.saving needs beyond the runtime dependencies: setup.cfg's 'saving' extra.
_SAVING_EXTRA = {"h5py": "h5py", "yaml": "pyyaml"}


def _saving_hook(name: str) -> Any:
    """The function `name` of keras_front.saving; ImportError saying what to install when
    the optional 'saving' dependencies (h5py, pyyaml) are missing."""
    try:
        # saving sits above the engine and needs h5py (optional): loaded on the first save
        # or load, by name, so that sys.modules["h5py"] = None hides it even once imported.
        saving = importlib.import_module("keras_front.saving")
    except ImportError as e:
        missing = e.name if e.name in _SAVING_EXTRA else None
        if missing is None:
            raise
        raise ImportError(f"{name} needs {_SAVING_EXTRA[missing]}, which is not installed: "
                          f"saving and loading models (HDF5 files, JSON and YAML "
                          f"architectures) come with the 'saving' extra, "
                          f"`pip install symgraph[saving]` (h5py and pyyaml)",
                          name=missing) from e
    return getattr(saving, name)


def _either(old: str, old_value: Any, new: str, new_value: Any) -> Any:
    """One argument under its Keras 1 or Keras 2 name (not both)."""
    if old_value is not None and new_value is not None:
        raise TypeError(f"Pass either `{old}` (Keras 1) or `{new}` (Keras 2), not both")
    return new_value if new_value is not None else old_value
