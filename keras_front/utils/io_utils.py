"""Disk I/O helpers (Keras 1.2.2's keras.utils.io_utils): HDF5Matrix, a dataset in an
HDF5 file used in place of a NumPy array, and Keras's overwrite prompt."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, ClassVar

import numpy as np


def _h5py() -> Any:
    try:
        import h5py  # optional dependency (the 'saving' extra)
    except ImportError:
        raise ImportError("HDF5Matrix needs h5py: install the 'saving' extra (pip install "
                          "'symgraph[saving]') or h5py itself") from None
    return h5py


def _stdin_is_terminal() -> bool:
    stdin = sys.stdin
    try:
        return stdin is not None and stdin.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdin
        return False


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Keras's prompt: ask on the terminal whether to overwrite `filepath` (True: yes).

    Without a terminal to ask on (scripts, notebooks, CI) it raises FileExistsError
    instead of waiting for an answer that cannot come.
    """
    if not _stdin_is_terminal():
        raise FileExistsError(f"{filepath} already exists and overwrite=False; not asking "
                              f"whether to overwrite it because stdin is not a terminal. "
                              f"Pass overwrite=True, or choose another path.")
    try:
        answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip()
        while answer.lower() not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip()
    except EOFError:
        raise FileExistsError(f"{filepath} already exists and overwrite=False; no answer "
                              f"to the overwrite question (end of input)") from None
    if answer.lower() == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


class HDF5Matrix:
    """Rows start:end of the dataset `dataset` of the HDF5 file `datapath`, indexed like a
    NumPy array (ints, slices, lists or arrays of row numbers), each read passed through
    `normalizer` when given. The file is opened read-only once per path and shared.

    `np.asarray(matrix)` reads all its rows; model.fit / predict convert their inputs
    that way, so the rows are read into memory once per call.
    """

    refs: ClassVar[dict[str, Any]] = {}

    def __init__(self, datapath: str, dataset: str, start: int = 0, end: int | None = None,
                 normalizer: Callable[[np.ndarray], np.ndarray] | None = None):
        h5py = _h5py()
        f = self.refs.get(datapath)
        if f is None or not f.id.valid:
            try:
                f = h5py.File(datapath, "r")
            except FileNotFoundError:
                raise FileNotFoundError(f"HDF5Matrix: no such file: {datapath}") from None
            except OSError as e:
                raise OSError(f"HDF5Matrix: cannot open {datapath} as HDF5 ({e})") from e
            self.refs[datapath] = f
        if dataset not in f:
            raise KeyError(f"HDF5Matrix: {datapath} has no dataset {dataset!r} (it holds "
                           f"{sorted(f.keys())})")
        self.data = f[dataset]
        n = self.data.shape[0]
        self.start = int(start)
        self.end = n if end is None else int(end)
        if not 0 <= self.start <= self.end <= n:
            raise ValueError(f"HDF5Matrix: start={start}, end={end} do not lie within the "
                             f"{n} rows of {dataset!r} in {datapath}")
        self.normalizer = normalizer

    def __len__(self) -> int:
        return self.end - self.start

    @property
    def shape(self) -> tuple[int, ...]:
        """(rows, ...) of the selected rows."""
        return (self.end - self.start,) + tuple(self.data.shape[1:])

    @property
    def ndim(self) -> int:
        """Number of axes."""
        return len(self.shape)

    @property
    def dtype(self) -> np.dtype:
        """The dataset's dtype (before any normalizer)."""
        return self.data.dtype

    def _row(self, i: int) -> int:
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"HDF5Matrix: row {i} out of range for {n} rows")
        return self.start + (i % n)

    def __getitem__(self, key: Any) -> np.ndarray:
        if isinstance(key, slice):
            first, stop, step = key.indices(len(self))
            if step == 1:
                out = self.data[self.start + first:self.start + max(first, stop)]
            else:
                out = self.data[sorted(self.start + i for i in range(first, stop, step))]
                out = out if step > 0 else out[::-1]
        elif isinstance(key, (int, np.integer)):
            out = self.data[self._row(int(key))]
        elif isinstance(key, (list, np.ndarray)):
            rows = np.asarray([self._row(int(i)) for i in np.ravel(key)], dtype=np.int64)
            # h5py reads rows in increasing order only: read sorted, then put back in order.
            unique, inverse = np.unique(rows, return_inverse=True)
            out = self.data[unique.tolist()][inverse].reshape(
                np.shape(key) + tuple(self.data.shape[1:]))
        else:
            raise TypeError(f"HDF5Matrix: cannot index with {type(key).__name__}")
        return self.normalizer(out) if self.normalizer is not None else out

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = np.asarray(self[0:len(self)])
        return out.astype(dtype) if dtype is not None else out
