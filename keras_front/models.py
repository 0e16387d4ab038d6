"""Sequential (a linear stack of layers) and Model, plus rebuilding models from configs.

    model = Sequential()
    model.add(Dense(64, init='uniform', input_dim=10))
    model.add(Activation('tanh'))
    model.compile(loss='mean_squared_error', optimizer=SGD(lr=0.1))

`save_model`, `load_model`, `model_from_json` and `model_from_yaml` are keras_front.saving's
(Keras's HDF5 layout, atomic writes, checked loading); `model_from_config` lives here.
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import numpy as np

from . import backend as K
from .engine.base_layer import Layer, to_list
from .engine.input_layer import InputLayer
from .engine.network import _saving_hook
from .engine.node import get_source_inputs
from .engine.training import Model
from .layers.merge import Merge
from .utils.generic_utils import SafeModeScope, register_layer_classes
from .utils.generic_utils import deserialize_layer as deserialize


class Sequential(Model):
    """A Model whose layers form one chain: Sequential([layer, ...]) or .add(layer).

    The first layer needs input_shape / input_dim / batch_input_shape (or is itself
    connected, like a Merge of models). `layers` lists the added layers (no InputLayer).
    """

    def __init__(self, layers: list[Layer] | None = None, name: str | None = None):
        super().__init__(name=name)
        self._seq_layers: list[Layer] = []
        for layer in layers or []:
            self.add(layer)

    @property
    def layers(self) -> list[Layer]:
        """The layers added, in order."""
        return list(self._seq_layers)

    @property
    def _summary_nodes(self) -> None:
        """None: summaries and diagrams show every call of the layers (as Keras 1.2.2,
        whose Sequential had no container_nodes)."""
        return None

    @property
    def model(self) -> Sequential:
        """Keras 1.2 wrapped an inner Model here; this model is its own."""
        return self

    def add(self, layer: Layer) -> None:
        """Append a layer on top of the stack (the first one also makes the model's input)."""
        if not isinstance(layer, Layer):
            raise TypeError(f"The added layer must be an instance of class Layer. Found: "
                            f"{layer!r}")
        on_top = bool(self.outputs)  # called on the current output (else: the first layer)
        if not on_top:
            if isinstance(layer, Model):
                # A model is one layer of this one, called on new inputs, so that its
                # `trainable` flag and its weights stay its own (Keras 1.2.2 keeps it
                # whole too), rather than its inner layers being spliced in.
                outputs = to_list(layer(_new_inputs_like(layer)))
            else:
                if not layer.inbound_nodes:
                    if not hasattr(layer, "batch_input_shape"):
                        raise ValueError(f"The first layer in a Sequential model must get an "
                                         f"`input_shape` or `batch_input_shape` argument (or "
                                         f"input_dim); layer {layer.name!r} has none.")
                    layer.create_input_layer(layer.batch_input_shape, layer.input_dtype)
                if len(layer.inbound_nodes) != 1:
                    raise ValueError(f"A layer added to a Sequential model must not already "
                                     f"be connected somewhere else. Model received layer "
                                     f"{layer.name} which has {len(layer.inbound_nodes)} "
                                     f"pre-existing inbound connections.")
                outputs = layer.inbound_nodes[0].output_tensors
            if len(outputs) != 1:
                raise ValueError("All layers in a Sequential model should have a single output "
                                 "tensor. For multi-output layers, use the functional API.")
            inputs = get_source_inputs(outputs[0])
        else:
            output = layer(self.outputs[0])
            if isinstance(output, list):
                raise ValueError("All layers in a Sequential model should have a single output "
                                 "tensor. For multi-output layers, use the functional API.")
            inputs, outputs = self.inputs, [output]
        self._seq_layers.append(layer)
        if not (on_top and self._grow(outputs[0])):
            self._init_graph(inputs, outputs)
        self._reset_compiled()

    def pop(self) -> None:
        """Remove the last layer."""
        if not self._seq_layers:
            raise TypeError("There are no layers in the model.")
        self._seq_layers.pop()
        if not self._seq_layers:
            self.inputs, self.outputs, self._network_layers = [], [], []
            self._network_nodes, self.nodes_by_depth = set(), {}
            self.inbound_nodes, self.outbound_nodes = [], []
            self.built = False
        else:
            last = self._seq_layers[-1]
            last.outbound_nodes = []
            self._init_graph(self.inputs, [last.get_output_at(-1)])
        self._reset_compiled()

    def build(self, input_shape: Any = None) -> None:
        """Keras API: the graph is built as layers are added, so this only checks."""
        if not self.outputs:
            raise TypeError("Sequential model cannot be built: model is empty. Add some layers "
                            "first.")

    def compile(self, optimizer: Any, loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, sample_weight_mode: Any = None,
                **kwargs: Any) -> None:
        """See Model.compile."""
        self.build()
        super().compile(optimizer, loss, metrics=metrics, loss_weights=loss_weights,
                        sample_weight_mode=sample_weight_mode, **kwargs)

    def predict_proba(self, x: Any, batch_size: int = 32, verbose: int = 1) -> Any:
        """Class probabilities (predict, with a warning when outputs leave [0, 1])."""
        preds = self.predict(x, batch_size, verbose)
        if preds.min() < 0.0 or preds.max() > 1.0:
            warnings.warn("Network returning invalid probability values. The last layer might "
                          "not normalize predictions into probabilities (like softmax or "
                          "sigmoid would).", stacklevel=2)
        return preds

    def predict_classes(self, x: Any, batch_size: int = 32, verbose: int = 1) -> np.ndarray:
        """Class indices: argmax of the outputs, or outputs > 0.5 for a single unit."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def get_config(self) -> list[dict[str, Any]]:  # type: ignore[override]
        """Keras 1.2's form: a list of {'class_name', 'config'}, one per layer."""
        config = []
        for i, layer in enumerate(self._seq_layers):
            layer_config = layer.get_config()
            if i == 0 and isinstance(layer, Merge) and layer.layers:
                layer_config["layers"] = [{"class_name": type(sub).__name__,
                                           "config": sub.get_config()} for sub in layer.layers]
            config.append({"class_name": type(layer).__name__, "config": layer_config})
        return copy.deepcopy(config)

    @classmethod
    def from_config(cls, config: Any,  # type: ignore[override]
                    custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool | None = None) -> Sequential:
        """A Sequential from get_config()'s list (or Keras 2.2's {'name', 'layers'});
        safe_mode=False lets Lambda / Merge bytecode load (trusted configs only)."""
        name = None
        if isinstance(config, dict):
            name, config = config.get("name"), config.get("layers", [])
        model = cls(name=name)
        with SafeModeScope(safe_mode):
            for layer_config in config:
                model.add(deserialize(layer_config, custom_objects=custom_objects))
        return model


def _new_inputs_like(model: Model) -> Any:
    """New Input tensors shaped like the model's own inputs (one, or a list)."""
    inputs = []
    for x in model.inputs:
        prefix = model.name + "_input_"
        inputs.append(InputLayer(batch_input_shape=K.int_shape(x), input_dtype=K.dtype(x),
                                 name=prefix + str(K.get_uid(prefix)))
                      .inbound_nodes[0].output_tensors[0])
    return inputs[0] if len(inputs) == 1 else inputs


# Configs name models too: {'class_name': 'Sequential' | 'Model' | 'Container', ...}.
register_layer_classes({"Sequential": Sequential, "Model": Model, "Container": Model})


def model_from_config(config: dict[str, Any], custom_objects: dict[str, Any] | None = None,
                      safe_mode: bool | None = None) -> Model:
    """The model described by {'class_name': 'Sequential' | 'Model', 'config': ...}."""
    if isinstance(config, list):
        raise TypeError("`model_from_config` expects a dictionary, not a list. Maybe you meant "
                        "to use `Sequential.from_config(config)`?")
    with SafeModeScope(safe_mode):
        return deserialize(config, custom_objects=custom_objects)


def save_model(model: Model, filepath: str, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Architecture, weights and optimizer state to one HDF5 file (keras_front saving)."""
    _saving_hook("save_model")(model, filepath, overwrite=overwrite,
                               include_optimizer=include_optimizer)


def load_model(filepath: str, custom_objects: dict[str, Any] | None = None,
               compile: bool = True,  # noqa: A002 (Keras's argument name)
               safe_mode: bool = True) -> Model:
    """A model saved by save_model (keras_front saving); safe_mode=False lets Lambda /
    Merge functions saved as Python bytecode load (trusted files only)."""
    return _saving_hook("load_model")(filepath, custom_objects=custom_objects, compile=compile,
                                      safe_mode=safe_mode)


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool = True) -> Model:
    """A model from to_json()'s string (keras_front saving); safe_mode as in load_model."""
    return _saving_hook("model_from_json")(json_string, custom_objects=custom_objects,
                                           safe_mode=safe_mode)


def model_from_yaml(yaml_string: str, custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool = True) -> Model:
    """A model from to_yaml()'s string (keras_front saving); safe_mode as in load_model."""
    return _saving_hook("model_from_yaml")(yaml_string, custom_objects=custom_objects,
                                           safe_mode=safe_mode)


__all__ = ["InputLayer", "Model", "Sequential", "load_model", "model_from_config",
           "model_from_json", "model_from_yaml", "save_model"]
