"""Direct-loop NumPy references for the convolution and pooling tests of keras_front
(the backend's K.conv*/K.pool* and the layers on them), written from Keras 1.2.2's
Theano semantics, independently of symgraph's im2col kernels:

- a convolution is, for every output position, the sum over (channel, tap) of the
  zero-padded input times the kernel -- flipped (Theano convolves);
- border_mode 'same' pads extent // 2 on both sides (the kernel's extent with dilation)
  and keeps the first ceil(n / stride) outputs; 'full' pads extent - 1;
- pooling 'same' pads ws - 1 (ws - 2 for odd ws > 2) on both sides, never lets padding
  win a max or count in an average, and keeps the first ceil(n / stride) windows.

All arrays here are channels first; `to_tf` / `from_tf` move channels last and back.
"""

from __future__ import annotations

import itertools

import numpy as np


def to_tf(x: np.ndarray) -> np.ndarray:
    """(batch, channels, *spatial) -> (batch, *spatial, channels)."""
    return np.moveaxis(x, 1, -1)


def from_tf(x: np.ndarray) -> np.ndarray:
    """(batch, *spatial, channels) -> (batch, channels, *spatial)."""
    return np.moveaxis(x, -1, 1)


def kernel_to_tf(w: np.ndarray) -> np.ndarray:
    """(out, in, *kernel) -> (*kernel, in, out)."""
    return np.transpose(w, (*range(2, w.ndim), 1, 0))


def _pads(mode: str, ext: int) -> int:
    return {"valid": 0, "same": ext // 2, "full": ext - 1}[mode]


def conv(x: np.ndarray, w: np.ndarray, mode: str = "valid", strides=None, dilation=None,
         flip: bool = True, groups: int = 1) -> np.ndarray:
    """Channels-first convolution of x (n, c, *s) with w (o, c // groups, *k), by loops
    over output positions and kernel taps."""
    nd = x.ndim - 2
    strides = strides or (1,) * nd
    dilation = dilation or (1,) * nd
    n, c = x.shape[:2]
    o, per_group = w.shape[:2]
    kdims = w.shape[2:]
    ext = [(k - 1) * d + 1 for k, d in zip(kdims, dilation, strict=True)]
    pads = [_pads(mode, e) for e in ext]
    xp = np.pad(x, [(0, 0), (0, 0)] + [(p, p) for p in pads])
    out_dims = [(xp.shape[2 + a] - ext[a]) // strides[a] + 1 for a in range(nd)]
    kernel = w[(slice(None), slice(None)) + (slice(None, None, -1),) * nd] if flip else w
    out = np.zeros((n, o, *out_dims))
    per_out = o // groups
    for f in range(o):
        g = f // per_out
        chans = range(g * per_group, (g + 1) * per_group)
        for pos in itertools.product(*(range(d) for d in out_dims)):
            total = np.zeros(n)
            for tap in itertools.product(*(range(k) for k in kdims)):
                idx = tuple(p * s + t * d for p, s, t, d in
                            zip(pos, strides, tap, dilation, strict=True))
                for ci, ch in enumerate(chans):
                    total += xp[(slice(None), ch) + idx] * kernel[(f, ci) + tap]
            out[(slice(None), f) + pos] = total
    if mode == "same":
        keep = tuple(slice(0, (x.shape[2 + a] + strides[a] - 1) // strides[a])
                     for a in range(nd))
        out = out[(slice(None), slice(None)) + keep]
    return out


def deconv(x: np.ndarray, w: np.ndarray, out_dims, mode: str = "valid",
           strides=(1, 1)) -> np.ndarray:
    """Keras 1.2.2's Deconvolution2D, channels first: x (n, stack, h, w) with the layer's
    kernel w (nb_filter, stack, r, c); every input value scatters kernel * value onto the
    padded output (the adjoint of the flipped convolution from the output back to x)."""
    n, stack = x.shape[:2]
    nb_filter, _, kr, kc = w.shape
    pads = (_pads(mode, kr), _pads(mode, kc))
    outp = np.zeros((n, nb_filter, out_dims[0] + 2 * pads[0], out_dims[1] + 2 * pads[1]))
    for i, j in itertools.product(range(x.shape[2]), range(x.shape[3])):
        for a, b in itertools.product(range(kr), range(kc)):
            r, cc = i * strides[0] + a, j * strides[1] + b
            # value x[:, o, i, j] times kernel tap (kr-1-a, kc-1-b) of filter f, input o
            outp[:, :, r, cc] += x[:, :, i, j] @ w[:, :, kr - 1 - a, kc - 1 - b].T
    return outp[:, :, pads[0]:pads[0] + out_dims[0], pads[1]:pads[1] + out_dims[1]]


def _same_pad(ws: int) -> int:
    return ws - 2 if ws > 2 and ws % 2 == 1 else ws - 1


def pool(x: np.ndarray, ws, strides, mode: str = "valid", how: str = "max") -> np.ndarray:
    """Channels-first pooling of the trailing dims by loops over windows."""
    nd = len(ws)
    dims = x.shape[2:]
    pads = [_same_pad(w) if mode == "same" else 0 for w in ws]
    out_dims = [(dims[a] + 2 * pads[a] - ws[a]) // strides[a] + 1 for a in range(nd)]
    if mode == "same":
        out_dims = [min(o, (dims[a] + strides[a] - 1) // strides[a])
                    for a, o in enumerate(out_dims)]
    out = np.zeros(x.shape[:2] + tuple(out_dims))
    for pos in itertools.product(*(range(d) for d in out_dims)):
        ranges = []
        for a in range(nd):
            lo = pos[a] * strides[a] - pads[a]
            ranges.append(range(max(lo, 0), min(lo + ws[a], dims[a])))
        window = x[(slice(None), slice(None)) + np.ix_(*ranges)]
        flat = window.reshape(x.shape[:2] + (-1,))
        out[(slice(None), slice(None)) + pos] = flat.max(-1) if how == "max" else \
            flat.mean(-1)
    return out
