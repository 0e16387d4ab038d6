"""Keep freed array memory in the process between calls of compiled functions.

A compiled function allocates its intermediate arrays afresh on every call and frees
them at the end. With glibc's default settings, arrays of a few MB are mapped from the
system and unmapped again when freed (or the top of the heap is trimmed back), so every
call faults every page of them in again -- the kernel zeroes each 4 KB page on first
touch. For a small convnet's training step (batch 32, 32 channels of 26x26: 2.8 MB per
activation) that was more than half the step's CPU time: 13 ms against 5 ms with the
memory kept. Theano avoided the same cost by keeping intermediate storage between calls
(its allow_gc=False).

`retain_freed_memory()` raises glibc's mmap threshold to its 32 MB maximum (arrays up to
that size come from the heap, and are reused from it) and its trim threshold to 256 MB
(up to that much freed memory at the top of the heap stays with the process). function()
calls it once per process while `sg.config.retain_memory` is True (the default; turn it
off with SYMGRAPH_FLAGS=retain_memory=false). It does nothing on other C libraries, or
when the user set MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ themselves. The cost:
a process's resident memory stays at its high-water mark of arrays under 32 MB (plus at
most 256 MB of freed memory at the heap's top) instead of shrinking between calls.
"""

from __future__ import annotations

import ctypes
import os

_M_TRIM_THRESHOLD = -1   # glibc's mallopt parameters (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024
TRIM_THRESHOLD = 256 * 1024 * 1024
_applied: bool | None = None   # None until the first call


def retain_freed_memory() -> bool:
    """Apply the glibc settings above (once per process); True if they are in effect."""
    global _applied
    if _applied is None:
        _applied = _apply()
    return _applied


def _apply() -> bool:
    if any(name in os.environ for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False        # the user chose their own
    try:
        # The process's own symbols (libc's among them): ctypes.util.find_library would
        # run `ldconfig -p` in a subprocess, ~6 ms of every process's first compile.
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False        # not glibc
    mallopt.restype, mallopt.argtypes = ctypes.c_int, [ctypes.c_int, ctypes.c_int]
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
