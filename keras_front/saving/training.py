"""The training half of a model file: the training config (optimizer config, loss,
metrics, loss weights, sample weight mode) and the optimizer's state.

Losses, metrics and optimizers are saved by name (functions by their __name__, as
Keras's get_json_type does); loading finds each name among keras_front's own objects or
in custom_objects, and names every one it cannot find.

Optimizer state is saved in the order of optimizer.weights. keras_front's optimizers
put `iterations` first in all of them; set_weights also takes Keras 1.2's shorter
lists. Keras 2.1.3+'s Adam saves one (1,)-shaped placeholder 'vhat' per parameter even
without amsgrad; those placeholders are dropped when loading such a file.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend as K
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers
from ..utils.generic_utils import CustomObjectScope
from .layout import SavedModelError, StoredArray, unique_weight_names, warn


def training_config(model: Any) -> dict[str, Any] | None:
    """Keras's training_config of a compiled model (None when there is nothing to save)."""
    optimizer = getattr(model, "optimizer", None)
    if not getattr(model, "_is_compiled", False) or optimizer is None:
        return None
    if not hasattr(optimizer, "get_config"):
        warn(f"The optimizer {optimizer!r} has no get_config(): the model is saved "
             f"without its training configuration; compile it again after "
             f"loading.")
        return None
    return {"optimizer_config": {"class_name": type(optimizer).__name__,
                                 "config": optimizer.get_config()},
            "loss": model.loss, "metrics": model.metrics,
            "sample_weight_mode": model.sample_weight_mode,
            "loss_weights": model.loss_weights}


def optimizer_records(model: Any) -> tuple[list[str], list[np.ndarray]]:
    """(names, values) of the optimizer's state variables (empty before the first step)."""
    weights = list(getattr(getattr(model, "optimizer", None), "weights", None) or [])
    return unique_weight_names(weights), K.batch_get_value(weights)


# ---------------------------------------------------------------- loading


def _with_custom_objects(value: Any, custom_objects: dict[str, Any]) -> Any:
    """Keras's convert_custom_objects: names found in custom_objects become the objects."""
    if isinstance(value, list):
        return [_with_custom_objects(v, custom_objects) for v in value]
    if isinstance(value, dict):
        return {k: _with_custom_objects(v, custom_objects) for k, v in value.items()}
    if isinstance(value, str) and value in custom_objects:
        return custom_objects[value]
    return value


def _names_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [n for v in value for n in _names_in(v)]
    if isinstance(value, dict):
        return [n for v in value.values() for n in _names_in(v)]
    return []


def _unknown(names: list[str], lookup: Any) -> list[str]:
    missing = []
    for name in names:
        try:
            lookup(name)
        except ValueError:
            if name not in missing:
                missing.append(name)
    return missing


def _resolve_optimizer(config: Any, custom_objects: dict[str, Any], source: str) -> Any:
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str) or \
            not isinstance(config.get("config", {}), dict):
        raise SavedModelError(source, f"training_config's optimizer_config should be "
                                      f"{{'class_name': ..., 'config': {{...}}}}, found "
                                      f"{str(config)[:120]}")
    name = config["class_name"]
    try:
        return optimizers.deserialize(config, custom_objects=custom_objects)
    except ValueError as e:
        if "Unknown optimizer" in str(e):
            raise SavedModelError(source, f"the model was compiled with the optimizer {name!r}, "
                                          f"which keras_front does not know: if it is a custom "
                                          f"optimizer, pass it in custom_objects={{'{name}': "
                                          f"{name}}} (or load with compile=False)") from None
        raise SavedModelError(source, f"cannot rebuild the optimizer {name!r}: {e}") from None
    except TypeError as e:
        raise SavedModelError(source, f"cannot rebuild the optimizer {name!r}: {e}") from None


