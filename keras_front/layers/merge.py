"""Merge layers: Keras 2's Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate,
Dot (and add(), concatenate(), ... functions), and Keras 1's `Merge` layer and
`merge(inputs, mode=...)` function (modes 'sum', 'mul', 'concat', 'ave', 'cos', 'dot',
'max', or a function of the list of tensors).

    merged = merge([a, b], mode='concat', concat_axis=-1)      # Keras 1
    merged = concatenate([a, b])                               # Keras 2
    model.add(Merge([left_model, right_model], mode='sum'))    # Keras 1, Sequential
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from symgraph.tensor import broadcast_shapes

from .. import backend as K
from ..engine.base_layer import Layer
from ..engine.node import keras_history
from ..utils.generic_utils import SafeModeScope, has_arg
from ..utils.generic_utils import deserialize_layer as deserialize
from .saved_functions import dump_function, load_functions


def _named(name: str | None) -> str:
    """The end of an error message naming the layer instance, when known."""
    return "" if name is None else f" (layer {name!r})"


def _elementwise_shape(layer: str, shapes: list[Any], name: str | None = None) -> tuple:
    """The broadcast of same-rank shapes (size-1 and unknown dims allowed)."""
    ranks = {len(s) for s in shapes}
    if len(ranks) > 1:
        raise ValueError(f"{layer}: inputs must have the same rank, got shapes "
                         f"{[tuple(s) for s in shapes]}{_named(name)}")
    batches = {s[0] for s in shapes} - {None}
    if len(batches) > 1:
        raise ValueError(f"{layer}: can not merge tensors with different batch sizes. Got "
                         f"tensors with shapes: {[tuple(s) for s in shapes]}{_named(name)}")
    try:
        rest = broadcast_shapes(*(tuple(s[1:]) for s in shapes), op=layer)
    except ValueError:
        raise ValueError(f"{layer}: operands could not be broadcast together with shapes "
                         f"{[tuple(s) for s in shapes]}{_named(name)}") from None
    return (batches.pop() if batches else None,) + rest


def _all_masks(inputs: list[Any], mask: Any) -> Any:
    """The AND of the inputs' masks (None when no input is masked)."""
    if mask is None or all(m is None for m in mask):
        return None
    masks = [K.expand_dims(m, 0) for m in mask if m is not None]
    return K.all(K.concatenate(masks, axis=0), axis=0)


class _Merge(Layer):
    """Base of the Keras 2 merge layers: called on a list of at least two tensors."""

    _min_inputs = 2
    _max_inputs: int | None = None  # Subtract and Dot take exactly two

    def __init__(self, **kwargs: Any):
        self.supports_masking = True
        super().__init__(**kwargs)

    def _check_inputs(self, input_shape: Any) -> list[Any]:
        name = type(self).__name__
        if not isinstance(input_shape, list):
            raise ValueError(f"A `{name}` layer should be called on a list of inputs "
                             f"(layer {self.name!r} got one input of shape {input_shape})")
        n, low, high = len(input_shape), self._min_inputs, self._max_inputs
        if n < low or (high is not None and n > high):
            count = f"exactly {low}" if low == high else f"a list of at least {low}"
            raise ValueError(f"A `{name}` layer should be called on {count} inputs. Got {n} "
                             f"inputs (layer {self.name!r}, shapes {input_shape}).")
        return input_shape

    def build(self, input_shape: Any) -> None:
        self.compute_output_shape(self._check_inputs(input_shape))
        self.built = True

    def call(self, inputs: list[Any], mask: Any = None) -> Any:
        return self._merge_function(list(inputs))

    def _merge_function(self, inputs: list[Any]) -> Any:
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Any) -> tuple:
        return _elementwise_shape(type(self).__name__, self._check_inputs(input_shape),
                                  self.name)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        return _all_masks(inputs, mask)


class Add(_Merge):
    """The elementwise sum of the inputs."""

    def _merge_function(self, inputs: list[Any]) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Subtract(_Merge):
    """inputs[0] - inputs[1] (exactly two inputs)."""

    _max_inputs = 2

    def _merge_function(self, inputs: list[Any]) -> Any:
        return inputs[0] - inputs[1]


