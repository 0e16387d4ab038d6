"""Helpers of the training loop: checking user data against the model, sample and class
weights, batches, and the weighted per-output loss. All follow Keras 1.2's rules:

- x / y may be one array, a list (one per input/output) or a dict by input/output name;
  1-d arrays become (n, 1); shapes are checked except the batch axis.
- sample weights default to ones; class_weight maps class index -> weight (the class of
  a row is its argmax, or its value for (n,) / (n, 1) targets).
- the loss of an output is mean(loss * w) / mean(w != 0) over the batch (Keras's
  weighted mean, where a zero weight removes a sample).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .. import backend as K
from .lazy_rows import LazyRows, is_lazy_source


def _describe(array: Any) -> str:
    shape = getattr(array, "shape", None)
    return f"array with shape {tuple(shape)}" if shape is not None else repr(array)[:200]


def standardize_input_data(data: Any, names: Sequence[str],
                           shapes: Sequence[Any] | None = None, check_batch_axis: bool = True,
                           exception_prefix: str = "", dtypes: Sequence[str] | None = None,
                           lazy: bool = False) -> list[np.ndarray]:
    """User data -> one NumPy array per name, at least 2-d, shapes checked.

    With `dtypes`, arrays are converted once here so that batches need no conversion.
    With `lazy` (the batch loops), an HDF5Matrix or h5py dataset stays on disk as a
    LazyRows that batches read from (lazy_rows.py).
    """
    names = list(names)
    if data is None:
        if names:
            raise ValueError(f"Error when checking {exception_prefix}: no data provided; the "
                             f"model expects {len(names)} array(s) for {names}")
        return []
    if isinstance(data, dict):
        unknown = [key for key in data if key not in names]
        if unknown:
            raise ValueError(f"Error when checking {exception_prefix}: unknown name(s) "
                             f"{unknown} in the data dict; expected keys: {names}")
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(f"No data provided for {missing[0]!r}. Need data for each key "
                             f"in: {names}")
        arrays = [data[name] for name in names]
    elif isinstance(data, (list, tuple)):
        if len(data) != len(names):
            if data and hasattr(data[0], "shape"):
                raise ValueError(
                    f"Error when checking {exception_prefix}: the list of Numpy arrays that "
                    f"you are passing to your model is not the size the model expected. "
                    f"Expected to see {len(names)} array(s) for {names} but instead got "
                    f"{len(data)}: {[_describe(a) for a in data]}")
            if len(names) == 1:
                data = [np.asarray(data)]
            else:
                raise ValueError(f"Error when checking {exception_prefix}: you are passing a "
                                 f"list as input to your model, but the model expects a list "
                                 f"of {len(names)} Numpy arrays instead. The list you passed "
                                 f"was: {str(data)[:200]}")
        arrays = list(data)
    else:
        if not hasattr(data, "shape"):
            raise TypeError(f"Error when checking {exception_prefix}: data should be a Numpy "
                            f"array, or list/dict of Numpy arrays. Found: {str(data)[:200]}")
        if len(names) != 1:
            raise ValueError(f"Error when checking {exception_prefix}: the model expects "
                             f"{len(names)} arrays ({names}), but only received one array. "
                             f"Found: {_describe(data)}")
        arrays = [data]
    out = []
    for i, (name, array) in enumerate(zip(names, arrays, strict=True)):
        if lazy and is_lazy_source(array):  # read batch by batch, already in the dtype
            array = LazyRows(array, dtypes[i] if dtypes is not None else None)
        else:
            array = np.asarray(array)
            if array.ndim == 1:
                array = array[:, None]
            if array.ndim == 0:
                raise ValueError(f"Error when checking {exception_prefix}: {name} got a "
                                 f"scalar ({array!r}); expected an array with a batch axis")
        _check_shape(array, name, shapes[i] if shapes is not None else None,
                     check_batch_axis, exception_prefix)
        if dtypes is not None and array.dtype != dtypes[i]:
            array = _convert(array, dtypes[i], name, exception_prefix)
        out.append(array)
    return out


def _check_shape(array: Any, name: str, expected: Any, check_batch_axis: bool,
                 prefix: str) -> None:
    """Refuse an array whose rank or known dimensions differ from the model's."""
    if expected is None:
        return
    expected = tuple(expected)
    if array.ndim != len(expected):
        raise ValueError(f"Error when checking {prefix}: expected {name} to have "
                         f"{len(expected)} dimensions, but got array with shape {array.shape}")
    for axis, (dim, ref) in enumerate(zip(array.shape, expected, strict=True)):
        if axis == 0 and not check_batch_axis:
            continue
        if ref is not None and ref != dim:
            raise ValueError(f"Error when checking {prefix}: expected {name} to have shape "
                             f"{_shape_str(expected)} but got array with shape {array.shape}")