def prepare_compile(config: Any, custom_objects: dict[str, Any] | None,
                    source: str) -> dict[str, Any]:
    """compile()'s arguments from a training_config, every name resolved (before the model
    is built); unknown names raise, all at once."""
    custom_objects = dict(custom_objects or {})
    if not isinstance(config, dict) or "optimizer_config" not in config:
        raise SavedModelError(source, f"training_config should be a dict with "
                                      f"'optimizer_config', found {str(config)[:120]}")
    with CustomObjectScope(custom_objects):
        optimizer = _resolve_optimizer(config["optimizer_config"], custom_objects, source)
        loss = _with_custom_objects(config.get("loss"), custom_objects)
        metrics = _with_custom_objects(config.get("metrics"), custom_objects)
        missing = [("loss", n) for n in _unknown(_names_in(loss), losses_module.get)]
        metric_names = [n for n in _names_in(metrics) if n not in ("acc", "accuracy")]
        missing += [("metric", n) for n in _unknown(metric_names, metrics_module.get)]
    if missing:
        listed = ", ".join(f"{kind} {name!r}" for kind, name in missing)
        hint = ", ".join(f"'{name}': {name}" for _, name in missing)
        raise SavedModelError(source, f"the model was compiled with {listed}, which "
                                      f"keras_front does not know: pass them in "
                                      f"custom_objects={{{hint}}} (or load with "
                                      f"compile=False)")
    if config.get("weighted_metrics"):
        warn(f"{source}: keras_front has no weighted_metrics; "
             f"{config['weighted_metrics']} are not restored")
    return {"optimizer": optimizer, "loss": loss, "metrics": metrics,
            "loss_weights": config.get("loss_weights"),
            "sample_weight_mode": config.get("sample_weight_mode"),
            "custom_objects": custom_objects}


def compile_from_config(model: Any, arguments: dict[str, Any], source: str) -> None:
    """Compile the model with prepare_compile()'s arguments."""
    arguments = dict(arguments)
    with CustomObjectScope(arguments.pop("custom_objects")):
        try:
            model.compile(**arguments)
        except (ValueError, TypeError) as e:
            raise SavedModelError(source, f"cannot compile the model with the saved training "
                                          f"configuration: {e}") from None


def _drop_adam_placeholders(optimizer: Any, stored: list[StoredArray]) -> list[StoredArray]:
    """Keras 2.1.3+ Adam state without amsgrad: [it] + ms + vs + (1,)-shaped vhats."""
    if not isinstance(optimizer, optimizers.Adam) or optimizer.amsgrad:
        return stored
    n = (len(optimizer.weights) - 1) // 2  # parameters: weights are [iterations] + ms + vs
    if len(stored) == 1 + 3 * n and all(a.shape == (1,) for a in stored[1 + 2 * n:]):
        return stored[:1 + 2 * n]
    return stored


def _state_pairs(optimizer: Any, stored: list[StoredArray]) -> list[tuple[Any, Any]]:
    """(variable, StoredArray) pairs, counts and shapes checked before anything is read.
    An optimizer without weight_pairs (not one of ours) gets the arrays read when no
    more values are declared than its state holds."""
    if hasattr(optimizer, "weight_pairs"):
        return optimizer.weight_pairs(stored)
    state = list(getattr(optimizer, "weights", None) or [])
    room = sum(math.prod(K.get_variable_shape(w)) for w in state)
    declared = sum(array.values for array in stored)
    if declared > room:
        raise ValueError(f"the file's optimizer state holds {declared:,} values, more than "
                         f"the optimizer's {room:,}; not read")
    values = [array.read() for array in stored]
    optimizer.set_weights(values)
    return []


def restore_optimizer_state(model: Any, stored: Sequence[tuple[str, StoredArray]],
                            source: str, strict: bool) -> None:
    """Set the optimizer's state (its variables exist once the train function is made).
    Every array's shape is checked against the optimizer's before any is read.

    strict (files keras_front wrote): a mismatch is an error. Otherwise (Keras's files)
    it is Keras's warning, and the optimizer starts fresh.
    """
    model._make_train_function()
    optimizer = model.optimizer
    arrays = _drop_adam_placeholders(optimizer, [array for _, array in stored])
    try:
        pairs = _state_pairs(optimizer, arrays)
    except ValueError as e:
        if strict:
            raise SavedModelError(source, f"the saved optimizer state does not fit the "
                                          f"optimizer: {e}") from None
        warn(f"{source}: error in loading the saved optimizer state ({e}); the model "
             f"starts with a freshly initialized optimizer.")
        return
    K.batch_set_value([(variable, array.read()) for variable, array in pairs])
