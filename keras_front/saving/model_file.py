"""Whole models in one HDF5 file: save_model and load_model (Keras's layout, layout.py).

    model.save('my_model.h5')           # architecture, weights, training config,
    model = load_model('my_model.h5')   # optimizer state: training resumes exactly

Saving computes everything first (configs, weight values), then writes atomically
(files.py). Loading reads and checks the file's structure (attributes, JSON, groups,
dataset names, dtypes and links), checks the config (classes, functions), builds the
model, checks every weight's shape against the file, and only then sets weights,
compiles and restores the optimizer's and the random generators' states. Anything
wrong raises SavedModelError naming the file; no partly loaded model is returned.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any

import h5py

from ..engine.allocation import weight_budget
from ..utils.generic_utils import SafeModeScope
from .configs import build_model, model_document, to_jsonable
from .files import atomic_h5_file, may_write, open_h5_for_reading, reading_errors
from .layout import (
    BACKEND,
    KERAS_VERSION,
    SavedModelError,
    SavedWeights,
    StoredArray,
    check_stored_in_file,
    has_attr,
    read_arrays,
    read_json,
    read_string,
    read_weights_group,
    resolve,
    warn,
    write_arrays,
    write_string,
    write_weights_group,
)
from .random_state import random_state, restore_random_state
from .training import (
    compile_from_config,
    optimizer_records,
    prepare_compile,
    restore_optimizer_state,
    training_config,
)
from .weights import layer_records, load_into

KERAS_FRONT_VERSION = "0.1.0"


def _dumps(value: Any, what: str) -> str:
    try:
        return json.dumps(value, default=to_jsonable)
    except (TypeError, ValueError) as e:
        raise TypeError(f"cannot save the model: its {what} is not serializable ({e})") \
            from None


def save_model(model: Any, filepath: str, overwrite: bool = True,
               include_optimizer: bool = True) -> None:
    """Architecture, weights, training config and optimizer state to one HDF5 file,
    written atomically (the previous file stays intact if anything fails)."""
    path = os.fspath(filepath)
    if not may_write(path, overwrite):
        return
    model_config = _dumps(model_document(model), "config")
    records = layer_records(model)
    train_config = training_config(model) if include_optimizer else None
    train_json = _dumps(train_config, "training config") if train_config else None
    opt_names, opt_values = optimizer_records(model) if train_config else ([], [])
    state_json = json.dumps(random_state(model))
    with atomic_h5_file(path) as f:
        write_string(f, "keras_version", KERAS_VERSION)
        write_string(f, "backend", BACKEND)
        write_string(f, "keras_front_version", KERAS_FRONT_VERSION)
        write_string(f, "model_config", model_config)
        write_weights_group(f.create_group("model_weights"), records)
        if train_json is not None:
            write_string(f, "training_config", train_json)
            if opt_names:
                write_arrays(f.create_group("optimizer_weights"), opt_names, opt_values)
        write_string(f, "keras_front_state", state_json)


@dataclass
class SavedModelFile:
    """What a model file holds, checked; datasets are read on demand."""

    path: str
    model_config: Any
    weights: SavedWeights
    training_config: Any = None
    optimizer_weights: list[tuple[str, StoredArray]] | None = None
    keras_front_state: Any = None
    written_by_keras_front: bool = False


def read_model_file(f: h5py.File, path: str) -> SavedModelFile:
    """Check and index a full model file (attributes parsed, no weights read yet)."""
    with reading_errors(path, "read the model file"):
        if "model_config" not in f.attrs:
            what = "a weights file (use model.load_weights)" if has_attr(f, "layer_names") \
                else "not a Keras model file"
            raise SavedModelError(path, f"no 'model_config' attribute: {what}")
        contents = SavedModelFile(path, read_json(f, "model_config", path),
                                  read_weights_group(resolve(f, "model_weights", path,
                                                             h5py.Group, "group 'model_weights'"),
                                                     path))
        if "training_config" in f.attrs:
            contents.training_config = read_json(f, "training_config", path)
        if "optimizer_weights" in f:
            group = resolve(f, "optimizer_weights", path, h5py.Group,
                            "group 'optimizer_weights'")
            contents.optimizer_weights = read_arrays(group, path, "the optimizer")
        if "keras_front_state" in f.attrs:
            contents.keras_front_state = read_json(f, "keras_front_state", path)
        if "keras_front_version" in f.attrs:
            read_string(f, "keras_front_version", path)
            contents.written_by_keras_front = True
        check_stored_in_file(path, contents.weights.arrays() + [
            array for _, array in contents.optimizer_weights or []], os.path.getsize(path))
    return contents


def load_model(filepath: str, custom_objects: dict[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:  # Keras's names
    """A model saved by save_model (or by Keras 1.2 / 2.x), compiled when the file has a
    training config and `compile`; custom layers, losses, metrics, optimizers and Lambda
    functions come from custom_objects. safe_mode=False lets Lambda / Merge functions
    saved as Python bytecode load (this runs code from the file: trusted files only)."""
    with SafeModeScope(safe_mode), open_h5_for_reading(filepath) as (f, path):
        contents = read_model_file(f, path)
        compiling = compile and contents.training_config is not None
        arguments = prepare_compile(contents.training_config, custom_objects, path) \
            if compiling else None
        # The config may not ask for more weight values than the file holds: checked as
        # each layer creates its weights, before the initializers allocate them.
        file_values = sum(array.values for array in contents.weights.arrays())
        with weight_budget(file_values, lambda what: SavedModelError(
                path, f"{what}: the config does not match the file's weights; refused "
                      f"before allocating")):
            model = build_model(contents.model_config, custom_objects, path)
        load_into(model, contents.weights, path)
        if contents.keras_front_state is not None:
            restore_random_state(model, contents.keras_front_state, path)
        if not compile:
            return model
        if arguments is None:
            warn(f"{path}: no training configuration found in the file: the model "
                 f"was *not* compiled. Compile it manually.")
            return model
        compile_from_config(model, arguments, path)
        if contents.optimizer_weights:
            restore_optimizer_state(model, contents.optimizer_weights, path,
                                    strict=contents.written_by_keras_front)
        return model
