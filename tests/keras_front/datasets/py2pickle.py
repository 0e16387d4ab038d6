"""Write pickles as Python 2 with NumPy 1.x wrote them (protocol 2): what Keras 1.2.2's
cache holds. Python 3's pickle cannot: it writes bytes through _codecs.encode and names
numpy._core. Here str is Python 2's byte string (BINSTRING), unicode is UNICODE text,
arrays reduce through numpy.core.multiarray._reconstruct, and dtypes carry Python 2
typestrings. Used to build the test files read through keras_front's real code path.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np


class Py2Bytes(bytes):
    """A Python 2 `str` (bytes) in the written pickle."""


def _global(module: str, name: str) -> bytes:
    return b"c" + module.encode() + b"\n" + name.encode() + b"\n"


def _str(data: bytes) -> bytes:
    if len(data) < 256:
        return b"U" + bytes([len(data)]) + data
    return b"T" + struct.pack("<i", len(data)) + data


def _tuple(items: list[bytes]) -> bytes:
    if len(items) <= 3:
        return b"".join(items) + [b")", b"\x85", b"\x86", b"\x87"][len(items)]
    return b"(" + b"".join(items) + b"t"


def _int(i: int) -> bytes:
    if 0 <= i < 256:
        return b"K" + bytes([i])
    return b"J" + struct.pack("<i", i)


def _dtype(dtype: np.dtype) -> bytes:
    typestr = dtype.str[1:] if dtype.byteorder in "<>=|" else dtype.str
    order = "|" if dtype.itemsize == 1 else "<"
    return (_global("numpy", "dtype") + _tuple([_str(typestr.encode()), _int(0), _int(1)])
            + b"R" + _tuple([_int(3), _str(order.encode()), b"N", b"N", b"N",
                             _int(-1), _int(-1), _int(0)]) + b"b")


def _array(a: np.ndarray) -> bytes:
    a = np.ascontiguousarray(a)
    head = (_global("numpy.core.multiarray", "_reconstruct")
            + _tuple([_global("numpy", "ndarray"), _tuple([_int(0)]), _str(b"b")]) + b"R")
    state = _tuple([_int(1), _tuple([_int(d) for d in a.shape]), _dtype(a.dtype), b"\x89",
                    _str(a.tobytes())])
    return head + state + b"b"


def _value(obj: Any) -> bytes:
    if obj is None:
        return b"N"
    if isinstance(obj, bool):
        return b"\x88" if obj else b"\x89"
    if isinstance(obj, (int, np.integer)):
        return _int(int(obj))
    if isinstance(obj, Py2Bytes):
        return _str(bytes(obj))
    if isinstance(obj, str):  # a Python 2 str: plain ASCII text, written as bytes
        return _str(obj.encode("latin1"))
    if isinstance(obj, np.ndarray):
        return _array(obj)
    if isinstance(obj, tuple):
        return _tuple([_value(v) for v in obj])
    if isinstance(obj, list):
        return b"]" + (b"(" + b"".join(_value(v) for v in obj) + b"e" if obj else b"")
    if isinstance(obj, dict):
        body = b"".join(_value(k) + _value(v) for k, v in obj.items())
        return b"}" + (b"(" + body + b"u" if obj else b"")
    raise TypeError(f"py2pickle: cannot write {type(obj).__name__}")


def dumps(obj: Any) -> bytes:
    """The protocol-2 pickle Python 2 would write for obj."""
    return b"\x80\x02" + _value(obj) + b"."
