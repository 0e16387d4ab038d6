"""Checks made before a layer allocates a weight (`Layer.add_weight`, before the
initializer runs), so that an absurd size fails at once, naming the layer, instead of
after seconds of drawing random numbers and gigabytes of memory:

- always: one weight larger than the machine's physical memory is a MemoryError;
- inside `weight_budget(values, refuse)` (load_model builds the model from a file's
  config this way): all the weights created in the block together may hold at most
  `values` numbers -- as many as the file's weight datasets declare, since every weight
  is then loaded from one of them. A config asking for more does not match its weights.

Layers that create variables without add_weight are checked only after building, by
the shape checks of loading.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass
class _Budget:
    limit: int
    refuse: Callable[[str], Exception]
    used: int = 0


_BUDGET: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("weight_budget",
                                                                        default=None)


def physical_memory() -> int | None:
    """Bytes of physical memory, or None where the OS does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def describe_bytes(n: int) -> str:
    """1536 -> '1.5 KB' (powers of 1024)."""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if size < 1024 or unit == "PB":
            return f"{n} bytes" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # not reached


@contextlib.contextmanager
def weight_budget(values: int, refuse: Callable[[str], Exception]) -> Iterator[None]:
    """Within the block, weights created by add_weight may hold `values` numbers in all;
    the weight that would pass the limit raises `refuse(what it is)` before allocating."""
    token = _BUDGET.set(_Budget(int(values), refuse))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def check_new_weight(layer: Any, name: str, shape: Sequence[int], dtype: str) -> None:
    """Raise before `layer` allocates weight `name` of this shape and dtype when it is
    larger than memory or than the current weight budget."""
    values = math.prod(int(d) for d in shape)
    nbytes = values * np.dtype(dtype).itemsize
    what = (f"layer {layer.name!r} ({type(layer).__name__}) would create the weight {name!r} "
            f"of shape {tuple(shape)} ({dtype}, {values:,} values, {describe_bytes(nbytes)})")
    budget = _BUDGET.get()
    if budget is not None:
        if budget.used + values > budget.limit:
            raise budget.refuse(f"{what}; with it the model needs at least "
                                f"{budget.used + values:,} weight values, more than the "
                                f"{budget.limit:,} the file's weights hold")
        budget.used += values
    memory = physical_memory()
    if memory is not None and nbytes > memory:
        raise MemoryError(f"{what}: more than this machine's {describe_bytes(memory)} of "
                          f"memory; refused before allocating it")
