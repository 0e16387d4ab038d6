"""Weights to and from Keras's weights groups: save_weights, load_weights (by layer order
or by layer name), and the per-layer conversions of files from other Keras versions and
backends.

Loading checks everything -- layer counts, weight counts, every shape -- before it sets
any weight, so a failed load leaves the model as it was. Errors name the layer, the
weight and both shapes.

Matching (Keras's rules): by order, the model's layers that have weights are paired, in
order, with the file's layers that have weights (layers without weights -- InputLayer,
Dropout, Activation -- may be added or removed freely). By name, each layer of the file
loads into the model's layers of the same name; the others are left alone.

Convolution kernels. Theano's conv2d flips the kernel (a true convolution); TensorFlow
and CNTK correlate. Keras therefore flips the spatial axes of convolution kernels when a
file's `backend` attribute and the loading backend differ in this respect
(keras/engine/saving.py, _need_convert_kernel; no flip when the file does not say).
keras_front's K follows the Theano backend (np_utils.KERNEL_BACKEND), so kernels from
'tensorflow' or 'cntk' files need flipping. Keras 1 files ('th' dim ordering) also store
kernels as (filters, channels, rows, cols) where Keras 2 uses (rows, cols, channels,
filters). A layer holding kernels defines

    def convert_saved_weights(self, weights, keras_version, backend):
        # weights: the file's arrays for this layer; keras_version: '1' for Keras 1 files;
        # backend: the file's backend or None. Use keras_front.utils.np_utils'
        # kernels_need_flip / flip_kernel.
        return weights

and loading calls it before checking shapes: keras_front's convolution and locally
connected layers do (keras_front/layers/conv_base.py: Keras 2's channels-last kernels
transposed to the layer's layout, correlating backends' kernels flipped). A layer whose
class is one of Keras's convolution layers but has no such method is refused when its
kernels would need a flip, rather than loaded with flipped kernels.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

import h5py
import numpy as np

from .. import backend as K
from ..layers.merge import Merge
from ..models import Sequential
from ..utils.np_utils import kernels_need_flip
from .files import atomic_h5_file, may_write, open_h5_for_reading, reading_errors
from .layout import (
    SavedModelError,
    SavedWeights,
    StoredArray,
    check_stored_in_file,
    read_weights_group,
    resolve,
    unique_weight_names,
    warn,
    write_weights_group,
)

# Keras's convolution layers (1.2 and 2.x names), whose kernels depend on the backend.
CONV_LAYERS = frozenset({
    "Convolution1D", "Convolution2D", "Convolution3D", "AtrousConvolution1D",
    "AtrousConvolution2D", "Deconvolution2D", "SeparableConvolution2D", "Conv1D", "Conv2D",
    "Conv3D", "Conv2DTranspose", "Conv3DTranspose", "SeparableConv1D", "SeparableConv2D",
    "DepthwiseConv2D", "ConvLSTM2D", "LocallyConnected1D", "LocallyConnected2D"})

def weight_layers(model: Any) -> list[Any]:
    """The layers whose weights a file lists, in order: model.layers, except that a Keras 1
    Sequential starting with Merge(layers=[models]) lists the merged models' layers in
    the Merge's place (Keras 1.2's flattened_layers, Keras 2's legacy_sequential_layers)."""
    layers = list(model.layers)
    if not (isinstance(model, Sequential) and layers and isinstance(layers[0], Merge)
            and layers[0].layers):
        return layers
    flat: list[Any] = []
    for sub in layers[0].layers:
        for layer in (list(sub.layers) if hasattr(sub, "layers") and not
                      isinstance(sub, Merge) else [sub]):
            if not any(layer is seen for seen in flat):
                flat.append(layer)
    return flat + [layer for layer in layers[1:] if not any(layer is seen for seen in flat)]


def layer_records(model: Any) -> list[tuple[str, list[str], list[np.ndarray]]]:
    """(layer name, weight names, values) of every weight layer, for writing."""
    records = []
    for layer in weight_layers(model):
        weights = layer.weights
        records.append((layer.name, unique_weight_names(weights), K.batch_get_value(weights)))
    return records


# ---------------------------------------------------------------- matching


def _converted(layer: Any, stored: list[tuple[str, StoredArray]], saved: SavedWeights,
               source: str) -> list[Any] | None:
    """The layer's arrays after its convert_saved_weights hook (read now), or None when the
    layer has no hook (arrays stay unread until their shapes are checked)."""
    hook = getattr(layer, "convert_saved_weights", None)
    if hook is None:
        if type(layer).__name__ in CONV_LAYERS and kernels_need_flip(saved.backend):
            raise SavedModelError(source, f"layer {layer.name!r} ({type(layer).__name__}) "
                                          f"holds convolution kernels saved with the "
                                          f"{saved.backend} backend, which need flipping for "
                                          f"keras_front, but the layer has no "
                                          f"convert_saved_weights method")
        return None
    # Conversions change shapes, never the amount much (CuDNN biases are twice Keras's):
    # more than twice the layer's values is not this layer's data, and is not read.
    wanted = sum(math.prod(K.get_variable_shape(w)) for w in layer.weights)
    found = sum(array.values for _, array in stored)
    if found > 2 * wanted + 64:
        raise SavedModelError(source, f"the file's weights for layer {layer.name!r} "
                                      f"({type(layer).__name__}) hold {found:,} values, far "
                                      f"more than its {wanted:,}; refused before reading")
    return list(hook([array.read() for _, array in stored], keras_version=saved.keras_version,
                     backend=saved.backend))


