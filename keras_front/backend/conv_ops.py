"""Convolution, pooling and resizing for K: conv1d, conv2d, conv3d, deconv2d,
atrous_conv2d, separable_conv2d, pool2d, pool3d, resize_images, resize_volumes.

Keras 1.2.2's Theano backend, argument for argument:

- Layouts: dim_ordering 'th' is channels first -- input (batch, channels, *spatial),
  kernel (out, in, *kernel); 'tf' is channels last -- input (batch, *spatial, channels),
  kernel (*kernel, in, out). 'default' means K.image_dim_ordering(). Keras 2's spellings
  are accepted as keywords (`padding=` for border_mode, `data_format=` for dim_ordering,
  `dilation_rate=` for filter_dilation); kernels keep the Keras 1 layout of the ordering.
- Convolutions are true convolutions (the kernel's spatial axes reversed), as Theano's
  conv2d computes them for Keras 1.2.2 -- for both orderings. Kernels trained with
  TensorFlow (which correlates) convert with keras_front.utils.np_utils.convert_kernel;
  loading a file saved by the TensorFlow backend flips them automatically.
- border_mode 'same' is Theano's 'half' padding (kernel extent // 2 on each side); for
  even kernel extents that gives one row / column too many, and, as Keras 1.2.2 does,
  the output keeps the first ceil(length / stride). So an even kernel's 'same' padding
  is one extra row on top, where TensorFlow would add it at the bottom.
- Pooling 'same' pads ws - 1 on both sides (ws - 2 for odd windows above 2) and keeps the
  first ceil(length / stride) windows; averages leave the padding out
  ('average_exc_pad'), as Keras 1.2.2's Theano backend does.

Where Keras 1.2.2's Theano backend raises NotImplementedError (conv1d, atrous_conv2d,
separable_conv2d) these implement what its TensorFlow backend computes, with the
Theano convention of flipped kernels: conv1d takes (length, in, out) kernels,
separable_conv2d a depthwise kernel ('th': (multiplier, in, rows, cols), 'tf': (rows,
cols, in, multiplier)) and a 1x1 pointwise kernel; depthwise output channel c * multiplier
+ m comes from input channel c, as in TensorFlow. deconv2d returns exactly `output_shape`
(Keras 1.2.2 crops 'same' outputs of even kernels by the input's length, a size the
output shape it was given already fixes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph.graph import Variable

from .common import normalize_dim_ordering
from .variables import int_shape

_BORDER_MODES = {"same": "half", "valid": "valid", "full": "full"}
_POOL_MODES = {"max": "max", "avg": "average_exc_pad"}
# Channels-last <-> channels-first permutations, by number of spatial dims.
_TO_TH = {1: (0, 2, 1), 2: (0, 3, 1, 2), 3: (0, 4, 1, 2, 3)}
_TO_TF = {1: (0, 2, 1), 2: (0, 2, 3, 1), 3: (0, 2, 3, 4, 1)}
_KERNEL_TO_TH = {2: (3, 2, 0, 1), 3: (4, 3, 0, 1, 2)}


def _t(x: Any) -> Variable:
    return sg.as_tensor(x)


def _alias(what: str, keras1: tuple[str, Any], keras2: tuple[str, Any], default: Any) -> Any:
    """One argument given under its Keras 1 or its Keras 2 name (not both)."""
    (name1, v1), (name2, v2) = keras1, keras2
    if v2 is None:
        return v1
    if v1 is not None and v1 != default and v1 != v2:
        raise TypeError(f"{what}: give {name1} or its Keras 2 name {name2}, not both "
                        f"({name1}={v1!r}, {name2}={v2!r})")
    return v2


def _ordering(what: str, dim_ordering: Any, data_format: Any) -> str:
    return normalize_dim_ordering(_alias(what, ("dim_ordering", dim_ordering),
                                         ("data_format", data_format), "default"))


def _border(what: str, border_mode: Any, padding: Any, allowed: Sequence[str]) -> str:
    mode = _alias(what, ("border_mode", border_mode), ("padding", padding), "valid")
    mode = mode.lower() if isinstance(mode, str) else mode
    if mode not in allowed:
        names = ", ".join(repr(m) for m in allowed)
        raise ValueError(f"{what}: border_mode must be one of {names}, got {mode!r}")
    return mode


def _ints(value: Any, n: int, what: str, arg: str) -> tuple[int, ...]:
    items = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(items) != n:
        raise ValueError(f"{what}: {arg} must be an int or {n} ints, got {value!r}")
    return tuple(int(v) for v in items)


def _check_rank(x: Variable, rank: int, what: str, label: str, layout: str) -> None:
    if x.ndim != rank:
        raise ValueError(f"{what}: {label} must be {rank}-d ({layout}), got {x.type}")


def _to_th(x: Variable, ordering: str, nd: int) -> Variable:
    return sg.dimshuffle(x, _TO_TH[nd]) if ordering == "tf" else x


def _from_th(x: Variable, ordering: str, nd: int) -> Variable:
    return sg.dimshuffle(x, _TO_TF[nd]) if ordering == "tf" else x


def _kernel_to_th(kernel: Variable, ordering: str, nd: int) -> Variable:
    return sg.dimshuffle(kernel, _KERNEL_TO_TH[nd]) if ordering == "tf" else kernel


def _hint_to_th(shape: Any, ordering: str, perm: Sequence[int]) -> tuple | None:
    """A shape hint given in the ordering's layout, in channels-first order."""
    if shape is None:
        return None
    shape = tuple(None if d is None else int(d) for d in shape)
    return tuple(shape[p] for p in perm) if ordering == "tf" else shape


