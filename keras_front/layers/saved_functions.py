"""Python functions in layer configs (Lambda's function, Merge's mode, their output_shape
and output_mask / mask functions): how they are written and how they are found again.

Writing follows Keras 1.2.2: a Python function becomes its marshalled bytecode
`(code, defaults, closure)` with type 'lambda'; any other callable its name with type
'function'; anything else is kept as is ('raw').

Reading never runs bytecode from a config unless the caller opts in. In order:
1. type 'function': the name among custom_objects, the global custom objects, the
   activations and K's functions;
2. type 'lambda': a function passed in custom_objects -- under the name the saving side
   recorded (keras_front.saving does), under the layer's name for the layer's main
   function (Lambda's function, Merge's mode), or under '<layer>.<key>' for the others
   ('<layer>.output_shape', '<layer>.output_mask', '<layer>.mask');
3. the very function this process wrote those bytes from: an exact match of (code,
   defaults, closure) against the functions dumped here, so
   `Model.from_config(model.get_config())` works in the process that made the config
   (nothing from the config is executed: the match selects a function object that
   already exists);
4. with safe_mode=False (`load_model`, `model_from_json/yaml` and every `from_config`
   take it, Keras 3's spelling), Keras 1.2.2's marshalled functions are loaded: this
   runs code from the file, so only for files you trust, written by the same Python
   version;
5. otherwise an error that says exactly that.

safe_mode is read from a scope (`SafeModeScope`), so that a top-level call sets it for
every nested from_config.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import FunctionType
from typing import Any

from .. import activations
from .. import backend as K
from ..utils.generic_utils import (
    func_dump,
    func_load,
    get_custom_objects,
    in_safe_mode,
)

# Functions dumped by this process, by their marshalled code.
_DUMPED: dict[str, list[weakref.ref]] = {}
MAIN_KEYS = ("function", "mode")  # a layer's main function: asked for by the layer's name
# The globals bytecode from a config runs with (safe_mode=False): Keras 1.2.2's Lambda ran
# in keras.layers.core's, so layers.core (which imports this module) registers its own.
_BYTECODE_GLOBALS: dict[str, Any] = {}


def register_bytecode_globals(namespace: dict[str, Any]) -> None:
    """Use `namespace` as the globals of functions loaded from bytecode."""
    _BYTECODE_GLOBALS.update(namespace)


def dump_function(value: Any) -> tuple[Any, str]:
    """(config value, type) of a function for a config, as Keras 1.2.2 writes it."""
    if isinstance(value, FunctionType):
        dumped = func_dump(value)
        refs = _DUMPED.setdefault(dumped[0], [])
        refs[:] = [r for r in refs if r() is not None]
        if not any(r() is value for r in refs):
            refs.append(weakref.ref(value))
        return dumped, "lambda"
    if callable(value):
        return getattr(value, "__name__", type(value).__name__), "function"
    return value, "raw"


def _plain(value: Any) -> Any:
    """Lists and tuples alike (a config read back from JSON has lists)."""
    if isinstance(value, (list, tuple)):
        return tuple(_plain(v) for v in value)
    return value


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    a, b = _plain(a), _plain(b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    try:
        return bool(a == b)
    except Exception:  # arrays, tensors: equal only when the same object
        return False


def _dumped_here(value: Any) -> Callable[..., Any] | None:
    """The function of this process whose dump is exactly `value`, if any."""
    if not isinstance(value, (list, tuple)) or len(value) != 3 or \
            not isinstance(value[0], str):
        return None
    for ref in _DUMPED.get(value[0], []):
        fn = ref()
        if fn is not None and _same(func_dump(fn)[1:], value[1:]):
            return fn
    return None


def _by_name(name: Any, custom_objects: dict[str, Any] | None) -> Any:
    known = {**get_custom_objects(), **(custom_objects or {})}
    if isinstance(name, str) and name in known:
        return known[name]
    if isinstance(name, str) and not name.startswith("_"):
        for namespace in (activations, K):
            found = getattr(namespace, name, None)
            if callable(found):
                return found
    return None


def custom_keys(layer: str, key: str, recorded: str | None = None) -> list[str]:
    """The custom_objects keys a saved function of `layer` is looked up under."""
    own = layer if key in MAIN_KEYS else f"{layer}.{key}"
    return ([recorded] if recorded else []) + [own]


class BytecodeRefused(ValueError):
    """A config holds Python bytecode and loading is in safe mode."""


def load_function(value: Any, kind: str, layer: str, key: str, cls: str,
                  custom_objects: dict[str, Any] | None = None,
                  recorded: str | None = None) -> Any:
    """The function a config entry refers to (see the module docstring for the order)."""
    if kind == "function":
        fn = _by_name(value, custom_objects)
        if fn is None:
            raise ValueError(f"layer {layer!r} ({cls}) uses the function {value!r} as its "
                             f"{key}: pass it in custom_objects={{'{value}': {value}}}")
        return fn
    if kind != "lambda":
        return value
    registry = {**get_custom_objects(), **(custom_objects or {})}
    keys = custom_keys(layer, key, recorded)
    for name in keys:
        if name in registry:
            return registry[name]
    here = _dumped_here(value)
    if here is not None:
        return here
    if not in_safe_mode():
        globs = {**_BYTECODE_GLOBALS, **(custom_objects or {})}
        return func_load(value, globs=globs)
    what = "its function" if key in MAIN_KEYS else f"its {key} function"
    if recorded:
        what += f" {recorded!r}"
    options = " or ".join(f"custom_objects={{'{k}': <the function>}}" for k in keys)
    raise BytecodeRefused(
        f"layer {layer!r} ({cls}) was saved with the Python bytecode of {what}; loading never "
        f"runs code from a file or config unless you opt in: pass the function in "
        f"{options}, or, if you trust the source (Keras 1.2.2 bytecode, written by the same "
        f"Python version), pass safe_mode=False to load_model / model_from_json / "
        f"model_from_yaml / from_config")


def load_functions(config: dict[str, Any], keys: tuple[str, ...], cls: str,
                   custom_objects: dict[str, Any] | None = None) -> dict[str, Any]:
    """A copy of a Lambda / Merge config with each `key` whose '<key>_type' says how it
    was saved replaced by the function (load_function), its '_type' entry removed."""
    config = dict(config)
    layer = str(config.get("name", "?"))
    for key in keys:
        kind = config.pop(f"{key}_type", "raw")
        if key in config:
            config[key] = load_function(config[key], kind, layer, key, cls, custom_objects)
    return config
