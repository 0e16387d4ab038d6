"""Helpers shared by keras_front's modules: name lookup and (de)serialization of
activations, initializers, regularizers, constraints, losses and metrics; custom objects;
the table of layer classes that layer configs name (and `deserialize_layer`); function
(de)serialization for Lambda layers and the safe-mode scope that guards it; Keras's Progbar.

This module sits below the engine, the layers and the models: they register their classes
here when imported, so that rebuilding from configs never imports upwards.
"""

from __future__ import annotations

import contextvars
import inspect
import marshal
import sys
import time
import types
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

_GLOBAL_CUSTOM_OBJECTS: dict[str, Any] = {}


# ---------------------------------------------------------------- custom objects


class CustomObjectScope:
    """`with CustomObjectScope({'MyLayer': MyLayer}):` makes names resolvable by get()."""

    def __init__(self, *args: dict[str, Any]):
        self.custom_objects = args
        self.backup: dict[str, Any] | None = None

    def __enter__(self) -> CustomObjectScope:
        self.backup = dict(_GLOBAL_CUSTOM_OBJECTS)
        for objects in self.custom_objects:
            _GLOBAL_CUSTOM_OBJECTS.update(objects)
        return self

    def __exit__(self, *exc: Any) -> None:
        _GLOBAL_CUSTOM_OBJECTS.clear()
        _GLOBAL_CUSTOM_OBJECTS.update(self.backup or {})


def custom_object_scope(*args: dict[str, Any]) -> CustomObjectScope:
    """A CustomObjectScope over the given {name: object} dicts."""
    return CustomObjectScope(*args)


def get_custom_objects() -> dict[str, Any]:
    """The global {name: object} registry consulted by every get() / deserialize()."""
    return _GLOBAL_CUSTOM_OBJECTS


# ---------------------------------------------------------------- lookup and serialization


def get_from_module(identifier: Any, module_params: dict[str, Any], module_name: str,
                    instantiate: bool = False, kwargs: dict[str, Any] | None = None) -> Any:
    """Keras 1.x lookup: a name -> the object of that name in `module_params` (called when
    `instantiate`); a {'name': ..., **params} dict -> the object built from params;
    anything else is returned as is.
    """
    if isinstance(identifier, str):
        res = _lookup(identifier, module_params)
        if res is None:
            raise ValueError(f"Invalid {module_name}: {identifier!r}")
        if instantiate:
            return res(**(kwargs or {}))
        return res
    if isinstance(identifier, dict):
        params = dict(identifier)
        name = params.pop("name", None)
        res = _lookup(name, module_params) if isinstance(name, str) else None
        if res is None:
            raise ValueError(f"Invalid {module_name}: {identifier!r}")
        return res(**params)
    return identifier


def _lookup(name: str, module_params: dict[str, Any],
            custom_objects: dict[str, Any] | None = None) -> Any:
    for table in (custom_objects or {}, _GLOBAL_CUSTOM_OBJECTS, module_params):
        if name in table:
            return table[name]
    return None


def serialize_keras_object(instance: Any) -> Any:
    """An object -> {'class_name', 'config'} when it has get_config, else its name."""
    if instance is None:
        return None
    if hasattr(instance, "get_config"):
        return {"class_name": type(instance).__name__, "config": instance.get_config()}
    if hasattr(instance, "__name__"):
        return instance.__name__
    raise ValueError(f"Cannot serialize {instance!r}: it has neither get_config() nor a name")


def deserialize_keras_object(identifier: Any, module_objects: dict[str, Any] | None = None,
                             custom_objects: dict[str, Any] | None = None,
                             printable_module_name: str = "object") -> Any:
    """Keras 2 lookup: {'class_name', 'config'} -> a configured instance; a name -> the
    function, or an instance of the class, of that name."""
    module_objects = module_objects or {}
    if isinstance(identifier, dict):
        if "class_name" not in identifier or "config" not in identifier:
            raise ValueError(f"Improper config format for {printable_module_name}: "
                             f"{identifier!r} (expected 'class_name' and 'config')")
        name = identifier["class_name"]
        cls = _lookup(name, module_objects, custom_objects)
        if cls is None:
            raise ValueError(f"Unknown {printable_module_name}: {name}")
        config = dict(identifier["config"] or {})
        if hasattr(cls, "from_config"):
            return cls.from_config(config)
        return cls(**config)
    if isinstance(identifier, str):
        obj = _lookup(identifier, module_objects, custom_objects)
        if obj is None:
            raise ValueError(f"Unknown {printable_module_name}: {identifier}")
        return obj() if inspect.isclass(obj) else obj
    raise ValueError(f"Could not interpret serialized {printable_module_name}: {identifier!r}")