def _keep_same(out: Variable, x_th: Variable, mode: str, kernel_th: Variable,
               strides: Sequence[int], dilation: Sequence[int]) -> Variable:
    """'same': keep the first ceil(n / stride) positions (more only for even kernel
    extents; a kernel of unknown shape gets the slice anyway, a no-op when odd)."""
    if mode != "same":
        return out
    nd = len(strides)
    kdims = int_shape(kernel_th)[2:]
    index: list[Any] = [slice(None), slice(None)]
    for a in range(nd):
        k = kdims[a]
        if k is not None and ((k - 1) * dilation[a] + 1) % 2:
            index.append(slice(None))
            continue
        n = x_th.type.shape[2 + a]
        keep = sg.shape_i(x_th, 2 + a) if n is None else n
        index.append(slice(None, (keep + strides[a] - 1) // strides[a]))
    return out[tuple(index)]


# ---------------------------------------------------------------- convolutions


def _conv(nd: int, what: str, x: Any, kernel: Any, strides: Any, border_mode: str,
          ordering: str, image_shape: Any, filter_shape: Any, dilation: Any) -> Variable:
    x, kernel = _t(x), _t(kernel)
    spatial = "rows, cols" if nd == 2 else "d1, d2, d3"
    layout = f"batch, {spatial}, channels" if ordering == "tf" else \
        f"batch, channels, {spatial}"
    _check_rank(x, nd + 2, what, "input", layout)
    _check_rank(kernel, nd + 2, what, "kernel",
                f"{spatial}, in, out" if ordering == "tf" else f"out, in, {spatial}")
    strides = _ints(strides, nd, what, "strides")
    dilation = _ints(dilation, nd, what, "filter_dilation")
    x_th = _to_th(x, ordering, nd)
    k_th = _kernel_to_th(kernel, ordering, nd)
    conv = sg.nnet.conv2d if nd == 2 else sg.nnet.conv3d
    out = conv(x_th, k_th, input_shape=_hint_to_th(image_shape, ordering, _TO_TH[nd]),
               filter_shape=_hint_to_th(filter_shape, ordering, _KERNEL_TO_TH[nd]),
               border_mode=_BORDER_MODES[border_mode], subsample=strides,
               filter_dilation=dilation)
    out = _keep_same(out, x_th, border_mode, k_th, strides, dilation)
    return _from_th(out, ordering, nd)


def conv2d(x: Any, kernel: Any, strides: Any = (1, 1), border_mode: str = "valid",
           dim_ordering: str = "default", image_shape: Any = None, filter_shape: Any = None,
           filter_dilation: Any = (1, 1), *, padding: str | None = None,
           data_format: str | None = None, dilation_rate: Any = None) -> Variable:
    """2-d convolution of a 4-d input with a 4-d kernel (see the module docstring)."""
    what = "conv2d"
    ordering = _ordering(what, dim_ordering, data_format)
    mode = _border(what, border_mode, padding, ("valid", "same", "full"))
    dilation = _alias(what, ("filter_dilation", filter_dilation),
                      ("dilation_rate", dilation_rate), (1, 1))
    return _conv(2, what, x, kernel, strides, mode, ordering, image_shape, filter_shape,
                 dilation)


def conv3d(x: Any, kernel: Any, strides: Any = (1, 1, 1), border_mode: str = "valid",
           dim_ordering: str = "default", volume_shape: Any = None, filter_shape: Any = None,
           filter_dilation: Any = (1, 1, 1), *, padding: str | None = None,
           data_format: str | None = None, dilation_rate: Any = None) -> Variable:
    """3-d convolution of a 5-d input with a 5-d kernel (see the module docstring)."""
    what = "conv3d"
    ordering = _ordering(what, dim_ordering, data_format)
    mode = _border(what, border_mode, padding, ("valid", "same", "full"))
    dilation = _alias(what, ("filter_dilation", filter_dilation),
                      ("dilation_rate", dilation_rate), (1, 1, 1))
    return _conv(3, what, x, kernel, strides, mode, ordering, volume_shape, filter_shape,
                 dilation)


def atrous_conv2d(x: Any, kernel: Any, rate: int = 1, border_mode: str = "valid",
                  dim_ordering: str = "default", image_shape: Any = None,
                  filter_shape: Any = None) -> Variable:
    """conv2d with the kernel's taps `rate` apart (a dilated convolution), stride 1."""
    return conv2d(x, kernel, (1, 1), border_mode, dim_ordering, image_shape, filter_shape,
                  (int(rate), int(rate)))


def conv1d(x: Any, kernel: Any, stride: int = 1, border_mode: str = "valid",
           image_shape: Any = None, filter_shape: Any = None, *, padding: str | None = None,
           dilation_rate: int = 1) -> Variable:
    """1-d convolution of (samples, steps, input_dim) with a (length, input_dim, filters)
    kernel -> (samples, new_steps, filters)."""
    what = "conv1d"
    x, kernel = _t(x), _t(kernel)
    mode = _border(what, border_mode, padding, ("valid", "same", "full"))
    _check_rank(x, 3, what, "input", "samples, steps, input_dim")
    _check_rank(kernel, 3, what, "kernel", "length, input_dim, filters")
    # The length becomes the rows of a 'tf' image of one column.
    out = conv2d(sg.expand_dims(x, 2), sg.expand_dims(kernel, 1), (int(stride), 1), mode,
                 "tf", filter_dilation=(int(dilation_rate), 1))
    return sg.squeeze(out, 2)


def deconv2d(x: Any, kernel: Any, output_shape: Sequence[Any], strides: Any = (1, 1),
             border_mode: str = "valid", dim_ordering: str = "default",
             image_shape: Any = None, filter_shape: Any = None, *,
             padding: str | None = None, data_format: str | None = None) -> Variable:
    """The transposed convolution (the gradient of conv2d with respect to its input):
    `x` is shaped like conv2d's output, the result like `output_shape` (batch, channels,
    rows, cols in the ordering's layout). The kernel is the one conv2d from the result
    back to x would use: 'th' (x channels, result channels, rows, cols) -- Keras 1.2.2's
    Deconvolution2D kernel (nb_filter, stack_size, rows, cols) read the other way."""
    what = "deconv2d"
    ordering = _ordering(what, dim_ordering, data_format)
    mode = _border(what, border_mode, padding, ("valid", "same", "full"))
    x, kernel = _t(x), _t(kernel)
    _check_rank(x, 4, what, "input", "batch, channels, rows, cols" if ordering == "th"
                else "batch, rows, cols, channels")
    _check_rank(kernel, 4, what, "kernel", "out, in, rows, cols" if ordering == "th"
                else "rows, cols, in, out")
    shape = list(output_shape)
    if len(shape) != 4:
        raise ValueError(f"{what}: output_shape must have 4 entries, got {output_shape!r}")
    rows_cols = shape[1:3] if ordering == "tf" else shape[2:]
    if any(d is None for d in rows_cols):
        raise ValueError(f"{what}: output_shape must give the rows and cols, got "
                         f"{output_shape!r}")
    x_th = _to_th(x, ordering, 2)
    # Keras 1.2.2 reads the layer's (out=nb_filter, in=stack_size) kernel as the kernel of
    # the convolution from the result (nb_filter channels) back to x (stack_size).
    k_th = sg.dimshuffle(_kernel_to_th(kernel, ordering, 2), (1, 0, 2, 3))
    out = sg.nnet.conv2d_grad_wrt_inputs(x_th, k_th, [int(d) for d in rows_cols],
                                         border_mode=_BORDER_MODES[mode],
                                         subsample=_ints(strides, 2, what, "strides"))
    return _from_th(out, ordering, 2)


def separable_conv2d(x: Any, depthwise_kernel: Any, pointwise_kernel: Any,
                     strides: Any = (1, 1), border_mode: str = "valid",
                     dim_ordering: str = "default", *, padding: str | None = None,
                     data_format: str | None = None) -> Variable:
    """A depthwise convolution (each input channel by its own `multiplier` kernels, with
    the strides) followed by a pointwise 1x1 convolution mixing the channels."""
    what = "separable_conv2d"
    ordering = _ordering(what, dim_ordering, data_format)
    mode = _border(what, border_mode, padding, ("valid", "same"))
    x, dk, pk = _t(x), _t(depthwise_kernel), _t(pointwise_kernel)
    _check_rank(x, 4, what, "input", "batch, channels, rows, cols" if ordering == "th"
                else "batch, rows, cols, channels")
    for label, k in (("depthwise kernel", dk), ("pointwise kernel", pk)):
        _check_rank(k, 4, what, label, "out, in, rows, cols" if ordering == "th"
                    else "rows, cols, in, out")
    strides = _ints(strides, 2, what, "strides")
    x_th = _to_th(x, ordering, 2)
    # (channels, multiplier, rows, cols) -> one kernel per (channel, multiplier) pair.
    dk_cm = sg.dimshuffle(dk, (2, 3, 0, 1) if ordering == "tf" else (1, 0, 2, 3))
    channels, multiplier = int_shape(dk_cm)[:2]
    if channels is None or multiplier is None:
        raise ValueError(f"{what}: the depthwise kernel's shape must be known, got {dk.type}")
    if x_th.type.shape[1] not in (None, channels):
        raise ValueError(f"{what}: input {x.type} has {x_th.type.shape[1]} channels but the "
                         f"depthwise kernel {dk.type} is for {channels}")
    kdims = int_shape(dk_cm)[2:]
    depthwise_th = sg.reshape(dk_cm, (channels * multiplier, 1) + tuple(kdims))
    depthwise = sg.nnet.conv2d(x_th, depthwise_th, border_mode=_BORDER_MODES[mode],
                               subsample=strides, num_groups=channels)
    depthwise = _keep_same(depthwise, x_th, mode, depthwise_th, strides, (1, 1))
    out = sg.nnet.conv2d(depthwise, _kernel_to_th(pk, ordering, 2))
    return _from_th(out, ordering, 2)


# ---------------------------------------------------------------- pooling


def _same_pad(ws: int) -> int:
    """Keras 1.2.2's Theano padding for 'same' pooling along one axis."""
    return ws - 2 if ws > 2 and ws % 2 == 1 else ws - 1


def _pool(nd: int, what: str, x: Any, pool_size: Any, strides: Any, border_mode: str,
          ordering: str, pool_mode: str) -> Variable:
    x = _t(x)
    spatial = "rows, cols" if nd == 2 else "d1, d2, d3"
    _check_rank(x, nd + 2, what, "input", f"batch, {spatial}, channels" if ordering == "tf"
                else f"batch, channels, {spatial}")
    if pool_mode not in _POOL_MODES:
        raise ValueError(f"{what}: pool_mode must be 'max' or 'avg', got {pool_mode!r}")
    ws = _ints(pool_size, nd, what, "pool_size")
    st = _ints(strides, nd, what, "strides")
    if min(ws) < 1 or min(st) < 1:
        raise ValueError(f"{what}: pool_size and strides must be >= 1, got pool_size={ws}, "
                         f"strides={st}")
    pad = tuple(_same_pad(w) for w in ws) if border_mode == "same" else (0,) * nd
    x_th = _to_th(x, ordering, nd)
    pool = sg.nnet.pool_2d if nd == 2 else sg.nnet.pool_3d
    out = pool(x_th, ws, ignore_border=True, stride=st, pad=pad, mode=_POOL_MODES[pool_mode])
    if border_mode == "same":
        index: list[Any] = [slice(None), slice(None)]
        for a in range(nd):
            n = x_th.type.shape[2 + a]
            n = sg.shape_i(x_th, 2 + a) if n is None else n
            index.append(slice(None, (n + st[a] - 1) // st[a]))
        out = out[tuple(index)]
    return _from_th(out, ordering, nd)


def pool2d(x: Any, pool_size: Any, strides: Any = (1, 1), border_mode: str = "valid",
           dim_ordering: str = "default", pool_mode: str = "max", *,
           padding: str | None = None, data_format: str | None = None) -> Variable:
    """Max ('max') or average ('avg') pooling over the rows and cols of a 4-d input."""
    what = "pool2d"
    return _pool(2, what, x, pool_size, strides, _border(what, border_mode, padding,
                                                         ("valid", "same")),
                 _ordering(what, dim_ordering, data_format), pool_mode)


def pool3d(x: Any, pool_size: Any, strides: Any = (1, 1, 1), border_mode: str = "valid",
           dim_ordering: str = "default", pool_mode: str = "max", *,
           padding: str | None = None, data_format: str | None = None) -> Variable:
    """Max ('max') or average ('avg') pooling over the three spatial dims of a 5-d input."""
    what = "pool3d"
    return _pool(3, what, x, pool_size, strides, _border(what, border_mode, padding,
                                                         ("valid", "same")),
                 _ordering(what, dim_ordering, data_format), pool_mode)


# ---------------------------------------------------------------- resizing


def _resize(what: str, x: Any, factors: Sequence[int], ordering: str) -> Variable:
    x = _t(x)
    nd = len(factors)
    _check_rank(x, nd + 2, what, "input", "channels last" if ordering == "tf"
                else "channels first")
    first = 1 if ordering == "tf" else 2
    for a, factor in enumerate(factors):
        if int(factor) != 1:
            x = sg.repeat(x, int(factor), axis=first + a)
    return x


def resize_images(X: Any, height_factor: int, width_factor: int,  # noqa: N803 (Keras)
                  dim_ordering: str = "default", *, data_format: str | None = None
                  ) -> Variable:
    """Repeat each row height_factor times and each column width_factor times
    (UpSampling2D)."""
    ordering = _ordering("resize_images", dim_ordering, data_format)
    return _resize("resize_images", X, (height_factor, width_factor), ordering)


def resize_volumes(X: Any, depth_factor: int, height_factor: int,  # noqa: N803 (Keras)
                   width_factor: int, dim_ordering: str = "default", *,
                   data_format: str | None = None) -> Variable:
    """Repeat the three spatial dims of a 5-d input by the factors (UpSampling3D)."""
    ordering = _ordering("resize_volumes", dim_ordering, data_format)
    return _resize("resize_volumes", X, (depth_factor, height_factor, width_factor),
                   ordering)
