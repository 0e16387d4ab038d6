"""Layer wrappers: TimeDistributed (a layer applied to every timestep) and Bidirectional
(a recurrent layer run forwards and backwards, outputs merged).

    model.add(TimeDistributed(Dense(8), input_shape=(10, 16)))         # (None, 10, 8)
    model.add(Bidirectional(LSTM(10, return_sequences=True), merge_mode='concat'))

A wrapper's weights, losses (regularization penalties), updates and constraints are
those of the layer(s) it wraps; `get_config()` holds the wrapped layer's config under
'layer' (Keras 1.2.2's form).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import symgraph as sg

from .. import backend as K
from ..engine.base_layer import InputSpec, Layer
from ..utils.generic_utils import deserialize_layer as deserialize

_MERGE_MODES = ("sum", "mul", "ave", "concat", None)


class Wrapper(Layer):
    """Base of the wrappers: the wrapped layers' weights, losses and updates are this
    layer's (`_wrapped()` lists them: the one layer, or Bidirectional's two)."""

    def __init__(self, layer: Layer, **kwargs: Any):
        if not isinstance(layer, Layer):
            raise TypeError(f"{type(self).__name__} wraps a layer instance, got {layer!r}")
        self.layer = layer
        self.uses_learning_phase = getattr(layer, "uses_learning_phase", False)
        super().__init__(**kwargs)

    def _wrapped(self) -> list[Layer]:
        return [self.layer]

    @property
    def trainable_weights(self) -> list[Any]:  # type: ignore[override]
        """The wrapped layers' trainable weights (none when this wrapper is frozen)."""
        if not self.trainable:
            return []
        return [w for layer in self._wrapped() for w in layer.trainable_weights]

    @trainable_weights.setter
    def trainable_weights(self, weights: list[Any]) -> None:
        if weights:
            raise AttributeError(f"{self.name}: a wrapper's weights are its layer's")

    @property
    def non_trainable_weights(self) -> list[Any]:  # type: ignore[override]
        """The wrapped layers' other weights (all of them when this wrapper is frozen)."""
        weights = [w for layer in self._wrapped() for w in layer.non_trainable_weights]
        if not self.trainable:
            weights = [w for layer in self._wrapped() for w in layer.trainable_weights] + \
                weights
        return weights

    @non_trainable_weights.setter
    def non_trainable_weights(self, weights: list[Any]) -> None:
        if weights:
            raise AttributeError(f"{self.name}: a wrapper's weights are its layer's")

    @property
    def constraints(self) -> dict[Any, Any]:  # type: ignore[override]
        """The wrapped layers' {weight: constraint}."""
        merged: dict[Any, Any] = {}
        for layer in self._wrapped():
            merged.update(getattr(layer, "constraints", {}))
        return merged

    @constraints.setter
    def constraints(self, value: dict[Any, Any]) -> None:
        if value:
            raise AttributeError(f"{self.name}: a wrapper's constraints are its layer's")

    def get_losses_for(self, inputs: Any) -> list[Any]:
        """This wrapper's losses for a call; with None, also the wrapped layers'
        input-independent ones (weight penalties)."""
        losses = super().get_losses_for(inputs)
        if inputs is None:
            losses += [loss for layer in self._wrapped() for loss in layer.get_losses_for(None)]
        return losses

    def get_updates_for(self, inputs: Any) -> list[Any]:
        """This wrapper's updates for a call; with None, also the wrapped layers'."""
        updates = super().get_updates_for(inputs)
        if inputs is None:
            updates += [u for layer in self._wrapped() for u in layer.get_updates_for(None)]
        return updates

    def _adopt(self, layer: Layer, layer_inputs: Any, inputs: Any) -> None:
        """Make the losses and updates of the wrapped layer's call on `layer_inputs` this
        wrapper's, for its call on `inputs` (so models collect them)."""
        self.add_loss(layer.get_losses_for(layer_inputs), inputs=inputs)
        self.add_update(layer.get_updates_for(layer_inputs), inputs=inputs)

    @property
    def stateful(self) -> bool:  # type: ignore[override]
        """True when a wrapped layer keeps state between batches."""
        return any(getattr(layer, "stateful", False) for layer in self._wrapped())

    @stateful.setter
    def stateful(self, value: bool) -> None:
        pass  # the wrapped layers' property

    def reset_states(self) -> None:
        """Reset the wrapped layers' states."""
        for layer in self._wrapped():
            if getattr(layer, "stateful", False):
                layer.reset_states()

    def get_config(self) -> dict[str, Any]:
        """The base config plus the wrapped layer's under 'layer'."""
        layer = {"class_name": type(self.layer).__name__, "config": self.layer.get_config()}
        return {**super().get_config(), "layer": layer}

    @classmethod
    def from_config(cls, config: dict[str, Any],
                    custom_objects: dict[str, Any] | None = None) -> Wrapper:
        """The wrapper and its layer, rebuilt from get_config()'s dict."""
        config = dict(config)
        layer = deserialize(config.pop("layer"), custom_objects=custom_objects)
        return cls(layer, **config)


