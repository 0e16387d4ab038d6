"""NumPy helpers from Keras 1.x's np_utils: one-hot labels, normalization, conv arithmetic."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..backend import normalize_dim_ordering

# Theano's conv2d flips the kernel (a true convolution); TensorFlow and CNTK correlate.
# keras_front's K follows Theano: the backend its saved files name.
KERNEL_BACKEND = "theano"
_USES_CORRELATION = {"tensorflow": True, "cntk": True, "theano": False}


def to_categorical(y: Any, num_classes: int | None = None, nb_classes: int | None = None,
                   dtype: str = "float32") -> np.ndarray:
    """Integer class labels -> one-hot rows (`nb_classes` is the Keras 1.x spelling).

    Labels of shape (n,) or (n, 1) give (n, num_classes); other shapes keep their axes
    and gain a last one. num_classes defaults to max(y) + 1.
    """
    if num_classes is not None and nb_classes is not None and num_classes != nb_classes:
        raise ValueError(f"to_categorical: num_classes={num_classes} and nb_classes="
                         f"{nb_classes} disagree")
    n_cls = num_classes if num_classes is not None else nb_classes
    arr = np.asarray(y)
    if arr.size and not np.all(np.equal(np.mod(arr, 1), 0)):
        raise ValueError("to_categorical: labels must be whole numbers")
    labels = arr.astype("int64")
    shape = labels.shape
    if len(shape) > 1 and shape[-1] == 1:
        shape = shape[:-1]
    labels = labels.ravel()
    if labels.size and labels.min() < 0:
        raise ValueError(f"to_categorical: labels must be >= 0, got {labels.min()}")
    if not n_cls:
        n_cls = int(labels.max()) + 1 if labels.size else 0
    if labels.size and labels.max() >= n_cls:
        raise ValueError(f"to_categorical: label {labels.max()} is out of range for "
                         f"{n_cls} classes")
    out = np.zeros((labels.size, n_cls), dtype=dtype)
    out[np.arange(labels.size), labels] = 1
    return out.reshape(shape + (n_cls,))


def normalize(a: Any, axis: int = -1, order: int = 2) -> np.ndarray:
    """a divided by its `order`-norm along axis (zero vectors stay zero)."""
    a = np.asarray(a)
    norms = np.atleast_1d(np.linalg.norm(a, order, axis))
    norms[norms == 0] = 1
    return a / np.expand_dims(norms, axis)


def categorical_probas_to_classes(p: Any) -> np.ndarray:
    """Row-wise argmax of class probabilities."""
    return np.argmax(p, axis=1)


def probas_to_classes(y_pred: Any) -> np.ndarray:
    """Class predictions from probabilities: argmax for several columns, > 0.5 for one."""
    y_pred = np.asarray(y_pred)
    if y_pred.ndim > 1 and y_pred.shape[1] > 1:
        return categorical_probas_to_classes(y_pred)
    return np.array([1 if p > 0.5 else 0 for p in y_pred.ravel()])


def flip_kernel(kernel: np.ndarray, spatial_axes: Sequence[int]) -> np.ndarray:
    """A copy of the kernel with its spatial axes reversed: convolution <-> correlation
    (Keras's conv_utils.convert_kernel, with the axes given explicitly)."""
    kernel = np.asarray(kernel)
    index = [slice(None)] * kernel.ndim
    for axis in spatial_axes:
        index[axis] = slice(None, None, -1)
    return np.copy(kernel[tuple(index)])


def convert_kernel(kernel: np.ndarray, dim_ordering: str = "default") -> np.ndarray:
    """Flip a convolution kernel's spatial axes (Theano convolution <-> correlation)."""
    kernel = np.asarray(kernel)
    ordering = normalize_dim_ordering(dim_ordering)
    if kernel.ndim not in (3, 4, 5):
        raise ValueError(f"convert_kernel: expected a 3-, 4- or 5-d kernel, got {kernel.ndim}-d")
    n = kernel.ndim - 2
    return flip_kernel(kernel, range(2, 2 + n) if ordering == "th" else range(n))


def kernels_need_flip(file_backend: str | None) -> bool:
    """True when kernels from a file of `file_backend` must be flipped for our K (Keras's
    rule: only when both backends are known and one correlates, the other convolves)."""
    if file_backend not in _USES_CORRELATION:
        return False
    return _USES_CORRELATION[file_backend] != _USES_CORRELATION[KERNEL_BACKEND]


def conv_output_length(input_length: int | None, filter_size: int, border_mode: str,
                       stride: int, dilation: int = 1) -> int | None:
    """Output length of a convolution ('same', 'valid' or 'full' border mode)."""
    if input_length is None:
        return None
    if border_mode not in ("same", "valid", "full"):
        raise ValueError(f"Invalid border mode: {border_mode!r}")
    dilated = filter_size + (filter_size - 1) * (dilation - 1)
    length = {"same": input_length, "valid": input_length - dilated + 1,
              "full": input_length + dilated - 1}[border_mode]
    return (length + stride - 1) // stride


def conv_input_length(output_length: int | None, filter_size: int, border_mode: str,
                      stride: int) -> int | None:
    """Input length that gives `output_length` (for transposed convolutions)."""
    if output_length is None:
        return None
    if border_mode not in ("same", "valid", "full"):
        raise ValueError(f"Invalid border mode: {border_mode!r}")
    pad = {"same": filter_size // 2, "valid": 0, "full": filter_size - 1}[border_mode]
    return (output_length - 1) * stride - 2 * pad + filter_size
