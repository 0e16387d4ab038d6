"""Keras's HDF5 layout: the attribute and group names, how strings are stored, and the
checked reading of a weights group (without executing anything from the file).

The facts below are what real Keras 1.2.x and 2.x write (keras/models.py save_model,
keras/engine/topology.py -- keras/engine/saving.py from 2.2 -- save_weights_to_hdf5_group,
load_weights_from_hdf5_group, load_attributes_from_hdf5_group). They are the contract
with files written by Keras, and with Keras reading ours:

    full model file (save_model)
    /                   attrs
        keras_version     b'1.2.2', b'2.1.6' ...         fixed-length bytes scalar ('S' dtype)
        backend           b'theano' | b'tensorflow' | b'cntk'   (Keras 2 only)
        model_config      JSON bytes {"class_name": "Sequential" | "Model", "config": ...}
        training_config   JSON bytes {"optimizer_config": {"class_name", "config"}, "loss",
                          "metrics", "sample_weight_mode", "loss_weights"}
                          (+ "weighted_metrics" in Keras 2.1+); absent when the model was not
                          compiled or include_optimizer=False
    /model_weights      a weights group (below)
    /optimizer_weights  attrs weight_names; one dataset per optimizer variable, in the
                        order of optimizer.weights (set_weights takes them in that order)

    weights group (the root of a save_weights file, or /model_weights)
        attrs layer_names  fixed-length bytes array ('S' dtype): every layer of
                           model.layers, in order (Sequential: without its InputLayer;
                           functional Model: InputLayers included)
              backend, keras_version  written on the group by Keras 2 only; Keras 2 reads
                           a group without keras_version as a Keras 1 file
        /<layer name>      attrs weight_names: 'S' array of the layer's weight names, in
                           the order of layer.weights (trainable, then non-trainable).
                           A layer without weights has an EMPTY float64 array: h5py's
                           conversion of the empty list Keras assigns.
            datasets named after the variables, in the variable's dtype (0-d for
            scalars). Keras 1 on Theano: 'dense_1_W', 'dense_1_b' (TensorFlow adds ':0');
            Keras 2: 'dense_1/kernel:0', 'dense_1/bias:0' -- the '/' makes h5py create a
            subgroup, so the path is /model_weights/dense_1/dense_1/kernel:0. Theano
            variables without a name are saved as 'param_<i>' (their index in the layer).

    Keras 2.1+ splits a string-array attribute bigger than 64512 bytes (HDF5's
    object-header message limit) into name0, name1, ...; readers concatenate them.
    Strings read back as bytes (h5py 2) or str (h5py 3 for variable-length): both are
    accepted. The layout is the same for Keras 1 and 2 except for the backend /
    keras_version attributes, the weight names, and Keras 2's weight order for
    recurrent and convolution layers (see weights.py).

keras_front writes exactly this layout with keras_version b'1.2.2' (the API it follows)
and backend b'theano' (K follows Keras 1.x's Theano backend, whose convolution flips
kernels), plus two root attributes Keras ignores: keras_front_version, and
keras_front_state (JSON: the states of the random generators, see random_state.py).
"""

from __future__ import annotations

import json
import math
import os
import sys
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import h5py
import numpy as np

from ..utils.np_utils import KERNEL_BACKEND

KERAS_VERSION = "1.2.2"       # the Keras release whose API and file layout we follow
BACKEND = KERNEL_BACKEND      # whose conventions K follows (convolution flips kernels)
HDF5_OBJECT_HEADER_LIMIT = 64512  # bytes: bigger attributes are chunked (lists) or vlen

# Errors h5py (and HDF5 underneath) raise on damaged files; reads wrap them.
H5_ERRORS = (OSError, KeyError, ValueError, RuntimeError, TypeError)


class SavedModelError(ValueError):
    """A model file or config that cannot be loaded: says which file and what is wrong."""

    def __init__(self, source: str, problem: str):
        self.source, self.problem = source, problem
        super().__init__(f"{source}: {problem}")


_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def warn(message: str) -> None:
    """A UserWarning attributed to the user's line (the first caller outside keras_front)."""
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, UserWarning, stacklevel=level)