class TimeDistributed(Wrapper):
    """Applies `layer` to every slice of axis 1 (timesteps): the samples and timesteps are
    flattened into one batch for one call of the layer, then split again."""

    def __init__(self, layer: Layer, **kwargs: Any):
        self.supports_masking = True
        super().__init__(layer, **kwargs)

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Build the wrapped layer for one timestep's input shape."""
        if len(input_shape) < 3:
            raise ValueError(f"{self.name}: TimeDistributed needs an input of at least 3 dims "
                             f"(samples, timesteps, ...), got shape {tuple(input_shape)}")
        self.input_spec = [InputSpec(shape=tuple(input_shape))]
        # Built (and given its `weights=`) as if called on one timestep's input.
        self.layer._maybe_build(K.placeholder(shape=self._inner_shape(input_shape)))
        self.built = True

    def _inner_shape(self, input_shape: Sequence[int | None]) -> tuple:
        batch = None if input_shape[0] is None or input_shape[1] is None else \
            input_shape[0] * input_shape[1]
        return (batch,) + tuple(input_shape[2:])

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, timesteps) + the wrapped layer's output shape for one timestep."""
        inner = self.layer.compute_output_shape((input_shape[0],) + tuple(input_shape[2:]))
        return (inner[0], input_shape[1]) + tuple(inner[1:])

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The layer on (samples * timesteps, ...) and the result split back."""
        x = sg.as_tensor(inputs)
        rest = [d if d is not None else sg.shape_i(x, i + 2)
                for i, d in enumerate(K.int_shape(x)[2:])]
        flat = sg.reshape(x, [-1, *rest])
        K.set_keras_attr(flat, "_keras_shape", self._inner_shape(K.int_shape(x)))
        y = self.layer.call(flat)
        y = sg.as_tensor(y[0] if isinstance(y, list) and len(y) == 1 else y)  # a model's list
        steps = K.int_shape(x)[1]
        out_rest = [d if d is not None else sg.shape_i(y, i + 1)
                    for i, d in enumerate(K.int_shape(y)[1:])]
        out = sg.reshape(y, [-1, steps if steps is not None else sg.shape_i(x, 1), *out_rest])
        self._adopt(self.layer, flat, inputs)
        regularizer = getattr(self.layer, "activity_regularizer", None)
        if regularizer is not None:
            self.add_loss(regularizer(out), inputs=inputs)
        return out


class Bidirectional(Wrapper):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence, and
    merges the two outputs: merge_mode 'concat' (default), 'sum', 'mul', 'ave', or None
    (the two outputs as a list). The weights are the forward layer's, then the backward
    layer's (named 'forward_<name>' and 'backward_<name>')."""

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 **kwargs: Any):
        if merge_mode not in _MERGE_MODES:
            raise ValueError(f"Invalid merge mode {merge_mode!r} for Bidirectional. Merge mode "
                             f"should be one of {{'sum', 'mul', 'ave', 'concat', None}}")
        if not hasattr(layer, "go_backwards"):
            raise TypeError(f"Bidirectional wraps a recurrent layer (with go_backwards), got "
                            f"{layer!r}")
        config = layer.get_config()
        self.forward_layer = type(layer).from_config({**config,
                                                      "name": "forward_" + layer.name})
        self.backward_layer = type(layer).from_config(
            {**config, "name": "backward_" + layer.name,
             "go_backwards": not config["go_backwards"]})
        self.forward_layer.initial_weights = getattr(layer, "initial_weights", None)
        if weights:
            half = len(weights) // 2
            self.forward_layer.initial_weights = weights[:half]
            self.backward_layer.initial_weights = weights[half:]
        self.merge_mode = merge_mode
        self.return_sequences = layer.return_sequences
        self.supports_masking = True
        super().__init__(layer, **kwargs)

    def _wrapped(self) -> list[Layer]:
        return [self.forward_layer, self.backward_layer]

    def build(self, input_shape: Sequence[int | None]) -> None:
        """Build both layers (and set the weights given to the constructor)."""
        for layer in self._wrapped():  # as if called on the input
            layer._maybe_build(K.placeholder(shape=tuple(input_shape)))
        self.input_spec = [InputSpec(shape=tuple(input_shape))]
        self.built = True

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The recurrent layer's output shape (last axis doubled by 'concat'; a list of two
        with merge_mode None)."""
        shape = tuple(self.forward_layer.compute_output_shape(input_shape))
        if self.merge_mode == "concat":
            return shape[:-1] + (None if shape[-1] is None else 2 * shape[-1],)
        return [shape, shape] if self.merge_mode is None else shape

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """Both directions on the inputs, the backward outputs put back in time order."""
        y = self.forward_layer.call(inputs, mask)
        y_rev = self.backward_layer.call(inputs, mask)
        for layer in self._wrapped():
            self._adopt(layer, inputs, inputs)
        if self.return_sequences:
            y_rev = K.reverse(y_rev, 1)
        if self.merge_mode == "concat":
            return K.concatenate([y, y_rev], axis=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        if self.merge_mode == "mul":
            return y * y_rev
        return [y, y_rev]

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask when returning sequences (twice with merge_mode None)."""
        if isinstance(mask, list):
            mask = mask[0]
        if not self.return_sequences:
            return [None, None] if self.merge_mode is None else None
        return [mask, mask] if self.merge_mode is None else mask

    def get_weights(self) -> list[Any]:
        """The forward layer's weights, then the backward layer's."""
        return self.forward_layer.get_weights() + self.backward_layer.get_weights()

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Forward layer's weights (first half), then the backward layer's."""
        half = len(weights) // 2
        self.forward_layer.set_weights(list(weights[:half]))
        self.backward_layer.set_weights(list(weights[half:]))

    def get_config(self) -> dict[str, Any]:
        """The wrapper config plus merge_mode."""
        return {**super().get_config(), "merge_mode": self.merge_mode}
