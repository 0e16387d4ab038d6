"""Architectures as text: to_json / to_yaml, and rebuilding a model from such a config --
checked first, and without running anything the text contains.

    json_string = model.to_json()          # {"class_name": "Sequential", "config": [...],
    model = model_from_json(json_string)   #  "keras_version": "1.2.2", "backend": "theano"}

Rebuilding resolves every class by name (keras_front's layers, then custom_objects and
the global custom objects) before building anything, and reports every unknown name at
once. Lambda and Merge layers whose function was saved as Python bytecode (Keras's
'lambda' function_type, made with marshal) get a function the caller passes in
custom_objects -- by the function's name, which keras_front records beside the config
({"keras_front": {"functions": {layer: {key: name}}}}, a key Keras ignores), or by the
layer's name -- or the very function this process saved; the bytecode itself runs only
with safe_mode=False (keras_front.layers.saved_functions has the rules). YAML is read
with a safe loader that knows only plain data (plus the !!python/tuple tag that Keras's
yaml.dump writes for shapes).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import numpy as np
import yaml

from ..engine.network import Container
from ..layers import Lambda, Merge, deserialize
from ..layers.saved_functions import load_function
from ..models import Sequential, model_from_config
from ..utils.generic_utils import SafeModeScope
from ..utils.generic_utils import layer_class as _layer_class
from .layout import BACKEND, KERAS_VERSION, SavedModelError

SIDE_KEY = "keras_front"  # top-level key of our extra, Keras-ignored facts


# ---------------------------------------------------------------- model -> text


def to_jsonable(obj: Any) -> Any:
    """json.dumps' fallback, Keras's get_json_type: configs of objects, NumPy values as
    Python ones, functions and classes by name."""
    if hasattr(obj, "get_config"):
        return {"class_name": type(obj).__name__, "config": obj.get_config()}
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, type):
        return obj.__name__
    if callable(obj):
        return getattr(obj, "__name__", type(obj).__name__)
    raise TypeError(f"Not JSON serializable: {obj!r} ({type(obj).__name__}) in a model or "
                    f"training config")


def _callable_name(value: Any) -> str | None:
    name = getattr(value, "__name__", None)
    return name if isinstance(name, str) and name != "<lambda>" else None


def _layers_within(model: Any) -> Iterator[Any]:
    """Every layer of a model, nested models' and Merge(layers=...)'s included."""
    seen: set[int] = set()
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        stack += list(getattr(layer, "layers", None) or [])


def saved_function_names(model: Any) -> dict[str, dict[str, str]]:
    """{layer name: {config key: function name}} of the functions a model's configs hold
    as bytecode, so that loading can ask for them by name."""
    names: dict[str, dict[str, str]] = {}
    for layer in _layers_within(model):
        try:
            config = layer.get_config()
        except Exception:  # reported when model_document() asks for the config itself
            continue
        if not isinstance(config, dict):
            continue
        for key, kind in config.items():
            base = key[:-len("_type")] if key.endswith("_type") else None
            if kind != "lambda" or base not in config:
                continue
            attr = {"mode": "mode", "function": "function", "mask": "mask"}.get(
                base, f"_{base}")
            name = _callable_name(getattr(layer, attr, None))
            if name:
                names.setdefault(layer.name, {})[base] = name
    return names


def model_document(model: Any) -> dict[str, Any]:
    """{'class_name', 'config', 'keras_version', 'backend'} (+ our side facts)."""
    document: dict[str, Any] = {"class_name": type(model).__name__,
                                "config": model.get_config(),
                                "keras_version": KERAS_VERSION, "backend": BACKEND}
    functions = saved_function_names(model)
    if functions:
        document[SIDE_KEY] = {"functions": functions}
    return document


def model_to_json(model: Any, **kwargs: Any) -> str:
    """The architecture as JSON, Keras's format (json.dumps keyword arguments pass on)."""
    return json.dumps(model_document(model), default=to_jsonable, **kwargs)


def model_to_yaml(model: Any, **kwargs: Any) -> str:
    """The architecture as YAML: plain data only (shapes as lists), so any YAML reader,
    Keras's included, reads it (yaml.safe_dump keyword arguments pass on)."""
    return yaml.safe_dump(json.loads(model_to_json(model)), **kwargs)


# ---------------------------------------------------------------- text -> data


class _KerasYamlLoader(yaml.SafeLoader):
    """yaml.SafeLoader plus the two harmless Python tags Keras's YAML files contain."""


_KerasYamlLoader.add_constructor(
    "tag:yaml.org,2002:python/tuple",
    lambda loader, node: list(loader.construct_sequence(node)))
_KerasYamlLoader.add_constructor(  # Python 2's Keras wrote !!python/unicode 'dense_1'
    "tag:yaml.org,2002:python/unicode", lambda loader, node: loader.construct_scalar(node))