# ---------------------------------------------------------------- writing strings


def write_string(obj: h5py.HLObject, name: str, text: str) -> None:
    """A string attribute as Keras writes it (fixed-length bytes); variable-length UTF-8
    when too big for an object header (HDF5 refuses bigger fixed-length attributes)."""
    data = text.encode("utf-8")
    if len(data) <= HDF5_OBJECT_HEADER_LIMIT:
        obj.attrs[name] = np.bytes_(data)
    else:
        obj.attrs.create(name, text, dtype=h5py.string_dtype("utf-8"))


def write_string_list(obj: h5py.HLObject, name: str, items: Sequence[str]) -> None:
    """A list of strings as Keras 2.1+ writes it: an 'S' array (an empty float64 array
    for no items), split into name0, name1, ... when over the header limit."""
    if not items:
        obj.attrs[name] = np.array([], dtype=np.float64)
        return
    encoded = [item.encode("utf-8") for item in items]
    too_big = [item for item in items if len(item.encode("utf-8")) > HDF5_OBJECT_HEADER_LIMIT]
    if too_big:
        raise ValueError(f"cannot save attribute {name!r}: the name {too_big[0][:80]!r}... "
                         f"is longer than HDF5's {HDF5_OBJECT_HEADER_LIMIT}-byte limit")
    array = np.array(encoded)
    chunks = 1
    while max(part.nbytes for part in np.array_split(array, chunks)) > HDF5_OBJECT_HEADER_LIMIT:
        chunks += 1
    if chunks == 1:
        obj.attrs[name] = array
    else:
        for i, part in enumerate(np.array_split(array, chunks)):
            obj.attrs[f"{name}{i}"] = part


def check_h5_name(name: str, what: str) -> str:
    """`name` if it is a safe relative HDF5 path (no leading '/', no '.'/'..' parts)."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"cannot save {what} {name!r}: not usable as an HDF5 name (it must "
                         f"not be empty, start with '/', or contain '.', '..' or '//')")
    return name


def unique_weight_names(weights: Iterable[Any]) -> list[str]:
    """Dataset names for a layer's variables: the variable's name, 'param_<i>' without
    one (Keras's rule), made unique with '_1', '_2' ... (Keras 2.2's rule)."""
    names: list[str] = []
    for i, w in enumerate(weights):
        name = str(getattr(w, "name", None) or f"param_{i}")
        try:
            check_h5_name(name, "weight")
        except ValueError:
            name = f"param_{i}"  # a name HDF5 would misread: fall back to Keras's default
        if name in names:
            k = 1
            while f"{name}_{k}" in names:
                k += 1
            name = f"{name}_{k}"
        names.append(name)
    return names


def write_arrays(group: h5py.Group, names: Sequence[str], values: Sequence[np.ndarray]) -> None:
    """One dataset per (name, value), in the value's dtype (0-d for scalars)."""
    write_string_list(group, "weight_names", list(names))
    for name, value in zip(names, values, strict=True):
        value = np.asarray(value)
        group.create_dataset(name, data=value, dtype=value.dtype)


def write_weights_group(group: h5py.Group, layers: Sequence[tuple[str, list[str],
                                                                  list[np.ndarray]]]) -> None:
    """A weights group from (layer name, weight names, values) triples, in model order."""
    write_string_list(group, "layer_names", [name for name, _, _ in layers])
    write_string(group, "backend", BACKEND)
    write_string(group, "keras_version", KERAS_VERSION)
    for layer_name, names, values in layers:
        write_arrays(group.create_group(check_h5_name(layer_name, "layer")), names, values)


# ---------------------------------------------------------------- reading strings


def _as_text(value: Any, source: str, what: str) -> str:
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bytes, np.bytes_)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise SavedModelError(source, f"{what} is not UTF-8 text") from None
    if isinstance(value, str):
        return value
    raise SavedModelError(source, f"{what} should be a string, found "
                                  f"{type(value).__name__} {str(value)[:60]}")


def has_attr(obj: h5py.HLObject, name: str) -> bool:
    """True when obj has the attribute `name` (or its chunks name0, name1, ...)."""
    return name in obj.attrs or f"{name}0" in obj.attrs