def get_identifier(identifier: Any, module_objects: dict[str, Any], kind: str, *,
                   makes_objects: bool = False, kwargs: dict[str, Any] | None = None,
                   described: str | None = None) -> Any:
    """The get() of activations, losses, metrics, regularizers and constraints, so that a
    name, a config and a callable resolve the same way in each.

    A name -> the entry of that name (custom objects first; "Invalid <kind>" otherwise).
    With `makes_objects` (tables of classes and factories such as regularizers.l2), a name
    of ours makes a new object with Keras 1.x's `kwargs`, while a custom function a config
    names is the object itself; configs ({'class_name', 'config'} or Keras 1.x's {'name':
    ...}) are accepted too. A callable is returned as is; anything else is an error naming
    `described` (default: kind).
    """
    if makes_objects and isinstance(identifier, dict):
        if "class_name" in identifier:
            return deserialize_keras_object(identifier, module_objects, None, kind)
        return get_from_module(identifier, module_objects, kind)
    if isinstance(identifier, str):
        found = get_from_module(identifier, module_objects, kind)
        if makes_objects and (inspect.isclass(found) or
                              found is module_objects.get(identifier)):
            return found(**(kwargs or {}))
        return found
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {described or kind} identifier: {identifier!r}")


# ---------------------------------------------------------------- layer classes


# {class name: class} of the layers and models configs can name: keras_front.layers (its
# classes, the engine's InputLayer among them) and keras_front.models fill it when
# imported (register_layer_classes).
_LAYER_CLASSES: dict[str, type] = {}


def register_layer_classes(classes: dict[str, type]) -> None:
    """Make layer (or model) classes known to deserialize_layer by these names."""
    _LAYER_CLASSES.update(classes)


