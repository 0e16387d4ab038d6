"""Data read batch by batch: an HDF5Matrix (or an h5py dataset) given to fit, evaluate or
predict stays on disk, and each batch reads only its rows (Keras 1.2.2 slices HDF5 data
per batch the same way, so a dataset larger than memory trains).

`LazyRows` wraps such a source with the model's dtype: slicing rows gives another
LazyRows (validation_split and the ranks' shards stay on disk), and `rows(ids)` or
`np.asarray` reads and converts. Anything that is not a NumPy array but has `shape`,
`__len__` and `__getitem__` taking a slice and a sorted list of rows counts as a source.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

CHUNK_ROWS = 4096  # rows read at once when a check walks the whole source


def is_lazy_source(data: Any) -> bool:
    """True for array-likes that should be read per batch rather than converted at once."""
    return (not isinstance(data, (np.ndarray, list, tuple, dict, LazyRows))
            and hasattr(data, "shape") and hasattr(data, "__getitem__")
            and hasattr(data, "__len__") and len(getattr(data, "shape", ())) >= 1)


class LazyRows:
    """Rows start:stop of `source`, read on demand, as `dtype`, 1-d sources as a column."""

    def __init__(self, source: Any, dtype: str | None = None, start: int = 0,
                 stop: int | None = None) -> None:
        self.source = source
        n = len(source)
        self.start, self.stop = start, n if stop is None else stop
        self._column = len(source.shape) == 1
        self.dtype = np.dtype(dtype) if dtype is not None else np.dtype(source.dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        rest = (1,) if self._column else tuple(self.source.shape[1:])
        return (self.stop - self.start,) + rest

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __len__(self) -> int:
        return self.stop - self.start

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, slice):
            first, last, step = key.indices(len(self))
            if step != 1:
                return self.rows(np.arange(first, last, step))
            return LazyRows(self.source, str(self.dtype), self.start + first,
                            self.start + max(first, last))
        return self.rows(np.asarray(key))

    def _convert(self, block: Any) -> np.ndarray:
        block = np.ascontiguousarray(block, dtype=self.dtype)
        return block[:, None] if self._column else block

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The rows `ids` (positions in this view, any order), read in increasing order as
        HDF5 requires, then put back in the asked order."""
        ids = np.asarray(ids, dtype=np.int64).ravel()
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError(f"rows {ids.min()}..{ids.max()} out of range for {len(self)} "
                             f"rows of {type(self.source).__name__}")
        unique, inverse = np.unique(ids + self.start, return_inverse=True)
        if unique.size and unique[-1] - unique[0] + 1 == unique.size:
            block = self.source[int(unique[0]):int(unique[-1]) + 1]  # one contiguous read
        else:
            block = self.source[unique.tolist()]
        return self._convert(np.asarray(block)[inverse])

    def read(self, first: int, last: int) -> np.ndarray:
        """Rows first:last of this view (clipped to it), in one read."""
        last = min(last, len(self))
        return self._convert(self.source[self.start + first:self.start + last])

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(first row, rows) blocks covering the view, CHUNK_ROWS at a time."""
        for first in range(0, len(self), CHUNK_ROWS):
            yield first, self.read(first, first + CHUNK_ROWS)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.read(0, len(self))
        return out.astype(dtype) if dtype is not None else out

    def __repr__(self) -> str:
        return f"<LazyRows {self.start}:{self.stop} of {type(self.source).__name__} {self.dtype}>"


def take(arrays: Sequence[Any], ids: np.ndarray | None, start: int, end: int
         ) -> list[np.ndarray]:
    """Rows start:end (a view for arrays), or the rows `ids` (shuffled order), of each
    array or LazyRows (which reads just those rows from disk)."""
    if ids is None:
        return [a.read(start, end) if isinstance(a, LazyRows) else a[start:end]
                for a in arrays]
    return [a.rows(ids) if isinstance(a, LazyRows) else a[ids] for a in arrays]