def read_string(obj: h5py.HLObject, name: str, source: str, where: str = "the file") -> str:
    """A string attribute (fixed-length bytes or variable-length str)."""
    if name not in obj.attrs:
        raise SavedModelError(source, f"{where} has no {name!r} attribute")
    return _as_text(obj.attrs[name], source, f"attribute {name!r} of {where}")


def read_string_list(obj: h5py.HLObject, name: str, source: str,
                     where: str = "the file") -> list[str]:
    """A list-of-strings attribute, chunked (name0, name1, ...) or not; empty arrays of
    any dtype (Keras writes float64 ones) are the empty list."""
    if name in obj.attrs:
        parts = [obj.attrs[name]]
    else:
        parts, i = [], 0
        while f"{name}{i}" in obj.attrs:
            parts.append(obj.attrs[f"{name}{i}"])
            i += 1
        if not parts:
            raise SavedModelError(source, f"{where} has no {name!r} attribute")
    out: list[str] = []
    for part in parts:
        array = np.asarray(part)
        if array.size == 0:
            continue
        if array.ndim == 0:
            array = array.reshape(1)
        if array.ndim != 1 or array.dtype.kind not in "SUO":
            raise SavedModelError(source, f"attribute {name!r} of {where} should be a list of "
                                          f"strings, found a {array.dtype} array of shape "
                                          f"{array.shape}")
        out += [_as_text(v, source, f"an item of attribute {name!r} of {where}")
                for v in array]
    return out


def read_json(obj: h5py.HLObject, name: str, source: str) -> Any:
    """A JSON-text attribute, parsed (json only: nothing in it is executed)."""
    text = read_string(obj, name, source)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SavedModelError(source, f"attribute {name!r} is not valid JSON ({e})") from None
    except RecursionError:
        raise SavedModelError(source, f"attribute {name!r} is JSON nested too deeply") from None


# ---------------------------------------------------------------- reading weights

# Bounded reading: a dataset's header declares a shape, which a crafted 16 KB file can
# make terabytes large (chunked storage with no chunks written reads as fill values).
# So no dataset is read unless the file stores all of it: uncompressed data needs as
# many bytes in the file as its shape and dtype declare, compressed data may expand at
# most MAX_EXPANSION times (deflate's own limit is about 1032; Keras never compresses),
# and all the weights together must fit in the file.
MAX_EXPANSION = 1100


@dataclass
class StoredArray:
    """A dataset checked to be a plain numeric array stored in full in the file; read on
    demand (shape first)."""

    source: str
    path: str
    dataset: h5py.Dataset
    stored_bytes: int = 0  # what the file holds of it (compressed size when compressed)

    @property
    def shape(self) -> tuple[int, ...]:
        """The dataset's shape (read from its header, not its data)."""
        return tuple(self.dataset.shape)

    @property
    def values(self) -> int:
        """How many numbers the dataset declares (from its header)."""
        return math.prod(self.shape)

    def read(self) -> np.ndarray:
        """The values (errors from a damaged file name the file and the dataset)."""
        try:
            return np.asarray(self.dataset[()])
        except H5_ERRORS as e:
            raise SavedModelError(self.source, f"cannot read dataset {self.path!r} ({e}): "
                                               f"the file is truncated or corrupted") from None


@dataclass
class SavedWeights:
    """A weights group: layer names in file order, each layer's (weight name, array)."""

    layer_names: list[str]
    layers: dict[str, list[tuple[str, StoredArray]]] = field(default_factory=dict)
    keras_version: str = "1"         # '1' when the group does not say (Keras 1 files)
    backend: str | None = None

    def arrays(self) -> list[StoredArray]:
        """Every weight dataset of the group."""
        return [array for stored in self.layers.values() for _, array in stored]


_LINK_KINDS = {"SoftLink": "a soft link", "ExternalLink": "an external link"}


