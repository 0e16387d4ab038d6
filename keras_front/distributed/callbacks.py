"""Callbacks of a distributed job: the same start everywhere, and logs of the whole job.

    callbacks = [BroadcastGlobalVariablesCallback(0),   # first: the same initial state
                 MetricAverageCallback(),               # before any callback reading logs
                 ModelCheckpoint(...), CSVLogger(...)]  # these write on rank 0 only

Both are collectives: every rank must use them (and in the same order). On a single
process they do nothing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import symgraph.distributed as sgd

from .. import backend as K
from ..callbacks import Callback
from ..engine.data_plan import LOCAL, plan_of
from .process import init
from .sharding import weighted_average


def broadcast_variables(variables: list[Any], root_rank: int = 0, what: str = "variables"
                        ) -> None:
    """Give every rank `root_rank`'s values of `variables` (one packed broadcast)."""
    if sgd.size() == 1 or not variables:
        return
    values = K.batch_get_value(variables)
    packed = np.concatenate([np.asarray(v, dtype=np.float64).ravel() for v in values])
    sgd.agree(packed, "sum", what)  # the same variables everywhere, or a clear error
    packed = sgd.broadcast_array(packed, root_rank, what)
    pairs, start = [], 0
    for variable, value in zip(variables, values, strict=True):
        value = np.asarray(value)
        piece = packed[start:start + value.size].reshape(value.shape).astype(value.dtype)
        pairs.append((variable, piece))
        start += value.size
    K.batch_set_value(pairs)


class BroadcastGlobalVariablesCallback(Callback):
    """At the start of training, give every rank the model weights and optimizer state of
    `root_rank` (so ranks that initialized differently, or a checkpoint loaded on one rank,
    start from one state)."""

    def __init__(self, root_rank: int = 0):
        super().__init__()
        init()
        self.root_rank = root_rank

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Broadcast the weights, then the optimizer's state (which exists by now)."""
        optimizer = getattr(self.model, "optimizer", None)
        variables = list(self.model.weights) + list(getattr(optimizer, "weights", None) or [])
        broadcast_variables(variables, self.root_rank, "the model's weights and optimizer "
                                                       "state")


class MetricAverageCallback(Callback):
    """Replace each epoch metric in the logs by its average over all ranks, weighted by the
    samples each rank trained on, so rank 0's History, CSVLogger and ModelCheckpoint
    describe the whole job. Put it before the callbacks that read the logs.

    Validation metrics ('val_*') are already averaged over the ranks by fit when the model
    trains with a DistributedOptimizer; they are averaged here otherwise.
    """

    def __init__(self) -> None:
        super().__init__()
        init()
        self.seen = 0

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Start counting the epoch's samples."""
        self.seen = 0

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Count the samples of the batch."""
        self.seen += (logs or {}).get("size", 0)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Average the numeric epoch logs over the ranks (in sorted key order)."""
        if logs is None or sgd.size() == 1:
            return
        averaged_by_fit = plan_of(self.model) is not LOCAL
        keys = sorted(k for k, v in logs.items() if _is_number(v) and
                      not (averaged_by_fit and k.startswith("val_")))
        train = [k for k in keys if not k.startswith("val_")]
        val = [k for k in keys if k.startswith("val_")]
        values = weighted_average([logs[k] for k in train], self.seen, "epoch metrics " +
                                  ", ".join(train))
        values += weighted_average([logs[k] for k in val], 1.0, "validation metrics " +
                                   ", ".join(val)) if val else []
        logs.update(zip(train + val, values, strict=True))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)