def parse_json(text: Any, source: str) -> Any:
    """JSON text -> data, or an error naming the source."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        raise TypeError(f"{source} expects a JSON string, got {type(text).__name__}")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise SavedModelError(source, f"not valid JSON ({e})") from None
    except RecursionError:
        raise SavedModelError(source, "the JSON is nested too deeply to be a model") from None


def parse_yaml(text: Any, source: str) -> Any:
    """YAML text -> plain data (no Python objects are ever constructed)."""
    if not isinstance(text, (str, bytes)):
        raise TypeError(f"{source} expects a YAML string, got {type(text).__name__}")
    try:
        return yaml.load(text, Loader=_KerasYamlLoader)  # a SafeLoader: plain data only
    except yaml.constructor.ConstructorError as e:
        raise SavedModelError(source, f"refused YAML: {e.problem} (only plain data is read; "
                                      f"tags that build Python objects could run code)") \
            from None
    except yaml.YAMLError as e:
        raise SavedModelError(source, f"not valid YAML ({e})") from None
    except RecursionError:
        raise SavedModelError(source, "the YAML is nested too deeply to be a model") from None


# ---------------------------------------------------------------- checks before building


def _entry_name(entry: dict[str, Any]) -> str:
    config = entry.get("config")
    name = entry.get("name") or (config.get("name") if isinstance(config, dict) else None)
    return str(name) if name else "(unnamed)"


def _check_entry(entry: Any, source: str, where: str) -> None:
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str) or \
            "config" not in entry:
        raise SavedModelError(source, f"{where} should be {{'class_name': ..., 'config': ...}}, "
                                      f"found {str(entry)[:120]}")


def _nesting(entry: dict[str, Any], custom_objects: dict[str, Any]) -> str:
    """How an entry holds other layers: 'sequential', 'model' (functional), 'merge'
    (Keras 1's Merge(layers=[models])) or 'layer' (a wrapper's 'layer' at most)."""
    cls = _layer_class(entry["class_name"], custom_objects)
    if not isinstance(cls, type):
        return {"Sequential": "sequential", "Model": "model",
                "Container": "model"}.get(entry["class_name"], "layer")
    if issubclass(cls, Sequential):
        return "sequential"
    if issubclass(cls, Container):
        return "model"
    return "merge" if issubclass(cls, Merge) else "layer"


def _sub_entries(entry: dict[str, Any], source: str,
                 custom_objects: dict[str, Any]) -> list[dict[str, Any]]:
    """The layer entries inside a model / Merge(layers=...) / wrapper entry, checked."""
    config, name = entry["config"], _entry_name(entry)
    if not isinstance(config, (dict, list)):
        raise SavedModelError(source, f"the config of {name!r} should be a dict, found "
                                      f"{type(config).__name__}")
    nesting = _nesting(entry, custom_objects)
    subs: list[Any] = []
    if nesting in ("sequential", "model"):
        if isinstance(config, list):                  # Keras 1.2 / 2.0 Sequential
            subs = config
        elif isinstance(config.get("layers"), list):  # functional, Keras 2.2 Sequential
            subs = config["layers"]
        else:
            raise SavedModelError(source, f"model {name!r} has no 'layers' list in its config")
    elif nesting == "merge" and isinstance(config, dict) and \
            isinstance(config.get("layers"), list):
        subs = config["layers"]
    elif isinstance(config, dict) and isinstance(config.get("layer"), dict) and \
            "class_name" in config["layer"]:         # wrappers (TimeDistributed, ...)
        subs = [config["layer"]]
    for i, sub in enumerate(subs):
        _check_entry(sub, source, f"layer #{i} of {name!r}")
    if nesting == "model":
        if not isinstance(config, dict):
            raise SavedModelError(source, f"the config of model {name!r} should be a dict")
        for key in ("input_layers", "output_layers"):
            if not isinstance(config.get(key), list):
                raise SavedModelError(source, f"model {name!r} has no {key!r} list in its "
                                              f"config")
        for sub in subs:
            if not isinstance(sub.get("inbound_nodes"), list):
                raise SavedModelError(source, f"layer {_entry_name(sub)!r} of model {name!r} "
                                              f"has no 'inbound_nodes' list")
    return subs


def layer_entries(entry: dict[str, Any], source: str,
                  custom_objects: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The entry and every layer entry nested in it, depth first, each checked."""
    _check_entry(entry, source, "the model config")
    stack = [entry]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(_sub_entries(current, source, custom_objects)))