def resolve(group: h5py.Group, name: str, source: str, kind: type, what: str) -> Any:
    """group[name], following only hard links (no soft/external links out of the file or
    group), checked to be a `kind` (h5py.Group or h5py.Dataset); `what` names it in
    messages ("weight 'dense_1/kernel:0' of layer 'dense_1'")."""
    parts = name.split("/")
    if not name or name.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise SavedModelError(source, f"{what} is not a relative HDF5 name")
    node: Any = group
    for i, part in enumerate(parts):
        if not isinstance(node, h5py.Group):
            raise SavedModelError(source, f"{what}: {'/'.join(parts[:i])!r} is not a group")
        link = node.get(part, getlink=True)
        if link is None:
            raise SavedModelError(source, f"{what} is missing from {group.name!r}")
        if not isinstance(link, h5py.HardLink):
            kind_name = _LINK_KINDS.get(type(link).__name__, type(link).__name__)
            raise SavedModelError(source, f"{what} is {kind_name}; only plain groups and "
                                          f"datasets are read")
        node = node[part]
    if not isinstance(node, kind):
        raise SavedModelError(source, f"{what} is not an HDF5 {kind.__name__.lower()}")
    return node


def _stored_array(group: h5py.Group, name: str, source: str, owner: str) -> StoredArray:
    what = f"weight {name!r} of {owner}"
    ds = resolve(group, name, source, h5py.Dataset, what)
    if ds.dtype.kind not in "biuf" or ds.dtype.fields is not None or ds.dtype.itemsize > 8:
        raise SavedModelError(source, f"{what} has dtype {ds.dtype}; expected numbers (bool, "
                                      f"integers or floats of at most 64 bits)")
    if ds.shape is None:
        raise SavedModelError(source, f"{what} has no shape (an empty HDF5 dataspace)")
    if ds.is_virtual or ds.external:
        raise SavedModelError(source, f"{what} stores its data in other files; refused")
    declared = math.prod(ds.shape) * ds.dtype.itemsize
    stored = ds.id.get_storage_size()
    compressed = ds.id.get_create_plist().get_nfilters() > 0
    if declared > (stored * MAX_EXPANSION if compressed else stored):
        holds = f"{stored} compressed bytes (at most {MAX_EXPANSION}x that once expanded)" \
            if compressed else f"{stored} bytes of it"
        raise SavedModelError(source, f"{what} declares shape {ds.shape} ({ds.dtype}, "
                                      f"{declared:,} bytes) but the file stores only {holds}: "
                                      f"the file is truncated or crafted; refused before "
                                      f"reading")
    return StoredArray(source, f"{group.name}/{name}", ds, stored)


def check_stored_in_file(source: str, arrays: Iterable[StoredArray], file_size: int) -> None:
    """Raise unless the arrays' stored bytes fit in the file (a crafted header may claim
    storage the file does not have; HDF5 would find out only when reading)."""
    total = sum(array.stored_bytes for array in arrays)
    if total > file_size:
        raise SavedModelError(source, f"the weights claim {total:,} bytes of storage but the "
                                      f"file has only {file_size:,} bytes: the file is "
                                      f"truncated or crafted; refused before reading")


def read_arrays(group: h5py.Group, source: str, owner: str) -> list[tuple[str, StoredArray]]:
    """The (name, array) pairs a group lists in its weight_names attribute; `owner` says
    whose they are in messages ("layer 'dense_1'", "the optimizer")."""
    names = read_string_list(group, "weight_names", source, f"group {group.name!r}")
    return [(name, _stored_array(group, name, source, owner)) for name in names]


def read_weights_group(group: h5py.Group, source: str) -> SavedWeights:
    """Check and index a weights group (datasets are not read yet)."""
    where = "the file" if group.name == "/" else f"group {group.name!r}"
    saved = SavedWeights(read_string_list(group, "layer_names", source, where))
    if "keras_version" in group.attrs:
        saved.keras_version = read_string(group, "keras_version", source, where)
    if "backend" in group.attrs:
        saved.backend = read_string(group, "backend", source, where)
    for name in saved.layer_names:
        if name in saved.layers:
            raise SavedModelError(source, f"layer {name!r} is listed twice in layer_names")
        layer_group = resolve(group, name, source, h5py.Group, f"the group of layer {name!r}")
        saved.layers[name] = read_arrays(layer_group, source, f"layer {name!r}")
    return saved
