"""Backend settings shared by every K function: floatx, epsilon, image ordering, layer uids.

The settings live as attributes of the `keras_front.backend` package (`_FLOATX`,
`_EPSILON`, `_IMAGE_DIM_ORDERING`), exactly where Keras 1.x keeps them, because old user
code sets them directly (`K._IMAGE_DIM_ORDERING = 'th'`); the getters here read them back.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from types import ModuleType
from typing import Any

import numpy as np

_PACKAGE = __name__.rpartition(".")[0]
_UID_PREFIXES: defaultdict[str, int] = defaultdict(int)

_ORDERING_TO_FORMAT = {"th": "channels_first", "tf": "channels_last"}
_FORMAT_TO_ORDERING = {v: k for k, v in _ORDERING_TO_FORMAT.items()}


def _state() -> ModuleType:
    """The backend package: where the settings live."""
    return sys.modules[_PACKAGE]


def backend() -> str:
    """The name of the engine behind K: always 'symgraph' (Keras returns 'theano' here)."""
    return "symgraph"


def epsilon() -> float:
    """The fuzz factor used to keep logs and divisions finite (Keras 1.x default 1e-7)."""
    return _state()._EPSILON


def set_epsilon(e: float) -> None:
    """Set the fuzz factor returned by epsilon()."""
    _state()._EPSILON = float(e)


def floatx() -> str:
    """The default float dtype of variables and placeholders, e.g. 'float32'."""
    return _state()._FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype: 'float16', 'float32' or 'float64'."""
    if value not in ("float16", "float32", "float64"):
        raise ValueError(f"Unknown floatx type: {value!r} (expected 'float16', 'float32' or "
                         f"'float64')")
    _state()._FLOATX = str(value)


def cast_to_floatx(x: Any) -> np.ndarray:
    """A NumPy array (or scalar array) of `x` in the default float dtype."""
    return np.asarray(x, dtype=floatx())


def image_dim_ordering() -> str:
    """The default image layout: 'th' (channels first) or 'tf' (channels last)."""
    return _state()._IMAGE_DIM_ORDERING


def set_image_dim_ordering(dim_ordering: str) -> None:
    """Set the default image layout to 'th' or 'tf'."""
    if dim_ordering not in _ORDERING_TO_FORMAT:
        raise ValueError(f"Unknown dim_ordering: {dim_ordering!r} (expected 'th' or 'tf')")
    _state()._IMAGE_DIM_ORDERING = str(dim_ordering)


def image_data_format() -> str:
    """The Keras 2 spelling of image_dim_ordering(): 'channels_first' or 'channels_last'."""
    return _ORDERING_TO_FORMAT[image_dim_ordering()]


def set_image_data_format(data_format: str) -> None:
    """Set the default image layout with its Keras 2 name."""
    if data_format not in _FORMAT_TO_ORDERING:
        raise ValueError(f"Unknown data_format: {data_format!r} (expected 'channels_first' "
                         f"or 'channels_last')")
    set_image_dim_ordering(_FORMAT_TO_ORDERING[data_format])


def normalize_dim_ordering(dim_ordering: str | None) -> str:
    """'default' / None -> the global ordering; Keras 2 data_format names accepted too."""
    if dim_ordering in (None, "default"):
        return image_dim_ordering()
    if dim_ordering in _FORMAT_TO_ORDERING:
        return _FORMAT_TO_ORDERING[dim_ordering]
    if dim_ordering not in _ORDERING_TO_FORMAT:
        raise ValueError(f"Unknown dim_ordering: {dim_ordering!r} (expected 'th', 'tf', "
                         f"'channels_first' or 'channels_last')")
    return dim_ordering


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... per prefix: how layers get their default names (dense_1, dense_2)."""
    _UID_PREFIXES[prefix] += 1
    return _UID_PREFIXES[prefix]


def reset_uids() -> None:
    """Start every prefix's counter again at 1."""
    _UID_PREFIXES.clear()
