"""Layer and InputSpec: the Keras layer lifecycle on symgraph.

    __init__(config) -> build(input_shape) (weights) -> call(inputs) -> get_config()

Calling a layer on Keras tensors builds it once, runs `call`, and records a `Node` so
models can be traced from their outputs. Both Keras spellings are accepted for what
custom layers override: `get_output_shape_for` (Keras 1) or `compute_output_shape`
(Keras 2), `call(x, mask=None)` or `call(inputs)`; `add_weight` takes Keras 1.2's
`(shape, initializer, name, ...)` or Keras 2.1's `(name, shape, ...)`. A layer that
overrides neither shape method gets the static shape symgraph inferred for its output.

Weights are named like Keras 2's variables: 'dense_1/kernel:0'. Losses and updates
(`add_loss`, `add_update`) are kept per input tensors, as in Keras, so a model collects
only those of the calls that belong to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from .. import backend as K
from .. import constraints as constraints_module
from .. import initializers, regularizers
from ..utils.generic_utils import has_arg
from .allocation import check_new_weight
from .node import Node, keras_history

_LAYER_KWARGS = frozenset({"input_shape", "batch_input_shape", "batch_size", "input_dtype",
                           "dtype", "name", "trainable", "weights", "create_input_layer"})


def to_list(x: Any) -> list[Any]:
    """A list of x's items (lists and tuples) or [x]."""
    return list(x) if isinstance(x, (list, tuple)) else [x]


def unpack(xs: list[Any]) -> Any:
    """A single item for a one-item list, else the list (how layers return outputs)."""
    return xs[0] if len(xs) == 1 else xs


class InputSpec:
    """What a layer accepts: dtype, ndim (or Keras 1's '2+'), min/max ndim, shape, axes."""

    def __init__(self, dtype: str | None = None, shape: Sequence[int | None] | None = None,
                 ndim: int | str | None = None, max_ndim: int | None = None,
                 min_ndim: int | None = None, axes: dict[int, int] | None = None):
        if isinstance(ndim, str):  # Keras 1: ndim='2+'
            if not ndim.endswith("+") or not ndim[:-1].isdigit():
                raise ValueError(f"InputSpec: ndim must be an int or 'N+', got {ndim!r}")
            min_ndim, ndim = int(ndim[:-1]), None
        self.dtype = dtype
        self.shape = tuple(shape) if shape is not None else None
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = dict(axes or {})

    def __repr__(self) -> str:
        fields = {k: v for k, v in vars(self).items() if v not in (None, {})}
        return "InputSpec(" + ", ".join(f"{k}={v!r}" for k, v in fields.items()) + ")"


def _shape_rule(cls: type) -> tuple[str, Any] | None:
    """The most derived override of either output-shape spelling, as (name, function)."""
    for klass in cls.__mro__:
        if klass is Layer:
            return None
        for name in ("compute_output_shape", "get_output_shape_for"):
            if name in klass.__dict__:
                return name, klass.__dict__[name]
    return None