def check_classes(entry: dict[str, Any], custom_objects: dict[str, Any], source: str) -> None:
    """Raise, naming every one, when the config names layer classes nobody provides."""
    missing: dict[str, list[str]] = {}
    for sub in layer_entries(entry, source, custom_objects):
        if _layer_class(sub["class_name"], custom_objects) is None:
            missing.setdefault(sub["class_name"], []).append(_entry_name(sub))
    if missing:
        listed = ", ".join(f"{cls!r} (layer {', '.join(map(repr, names))})"
                           for cls, names in missing.items())
        hint = ", ".join(f"'{cls}': {cls}" for cls in missing)
        raise SavedModelError(source, f"unknown layer class(es) {listed}: keras_front has no "
                                      f"such layer; if they are custom layers, pass them in "
                                      f"custom_objects={{{hint}}}")


def resolve_functions(entry: dict[str, Any], custom_objects: dict[str, Any],
                      functions: dict[str, dict[str, str]], source: str) -> None:
    """Replace, in place, every saved function of Lambda / Merge configs with the function
    keras_front.layers.saved_functions finds for it (custom_objects, this process's own,
    or -- only with safe_mode=False -- the bytecode); its *_type becomes 'raw'."""
    for sub in layer_entries(entry, source, custom_objects):
        cls = _layer_class(sub["class_name"], custom_objects)
        config = sub["config"]
        if not (isinstance(cls, type) and issubclass(cls, (Lambda, Merge))) or \
                not isinstance(config, dict):
            continue
        layer = _entry_name(sub)
        for key in [k for k in config if k.endswith("_type")]:
            base, kind = key[:-len("_type")], config[key]
            if base not in config or kind not in ("lambda", "function"):
                continue
            recorded = functions.get(layer, {}).get(base)
            try:
                config[base] = load_function(config[base], kind, layer, base,
                                             sub["class_name"], custom_objects, recorded)
            except ValueError as e:
                raise SavedModelError(source, str(e)) from None
            config[key] = "raw"


# ---------------------------------------------------------------- building


def _diagnose(entry: dict[str, Any], custom_objects: dict[str, Any], source: str) -> str:
    """Which layer fails to be made from its config, and why (after a failed build)."""
    for sub in layer_entries(entry, source, custom_objects):
        if sub is entry or sub["class_name"] in ("Sequential", "Model", "Container"):
            continue
        try:
            deserialize({"class_name": sub["class_name"], "config": sub["config"]},
                        custom_objects=custom_objects)
        except Exception as e:  # reported with the layer's name
            return (f"cannot rebuild layer {_entry_name(sub)!r} ({sub['class_name']}): "
                    f"{type(e).__name__}: {e}")
    return ""


def build_model(document: Any, custom_objects: dict[str, Any] | None, source: str) -> Any:
    """The model a {'class_name', 'config'} document describes, checked before building;
    failures raise SavedModelError naming the source and the layer."""
    custom_objects = dict(custom_objects or {})
    if not isinstance(document, dict):
        raise SavedModelError(source, f"the model config should be a dict with 'class_name' "
                                      f"and 'config', found {type(document).__name__}")
    side = document.get(SIDE_KEY) if isinstance(document.get(SIDE_KEY), dict) else {}
    functions = side.get("functions") if isinstance(side.get("functions"), dict) else {}
    functions = {k: v for k, v in functions.items() if isinstance(v, dict)}
    entry = copy.deepcopy({"class_name": document.get("class_name"),
                           "config": document.get("config")})
    check_classes(entry, custom_objects, source)
    resolve_functions(entry, custom_objects, functions, source)
    try:
        return model_from_config(entry, custom_objects=custom_objects)
    except SavedModelError:
        raise  # already names the source and the layer (e.g. load_model's weight budget)
    except Exception as e:
        problem = _diagnose(entry, custom_objects, source) or \
            f"cannot rebuild the model: {type(e).__name__}: {e}"
        if "Unknown" in problem or "Invalid" in problem or "not understood" in problem:
            problem += " (if it names a custom object, pass it in custom_objects)"
        # Chained: a custom layer's own bug keeps its traceback.
        raise SavedModelError(source, problem) from e


def model_from_json(json_string: str, custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool = True) -> Any:
    """A model from to_json()'s string (Keras 1.2's and 2.x's JSON too); safe_mode=False
    lets Lambda / Merge functions saved as Python bytecode load (trusted files only)."""
    with SafeModeScope(safe_mode):
        return build_model(parse_json(json_string, "model_from_json"), custom_objects,
                           "model_from_json")


def model_from_yaml(yaml_string: str, custom_objects: dict[str, Any] | None = None,
                    safe_mode: bool = True) -> Any:
    """A model from to_yaml()'s string (Keras's YAML, tuples included); safe_mode as in
    model_from_json."""
    with SafeModeScope(safe_mode):
        return build_model(parse_yaml(yaml_string, "model_from_yaml"), custom_objects,
                           "model_from_yaml")

