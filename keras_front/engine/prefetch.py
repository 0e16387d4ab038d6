"""The arrays of each batch of a training epoch, shuffled batches gathered a chunk ahead.

A shuffled batch is a gather of scattered rows (for the MNIST-shaped MLP, 128 rows of
3 KB from a 188 MB array: 45 us, cache misses that dominate fit's own loop). For arrays in
memory, the batches are gathered on a worker thread a chunk ahead (about 4 MB of rows at
a time: waking the worker costs 20-30 us, so once per chunk) while the compiled steps of
the current chunk run; NumPy's take and the steps' BLAS calls release the GIL, so on a
machine with a second core the gather is off the critical path. The rows and their
order are exactly those of the plain loop; only the moment they are read moves earlier,
so a callback writing into the training arrays in place reaches later batches than it
would in the plain loop.
Unshuffled batches are views (nothing to gather); small batches (under
MIN_PREFETCH_BYTES) and sources read from disk (LazyRows) are read in the loop's thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .lazy_rows import take

# Below this many bytes per batch a gather costs less than handing it to the worker.
MIN_PREFETCH_BYTES = 64 * 1024
# The worker gathers batches this many bytes at a time (at least one batch, at most 64):
# waking it costs 20-30 us, once per chunk instead of once per batch.
CHUNK_BYTES = 4 << 20


def _gather(ins: Sequence[np.ndarray], index_array: np.ndarray,
            batches: Sequence[tuple[int, int, int]]) -> list[list[np.ndarray]]:
    return [[np.take(a, index_array[start:end], axis=0) for a in ins]
            for start, end, _ in batches]


def batch_arrays(ins: Sequence[Any], index_array: np.ndarray | None,
                 batches: Sequence[tuple[int, int, int]]) -> Iterator[list[Any]]:
    """Each batch's arrays in order: rows start:end (views) of `ins` when index_array is
    None, else the rows index_array[start:end] (gathered ahead for ndarrays: the first
    batch here, then chunks of CHUNK_BYTES on the worker, the next chunk while this
    one trains). Close the iterator when leaving early (it stops the worker)."""
    arrays = all(type(a) is np.ndarray for a in ins)
    row_bytes = sum(a[:1].nbytes for a in ins) if arrays else 0
    size = batches[0][1] - batches[0][0] if batches else 0
    if index_array is None or len(batches) < 2 or not arrays or \
            row_bytes * size < MIN_PREFETCH_BYTES:
        for start, end, _ in batches:
            ids = None if index_array is None else index_array[start:end]
            yield take(ins, ids, start, end)
        return
    per = max(1, min(64, CHUNK_BYTES // (row_bytes * size)))
    chunks = [batches[:1]] + [batches[i:i + per] for i in range(1, len(batches), per)]
    with ThreadPoolExecutor(1, thread_name_prefix="keras_front-batches") as pool:
        pending = None
        try:
            for k, chunk in enumerate(chunks):
                current = _gather(ins, index_array, chunk) if k == 0 else pending.result()
                if k + 1 < len(chunks):
                    pending = pool.submit(_gather, ins, index_array, chunks[k + 1])
                yield from current
        finally:
            if pending is not None:
                pending.cancel()