class Layer:
    """Base class of every layer: weights, the call graph, losses, updates and config."""

    # What create_input_layer makes: InputLayer, a Layer, so input_layer.py (which imports
    # this module) registers it here when imported.
    _input_layer_class: ClassVar[type[Layer] | None] = None

    def __init__(self, **kwargs: Any):
        for kwarg in kwargs:
            if kwarg not in _LAYER_KWARGS:
                raise TypeError(f"{type(self).__name__}: keyword argument not understood: "
                                f"{kwarg!r}")
        # Custom layers sometimes set these before calling super().__init__.
        for attr, default in (("input_spec", None), ("supports_masking", False),
                              ("uses_learning_phase", False), ("stateful", False)):
            if not hasattr(self, attr):
                setattr(self, attr, default)
        self.inbound_nodes: list[Node] = []
        self.outbound_nodes: list[Node] = []
        self._trainable_weights: list[Any] = list(getattr(self, "_trainable_weights", []))
        self._non_trainable_weights: list[Any] = list(getattr(self, "_non_trainable_weights",
                                                              []))
        self._losses: dict[Any, list[Any]] = {}
        self._updates: dict[Any, list[Any]] = {}
        self._keras1_regularizers: list[Any] = []
        if not hasattr(self, "constraints"):
            self.constraints: dict[Any, Any] = {}
        self.built = False
        name = kwargs.get("name")
        if not name:
            prefix = type(self).__name__.lower()
            name = f"{prefix}_{K.get_uid(prefix)}"
        self.name = name
        self.trainable = kwargs.get("trainable", True)
        if "batch_input_shape" in kwargs or "input_shape" in kwargs:
            if kwargs.get("batch_input_shape") is not None:
                batch_input_shape = tuple(kwargs["batch_input_shape"])
            else:
                batch_input_shape = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
            self.batch_input_shape = batch_input_shape
            self.input_dtype = kwargs.get("input_dtype") or kwargs.get("dtype") or K.floatx()
            if kwargs.get("create_input_layer"):
                self.create_input_layer(batch_input_shape, self.input_dtype)
        self.initial_weights = kwargs.get("weights")

    # ------------------------------------------------------------ what subclasses override

    def build(self, input_shape: Any) -> None:
        """Create the weights, knowing the input shape (called once, on the first call)."""
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The layer's computation on symbolic tensors (the identity here)."""
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for an input shape (Keras 2 spelling; the input shape here)."""
        rule = _shape_rule(type(self))
        if rule is not None and rule[0] == "get_output_shape_for":
            return rule[1](self, input_shape)
        return input_shape

    def get_output_shape_for(self, input_shape: Any) -> Any:
        """The output shape for an input shape (Keras 1 spelling of compute_output_shape)."""
        rule = _shape_rule(type(self))
        if rule is not None and rule[0] == "compute_output_shape":
            return rule[1](self, input_shape)
        return input_shape

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The output mask: the input mask when the layer supports masking, else None."""
        if not self.supports_masking:
            masks = mask if isinstance(mask, list) else [mask]
            if any(m is not None for m in masks):
                raise TypeError(f"Layer {self.name} does not support masking, but was "
                                f"passed an input_mask: {mask}")
            return None
        return mask

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this layer (Keras 1.2's keys)."""
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable}
        if hasattr(self, "batch_input_shape"):
            config["batch_input_shape"] = self.batch_input_shape
        if getattr(self, "input_dtype", None):
            config["input_dtype"] = self.input_dtype
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """The layer described by get_config()'s dict."""
        return cls(**config)

    # ------------------------------------------------------------ calling

    def __call__(self, inputs: Any, mask: Any = None, **kwargs: Any) -> Any:
        """Build if needed, run `call`, and record a Node when the inputs are Keras tensors."""
        if isinstance(inputs, tuple):
            inputs = list(inputs)
        input_list = to_list(inputs)
        self._maybe_build(inputs)
        self.assert_input_compatibility(inputs)
        histories = [keras_history(x) for x in input_list]
        if all(h is not None for h in histories):
            node = self._add_inbound_node([h[0] for h in histories], [h[1] for h in histories],
                                          [h[2] for h in histories], mask, kwargs)
            return unpack(node.output_tensors)
        outputs = self._invoke(inputs, mask, kwargs)
        in_shapes = [K.int_shape(x) for x in input_list]
        shapes = self._output_shapes(in_shapes if isinstance(inputs, list) else in_shapes[0],
                                     outputs)
        for x, shape in zip(outputs, shapes, strict=True):
            K.set_keras_attr(x, "_keras_shape", tuple(shape))
        return unpack(outputs)

    def _maybe_build(self, inputs: Any) -> None:
        if self.built:
            return
        shapes = [K.int_shape(x) for x in to_list(inputs)]
        self.build(shapes[0] if not isinstance(inputs, list) else shapes)
        self.built = True
        if self.initial_weights is not None:
            self.set_weights(self.initial_weights)
            self.initial_weights = None

    def _add_inbound_node(self, inbound_layers: list[Any], node_indices: list[int],
                          tensor_indices: list[int], mask: Any = None,
                          arguments: dict[str, Any] | None = None) -> Node:
        """Call the layer on the outputs of (layer, node, tensor) triples; record the Node."""
        arguments = dict(arguments or {})
        input_tensors, input_masks, input_shapes = [], [], []
        for layer, node_index, tensor_index in zip(inbound_layers, node_indices,
                                                   tensor_indices, strict=True):
            node = layer.inbound_nodes[node_index]
            input_tensors.append(node.output_tensors[tensor_index])
            input_masks.append(node.output_masks[tensor_index])
            input_shapes.append(node.output_shapes[tensor_index])
        if mask is not None:
            input_masks = to_list(mask)
        one = len(input_tensors) == 1
        inputs = input_tensors[0] if one else input_tensors
        masks = input_masks[0] if one else input_masks
        self._maybe_build(inputs)
        outputs = self._invoke(inputs, masks, arguments)
        output_masks = to_list(self.compute_mask(inputs, masks))
        if len(output_masks) == 1 and len(outputs) > 1:
            output_masks = output_masks * len(outputs)
        output_shapes = self._output_shapes(input_shapes[0] if one else input_shapes, outputs)
        if len(output_masks) != len(outputs):
            raise ValueError(f"The `compute_mask` method of layer {self.name!r} should return "
                             f"one mask per output tensor; got {len(output_masks)} for "
                             f"{len(outputs)} outputs")
        learning = self.uses_learning_phase or any(
            K.get_keras_attr(x, "_uses_learning_phase", False) for x in input_tensors)
        node_index = len(self.inbound_nodes)
        for i, (x, shape) in enumerate(zip(outputs, output_shapes, strict=True)):
            K.set_keras_attr(x, "_keras_shape", tuple(shape))
            K.set_keras_attr(x, "_uses_learning_phase", bool(learning))
            K.set_keras_attr(x, "_keras_history", (self, node_index, i))
        return Node(self, inbound_layers, node_indices, tensor_indices, input_tensors,
                    outputs, input_masks, output_masks, input_shapes,
                    [tuple(s) for s in output_shapes], arguments)

    def _invoke(self, inputs: Any, mask: Any, arguments: dict[str, Any]) -> list[Any]:
        """`call` on symbolic inputs, plus the activity penalty; outputs as a list.

        An output that is one of the inputs is copied, so that recording the new call
        does not overwrite the input's Keras metadata.
        """
        kwargs = dict(arguments)
        if has_arg(self.call, "mask"):
            kwargs["mask"] = mask
        outputs = self.call(inputs, **kwargs)
        output_list = to_list(outputs)
        if not output_list or any(o is None for o in output_list):
            raise ValueError(f"The `call` method of layer {self.name!r} should return a tensor; "
                             f"found {outputs!r}")
        input_list = to_list(inputs)
        output_list = [K.identity(o) if any(o is x for x in input_list) else o
                       for o in output_list]
        regularizer = getattr(self, "activity_regularizer", None)
        if regularizer is not None:
            self.add_loss([regularizer(o) for o in output_list], inputs=input_list)
        return output_list

    def _output_shapes(self, input_shape: Any, outputs: list[Any]) -> list[tuple]:
        """Shapes of the outputs: the layer's shape rule, else symgraph's static shapes."""
        if _shape_rule(type(self)) is None:
            return [tuple(K.int_shape(o)) for o in outputs]
        shapes = self.compute_output_shape(input_shape)
        if len(outputs) == 1:
            if isinstance(shapes, list) and len(shapes) == 1:
                shapes = shapes[0]
            return [tuple(shapes)]
        if not isinstance(shapes, list) or len(shapes) != len(outputs):
            raise ValueError(f"The output-shape method of layer {self.name!r} should return one "
                             f"shape tuple per output tensor ({len(outputs)}); got {shapes!r}")
        return [tuple(s) for s in shapes]

    def assert_input_compatibility(self, inputs: Any) -> None:
        """Raise ValueError naming the layer and the shapes when inputs break input_spec."""
        if not self.input_spec:
            return
        specs = to_list(self.input_spec)
        input_list = to_list(inputs)
        if len(input_list) != len(specs):
            raise ValueError(f"Layer {self.name} expects {len(specs)} input(s), but it "
                             f"received {len(input_list)} input tensors. Input received: "
                             f"{inputs!r}")
        for index, (x, spec) in enumerate(zip(input_list, specs, strict=True)):
            if spec is None:
                continue
            shape, ndim = K.int_shape(x), K.ndim(x)
            where = f"Input {index} is incompatible with layer {self.name}"
            if spec.ndim is not None and ndim != spec.ndim:
                raise ValueError(f"{where}: expected ndim={spec.ndim}, found ndim={ndim} "
                                 f"(shape {shape})")
            if spec.max_ndim is not None and ndim > spec.max_ndim:
                raise ValueError(f"{where}: expected max_ndim={spec.max_ndim}, found "
                                 f"ndim={ndim} (shape {shape})")
            if spec.min_ndim is not None and ndim < spec.min_ndim:
                raise ValueError(f"{where}: expected min_ndim={spec.min_ndim}, found "
                                 f"ndim={ndim} (shape {shape})")
            if spec.dtype is not None and K.dtype(x) != spec.dtype:
                raise ValueError(f"{where}: expected dtype={spec.dtype}, found "
                                 f"dtype={K.dtype(x)}")
            for axis, value in spec.axes.items():
                dim = shape[axis] if -ndim <= axis < ndim else None
                if value is not None and dim not in (value, None):
                    raise ValueError(f"{where}: expected axis {axis} of input shape to have "
                                     f"value {value} but got shape {shape}")
            if spec.shape is not None:
                for expected, dim in zip(spec.shape, shape, strict=False):
                    if expected is not None and dim is not None and expected != dim:
                        raise ValueError(f"{where}: expected shape={spec.shape}, found "
                                         f"shape={shape}")

    def create_input_layer(self, batch_input_shape: Sequence[int | None],
                           input_dtype: str | None = None, name: str | None = None) -> None:
        """Keras 1.2: connect this layer to a new InputLayer (how Sequential starts)."""
        if not name:
            prefix = type(self).__name__.lower() + "_input_"
            name = prefix + str(K.get_uid(prefix))
        self.batch_input_shape = tuple(batch_input_shape)
        self.input_dtype = input_dtype or K.floatx()
        layer = self._input_layer_class(batch_input_shape=self.batch_input_shape,
                                        input_dtype=self.input_dtype, name=name)
        x = layer.inbound_nodes[0].output_tensors[0]
        self(x)

    # ------------------------------------------------------------ weights

    def add_weight(self, *args: Any, **kwargs: Any) -> Any:
        """A new weight variable: `add_weight(shape, initializer, name=None, trainable=True,
        regularizer=None, constraint=None)` (Keras 1.2) or `add_weight(name, shape,
        dtype=None, initializer=None, regularizer=None, trainable=True, constraint=None)`
        (Keras 2.1). The regularizer's penalty joins the layer's losses."""
        if args and isinstance(args[0], str):
            order = ("name", "shape", "dtype", "initializer", "regularizer", "trainable",
                     "constraint")
        else:
            order = ("shape", "initializer", "name", "trainable", "regularizer", "constraint")
        if len(args) > len(order):
            raise TypeError(f"{self.name}.add_weight: too many positional arguments")
        params = dict(zip(order, args, strict=False))
        for key, value in kwargs.items():
            if key in params:
                raise TypeError(f"{self.name}.add_weight got multiple values for {key!r}")
            params[key] = value
        if params.get("shape") is None:
            raise TypeError(f"{self.name}.add_weight needs a shape")
        shape = tuple(int(d) for d in params["shape"])
        dtype = params.get("dtype") or K.floatx()
        name = params.get("name") or f"variable_{len(self.weights)}"
        full_name = f"{self.name}/{name}:0"
        init = initializers.get(params.get("initializer") or "glorot_uniform")
        call_kwargs: dict[str, Any] = {}
        if has_arg(init, "name"):
            call_kwargs["name"] = full_name
        if params.get("dtype") and has_arg(init, "dtype"):
            call_kwargs["dtype"] = dtype
        check_new_weight(self, name, shape, dtype)  # before the initializer allocates
        value = init(shape, **call_kwargs)
        weight = K.variable(value, dtype=dtype, name=full_name)
        if K.int_shape(weight) != shape:
            raise ValueError(f"{self.name}.add_weight: the initializer of {name!r} returned "
                             f"shape {K.int_shape(weight)}, expected {shape}")
        regularizer = regularizers.get(params.get("regularizer"))
        if regularizer is not None:
            self.add_loss(regularizer(weight))
        constraint = constraints_module.get(params.get("constraint"))
        if constraint is not None:
            self.constraints[weight] = constraint
            K.set_keras_attr(weight, "constraint", constraint)
        if params.get("trainable", True):
            self._trainable_weights.append(weight)
        else:
            self._non_trainable_weights.append(weight)
        return weight

    @property
    def trainable_weights(self) -> list[Any]:
        """The weights the optimizer updates (none when the layer is frozen).

        The layer's own list while trainable, so Keras 1 code may append to it."""
        return self._trainable_weights if self.trainable else []

    @trainable_weights.setter
    def trainable_weights(self, weights: list[Any]) -> None:
        self._trainable_weights = list(weights)

    @property
    def non_trainable_weights(self) -> list[Any]:
        """Weights updated by other means (moving averages), or all of a frozen layer's."""
        if self.trainable:
            return self._non_trainable_weights
        return list(self._trainable_weights) + list(self._non_trainable_weights)

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights: list[Any]) -> None:
        self._non_trainable_weights = list(weights)

    @property
    def weights(self) -> list[Any]:
        """Trainable then non-trainable weights (the order of get_weights)."""
        return list(self.trainable_weights) + list(self.non_trainable_weights)

    def get_weights(self) -> list[np.ndarray]:
        """The weights' current values as NumPy arrays."""
        return K.batch_get_value(self.weights)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Set the weights from NumPy arrays (as many, and shaped, as get_weights returns)."""
        self._assign_weights(self.weights, weights, f"layer {self.name!r}",
                             "trainable weights, then non-trainable")

    @staticmethod
    def _assign_weights(params: Sequence[Any], weights: Sequence[Any], owner: str,
                        order: str) -> None:
        """Check every array against its weight's shape, then set them all (or none)."""
        if len(params) != len(weights):
            raise ValueError(f"You called `set_weights(weights)` on {owner} with a weight list "
                             f"of length {len(weights)}, but it was expecting {len(params)} "
                             f"weights ({order})")
        pairs = []
        for p, w in zip(params, weights, strict=True):
            w = np.asarray(w)
            if tuple(K.get_variable_shape(p)) != w.shape:
                raise ValueError(f"{owner}: weight {p.name} has shape "
                                 f"{tuple(K.get_variable_shape(p))}, not compatible with the "
                                 f"provided weight shape {w.shape}")
            pairs.append((p, w))
        K.batch_set_value(pairs)

    def count_params(self) -> int:
        """Number of scalars in the layer's weights."""
        if not self.built:
            raise RuntimeError(f"You tried to call `count_params` on {self.name}, but the layer "
                               f"isn't built. You can build it manually via: "
                               f"`{self.name}.build(batch_input_shape)`.")
        return int(sum(K.count_params(p) for p in self.weights))

    # ------------------------------------------------------------ losses and updates

    @staticmethod
    def _inputs_key(inputs: Any) -> Any:
        return None if inputs is None else tuple(to_list(inputs))

    def add_loss(self, losses: Any, inputs: Any = None) -> None:
        """Add loss tensors to minimize; with `inputs`, they belong to the call on them."""
        if losses is None:
            return
        losses = [loss for loss in to_list(losses) if loss is not None]
        if losses:
            self._losses.setdefault(self._inputs_key(inputs), []).extend(losses)

    def add_update(self, updates: Any, inputs: Any = None) -> None:
        """Add (variable, new value) pairs run with each training step."""
        if updates is None:
            return
        if isinstance(updates, tuple) and len(updates) == 2 and K.is_variable(updates[0]):
            updates = [updates]
        updates = list(updates.items()) if isinstance(updates, dict) else to_list(updates)
        if updates:
            self._updates.setdefault(self._inputs_key(inputs), []).extend(updates)

    def get_losses_for(self, inputs: Any) -> list[Any]:
        """The losses added for a call on `inputs` (None: those that depend on no input)."""
        losses = list(self._losses.get(self._inputs_key(inputs), []))
        if inputs is None:
            losses += [r(r.p) for r in self._keras1_regularizers if getattr(r, "p", None)
                       is not None]
        return losses

    def get_updates_for(self, inputs: Any) -> list[Any]:
        """The updates added for a call on `inputs` (None: unconditional ones)."""
        return list(self._updates.get(self._inputs_key(inputs), []))

    @property
    def losses(self) -> list[Any]:
        """Every loss tensor this layer added (regularization penalties included)."""
        out = [loss for key, group in self._losses.items() if key is not None for loss in group]
        return out + self.get_losses_for(None)

    @losses.setter
    def losses(self, losses: list[Any]) -> None:
        self._losses = {None: list(losses)} if losses else {}

    @property
    def updates(self) -> list[Any]:
        """Every (variable, new value) update this layer added."""
        return [u for group in self._updates.values() for u in group]

    @updates.setter
    def updates(self, updates: list[Any]) -> None:
        self._updates = {}
        self.add_update(updates)

    @property
    def regularizers(self) -> list[Any]:
        """Keras 1 layers put bound WeightRegularizers here (set_param); they count."""
        return self._keras1_regularizers

    @regularizers.setter
    def regularizers(self, value: list[Any]) -> None:
        self._keras1_regularizers = list(value or [])

    # ------------------------------------------------------------ graph accessors

    def _node_attribute(self, node_index: int, attr: str, what: str) -> Any:
        if not self.inbound_nodes:
            raise RuntimeError(f"The layer {self.name} has never been called and thus has no "
                               f"defined {what}.")
        if not -len(self.inbound_nodes) <= node_index < len(self.inbound_nodes):
            raise ValueError(f"Asked to get {what} at node {node_index}, but the layer "
                             f"{self.name} has only {len(self.inbound_nodes)} inbound nodes.")
        return unpack(getattr(self.inbound_nodes[node_index], attr))

    def _single_node_attribute(self, attr: str, what: str, getter: str) -> Any:
        if not self.inbound_nodes:
            raise AttributeError(f"Layer {self.name} is not connected, no {what} to return.")
        # Tensors and masks belong to one call: with several calls there is no single
        # answer (as in Keras 1.2.2). Shapes are values: equal shapes are the answer.
        by_value = attr.endswith("shapes")
        values = {repr(getattr(node, attr)) for node in self.inbound_nodes} if by_value \
            else set(range(len(self.inbound_nodes)))
        if len(values) > 1:
            raise AttributeError(f"Layer {self.name} has multiple inbound nodes, hence the "
                                 f"notion of \"layer {what}\" is ill-defined. Use "
                                 f"`{getter}(node_index)` instead.")
        return unpack(getattr(self.inbound_nodes[0], attr))

    def get_input_at(self, node_index: int) -> Any:
        """The input tensor(s) of the layer's call number node_index."""
        return self._node_attribute(node_index, "input_tensors", "input")

    def get_output_at(self, node_index: int) -> Any:
        """The output tensor(s) of the layer's call number node_index."""
        return self._node_attribute(node_index, "output_tensors", "output")

    def get_input_shape_at(self, node_index: int) -> Any:
        """The input shape(s) of the layer's call number node_index."""
        return self._node_attribute(node_index, "input_shapes", "input shape")

    def get_output_shape_at(self, node_index: int) -> Any:
        """The output shape(s) of the layer's call number node_index."""
        return self._node_attribute(node_index, "output_shapes", "output shape")

    def get_input_mask_at(self, node_index: int) -> Any:
        """The input mask(s) of the layer's call number node_index."""
        return self._node_attribute(node_index, "input_masks", "input mask")

    def get_output_mask_at(self, node_index: int) -> Any:
        """The output mask(s) of the layer's call number node_index."""
        return self._node_attribute(node_index, "output_masks", "output mask")

    @property
    def input(self) -> Any:
        """The input tensor(s), for a layer called exactly once."""
        return self._single_node_attribute("input_tensors", "input", "get_input_at")

    @property
    def output(self) -> Any:
        """The output tensor(s), for a layer called exactly once."""
        return self._single_node_attribute("output_tensors", "output", "get_output_at")

    @property
    def input_shape(self) -> Any:
        """The input shape(s), when every call had the same."""
        return self._single_node_attribute("input_shapes", "input shape",
                                           "get_input_shape_at")

    @property
    def output_shape(self) -> Any:
        """The output shape(s), when every call had the same."""
        return self._single_node_attribute("output_shapes", "output shape",
                                           "get_output_shape_at")

    @property
    def input_mask(self) -> Any:
        """The input mask(s), for a layer called exactly once."""
        return self._single_node_attribute("input_masks", "input mask", "get_input_mask_at")

    @property
    def output_mask(self) -> Any:
        """The output mask(s), for a layer called exactly once."""
        return self._single_node_attribute("output_masks", "output mask",
                                           "get_output_mask_at")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"

