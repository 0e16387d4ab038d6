"""Dtype names and promotion: NumPy's rules (NEP 50), with `floatX` as the float default."""

from __future__ import annotations

from typing import Any

import numpy as np

from .config import config

FLOAT_DTYPES = ("float16", "float32", "float64")
INT_DTYPES = ("int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64")
ALL_DTYPES = ("bool",) + INT_DTYPES + FLOAT_DTYPES + ("complex64", "complex128")

_SHORT = {
    "bool": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "float16": "f16", "float32": "f32", "float64": "f64",
    "complex64": "c64", "complex128": "c128",
}
_FROM_SHORT = {v: k for k, v in _SHORT.items()}


def as_dtype(dtype: Any) -> str:
    """Normalize a dtype spelling ('floatX', np.float32, 'f4', 'f32') to NumPy's name."""
    if dtype is None or dtype == "floatX":
        return config.floatX
    if isinstance(dtype, str) and dtype in _FROM_SHORT:
        return _FROM_SHORT[dtype]
    try:
        name = np.dtype(dtype).name
    except TypeError as e:
        raise TypeError(f"{dtype!r} is not a dtype symgraph understands") from e
    if name not in ALL_DTYPES:
        raise TypeError(f"dtype {name} is not supported (supported: {', '.join(ALL_DTYPES)})")
    return name


def short(dtype: str) -> str:
    """The short spelling used in listings: float32 -> 'f32'."""
    return _SHORT.get(dtype, dtype)


def is_float(dtype: str) -> bool:
    """True for float16/32/64."""
    return dtype in FLOAT_DTYPES


def is_int(dtype: str) -> bool:
    """True for signed and unsigned integer dtypes (not bool)."""
    return dtype in INT_DTYPES


def is_bool(dtype: str) -> bool:
    """True for bool."""
    return dtype == "bool"


def is_complex(dtype: str) -> bool:
    """True for complex64/128."""
    return dtype.startswith("complex")


def is_differentiable(dtype: str) -> bool:
    """Only float and complex values carry gradients; ints and bools are piecewise constant."""
    return is_float(dtype) or is_complex(dtype)


def upcast(*dtypes: str) -> str:
    """NumPy's promotion of several dtypes."""
    return np.result_type(*dtypes).name


def result_dtype_with_scalar(dtype: str, value: Any) -> str:
    """Dtype a Python scalar takes next to a tensor of `dtype` (NEP 50 'weak' scalars).

    float32 tensor + 1.0 stays float32; int32 tensor + 1.5 becomes float64.
    """
    return np.result_type(np.dtype(dtype), value).name


def python_scalar_dtype(value: Any) -> str:
    """Dtype of a lone Python scalar: bools are bool, ints int64, floats floatX.

    NumPy scalars keep their own dtype: np.float64(1.5) is float64, not floatX.
    """
    if isinstance(value, np.generic):
        return value.dtype.name
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int64"
    if isinstance(value, float):
        return config.floatX
    if isinstance(value, complex):
        return "complex128"
    return np.asarray(value).dtype.name


def can_cast_safely(src: str, dst: str) -> bool:
    """True when every value of `src` is exactly representable in `dst`."""
    return bool(np.can_cast(src, dst, casting="safe"))


def casts_exactly(arr: np.ndarray, dtype: str) -> bool:
    """True when casting `arr` to `dtype` keeps every value (NaNs included)."""
    if arr.dtype.kind == "c" and np.dtype(dtype).kind != "c":
        return False
    with np.errstate(all="ignore"):
        cast = arr.astype(dtype)
        return bool(np.array_equal(cast, arr, equal_nan=arr.dtype.kind in "fc"))
