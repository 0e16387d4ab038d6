"""How fit and fit_generator spread the samples of an epoch over processes.

The training loops ask a DataPlan, never a rank, which rows each step trains on here:

    plan = plan_of(model)
    steps = plan.batches(n_samples, batch_size)          # [(start, end, size), ...]
    index_array, shuffled = plan.epoch_order(index_array, shuffle, batch_size)
    plan.before_batch(size)                              # then call the train function
    start, end = plan.rows(n_validation)                 # this process's validation rows
    averages = plan.average(local_averages, weight)      # combined over processes

The default plan (this module) is a single process that does everything. A model whose
optimizer trains over several processes brings its own plan as `optimizer.data_plan`
(keras_front.distributed.ShardedPlan: each rank gets its share of every global batch and
the validation is averaged over the ranks).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .training_utils import batch_shuffle, make_batches


class DataPlan:
    """A single process: every batch of the epoch's order, all here (Keras's loop)."""

    def epoch_order(self, index_array: np.ndarray, shuffle: bool | str,
                    batch_size: int) -> tuple[np.ndarray, bool]:
        """The epoch's sample order (shuffled in place, or whole batches for 'batch'),
        and whether it is shuffled (else batches are plain slices)."""
        if shuffle == "batch":
            return batch_shuffle(index_array, batch_size), True
        if shuffle:
            np.random.shuffle(index_array)
            return index_array, True
        return index_array, False

    def batches(self, n_samples: int, batch_size: int) -> list[tuple[int, int, int]]:
        """Per step, (start, end, size): the positions start:end in the epoch's order this
        process trains on, and how many of those samples count (fewer than end - start only
        for a placeholder row that keeps a process in step with the others)."""
        return [(start, end, end - start) for start, end in make_batches(n_samples, batch_size)]

    def before_batch(self, size: int) -> None:
        """Called before each training step with the number of samples it counts."""

    def rows(self, n_samples: int) -> tuple[int, int]:
        """The rows start:end of validation data this process evaluates."""
        return 0, n_samples

    def average(self, values: list[float], weight: float) -> list[float]:
        """Combine per-process averages (each weighted by its sample count)."""
        return values

    def agree_to_stop(self, stop: bool) -> bool:
        """Whether training stops after this epoch (every process must agree)."""
        return stop

    def end(self) -> None:
        """Called once when the loop is done."""


LOCAL = DataPlan()


def plan_of(model: Any) -> DataPlan:
    """The plan of the model's optimizer (`optimizer.data_plan`), else the local one."""
    return getattr(getattr(model, "optimizer", None), "data_plan", None) or LOCAL
