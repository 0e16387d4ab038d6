"""ShardedPlan: the DataPlan of a model trained by a DistributedOptimizer on several ranks.

Every rank passes the same arrays to fit. A step trains on one global batch of
`size() * batch_size` samples of the epoch's order, each rank on its own consecutive
slice of `batch_size` samples: rank r on positions [j*G + r*b, j*G + (r+1)*b) in step j
(G = size() * b). The last, partial global batch is cut as evenly as possible; a rank left
with no sample trains on a placeholder row that counts for nothing (its gradient weight
is 0). Gradients are averaged weighted by each rank's sample count, so a step is the step
one process takes on the whole global batch.

The epoch's order is drawn by rank 0, with NumPy's global generator exactly as a single
process draws it, and broadcast (one collective per epoch, n int64s), so the ranks'
slices are disjoint and seeding rank 0 like a single-process run gives the same batches.

Validation data is cut into `size()` consecutive parts, evaluated in parallel and
averaged weighted by the parts' sizes; the decision to stop after an epoch is taken by
all ranks together (any rank's stop_training stops all).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import symgraph.distributed as sgd

from .. import backend as K
from ..engine.data_plan import DataPlan


class ShardedPlan(DataPlan):
    """Each rank trains on its share of every global batch (see the module's docstring).

    `weight` is the optimizer's per-rank gradient weight variable (samples counted by this
    rank in the current step).
    """

    def __init__(self, weight: Any):
        self.weight = weight
        self._current = float(K.get_value(weight))

    def epoch_order(self, index_array: np.ndarray, shuffle: bool | str,
                    batch_size: int) -> tuple[np.ndarray, bool]:
        """Rank 0's shuffle (of whole global batches for 'batch'), on every rank."""
        if not shuffle:
            return index_array, False
        if sgd.rank() == 0:
            index_array, _ = super().epoch_order(index_array, shuffle,
                                                 batch_size * sgd.size())
        return sgd.broadcast_array(index_array, 0, "the epoch's sample order"), True

    def batches(self, n_samples: int, batch_size: int) -> list[tuple[int, int, int]]:
        """This rank's slice of every global batch (a placeholder row where it has none)."""
        _check_same_everywhere(n_samples, batch_size)
        n_ranks, me = sgd.size(), sgd.rank()
        steps = []
        for start, _, size in super().batches(n_samples, batch_size * n_ranks):
            base, extra = divmod(size, n_ranks)
            mine = base + (me < extra)
            first = start + me * base + min(me, extra)
            steps.append((first, first + mine, mine) if mine else (start, start + 1, 0))
        return steps

    def before_batch(self, size: int) -> None:
        """Weigh this rank's gradients by the samples it counts in this step."""
        if size != self._current:
            K.set_value(self.weight, float(size))
            self._current = float(size)

    def rows(self, n_samples: int) -> tuple[int, int]:
        """This rank's consecutive part of the validation data."""
        n_ranks, me = sgd.size(), sgd.rank()
        return me * n_samples // n_ranks, (me + 1) * n_samples // n_ranks

    def average(self, values: list[float], weight: float) -> list[float]:
        """The average over ranks of `values`, each rank's weighted by `weight`."""
        return weighted_average(values, weight, "validation results")

    def agree_to_stop(self, stop: bool) -> bool:
        """Stop when any rank's callbacks asked to."""
        flag = sgd.allreduce_array(np.array([float(stop)]), "max", "stop_training")
        return bool(flag[0])

    def end(self) -> None:
        """Back to equal weights (train_on_batch outside fit averages plainly)."""
        self.before_batch(1)


def weighted_average(values: list[float], weight: float, what: str) -> list[float]:
    """sum_r(weight_r * values_r) / sum_r(weight_r) over all ranks, in float64; the
    ranks must pass the same number of values (checked)."""
    packed = np.array([*(float(v) * weight for v in values), float(weight)], dtype=np.float64)
    total = sgd.allreduce_array(packed, "sum", what, check=True)
    if total[-1] == 0:
        return [float(v) for v in values]
    return [float(v) for v in total[:-1] / total[-1]]


def _check_same_everywhere(n_samples: int, batch_size: int) -> None:
    """fit shards one dataset: every rank must pass the same number of samples."""
    mine = np.array([n_samples, batch_size, -n_samples, -batch_size], dtype=np.int64)
    low = sgd.allreduce_array(mine, "min", "fit's data size", check=True)
    if low[0] != -low[2] or low[1] != -low[3]:
        raise ValueError(f"fit with a DistributedOptimizer: every rank must pass the same "
                         f"arrays and batch_size (fit gives each rank its share), but this "
                         f"rank has {n_samples} samples in batches of {batch_size} while "
                         f"the ranks range over {low[0]}..{-low[2]} samples and batch sizes "
                         f"{low[1]}..{-low[3]}. To train on data already split by rank, "
                         f"use fit_generator (each rank brings its own generator).")