def _shape_str(shape: Sequence[Any]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _convert(array: np.ndarray, dtype: str, name: str, prefix: str) -> np.ndarray:
    if array.dtype.kind not in "biuf":
        raise TypeError(f"Error when checking {prefix}: {name} has dtype {array.dtype}; "
                        f"expected numbers (converted to {dtype})")
    return np.ascontiguousarray(array, dtype=dtype)


def standardize_sample_or_class_weights(x_weight: Any, output_names: Sequence[str],
                                        weight_type: str) -> list[Any]:
    """One entry (or None) per output from None, an array/dict, a list, or a dict by name."""
    if x_weight is None or (isinstance(x_weight, (list, tuple)) and not x_weight):
        return [None] * len(output_names)
    if len(output_names) == 1:
        if isinstance(x_weight, list) and len(x_weight) == 1:
            return x_weight
        if isinstance(x_weight, dict) and output_names[0] in x_weight:
            return [x_weight[output_names[0]]]
        return [x_weight]
    if isinstance(x_weight, list):
        if len(x_weight) != len(output_names):
            raise ValueError(f"Provided `{weight_type}` was a list of {len(x_weight)} elements, "
                             f"but the model has {len(output_names)} outputs. You should "
                             f"provide one `{weight_type}` array per model output.")
        return x_weight
    if isinstance(x_weight, dict):
        unknown = [k for k in x_weight if k not in output_names]
        if unknown:
            raise ValueError(f"Unknown output name(s) {unknown} in `{weight_type}`; the "
                             f"outputs are {list(output_names)}")
        return [x_weight.get(name) for name in output_names]
    raise TypeError(f"The model has multiple outputs, so `{weight_type}` should be either a "
                    f"list or a dict. Provided `{weight_type}` type not understood: "
                    f"{str(x_weight)[:200]}")


def standardize_weights(y: np.ndarray, sample_weight: Any = None, class_weight: Any = None,
                        sample_weight_mode: str | None = None) -> np.ndarray:
    """The per-sample (or per-timestep, mode 'temporal') weights of one output's targets."""
    if sample_weight_mode is not None:
        if sample_weight_mode != "temporal":
            raise ValueError(f'"sample_weight_mode" should be None or "temporal". Found: '
                             f"{sample_weight_mode!r}")
        if y.ndim < 3:
            raise ValueError(f"Found a sample_weight array for an input with shape {y.shape}. "
                             f'Timestep-wise sample weighting (use of sample_weight_mode='
                             f'"temporal") is restricted to outputs that are at least 3D, '
                             f"i.e. that have a time dimension.")
        if sample_weight is not None and np.ndim(sample_weight) != 2:
            raise ValueError(f"Found a sample_weight array with shape "
                             f"{np.shape(sample_weight)}. In order to use timestep-wise sample "
                             f"weighting, you should pass a 2D sample_weight array.")
    elif sample_weight is not None and np.ndim(sample_weight) != 1:
        raise ValueError(f"Found a sample_weight array with shape {np.shape(sample_weight)}. "
                         f"In order to use timestep-wise sample weighting, you should pass a "
                         f'2D sample_weight array and compile with sample_weight_mode='
                         f'"temporal"; otherwise pass a 1D array (one weight per sample).')
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=K.floatx())
        if y.shape[:sample_weight.ndim] != sample_weight.shape:
            raise ValueError(f"Found a sample_weight array with shape {sample_weight.shape} "
                             f"for targets of shape {y.shape}: sample_weight must match the "
                             f"leading axes of the targets")
        return sample_weight
    if isinstance(class_weight, dict):
        if y.ndim > 2:
            raise ValueError("class_weight not supported for 3+ dimensional targets.")
        y = np.asarray(y)  # reads a LazyRows: the labels, once
        classes = y.argmax(axis=1) if y.shape[1] > 1 else y.reshape(y.shape[0])
        missing = sorted({int(c) for c in np.unique(classes)} - {int(k) for k in class_weight})
        if missing:
            raise ValueError(f"class_weight has no entry for class(es) {missing} found in the "
                             f"targets; it has {sorted(class_weight)}")
        lookup = {int(k): float(v) for k, v in class_weight.items()}
        return np.asarray([lookup[int(c)] for c in classes], dtype=K.floatx())
    if class_weight is not None:
        raise TypeError(f"class_weight should be a dict {{class index: weight}}, got "
                        f"{type(class_weight).__name__}")
    shape = (y.shape[0],) if sample_weight_mode is None else y.shape[:2]
    return np.ones(shape, dtype=K.floatx())


