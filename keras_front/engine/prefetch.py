"""The arrays of each batch of a training epoch, shuffled batches gathered one batch ahead.

A shuffled batch is a gather of scattered rows (for the MNIST-shaped MLP, 128 rows of
3 KB from a 188 MB array: 45 us, cache misses that dominate fit's own loop). For arrays in
memory, the gather of batch k+1 runs on a worker thread while the compiled step of batch
k runs (NumPy's take and the step's BLAS calls release the GIL, so on a machine with a
second core the gather is off the critical path). The rows and their order are exactly
those of the plain loop; only the moment they are read moves one step earlier, so a
callback that writes into the training arrays in place affects the batch after next.
Unshuffled batches are views (nothing to gather); small batches (under
MIN_PREFETCH_BYTES) and sources read from disk (LazyRows) are read in the loop's thread.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from .lazy_rows import take

# Below this many bytes per batch a gather costs less than handing it to the worker
# (about 10 us: a future, two thread switches); measured on the MNIST MLP, batch 32
# (100 KB) gains nothing, batch 128 (400 KB) gains 20-40 us per batch.
MIN_PREFETCH_BYTES = 256 * 1024


def _gather(ins: Sequence[np.ndarray], ids: np.ndarray) -> list[np.ndarray]:
    return [np.take(a, ids, axis=0) for a in ins]


def batch_arrays(ins: Sequence[Any], index_array: np.ndarray | None,
                 batches: Sequence[tuple[int, int, int]]) -> Iterator[list[Any]]:
    """Each batch's arrays in order: rows start:end (views) of `ins` when index_array is
    None, else the rows index_array[start:end] (gathered one batch ahead for ndarrays).
    Close the iterator when leaving early (it stops the worker)."""
    if index_array is None or len(batches) < 2 or \
            not all(type(a) is np.ndarray for a in ins) or \
            sum(a[:1].nbytes for a in ins) * (batches[0][1] - batches[0][0]) < MIN_PREFETCH_BYTES:
        for start, end, _ in batches:
            ids = None if index_array is None else index_array[start:end]
            yield [take(a, ids, start, end) for a in ins]
        return
    with ThreadPoolExecutor(1, thread_name_prefix="keras_front-batches") as pool:
        pending = pool.submit(_gather, ins, index_array[batches[0][0]:batches[0][1]])
        try:
            for k in range(len(batches)):
                arrays = pending.result()
                if k + 1 < len(batches):
                    start, end, _ = batches[k + 1]
                    pending = pool.submit(_gather, ins, index_array[start:end])
                yield arrays
        finally:
            pending.cancel()
