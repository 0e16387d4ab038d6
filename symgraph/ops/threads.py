"""How symgraph's own array kernels (convolution, pooling) use threads.

The policy, chosen deliberately:

- A kernel splits its batch into one slice per thread and runs the slices at once (NumPy
  releases the GIL in its loops and BLAS calls). The number of threads is
  `sg.config.threads`, or when that is 0 (the default) the number of threads NumPy's
  BLAS is set to use -- OPENBLAS_NUM_THREADS / OMP_NUM_THREADS, else one per core -- so
  the one knob users already turn for BLAS sets ours too. Small batches (less than
  `_MIN_WORK` values per slice) stay on the calling thread: a hand-off costs ~20 us.
- Inside the kernels, every BLAS call runs single-threaded (OpenBLAS's per-thread
  setting, `openblas_set_num_threads_local`): a convolution's matrix products are one
  small product per image, which BLAS threads badly (measured 2x slower with two BLAS
  threads), while splitting the batch keeps every thread busy for the whole kernel,
  im2col copies and pooling included. Calls outside these kernels (np.dot of a Dense
  layer) keep BLAS's own setting.

Without an OpenBLAS that has the per-thread setting (another BLAS, or OpenBLAS before
0.3.27) the kernels still split the batch, but only when BLAS is single-threaded, so two
thread pools never compete for the cores.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from ..config import config

_MIN_WORK = 1 << 15     # values per thread below which threads cost more than they save
_SLICE_BYTES = 1 << 21  # temporaries per batch slice: about what a core's L2 cache holds
_GET_NAMES = ("scipy_openblas_get_num_threads64_", "openblas_get_num_threads64_",
              "scipy_openblas_get_num_threads", "openblas_get_num_threads")


class _Blas:
    """NumPy's OpenBLAS, found among the loaded libraries (Linux), or nothing."""

    def __init__(self) -> None:
        self.get_threads: Callable[[], int] | None = None
        self.set_local: Callable[[int], int] | None = None
        for path in _loaded_openblas():
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for name in _GET_NAMES:
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.restype, fn.argtypes = ctypes.c_int, []
                    self.get_threads = fn
                    break
            local = getattr(lib, "openblas_set_num_threads_local", None)
            if local is not None:
                local.restype, local.argtypes = ctypes.c_int, [ctypes.c_int]
                self.set_local = local
            if self.get_threads is not None:
                return


def _loaded_openblas() -> list[str]:
    """Paths of the loaded OpenBLAS libraries, NumPy's first."""
    import numpy  # noqa: F401  (loads NumPy's BLAS, if that has not happened yet)
    try:
        with open("/proc/self/maps", encoding="utf-8") as f:
            paths = {line.split()[-1] for line in f if "openblas" in line.lower()
                     and "/" in line}
    except OSError:
        return []
    return sorted(paths, key=lambda p: ("numpy" not in p, p))


_BLAS: _Blas | None = None
_POOL: ThreadPoolExecutor | None = None
_POOL_SIZE = 0
_LOCK = threading.Lock()


def _blas() -> _Blas:
    global _BLAS
    if _BLAS is None:
        _BLAS = _Blas()
    return _BLAS


def blas_threads() -> int:
    """How many threads NumPy's BLAS uses (1 when that cannot be read)."""
    get = _blas().get_threads
    return max(1, int(get())) if get is not None else 1


def kernel_threads() -> int:
    """Threads a kernel splits its batch over (see the module docstring)."""
    wanted = config.threads
    if wanted <= 0:
        wanted = blas_threads()
        if wanted > 1 and _blas().set_local is None:
            return 1    # BLAS's own threads would compete with ours
    return max(1, min(int(wanted), os.cpu_count() or 1))


@contextlib.contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS calls of the current thread run on it alone while inside."""
    set_local = _blas().set_local
    if set_local is None:
        yield
        return
    previous = set_local(1)
    try:
        yield
    finally:
        set_local(previous if previous != blas_threads() else 0)


def _pool(size: int) -> ThreadPoolExecutor:
    global _POOL, _POOL_SIZE
    with _LOCK:
        if _POOL is None or _POOL_SIZE < size:
            if _POOL is not None:
                _POOL.shutdown(wait=False)
            set_local = _blas().set_local
            _POOL = ThreadPoolExecutor(size, thread_name_prefix="symgraph-kernel",
                                       initializer=(lambda: set_local(1)) if set_local
                                       else None)
            _POOL_SIZE = size
        return _POOL


def over_batch(n: int, work: int, fn: Callable[[slice], Any],
               item_bytes: int = 0) -> list[Any]:
    """[fn(s) for s in slices covering range(n)], in order.

    Each slice holds at most _SLICE_BYTES / item_bytes items, so that the temporaries fn
    makes per item (im2col's patch matrix: 9x the input for a 3x3 kernel) stay in the
    cache instead of becoming arrays of tens of MB, allocated and faulted in on every
    call. The slices are shared out, in contiguous runs, over kernel_threads() threads
    when `work` (values computed for the whole batch) is big enough. BLAS runs
    single-threaded inside fn."""
    # Threads first: small items (a 1-channel image's patches) fit many to a slice, and
    # one slice per thread at least is what lets the threads share the batch.
    threads = 1 if work < 2 * _MIN_WORK else min(kernel_threads(), n, work // _MIN_WORK)
    per_slice = max(1, _SLICE_BYTES // item_bytes) if item_bytes else n
    per_slice = max(1, min(per_slice, -(-n // threads)))
    bounds = list(range(0, n, per_slice)) + [n]
    slices = [slice(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    if work < 2 * _MIN_WORK:    # too small for BLAS to thread, or for a hand-off
        return [fn(s) for s in slices]
    threads = min(threads, len(slices))
    with single_threaded_blas():
        if threads == 1:
            return [fn(s) for s in slices]
        cuts = [len(slices) * i // threads for i in range(threads + 1)]
        runs = [slices[cuts[i]:cuts[i + 1]] for i in range(threads)]
        futures = [_pool(threads - 1).submit(lambda r: [fn(s) for s in r], run)
                   for run in runs[1:]]
        results = [fn(s) for s in runs[0]]
        for future in futures:
            results += future.result()
        return results