class Multiply(_Merge):
    """The elementwise product of the inputs."""

    def _merge_function(self, inputs: list[Any]) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = out * x
        return out


class Average(_Merge):
    """The elementwise mean of the inputs."""

    def _merge_function(self, inputs: list[Any]) -> Any:
        return Add._merge_function(self, inputs) / float(len(inputs))


class Maximum(_Merge):
    """The elementwise maximum of the inputs."""

    def _merge_function(self, inputs: list[Any]) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = K.maximum(out, x)
        return out


class Minimum(_Merge):
    """The elementwise minimum of the inputs."""

    def _merge_function(self, inputs: list[Any]) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = K.minimum(out, x)
        return out


def _concat_shape(layer: str, shapes: list[Any], axis: int, name: str | None = None) -> tuple:
    rank = len(shapes[0])
    if any(len(s) != rank for s in shapes) or not -rank <= axis < rank:
        raise ValueError(f"{layer}: inputs must have the same rank, with axis {axis} among "
                         f"them; got shapes {[tuple(s) for s in shapes]}{_named(name)}")
    axis %= rank
    for i in range(rank):
        dims = {s[i] for s in shapes} - {None}
        if i != axis and i != 0 and len(dims) > 1:
            raise ValueError(f"A `Concatenate` layer requires inputs with matching shapes "
                             f"except for the concat axis. Got inputs shapes: "
                             f"{[tuple(s) for s in shapes]}, axis {axis}{_named(name)}")
    out = list(_elementwise_shape(layer, [[s[0]] for s in shapes], name)) + [None] * (rank - 1)
    for i in range(1, rank):
        column = [s[i] for s in shapes]
        if i == axis:
            out[i] = None if None in column else int(sum(column))
        else:
            known = [d for d in column if d is not None]
            out[i] = known[0] if known else None
    return tuple(out)


def _concat_mask(inputs: list[Any], mask: Any, axis: int) -> Any:
    if mask is None or all(m is None for m in mask):
        return None
    masks = []
    for x, m in zip(inputs, mask, strict=True):
        if m is None:
            masks.append(K.ones_like(x, dtype="bool"))
        elif K.ndim(m) < K.ndim(x):
            masks.append(K.expand_dims(m))
        else:
            masks.append(m)
    return K.all(K.concatenate(masks, axis=axis), axis=-1)


