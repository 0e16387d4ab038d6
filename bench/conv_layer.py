"""conv2d forward and backward: the compiled op next to NumPy and SciPy written by hand.

    python -m bench.conv_layer

(bench.conv times a whole training step of a small convnet against NumPy, PyTorch and
JAX.)

The layer: a typical small CNN's second convolution -- batch 32, 32 channels of 28x28,
64 filters of 3x3, border_mode='valid', stride 1, float32, true convolution (Keras 1.x on
Theano). Rows:

- forward: `sg.nnet.conv2d` compiled, vs a direct NumPy im2col (sliding_window_view,
  one copy into a (batch*positions, channels*taps) matrix, one matrix product, as in the
  textbook / cs231n implementation);
- backward: the gradients with respect to input and filters given the output's gradient
  (`sg.Lop`, i.e. Conv2dGradInputs + Conv2dGradWeights), vs the same textbook im2col
  backward (im2col of the input, one product per gradient, col2im by a loop over the 9
  kernel taps);
- single channel: one 28x28 image and one 3x3 kernel, and a first layer (batch 32, 1
  channel -> 32 filters), vs `scipy.signal.convolve2d` (called once per image and filter).

Prints milliseconds per call and the ratio symgraph / reference (below 1 = faster).
BLAS runs on one thread (see bench/__init__.py).
"""

from __future__ import annotations

import os
import platform

import numpy as np
import scipy
import scipy.signal
from numpy.lib.stride_tricks import sliding_window_view

import symgraph as sg
from bench.overhead import REPEATS, per_call_pair

BATCH, C_IN, SIZE, C_OUT, K = 32, 32, 28, 64, 3


# ---------------------------------------------------------------- references by hand


def numpy_im2col(x: np.ndarray, kh: int, kw: int) -> np.ndarray:
    """(batch * positions, channels * taps): one row per output position ('valid')."""
    n, c, h, wd = x.shape
    windows = sliding_window_view(x, (kh, kw), axis=(2, 3))          # (n, c, oh, ow, kh, kw)
    return windows.transpose(0, 2, 3, 1, 4, 5).reshape(n * (h - kh + 1) * (wd - kw + 1),
                                                         c * kh * kw)