def _pair_layer(layer: Any, file_layer: str, saved: SavedWeights, source: str,
                position: str) -> list[tuple[Any, Any]]:
    """(variable, StoredArray or array) pairs for one layer, counts and shapes checked;
    `position` says how the layer was matched, for messages."""
    stored = saved.layers[file_layer]
    who = f"layer {layer.name!r} ({type(layer).__name__}{position})"
    variables = layer.weights
    values = _converted(layer, stored, saved, source)
    count = len(values) if values is not None else len(stored)
    if count != len(variables):
        names = ", ".join(name for name, _ in stored) or "none"
        raise SavedModelError(source, f"{who} has {len(variables)} weight(s) but the file's "
                                      f"layer {file_layer!r} has {count} ({names})")
    pairs = []
    for i, variable in enumerate(variables):
        value = values[i] if values is not None else stored[i][1]
        shape = tuple(np.shape(value)) if values is not None else value.shape
        expected = tuple(K.get_variable_shape(variable))
        if shape != expected:
            saved_name = stored[i][0] if i < len(stored) else f"#{i}"
            raise SavedModelError(source, f"{who}: weight {variable.name!r} has shape "
                                          f"{expected}, but the file's weight {saved_name!r} of "
                                          f"layer {file_layer!r} has shape {shape}")
        pairs.append((variable, value))
    return pairs


def _describe(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:8])
    return shown + (f", ... ({len(names)} in all)" if len(names) > 8 else "")


def plan_by_order(layers: Sequence[Any], saved: SavedWeights,
                  source: str) -> list[tuple[Any, Any]]:
    """Pairs for loading by topological order (only layers with weights count)."""
    model_layers = [layer for layer in layers if layer.weights]
    file_layers = [name for name in saved.layer_names if saved.layers[name]]
    if len(model_layers) != len(file_layers):
        raise SavedModelError(source, f"the file holds weights for {len(file_layers)} layer(s) "
                                      f"({_describe(file_layers)}) but the model has "
                                      f"{len(model_layers)} layer(s) with weights "
                                      f"({_describe([la.name for la in model_layers])}); "
                                      f"load_weights(..., by_name=True) loads only the layers "
                                      f"whose names match")
    pairs: list[tuple[Any, Any]] = []
    for k, (layer, name) in enumerate(zip(model_layers, file_layers, strict=True)):
        pairs += _pair_layer(layer, name, saved, source,
                             f"; #{k} of the model's layers with weights")
    return pairs


def plan_by_name(layers: Sequence[Any], saved: SavedWeights,
                 source: str) -> list[tuple[Any, Any]]:
    """Pairs for loading by layer name (file layers without a namesake are skipped)."""
    index: dict[str, list[Any]] = {}
    for layer in layers:
        index.setdefault(layer.name, []).append(layer)
    pairs: list[tuple[Any, Any]] = []
    for name in saved.layer_names:
        for layer in index.get(name, []):
            pairs += _pair_layer(layer, name, saved, source, "")
    if not any(name in index for name in saved.layer_names if saved.layers[name]):
        warn(f"{source}: load_weights(by_name=True) loaded nothing: no layer of the "
             f"model is named like a layer of the file "
             f"({_describe(saved.layer_names)})")
    return pairs


def apply_plan(pairs: Sequence[tuple[Any, Any]]) -> None:
    """Read every value (all reads before any write), then set the variables."""
    values = [(var, value.read() if isinstance(value, StoredArray) else np.asarray(value))
              for var, value in pairs]
    K.batch_set_value(values)


def load_into(model: Any, saved: SavedWeights, source: str, by_name: bool = False) -> None:
    """Set the model's weights from a checked weights group."""
    layers = weight_layers(model)
    pairs = plan_by_name(layers, saved, source) if by_name else \
        plan_by_order(layers, saved, source)
    apply_plan(pairs)


# ---------------------------------------------------------------- files


def save_weights(model: Any, filepath: str, overwrite: bool = True) -> None:
    """All layer weights to an HDF5 file in Keras's layout, atomically."""
    path = os.fspath(filepath)
    if not may_write(path, overwrite):
        return
    records = layer_records(model)
    with atomic_h5_file(path) as f:
        write_weights_group(f, records)


def read_weights_file(f: Any, path: str) -> SavedWeights:
    """The weights group of a weights file (the root) or of a full model file."""
    with reading_errors(path, "read the weights"):
        saved = None
        if "layer_names" in f.attrs or "layer_names0" in f.attrs:
            saved = read_weights_group(f, path)
        elif "model_weights" in f:
            saved = read_weights_group(resolve(f, "model_weights", path, h5py.Group,
                                               "group 'model_weights'"), path)
        if saved is not None:
            check_stored_in_file(path, saved.arrays(), os.path.getsize(path))
            return saved
    raise SavedModelError(path, "neither a weights file (no 'layer_names' attribute) nor a "
                                "model file (no 'model_weights' group)")


def load_weights(model: Any, filepath: str, by_name: bool = False) -> None:
    """Weights from a Keras weights or model file, by layer order or by layer name."""
    with open_h5_for_reading(filepath) as (f, path):
        saved = read_weights_file(f, path)
        load_into(model, saved, path, by_name=by_name)