def layer_class(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    """The class a config's 'class_name' means: custom_objects, then the global custom
    objects, then keras_front's own layers and models; None when nobody provides it."""
    return (custom_objects or {}).get(name) or get_custom_objects().get(name) or \
        _LAYER_CLASSES.get(name)


def deserialize_layer(config: dict[str, Any],
                      custom_objects: dict[str, Any] | None = None) -> Any:
    """The layer (or model) described by {'class_name', 'config'}; custom classes come from
    custom_objects or the global custom objects (keras_front.layers.deserialize)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config'; got "
                         f"{str(config)[:200]}")
    name = config["class_name"]
    custom_objects = custom_objects or {}
    cls = layer_class(name, custom_objects)
    if cls is None:
        raise ValueError(f"Unknown layer: {name}. If it is a custom layer, pass it in "
                         f"custom_objects={{'{name}': {name}}}")
    with CustomObjectScope(custom_objects):
        if has_arg(cls.from_config, "custom_objects"):
            return cls.from_config(config.get("config", {}), custom_objects=custom_objects)
        return cls.from_config(config.get("config", {}))


# ---------------------------------------------------------------- small helpers


def has_arg(fn: Callable[..., Any], name: str, accept_all: bool = False) -> bool:
    """True when fn can be called with the keyword `name` (or any, with **kwargs and
    accept_all)."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    if accept_all and any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return True
    p = params.get(name)
    return p is not None and p.kind in (inspect.Parameter.POSITIONAL_OR_KEYWORD,
                                        inspect.Parameter.KEYWORD_ONLY)


def to_list(x: Any) -> list[Any]:
    """x as a list (a list stays itself; anything else is wrapped)."""
    return x if isinstance(x, list) else [x]


def func_dump(func: Callable[..., Any]) -> tuple[str, Any, Any]:
    """A plain-data form of a Python function (code, defaults, closure) for saving Lambdas."""
    code = marshal.dumps(func.__code__).decode("raw_unicode_escape")
    closure = tuple(c.cell_contents for c in func.__closure__) if func.__closure__ else None
    return code, func.__defaults__, closure


def func_load(code: Any, defaults: Any = None, closure: Any = None,
              globs: dict[str, Any] | None = None) -> Callable[..., Any]:
    """The function saved by func_dump (globals default to this module's)."""
    if isinstance(code, (tuple, list)):
        code, defaults, closure = code
    raw = marshal.loads(code.encode("raw_unicode_escape"))
    cells = tuple(types.CellType(v) for v in closure) if closure is not None else None
    return types.FunctionType(raw, globs if globs is not None else globals(),
                              name=raw.co_name, argdefs=tuple(defaults) if defaults else None,
                              closure=cells)


_SAFE_MODE: contextvars.ContextVar[bool] = contextvars.ContextVar("keras_front_safe_mode",
                                                                 default=True)


class SafeModeScope:
    """`with SafeModeScope(False):` lets from_config load Python bytecode from configs
    (None leaves the current setting); keras_front.layers.saved_functions reads it."""

    def __init__(self, safe_mode: bool | None = True):
        self.safe_mode = safe_mode
        self._token: Any = None

    def __enter__(self) -> SafeModeScope:
        if self.safe_mode is not None:
            self._token = _SAFE_MODE.set(bool(self.safe_mode))
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._token is not None:
            _SAFE_MODE.reset(self._token)


def in_safe_mode() -> bool:
    """True unless an enclosing SafeModeScope(False) lets bytecode load."""
    return _SAFE_MODE.get()


# ---------------------------------------------------------------- Progbar


class Progbar:
    """Keras's progress bar: `bar.update(seen, [('loss', 0.3)])` or `bar.add(n, values)`.

    verbose=1 redraws one line in place (with '\\r') on a terminal or in a notebook; when
    the output is a file or a pipe it prints the finished bar once, one line per epoch.
    verbose=2 prints only the final summary line. Values are averaged over the samples
    seen, weighted by step size; names in `stateful_metrics` (and strings) are shown as
    given.
    """

    def __init__(self, target: int | None, width: int = 30, verbose: int = 1,
                 interval: float = 0.05, stateful_metrics: Iterable[str] | None = None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.stateful_metrics = set(stateful_metrics or ())
        self.sum_values: dict[str, Any] = {}
        self.unique_values: list[str] = []
        self.start = time.time()
        self.last_update = 0.0
        self.total_width = 0
        self.seen_so_far = 0

    @staticmethod
    def _dynamic_display() -> bool:
        out = sys.stdout
        return bool(getattr(out, "isatty", lambda: False)()) or "ipykernel" in sys.modules

    def update(self, current: int, values: Sequence[tuple[str, Any]] | None = None,
               force: bool = False) -> None:
        """Record progress up to sample `current` with the latest (name, value) pairs."""
        step = current - self.seen_so_far
        for name, value in values or ():
            if name not in self.sum_values:
                self.unique_values.append(name)
            if name in self.stateful_metrics or isinstance(value, str):
                self.sum_values[name] = value  # shown as given, not averaged
            elif name not in self.sum_values:
                self.sum_values[name] = [value * step, step]
            else:
                self.sum_values[name][0] += value * step
                self.sum_values[name][1] += step
        self.seen_so_far = current
        now = time.time()
        finished = self.target is not None and current >= self.target
        if self.verbose == 1:
            if self._dynamic_display():
                if force or finished or now - self.last_update >= self.interval:
                    self._redraw(current, now, finished)
                    self.last_update = now
            elif finished:
                sys.stdout.write(self._bar(current) + self._info(current, now, True) + "\n")
                sys.stdout.flush()
        elif self.verbose == 2 and finished:
            sys.stdout.write(f"{now - self.start:.0f}s{self._values()}\n")
            sys.stdout.flush()

    def add(self, n: int, values: Sequence[tuple[str, Any]] | None = None) -> None:
        """Advance by n samples."""
        self.update(self.seen_so_far + n, values)

    def _redraw(self, current: int, now: float, finished: bool) -> None:
        line = self._bar(current) + self._info(current, now, finished)
        pad = max(0, self.total_width - len(line))
        self.total_width = len(line)
        sys.stdout.write("\r" + line + " " * pad + ("\n" if finished else ""))
        sys.stdout.flush()

    def _bar(self, current: int) -> str:
        if self.target is None:
            return f"{current:7d}/Unknown"
        digits = len(str(self.target))
        done = int(self.width * min(current / self.target, 1.0)) if self.target else self.width
        bar = f"{current:{digits}d}/{self.target} ["
        if done > 0:
            bar += "=" * (done - 1) + (">" if current < self.target else "=")
        return bar + "." * (self.width - done) + "]"

    def _info(self, current: int, now: float, finished: bool) -> str:
        elapsed = now - self.start
        if finished or self.target is None or not current:
            timing = f" - {elapsed:.0f}s"
        else:
            timing = f" - ETA: {elapsed / current * (self.target - current):.0f}s"
        return timing + self._values()

    def _values(self) -> str:
        parts = []
        for name in self.unique_values:
            v = self.sum_values[name]
            avg = v[0] / max(1, v[1]) if isinstance(v, list) else v
            if isinstance(avg, str) or np.size(avg) != 1:
                parts.append(f" - {name}: {avg}")
                continue
            avg = float(np.asarray(avg).reshape(()))
            parts.append(f" - {name}: {avg:.4f}" if abs(avg) > 1e-3 else f" - {name}: {avg:.4e}")
        return "".join(parts)