def numpy_forward(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Textbook im2col convolution ('valid', stride 1, flipped kernel): one product."""
    n, _, h, wd = x.shape
    o, _, kh, kw = w.shape
    kmat = w[:, :, ::-1, ::-1].reshape(o, -1)
    out = numpy_im2col(x, kh, kw) @ kmat.T
    return out.reshape(n, h - kh + 1, wd - kw + 1, o).transpose(0, 3, 1, 2)


def numpy_backward(cols: np.ndarray, w: np.ndarray, gy: np.ndarray,
                   in_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Textbook im2col gradients: one product each, col2im by a loop over kernel taps."""
    n, c, h, wd = in_shape
    o, _, kh, kw = w.shape
    oh, ow = gy.shape[2:]
    g2 = gy.transpose(0, 2, 3, 1).reshape(-1, o)                       # (n*oh*ow, o)
    gw = (g2.T @ cols).reshape(w.shape)[:, :, ::-1, ::-1]
    dcols = (g2 @ w[:, :, ::-1, ::-1].reshape(o, -1)).reshape(n, oh, ow, c, kh, kw)
    gx = np.zeros(in_shape, dtype=gy.dtype)
    for i in range(kh):
        for j in range(kw):
            gx[:, :, i:i + oh, j:j + ow] += dcols[..., i, j].transpose(0, 3, 1, 2)
    return gx, gw


def scipy_layer(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """conv2d with scipy.signal.convolve2d: one call per (image, filter, channel)."""
    n, c = x.shape[:2]
    o = w.shape[0]
    first = scipy.signal.convolve2d(x[0, 0], w[0, 0], mode="valid")
    out = np.zeros((n, o) + first.shape, dtype=x.dtype)
    for b in range(n):
        for f in range(o):
            for ch in range(c):
                out[b, f] += scipy.signal.convolve2d(x[b, ch], w[f, ch], mode="valid")
    return out


# ---------------------------------------------------------------- compiled


def compiled() -> tuple[sg.Function, sg.Function]:
    """The forward function and the backward function (input and filter gradients)."""
    x = sg.tensor("x", dtype="float32", shape=(None, C_IN, SIZE, SIZE))
    w = sg.tensor("w", dtype="float32", shape=(C_OUT, C_IN, K, K))
    gy = sg.tensor("gy", dtype="float32", shape=(None, C_OUT, SIZE - K + 1, SIZE - K + 1))
    y = sg.nnet.conv2d(x, w)
    forward = sg.function([x, w], y, name="conv_forward")
    backward = sg.function([x, w, gy], sg.Lop(y, [x, w], gy), name="conv_backward")
    return forward, backward


def _ms(pair: tuple[float, float]) -> tuple[float, float]:
    return pair[0] * 1e3, pair[1] * 1e3


def rows() -> list[tuple[str, str, float, float]]:
    """(workload, reference name, symgraph ms, reference ms) for each line of the table."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, C_IN, SIZE, SIZE)).astype("float32")
    w = (rng.normal(size=(C_OUT, C_IN, K, K)) * 0.1).astype("float32")
    forward, backward = compiled()
    y_ref = numpy_forward(x, w)
    y = forward(x, w)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, y_ref, rtol=1e-4, atol=1e-4)
    gy = rng.normal(size=y.shape).astype("float32")
    gx, gw = backward(x, w, gy)
    gx_ref, gw_ref = numpy_backward(numpy_im2col(x, K, K), w, gy, x.shape)
    np.testing.assert_allclose(gx, gx_ref, rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(gw, gw_ref, rtol=1e-3, atol=1e-2)

    layer = f"{BATCH}x{C_IN}x{SIZE}x{SIZE}, {K}x{K}, {C_IN}->{C_OUT}"
    out = [
        (f"forward {layer}", "NumPy im2col",
         *_ms(per_call_pair(lambda: forward(x, w), lambda: numpy_forward(x, w)))),
        (f"backward {layer}", "NumPy im2col",
         *_ms(per_call_pair(lambda: backward(x, w, gy),
                            lambda: numpy_backward(numpy_im2col(x, K, K), w, gy, x.shape)))),
    ]

    for n, o in ((1, 1), (BATCH, 32)):
        xs = rng.normal(size=(n, 1, SIZE, SIZE)).astype("float32")
        ws = rng.normal(size=(o, 1, K, K)).astype("float32")
        xv, wv = sg.ftensor4("x"), sg.ftensor4("w")
        f = sg.function([xv, wv], sg.nnet.conv2d(xv, wv))
        np.testing.assert_allclose(f(xs, ws), scipy_layer(xs, ws), rtol=1e-4, atol=1e-4)
        label = ("one 28x28 image, one 3x3 kernel" if n == 1 else
                 f"first layer {n}x1x{SIZE}x{SIZE}, {K}x{K}, 1->{o}")
        out.append((label, "scipy.signal.convolve2d",
                    *_ms(per_call_pair(lambda f=f, a=xs, b=ws: f(a, b),
                                       lambda a=xs, b=ws: scipy_layer(a, b), repeats=3))))
    return out


def main() -> None:
    """Measure and print the table."""
    print(f"symgraph {sg.__version__}, NumPy {np.__version__}, SciPy {scipy.__version__}, "
          f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} "
          f"cores, BLAS threads: {os.environ['OPENBLAS_NUM_THREADS']}; best of {REPEATS} "
          f"repeats (3 for the SciPy rows)")
    table = rows()
    width = max(len(name) for name, *_ in table)
    rwidth = max(len(ref) for _, ref, *_ in table)
    print(f"{'workload':<{width}}  {'reference':<{rwidth}}  {'symgraph':>10}  "
          f"{'reference':>10}  {'ratio':>6}")
    for name, ref, ours, theirs in table:
        print(f"{name:<{width}}  {ref:<{rwidth}}  {ours:8.3f}ms  {theirs:8.3f}ms  "
              f"{ours / theirs:6.2f}")


if __name__ == "__main__":
    main()