class Concatenate(_Merge):
    """The inputs joined along `axis` (the last by default)."""

    def __init__(self, axis: int = -1, **kwargs: Any):
        self.axis = int(axis)
        super().__init__(**kwargs)

    def _merge_function(self, inputs: list[Any]) -> Any:
        return K.concatenate(inputs, axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """The inputs' shapes joined along `axis` (the others must agree)."""
        return _concat_shape("Concatenate", self._check_inputs(input_shape), self.axis,
                             self.name)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input masks joined along `axis` (all-True where an input has none)."""
        return _concat_mask(inputs, mask, self.axis)

    def get_config(self) -> dict[str, Any]:
        """The config: the axis."""
        return {**super().get_config(), "axis": self.axis}


def _dot_axes(axes: Any, ranks: Sequence[int]) -> list[int]:
    """Non-negative (axis of input 1, axis of input 2) from an int or a pair."""
    pair = [axes, axes] if isinstance(axes, int) else list(axes)
    return [a % r for a, r in zip(pair, ranks, strict=True)]


def _dot_shape(layer: str, shapes: list[Any], axes: list[int], name: str | None = None) -> tuple:
    shape1, shape2 = list(shapes[0]), list(shapes[1])
    d1, d2 = shape1[axes[0]], shape2[axes[1]]
    if d1 is not None and d2 is not None and d1 != d2:
        raise ValueError(f"{layer}: dimension incompatibility {d1} != {d2}. Layer shapes: "
                         f"{tuple(shape1)}, {tuple(shape2)}, axes {axes}{_named(name)}")
    shape1.pop(axes[0])
    shape2.pop(axes[1])
    shape2.pop(0)
    out = shape1 + shape2
    return tuple(out + [1] if len(out) == 1 else out)


class Dot(_Merge):
    """The per-sample dot product of two inputs over `axes` (an int or a pair); with
    normalize=True, the cosine similarity."""

    _max_inputs = 2

    def __init__(self, axes: int | Sequence[int], normalize: bool = False, **kwargs: Any):
        if not isinstance(axes, int):
            if not isinstance(axes, (list, tuple)) or len(axes) != 2 or \
                    not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Invalid format for `axes` of Dot: {axes!r}; expected an int "
                                 f"or a pair of ints")
            axes = tuple(axes)
        self.axes = axes
        self.normalize = bool(normalize)
        super().__init__(**kwargs)

    def _merge_function(self, inputs: list[Any]) -> Any:
        x1, x2 = inputs
        axes = _dot_axes(self.axes, [K.ndim(x1), K.ndim(x2)])
        if self.normalize:
            x1, x2 = K.l2_normalize(x1, axis=axes[0]), K.l2_normalize(x2, axis=axes[1])
        return K.batch_dot(x1, x2, tuple(axes))

    def compute_output_shape(self, input_shape: Any) -> tuple:
        """The batch axis, then the axes of both inputs left after the product."""
        shapes = self._check_inputs(input_shape)
        return _dot_shape("Dot", shapes, _dot_axes(self.axes, [len(s) for s in shapes]),
                          self.name)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """None: a dot product has no timesteps to mask."""
        return None

    def get_config(self) -> dict[str, Any]:
        """The config: axes and normalize."""
        return {**super().get_config(), "axes": self.axes, "normalize": self.normalize}


def _functional(cls: type, doc: str) -> Any:
    def merge_fn(inputs: list[Any], **kwargs: Any) -> Any:
        return cls(**kwargs)(inputs)

    merge_fn.__name__ = merge_fn.__qualname__ = cls.__name__.lower()
    merge_fn.__doc__ = doc
    return merge_fn


add = _functional(Add, "add([a, b, ...]): the Add layer applied to the inputs.")
subtract = _functional(Subtract, "subtract([a, b]): the Subtract layer applied.")
multiply = _functional(Multiply, "multiply([a, b, ...]): the Multiply layer applied.")
average = _functional(Average, "average([a, b, ...]): the Average layer applied.")
maximum = _functional(Maximum, "maximum([a, b, ...]): the Maximum layer applied.")
minimum = _functional(Minimum, "minimum([a, b, ...]): the Minimum layer applied.")


def concatenate(inputs: list[Any], axis: int = -1, **kwargs: Any) -> Any:
    """concatenate([a, b, ...], axis=-1): the Concatenate layer applied to the inputs."""
    return Concatenate(axis=axis, **kwargs)(inputs)


def dot(inputs: list[Any], axes: int | Sequence[int], normalize: bool = False,
        **kwargs: Any) -> Any:
    """dot([a, b], axes): the Dot layer applied to the inputs."""
    return Dot(axes=axes, normalize=normalize, **kwargs)(inputs)


# ---------------------------------------------------------------- Keras 1: Merge, merge

_MODES = ("sum", "mul", "concat", "ave", "cos", "dot", "max")


class Merge(Layer):
    """Keras 1's merge layer: mode 'sum', 'mul', 'concat', 'ave', 'cos', 'dot', 'max', or
    a function of the list of tensors (then output_shape: a tuple without the batch axis or
    a function of the input shapes; by default the shape symgraph infers).

    Merge(layers=[model_a, model_b], mode=...) merges those layers' outputs right away
    (how Keras 1 Sequential models were joined); otherwise call it once on a list.
    """

    def __init__(self, layers: list[Any] | None = None, mode: Any = "sum",
                 concat_axis: int = -1, dot_axes: Any = -1, output_shape: Any = None,
                 output_mask: Any = None, arguments: dict[str, Any] | None = None,
                 node_indices: list[int] | None = None,
                 tensor_indices: list[int] | None = None, name: str | None = None):
        if not callable(mode) and mode not in _MODES:
            raise ValueError(f"Invalid merge mode: {mode!r} (expected one of {_MODES} or a "
                             f"function)")
        self.mode = mode
        self.concat_axis = int(concat_axis)
        self.dot_axes = dot_axes
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) \
            else output_shape
        self._output_mask = output_mask
        self.arguments = dict(arguments or {})
        self.supports_masking = True
        super().__init__(name=name)
        self.layers = list(layers) if layers else []
        if layers:
            node_indices = node_indices or [0] * len(layers)
            tensor_indices = tensor_indices or [0] * len(layers)
            shapes = [_shape_at(layer, n, t)
                      for layer, n, t in zip(layers, node_indices, tensor_indices, strict=True)]
            self._validate(shapes)
            self.built = True
            self._add_inbound_node(list(layers), list(node_indices), list(tensor_indices))

    def _validate(self, shapes: list[Any]) -> None:
        """Keras 1.2's checks of the inputs' shapes for the mode."""
        if len(shapes) < 2:
            raise ValueError(f"A Merge should only be applied to a list of layers with at least "
                             f"2 elements. Found: {len(shapes)} (Merge {self.name!r})")
        if callable(self.mode):
            return
        if self.mode in ("sum", "mul", "ave", "cos", "max") and \
                len({tuple(s) for s in shapes}) > 1:
            raise ValueError(f"Only layers of same output shape can be merged using "
                             f"{self.mode} mode. Layer shapes: {[tuple(s) for s in shapes]} "
                             f"(Merge {self.name!r})")
        if self.mode in ("cos", "dot"):
            if len(shapes) > 2:
                raise ValueError(f"{self.mode} merge takes exactly 2 layers (Merge "
                                 f"{self.name!r} got {len(shapes)}: "
                                 f"{[tuple(s) for s in shapes]})")
            self.dot_axes = _dot_axes(self.dot_axes, [len(s) for s in shapes])
            _dot_shape(f"Merge {self.name!r} ({self.mode})", shapes, self.dot_axes)
        if self.mode == "concat":
            reduced = set()
            for s in shapes:
                rest = list(s)
                del rest[self.concat_axis]
                reduced.add(tuple(rest[1:]))
            if len(reduced) > 1:
                raise ValueError(f'"concat" mode can only merge layers with matching output '
                                 f"shapes except for the concat axis. Layer shapes: "
                                 f"{[tuple(s) for s in shapes]} (Merge {self.name!r}, "
                                 f"concat_axis={self.concat_axis})")

    def __call__(self, inputs: Any, mask: Any = None, **kwargs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(f"Merge can only be called on a list of tensors, not a single "
                            f"tensor. Received: {inputs!r}")
        if self.built and self.inbound_nodes:
            raise RuntimeError('A Merge layer cannot be used more than once, please use the '
                               '"merge" function instead: `merged_tensor = merge([tensor_1, '
                               'tensor2])`.')
        self._validate([K.int_shape(x) for x in inputs])
        return super().__call__(list(inputs), mask, **kwargs)

    def call(self, inputs: list[Any], mask: Any = None) -> Any:
        """The inputs combined by `mode` (a name, or a function of the list of inputs)."""
        if callable(self.mode):
            arguments = dict(self.arguments)
            if has_arg(self.mode, "mask"):
                arguments["mask"] = mask
            return self.mode(inputs, **arguments)
        if self.mode in ("sum", "ave"):
            out = Add._merge_function(self, inputs)
            return out / float(len(inputs)) if self.mode == "ave" else out
        if self.mode == "mul":
            return Multiply._merge_function(self, inputs)
        if self.mode == "max":
            return Maximum._merge_function(self, inputs)
        if self.mode == "concat":
            return K.concatenate(inputs, axis=self.concat_axis)
        axes = _dot_axes(self.dot_axes, [K.ndim(x) for x in inputs])
        out = K.batch_dot(inputs[0], inputs[1], tuple(axes))
        if self.mode == "cos":
            norms = K.batch_dot(inputs[0], inputs[0], (axes[0], axes[0])) * \
                K.batch_dot(inputs[1], inputs[1], (axes[1], axes[1]))
            out = out / K.maximum(K.sqrt(norms), K.epsilon())
        return out

    def _output_shapes(self, input_shape: Any, outputs: list[Any]) -> list[tuple]:
        if callable(self.mode) and self._output_shape is None:
            return [tuple(K.int_shape(o)) for o in outputs]
        return super()._output_shapes(input_shape, outputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The combined shape for the mode (or output_shape, for a function mode)."""
        shapes = list(input_shape)
        if callable(self.mode):
            if callable(self._output_shape):
                return tuple(self._output_shape(shapes))
            if self._output_shape is not None:
                return (shapes[0][0],) + tuple(self._output_shape)
            raise ValueError(f"The Merge layer {self.name} has a callable `mode` argument, and "
                             f"its output shape can only be inferred when it is called; pass "
                             f"`output_shape`")
        if self.mode in ("sum", "mul", "ave", "max"):
            return tuple(shapes[0])
        if self.mode == "concat":
            return _concat_shape(f"Merge {self.name!r}", shapes, self.concat_axis)
        return _dot_shape(f"Merge {self.name!r}", shapes,
                          _dot_axes(self.dot_axes, [len(s) for s in shapes]))

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """output_mask when given; else the masks combined as Keras 1.2 does."""
        if callable(self._output_mask):
            return self._output_mask(mask)
        if self._output_mask is not None:
            return self._output_mask
        if mask is None or all(m is None for m in mask):
            return None
        if self.mode in ("sum", "mul", "ave", "max"):
            return _all_masks(inputs, mask)
        if self.mode == "concat":
            return _concat_mask(inputs, mask, self.concat_axis)
        return None

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2's config: mode, concat_axis, dot_axes, output shape and mask."""
        mode, mode_type = dump_function(self.mode)
        output_shape, output_shape_type = dump_function(self._output_shape)
        output_mask, output_mask_type = dump_function(self._output_mask)
        dot_axes = list(self.dot_axes) if isinstance(self.dot_axes, (list, tuple)) \
            else self.dot_axes
        return {"name": self.name, "mode": mode, "mode_type": mode_type,
                "concat_axis": self.concat_axis, "dot_axes": dot_axes,
                "output_shape": output_shape, "output_shape_type": output_shape_type,
                "output_mask": output_mask, "output_mask_type": output_mask_type,
                "arguments": self.arguments}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool | None = None) -> Merge:
        """A Merge from its config; function modes are found as
        keras_front.layers.saved_functions says (bytecode runs only with safe_mode=False)."""
        with SafeModeScope(safe_mode):
            config = load_functions(config, ("mode", "output_shape", "output_mask"), "Merge",
                                    custom_objects)
            config.pop("trainable", None)
            if config.get("layers"):
                config["layers"] = [deserialize(c, custom_objects=custom_objects)
                                    for c in config["layers"]]
            return cls(**config)


def _shape_at(layer: Any, node_index: int, tensor_index: int) -> tuple:
    shapes = layer.inbound_nodes[node_index].output_shapes
    return tuple(shapes[tensor_index])


def merge(inputs: list[Any], mode: Any = "sum", concat_axis: int = -1, dot_axes: Any = -1,
          output_shape: Any = None, output_mask: Any = None,
          arguments: dict[str, Any] | None = None, name: str | None = None) -> Any:
    """Keras 1: merge a list of tensors with a Merge layer and return the merged tensor."""
    histories = [keras_history(x) for x in inputs]
    if all(h is not None for h in histories):
        layer = Merge([h[0] for h in histories], mode=mode, concat_axis=concat_axis,
                      dot_axes=dot_axes, output_shape=output_shape, output_mask=output_mask,
                      arguments=arguments, node_indices=[h[1] for h in histories],
                      tensor_indices=[h[2] for h in histories], name=name)
        return layer.inbound_nodes[0].output_tensors[0]
    return Merge(mode=mode, concat_axis=concat_axis, dot_axes=dot_axes,
                 output_shape=output_shape, output_mask=output_mask, arguments=arguments,
                 name=name)(inputs)
