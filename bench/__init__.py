"""Benchmarks: `python -m bench.<name>` prints a table (speed lives here, not in tests).

Every benchmark runs BLAS on one thread unless OPENBLAS_NUM_THREADS / OMP_NUM_THREADS /
MKL_NUM_THREADS say otherwise: on a small shared machine, multi-threaded BLAS next to a
busy process makes timings swing by 10x, and both sides of each comparison call the same
BLAS anyway. This package's __init__ runs before any benchmark module imports NumPy.
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
