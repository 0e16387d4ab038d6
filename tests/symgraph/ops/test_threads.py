"""symgraph/ops/threads.py: batch slices cover the batch in order, bounded by the bytes
of their temporaries; results do not depend on the number of threads (convolution and
pooling kernels, values and gradients); BLAS's per-thread setting is restored."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops import threads
from symgraph.ops.conv_kernels import conv_forward, conv_grad_inputs, conv_grad_weights
from symgraph.ops.pool_kernels import max_pool_grad, pool_forward

RNG = np.random.default_rng(21)


def test_over_batch_covers_the_batch_in_order_in_bounded_slices():
    seen = []
    with sg.config.change(threads=1):
        out = threads.over_batch(10, 10 ** 6, lambda s: (seen.append(s), s.stop)[1],
                                 item_bytes=threads._SLICE_BYTES // 3)
    assert [(s.start, s.stop) for s in seen] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert out == [3, 6, 9, 10]


def test_over_batch_uses_the_configured_threads_for_big_work():
    names = set()
    lock = threading.Lock()

    def record(s):
        with lock:
            names.add(threading.current_thread().name)
        return s.start

    expected = min(2, os.cpu_count() or 1)
    with sg.config.change(threads=2):
        assert threads.kernel_threads() == expected
        out = threads.over_batch(8, 10 ** 7, record, item_bytes=threads._SLICE_BYTES)
        small = threads.over_batch(8, 10, lambda s: threading.current_thread().name)
        assert out == list(range(8))
        assert len(names) == expected                 # the caller, and a worker
        names.clear()  # items far smaller than a slice (1-channel images) still split
        tiny_items = threads.over_batch(32, 10 ** 6, record, item_bytes=100)
    assert tiny_items == [0, 16] if expected == 2 else tiny_items == [0]
    assert len(names) == expected
    assert small == [threading.current_thread().name]  # too little work for a hand-off


def test_single_threaded_blas_restores_the_setting():
    before = threads.blas_threads()
    with threads.single_threaded_blas():
        if threads._blas().set_local is not None:
            assert threads.blas_threads() == 1
    assert threads.blas_threads() == before


@pytest.mark.parametrize("n", [1, 5, 33])
def test_kernels_give_the_same_values_on_one_and_two_threads(n):
    x = RNG.normal(size=(n, 3, 9, 8)).astype("float32")
    w = RNG.normal(size=(4, 3, 3, 3)).astype("float32")
    geometry = ("half", (2, 1), True, (1, 2))
    results = []
    for count in (1, 2):
        with sg.config.change(threads=count):
            y = conv_forward(x, w, *geometry)
            gy = np.ones_like(y)
            pooled = pool_forward(x, (2, 2), (1, 2), (1, 0), True, "max")
            results.append([y, conv_grad_inputs(w, gy, np.array([9, 8]), *geometry),
                            conv_grad_weights(x, gy, np.array([3, 3]), *geometry), pooled,
                            max_pool_grad(x, pooled, np.ones_like(pooled), (2, 2), (1, 2),
                                          (1, 0), True)])
    for one, two in zip(*results, strict=True):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-5)
