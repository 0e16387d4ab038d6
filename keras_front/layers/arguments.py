"""Helpers every layer uses: one argument under its Keras 1 or Keras 2 name
(output_dim/units, init/kernel_initializer, W_regularizer/kernel_regularizer,
border_mode/padding ...), and the config form of initializers, regularizers and
constraints (Keras 1.2's: a name, or a dict with 'name').
"""

from __future__ import annotations

from typing import Any

from .. import activations, initializers


def renamed(layer: str, keras1: tuple[str, Any], keras2: tuple[str, Any],
            default: Any = None) -> Any:
    """The value given under the Keras 1 name or the Keras 2 name (not both), else default."""
    (name1, value1), (name2, value2) = keras1, keras2
    if value1 is not None and value2 is not None and value1 is not value2:
        try:
            same = bool(value1 == value2)
        except (TypeError, ValueError):
            same = False
        if not same:
            raise TypeError(f"{layer}: `{name1}` (Keras 1) and `{name2}` (Keras 2) are the same "
                            f"argument; got {name1}={value1!r} and {name2}={value2!r}")
    value = value1 if value1 is not None else value2
    return default if value is None else value


def drop_rate(layer: str, p: float | None, rate: float | None) -> float:
    """The fraction of inputs a dropout layer drops, from Keras 1's `p` or Keras 2's `rate`,
    checked to lie in [0, 1) (0 makes the layer the identity)."""
    value = renamed(layer, ("p", p), ("rate", rate))
    if value is None:
        raise TypeError(f"{layer} needs the drop rate: {layer}(p) (Keras 2: rate)")
    if not 0.0 <= float(value) < 1.0:
        raise ValueError(f"{layer} rate must be in [0, 1), got {value}")
    return float(value)


def input_dim_to_shape(kwargs: dict[str, Any], input_dim: int | None) -> None:
    """Keras's `input_dim=n` shorthand for `input_shape=(n,)` (in place)."""
    if input_dim is not None and kwargs.get("input_shape") is None and \
            kwargs.get("batch_input_shape") is None:
        kwargs["input_shape"] = (int(input_dim),)


def is_activation_name(value: Any) -> bool:
    """True for a string naming an activation but no initializer (Dense(10, 'relu'))."""
    if not isinstance(value, str):
        return False
    try:
        activations.get(value)
    except ValueError:
        return False
    try:
        initializers.get(value)
    except ValueError:
        return True
    return False


def serialize_initializer(init: Any) -> Any:
    """An initializer's config: its name (a name stays one), or {'class_name', 'config'}
    for an object."""
    if init is None or isinstance(init, str):
        return init
    return initializers.serialize(init)


def serialize_object(obj: Any) -> Any:
    """A regularizer's or constraint's config (Keras 1.2: get_config(), with 'name')."""
    if obj is None:
        return None
    if hasattr(obj, "get_config"):
        return obj.get_config()
    return getattr(obj, "__name__", type(obj).__name__)