def check_array_lengths(inputs: list[np.ndarray], targets: list[np.ndarray],
                        weights: list[np.ndarray], input_names: Sequence[str],
                        target_names: Sequence[str]) -> None:
    """Raise ValueError naming the arrays when they disagree on the number of samples."""
    def groups(arrays: list[np.ndarray], names: Sequence[str]) -> str:
        return ", ".join(f"{n!r}: {a.shape}" for n, a in zip(names, arrays, strict=True))

    x_lengths = {a.shape[0] for a in inputs}
    if len(x_lengths) > 1:
        raise ValueError(f"All input arrays (x) should have the same number of samples. Got "
                         f"{groups(inputs, input_names)}")
    y_lengths = {a.shape[0] for a in targets}
    if len(y_lengths) > 1:
        raise ValueError(f"All target arrays (y) should have the same number of samples. Got "
                         f"{groups(targets, target_names)}")
    w_lengths = {a.shape[0] for a in weights}
    if len(w_lengths) > 1:
        raise ValueError("All sample_weight arrays should have the same number of samples.")
    if x_lengths and y_lengths and x_lengths != y_lengths:
        raise ValueError(f"Input arrays should have the same number of samples as target "
                         f"arrays. Found {x_lengths.pop()} input samples and "
                         f"{y_lengths.pop()} target samples (inputs "
                         f"{groups(inputs, input_names)}; targets "
                         f"{groups(targets, target_names)}).")
    if x_lengths and w_lengths and x_lengths != w_lengths:
        raise ValueError(f"Sample_weight arrays should have the same number of samples as "
                         f"input arrays. Found {x_lengths.pop()} input samples and "
                         f"{w_lengths.pop()} sample weights.")


_SAME_SHAPE_LOSSES = ("mean_squared_error", "binary_crossentropy", "categorical_crossentropy")


def check_loss_and_target_compatibility(targets: list[np.ndarray], loss_fns: list[Any],
                                        output_shapes: list[Any],
                                        names: Sequence[str] | None = None) -> None:
    """Catch the classic mistakes: integer labels with categorical_crossentropy, targets
    shaped unlike the output. Losses are recognized by name, as Keras 1.2.2 does (so
    K.categorical_crossentropy counts too); `names` name the outputs in messages."""
    names = names if names is not None else [f"output_{k + 1}" for k in range(len(targets))]
    for y, loss, shape, name in zip(targets, loss_fns, output_shapes, names, strict=True):
        loss_name = getattr(loss, "__name__", None)
        if loss_name == "categorical_crossentropy" and y.shape[-1] == 1:
            raise ValueError(
                f"You are passing a target array of shape {y.shape} while using as loss "
                f"`categorical_crossentropy` (output {name!r}). `categorical_crossentropy` "
                f"expects targets to be binary matrices (1s and 0s) of shape (samples, "
                f"classes). If your targets are integer classes, you can convert them to the "
                f"expected format via:\n```\nfrom keras.utils.np_utils import to_categorical\n"
                f"y_binary = to_categorical(y_int)\n```\n\nAlternatively, you can use the loss "
                f"function `sparse_categorical_crossentropy` instead, which does expect integer "
                f"targets.")
        if loss_name in _SAME_SHAPE_LOSSES:
            for target_dim, out_dim in zip(y.shape[1:], shape[1:], strict=False):
                if out_dim is not None and target_dim != out_dim:
                    raise ValueError(f"A target array with shape {y.shape} was passed for an "
                                     f"output of shape {tuple(shape)} (output {name!r}) while "
                                     f"using as loss `{loss_name}`. This loss expects targets "
                                     f"to have the same shape as the output.")


