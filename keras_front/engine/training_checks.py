"""Checks of what training is given, made once per fit (or per train_on_batch call), never
per batch: each catches a mistake that otherwise trains silently on garbage.

- labels of an output trained with sparse_categorical_crossentropy must be integers in
  [0, classes): a label out of range costs 0 (its one-hot row is all zeros) and 1.5 was
  truncated to 1;
- x, y and sample weights must be finite: one NaN makes every weight NaN after a step;
- the optimizer's learning rate (and its other hyperparameters) must be finite;
- fit needs at least one sample, and validation_split a fraction in [0, 1).

Finiteness is checked with one sum per array (a sum is finite only when every value
is); only an array that fails is searched for its first bad value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import backend as K
from .lazy_rows import LazyRows

_SHOWN = 5  # bad values quoted in a message


def _position(index: tuple[int, ...]) -> str:
    return f"sample {index[0]}" + (f", index {index[1:]}" if len(index) > 1 else "")


def _number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)


def _quote(array: np.ndarray, bad: np.ndarray) -> str:
    """The first few distinct bad values of `array` (mask `bad`), with where they are."""
    quoted, seen = [], set()
    for index in zip(*np.nonzero(bad), strict=True):
        value = array[index].item()
        if value in seen:
            continue
        seen.add(value)
        quoted.append(f"{_number(value)} ({_position(tuple(int(i) for i in index))})")
        if len(quoted) == _SHOWN:
            break
    return ", ".join(quoted)


def all_finite(array: np.ndarray) -> bool:
    """True when no value of `array` is NaN or infinite (integer arrays always are)."""
    if array.dtype.kind not in "fc":
        return True
    with np.errstate(over="ignore", invalid="ignore"):
        total = np.sum(array)
    return bool(np.isfinite(total)) or bool(np.isfinite(array).all())  # a sum may overflow


def check_finite(arrays: Sequence[np.ndarray], names: Sequence[str], caller: str) -> None:
    """Raise ValueError naming the first array holding NaN or inf, and where."""
    for array, name in zip(arrays, names, strict=True):
        if isinstance(array, LazyRows):  # on disk: walk it a block at a time
            for first, block in array.chunks():
                if not all_finite(block):
                    check_finite([block], [f"{name} (rows {first}..)"], caller)
            continue
        if all_finite(array):
            continue
        nan, inf = np.isnan(array), np.isinf(array)
        counts = f"{int(nan.sum())} NaN and {int(inf.sum())} infinite value(s) in all"
        raise ValueError(f"{caller}: NaN or infinite values in {name}: "
                         f"{_quote(array, nan | inf)}; {counts}. One NaN turns every weight "
                         f"into NaN after a training step: clean the data first (drop the "
                         f"rows, or np.nan_to_num).")


def check_sparse_labels(labels: np.ndarray, classes: int | None, name: str,
                        caller: str) -> None:
    """Raise ValueError quoting the labels that are not integers in [0, classes)."""
    if labels.dtype.kind == "b":
        return
    labels = np.asarray(labels)  # a LazyRows reads the labels, once
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]  # (samples, 1): one label per sample
    problems = []
    if labels.dtype.kind == "f":
        with np.errstate(invalid="ignore"):
            fractional = ~np.isfinite(labels) | (labels != np.floor(labels))
        if fractional.any():
            problems.append(f"labels that are not integers: {_quote(labels, fractional)} "
                            f"(they would be truncated)")
    with np.errstate(invalid="ignore"):
        outside = (labels < 0) | (labels >= classes) if classes is not None else labels < 0
    if outside.any():
        problems.append(f"labels outside [0, {classes if classes is not None else '...'}): "
                        f"{_quote(labels, outside)} ({int(outside.sum())} in all; such a "
                        f"label costs 0: its one-hot row is all zeros)")
    if problems:
        valid = f"0 to {classes - 1}" if classes is not None else "0, 1, 2, ..."
        raise ValueError(f"{caller}: the targets of output {name!r} (loss "
                         f"sparse_categorical_crossentropy, {classes or 'unknown'} classes) "
                         f"hold {'; and '.join(problems)}. Sparse labels are class indices, "
                         f"{valid}.")


def check_hyperparameters(optimizer: Any, caller: str) -> None:
    """Raise ValueError when the optimizer's learning rate or another numeric
    hyperparameter it keeps as a variable is NaN or infinite."""
    names = ("lr",) + tuple(getattr(optimizer, "_config_floats", ()))
    for name in dict.fromkeys(names):
        variable = getattr(optimizer, name, None)
        if variable is None or not K.is_variable(variable):
            continue
        value = np.asarray(K.get_value(variable))
        if not all_finite(value):
            what = "learning rate" if name == "lr" else f"hyperparameter {name!r}"
            shown = value.item() if value.ndim == 0 else value
            raise ValueError(f"{caller}: the optimizer's {what} is {shown}; training with "
                             f"it would turn every weight into NaN. Set a finite value "
                             f"(K.set_value(model.optimizer.{name}, ...)).")


def check_validation_split(value: Any) -> float:
    """validation_split as a float in [0, 1), or ValueError."""
    try:
        split = float(value)
    except (TypeError, ValueError):
        raise TypeError(f"fit: validation_split should be a fraction in [0, 1), got "
                        f"{value!r}") from None
    if not (0.0 <= split < 1.0) or math.isnan(split):
        raise ValueError(f"fit: validation_split={value!r} is not a fraction in [0, 1): it is "
                         f"the share of the samples held out for validation (0.1 holds out "
                         f"the last 10%)")
    return split


def check_has_samples(arrays: Sequence[np.ndarray], caller: str) -> None:
    """Raise ValueError when the arrays hold no sample."""
    if arrays and arrays[0].shape[0] == 0:
        raise ValueError(f"{caller}: got 0 samples (arrays of shapes "
                         f"{[tuple(a.shape) for a in arrays]}); there is nothing to train on")