def collect_metrics(metrics: Any, output_names: Sequence[str]) -> list[list[Any]]:
    """The metrics of each output, from a list (for all outputs) or a dict by output name."""
    if not metrics:
        return [[] for _ in output_names]
    if isinstance(metrics, (list, tuple)):
        return [list(metrics) for _ in output_names]
    if isinstance(metrics, dict):
        unknown = [k for k in metrics if k not in output_names]
        if unknown:
            raise ValueError(f"Unknown output name(s) {unknown} in `metrics`; the outputs are "
                             f"{list(output_names)}")
        out = []
        for name in output_names:
            value = metrics.get(name, [])
            out.append(list(value) if isinstance(value, (list, tuple)) else [value])
        return out
    raise TypeError(f"Type of `metrics` argument not understood. Expected a list or "
                    f"dictionary, found: {metrics!r}")


def weighted_objective(fn: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    """fn(y_true, y_pred) -> a scalar: mean(score * w) / mean(w != 0), masked as Keras does."""

    def weighted(y_true: Any, y_pred: Any, weights: Any, mask: Any = None) -> Any:
        score = fn(y_true, y_pred)
        if mask is not None:
            mask = K.cast(mask, K.floatx())
            score = score * mask
            score = score / K.mean(mask)
        if weights is not None:
            # Reduce the score to the weights' rank: (batch,) or (batch, time).
            score_ndim, weight_ndim = K.ndim(score), K.ndim(weights)
            if score_ndim > weight_ndim:
                score = K.mean(score, axis=list(range(weight_ndim, score_ndim)))
            score = score * weights
            score = score / K.mean(K.cast(K.not_equal(weights, 0), K.floatx()))
        return K.mean(score)

    weighted.__name__ = getattr(fn, "__name__", "loss")
    return weighted


def make_batches(size: int, batch_size: int) -> list[tuple[int, int]]:
    """(start, end) index pairs covering range(size) in steps of batch_size."""
    if batch_size is None or int(batch_size) < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    batch_size = int(batch_size)
    return [(i, min(size, i + batch_size)) for i in range(0, size, batch_size)]


def batch_shuffle(index_array: np.ndarray, batch_size: int) -> np.ndarray:
    """Shuffle whole batches (shuffle='batch', for HDF5 data): order inside a batch kept."""
    n_full = len(index_array) // batch_size
    tail = index_array[n_full * batch_size:]
    full = index_array[:n_full * batch_size].reshape((n_full, batch_size))
    np.random.shuffle(full)
    return np.append(full.flatten(), tail)


def slice_arrays(arrays: list[np.ndarray], start: Any = None, stop: int | None = None
                 ) -> list[np.ndarray]:
    """Rows start:stop of each array, or the rows listed in `start` (an index array)."""
    if isinstance(start, (list, np.ndarray)):
        return [a[start] for a in arrays]
    return [a[start:stop] for a in arrays]


def dedupe_labels(labels: Sequence[str]) -> list[str]:
    """Metric names made unique ('acc', 'acc_2', ...) as Keras's fit does."""
    out = []
    for i, label in enumerate(labels):
        if labels.count(label) > 1:
            label = f"{label}_{labels[:i].count(label) + 1}"
        out.append(label)
    return out
